"""Recorded exchanges with the real platforms, served again over HTTP, for contract tests.

Client libraries record their test suites against the real APIs with vcrpy; those recordings
("cassettes", YAML) come with the libraries' source packages. Nothing of them is kept in this
repository: a test downloads the pinned source package from a package registry into a cache
outside the repository, checks its sha256, and reads the cassettes from the archive. Without a
registry the test is skipped, and says why (`Unavailable`).

`ReplayServer` answers each request with the recorded answer to the same request (method, path
and the query parameters that say *what* is asked for: ids, usernames, query, page token), so
the connector under test talks to it exactly as to the platform; a request nothing was recorded
for gets a 404 that says so, and every request is logged for the test to look at.
"""

import glob
import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

# What makes two requests the same request, for a recording: the rest (fields, expansions,
# max_results, start_time) shapes the answer, and an answer recorded without them is exactly the
# sparse kind a connector must cope with.
IDENTIFYING = (
    "ids",
    "usernames",
    "query",
    "pagination_token",
    "next_token",
    "max_id",
    "min_id",
    "since_id",
)
# Recorded headers that describe the body as recorded, or the recording session: not sent again.
DROPPED_HEADERS = {"content-length", "transfer-encoding", "set-cookie", "connection"}


class Unavailable(Exception):
    """The recordings cannot be had here (no registry, no client for it): the test is skipped."""


def cache_dir() -> Path:
    """Where downloaded source packages are kept between runs: beside the interpreter's
    environment (a virtualenv), never in the repository."""
    path = Path(sys.prefix) / "socialdesk-recordings"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- Debian source packages -------------------------------------------------------------------


def _apt_sources() -> list[tuple[str, str, list[str], list[str], str]]:
    """The machine's apt sources as (type, uri, suites, components, signed-by), both formats."""
    found = []
    for name in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for stanza in re.split(r"\n\s*\n", Path(name).read_text(errors="replace")):
            fields: dict[str, str] = {}
            key = ""
            for line in stanza.splitlines():
                if line.startswith("#"):
                    continue
                if line[:1].isspace() and key:
                    fields[key] += " " + line.strip()
                elif ":" in line:
                    key, _, value = line.partition(":")
                    key = key.strip().lower()
                    fields[key] = value.strip()
            if fields.get("enabled", "yes").lower() == "no":
                continue
            for kind in fields.get("types", "").split():
                for uri in fields.get("uris", "").split():
                    found.append(
                        (
                            kind,
                            uri,
                            fields.get("suites", "").split(),
                            fields.get("components", "").split(),
                            fields.get("signed-by", ""),
                        )
                    )
    for name in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
        if not Path(name).exists():
            continue
        for line in Path(name).read_text(errors="replace").splitlines():
            m = re.match(r"^\s*(deb)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.*)$", line)
            if m:
                signed = re.search(r"signed-by=(\S+)", m.group(2) or "")
                found.append(
                    (
                        m.group(1),
                        m.group(3),
                        [m.group(4)],
                        m.group(5).split(),
                        signed.group(1) if signed else "",
                    )
                )
    return found


def _debian_archive() -> tuple[str, str]:
    """The Debian archive this machine's apt already uses (its URI and keyring): the source
    package comes from the same registry as the machine's own packages."""
    for kind, uri, suites, components, signed_by in _apt_sources():
        plain_suite = any("-" not in suite and "/" not in suite for suite in suites)
        debian_key = not signed_by or "debian-archive-keyring" in signed_by
        if (
            kind == "deb"
            and "main" in components
            and plain_suite
            and debian_key
            and uri.rstrip("/").endswith("/debian")
        ):
            return uri, signed_by
    raise Unavailable("apt has no Debian archive configured on this machine")


def debian_source(*, package: str, version: str, suite: str, filename: str, digest: str) -> Path:
    """A Debian source package's upstream archive (`filename`), downloaded once with apt-get from
    the Debian archive the machine uses (`suite` pinned, as `package=version`), checked against
    `digest`, and kept in `cache_dir()`."""
    target = cache_dir() / filename
    if target.exists() and sha256(target) == digest:
        return target
    if shutil.which("apt-get") is None:
        raise Unavailable(
            "apt-get is not installed: the Debian source package cannot be downloaded"
        )
    uri, signed_by = _debian_archive()
    with tempfile.TemporaryDirectory(prefix="socialdesk-apt-") as work:
        work_dir = Path(work)
        for sub in ("lists/partial", "parts", "download"):
            (work_dir / sub).mkdir(parents=True)
        options = f"[signed-by={signed_by}] " if signed_by else ""
        (work_dir / "sources.list").write_text(f"deb-src {options}{uri} {suite} main\n")
        apt = [
            "apt-get",
            "-q",
            "-o",
            f"Dir::Etc::SourceList={work_dir / 'sources.list'}",
            "-o",
            f"Dir::Etc::SourceParts={work_dir / 'parts'}",
            "-o",
            f"Dir::State::Lists={work_dir / 'lists'}",
            "-o",
            "Dir::Cache::pkgcache=",
            "-o",
            "Dir::Cache::srcpkgcache=",
        ]
        for step in (["update"], ["source", "--download-only", f"{package}={version}"]):
            try:
                done = subprocess.run(
                    apt + step,
                    cwd=work_dir / "download",
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
            except subprocess.TimeoutExpired as exc:
                raise Unavailable(
                    f"apt-get {step[0]} took too long (no registry reachable?)"
                ) from exc
            if done.returncode != 0 or "Failed to fetch" in done.stderr or "Err:" in done.stdout:
                last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [
                    "no output"
                ]
                raise Unavailable(f"apt-get {step[0]} failed: {last[0]}")
        downloaded = work_dir / "download" / filename
        if not downloaded.exists():
            raise Unavailable(f"apt-get did not bring {filename}")
        if sha256(downloaded) != digest:
            # Not a skip: the recordings changed under us, and the test must not read them.
            raise AssertionError(
                f"{filename} has sha256 {sha256(downloaded)}, not the pinned {digest}"
            )
        shutil.move(str(downloaded), target)
    return target


# --- Cassettes -------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One recorded request and the platform's answer to it."""

    method: str
    path: str
    query: dict
    request_body: str
    status: int
    headers: list
    body: bytes

    def answers(self, method: str, path: str, query: dict) -> bool:
        return (self.method, self.path) == (method, path) and all(
            query.get(k) == self.query.get(k) for k in IDENTIFYING
        )

    def json(self):
        body = self.body
        if any(k.lower() == "content-encoding" and v == "gzip" for k, v in self.headers):
            body = gzip.decompress(body)
        return json.loads(body)


def read_cassette(text: str) -> list[Exchange]:
    exchanges = []
    for interaction in yaml.safe_load(text)["interactions"]:
        request, response = interaction["request"], interaction["response"]
        url = urlsplit(request["uri"])
        body = response["body"]["string"]
        exchanges.append(
            Exchange(
                method=request["method"],
                path=url.path,
                query=parse_qs(url.query),
                request_body=request.get("body") or "",
                status=response["status"]["code"],
                headers=[
                    (k, v)
                    for k, values in response["headers"].items()
                    if k.lower() not in DROPPED_HEADERS
                    for v in values
                ],
                body=body if isinstance(body, bytes) else body.encode("utf-8"),
            )
        )
    return exchanges


def cassettes(archive: Path, pattern: str) -> dict[str, list[Exchange]]:
    """The cassettes in a source archive whose file name matches `pattern`, by file name."""
    found = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            name = member.name.rsplit("/", 1)[-1]
            if member.isfile() and "/cassettes/" in member.name and re.fullmatch(pattern, name):
                found[name] = read_cassette(tar.extractfile(member).read().decode("utf-8"))
    return found


# --- Serving them again -----------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    query: dict
    body: str


@dataclass
class ReplayServer:
    """Serves recorded exchanges on a local port; `base_url` stands in for the platform's host."""

    exchanges: list
    requests: list = field(default_factory=list)

    def __post_init__(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                query = parse_qs(url.query)
                replay.requests.append(Request(self.command, url.path, query, body))
                found = next(
                    (e for e in replay.exchanges if e.answers(self.command, url.path, query)), None
                )
                if found is None:
                    asked = "".join(
                        f" {k}={','.join(query[k])}" for k in IDENTIFYING if k in query
                    )
                    payload = json.dumps(
                        {
                            "title": "Not Found Error",
                            "status": 404,
                            "type": "about:blank",
                            "detail": f"No recorded exchange for {self.command} {url.path}{asked}",
                        }
                    ).encode()
                    status, headers = 404, [("content-type", "application/json; charset=utf-8")]
                else:
                    payload, status, headers = found.body, found.status, found.headers
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PUT = _answer

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="replay", daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

"""Contract tests: real Mastodon answers, recorded by Mastodon.py's own test suite against a real
server, replayed over HTTP through the connector's poll, reply and deletion paths.

The recordings are the vcrpy cassettes in Mastodon.py's source distribution on PyPI (MIT licence,
"Copyright (c) 2016 Lorenz Diener / Mastodon.py contributors"), `tests/cassettes/*.yaml` of
Mastodon.py 2.3.3. They are not part of this repository: the session fixture below downloads the
pinned sdist with pip into `var/recordings/` (ignored by git), checks its sha256, and reads the
cassettes from the archive. Without a reachable package index the tests are skipped, and say
why in the summary.

What they show of a real server, which our simulator has to match: notification ids are a plain
serial ("20", "21", "23") next to time-based status ids; pages carry a `Link` header; an empty
page is `[]` without one; a status that does not exist is a 404 `{"error":"Not Found"}`; the app
that posted a status claims its language (`"ja"` for "LOL check this out").
"""

import hashlib
import json
import subprocess
import sys
import tarfile
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from socialdesk.actions.inbound import ingest
from socialdesk.brands.models import BrandAccount
from socialdesk.connectors.mastodon import MastodonConnector, read_notifications
from socialdesk.conversations.models import Conversation, Message

pytestmark = pytest.mark.recordings

PACKAGE, VERSION = "Mastodon.py", "2.3.3"
ARCHIVE = "mastodon_py-2.3.3.tar.gz"
# The archive's sha256 as PyPI serves it: a changed archive fails the tests instead of changing them.
SHA256 = "a3cda3db86d65809957c978aef8ac7fb3dfc93abfeda3f1c6bdef4c79090ab7b"
CACHE = Path(__file__).resolve().parents[3] / "var" / "recordings"
# The account the recordings mention (Mastodon.py's test user) and its id on the recorded server.
OURS = ("mastodonpy_test", "117440810532227399")


def _download() -> Path:
    archive = CACHE / ARCHIVE
    if not archive.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-binary",
                    ":all:",
                    "--no-deps",
                    "--disable-pip-version-check",
                    "--quiet",
                    "-d",
                    str(CACHE),
                    f"{PACKAGE}=={VERSION}",
                ],
                capture_output=True,
                text=True,
                timeout=600,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.skip(
                f"Mastodon.py's recordings need {PACKAGE}=={VERSION}'s sdist from PyPI, and pip could not fetch it: {exc}"
            )
        if done.returncode != 0 or not archive.exists():
            why = (done.stderr.strip().splitlines() or ["no output"])[-1]
            pytest.skip(
                f"Mastodon.py's recordings need {PACKAGE}=={VERSION}'s sdist from PyPI, and pip could not fetch it: {why}"
            )
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert digest == SHA256, (
        f"{archive} is not the archive these tests were written against (sha256 {digest})"
    )
    return archive


class Cassettes:
    """The cassettes of the pinned sdist by name (`tests/cassettes/<name>.yaml`), each read when first asked for."""

    def __init__(self, archive: Path, yaml):
        self.archive, self.yaml, self.read = archive, yaml, {}

    def __getitem__(self, name: str) -> list[dict]:
        if name not in self.read:
            with tarfile.open(self.archive) as tar:
                member = tar.getmember(
                    f"{ARCHIVE.removesuffix('.tar.gz')}/tests/cassettes/{name}.yaml"
                )
                self.read[name] = self.yaml.safe_load(tar.extractfile(member))["interactions"]
        return self.read[name]


@pytest.fixture(scope="session")
def cassettes():
    yaml = pytest.importorskip(
        "yaml", reason="PyYAML reads the recordings (pip install -e '.[test]')"
    )
    return Cassettes(_download(), yaml)


def recorded(cassettes, name: str, method: str, path: str, index: int = 0) -> dict:
    """The `index`-th recorded answer to `method path` (path without the query) in a cassette."""
    answers = [
        i["response"]
        for i in cassettes[name]
        if i["request"]["method"] == method and urlsplit(i["request"]["uri"]).path == path
    ]
    return answers[index]


def body_of(answer: dict):
    return json.loads(answer["body"]["string"])


class Replay:
    """A local HTTP server that answers each request with a recorded answer queued for it, and
    keeps every request it got. A request nothing was queued for gets Mastodon's 404 for a path
    it does not serve, as an instance without that endpoint would answer."""

    def __init__(self):
        self.queued: dict[tuple[str, str], list[dict]] = {}
        self.requests: list[dict] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                replay.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "form": parse_qs(raw),
                        "headers": dict(self.headers),
                    }
                )
                answers = replay.queued.get((self.command, parts.path)) or []
                answer = (
                    answers.pop(0)
                    if answers
                    else {
                        "status": {"code": 404},
                        "headers": {},
                        "body": {"string": '{"error":"Not Found"}'},
                    }
                )
                data = answer["body"]["string"].encode()
                self.send_response(answer["status"]["code"])
                for name, values in answer["headers"].items():
                    if name.lower() in ("content-type", "link") or name.lower().startswith(
                        "x-ratelimit"
                    ):
                        self.send_header(name, values[0] if isinstance(values, list) else values)
                if not any(n.lower() == "content-type" for n in answer["headers"]):
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def queue(self, method: str, path: str, answer: dict) -> None:
        self.queued.setdefault((method, path), []).append(answer)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def replay():
    server = Replay()
    yield server
    server.close()


@pytest.fixture
def account(demo, replay):
    """The demo's Mastodon account, as the account the recordings mention, on the replay server."""
    handle, external_id = OURS
    BrandAccount.objects.filter(platform="mastodon").update(
        handle=handle, external_id=external_id, api_base=replay.url
    )
    return BrandAccount.objects.get(platform="mastodon")


def _moment(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_recorded_notifications_ingest_with_real_ids_times_and_mentions(
    cassettes, replay, account
):
    first = recorded(cassettes, "test_notifications_mentions_only", "GET", "/api/v1/notifications")
    later = recorded(
        cassettes, "test_notifications_types", "GET", "/api/v1/notifications", index=1
    )
    empty = recorded(
        cassettes, "test_notifications_types", "GET", "/api/v1/notifications", index=0
    )
    [n21], [n23] = body_of(first), body_of(later)
    assert (n21["id"], n23["id"], body_of(empty)) == (
        "21",
        "23",
        [],
    )  # a serial, as on every real server
    for answer in (first, later, empty):
        replay.queue("GET", "/api/v1/notifications", answer)
    connector = MastodonConnector(account)
    # The recordings are from October 2026: "now" is an hour after them, so they are this week's.
    now = _moment(n21["created_at"]) + 3600

    polled = connector.fetch_mentions(cursor="", now=now)
    assert polled.cursor == "21" and not polled.unreadable
    assert ingest(polled.messages, account=account, stream="notifications").stored == 1
    message = Message.objects.get()
    status = n21["status"]
    assert (message.platform, message.platform_id, message.direction) == (
        "mastodon",
        status["id"],
        "in",
    )
    assert message.text == "@mastodonpy_test hello!"
    assert message.created_at == datetime.fromisoformat("2026-10-14T19:05:28.486+00:00")
    assert (message.author.external_id, message.author.handle, message.author.name) == (
        "117440810233042393",
        "admin",
        "admin",
    )
    assert message.metadata == {"visibility": "public", "language_hint": "en"}
    assert message.raw["notification"]["id"] == "21"
    c = message.conversation
    assert (c.account, c.respond_from, c.thread_key) == (
        account,
        account,
        f"{status['id']}:117440810233042393",
    )

    # The next polls start from "21", the id the server gave, and read only what is newer.
    polled = connector.fetch_mentions(cursor=polled.cursor, now=now)
    assert polled.cursor == "23"
    assert ingest(polled.messages, account=account, stream="notifications").stored == 1
    polled = connector.fetch_mentions(cursor=polled.cursor, now=now)
    assert (polled.cursor, polled.messages) == ("23", [])
    asked = [
        (r["query"].get("min_id"), r["query"].get("max_id"), r["query"].get("types[]"))
        for r in replay.requests
    ]
    assert asked == [
        (None, None, ["mention"]),
        (["21"], None, ["mention"]),
        (["23"], None, ["mention"]),
    ]
    assert Message.objects.count() == 2
    # Two statuses of one person: one author, kept once, two conversations (neither answers the other).
    assert (
        Conversation.objects.count() == 2
        and len({m.author_id for m in Message.objects.all()}) == 1
    )


def test_a_recorded_mention_older_than_a_week_is_not_ingested_on_the_first_poll(
    cassettes, replay, account
):
    page = recorded(cassettes, "test_notifications_mentions_only", "GET", "/api/v1/notifications")
    replay.queue("GET", "/api/v1/notifications", page)
    polled = MastodonConnector(account).fetch_mentions(
        cursor="", now=_moment(body_of(page)[0]["created_at"]) + 8 * 86400
    )
    # Not kept, but the cursor still moves to the server's newest id: later polls start there.
    assert (polled.messages, polled.cursor) == ([], "21")


@pytest.mark.parametrize(
    "cassette, visibility",
    [
        ("test_status_post[None-direct]", "direct"),
        ("test_status_post[Content warning-private]", "private"),
        ("test_status_post[None-unlisted]", "unlisted"),
        ("test_status_post[None-public]", "public"),
    ],
)
def test_a_reply_to_a_recorded_status_keeps_its_visibility(
    cassettes, replay, account, cassette, visibility
):
    """The status answered, as the server rendered it, then the reply as the server answered it
    (Mastodon.py's own status_reply carries the visibility over too: its recorded request has
    `visibility=public` for a public parent)."""
    answered = recorded(cassettes, cassette, "POST", "/api/v1/statuses")
    status = body_of(answered)
    assert status["visibility"] == visibility
    reply = recorded(cassettes, "test_status_reply", "POST", "/api/v1/statuses", index=1)
    replay.queue("GET", f"/api/v1/statuses/{status['id']}", answered)
    replay.queue("POST", "/api/v1/statuses", reply)
    posted = MastodonConnector(account).reply(
        text="@admin Thanks, we're on it.", in_reply_to_id=status["id"], idempotency_key="k-1"
    )
    assert posted == body_of(reply)["id"]
    [lookup, post] = replay.requests
    assert (lookup["method"], lookup["path"]) == ("GET", f"/api/v1/statuses/{status['id']}")
    assert post["form"]["visibility"] == [visibility] and post["form"]["in_reply_to_id"] == [
        status["id"]
    ]
    assert (
        post["form"]["status"] == ["@admin Thanks, we're on it."]
        and post["headers"]["Idempotency-Key"] == "k-1"
    )


def test_recorded_content_warnings_media_and_language_claims_are_kept(
    cassettes, replay, account, agents, client
):
    """Real statuses inside a real notification's envelope (a mention carries its status as is).
    These statuses were posted by Mastodon.py's test user: here the desk's account is the other
    recorded account ("admin"), so they are a customer's."""
    BrandAccount.objects.filter(pk=account.pk).update(
        handle="admin", external_id="117440810233042393"
    )
    account.refresh_from_db()
    envelope = body_of(
        recorded(cassettes, "test_notifications_mentions_only", "GET", "/api/v1/notifications")
    )[0]
    warned = body_of(
        recorded(cassettes, "test_status_post[Content warning-direct]", "POST", "/api/v1/statuses")
    )
    media = body_of(recorded(cassettes, "test_media_post[True]", "POST", "/api/v1/statuses"))
    page = [dict(envelope, id="30", status=warned), dict(envelope, id="31", status=media)]
    messages, unreadable = read_notifications(page)
    assert not unreadable
    assert ingest(messages, account=account, stream="notifications").stored == 2

    cw = Message.objects.get(platform_id=warned["id"])
    assert cw.text == "Toot!"
    # A real server: a content warning does not make the status "sensitive" (that is for media).
    assert cw.metadata == {
        "visibility": "direct",
        "language_hint": "ja",
        "content_warning": "Content warning",
    }
    video = Message.objects.get(platform_id=media["id"])
    [attachment] = media["media_attachments"]
    assert video.metadata["media"] == [
        {"type": "video", "url": attachment["url"], "description": "me when a cat"}
    ]
    assert video.metadata["sensitive"] is True
    # The posting app claimed Japanese for "LOL check this out": kept as a hint, not taken as the language.
    assert video.metadata["language_hint"] == "ja" and video.conversation.language != "ja"
    client.force_login(agents["cm"])
    page = client.get(f"/c/{cw.conversation_id}/").content.decode()
    assert "Content warning</span>" in page and "Private reply from" in page
    page = client.get(f"/c/{video.conversation_id}/").content.decode()
    assert (
        f'href="{attachment["url"]}"' in page
        and "me when a cat" in page
        and attachment["preview_url"] not in page
    )


def test_a_recorded_404_is_read_as_deleted_and_a_recorded_status_as_present(
    cassettes, replay, account
):
    """The instance of the recordings predates nothing here; the replay has no `GET /api/v1/statuses`
    (Mastodon 4.3+), so the connector looks each status up alone, as with an older instance."""
    present = recorded(cassettes, "test_status_post[None-public]", "POST", "/api/v1/statuses")
    missing = recorded(cassettes, "test_status_missing", "GET", "/api/v1/statuses/0")
    assert missing["status"]["code"] == 404 and body_of(missing) == {"error": "Not Found"}
    replay.queue("GET", f"/api/v1/statuses/{body_of(present)['id']}", present)
    replay.queue("GET", "/api/v1/statuses/0", missing)
    assert MastodonConnector(account).deleted([body_of(present)["id"], "0"]) == ["0"]
    assert [r["path"] for r in replay.requests] == [
        "/api/v1/statuses",
        f"/api/v1/statuses/{body_of(present)['id']}",
        "/api/v1/statuses/0",
    ]

"""Build deploy/Dockerfile without Docker, in chroots of a Debian root file system, then start the
image's command as its user and run its health check: for machines where no container can be
built (no Docker daemon, or no registry to pull the base image from).

    debootstrap --variant=minbase bookworm /srv/rootfs http://deb.debian.org/debian
    sudo python3 scripts/dockerfile_in_chroot.py --rootfs /srv/rootfs --work /srv/image \
        --env DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch

Each stage starts from a copy of --rootfs (the `debian:bookworm-slim` the Dockerfile names, made
locally); RUN, COPY (also --from a stage), ENV, USER and WORKDIR are carried out as Docker would,
the network is the host's. Then the last stage's CMD runs as its USER with its ENV (plus --env),
and the HEALTHCHECK command must succeed within --seconds. Needs root (chroot, mount).
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def instructions(text: str):
    text = re.sub(r"\\\n", " ", text)
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            yield word.upper(), rest.strip()


def expand(value: str, env: dict) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


def parse_env(rest: str, env: dict) -> dict:
    out = {}
    for item in shlex.split(rest):
        key, _, value = item.partition("=")
        out[key] = expand(value, {**env, **out})
    return out


def as_command(rest: str) -> list[str]:
    if rest.startswith("["):
        import json

        return json.loads(rest)
    return ["/bin/sh", "-c", rest]


class Stage:
    def __init__(self, name: str, rootfs: Path, work: Path, ca_bundle: Path | None):
        self.name, self.dir = name, work / name
        if self.dir.exists():
            shutil.rmtree(self.dir)
        print(f"== stage {name}: copying {rootfs}", flush=True)
        subprocess.run(["cp", "-a", str(rootfs), str(self.dir)], check=True)
        shutil.copy("/etc/resolv.conf", self.dir / "etc/resolv.conf")
        self.env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/root",
            "DEBIAN_FRONTEND": "noninteractive",
        }
        if ca_bundle:
            shutil.copy(ca_bundle, self.dir / "etc/host-ca.crt")
            self.env.update(PIP_CERT="/etc/host-ca.crt")
        self.user, self.workdir, self.cmd, self.entrypoint, self.health = "0", "/", [], [], []

    def run(
        self,
        command: list[str],
        *,
        user: str | None = None,
        extra_env: dict | None = None,
        background=False,
    ):
        user = user if user is not None else "0"
        uid, _, gid = user.partition(":")
        env = {**self.env, **(extra_env or {})}
        wrapped = [
            "chroot",
            f"--userspec={uid}:{gid or uid}",
            str(self.dir),
            "/usr/bin/env",
            "-i",
            *(f"{k}={v}" for k, v in env.items()),
            "/bin/sh",
            "-c",
            f'cd {shlex.quote(self.workdir)} && exec "$@"',
            "sh",
            *command,
        ]
        if background:
            return subprocess.Popen(wrapped, start_new_session=True)
        print(f"[{self.name}] $ {' '.join(command)}", flush=True)
        subprocess.run(wrapped, check=True)

    def copy(self, sources: list[str], dest: str, base: Path) -> None:
        target = self.dir / dest.lstrip("/")
        for src in sources:
            path = base / src.lstrip("/")
            if dest.endswith("/") or len(sources) > 1:
                target.mkdir(parents=True, exist_ok=True)
                into = target / path.name
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                into = target
            if path.is_dir():
                shutil.copytree(
                    path,
                    into,
                    dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
            else:
                shutil.copy2(path, into)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rootfs", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--dockerfile", type=Path, default=ROOT / "deploy" / "Dockerfile")
    parser.add_argument(
        "--env", action="append", default=[], help="KEY=VALUE for the started container"
    )
    parser.add_argument(
        "--ca-bundle", type=Path, help="the host's CA bundle, for a registry behind a TLS proxy"
    )
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    stages: dict[str, Stage] = {}
    args_env: dict[str, str] = {}
    stage = None
    mounts = []
    try:
        for word, rest in instructions(args.dockerfile.read_text()):
            if word == "ARG":
                key, _, value = rest.partition("=")
                args_env[key] = value
            elif word == "FROM":
                parts = rest.split()
                name = (
                    parts[2]
                    if len(parts) > 2 and parts[1].upper() == "AS"
                    else f"stage{len(stages)}"
                )
                stage = stages[name] = Stage(name, args.rootfs, args.work, args.ca_bundle)
                (stage.dir / "proc").mkdir(exist_ok=True)
                subprocess.run(
                    ["mount", "-t", "proc", "proc", str(stage.dir / "proc")], check=True
                )
                mounts.append(stage.dir / "proc")
            elif word == "RUN":
                stage.run(
                    as_command(expand(rest, {**args_env, **stage.env}))
                    if rest.startswith("[")
                    else ["/bin/sh", "-c", rest],
                    user=stage.user,
                )
            elif word == "COPY":
                parts = shlex.split(rest)
                if parts[0].startswith("--from="):
                    source = stages[parts[0].split("=", 1)[1]]
                    stage.copy(parts[1:-1], parts[-1], source.dir)
                else:
                    stage.copy(parts[:-1], parts[-1], ROOT)
            elif word == "ENV":
                stage.env.update(parse_env(rest, stage.env))
            elif word == "USER":
                stage.user = rest
            elif word == "WORKDIR":
                stage.workdir = rest
                (stage.dir / rest.lstrip("/")).mkdir(parents=True, exist_ok=True)
            elif word == "CMD":
                stage.cmd = as_command(rest)
            elif word == "ENTRYPOINT":
                stage.entrypoint = as_command(rest)
            elif word == "HEALTHCHECK":
                stage.health = as_command(rest.split(" CMD ", 1)[1])
        extra = dict(item.split("=", 1) for item in args.env)
        print(f"== start {' '.join(stage.entrypoint + stage.cmd)} as {stage.user}", flush=True)
        proc = stage.run(
            stage.entrypoint + stage.cmd, user=stage.user, extra_env=extra, background=True
        )
        try:
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    print(f"the command exited with {proc.returncode}", file=sys.stderr)
                    return 1
                try:
                    stage.run(stage.health, user=stage.user, extra_env=extra)
                    print("== health check passed", flush=True)
                    who = subprocess.run(
                        ["ps", "-o", "user=,args=", "--ppid", str(proc.pid), "-p", str(proc.pid)],
                        capture_output=True,
                        text=True,
                    ).stdout
                    print(who, flush=True)
                    return 0
                except subprocess.CalledProcessError:
                    time.sleep(2)
            print("the health check did not pass in time", file=sys.stderr)
            return 1
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
                proc.wait(timeout=30)
    finally:
        for m in mounts:
            subprocess.run(["umount", "-l", str(m)])


if __name__ == "__main__":
    sys.exit(main())

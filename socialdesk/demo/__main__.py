"""`python -m socialdesk.demo`: set up and run the whole product locally, Ctrl-C stops it all.

Runs: the Twitter/X, Google Play and Mastodon simulators with their traffic generators, the web
server, the task worker and the scheduler, all on the embedded SQLite database in ./var (unless DATABASE_URL says otherwise).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from socialdesk.demo.logins import DEMO_USERS, ROLE_LABELS


def _free_port(preferred: int) -> int:
    for port in range(preferred, preferred + 50):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"No free port between {preferred} and {preferred + 49}.")


def _wait_for(url: str, seconds: float, procs) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.3)
    return False


def main() -> int:
    py = sys.executable
    web_port = _free_port(int(os.environ.get("SOCIALDESK_DEMO_PORT", 8000)))
    sim_port = _free_port(int(os.environ.get("SOCIALDESK_DEMO_SIMULATOR_PORT", 8701)))
    play_port = _free_port(int(os.environ.get("SOCIALDESK_DEMO_GOOGLE_PLAY_PORT", sim_port + 1)))
    mastodon_port = _free_port(int(os.environ.get("SOCIALDESK_DEMO_MASTODON_PORT", play_port + 1)))
    sim_base = f"http://127.0.0.1:{sim_port}"
    play_base = f"http://127.0.0.1:{play_port}"
    mastodon_base = f"http://127.0.0.1:{mastodon_port}"
    env = dict(
        os.environ,
        SOCIALDESK_TWITTER_API_BASE=sim_base,
        SOCIALDESK_GOOGLE_PLAY_API_BASE=play_base,
        SOCIALDESK_MASTODON_API_BASE=mastodon_base,
        DJANGO_SETTINGS_MODULE="socialdesk.settings",
    )
    # Connecting accounts on /manage/accounts/ goes through the simulators' own sign-in pages:
    # the desk is the X simulator's OAuth client, and Google Play keys sign in at its simulator.
    env.setdefault("SOCIALDESK_PUBLIC_URL", f"http://127.0.0.1:{web_port}")
    env.setdefault("SOCIALDESK_TWITTER_CLIENT_ID", "sim-client-id")
    env.setdefault("SOCIALDESK_TWITTER_CLIENT_SECRET", "sim-client-secret")
    env.setdefault("SOCIALDESK_GOOGLE_TOKEN_URI", f"{play_base}/token")
    # The demo's logins work without a phone; anyone can turn two-factor sign-in on in My settings.
    env.setdefault("SOCIALDESK_TWO_FACTOR_ROLES", "")
    env.setdefault("SOCIALDESK_POLL_SECONDS", "5")
    # The simulator has no quota to save: read the reviews as often as the rest.
    env.setdefault("SOCIALDESK_GOOGLE_PLAY_MIN_POLL_SECONDS", "5")
    # Customers of the simulated X delete a tweet now and then: notice it within a minute.
    env.setdefault("SOCIALDESK_DELETED_CHECK_SECONDS", "60")
    manage = [py, "-m", "socialdesk.cli"]

    print("Setting up the database and the demo configuration…", flush=True)
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True)
    subprocess.run([*manage, "load_demo"], env=env, check=True, stdout=subprocess.DEVNULL)

    rate = os.environ.get("SOCIALDESK_DEMO_RATE", "12")
    commands = {
        "simulator": [
            py,
            "-m",
            "simulators.twitter",
            "--host",
            "127.0.0.1",
            "--port",
            str(sim_port),
            "--rate",
            rate,
        ],
        "Google Play simulator": [
            py,
            "-m",
            "simulators.google_play",
            "--host",
            "127.0.0.1",
            "--port",
            str(play_port),
            "--rate",
            os.environ.get("SOCIALDESK_DEMO_GOOGLE_PLAY_RATE", "4"),
            "--initial",
            "8",
        ],
        "Mastodon simulator": [
            py,
            "-m",
            "simulators.mastodon",
            "--host",
            "127.0.0.1",
            "--port",
            str(mastodon_port),
            "--rate",
            os.environ.get("SOCIALDESK_DEMO_MASTODON_RATE", "3"),
            "--initial",
            "3",
        ],
        "web": [
            py,
            "-m",
            "waitress",
            "--listen",
            f"127.0.0.1:{web_port}",
            "--threads",
            "8",
            "socialdesk.wsgi:application",
        ],
        "worker": [*manage, "db_worker", "--interval", "0.5"],
        "scheduler": [*manage, "scheduler"],
    }
    procs = {}
    try:
        for name, cmd in commands.items():
            procs[name] = subprocess.Popen(cmd, env=env, start_new_session=True)
        return _supervise(
            procs,
            web_port,
            {"Twitter/X": sim_base, "Google Play": play_base, "Mastodon": mastodon_base},
        )
    finally:
        _stop_all(procs)


def _stop_all(procs) -> None:
    for p in procs.values():
        if p.poll() is None:
            p.terminate()
    for p in procs.values():
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def _supervise(procs, web_port: int, simulators: dict[str, str]) -> int:
    # SIGTERM ends the demo like Ctrl-C does; `main` stops the children on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    url = f"http://127.0.0.1:{web_port}/"
    if not _wait_for(url + "login/", 60, list(procs.values())):
        print("The demo did not start: see the messages above.", file=sys.stderr)
        return 1
    lines = [
        "",
        "Socialdesk demo is running.",
        f"  Open {url}",
        *(f"  {name + ' simulator:':<22} {base}/_sim/state" for name, base in simulators.items()),
        "  (mentions, reviews and toots arrive every few seconds)",
        "  Logins:",
        *(
            f"    {ROLE_LABELS[role]:<18} {username} / {password}"
            for username, password, role, _ in DEMO_USERS
        ),
        "  Two-factor sign-in is optional in the demo (My settings); in production community managers and admins need it.",
        "  Emails (password resets, applications at /apply/) are printed below, as they are sent.",
        "  Press Ctrl-C to stop everything.",
        "",
    ]
    print("\n".join(lines), flush=True)
    try:
        while True:
            for name, p in procs.items():
                if p.poll() is not None:
                    print(
                        f"The {name} process stopped (exit {p.returncode}); stopping the demo.",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

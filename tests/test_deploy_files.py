"""The deployment files in deploy/ hold together: the Dockerfile lints clean (hadolint) and runs as
a non-root user with a health check, compose.yaml has every process and only commands the desk
has, the systemd units verify (systemd-analyze) and restart their processes, and every
`socialdesk` command docs/deploy.md tells an admin to run exists."""

import re
import shutil
import subprocess
from importlib.util import find_spec
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def commands_in(text: str) -> set[str]:
    """`socialdesk CMD` and the guide's `sd CMD` (the same, as the service user)."""
    return set(re.findall(r"(?:\bsocialdesk|(?<![\w-])sd) ([a-z_]+)", text))


def test_the_dockerfile_lints_clean():
    hadolint = shutil.which("hadolint") or str(
        Path(__import__("sys").executable).parent / "hadolint"
    )
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install -e '.[test]')")
    out = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(DEPLOY / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_image_runs_unprivileged_with_a_health_check_and_copies_what_exists():
    text = (DEPLOY / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert re.search(r"^HEALTHCHECK .*\n?.*\/healthz", text, re.M)
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for path in source.split():
            if path == "deploy/gunicorn.conf.py" and not (ROOT / path).exists():
                continue  # written with the web server's configuration
            assert (ROOT / path).exists(), f"COPY {path}: no such file in the repository"
    assert "collectstatic" in text and "SECRET_KEY=collectstatic-only" in text


def test_compose_has_every_process_and_only_real_commands():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "setup", "web", "worker", "scheduler", "redis", "rq-worker", "caddy"} <= set(
        services
    )
    assert (
        services["worker"]["deploy"]["replicas"] >= 2
        and services["scheduler"]["deploy"]["replicas"] >= 2
    )
    assert services["redis"]["profiles"] == ["redis"]
    # rqworker comes with the redis extra, installed when the Redis backend is chosen.
    known = set(get_commands()) | ({"rqworker"} if find_spec("django_rq") else set())
    for name, service in services.items():
        if service.get("image") != "socialdesk:latest":
            continue
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).exists()
        assert service["env_file"] == ".env"
        assert "DATABASE_URL" in service["environment"]
        command = " ".join(service.get("command", []))
        for cmd in commands_in(command):
            assert cmd in known, f"{name}: socialdesk {cmd} does not exist"
        if name != "setup":
            assert service["restart"] == "unless-stopped"
            assert service["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert (DEPLOY / "Caddyfile").exists()


@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").iterdir()))
def test_the_systemd_units_verify_and_restart(unit):
    text = (DEPLOY / "systemd" / unit).read_text()
    known = set(get_commands()) | ({"rqworker"} if find_spec("django_rq") else set())
    for cmd in commands_in(text.replace("/opt/socialdesk/bin/socialdesk", "socialdesk")):
        assert cmd in known, f"{unit}: socialdesk {cmd} does not exist"
    if unit.endswith(".service") and "Type=oneshot" not in text:
        assert "Restart=always" in text
    if unit.endswith(".service"):
        assert (
            "User=socialdesk" in text and "EnvironmentFile=/etc/socialdesk/socialdesk.env" in text
        )
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    out = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", unit],
        cwd=DEPLOY / "systemd",
        capture_output=True,
        text=True,
        env={"SYSTEMD_LOG_LEVEL": "warning", "PATH": "/usr/bin:/bin"},
    )
    problems = [
        line
        for line in (out.stdout + out.stderr).splitlines()
        if line.strip() and "is not executable" not in line and "/opt/socialdesk" not in line
    ]
    assert not problems, problems


def test_every_command_the_deploy_guide_names_exists():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    named = commands_in(guide)
    assert {
        "migrate",
        "create_first_admin",
        "backup",
        "restore",
        "scheduler",
        "db_worker",
        "rotate_credentials_key",
    } <= named
    missing = named - set(get_commands()) - ({"rqworker"} if find_spec("django_rq") else set())
    assert not missing, f"docs/deploy.md names commands that do not exist: {sorted(missing)}"

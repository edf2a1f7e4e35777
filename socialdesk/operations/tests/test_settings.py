"""Production settings come from the environment, and `check --deploy` passes with the documented ones."""

import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.test import Client

from socialdesk.settings import default_data_dir

ROOT = Path(__file__).resolve().parents[3]
ENV_EXAMPLE = ROOT / "deploy" / "socialdesk.env.example"


def documented_env(tmp_path: Path) -> dict[str, str]:
    """deploy/socialdesk.env.example with its "change-me"s filled in, on SQLite in a temporary folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOCIALDESK_", "DJANGO_", "SECURE_"))
    }
    env.pop("DATABASE_URL", None)
    env.pop("DEBUG", None)
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value.replace("change-me", secrets.token_urlsafe(40))
    env.pop("DATABASE_URL")  # the check needs no database server
    env["SOCIALDESK_DATA_DIR"] = str(tmp_path / "data")
    env["DJANGO_SETTINGS_MODULE"] = "socialdesk.settings"
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "socialdesk.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_passes_with_the_documented_production_settings(tmp_path):
    env = documented_env(tmp_path)
    before = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    # Until the static files are collected, the check says so.
    assert before.returncode != 0 and "socialdesk.W001" in before.stderr, before.stderr
    assert manage(env, "collectstatic", "--no-input", "-v0").returncode == 0
    after = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert after.returncode == 0, after.stdout + after.stderr
    assert "no issues" in after.stdout


def test_the_defaults_are_what_check_deploy_warns_about(tmp_path):
    env = documented_env(tmp_path)
    env.pop("SOCIALDESK_HTTPS")
    out = manage(env, "check", "--deploy")
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in out.stderr


def test_a_wrong_boolean_is_refused_with_the_variable_named(tmp_path):
    env = documented_env(tmp_path)
    env["SOCIALDESK_HTTPS"] = "maybe"
    out = manage(env, "check")
    assert out.returncode != 0
    assert (
        "SOCIALDESK_HTTPS='maybe'" in out.stderr
        and "Traceback" not in out.stderr.split("ImproperlyConfigured")[-1]
    )


def test_production_settings_read_from_the_environment(tmp_path):
    env = documented_env(tmp_path)
    code = (
        "from django.conf import settings as s; import json; print(json.dumps({"
        "'ssl': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS, 'sub': s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        "'cookies': [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE], 'proxy': s.SECURE_PROXY_SSL_HEADER,"
        "'email': [s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS],"
        "'static': s.STORAGES['staticfiles']['BACKEND'], 'demo': 'socialdesk.demo' in s.INSTALLED_APPS,"
        "'data': str(s.DATA_DIR)}))"
    )
    env["SOCIALDESK_DEMO"] = "false"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(out.stdout)
    assert got["ssl"] and got["hsts"] == 31536000 and got["sub"] and got["cookies"] == [True, True]
    assert got["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert got["email"] == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        587,
        "desk@example.org",
        True,
    ]
    assert got["static"] == "socialdesk.operations.staticfiles.HashedStaticFilesStorage"
    assert got["demo"] is False
    assert got["data"] == str(tmp_path / "data")


def test_an_installed_package_keeps_its_data_outside_site_packages(tmp_path, monkeypatch):
    site = tmp_path / "lib" / "python3.11" / "site-packages" / "socialdesk"
    site.mkdir(parents=True)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert default_data_dir(site) == tmp_path / "share" / "socialdesk"
    # A source checkout keeps ./var beside pyproject.toml.
    assert default_data_dir(ROOT / "socialdesk") == ROOT / "var"


def test_collected_static_files_are_served_under_hashed_names(tmp_path, settings, client, db):
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "socialdesk.operations.staticfiles.HashedStaticFilesStorage"},
    }
    # Not collected yet: the plain name (served from the app), not an error.
    assert staticfiles_storage.url("socialdesk/desk.css").endswith("/socialdesk/desk.css")
    call_command("collectstatic", "--no-input", verbosity=0)
    settings.STORAGES = dict(settings.STORAGES)  # reload the manifest
    url = staticfiles_storage.url("socialdesk/desk.css")
    assert (
        url != "/static/socialdesk/desk.css"
        and url.startswith("/static/socialdesk/desk.")
        and url.endswith(".css")
    )
    page = client.get("/login/")
    assert url in page.content.decode()


def test_every_answer_carries_a_request_id_and_logs_say_it(db, caplog):
    client = Client()
    given = client.get("/login/", HTTP_X_REQUEST_ID="lb-1234")
    assert given["X-Request-ID"] == "lb-1234"
    made = client.get("/login/", HTTP_X_REQUEST_ID="not a valid id\n")
    assert made["X-Request-ID"] != "not a valid id\n" and len(made["X-Request-ID"]) == 32


def test_json_logs_carry_the_request_id(tmp_path):
    env = documented_env(tmp_path)
    env["LOG_FORMAT"] = "json"
    code = (
        "import django, logging; django.setup();"
        "from socialdesk.operations import logging as oplog;"
        "oplog.request_id.set('req-1'); logging.getLogger('socialdesk').warning('hello %s', 'there')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    line = json.loads(out.stderr.strip().splitlines()[-1])
    assert (
        line["message"] == "hello there"
        and line["request_id"] == "req-1"
        and line["level"] == "WARNING"
    )
    assert "task_id" in line and "time" in line


def test_task_ids_are_in_the_log_records_while_a_task_runs(db, caplog):
    from django_tasks import task

    from socialdesk.operations import logging as oplog

    caplog.set_level(logging.INFO)
    record = logging.LogRecord("x", logging.INFO, "", 0, "m", None, None)
    oplog.task_id.set("t-1")
    try:
        assert oplog.ContextFilter().filter(record) and record.task_id == "t-1"
    finally:
        oplog.task_id.set(None)
    assert task  # the signal receivers are connected by the app


def test_attachment_storage_is_read_from_the_environment(tmp_path):
    env = documented_env(tmp_path)
    env.update(SOCIALDESK_STORAGE="s3")
    out = manage(env, "check")
    assert out.returncode != 0 and "needs SOCIALDESK_S3_BUCKET" in out.stderr
    env.update(SOCIALDESK_STORAGE="ftp")
    out = manage(env, "check")
    assert out.returncode != 0 and "SOCIALDESK_STORAGE='ftp'" in out.stderr
    env.update(
        SOCIALDESK_STORAGE="s3",
        SOCIALDESK_S3_BUCKET="desk-media",
        SOCIALDESK_S3_ENDPOINT_URL="https://minio.example.org",
        SOCIALDESK_S3_LINK_SECONDS="60",
    )
    code = (
        "import django, json; django.setup(); from django.core.files.storage import default_storage as d;"
        "print(json.dumps([type(d._wrapped if d._wrapped is not None else d).__name__, d.bucket_name,"
        " d.endpoint_url, d.querystring_auth, d.querystring_expire, d.file_overwrite]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[1:] == [
        "desk-media",
        "https://minio.example.org",
        True,
        60,
        False,
    ]
    assert manage(env, "check", "--deploy").returncode == 0

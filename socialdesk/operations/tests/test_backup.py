"""A backup taken from a running instance restores into an empty database: the same conversations,
the same media, and the credentials readable with the keys the archive carries."""

import json
import os
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from socialdesk.actions.inbound import ingest
from socialdesk.brands.models import BrandAccount
from socialdesk.connectors.base import InboundAuthor, InboundMessage
from socialdesk.conversations.models import Conversation

ROOT = Path(__file__).resolve().parents[3]

DUMP = """
import django, json; django.setup()
from pathlib import Path
from django.conf import settings
from socialdesk.brands.models import BrandAccount
from socialdesk.conversations.models import Conversation
print(json.dumps({
    "conversations": [[c.pk, c.status, c.author.handle, [m.text for m in c.messages.order_by("pk")]] for c in Conversation.objects.order_by("pk")],
    "credentials": {a.handle: a.credentials for a in BrandAccount.objects.order_by("handle")},
    "media": sorted(p.relative_to(settings.MEDIA_ROOT).as_posix() for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()),
}))
"""


def snapshot_here() -> dict:
    return {
        "conversations": [
            [c.pk, c.status, c.author.handle, [m.text for m in c.messages.order_by("pk")]]
            for c in Conversation.objects.order_by("pk")
        ],
        "credentials": {a.handle: a.credentials for a in BrandAccount.objects.order_by("handle")},
    }


@pytest.fixture
def target(tmp_path):
    """The environment of a new, empty instance: another data folder, another SECRET_KEY, and on
    PostgreSQL a new database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOCIALDESK_", "SECRET_KEY"))}
    env.update(
        SOCIALDESK_DATA_DIR=str(tmp_path / "restored"),
        SECRET_KEY="another instance's secret key " * 2,
        DJANGO_SETTINGS_MODULE="socialdesk.settings",
    )
    env.pop("DATABASE_URL", None)
    dbname = None
    if connection.vendor == "postgresql":
        import psycopg

        s = connection.settings_dict
        dbname = f"{s['NAME']}_restore"
        conninfo = dict(
            host=s["HOST"] or "localhost",
            port=s["PORT"] or 5432,
            user=s["USER"],
            password=s["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        )
        with psycopg.connect(**conninfo) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            admin.execute(f'CREATE DATABASE "{dbname}"')
        password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
        env["DATABASE_URL"] = (
            f"postgres://{s['USER']}{password}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{dbname}"
        )
    yield env
    if dbname:
        with psycopg.connect(**conninfo) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "socialdesk.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database_with_the_same_conversations_and_readable_credentials(
    tmp_path, settings, target
):
    from socialdesk.demo.seed import load_demo_configuration

    load_demo_configuration()
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "attachments").mkdir(parents=True)
    (tmp_path / "media" / "attachments" / "screenshot.png").write_bytes(b"\x89PNG not really")
    support = BrandAccount.objects.get(handle="FirefoxSupport")
    ingest(
        [
            InboundMessage(
                platform="twitter",
                platform_id=str(900 + i),
                author=InboundAuthor(external_id=str(70 + i), handle=f"customer{i}"),
                text=f"@FirefoxSupport question {i}",
                created_at=datetime(2026, 11, 30, 12, i, tzinfo=UTC),
                thread_id=str(900 + i),
                mentioned_account_ids=(support.external_id,),
            )
            for i in range(3)
        ],
        apply_filters=False,
    )
    before = snapshot_here()
    assert len(before["conversations"]) == 3 and before["credentials"]["FirefoxSupport"].get(
        "access_token"
    )

    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive))
    assert archive.stat().st_mode & 0o777 == 0o600
    names = tarfile.open(archive).getnames()
    assert {"manifest.json", "keys.env", "media/attachments/screenshot.png"} <= set(names)

    restored = manage(target, "restore", str(archive), "--keys-out", str(tmp_path / "keys.env"))
    assert restored.returncode == 0, restored.stderr
    # Another SECRET_KEY: the credentials wait for the keys, and the command says so.
    assert "credentials no configured key opens" in restored.stderr
    key_line = (tmp_path / "keys.env").read_text().strip()
    assert (tmp_path / "keys.env").stat().st_mode & 0o777 == 0o600
    target["SOCIALDESK_CREDENTIALS_KEY"] = key_line.split("=", 1)[1]
    out = subprocess.run(
        [sys.executable, "-c", DUMP],
        env=target,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    after = json.loads(out.stdout)
    assert after["conversations"] == before["conversations"]
    assert after["credentials"] == before["credentials"]
    assert after["media"] == ["attachments/screenshot.png"]
    # A second restore onto the now full database is refused.
    again = manage(target, "restore", str(archive))
    assert again.returncode != 0 and "The database is not empty" in again.stderr


def test_restore_refuses_what_is_not_a_backup(tmp_path, db):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar")
    with pytest.raises(CommandError, match="is not a Socialdesk backup"):
        call_command("restore", str(junk))
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "missing.tar.gz"))


@pytest.mark.django_db(transaction=True)
def test_media_in_a_bucket_are_backed_up_and_restored_into_the_new_instances_bucket(
    tmp_path, s3_storage, target
):
    """SOCIALDESK_STORAGE=s3: the archive carries the bucket's objects, and the restore writes
    them, under the same names, to the bucket the restoring instance is configured with."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    s3, bucket, env = s3_storage
    names = [
        default_storage.save("attachments/2026/11/a.png", ContentFile(b"\x89PNG one")),
        default_storage.save("attachments/2026/12/b.mp4", ContentFile(b"\x00\x00 two")),
    ]
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive))
    with tarfile.open(archive) as tar:
        assert {f"media/{n}" for n in names} <= set(tar.getnames())
        assert tar.extractfile("media/attachments/2026/11/a.png").read() == b"\x89PNG one"

    restored_bucket = f"{bucket[:50]}-restored"
    s3.create_bucket(Bucket=restored_bucket)
    target.update(env, SOCIALDESK_S3_BUCKET=restored_bucket)
    done = manage(target, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    listed = s3.list_objects_v2(Bucket=restored_bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(names)
    body = s3.get_object(Bucket=restored_bucket, Key="attachments/2026/12/b.mp4")
    assert body["Body"].read() == b"\x00\x00 two" and body["ContentType"] == "video/mp4"
    assert not (tmp_path / "restored" / "media").exists()

"""Backups: the database, the media and the credentials keys in one archive, and back.

The archive (a .tar.gz, written readable by its owner only) holds:
- `database.pgdump` (PostgreSQL: `pg_dump --format=custom`, a consistent snapshot of a running
  instance) or `database.sqlite3` (SQLite's online backup);
- `media/`, the uploaded attachments, read through `default_storage`: the local media folder or
  the S3-compatible bucket, whichever the desk uses (restored the same way);
- `keys.env`, SOCIALDESK_CREDENTIALS_KEY with every key that opens the stored credentials (left
  out with `--without-keys`: then keep the keys apart, e.g. in a password manager);
- `manifest.json`: when, which database engine, the migrations applied, what is inside.
"""

import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from socialdesk.brands.models import BrandAccount
from socialdesk.brands.secrets import key_list

FORMAT = 1


class BackupError(Exception):
    """What went wrong, in words for the operator."""


def _pg_env(db: dict) -> tuple[list[str], dict]:
    args = [
        "--host",
        db.get("HOST") or "localhost",
        "--port",
        str(db.get("PORT") or 5432),
        "--username",
        db.get("USER") or "postgres",
    ]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(cmd: list[str], env: dict) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(
            f"{cmd[0]} is not installed (Debian: apt-get install postgresql-client)."
        ) from None
    if done.returncode:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip()}")


def _media_names(directory: str = ""):
    """Every file's name in the media storage (the local folder or the bucket), walked through
    the storage's own listing."""
    try:
        folders, files = default_storage.listdir(directory)
    except FileNotFoundError:  # no media folder yet
        return
    for name in files:
        yield f"{directory}/{name}" if directory else name
    for folder in folders:
        yield from _media_names(f"{directory}/{folder}" if directory else folder)


def _engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def create(path: Path, *, with_keys: bool = True) -> dict:
    """Write a backup of this instance to `path`; its manifest."""

    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        engine = _engine()
        if engine == "postgresql":
            db = settings.DATABASES["default"]
            args, env = _pg_env(db)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    *args,
                    "--file",
                    str(tmp / "database.pgdump"),
                    db["NAME"],
                ],
                env,
            )
            database = "database.pgdump"
        else:
            connection.ensure_connection()
            target = sqlite3.connect(tmp / "database.sqlite3")
            try:
                connection.connection.backup(target)
            finally:
                target.close()
            database = "database.sqlite3"
        files = sorted(_media_names())
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "engine": engine,
            "database": database,
            "media_files": len(files),
            "keys": with_keys,
            "migrations": sorted(
                f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
            ),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        if with_keys:
            (tmp / "keys.env").write_text(f"SOCIALDESK_CREDENTIALS_KEY={','.join(key_list())}\n")
        partial = path.with_name(path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(tmp / "manifest.json", arcname="manifest.json")
            tar.add(tmp / database, arcname=database)
            if with_keys:
                tar.add(tmp / "keys.env", arcname="keys.env")
            for name in files:
                with default_storage.open(name, "rb") as f:
                    info = tarfile.TarInfo(f"media/{name}")
                    info.size = default_storage.size(name)
                    info.mode = 0o600
                    tar.addfile(info, f)
        partial.replace(path)
    return manifest


def _database_is_empty() -> bool:
    return (
        "django_migrations" not in connection.introspection.table_names()
        or not MigrationRecorder(connection).applied_migrations()
    )


def restore(path: Path, *, keys_out: Path | None = None) -> dict:
    """Restore a backup into this instance's database, which must be empty, and its media storage."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        try:
            with tarfile.open(path, "r:gz") as tar:
                tar.extractall(tmp, filter="data")
            manifest = json.loads((tmp / "manifest.json").read_text())
        except (tarfile.TarError, OSError, ValueError) as exc:
            raise BackupError(f"{path} is not a Socialdesk backup: {exc}") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(
                f"{path}: backup format {manifest.get('format')!r}, this version reads {FORMAT}."
            )
        engine = _engine()
        if manifest["engine"] != engine:
            raise BackupError(
                f"The backup is of a {manifest['engine']} database and this instance uses {engine}: "
                "restore it on the same kind of database."
            )
        if not _database_is_empty():
            raise BackupError(
                "The database is not empty: restore into a new, empty database (then point DATABASE_URL at it)."
            )
        if engine == "postgresql":
            db = settings.DATABASES["default"]
            args, env = _pg_env(db)
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    *args,
                    "--dbname",
                    db["NAME"],
                    str(tmp / manifest["database"]),
                ],
                env,
            )
        else:
            source = sqlite3.connect(tmp / manifest["database"])
            try:
                connection.ensure_connection()
                source.backup(connection.connection)
            finally:
                source.close()
        media = tmp / "media"
        for f in sorted(p for p in media.rglob("*") if p.is_file()):
            name = f.relative_to(media).as_posix()
            # The same name as before (the database refers to it), replacing what is there.
            if default_storage.exists(name):
                default_storage.delete(name)
            with f.open("rb") as content:
                saved = default_storage.save(name, File(content, name=name))
            if saved != name:
                raise BackupError(f"media/{name} was stored as {saved}: check the media storage.")
        if keys_out and (tmp / "keys.env").exists():
            fd = os.open(keys_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write((tmp / "keys.env").read_text())
        manifest["keys_in_archive"] = (tmp / "keys.env").exists()
    return manifest


def unreadable_credentials() -> int:
    """How many brand accounts' credentials no configured key opens (after a restore: keys missing)."""

    return sum(
        1
        for c in BrandAccount.objects.values_list("credentials", flat=True)
        if isinstance(c, dict) and c.get("_unreadable")
    )

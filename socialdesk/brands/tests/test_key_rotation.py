"""Several credentials keys: the newest encrypts, all decrypt; rotation re-encrypts with the newest."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from socialdesk.brands.models import BrandAccount


def stored(handle: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM brands_brandaccount WHERE handle = %s", [handle])
        return cursor.fetchone()[0]


@pytest.fixture
def old_key(settings, demo):
    accounts = list(BrandAccount.objects.all())  # read with the key they were stored with
    settings.SOCIALDESK_CREDENTIALS_KEY = "an old passphrase"
    for account in accounts:
        account.save(update_fields=["credentials"])
    return "an old passphrase"


def test_a_new_key_in_front_reads_the_old_ones_and_rotation_moves_everything_to_it(
    settings, old_key, capsys
):
    before = {a.pk: a.credentials for a in BrandAccount.objects.all()}
    assert before and all(c and not c.get("_unreadable") for c in before.values())
    new = Fernet.generate_key().decode()
    settings.SOCIALDESK_CREDENTIALS_KEY = f"{new},{old_key}"
    assert {a.pk: a.credentials for a in BrandAccount.objects.all()} == before  # all decrypt
    call_command("rotate_credentials_key")
    assert (
        f"{len(before)} re-encrypted, 0 already on the newest key, 0 unreadable"
        in capsys.readouterr().out
    )
    # The old key can go: everything opens with the new one alone.
    settings.SOCIALDESK_CREDENTIALS_KEY = new
    assert {a.pk: a.credentials for a in BrandAccount.objects.all()} == before
    call_command("rotate_credentials_key")
    assert f"0 re-encrypted, {len(before)} already on the newest key" in capsys.readouterr().out


def test_the_newest_key_encrypts(settings, old_key):
    new = Fernet.generate_key().decode()
    settings.SOCIALDESK_CREDENTIALS_KEY = f"{new},{old_key}"
    BrandAccount.objects.filter(handle="FirefoxSupport").update(
        credentials={"bearer_token": "fresh"}
    )
    token = stored("FirefoxSupport").removeprefix("fernet:")
    assert Fernet(new.encode()).decrypt(token.encode()) == b'{"bearer_token": "fresh"}'


def test_a_dry_run_changes_nothing(settings, old_key, capsys):
    raw = stored("FirefoxSupport")
    settings.SOCIALDESK_CREDENTIALS_KEY = f"{Fernet.generate_key().decode()},{old_key}"
    call_command("rotate_credentials_key", "--dry-run")
    assert "would be re-encrypted" in capsys.readouterr().out
    assert stored("FirefoxSupport") == raw


def test_credentials_no_key_opens_are_reported_and_left_alone(settings, old_key):
    raw = stored("FirefoxSupport")
    settings.SOCIALDESK_CREDENTIALS_KEY = Fernet.generate_key().decode()  # the old key was lost
    assert BrandAccount.objects.get(handle="FirefoxSupport").credentials == {"_unreadable": True}
    with pytest.raises(CommandError, match="open with none of the keys listed"):
        call_command("rotate_credentials_key")
    assert stored("FirefoxSupport") == raw  # not overwritten: the old key can still be added back


def test_a_changed_secret_key_keeps_credentials_readable_through_the_fallbacks(settings, demo):
    settings.SOCIALDESK_CREDENTIALS_KEY = ""
    before = BrandAccount.objects.get(handle="FirefoxSupport").credentials
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a brand new secret key " * 3
    assert BrandAccount.objects.get(handle="FirefoxSupport").credentials == {"_unreadable": True}
    settings.SECRET_KEY_FALLBACKS = [old]
    assert BrandAccount.objects.get(handle="FirefoxSupport").credentials == before
    call_command("rotate_credentials_key")
    settings.SECRET_KEY_FALLBACKS = []
    assert BrandAccount.objects.get(handle="FirefoxSupport").credentials == before


def test_generate_credentials_key_prints_a_fernet_key(capsys):
    call_command("generate_credentials_key")
    Fernet(capsys.readouterr().out.strip().encode())

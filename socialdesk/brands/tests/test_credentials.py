"""Credentials are encrypted at rest and never shown back (CH1)."""

from django.db import connection

from socialdesk.brands.models import BrandAccount


def test_credentials_are_encrypted_in_the_database_and_read_back(demo):
    BrandAccount.objects.filter(handle="FirefoxSupport").update(
        credentials={"bearer_token": "s3cret-token"}
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials FROM brands_brandaccount WHERE handle = %s", ["FirefoxSupport"]
        )
        stored = cursor.fetchone()[0]
    assert "s3cret-token" not in stored and stored.startswith("fernet:")
    assert BrandAccount.objects.get(handle="FirefoxSupport").credentials == {
        "bearer_token": "s3cret-token"
    }


def test_the_admin_takes_new_credentials_and_never_shows_them(client, agents):
    account = BrandAccount.objects.get(handle="FirefoxSupport")
    client.force_login(agents["admin"])
    page = client.get(f"/admin/brands/brandaccount/{account.pk}/change/").content.decode()
    assert "sim-token-firefoxsupport" not in page and "New credentials" in page
    data = {
        "platform": "twitter",
        "handle": "FirefoxSupport",
        "display_name": "x",
        "external_id": account.external_id,
        "kind": "support",
        "locale": "en",
        "supported_languages": '["en"]',
        "active": "on",
        "can_reply": "on",
        "can_like": "on",
        "retweet_policy": "cm_only",
        "new_credentials": '{"bearer_token": "rotated"}',
        "api_base": "",
    }
    r = client.post(f"/admin/brands/brandaccount/{account.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert BrandAccount.objects.get(pk=account.pk).credentials == {"bearer_token": "rotated"}
    assert (
        "rotated"
        not in client.get(f"/admin/brands/brandaccount/{account.pk}/change/").content.decode()
    )

"""A person makes and revokes their own API tokens on their settings page."""

import re

from django.test import Client

from socialdesk.people.models import ApiToken


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_make_use_and_revoke_a_token(agents):
    contributor = agents["contributor"]
    client = _client(contributor)
    assert 'href="/settings/tokens/"' in client.get("/settings/").content.decode()
    r = client.post(
        "/settings/tokens/", {"op": "create", "name": "my script", "scope": "read", "days": "7"}
    )
    assert r.status_code == 201 and r["Cache-Control"] == "no-store"
    key = re.search(r'value="(sd_[^"]+)"', r.content.decode()).group(1)
    row = ApiToken.objects.get(user=contributor)
    assert row.scope == "read" and row.name == "my script"
    assert 6 * 86400 < (row.expires_at - row.created_at).total_seconds() <= 7 * 86400
    assert row.key_hash == ApiToken.hash(key) and key not in str(row.__dict__)
    api = Client()
    assert api.get("/api/v1/queues", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    # The page shows it again without the key.
    page = client.get("/settings/tokens/").content.decode()
    assert "my script" in page and key not in page
    r = client.post("/settings/tokens/", {"op": "revoke", "token": row.pk})
    assert r.status_code == 302 and not ApiToken.objects.exists()
    assert api.get("/api/v1/queues", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_nobody_revokes_another_persons_token(agents):
    theirs, _ = ApiToken.issue(agents["moderator"], "theirs")
    client = _client(agents["contributor"])
    client.post("/settings/tokens/", {"op": "revoke", "token": theirs.pk})
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
    assert "theirs" not in client.get("/settings/tokens/").content.decode()


def test_bad_input_is_explained(agents):
    client = _client(agents["contributor"])
    r = client.post("/settings/tokens/", {"op": "create", "name": "", "scope": "all", "days": "9"})
    assert r.status_code == 400
    page = r.content.decode()
    assert "This field is required" in page and "Select a valid choice" in page
    assert not ApiToken.objects.exists()
    name = "<script>alert(1)</script>"
    client.post("/settings/tokens/", {"op": "create", "name": name, "scope": "act", "days": "30"})
    assert name not in client.get("/settings/tokens/").content.decode()

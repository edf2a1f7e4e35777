"""Clippings are edited in the admin, within the same text limits as everything else."""

from socialdesk.clippings.models import Clipping


def test_an_over_long_clipping_is_refused_with_a_message(client, agents):
    client.force_login(agents["admin"])
    data = {"title": "Long", "text": "x" * 2001, "language": "en"}
    r = client.post("/admin/clippings/clipping/add/", data)
    assert r.status_code == 200 and "at most 2000 characters" in r.content.decode()
    assert not Clipping.objects.filter(title="Long").exists()
    r = client.post("/admin/clippings/clipping/add/", {**data, "text": "Hi {name}, try this."})
    assert r.status_code == 302 and Clipping.objects.filter(title="Long").exists()

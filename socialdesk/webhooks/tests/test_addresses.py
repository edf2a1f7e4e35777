"""SSRF: webhooks go only to public http(s) addresses unless the setting allows private ones."""

import pytest

from socialdesk.actions import webhooks
from socialdesk.errors import ActionError, ActionRefused
from socialdesk.outbox.models import WebhookState
from socialdesk.webhooks import addresses, services
from socialdesk.webhooks.models import WebhookSubscription


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.5/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_private_and_loopback_addresses_are_refused(url, agents, settings):
    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(addresses.Refused):
        addresses.check(url)
    with pytest.raises(ActionError) as refused:
        services.create(actor=agents["cm"], name="x", url=url, events=["conversation.closed"])
    assert refused.value.field == "url"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
        "http://user:pw@93.184.215.14/hook",
        "http:///nohost",
        "http://[::1/",
        "javascript:alert(1)",
    ],
)
def test_only_http_urls_without_credentials(url, settings):
    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = True
    with pytest.raises(addresses.Refused):
        addresses.check(url)


def test_a_public_address_is_accepted(settings):
    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = False
    addresses.check("https://93.184.215.14/hook")  # a literal public address needs no DNS


def test_an_address_that_became_private_is_refused_at_delivery(agents, settings):
    """Checked again as each delivery is sent: the setting turned off (or a name that now
    resolves inside the network) stops it, and the log says why."""
    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = True
    settings.SOCIALDESK_WEBHOOK_MAX_ATTEMPTS = 1
    subscription, _ = services.create(
        actor=agents["cm"], name="x", url="http://127.0.0.1:9/", events=["conversation.closed"]
    )
    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = False
    delivery = webhooks.send_test(subscription=subscription)
    assert webhooks.send(delivery.pk) == WebhookState.FAILED
    assert "private" in delivery.tries.get().error


def test_only_community_managers_manage_webhooks(agents, settings):
    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = True
    for role in ("contributor", "moderator"):
        with pytest.raises(ActionRefused):
            services.create(
                actor=agents[role],
                name="x",
                url="http://127.0.0.1:9/",
                events=["conversation.closed"],
            )
    assert not WebhookSubscription.objects.exists()
    services.create(
        actor=agents["admin"], name="x", url="http://127.0.0.1:9/", events=["conversation.closed"]
    )

"""The demo configuration written again from memory is the one the seed writes."""

from datetime import datetime

import pytest
from django.apps import apps

from tests import factories


def _contents():
    models = [m for m in apps.get_models(include_auto_created=True) if m._meta.app_label != "auth"]
    from django.contrib.auth import get_user_model

    models.append(get_user_model())
    return {
        m._meta.label: sorted(
            tuple(str(v) for v in row.values() if not isinstance(v, datetime))
            for row in m._base_manager.values()
        )
        for m in models
        if m._meta.managed and not m._meta.proxy
    }


@pytest.mark.django_db
def test_a_cached_demo_configuration_is_the_seeds():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from socialdesk.demo.seed import load_demo_configuration

    with transaction.atomic():
        factories.demo_configuration()  # the real load the first time, the cache after
        first = _contents()
        transaction.set_rollback(True)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            factories.demo_configuration()
        assert len(queries) < 60, "the second load came from memory, a statement a table"
        again = _contents()
        # and the seed loaded over it finds its rows there: not one more
        load_demo_configuration()
        assert {k: len(v) for k, v in _contents().items()} == {k: len(v) for k, v in again.items()}
        transaction.set_rollback(True)
    assert again == first
    assert again["brands.BrandAccount"] and again["queues.Queue"] and again["auth.User"]


@pytest.mark.django_db
def test_the_cache_steps_aside_when_the_tables_hold_other_rows():
    from socialdesk.brands.models import BrandAccount
    from socialdesk.queues.models import Queue

    factories.queue("Twitter conversations - Moderated", rules={"platforms": ["twitter"]})
    factories.demo_configuration()
    assert BrandAccount.objects.filter(handle="FirefoxSupport").exists()
    assert Queue.objects.filter(slug="twitter-conversations-moderated").count() == 1
    assert Queue.objects.filter(is_escalation=True).count() == 1


@pytest.mark.django_db
def test_the_factories_make_a_small_consistent_desk():
    from socialdesk.actions import conversation as actions
    from socialdesk.conversations.models import Activity
    from socialdesk.queues.selectors import queue_conversations

    support = factories.account("AcmeSupport")
    contributor = factories.agent("contributor")
    q = factories.queue("Acme", rules={"platforms": ["twitter"], "moderated": True})
    c = factories.conversation(support, "my bookmarks are gone")
    assert (c.account, c.respond_from, c.moderated) == (support, support, True)
    assert c.messages.get().text == "@AcmeSupport my bookmarks are gone"
    assert list(queue_conversations(queue=q)) == [c]
    assert contributor.check_password(contributor.username)
    actions.close(actor=contributor, conversation=c, reason="acknowledged")
    assert Activity.objects.filter(conversation=c, kind="closed").exists()

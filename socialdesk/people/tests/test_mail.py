"""Emails leave through a task enqueued when the change commits, and the worker sends them: a page
never waits for the mail server, and a change rolled back sends nothing."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from socialdesk.people.mail import send_later

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_sends(settings):
    """The desk's own configuration: emails on the default (database) task backend."""
    settings.SOCIALDESK_EMAIL_TASKS = "default"


def run_worker():
    call_command("db_worker", "--batch", "--interval", "0")


def test_a_password_reset_page_answers_at_once_and_the_worker_sends_the_email(
    client, agents, worker_sends
):
    r = client.post("/password-reset/", {"email": agents["contributor"].email})
    assert r.status_code == 302
    assert mail.outbox == []  # the page did not talk to the mail server: the worker will
    row = DBTaskResult.objects.get(task_path="socialdesk.people.mail.send_email")
    assert row.status == "READY"

    run_worker()
    assert [m.to for m in mail.outbox] == [[agents["contributor"].email]]
    assert "/password-reset/" in mail.outbox[0].body
    row.refresh_from_db()
    # Sent: the row keeps neither the address nor the link until it is pruned.
    assert row.status == "SUCCESSFUL" and row.args_kwargs == {"args": [], "kwargs": {}}


def test_a_change_rolled_back_sends_nothing(worker_sends):
    with pytest.raises(RuntimeError), transaction.atomic():
        send_later("Welcome", "Hello", ["lena@example.org"])
        raise RuntimeError("the change failed")
    assert not DBTaskResult.objects.exists()
    with transaction.atomic():
        send_later("Welcome\nBcc: x@example.org", "Hello", ["lena@example.org"])
    run_worker()
    assert [(m.subject, m.to) for m in mail.outbox] == [
        ("Welcome Bcc: x@example.org", ["lena@example.org"])
    ]


def test_a_mail_server_that_refuses_fails_the_task_and_keeps_it_to_look_at(settings, agents):
    settings.SOCIALDESK_EMAIL_TASKS = "default"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with transaction.atomic():
        send_later("Welcome", "Hello", ["lena@example.org"])
    run_worker()
    row = DBTaskResult.objects.get()
    assert row.status == "FAILED" and row.args_kwargs["args"][2] == ["lena@example.org"]

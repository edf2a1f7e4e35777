"""Emails leave through a task enqueued when the change commits, and the worker sends them: a page
never waits for the mail server, and a change rolled back sends nothing. A mail server that
refuses is tried again, each wait longer, and an email given up on is shown to the admins."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from socialdesk.people.mail import TASK_PATH, send_later
from socialdesk.people.models import Notification

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


def _refusing_mail_server(settings):
    settings.SOCIALDESK_EMAIL_TASKS = "default"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2


def _rows():
    return list(DBTaskResult.objects.filter(task_path=TASK_PATH).order_by("enqueued_at", "id"))


def _time_passes():
    """The next try's wait is over (the worker reads `run_after` against the clock)."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_a_refused_email_is_tried_again_later_each_wait_longer_then_shown_to_the_admins(
    settings, agents, client
):
    _refusing_mail_server(settings)
    settings.SOCIALDESK_EMAIL_RETRY_MINUTES = [1, 5]
    with transaction.atomic():
        send_later("Welcome", "Hello", ["lena@example.org"])
    run_worker()
    first, second = _rows()
    # The failed try keeps its error but not the address: the next try carries it.
    assert first.status == "FAILED" and "ConnectionRefusedError" in first.traceback
    assert first.args_kwargs == {"args": [], "kwargs": {}}
    assert second.status == "READY" and second.args_kwargs["kwargs"] == {"attempt": 2}
    assert timedelta(seconds=50) < second.run_after - first.finished_at < timedelta(seconds=70)
    assert not Notification.objects.exists()

    _time_passes()
    run_worker()
    third = _rows()[2]
    assert _rows()[1].status == "FAILED"
    assert (
        timedelta(minutes=4, seconds=50) < third.run_after - timezone.now() < timedelta(minutes=5)
    )

    _time_passes()
    run_worker()
    rows = _rows()
    assert len(rows) == 3 and [r.status for r in rows] == ["FAILED"] * 3
    # Given up: the last try keeps the address and the text for the operator…
    assert rows[2].args_kwargs["args"][2] == ["lena@example.org"]
    # …and the admins are told under the bell, not by email (the mail server is what fails).
    told = Notification.objects.get()
    assert told.user == agents["admin"] and told.kind == "email_failed"
    assert "could not be sent after 3 tries: “Welcome”" in told.text
    assert "lena@example.org" not in told.text
    assert len(_rows()) == 3  # no email about the email
    client.force_login(agents["admin"])
    page = client.get(told.url).content.decode()
    assert "Emails not sent" in page and "“Welcome”, tried 3 times" in page
    assert "ConnectionRefusedError" in page


def test_an_email_the_server_takes_on_a_later_try_is_sent_and_forgotten(settings, agents):
    _refusing_mail_server(settings)
    with transaction.atomic():
        send_later("Welcome", "Hello", ["lena@example.org"])
    run_worker()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # back up
    _time_passes()
    run_worker()
    assert [m.to for m in mail.outbox] == [["lena@example.org"]]
    assert [r.status for r in _rows()] == ["FAILED", "SUCCESSFUL"]
    assert all(r.args_kwargs == {"args": [], "kwargs": {}} for r in _rows())
    assert not Notification.objects.exists()


def test_without_new_tries_a_refused_email_fails_at_once_and_keeps_its_arguments(settings, agents):
    _refusing_mail_server(settings)
    settings.SOCIALDESK_EMAIL_RETRY_MINUTES = []
    with transaction.atomic():
        send_later("Welcome", "Hello", ["lena@example.org"])
    run_worker()
    row = DBTaskResult.objects.get()
    assert row.status == "FAILED" and row.args_kwargs["args"][2] == ["lena@example.org"]
    assert Notification.objects.get().user == agents["admin"]


def test_the_admins_failure_notice_is_never_offered_by_email(agents):
    from socialdesk.people.notifications import Kind, kinds_for

    assert Kind.EMAIL_FAILED not in kinds_for(agents["admin"])
    assert Kind.CONNECTION_FAILED in kinds_for(agents["admin"])


def test_an_email_sent_on_another_backend_ends_as_sent(agents):
    """The tests' own backend runs the task at once and keeps no database row (as Redis keeps
    none of ours): the task must not look for one, or a sent email would end as a failed task."""
    from django_tasks import task_backends
    from django_tasks.signals import task_finished

    finished = []

    def record(sender, task_result, **kwargs):
        finished.append(task_result.status)

    task_finished.connect(record)
    try:
        send_later("Welcome", "Hello", ["lena@example.org"])
    finally:
        task_finished.disconnect(record)
    assert [m.to for m in mail.outbox] == [["lena@example.org"]]
    assert [str(s) for s in finished] == ["SUCCESSFUL"]
    assert type(task_backends["email"]).__name__ == "ImmediateBackend"

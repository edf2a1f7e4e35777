"""The shell's pages: home (the agent's queues, due reminders, their Play session)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from socialdesk.actions import deal as play_services
from socialdesk.conversations.models import Reminder
from socialdesk.people.models import has_role, role_of
from socialdesk.people.settings_pages import require_cm
from socialdesk.queues.selectors import capped_count, dealable, queue_conversations, visible_queues
from socialdesk.queues.visibility import visible_conversations


@login_required
def home(request):
    queues = [
        {
            "queue": q,
            "open": capped_count(queue_conversations(queue=q).filter(status="open")),
            "to_answer": capped_count(dealable(queue=q)),
            "may_play": has_role(request.user, q.play_role),
        }
        for q in visible_queues(user=request.user)
    ]
    reminders = Reminder.objects.filter(
        user=request.user,
        done=False,
        due_at__lte=timezone.now(),
        conversation__in=visible_conversations(user=request.user).values("pk"),
    ).select_related("conversation")
    return render(
        request,
        "web/home.html",
        {
            "queues": queues,
            "reminders": reminders,
            "session": play_services.current_session(agent=request.user),
            "role": role_of(request.user),
        },
    )


@login_required
def manage_index(request):
    """Every page on which community managers keep the desk's settings (PE3), in one place."""
    require_cm(request)
    return render(request, "web/manage.html")

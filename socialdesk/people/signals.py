"""Keeps the list of each agent's sessions current as they sign in and out."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from .models import SignedInSession


@receiver(user_logged_in)
def remember_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    import time

    from .middleware import LAST_ACTIVE

    session[LAST_ACTIVE] = int(time.time())
    if session.session_key is None:
        session.save()
    SignedInSession.objects.update_or_create(session_key=session.session_key, defaults={"user": user})


@receiver(user_logged_out)
def forget_session(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        SignedInSession.objects.filter(session_key=key).delete()

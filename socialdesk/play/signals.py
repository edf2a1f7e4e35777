"""Play Mode ends when the agent signs out (seed: "sign out whenever you're done")."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver


@receiver(user_logged_out, dispatch_uid="socialdesk.play.end_on_sign_out")
def end_play_on_sign_out(sender, request, user, **kwargs):
    if user is None:  # signing out without being signed in
        return
    from socialdesk.actions.deal import end_on_sign_out

    end_on_sign_out(agent=user)

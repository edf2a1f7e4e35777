"""Personal API tokens: made and revoked by their person, on a page of their settings."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from socialdesk.people.models import ApiToken

from .forms import MAX_TOKENS, NewTokenForm, RevokeTokenForm


@login_required
def tokens(request):
    form, new_key, status = NewTokenForm(), "", 200
    if request.method == "POST":
        if request.POST.get("op") == "revoke":
            revoke = RevokeTokenForm(request.POST)
            if revoke.is_valid():
                # Only one's own: another person's token is as unknown as a missing one.
                gone, _ = ApiToken.objects.filter(
                    pk=revoke.cleaned_data["token"], user=request.user
                ).delete()
                if gone:
                    messages.success(request, gettext("Revoked: the token no longer works."))
                else:
                    messages.error(request, gettext("No such token of yours (already revoked?)."))
            else:
                messages.error(request, gettext("Choose a token to revoke."))
            return redirect("api_tokens")
        form = NewTokenForm(request.POST)
        if request.user.api_tokens.count() >= MAX_TOKENS:
            form.add_error(
                None,
                gettext("You have %(MAX_TOKENS)s tokens: revoke one to make another.")
                % {"MAX_TOKENS": MAX_TOKENS},
            )
        if form.is_valid():
            data = form.cleaned_data
            _, new_key = ApiToken.issue(
                request.user,
                data["name"],
                scope=data["scope"],
                expires_at=timezone.now() + timedelta(days=data["days"]),
            )
            form, status = NewTokenForm(), 201
        else:
            status = 400
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": request.user.api_tokens.order_by("-created_at"),
            "now": timezone.now(),
        },
        status=status,
    )
    # The page that shows a new token once is kept by no cache.
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
def not_found(request, rest=""):
    """Any other path under /api/v1/: the API's 404, in its one error shape, not a page. It
    changes nothing, so a POST without a CSRF token gets the same 404 rather than the CSRF
    failure page."""
    from django.http import JsonResponse

    return JsonResponse(
        {"status": 404, "code": "not_found", "detail": gettext("Not Found")}, status=404
    )

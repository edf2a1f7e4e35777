"""AP2: community managers and admins manage the webhooks on `/manage/webhooks/`: subscribe a URL
to events, see each subscription's delivery log, send a test event, make a new secret."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialdesk.actions import webhooks as webhook_actions
from socialdesk.errors import ActionError
from socialdesk.outbox.models import WebhookDelivery
from socialdesk.people.models import Role, has_role

from . import services
from .forms import SubscriptionForm
from .models import WebhookSubscription

LOG_ROWS = 50


def _managers_only(request):
    if not has_role(request.user, Role.COMMUNITY_MANAGER):
        raise PermissionDenied(_("Only community managers and admins manage webhooks."))


def _no_store(response):
    # A page that may show a secret is kept by no cache.
    response["Cache-Control"] = "no-store"
    return response


def _form_error(form, exc: ActionError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def webhooks(request):
    """The subscriptions, and a form to add one (its secret is shown once, on this answer)."""
    _managers_only(request)
    form, secret, created, status = SubscriptionForm(), "", None, 200
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created, secret = services.create(
                    actor=request.user, name=data["name"], url=data["url"], events=data["events"]
                )
                if not data["active"]:
                    services.update(actor=request.user, subscription=created, active=False)
                form, status = SubscriptionForm(), 201
            except ActionError as exc:
                _form_error(form, exc)
        if form.errors:
            status = 400
    return _no_store(
        render(
            request,
            "webhooks/webhooks.html",
            {
                "form": form,
                "secret": secret,
                "created": created,
                "subscriptions": WebhookSubscription.objects.all(),
            },
            status=status,
        )
    )


@login_required
def webhook(request, pk):
    """One subscription: edit it, its delivery log (each delivery with its attempts)."""
    _managers_only(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    initial = {
        "name": subscription.name,
        "url": subscription.url,
        "events": subscription.events,
        "active": subscription.active,
    }
    form, status = SubscriptionForm(initial=initial), 200
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update(
                    actor=request.user,
                    subscription=subscription,
                    name=data["name"],
                    url=data["url"],
                    events=data["events"],
                    active=data["active"],
                )
                messages.success(request, _("Webhook saved."))
                return redirect("webhook", pk=subscription.pk)
            except ActionError as exc:
                _form_error(form, exc)
        status = 400
    return _page(request, subscription, form=form, status=status)


def _page(request, subscription, *, form=None, secret="", status=200):
    deliveries = list(
        WebhookDelivery.objects.filter(subscription=subscription)
        .prefetch_related("tries")
        .order_by("-created_at", "-id")[:LOG_ROWS]
    )
    return _no_store(
        render(
            request,
            "webhooks/webhook.html",
            {
                "subscription": subscription,
                "form": form
                or SubscriptionForm(
                    initial={
                        "name": subscription.name,
                        "url": subscription.url,
                        "events": subscription.events,
                        "active": subscription.active,
                    }
                ),
                "deliveries": deliveries,
                "secret": secret,
            },
            status=status,
        )
    )


@login_required
@require_POST
def rotate_secret(request, pk):
    _managers_only(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    secret = services.rotate_secret(actor=request.user, subscription=subscription)
    return _page(request, subscription, secret=secret)


@login_required
@require_POST
def send_test(request, pk):
    _managers_only(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    webhook_actions.send_test(subscription=subscription)
    messages.success(
        request, _("A test event is on its way; its delivery shows in the log below.")
    )
    return redirect("webhook", pk=subscription.pk)


@login_required
@require_POST
def delete_webhook(request, pk):
    _managers_only(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    services.delete(actor=request.user, subscription=subscription)
    messages.success(request, _("Webhook deleted."))
    return redirect("webhooks")

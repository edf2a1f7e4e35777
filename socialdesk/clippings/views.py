"""PE3: community managers edit the team's clippings in the desk (the Django admin is for admins)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialdesk.people import audit
from socialdesk.people.models import Role, has_role
from socialdesk.people.settings_pages import SettingsList, confirm_delete

from .forms import ClippingForm
from .models import Clipping


class _Example:
    name, handle = "Maria Keller", "maria_k"


def _cm_only(request):
    if not has_role(request.user, Role.COMMUNITY_MANAGER):
        raise PermissionDenied(_("Only community managers and admins edit clippings."))


@login_required
def clippings(request, pk=None):
    """The list, and a form to add one (or, with `pk`, to edit that one)."""
    _cm_only(request)
    clipping = get_object_or_404(Clipping, pk=pk) if pk is not None else None
    form = ClippingForm(instance=clipping)
    if request.method == "POST":
        form = ClippingForm(request.POST, instance=clipping)
        if form.is_valid():
            saved = form.save()
            audit.record(
                "clipping_saved", actor=request.user, clipping=saved.title, new=clipping is None
            )
            messages.success(request, _("Clipping “%(title)s” saved.") % {"title": saved.title})
            return redirect("clippings")
    rows = [(c, c.render(author=_Example)) for c in Clipping.objects.all()]
    return render(
        request,
        "clippings/clippings.html",
        {"rows": rows, "form": form, "editing": clipping},
        status=400 if form.errors else 200,
    )


CLIPPINGS = SettingsList(
    name="clippings", title=gettext_lazy("Clippings"), noun=gettext_lazy("clipping")
)


@login_required
def delete_clipping(request, pk):
    """GET asks first (as every settings page does); POST deletes."""
    _cm_only(request)
    clipping = get_object_or_404(Clipping, pk=pk)

    def delete() -> str:
        clipping.delete()
        audit.record(
            "clipping_deleted", actor=request.user, request=request, clipping=clipping.title
        )
        return _("Clipping “%(title)s” deleted.") % {"title": clipping.title}

    return confirm_delete(
        request,
        page=CLIPPINGS,
        row=clipping.title,
        action=reverse("delete_clipping", args=[clipping.pk]),
        delete=delete,
        warning=_(
            "Agents no longer find it in the reply field; replies already sent with it stay as they were."
        ),
    )

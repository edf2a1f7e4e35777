"""PE3: the pages on which community managers edit the desk's settings without the Django admin.

One pattern for every list of settings (tags, paid products, controversial topics, KB articles,
the accounts' engagement policy…), the one `/manage/clippings/` set: the list, a form beside it to
add one or (with its id in the path) edit one, a page that asks before deleting, messages that
say what is wrong while keeping what was typed (400), and an audit entry for every change with
what changed. Only community managers and admins (403 otherwise), on the server.

An app declares a `SettingsPage` in its views and adds `page.urls()` to its URL configuration.
A list with a page of its own (clippings, queues, the respond-from table) asks before deleting
with `confirm_delete`, the same page and steps."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from . import audit
from .models import Role, has_role


def require_cm(request) -> None:
    if not has_role(request.user, Role.COMMUNITY_MANAGER):
        raise PermissionDenied(_("Only community managers and admins change the desk's settings."))


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if hasattr(value, "all"):  # a many-to-many manager
        return ", ".join(str(v) for v in value.all())
    return str(value)


def changes(form) -> dict:
    """What a saved form changed, field by field, as {field: [before, after]} for the audit log."""
    out = {}
    for name in form.changed_data:
        if name not in form.fields:
            continue
        before = form.initial.get(name)
        after = form.cleaned_data.get(name)
        if hasattr(after, "pk"):
            after = str(after)
        out[name] = [_shown(before)[:200], _shown(after)[:200]]
    return out


@dataclass(frozen=True)
class SettingsList:
    """What the confirmation page says of a list that has a page of its own: the list's URL name
    (where "Keep it" and a deletion go back to), its heading and what one row of it is."""

    name: str
    title: str  # lazy
    noun: str  # lazy


def confirm_delete(
    request, *, page, row, action: str, delete: Callable[[], str], warning: str = ""
):
    """Delete after asking, as every settings list does: GET shows `row` on the confirmation page
    (with `warning`: what deleting it does), POST runs `delete` in one transaction (it deletes and
    records the audit entry, and returns the sentence that says so), then back to the list.

    `page` is a `SettingsPage` or a `SettingsList`; `action` is the URL this page posts to."""
    if request.method != "POST":
        return render(
            request,
            "people/settings_delete.html",
            {"page": page, "row": row, "warning": warning, "action": action},
        )
    with transaction.atomic():
        done = delete()
    messages.success(request, done)
    return redirect(page.name)


@dataclass
class SettingsPage:
    """One kind of setting: its URL names start with `name` (`name`, `name_edit`, `name_delete`)."""

    name: str
    model: type
    form_class: type
    title: str  # lazy: the page's heading, e.g. "Tags"
    noun: str  # lazy: one of them, e.g. "tag"
    intro: str = ""
    # (column heading, row → value shown) for the list.
    columns: list[tuple[str, Callable]] = field(default_factory=list)
    queryset: Callable | None = None
    can_add: bool = True
    can_delete: bool = True
    # row → a sentence about what deleting it does (shown on the confirmation page).
    delete_warning: Callable | None = None
    # Links shown under the heading: (label, URL name).
    links: list[tuple[str, str]] = field(default_factory=list)
    # Arguments the form needs beside data and instance.
    form_kwargs: Callable[[], dict] = dict
    # Called in the saving transaction with (form, saved row, old row or None): keep other
    # settings in step (a renamed tag's queues).
    after_save: Callable | None = None

    # --- The views ----------------------------------------------------------------------------

    def rows(self):
        return self.queryset() if self.queryset else self.model._default_manager.all()

    def list_view(self, request, pk=None):
        require_cm(request)
        instance = get_object_or_404(self.rows(), pk=pk) if pk is not None else None
        if instance is None and not self.can_add:
            form = None
        else:
            form = self.form_class(instance=instance, **self.form_kwargs())
        if request.method == "POST":
            if form is None:
                return redirect(self.name)
            form = self.form_class(request.POST, instance=instance, **self.form_kwargs())
            if form.is_valid():
                with transaction.atomic():
                    diff = changes(form)
                    saved = form.save()
                    if self.after_save:
                        self.after_save(form, saved, instance)
                    audit.record(
                        "setting_added" if instance is None else "setting_changed",
                        actor=request.user,
                        request=request,
                        setting=str(self.noun),
                        name=str(saved)[:200],
                        changed=diff,
                    )
                if instance is None:
                    text = _("Added the %(noun)s “%(name)s”.")
                else:
                    text = _("Saved the %(noun)s “%(name)s”.")
                messages.success(request, text % {"noun": self.noun, "name": saved})
                return redirect(self.name)
        table = [
            (row, [(heading, _shown(get(row))) for heading, get in self.columns])
            for row in self.rows()
        ]
        return render(
            request,
            "people/settings_page.html",
            {
                "page": self,
                "headings": [heading for heading, _get in self.columns],
                # On a phone the rows become cards; a wide table already on a tablet.
                "stack": "stack" if len(self.columns) <= 3 else "stack-lg",
                "table": table,
                "form": form,
                "editing": instance,
                "action": (
                    reverse(f"{self.name}_edit", args=[instance.pk])
                    if instance is not None
                    else reverse(self.name)
                ),
                "edit_url": f"{self.name}_edit",
                "delete_url": f"{self.name}_delete" if self.can_delete else "",
            },
            status=400 if form is not None and form.errors else 200,
        )

    def delete_view(self, request, pk):
        require_cm(request)
        instance = get_object_or_404(self.rows(), pk=pk)
        name = str(instance)

        def delete() -> str:
            instance.delete()
            audit.record(
                "setting_deleted",
                actor=request.user,
                request=request,
                setting=str(self.noun),
                name=name[:200],
            )
            return _("Deleted the %(noun)s “%(name)s”.") % {"noun": self.noun, "name": name}

        return confirm_delete(
            request,
            page=self,
            row=instance,
            action=reverse(f"{self.name}_delete", args=[instance.pk]),
            delete=delete,
            warning=self.delete_warning(instance) if self.delete_warning else "",
        )

    def urls(self, prefix: str = "") -> list:
        """The routes, under `prefix` (e.g. "manage/tags/"), wrapped for signed-in people."""
        routes = [
            path(prefix, login_required(self.list_view), name=self.name),
            path(f"{prefix}<int:pk>/", login_required(self.list_view), name=f"{self.name}_edit"),
        ]
        if self.can_delete:
            routes.append(
                path(
                    f"{prefix}<int:pk>/delete",
                    login_required(self.delete_view),
                    name=f"{self.name}_delete",
                )
            )
        return routes

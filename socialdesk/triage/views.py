"""Triage pages: confirm/correct a suggestion, tag rules with preview, KB import, clusters. Views parse and call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from socialdesk.actions import escalate, policy
from socialdesk.actions import triage as triage_actions
from socialdesk.conversations.views import conversation_action
from socialdesk.errors import ActionError
from socialdesk.people.models import Role, has_role
from socialdesk.people.settings_pages import SettingsPage
from socialdesk.queues.visibility import visible_conversations

from . import selectors, services
from .forms import EscalateClusterForm, KBArticleForm, KBImportForm, TagRuleForm, WatchTermForm
from .models import KBArticle, TagRule, WatchKind, WatchTerm, split_list

_require_cm = policy.page_role(
    Role.COMMUNITY_MANAGER,
    gettext_lazy("Only community managers edit triage rules and the knowledge base."),
)


def _corrected(correction) -> str:
    return _("%(verb)s: %(get_field_display)s is %(replace)s.") % {
        "verb": "Confirmed" if correction.agreed else "Changed",
        "get_field_display": correction.get_field_display().lower(),
        "replace": correction.chosen.replace("_", " "),
    }


# An agent confirms or changes triage's type, sentiment or language from the conversation's page.
correct = conversation_action(
    triage_actions.confirm_or_correct,
    _corrected,
    advance=False,
    convert=lambda request, c, data: {
        "field": request.POST.get("field", ""),
        "chosen": request.POST.get("chosen", ""),
    },
)


def _rule_page(request, form, rule=None, preview=None):
    rules = list(TagRule.objects.select_related("tag"))
    for r in rules:
        # A saved rule whose pattern no longer compiles is skipped by triage: say so where it is edited.
        r.problem = services.rule_problem(r)
    return render(
        request,
        "triage/rules.html",
        {
            "form": form,
            "rule": rule,
            "preview": preview,
            "rules": rules,
            "stats": selectors.correction_stats(),
        },
    )


@login_required
def rules(request, pk=None):
    _require_cm(request)
    rule = get_object_or_404(TagRule, pk=pk) if pk else None
    if request.method != "POST":
        return _rule_page(request, TagRuleForm(instance=rule), rule)
    form = TagRuleForm(request.POST, instance=rule)
    if not form.is_valid():
        return _rule_page(request, form, rule)
    if "preview" in request.POST:
        draft = form.save(commit=False)
        return _rule_page(
            request, form, rule, preview=services.preview_rule(services.rule_spec(draft))
        )
    saved = form.save()
    messages.success(
        request,
        _("Rule “%(name)s” saved: it tags new conversations from now on.") % {"name": saved.name},
    )
    return redirect("triage_rules")


@login_required
def kb(request):
    _require_cm(request)
    report = None
    form = KBImportForm()
    if request.method == "POST":
        form = KBImportForm(request.POST, request.FILES)
        if form.is_valid():
            f = form.cleaned_data["file"]
            report = services.import_kb(f.read(), filename=f.name)
            if report.created or report.updated:
                messages.success(
                    request,
                    _("Imported %(created)s new and updated %(updated)s articles.")
                    % {"created": report.created, "updated": report.updated},
                )
            form = KBImportForm()
    return render(
        request,
        "triage/kb.html",
        {"form": form, "report": report, "articles": KBArticle.objects.all()[:500]},
    )


@login_required
def clusters(request):
    if not has_role(request.user, Role.CONTRIBUTOR):
        raise PermissionDenied
    # Only what this agent may see: a contributor's clusters never show a text still in moderation.
    return render(
        request,
        "triage/clusters.html",
        {"clusters": selectors.clusters(within=visible_conversations(user=request.user))},
    )


@login_required
@require_POST
def escalate_cluster(request):
    form = EscalateClusterForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("triage_clusters")
    try:
        n = escalate.escalate_cluster(
            actor=request.user,
            conversation_ids=form.cleaned_data["conversations"],
            reason=form.cleaned_data["reason"],
        )
    except ActionError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(n)s conversations assigned to the Escalation queue, each with an internal note.")
            % {"n": n},
        )
    return redirect(reverse("triage_clusters"))


# --- PE3: the lists community managers keep for triage ----------------------------------------


def _watch_page(kind: str, name: str, title, noun, intro) -> SettingsPage:
    return SettingsPage(
        name=name,
        model=WatchTerm,
        form_class=WatchTermForm,
        form_kwargs=lambda: {"kind": kind},
        queryset=lambda: WatchTerm.objects.filter(kind=kind),
        title=title,
        noun=noun,
        intro=intro,
        columns=[
            (_("Name"), lambda t: t.name),
            (_("Other ways to say it"), lambda t: ", ".join(split_list(t.keywords))),
            (_("Watched"), lambda t: t.active),
        ],
    )


paid_products_page = _watch_page(
    WatchKind.PAID_PRODUCT,
    "manage_paid_products",
    gettext_lazy("Paid products"),
    gettext_lazy("paid product"),
    gettext_lazy(
        "A conversation that mentions a paid product is tagged and comes first: customers who pay "
        "are answered before the rest (TR7)."
    ),
)
controversial_topics_page = _watch_page(
    WatchKind.CONTROVERSIAL,
    "manage_controversial_topics",
    gettext_lazy("Controversial topics"),
    gettext_lazy("controversial topic"),
    gettext_lazy(
        "A conversation about one of these topics is flagged so that agents answer it with care or "
        "escalate it (TR9)."
    ),
)
kb_articles_page = SettingsPage(
    name="manage_kb_articles",
    model=KBArticle,
    form_class=KBArticleForm,
    title=gettext_lazy("Knowledge-base articles"),
    noun=gettext_lazy("article"),
    intro=gettext_lazy(
        "Articles are suggested in the reply field when the customer's words match their title "
        "and summary."
    ),
    columns=[
        (gettext_lazy("Title"), lambda a: a.title),
        (gettext_lazy("Language"), lambda a: a.language),
        (gettext_lazy("Address"), lambda a: a.url),
    ],
    links=[(gettext_lazy("Import articles from a file"), "triage_kb")],
)

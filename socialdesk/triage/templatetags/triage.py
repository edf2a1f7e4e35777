"""`{% triage_panel c %}` and `{% triage_suggestions c %}`: the conversation page's triage fragments.

Inclusion tags, so the conversation view needs no change: the fragments fetch their own data
through the selectors.
"""

from django import template

from socialdesk.triage import selectors

register = template.Library()


@register.inclusion_tag("triage/_panel.html", takes_context=True)
def triage_panel(context, conversation):
    return {
        "c": conversation,
        "p": selectors.panel(conversation),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("triage/_suggestions.html")
def triage_suggestions(conversation):
    return selectors.composer(conversation)


@register.filter
def percent(value) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def label(value) -> str:
    return str(value or "").replace("_", " ")

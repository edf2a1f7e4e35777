"""How report figures read on the page."""

from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as "1 h 05 min", "20 min 10 s", "45 s"; an empty figure as "—"."""
    if seconds is None or seconds == "":
        return "—"
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    return f"{secs} s"

"""Charts drawn on the server as SVG (no script, nothing from a CDN); every label is escaped.

Each chart has a <title> and a text description, and the page shows the same figures in a table.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

BAR = "#0a5bd3"  # the desk's primary colour, 6.2:1 on white
SECOND = "#b0003a"
INK = "#23262c"
GRID = "#d9dee6"


def _scale(top: int) -> int:
    """A round number at or above `top` for the axis."""
    top = max(top, 1)
    step = 1
    while step * 10 < top:
        step *= 10
    for m in (1, 2, 5, 10):
        if m * step >= top:
            return m * step
    return top


def bars(items: list[tuple[str, float]], *, title: str, chart_id: str, shown=str) -> SafeString:
    """Horizontal bars, one per (label, value), in the order given; `shown` writes a value."""
    if not items:
        return format_html(
            '<p class="hint">{}</p>',
            gettext("%(title)s: nothing in this range.") % {"title": title},
        )
    row, label_w, width = 24, 150, 400
    top = _scale(max(v for _l, v in items))
    plot = width - label_w - 80
    height = row * len(items) + 10
    rows = format_html_join(
        "",
        '<g transform="translate(0,{})"><text x="{}" y="17" text-anchor="end" fill="{}" font-size="13">{}</text>'
        '<rect x="{}" y="4" width="{}" height="18" fill="{}"><title>{}: {}</title></rect>'
        '<text x="{}" y="17" fill="{}" font-size="13">{}</text></g>',
        (
            (
                i * row,
                label_w - 8,
                INK,
                _cut(label),
                label_w,
                max(1, round(plot * v / top)) if v else 0,
                BAR,
                label,
                shown(v),
                label_w + (round(plot * v / top) if v else 0) + 6,
                INK,
                shown(v),
            )
            for i, (label, v) in enumerate(items)
        ),
    )
    return format_html(
        '<svg class="chart" id="{}" role="img" aria-labelledby="{}-t" viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMinYMin meet">'
        '<title id="{}-t">{}: {}</title>{}</svg>',
        chart_id,
        chart_id,
        width,
        height,
        chart_id,
        title,
        _describe(items, shown),
        rows,
    )


def columns(
    days: list[tuple[str, int, int]], *, title: str, chart_id: str, names=("Opened", "Closed")
) -> SafeString:
    """Two series per day as paired columns (opened and closed)."""
    if not days:
        return mark_safe("")
    width, height, left, bottom = 400, 200, 34, 40
    plot_w, plot_h = width - left - 10, height - bottom - 20
    top = _scale(max(max(a, b) for _d, a, b in days))
    slot = plot_w / len(days)
    bar = max(1.0, slot * 0.38)
    label_every = max(1, len(days) // 10)
    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/><text x="{}" y="{}" text-anchor="end" font-size="11" fill="{}">{}</text>',
        (
            (
                left,
                width - 10,
                _n(20 + plot_h * (1 - f)),
                _n(20 + plot_h * (1 - f)),
                GRID,
                left - 4,
                _n(24 + plot_h * (1 - f)),
                INK,
                round(top * f),
            )
            for f in (0, 0.5, 1)
        ),
    )
    cols = []
    for i, (day, a, b) in enumerate(days):
        x = left + i * slot + slot * 0.1
        for j, (v, colour, name) in enumerate(((a, BAR, names[0]), (b, SECOND, names[1]))):
            h = plot_h * v / top
            cols.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} {}: {}</title></rect>',
                    _n(x + j * bar),
                    _n(20 + plot_h - h),
                    _n(bar),
                    _n(h),
                    colour,
                    day,
                    name,
                    v,
                )
            )
        if i % label_every == 0:
            cols.append(
                format_html(
                    '<text x="{}" y="{}" font-size="11" fill="{}" text-anchor="middle">{}</text>',
                    _n(x + bar),
                    height - bottom + 16,
                    INK,
                    day[5:],
                )
            )
    legend = format_html(
        '<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}" font-size="12" fill="{}">{}</text>'
        '<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}" font-size="12" fill="{}">{}</text>',
        left,
        height - 14,
        BAR,
        left + 16,
        height - 3,
        INK,
        names[0],
        left + 90,
        height - 14,
        SECOND,
        left + 106,
        height - 3,
        INK,
        names[1],
    )
    total = f"{names[0]} {sum(a for _d, a, _b in days)}, {names[1]} {sum(b for _d, _a, b in days)} over {len(days)} days"
    return format_html(
        '<svg class="chart" id="{}" role="img" aria-labelledby="{}-t" viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMinYMin meet">'
        '<title id="{}-t">{}: {}</title>{}{}{}</svg>',
        chart_id,
        chart_id,
        width,
        height,
        chart_id,
        title,
        total,
        grid,
        mark_safe("".join(cols)),
        legend,
    )


def _n(x: float) -> str:
    return f"{x:.1f}"


def _cut(label: str, n: int = 20) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _describe(items, shown=str) -> str:
    text = ", ".join(f"{label} {shown(v)}" for label, v in items[:10])
    return text + (f" and {len(items) - 10} more" if len(items) > 10 else "")

"""The date range every report is read over, from the query string."""

from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .selectors import MAX_DAYS, DateRange

# Dates outside these years are typing mistakes, and far dates overflow date arithmetic.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


class RangeForm(forms.Form):
    start = forms.DateField(
        required=False, label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        default = DateRange.last_days(7)
        start, end = data.get("start") or default.first, data.get("end") or default.last
        if self.errors:
            return data
        for name, value in (("start", start), ("end", end)):
            if not EARLIEST <= value <= LATEST:
                self.add_error(name, f"Choose a date between {EARLIEST:%Y} and {LATEST:%Y}.")
        if self.errors:
            return data
        if end < start:
            raise forms.ValidationError(
                _(
                    "The range ends before it starts: choose a “To” date on or after the “From” date."
                )
            )
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("Choose at most %(MAX_DAYS)s days at once.") % {"MAX_DAYS": MAX_DAYS}
            )
        data["period"] = DateRange(first=start, last=end)
        return data


def period_from(query) -> tuple[RangeForm, DateRange | None]:
    """The form bound to the query string and its range (None when the range is not valid)."""
    form = RangeForm(query)
    return form, form.cleaned_data.get("period") if form.is_valid() else None

"""The date range every report is read over, from the query string."""

from datetime import date

from django import forms
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from socialdesk.people.time_zones import zone_names

from .models import BusinessHours
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
                self.add_error(
                    name,
                    gettext("Choose a date between %(first)s and %(last)s.")
                    % {"first": f"{EARLIEST:%Y}", "last": f"{LATEST:%Y}"},
                )
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


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class BusinessHoursForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"))
    start = forms.TimeField(label=_("Opens at"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("Closes at"), widget=forms.TimeInput(attrs={"type": "time"}))
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, label=_("Working days")
    )

    class Meta:
        model = BusinessHours
        fields = ["enabled", "time_zone", "start", "end", "weekdays"]
        labels = {"enabled": _("Count response times within these hours (a toggle on the report)")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The zone names are read from disk once per process (about 600 files a reading).
        self.fields["time_zone"].choices = [(z, z) for z in zone_names()]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("Closing must come after opening, on the same day."))
        return data

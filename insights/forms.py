"""The insights page's choice of site and date range, checked so that a bad range gets a sentence."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from helpdesk.models import Site
from insights.selectors import Period
from tickets.forms import BootstrapForm

DEFAULT_DAYS = 30
DATE_HELP = "as YYYY-MM-DD, e.g. 2026-11-01"


class InsightsForm(BootstrapForm):
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(),
        required=False,
        empty_label="All sites",
        error_messages={"invalid_choice": "Choose a site from the list."},
    )
    start = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": f"Enter the start date {DATE_HELP}."},
    )
    end = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": f"Enter the end date {DATE_HELP}."},
    )

    def __init__(self, data, *, sites):
        """`sites`: the sites the viewer may see (helpdesk.tenancy), the only ones that can be chosen."""
        today = timezone.localdate()
        self.default_end = today
        self.default_start = today - timedelta(days=DEFAULT_DAYS - 1)
        super().__init__({key: data.get(key, "") for key in ("site", "start", "end")})
        self.fields["site"].queryset = sites.order_by("name")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start = cleaned.get("start") or self.default_start
        end = cleaned.get("end") or self.default_end
        if start > end:
            raise forms.ValidationError(
                f"The start date ({start:%Y-%m-%d}) is after the end date ({end:%Y-%m-%d}): "
                "choose a start on or before the end."
            )
        cleaned["period"] = Period(start, end)
        return cleaned

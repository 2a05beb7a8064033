"""Forms of the admin pages; every sentence they answer with says what to change."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.core.validators import validate_email

from ai.offline import AUTO_TRIAGE_CONFIDENCE
from helpdesk.models import Site
from knowledge.selectors import published_articles_for_site
from tickets.forms import BootstrapForm
from tickets.models import Category

DAYS = [(str(day), name) for day, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))]


def _default_text(minutes: int, source: str) -> str:
    """ "Default: 240 min (4 h, built-in)": what a blank field means, and where that number comes from."""
    hours = f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")
    return f"Default: {minutes} min ({hours if minutes >= 60 else f'{minutes} min'}, {source})"


class SiteForm(BootstrapForm):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=60,
        label="Short name",
        help_text="Used in addresses, e.g. alder-finch",
    )
    kind = forms.CharField(max_length=60, required=False, help_text="law firm, clinic, school, retailer...")
    contact_name = forms.CharField(max_length=200, required=False)
    contact_email = forms.EmailField(required=False)
    contact_phone = forms.CharField(max_length=40, required=False)
    is_active = forms.BooleanField(required=False, label="Active (its people can sign in and see it)")
    addresses = forms.CharField(
        required=False,
        label="Addresses for email-in",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line: mail sent to these addresses opens tickets on this site.",
    )
    time_zone = forms.ChoiceField(required=False, help_text="Blank: the server's TIME_ZONE setting.")
    business_hours_start = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Blank: round the clock.",
    )
    business_hours_end = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    business_days = forms.MultipleChoiceField(
        choices=DAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    assistant_enabled = forms.BooleanField(
        required=False,
        label="The assistant answers chats (off: every chat goes straight to a person)",
    )
    auto_triage_enabled = forms.BooleanField(
        required=False,
        label="Auto-triage new tickets (off: every ticket waits for a human)",
    )
    auto_triage_confidence = forms.FloatField(
        required=False,
        min_value=AUTO_TRIAGE_CONFIDENCE,
        max_value=1.0,
        label="Confidence needed to auto-triage",
        help_text=(
            f"Between {AUTO_TRIAGE_CONFIDENCE} and 1. Blank: the default, a calibrated confidence of "
            f"{AUTO_TRIAGE_CONFIDENCE} (more likely right than wrong). A triage below it waits for a human."
        ),
    )

    def __init__(self, *args, site: Site | None, sla_rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site
        self.fields["time_zone"].choices = [("", "—")] + [
            (tz, tz) for tz in sorted(zoneinfo.available_timezones())
        ]
        self.sla_fields = []
        for row in sla_rows:
            first, resolution = (
                f"sla_{row.priority}_first",
                f"sla_{row.priority}_resolution",
            )
            self.fields[first] = forms.IntegerField(
                required=False,
                min_value=1,
                label=f"{row.label}: first response (minutes)",
                help_text=_default_text(row.default_first_response, row.default_source),
                initial=row.first_response,
            )
            self.fields[resolution] = forms.IntegerField(
                required=False,
                min_value=1,
                label=f"{row.label}: resolution (minutes)",
                help_text=_default_text(row.default_resolution, row.default_source),
                initial=row.resolution,
            )
            self.fields[first].widget.attrs.update(
                {"class": "form-control", "placeholder": row.default_first_response}
            )
            self.fields[resolution].widget.attrs.update(
                {"class": "form-control", "placeholder": row.default_resolution}
            )
            self.sla_fields.append((row, self[first], self[resolution]))

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if Site.objects.filter(name__iexact=name).exclude(pk=getattr(self.site, "pk", None)).exists():
            raise forms.ValidationError("Another site already has this name.")
        return name

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Site.objects.filter(slug=slug).exclude(pk=getattr(self.site, "pk", None)).exists():
            raise forms.ValidationError("Another site already uses this short name.")
        return slug

    def clean_addresses(self) -> list[str]:
        addresses = [line.strip() for line in self.cleaned_data["addresses"].splitlines() if line.strip()]
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError as error:
                raise forms.ValidationError(f"{address} is not an email address.") from error
        return addresses

    def clean(self):
        data = super().clean()
        start, end = data.get("business_hours_start"), data.get("business_hours_end")
        if (start is None) != (end is None):
            self.add_error(
                "business_hours_end",
                "Give both the opening and the closing time, or neither.",
            )
        elif start is not None and end <= start:
            self.add_error("business_hours_end", "Business hours end after they start.")
        for row, first, resolution in self.sla_fields:
            first_value, resolution_value = (
                data.get(first.name),
                data.get(resolution.name),
            )
            if (first_value is None) != (resolution_value is None):
                self.add_error(
                    resolution.name,
                    f"{row.label}: give both targets, or leave both blank for the default.",
                )
            elif first_value is not None and resolution_value < first_value:
                self.add_error(
                    resolution.name,
                    f"{row.label}: resolution cannot be due before the first response.",
                )
        return data

    def site_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in self.declared_fields if name != "addresses"}
        fields["business_days"] = sorted(int(day) for day in data["business_days"])
        return fields

    def sla(self) -> dict[str, tuple[int, int] | None]:
        data = self.cleaned_data
        return {
            row.priority: None if data[first.name] is None else (data[first.name], data[resolution.name])
            for row, first, resolution in self.sla_fields
        }

    @staticmethod
    def initial_for(site: Site, addresses: list[str]) -> dict:
        initial = {name: getattr(site, name) for name in SiteForm.declared_fields if name != "addresses"}
        initial["business_days"] = [str(day) for day in site.business_days]
        initial["addresses"] = "\n".join(addresses)
        return initial


class IncidentTypeForm(BootstrapForm):
    slug = forms.SlugField(max_length=40, help_text="A new type's short name, e.g. usb-found")
    name = forms.CharField(max_length=120, required=False)
    prototypes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Example reports, one per line.",
    )
    key_terms = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Words or phrases that back a match, one per line.",
    )
    steps = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The vetted first steps the customer is given.",
    )
    enabled = forms.BooleanField(
        required=False, label="Enabled (off: this type is never detected on this site)"
    )
    article = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="None: give the steps above",
        label="KB article",
        help_text="A published article of this site (or a global one), given instead of the steps.",
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug == "new":
            raise forms.ValidationError("Choose another short name: new is taken by the page for adding one.")
        return slug

    def __init__(self, *args, site: Site, builtin=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["article"].queryset = published_articles_for_site(site).order_by("title")
        if builtin is not None:
            del self.fields["slug"]
            for name in ("name", "prototypes", "key_terms", "steps"):
                self.fields[name].help_text = "Blank: the built-in text shown beside."


class CategoryForm(BootstrapForm):
    slug = forms.SlugField(max_length=40, help_text="e.g. network; triage and expertise refer to it")
    name = forms.CharField(max_length=80)
    description = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, category: Category | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if category is not None:
            # The slug is what trained classifiers and engineers' expertise remember: it stays.
            del self.fields["slug"]

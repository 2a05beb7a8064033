"""Forms of the people pages. Only the product's own fields: never Django's staff, superuser or raw
permission flags (the role decides those)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from helpdesk.models import Site, User
from people.models import Invitation
from people.selectors import expertise_choices
from tickets.forms import BootstrapForm
from tickets.models import Category

STATUS_CHOICES = [("", "Any status"), ("active", "Active"), ("inactive", "Deactivated")]


class PeopleFilterForm(BootstrapForm):
    q = forms.CharField(required=False, label="Search", max_length=200)
    role = forms.ChoiceField(required=False, choices=[("", "Every role"), *User.Role.choices])
    site = forms.ModelChoiceField(required=False, queryset=Site.objects.all(), empty_label="Every site")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)


class InviteForm(BootstrapForm):
    email = forms.EmailField(label="Email address", help_text="Also their username.")
    role = forms.ChoiceField(choices=Invitation.Role.choices, initial=Invitation.Role.ENGINEER)
    site = forms.ModelChoiceField(
        required=False,
        queryset=Site.objects.filter(is_active=True),
        label="Site (customers)",
        help_text="The company this customer works for.",
    )
    covered_sites = forms.ModelMultipleChoiceField(
        required=False,
        queryset=Site.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        label="Sites covered (engineers)",
    )


class PersonForm(BootstrapForm):
    role = forms.ChoiceField(choices=User.Role.choices)
    site = forms.ModelChoiceField(
        required=False, queryset=Site.objects.all(), label="Site (customers)", empty_label="—"
    )
    covered_sites = forms.ModelMultipleChoiceField(
        required=False,
        queryset=Site.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        label="Sites covered",
    )
    expertise = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Categories this engineer is good at: assignment prefers them.",
    )
    capacity = forms.IntegerField(
        min_value=1, max_value=200, initial=8, help_text="Open tickets this engineer can carry."
    )
    is_available = forms.BooleanField(required=False, label="Available for new tickets")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expertise"].choices = [(c.slug, c.name) for c in Category.objects.order_by("name")]

    def clean(self):
        data = super().clean()
        if data.get("role") != User.Role.ENGINEER:
            # An engineer's fields mean nothing for a customer or an admin: ignored, not validated.
            for name in ("covered_sites", "expertise", "capacity", "is_available"):
                self.errors.pop(name, None)
                data.pop(name, None)
            return data
        allowed = set(expertise_choices(sites=data.get("covered_sites") or []).values_list("slug", flat=True))
        if set(data.get("expertise") or []) - allowed:
            self.add_error(
                "expertise", "Choose expertise among the categories of the sites this engineer covers."
            )
        return data


class InvitationAcceptForm(SetPasswordForm):
    """The invitee's name and password; the product's password validators judge it against the account
    about to be made (its username and email)."""

    display_name = forms.CharField(
        max_length=150, label="Your name", help_text="How engineers and customers see you."
    )
    field_order = ["display_name", "new_password1", "new_password2"]

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError("Enter the name people should see.")
        return name

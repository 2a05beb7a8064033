from django import forms

from macros.models import MACRO_STATES
from macros.placeholders import PLACEHOLDERS, unknown_placeholders
from macros.services import unknown_placeholder_message
from tickets.forms import BootstrapForm
from tickets.models import Category, Priority

PLACEHOLDER_HELP = "Placeholders: " + ", ".join(f"{{{name}}} ({what})" for name, what in PLACEHOLDERS.items())


class MacroForm(BootstrapForm):
    """Input of the macro editor; the view passes the sites the user may write for."""

    name = forms.CharField(max_length=120)
    site = forms.ModelChoiceField(queryset=None, required=False, empty_label="Global (every site)")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        label="Reply text",
        help_text=PLACEHOLDER_HELP,
    )
    is_internal = forms.BooleanField(required=False, label="Post as an internal note")
    set_state = forms.ChoiceField(
        choices=[("", "Leave the state"), *MACRO_STATES], required=False, label="State"
    )
    set_category = forms.ModelChoiceField(
        queryset=Category.objects.all(), required=False, empty_label="Leave the category", label="Category"
    )
    set_priority = forms.ChoiceField(
        choices=[("", "Leave the priority"), *Priority.choices], required=False, label="Priority"
    )
    add_tags = forms.CharField(required=False, label="Add tags", help_text="Comma separated")
    is_active = forms.BooleanField(required=False, initial=True, label="Offer it on tickets")

    def __init__(self, *args, sites, allow_global: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        if not allow_global:
            self.fields["site"].required = True
            self.fields["site"].empty_label = None

    def clean_body(self):
        body = self.cleaned_data["body"]
        if unknown := unknown_placeholders(body):
            raise forms.ValidationError(unknown_placeholder_message(unknown))
        return body

    def clean_add_tags(self):
        tags = [tag.strip() for tag in self.cleaned_data["add_tags"].split(",") if tag.strip()]
        if any(len(tag) > 40 for tag in tags):
            raise forms.ValidationError("A tag is at most 40 characters long.")
        return tags


class ApplyForm(forms.Form):
    macro = forms.IntegerField(min_value=1)

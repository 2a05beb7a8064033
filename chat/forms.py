from django import forms
from django.core.validators import MaxLengthValidator

from chat.services import message_max_length
from tickets.models import Category


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Describe the problem in your own words"}),
    )
    # The browser makes one key per message it sends: a double submit or a retry is the same message.
    client_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = message_max_length()
        message = (
            "Your message is %(show_value)d characters long; a message can be at most "
            "%(limit_value)d characters. Shorten it or send it in two parts."
        )
        self.fields["body"].validators.append(MaxLengthValidator(limit, message=message))
        self.fields["body"].widget.attrs["maxlength"] = str(limit)


class FeedbackForm(forms.Form):
    helpful = forms.ChoiceField(choices=[("yes", "Helpful"), ("no", "Not helpful")])
    comment = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CategoryForm(forms.Form):
    """An engineer's category for a conversation."""

    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        empty_label="Choose a category",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        error_messages={
            "required": "Choose a category.",
            "invalid_choice": "Choose one of the categories in the list.",
        },
    )

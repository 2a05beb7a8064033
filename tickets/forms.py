import uuid

from django import forms

from tickets.models import Category, Priority, TicketState
from tickets.queue import DEFAULT_SORT, SEARCH_MAX_LENGTH, SORTS, BulkAction
from tickets.uploads import ALLOWED_EXTENSIONS


class BootstrapForm(forms.Form):
    """Adds Bootstrap classes to widgets so templates can render fields with one include."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            elif isinstance(widget, forms.RadioSelect):
                css = "form-check-input"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(ALLOWED_EXTENSIONS)}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


ATTACHMENT_HELP = "Screenshots or files (images, PDF, text, CSV, log, Word, Excel); up to 10 MB each."


class TicketCreateForm(BootstrapForm):
    title = forms.CharField(max_length=200, label="Subject")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), label="What happened?")
    attachments = MultipleFileField(help_text=ATTACHMENT_HELP)
    # A fresh key per rendered form: submitting it twice (even at once) opens one ticket.
    client_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_key"].initial = uuid.uuid4().hex


class ReplyForm(BootstrapForm):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Message")
    is_internal = forms.BooleanField(required=False, label="Internal note (engineers only)")
    attachments = MultipleFileField(help_text=ATTACHMENT_HELP)

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["is_internal"]


class TransitionForm(BootstrapForm):
    to_state = forms.ChoiceField(choices=TicketState.choices)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AssignForm(BootstrapForm):
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="Auto-assign (best match)")

    def __init__(self, *args, engineers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = engineers
        self.fields["assignee"].label_from_instance = lambda user: user.display_name


class TicketEditForm(BootstrapForm):
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)
    priority = forms.ChoiceField(choices=Priority.choices)
    tags = forms.CharField(required=False, help_text="Comma separated")

    def clean_tags(self):
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]


class ReviewForm(BootstrapForm):
    rating = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        label="How did we do? (5 is best)",
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class QueueFilterForm(BootstrapForm):
    q = forms.CharField(max_length=SEARCH_MAX_LENGTH, required=False, label="Search")
    sort = forms.ChoiceField(
        choices=[(name, sort.label) for name, sort in SORTS.items()],
        required=False,
        error_messages={"invalid_choice": f"Unknown sort %(value)s: choose one of {', '.join(SORTS)}."},
    )
    site = forms.ModelChoiceField(queryset=None, required=False, empty_label="All sites")
    state = forms.ChoiceField(
        choices=[("", "Open states"), ("all", "All states"), *TicketState.choices], required=False
    )
    priority = forms.ChoiceField(choices=[("", "Any priority"), *Priority.choices], required=False)
    overdue = forms.BooleanField(required=False, label="Overdue only")
    mine = forms.BooleanField(required=False, label="Assigned to me")
    unassigned = forms.BooleanField(required=False, label="Unassigned")
    due_today = forms.BooleanField(required=False, label="Due today")

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites

    def clean_sort(self):
        return self.cleaned_data["sort"] or DEFAULT_SORT


class SavedViewForm(BootstrapForm):
    name = forms.CharField(max_length=60, label="Name this view")
    query = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)


class BulkActionForm(BootstrapForm):
    """One change for the ticked tickets of the queue, chosen in one list grouped by action
    ("assign:<engineer id>", "state:<state>", "priority:<priority>", "category:<category id>",
    "merge:oldest")."""

    tickets = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), error_messages={"required": "Tick at least one ticket."}
    )
    change = forms.ChoiceField(
        label="Change the ticked tickets", error_messages={"required": "Choose a change to make."}
    )
    next = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, engineers, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is accepted here: the service keeps only the tickets the user can see.
        self.fields["tickets"].valid_value = lambda value: True
        self.engineers = {engineer.pk: engineer for engineer in engineers}
        self.categories = {category.pk: category for category in Category.objects.all()}
        self.fields["change"].choices = [
            ("", "Choose a change…"),
            ("Assign to", [(f"assign:{pk}", user.display_name) for pk, user in self.engineers.items()]),
            ("State", [(f"state:{value}", label) for value, label in TicketState.choices]),
            ("Priority", [(f"priority:{value}", label) for value, label in Priority.choices]),
            ("Category", [(f"category:{pk}", category.name) for pk, category in self.categories.items()]),
            ("Merge", [("merge:oldest", "Merge into the oldest ticked ticket")]),
        ]

    def clean_change(self) -> dict:
        """The service's arguments: {"action": "assign", "assignee": <User>} and so on."""
        action, _, value = self.cleaned_data["change"].partition(":")
        if action == BulkAction.ASSIGN:
            return {"action": action, "assignee": self.engineers[int(value)]}
        if action == BulkAction.CATEGORY:
            return {"action": action, "category": self.categories[int(value)]}
        if action == BulkAction.STATE:
            return {"action": action, "to_state": value}
        if action == BulkAction.MERGE:
            return {"action": action}
        return {"action": action, "priority": value}


class DraftDecisionForm(BootstrapForm):
    """What the engineer does with an AI draft: send it (as is or edited) or discard it."""

    action = forms.ChoiceField(choices=[("send", "Send reply"), ("discard", "Discard")])
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False, label="Reply")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "send" and not (cleaned.get("body") or "").strip():
            self.add_error("body", "Write the reply before sending it.")
        return cleaned

from django import forms

from knowledge.models import Article
from tickets.models import Category


class ArticleForm(forms.Form):
    """Input of the article editor; the view passes the sites the user may write for."""

    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}), help_text="Markdown")
    site = forms.ModelChoiceField(queryset=None, required=False, empty_label="Global (every site)")
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)
    state = forms.ChoiceField(choices=Article.State.choices, initial=Article.State.DRAFT)

    def __init__(self, *args, sites, allow_global: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.allow_global = allow_global
        if not allow_global:
            self.fields["site"].required = True
            self.fields["site"].empty_label = None
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class ArticleDraftForm(forms.Form):
    """The reviewer's edit of a proposed KB draft before publishing it to the draft's own site."""

    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 16}), help_text="Markdown")
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

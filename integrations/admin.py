"""Admin for tokens and webhooks: service tokens are issued here (the secret is shown once, as a message)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from integrations import services
from integrations.models import (
    ApiToken,
    InboundMail,
    SupportAddress,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)


def _become(unsaved, saved) -> None:
    """The admin logs and redirects with the object it handed to save_model: make it the saved row."""
    for field in saved._meta.concrete_fields:
        setattr(unsaved, field.attname, getattr(saved, field.attname))
    unsaved._state.adding = False


class ServiceTokenForm(forms.ModelForm):
    access = forms.ChoiceField(
        choices=services.ServiceAccess.choices, initial=services.ServiceAccess.REPORTER
    )

    class Meta:
        model = ApiToken
        fields = ["site", "name", "expires_at"]

    def clean_site(self):
        if self.cleaned_data.get("site") is None:
            raise forms.ValidationError("A service token belongs to one site.")
        return self.cleaned_data["site"]

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return value


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Adding a token here issues a site service token; personal tokens are made by their owners."""

    list_display = ["name", "kind", "prefix", "user", "site", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["kind", "site"]
    list_select_related = ["user", "site"]
    search_fields = ["name", "prefix", "user__username"]
    actions = ["revoke"]
    readonly_fields = [
        "kind",
        "user",
        "site",
        "prefix",
        "created_by",
        "last_used_at",
        "revoked_at",
        "created_at",
    ]
    fields = ["name", *readonly_fields, "expires_at"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ServiceTokenForm
            kwargs["fields"] = ["site", "name", "access", "expires_at"]
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["site", "name", "access", "expires_at"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        issued = services.service_token_create(
            site=form.cleaned_data["site"],
            name=form.cleaned_data["name"],
            access=form.cleaned_data["access"],
            expires_at=form.cleaned_data["expires_at"],
            created_by=request.user,
        )
        _become(obj, issued.token)
        messages.warning(
            request,
            f"Service token for {issued.token.site}: {issued.secret} — copy it now, it is not shown again.",
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Webhook
        fields = ["site", "url", "description", "events", "is_active"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("url"):
            try:
                services.webhook_url_check(url=cleaned["url"])
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["url", "site", "events", "is_active", "created_at"]
    list_filter = ["is_active", "site"]
    readonly_fields = ["secret", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.webhook_create(
            site=obj.site,
            url=obj.url,
            events=form.cleaned_data["events"],
            description=obj.description,
            created_by=request.user,
        )
        _become(obj, created)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "status_code", "response_excerpt", "error", "duration_ms", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "webhook", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event", "site"]
    list_select_related = ["webhook"]
    inlines = [WebhookAttemptInline]
    readonly_fields = [
        "uuid",
        "webhook",
        "site",
        "event",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "delivered_at",
        "created_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SupportAddress)
class SupportAddressAdmin(admin.ModelAdmin):
    """Where each site's customers write to (docs/email-in.md); mail to other addresses is held."""

    list_display = ["address", "site"]
    list_select_related = ["site"]
    search_fields = ["address", "site__name"]


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    """Every message read from the support mailbox, for looking up what became of one; engineers file
    or discard held mail on the held-email page."""

    list_display = ["received_at", "site", "sender", "subject", "status"]
    list_filter = ["status", "site"]
    list_select_related = ["site"]
    search_fields = ["message_key", "sender", "subject"]
    exclude = ["raw"]
    readonly_fields = [field.name for field in InboundMail._meta.fields if field.name != "raw"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

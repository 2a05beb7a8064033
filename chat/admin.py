from django.contrib import admin

from chat.models import Conversation, IncidentType, Message, MessageFeedback


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["seq", "author_kind", "author", "body", "latency_ms", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["seq"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["pk", "subject", "site", "customer", "state", "outcome", "ticket", "created_at"]
    list_filter = ["state", "outcome", "site"]
    list_select_related = ["site", "customer", "ticket"]
    search_fields = ["subject", "customer__username"]
    readonly_fields = ["last_seq", "client_key", "created_at", "closed_at"]
    inlines = [MessageInline]


@admin.register(MessageFeedback)
class MessageFeedbackAdmin(admin.ModelAdmin):
    list_display = ["message", "site", "helpful", "comment", "created_at"]
    list_filter = ["helpful", "site"]
    list_select_related = ["message", "site"]


@admin.register(IncidentType)
class IncidentTypeAdmin(admin.ModelAdmin):
    """Per-site security incident types; a site without a row for a slug uses the built-in default."""

    list_display = ["slug", "name", "site", "enabled", "article"]
    list_filter = ["site", "enabled", "slug"]
    list_select_related = ["site", "article"]
    search_fields = ["slug", "name", "site__name"]

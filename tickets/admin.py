from django.contrib import admin

from tickets.models import Attachment, Category, Comment, Review, SLATarget, Ticket, TicketEvent


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")


@admin.register(SLATarget)
class SLATargetAdmin(admin.ModelAdmin):
    list_display = ("priority", "site", "first_response_minutes", "resolution_minutes")
    list_filter = ("priority", "site")


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    fields = ("author", "is_internal", "body", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("author",)


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor", "by_assistant", "field", "old_value", "new_value", "message")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "site", "state", "priority", "category", "assignee", "created_at")
    list_filter = ("state", "priority", "category", "site", "needs_assignment", "needs_human_triage")
    search_fields = ("title", "description", "requester__username")
    raw_id_fields = ("requester", "assignee")
    list_select_related = ("site", "category", "assignee")
    date_hierarchy = "created_at"
    inlines = [CommentInline, TicketEventInline]


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    """The audit trail is append-only: readable here, never added, changed or deleted."""

    list_display = (
        "created_at",
        "ticket",
        "kind",
        "actor",
        "by_assistant",
        "field",
        "old_value",
        "new_value",
    )
    list_filter = ("kind", "by_assistant", "site")
    search_fields = ("message", "ticket__title")
    list_select_related = ("ticket", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("ticket", "author", "is_internal", "created_at")
    list_filter = ("is_internal", "site")
    raw_id_fields = ("ticket", "author")


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "ticket", "content_type", "size", "is_internal", "created_at")
    list_filter = ("content_type", "is_internal", "site")
    raw_id_fields = ("ticket", "comment", "uploaded_by")


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("ticket", "rating", "engineer", "author", "created_at")
    list_filter = ("rating", "site")
    raw_id_fields = ("ticket", "author", "engineer")

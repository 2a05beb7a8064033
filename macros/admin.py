from django.contrib import admin

from macros.models import Macro, MacroUse


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "set_state", "set_priority", "is_internal", "is_active", "updated_at")
    list_filter = ("site", "is_active", "is_internal")
    search_fields = ("name", "body")
    raw_id_fields = ("created_by",)


@admin.register(MacroUse)
class MacroUseAdmin(admin.ModelAdmin):
    list_display = ("macro", "ticket", "site", "used_by", "created_at")
    list_filter = ("site",)
    raw_id_fields = ("macro", "ticket", "used_by", "comment")
    readonly_fields = ("created_at",)

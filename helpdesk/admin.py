from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from helpdesk.models import Profile, Site, User


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "contact_name", "is_active"]
    list_filter = ["is_active", "kind"]
    search_fields = ["name", "slug", "contact_name"]
    prepopulated_fields = {"slug": ["name"]}


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    filter_horizontal = ["covered_sites"]


@admin.register(User)
class HelpdeskUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "role", "site", "is_active"]
    list_filter = ["role", "site", "is_active"]
    list_select_related = ["site"]
    fieldsets = (*UserAdmin.fieldsets, ("Helpdesk", {"fields": ["role", "site"]}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Helpdesk", {"fields": ["role", "site"]}))


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "is_available", "capacity"]
    list_select_related = ["user"]
    filter_horizontal = ["covered_sites"]
    search_fields = ["user__username", "display_name"]

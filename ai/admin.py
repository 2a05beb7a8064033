"""Django admin for the AI log: every call, filterable, with per-site usage and estimated cost."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q, Sum

from helpdesk.models import AIInteraction


@admin.register(AIInteraction)
class AIInteractionAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "site",
        "purpose",
        "provider",
        "model",
        "outcome",
        "defects",
        "prompt_tokens",
        "completion_tokens",
        "latency_ms",
        "cost_usd",
    ]
    list_filter = ["site", "purpose", "provider", "outcome", "created_at"]
    list_select_related = ["site"]
    date_hierarchy = "created_at"
    search_fields = ["error", "model"]
    # The template adds a per-site summary of whatever the filters select above the list.
    change_list_template = "admin/helpdesk/aiinteraction/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["usage_by_site"] = (
                changelist.queryset.order_by()
                .values("site__name")
                .annotate(
                    calls=Count("id"),
                    prompt_tokens=Sum("prompt_tokens"),
                    completion_tokens=Sum("completion_tokens"),
                    cost=Sum("cost_usd"),
                    fallbacks=Count("id", filter=Q(outcome=AIInteraction.Outcome.FALLBACK)),
                    errors=Count("id", filter=Q(outcome=AIInteraction.Outcome.ERROR)),
                    rejected=Count("id", filter=Q(outcome=AIInteraction.Outcome.REJECTED)),
                    # Calls whose answer a small model got wrong somewhere (repaired or rejected).
                    with_defects=Count("id", filter=~Q(defects=[])),
                )
                .order_by("-cost", "site__name")
            )
        return response

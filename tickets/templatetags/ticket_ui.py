from django import template

register = template.Library()

STATE_COLORS = {
    "new": "primary",
    "triaged": "info",
    "assigned": "info",
    "in_progress": "warning",
    "waiting_on_customer": "secondary",
    "resolved": "success",
    "closed": "dark",
    "cancelled": "light",
}
PRIORITY_COLORS = {"low": "secondary", "normal": "primary", "high": "warning", "urgent": "danger"}


@register.filter
def state_color(state: str) -> str:
    return STATE_COLORS.get(state, "secondary")


@register.filter
def priority_color(priority: str) -> str:
    return PRIORITY_COLORS.get(priority, "secondary")

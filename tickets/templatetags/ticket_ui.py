from django import template

from tickets.models import Priority, TicketState

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
def event_value(value: str, field: str) -> str:
    """An audit value as people read it: state and priority codes shown by their labels."""
    choices = {"state": TicketState, "priority": Priority}.get(field)
    if choices is not None and value in choices.values:
        return choices(value).label
    return value


@register.filter
def priority_color(priority: str) -> str:
    return PRIORITY_COLORS.get(priority, "secondary")

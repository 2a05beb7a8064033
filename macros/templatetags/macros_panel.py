"""`{% macros_panel ticket user %}`: the macros a staff member may apply on a ticket, and the suggested ones.

The ticket page belongs to tickets, which sits below macros and may not import it; so macros renders the
panel and the page's template loads it. Customers get an empty panel.
"""

from django import template

from macros.selectors import macro_preview, macro_suggestions, macros_for_ticket

register = template.Library()


@register.inclusion_tag("macros/_panel.html")
def macros_panel(ticket, user) -> dict:
    if not user.is_authenticated or not user.is_staff_member:
        return {"show": False}
    suggestions = macro_suggestions(ticket=ticket, user=user)
    return {
        "show": True,
        "ticket": ticket,
        "macros": list(macros_for_ticket(ticket=ticket, user=user)),
        "suggestions": [
            (suggestion, macro_preview(macro=suggestion.macro, ticket=ticket, engineer=user))
            for suggestion in suggestions
        ],
    }

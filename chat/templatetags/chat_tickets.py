"""`{% ticket_conversation ticket user %}`: the chat a ticket came from, as a panel of the ticket page.

The ticket page belongs to tickets, which sits below chat and may not import it; so chat renders the panel
and the page's template loads it. The panel is empty when the user may see no conversation of the ticket.
"""

from django import template

from chat.selectors import conversation_messages_for_ticket

register = template.Library()


@register.inclusion_tag("chat/_ticket_conversation.html")
def ticket_conversation(ticket, user) -> dict:
    return {"chat_messages": conversation_messages_for_ticket(ticket=ticket, user=user), "user": user}

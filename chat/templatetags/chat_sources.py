"""`{% message_sources m as sources %}`: a message's sources as the page's user may see them."""

from django import template

from chat.selectors import message_sources_for

register = template.Library()


@register.simple_tag(takes_context=True)
def message_sources(context, message) -> list[dict]:
    return message_sources_for(message, viewer=context["user"])

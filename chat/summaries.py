"""Summaries of long conversations for engineers (the same provider call as tickets.summaries): the
problem in the customer's words, what the assistant and engineers suggested and what the customer said
happened, where it stands, whose move it is.
"""

from __future__ import annotations

from ai.base import Turn
from ai.providers import get_provider
from chat.models import Conversation, ConversationSummary, Message
from helpdesk.models import StoredSummary

# Customer, assistant and engineer messages before a conversation gets a summary.
SUMMARY_MIN_MESSAGES = 4
ROLES = {
    Message.Author.CUSTOMER: "customer",
    Message.Author.ASSISTANT: "assistant",
    Message.Author.ENGINEER: "engineer",
}


def conversation_turns(conversation: Conversation) -> list[Turn]:
    """The messages, oldest first, system lines left out; the conversation's state last."""
    turns = [
        Turn(ROLES[kind], body)
        for kind, body in conversation.messages.exclude(author_kind=Message.Author.SYSTEM)
        .order_by("seq")
        .values_list("author_kind", "body")
    ]
    state = conversation.get_state_display()
    if conversation.ticket_id:
        state += f", handed to ticket #{conversation.ticket_id}"
    return [*turns, Turn("event", f"{state}.")]


def conversation_summarize(*, conversation_id: int, provider=None) -> ConversationSummary | None:
    """Store a fresh summary of a long conversation (None, and any old one removed, for a short one)."""
    conversation = Conversation.objects.select_related("site").filter(pk=conversation_id).first()
    if conversation is None:
        return None
    turns = conversation_turns(conversation)
    if len(turns) - 1 < SUMMARY_MIN_MESSAGES:
        ConversationSummary.objects.filter(conversation=conversation).delete()
        return None
    result = (provider or get_provider()).summarize(
        site=conversation.site,
        title=conversation.subject,
        turns=turns,
        conversation_id=conversation.pk,
    )
    summary, _ = ConversationSummary.objects.update_or_create(
        conversation=conversation,
        defaults=StoredSummary.fields_from(result, turns=len(turns)),
    )
    return summary

"""Reads for conversations, always narrowed through helpdesk.tenancy."""

from __future__ import annotations

from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from chat.models import Conversation, Message, MessageFeedback
from helpdesk.models import User
from helpdesk.tenancy import scope_to_user, visible_sites


def conversations_for_user(*, user: User) -> QuerySet[Conversation]:
    """Customers see their own conversations; engineers those of the sites they cover; admins all."""
    conversations = scope_to_user(Conversation.objects.select_related("site", "customer", "ticket"), user)
    if not user.is_staff_member:
        conversations = conversations.filter(customer=user)
    return conversations


def conversation_get_for_user(*, user: User, pk: int) -> Conversation:
    """One conversation the user may see, or 404 (another site's, or another customer's)."""
    try:
        return conversations_for_user(user=user).get(pk=pk)
    except Conversation.DoesNotExist as error:
        raise Http404("No conversation matches the given query.") from error


def message_get_for_user(*, user: User, pk: int) -> Message:
    conversation_ids = conversations_for_user(user=user).values("pk")
    try:
        return Message.objects.select_related("conversation").get(pk=pk, conversation__in=conversation_ids)
    except Message.DoesNotExist as error:
        raise Http404("No message matches the given query.") from error


def messages_after(*, conversation: Conversation, after_seq: int = 0, limit: int = 200) -> list[Message]:
    """The conversation's messages numbered after the cursor, oldest first: what a feed sends next."""
    return list(
        Message.objects.filter(conversation_id=conversation.pk, seq__gt=after_seq)
        .select_related("author", "author__profile", "feedback")
        .order_by("seq")[:limit]
    )


def pending_question(*, conversation: Conversation) -> Message | None:
    """The customer's latest question still waiting for the assistant, if any."""
    return (
        Message.objects.filter(conversation_id=conversation.pk, awaits_reply=True, reply__isnull=True)
        .order_by("-seq")
        .first()
    )


def message_author_name(message: Message) -> str:
    if message.author_kind == Message.Author.ASSISTANT:
        return "Assistant (AI)"
    if message.author_kind == Message.Author.SYSTEM:
        return "Helpdesk"
    return message.author.display_name if message.author else message.get_author_kind_display()


def message_as_dict(message: Message) -> dict:
    """What the page and the API show of a message (text only: the browser renders it as text)."""
    feedback = getattr(message, "feedback", None) if message.author_kind == Message.Author.ASSISTANT else None
    return {
        "id": message.pk,
        "seq": message.seq,
        "conversation_id": message.conversation_id,
        "author_kind": message.author_kind,
        "author_name": message_author_name(message),
        "body": message.body,
        "sources": message.sources,
        "reply_to": message.reply_to_id,
        "latency_ms": message.latency_ms,
        "created_at": message.created_at.isoformat(),
        "feedback": None if feedback is None else {"helpful": feedback.helpful, "comment": feedback.comment},
    }


def conversation_state_as_dict(conversation: Conversation) -> dict:
    return {
        "id": conversation.pk,
        "state": conversation.state,
        "outcome": conversation.outcome,
        "ticket_id": conversation.ticket_id,
        "assistant_active": conversation.assistant_active,
        "last_seq": conversation.last_seq,
    }


def conversation_transcript(*, conversation: Conversation) -> str:
    """The conversation as plain text, who said what: the description of an escalated ticket."""
    lines = []
    for message in Message.objects.filter(conversation_id=conversation.pk).select_related("author__profile"):
        if message.author_kind == Message.Author.SYSTEM:
            continue
        lines.append(f"{message_author_name(message)}: {message.body}")
    return "\n\n".join(lines)


def conversation_messages_for_ticket(*, ticket, user: User) -> list[Message]:
    """All chat messages of a ticket's conversations the user may see (the ticket page's "Conversation")."""
    conversations = conversations_for_user(user=user).filter(ticket_id=ticket.pk)
    return list(
        Message.objects.filter(conversation__in=conversations)
        .select_related("author__profile", "conversation")
        .order_by("conversation__created_at", "seq")
    )


def ticket_url(ticket_id: int) -> str | None:
    """The ticket page, under whichever name the tickets app gives it."""
    for name in ("tickets:detail", "tickets:ticket_detail", "tickets:ticket"):
        try:
            return reverse(name, args=[ticket_id])
        except NoReverseMatch:
            continue
    return None


def chat_insights(*, user: User) -> list[dict]:
    """Per visible site: conversations, deflection rate, helpfulness and average answer latency."""
    sites = visible_sites(user).order_by("name")
    conversation_counts = {
        row["site"]: row
        for row in Conversation.objects.filter(site__in=sites)
        .values("site")
        .annotate(
            total=Count("pk"),
            deflected=Count("pk", filter=Q(outcome=Conversation.Outcome.DEFLECTED)),
            escalated=Count("pk", filter=Q(outcome=Conversation.Outcome.ESCALATED)),
        )
    }
    feedback_counts = {
        row["site"]: row
        for row in MessageFeedback.objects.filter(site__in=sites)
        .values("site")
        .annotate(helpful=Count("pk", filter=Q(helpful=True)), rated=Count("pk"))
    }
    latencies = {
        row["site"]: row
        for row in Message.objects.filter(site__in=sites, author_kind=Message.Author.ASSISTANT)
        .values("site")
        .annotate(answers=Count("pk"), latency=Avg("latency_ms"), first_token=Avg("first_token_ms"))
    }
    rows = []
    for site in sites:
        conversations = conversation_counts.get(site.pk, {})
        feedback = feedback_counts.get(site.pk, {})
        latency = latencies.get(site.pk, {})
        decided = conversations.get("deflected", 0) + conversations.get("escalated", 0)
        rated = feedback.get("rated", 0)
        rows.append(
            {
                "site": site,
                "conversations": conversations.get("total", 0),
                "deflected": conversations.get("deflected", 0),
                "escalated": conversations.get("escalated", 0),
                "deflection_rate": conversations.get("deflected", 0) / decided if decided else None,
                "rated": rated,
                "helpful": feedback.get("helpful", 0),
                "helpfulness": feedback.get("helpful", 0) / rated if rated else None,
                "answers": latency.get("answers", 0),
                "avg_latency_ms": latency.get("latency"),
                "avg_first_token_ms": latency.get("first_token"),
            }
        )
    return rows

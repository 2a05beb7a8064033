"""Reads for conversations, always narrowed through helpdesk.tenancy."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Avg, Count, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from chat.handoff import handoff_title, suggested_steps
from chat.models import (
    Conversation,
    ConversationEvent,
    ConversationSummary,
    IncidentType,
    Message,
    MessageFeedback,
)
from chat.safety import DEFAULTS_BY_SLUG, IncidentSpec, lines
from helpdesk.models import Site, User
from helpdesk.tenancy import scope_to_user, visible_sites
from retrieval.citations import CitedRow, sources_for_viewer
from tickets.models import Ticket
from tickets.selectors import HistoryItem
from tickets.training import Example


def conversations_for_user(*, user: User) -> QuerySet[Conversation]:
    """Customers see their own conversations; engineers those of the sites they cover; admins all."""
    conversations = scope_to_user(
        Conversation.objects.select_related("site", "customer", "ticket", "category"), user
    )
    if not user.is_staff_member:
        conversations = conversations.filter(customer=user)
    return conversations


def cited_conversations(viewer: User, ids: set[int]) -> dict[int, CitedRow]:
    """Chats as a citation shows them to `viewer` (registered with retrieval.citations). Their resolution
    is what their search document has: the last word of the assistant or an engineer."""
    conversations = Conversation.objects.select_related("customer__profile").in_bulk(ids)
    openable = set(
        conversations_for_user(user=viewer).filter(pk__in=conversations).values_list("pk", flat=True)
    )
    answers = dict(
        Message.objects.filter(conversation_id__in=conversations)
        .exclude(author_kind__in=(Message.Author.CUSTOMER, Message.Author.SYSTEM))
        .order_by("conversation_id", "-seq")
        .distinct("conversation_id")
        .values_list("conversation_id", "body")
    )
    return {
        pk: CitedRow(
            site_id=conversation.site_id,
            openable=pk in openable,
            moment=conversation.closed_at or conversation.created_at,
            resolution=answers.get(pk, ""),
            requester=conversation.customer,
        )
        for pk, conversation in conversations.items()
    }


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


def orphaned_questions(*, stale_before: datetime, asked_after: datetime, limit: int) -> QuerySet[Message]:
    """Questions of conversations the assistant still answers that nobody is answering: claimed before
    `stale_before` (the claimer died), or never claimed and asked before it. Oldest first, across sites:
    the sweep that reads this answers each within its own site."""
    return (
        Message.objects.filter(
            author_kind=Message.Author.CUSTOMER,
            awaits_reply=True,
            reply__isnull=True,
            conversation__state=Conversation.State.OPEN,
            conversation__outcome=Conversation.Outcome.NONE,
            created_at__gt=asked_after,
        )
        .filter(
            Q(reply_claimed_at__lt=stale_before)
            | Q(reply_claimed_at__isnull=True, created_at__lt=stale_before)
        )
        .select_related("conversation__site")
        .order_by("created_at")[:limit]
    )


def message_author_name(message: Message) -> str:
    if message.author_kind == Message.Author.ASSISTANT:
        return "Assistant (AI)"
    if message.author_kind == Message.Author.SYSTEM:
        return "Helpdesk"
    return message.author.display_name if message.author else message.get_author_kind_display()


def message_sources_for(message: Message, *, viewer: User | None = None) -> list[dict]:
    """The message's sources as `viewer` may see them; by default as the conversation's customer would."""
    if not message.sources:
        return []
    viewer = viewer or User.objects.get(conversations__pk=message.conversation_id)
    return sources_for_viewer(user=viewer, sources=message.sources)


def message_as_dict(message: Message, *, viewer: User | None = None) -> dict:
    """What the page and the API show of a message (text only: the browser renders it as text)."""
    feedback = getattr(message, "feedback", None) if message.author_kind == Message.Author.ASSISTANT else None
    return {
        "id": message.pk,
        "seq": message.seq,
        "conversation_id": message.conversation_id,
        "author_kind": message.author_kind,
        "author_name": message_author_name(message),
        "body": message.body,
        "sources": message_sources_for(message, viewer=viewer),
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


@dataclass(frozen=True)
class HandoffSummary:
    """What an escalated conversation's ticket says: the problem, and what was tried."""

    title: str
    description: str


# Assistant replies that suggest steps: besides these, any reply that cites a source.
_SUGGESTING = (Message.Route.ANSWERED, Message.Route.INCIDENT)
NO_OUTCOME = "   \u2192 Customer: no reply before asking for an engineer."


def _step_key(step: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", step.lower()))


def conversation_handoff_summary(*, conversation: Conversation) -> HandoffSummary:
    """The ticket a conversation becomes: a title in the customer's words; a description of the customer's
    messages, then "Tried so far" (each step the assistant suggested once, and what the customer said
    happened after it), then a link to the conversation, which the ticket page shows in full."""
    messages = list(Message.objects.filter(conversation_id=conversation.pk).order_by("seq"))
    said = [m.body for m in messages if m.author_kind == Message.Author.CUSTOMER]
    tried: list[tuple[list[str], list[str]]] = []  # (steps, the customer's replies after them)
    seen: set[str] = set()
    for message in messages:
        if message.author_kind == Message.Author.CUSTOMER and tried:
            tried[-1][1].append(message.body)
        grounded = message.sources or message.route in _SUGGESTING
        if message.author_kind != Message.Author.ASSISTANT or not grounded:
            continue
        steps = [step for step in suggested_steps(message.body) if _step_key(step) not in seen]
        seen.update(_step_key(step) for step in steps)
        if steps:
            tried.append((steps, []))
    lines = ["Tried so far:"]
    number = 0
    for steps, replies in tried:
        for step in steps:
            number += 1
            lines.append(f"{number}. {step}")
        outcome = " ".join(" ".join(reply.split()) for reply in replies)
        lines.append(f'   \u2192 Customer: "{outcome}"' if outcome else NO_OUTCOME)
    if not tried:
        lines.append("Nothing: the assistant suggested no steps.")
    base = settings.HELPDESK_BASE_URL.rstrip("/")
    description = "\n\n".join(
        [*said, "\n".join(lines), f"Full conversation: {base}{conversation.get_absolute_url()}"]
    )
    title = handoff_title(said) or conversation.subject or "Help requested in chat"
    return HandoffSummary(title=title, description=description)


def conversation_customer_text(*, conversation: Conversation) -> str:
    """What the customer asked: the subject, then their messages in order (the text a closed conversation
    is triaged from, shaped like its training example in tickets.classifier)."""
    said = Message.objects.filter(conversation_id=conversation.pk, author_kind=Message.Author.CUSTOMER)
    return "\n\n".join([conversation.subject, *said.order_by("seq").values_list("body", flat=True)]).strip()


def conversation_messages_for_ticket(*, ticket, user: User) -> list[Message]:
    """All chat messages of a ticket's conversations the user may see (the ticket page's "Conversation")."""
    conversations = conversations_for_user(user=user).filter(ticket_id=ticket.pk)
    return list(
        Message.objects.filter(conversation__in=conversations)
        .select_related("author__profile", "conversation")
        .order_by("conversation__created_at", "seq")
    )


def ticket_customer_words(*, ticket: Ticket) -> list[str]:
    """What the customer wrote in the chats a ticket came from, in order (registered with
    tickets.selectors as the requester's words: that ticket's description also quotes the assistant)."""
    said = Message.objects.filter(
        conversation__ticket_id=ticket.pk, author_kind=Message.Author.CUSTOMER
    ).order_by("conversation__created_at", "seq")
    return list(said.values_list("body", flat=True))


def conversations_for_training(*, site: Site) -> QuerySet[Conversation]:
    """The site's closed conversations with a category (triaged, inherited or set by an engineer)."""
    return (
        Conversation.objects.filter(site=site, state=Conversation.State.CLOSED, category__isnull=False)
        .select_related("category")
        .order_by("pk")
    )


def conversation_training_examples(*, site: Site) -> list[Example]:
    """The site's categorized closed chats as its triage model learns them (registered with
    tickets.training): the subject and the customer's messages, or the subject alone as the title."""
    conversations = list(conversations_for_training(site=site))
    asked: dict[int, list[str]] = defaultdict(list)
    for conversation_id, body in (
        Message.objects.filter(conversation__in=conversations, author_kind=Message.Author.CUSTOMER)
        .order_by("conversation_id", "seq")
        .values_list("conversation_id", "body")
    ):
        asked[conversation_id].append(body)
    return [
        Example(
            "\n\n".join([c.subject, *asked[c.pk]]), c.subject or (asked[c.pk] or [""])[0], c.category.slug
        )
        for c in conversations
        if asked[c.pk] or c.subject
    ]


def conversations_categorized_since(*, site: Site, since: datetime | None) -> int:
    """How many of the site's training chats were categorized after `since` (all of them when None)."""
    conversations = conversations_for_training(site=site)
    if since is None:
        return conversations.count()
    # A chat counts once it is categorized (on close, from its ticket, or re-categorized by an engineer).
    return (
        conversations.filter(events__kind=ConversationEvent.Kind.CATEGORIZED, events__created_at__gt=since)
        .distinct()
        .count()
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
    """Per visible site: conversations, deflection rate, helpfulness, average answer latency, off-topic
    questions, the customers' languages (most frequent first) and conversations and tickets per category."""
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
        .annotate(
            answers=Count("pk"),
            latency=Avg("latency_ms"),
            first_token=Avg("first_token_ms"),
            off_topic=Count("pk", filter=Q(route=Message.Route.OFF_TOPIC)),
        )
    }
    categories = _category_counts(sites)
    languages: dict[int, list[tuple[str, int]]] = {}
    for row in (
        Message.objects.filter(site__in=sites, author_kind=Message.Author.ASSISTANT)
        .exclude(language="")
        .values("site", "language")
        .annotate(count=Count("pk"))
        .order_by("site", "-count", "language")
    ):
        languages.setdefault(row["site"], []).append((row["language"], row["count"]))
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
                "off_topic": latency.get("off_topic", 0),
                "languages": languages.get(site.pk, []),
                "categories": categories.get(site.pk, []),
            }
        )
    return rows


def _category_counts(sites) -> dict[int, list[dict]]:
    """Per site and category (most conversations first): conversations beside tickets, and the share of
    the category's decided conversations the assistant solved."""
    counts: dict[tuple[int, str], dict] = {}
    for row in (
        Conversation.objects.filter(site__in=sites, category__isnull=False)
        .values("site", "category__name")
        .annotate(
            conversations=Count("pk"),
            deflected=Count("pk", filter=Q(outcome=Conversation.Outcome.DEFLECTED)),
            escalated=Count("pk", filter=Q(outcome=Conversation.Outcome.ESCALATED)),
        )
    ):
        counts[row["site"], row["category__name"]] = row
    for row in (
        Ticket.objects.filter(site__in=sites, category__isnull=False)
        .values("site", "category__name")
        .annotate(tickets=Count("pk"))
    ):
        counts.setdefault((row["site"], row["category__name"]), {})["tickets"] = row["tickets"]
    by_site: dict[int, list[dict]] = {}
    for (site_id, name), row in counts.items():
        deflected, escalated = row.get("deflected", 0), row.get("escalated", 0)
        by_site.setdefault(site_id, []).append(
            {
                "category": name,
                "conversations": row.get("conversations", 0),
                "tickets": row.get("tickets", 0),
                "deflected": deflected,
                "deflection_rate": deflected / (deflected + escalated) if deflected + escalated else None,
            }
        )
    for rows in by_site.values():
        rows.sort(key=lambda row: (-row["conversations"], -row["tickets"], row["category"]))
    return by_site


def incident_types_for_site(*, site) -> list[IncidentSpec]:
    """The incident types detection uses for a site: the built-in defaults, each replaced by the site's
    row of the same slug (blank fields keep the default's, a disabled row drops the type), plus the
    site's own new types. Only this site's rows are read: another site's edits never apply here."""
    rows = {row.slug: row for row in IncidentType.objects.filter(site=site).select_related("article")}
    specs = []
    for slug in [*DEFAULTS_BY_SLUG, *sorted(set(rows) - set(DEFAULTS_BY_SLUG))]:
        row = rows.get(slug)
        default = DEFAULTS_BY_SLUG.get(slug) or IncidentSpec(slug, slug, (), (), "")
        if row is None:
            specs.append(default)
            continue
        if not row.enabled:
            continue
        article = row.article if row.article and row.article.state == row.article.State.PUBLISHED else None
        specs.append(
            IncidentSpec(
                slug=slug,
                name=row.name or default.name,
                prototypes=lines(row.prototypes) or default.prototypes,
                key_terms=lines(row.key_terms) or default.key_terms,
                steps=row.steps.strip() or default.steps,
                article_id=article.pk if article and article.site_id in (None, site.pk) else None,
            )
        )
    return specs


def requester_conversations(*, ticket: Ticket, limit: int) -> list[HistoryItem]:
    """The ticket requester's recent chats on its site, newest first, leaving out the ones the ticket
    came from (registered with tickets.selectors as requester history)."""
    opening = Message.objects.filter(
        conversation=OuterRef("pk"), author_kind=Message.Author.CUSTOMER
    ).order_by("seq")
    conversations = (
        Conversation.objects.filter(site_id=ticket.site_id, customer_id=ticket.requester_id)
        .exclude(ticket_id=ticket.pk)
        .annotate(opening=Coalesce(Subquery(opening.values("body")[:1]), Value(""), output_field=TextField()))
        .order_by("-created_at")[:limit]
    )
    return [
        HistoryItem(
            kind="conversation",
            title=c.subject or c.opening[:80] or f"Chat {c.pk}",
            url=reverse("chat:conversation", args=[c.pk]),
            created_at=c.created_at,
            state=c.get_state_display(),
            text=f"{c.subject}\n{c.opening}",
        )
        for c in conversations
    ]


def conversation_summary_for(*, conversation: Conversation) -> ConversationSummary | None:
    """The conversation's stored summary (chat.summaries), for engineers; None for a short one."""
    return ConversationSummary.objects.filter(conversation=conversation).first()

"""Writes for conversations: messages, the assistant's grounded replies, deflection and escalation.

Every write is atomic and reads nothing from process memory: any server process can continue any
conversation. Messages are numbered per conversation under the conversation's row lock (see
`Message.save`), and human messages carry the client's idempotency key, so a double submit or a retry
is one message. The assistant's reply to a question is written exactly once: generation is claimed
with a conditional UPDATE, and the reply row is unique per question.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from chat.models import Conversation, ConversationEvent, IncidentType, Message, MessageFeedback
from chat.selectors import conversation_customer_text, conversation_handoff_summary, orphaned_questions
from helpdesk.jobs import enqueue_on_commit
from helpdesk.models import Site, User
from retrieval.embedders import Embedder, RememberingEmbedder, get_embedder
from tickets.models import Category, Ticket

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a process that died mid-answer; another may take over.
REPLY_CLAIM_TIMEOUT = timedelta(seconds=settings.CHAT_REPLY_TIMEOUT_SECONDS)
# The sweep of orphaned questions leaves older ones alone (see orphaned_questions_answer).
ORPHAN_MAX_AGE = timedelta(days=1)
UNAVAILABLE_REPLY = (
    "Sorry, the assistant cannot answer right now. Choose \u201cI still need help\u201d and an engineer "
    "will take it from here."
)


class ConversationClosed(Exception):
    """The conversation no longer takes messages or decisions."""


def message_max_length() -> int:
    return settings.CHAT_MESSAGE_MAX_LENGTH


def message_body_clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a message first."})
    limit = message_max_length()
    if len(body) > limit:
        raise ValidationError(
            {"body": f"A message can be at most {limit} characters (this one has {len(body)})."}
        )
    return body


def _author_kind(*, conversation: Conversation, user: User) -> str:
    if user.pk == conversation.customer_id:
        return Message.Author.CUSTOMER
    if user.is_staff_member:
        return Message.Author.ENGINEER
    # Callers fetch the conversation through tenancy first; another customer of the same site lands here.
    raise PermissionDenied("Only the customer and the helpdesk take part in a conversation.")


@transaction.atomic
def conversation_start(
    *, site: Site, customer: User, body: str, client_key: str = ""
) -> tuple[Conversation, Message]:
    """Open a conversation with the customer's first question (idempotent per client key)."""
    if customer.site_id != site.pk:
        raise PermissionDenied("A customer starts conversations on their own site only.")
    body = message_body_clean(body)
    if client_key:
        existing = Conversation.objects.filter(customer=customer, client_key=client_key).first()
        if existing is not None:
            return existing, existing.messages.order_by("seq").first()
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                site=site, customer=customer, subject=_subject(body), client_key=client_key
            )
    except IntegrityError:
        # The same form submitted twice at once: the other request created it.
        existing = Conversation.objects.get(customer=customer, client_key=client_key)
        return existing, existing.messages.order_by("seq").first()
    message = message_post(
        site=site, conversation=conversation, author=customer, body=body, client_key=client_key
    )
    if not site.assistant_enabled:  # the site turned its assistant off: a person answers from the start
        conversation_escalate(site=site, conversation=conversation, user=customer)
    return conversation, message


def _subject(body: str) -> str:
    line = body.splitlines()[0].strip()
    return line if len(line) <= 120 else line[:117].rstrip() + "..."


@transaction.atomic
def message_post(
    *, site: Site, conversation: Conversation, author: User, body: str, client_key: str = ""
) -> Message:
    """A customer's or an engineer's message; a retry with the same client key returns the first one."""
    _check_site(site, conversation)
    body = message_body_clean(body)
    # The row lock serializes writers of this conversation: the key check below cannot race.
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if client_key:
        existing = conversation.messages.filter(client_key=client_key).first()
        if existing is not None:
            return existing
    if not conversation.is_open:
        raise ConversationClosed("This conversation is closed.")
    kind = _author_kind(conversation=conversation, user=author)
    if kind == Message.Author.ENGINEER:  # a person took over: the summary they read is refreshed
        enqueue_on_commit("chat.tasks.conversation_summary_refresh", conversation.pk)
    return Message.objects.create(
        conversation=conversation,
        site=conversation.site,
        author_kind=kind,
        author=author,
        body=body,
        client_key=client_key,
        awaits_reply=kind == Message.Author.CUSTOMER and _assistant_answers(conversation),
    )


def _assistant_answers(conversation: Conversation) -> bool:
    """The assistant answers until the customer decides, and stops once an engineer has joined in (or
    the site turns it off)."""
    return (
        conversation.assistant_active
        and conversation.site.assistant_enabled
        and not conversation.messages.filter(author_kind=Message.Author.ENGINEER).exists()
    )


def _check_site(site: Site, conversation: Conversation) -> None:
    if conversation.site_id != site.pk:
        raise PermissionDenied("The conversation belongs to another site.")


def system_message_post(*, conversation: Conversation, body: str) -> Message:
    return Message.objects.create(
        conversation=conversation, site_id=conversation.site_id, author_kind=Message.Author.SYSTEM, body=body
    )


# --- The assistant ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyDone:
    """The end of a reply stream: the saved assistant message."""

    message: Message


def assistant_reply_claim(*, question: Message) -> bool:
    """Take the right to answer `question`: true for exactly one caller while the claim is fresh.

    The row lock serializes claimers across processes. (A single UPDATE filtered on the reply's
    absence would not: Django turns the join into a subquery that PostgreSQL does not re-check after
    waiting for the lock, so two concurrent callers could both win.)
    """
    now = timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().filter(pk=question.pk, awaits_reply=True).first()
        if locked is None or Message.objects.filter(reply_to=locked).exists():
            return False
        if locked.reply_claimed_at is not None and locked.reply_claimed_at >= now - REPLY_CLAIM_TIMEOUT:
            return False
        locked.reply_claimed_at = now
        locked.save(update_fields=["reply_claimed_at"])
    return True


def assistant_reply_stream(*, question: Message) -> Iterator[str | ReplyDone]:
    """Generate the grounded answer to a claimed question: text chunks, then ReplyDone with the saved reply.

    The caller must have won `assistant_reply_claim`. The reply is saved when the provider finishes,
    whoever is (or is no longer) listening; a provider failure is answered with an honest apology.
    """
    from ai.providers import get_provider
    from chat.scope import detect_language
    from retrieval.grounding import build_context

    started = time.monotonic()
    first_token_ms = None
    conversation = question.conversation
    site = conversation.site
    chunks: list[str] = []
    body, sources, route = "", [], Message.Route.ANSWERED
    try:
        # One embedding of the question serves the incident check, the scope check and the search.
        embedder = RememberingEmbedder(get_embedder())
        routed = _routed_reply(question, embedder)
        if routed is not None:
            body, sources, route = routed.body, routed.sources, routed.route
            first_token_ms = int((time.monotonic() - started) * 1000)
            yield body
            reply = assistant_reply_save(
                question=question,
                body=body,
                sources=sources,
                route=route,
                language=routed.language,
                latency_ms=int((time.monotonic() - started) * 1000),
                first_token_ms=first_token_ms,
            )
            yield ReplyDone(reply)
            return
        context = build_context(site=site, text=_retrieval_text(question), embedder=embedder)
        provider = get_provider()
        replies = provider.stream_reply(
            site=site,
            text=question.body,
            context=context,
            offer_ticket=True,
            already_said=_earlier_answers(question),
            conversation_id=conversation.pk,
        )
        for item in replies:
            if isinstance(item, str):
                if not item:
                    continue
                if first_token_ms is None:
                    first_token_ms = int((time.monotonic() - started) * 1000)
                chunks.append(item)
                yield item
            else:
                body = item.body
                sources = _sources_payload(context, item.citations)
                route = Message.Route.NO_MATCH if item.refused else Message.Route.ANSWERED
        body = body or "".join(chunks)
    except Exception:
        # Any failure of retrieval or the provider must still answer the question exactly once.
        logger.exception("assistant reply failed for message %s", question.pk)
        if not chunks:
            first_token_ms = int((time.monotonic() - started) * 1000)
            yield UNAVAILABLE_REPLY
        body, sources = ("".join(chunks) + "\n\n" if chunks else "") + UNAVAILABLE_REPLY, []
        route = Message.Route.UNAVAILABLE
    reply = assistant_reply_save(
        question=question,
        body=body,
        sources=sources,
        route=route,
        language=detect_language(question.body),
        latency_ms=int((time.monotonic() - started) * 1000),
        first_token_ms=first_token_ms,
    )
    yield ReplyDone(reply)


@dataclass(frozen=True)
class RoutedReply:
    """An answer decided before retrieval: a security incident's vetted steps, or the scope sentence."""

    body: str
    route: str
    sources: list[dict]
    language: str = ""


def _routed_reply(question: Message, embedder: Embedder) -> RoutedReply | None:
    """The reply a question gets whatever the knowledge holds, checked in order; None: answer it."""
    from chat.scope import question_scope, refusal_text, scope_sentence

    incident = _incident_reply(question, embedder)
    if incident is not None:
        return incident
    site = question.conversation.site
    scope = question_scope(site=site, text=question.body, embedder=embedder)
    if scope.off_topic:
        return RoutedReply(scope_sentence(scope.language, site), Message.Route.OFF_TOPIC, [], scope.language)
    if scope.no_match:
        return RoutedReply(refusal_text(scope.language), Message.Route.NO_MATCH, [], scope.language)
    return None


def _earlier_answers(question: Message) -> list[str]:
    """What the assistant already answered in this conversation: a follow-up never gets it again."""
    return list(
        Message.objects.filter(
            conversation_id=question.conversation_id,
            author_kind=Message.Author.ASSISTANT,
            seq__lt=question.seq,
        )
        .order_by("seq")
        .values_list("body", flat=True)
    )


def _retrieval_text(question: Message) -> str:
    """The question with the customer's earlier messages: follow-ups keep their context."""
    earlier = (
        Message.objects.filter(
            conversation_id=question.conversation_id,
            author_kind=Message.Author.CUSTOMER,
            seq__lt=question.seq,
        )
        .order_by("-seq")
        .values_list("body", flat=True)[:2]
    )
    return "\n".join([*reversed(list(earlier)), question.body])


def _sources_payload(context, cited_keys: list[str]) -> list[dict]:
    """The cited sources as an engineer sees them; each viewer is shown them through retrieval.citations."""
    from retrieval.citations import source_entry

    by_key = {source.key: source for source in context.sources}
    return [source_entry(by_key[key]) for key in dict.fromkeys(cited_keys) if key in by_key]


@transaction.atomic
def assistant_reply_save(
    *,
    question: Message,
    body: str,
    sources: list[dict],
    latency_ms: int,
    first_token_ms: int | None,
    route: str = "",
    language: str = "",
) -> Message:
    """Write the reply once: a second writer (a claim taken over after a timeout) gets the first reply."""
    Conversation.objects.select_for_update().filter(pk=question.conversation_id).first()
    existing = Message.objects.filter(reply_to=question).first()
    if existing is not None:
        return existing
    return Message.objects.create(
        conversation_id=question.conversation_id,
        site_id=question.site_id,
        author_kind=Message.Author.ASSISTANT,
        body=body,
        sources=sources,
        route=route,
        language=language,
        latency_ms=latency_ms,
        first_token_ms=first_token_ms,
        reply_to=question,
    )


def assistant_reply_wait(*, question: Message) -> Message | None:
    """The reply another process is writing, once saved; None if its claim went stale first."""
    deadline = time.monotonic() + REPLY_CLAIM_TIMEOUT.total_seconds()
    while time.monotonic() < deadline:
        reply = Message.objects.filter(reply_to=question).first()
        if reply is not None:
            return reply
        time.sleep(0.25)
    return None


def assistant_reply_ensure(*, question: Message) -> Message | None:
    """Answer `question` if nobody has (claim and generate), or wait for the one answer being written."""
    if not question.awaits_reply:
        return None
    while True:
        reply = Message.objects.filter(reply_to=question).first()
        if reply is not None:
            return reply
        if assistant_reply_claim(question=question):
            for item in assistant_reply_stream(question=question):
                if isinstance(item, ReplyDone):
                    return item.message
        reply = assistant_reply_wait(question=question)
        if reply is not None:
            return reply


def orphaned_questions_answer(*, limit: int = 50) -> int:
    """Answer questions left waiting by a crash, e.g. an API request cut off mid-answer (the web page
    recovers by itself when it reconnects); returns how many this run answered.

    Each question goes through the claim, so a concurrent sweep, a reconnecting page or a retrying
    client never adds a second reply, and a claim that is still fresh is left to its owner. Questions
    older than ORPHAN_MAX_AGE stay unanswered: by then the customer has moved on.
    """
    now = timezone.now()
    answered = 0
    questions = orphaned_questions(
        stale_before=now - REPLY_CLAIM_TIMEOUT, asked_after=now - ORPHAN_MAX_AGE, limit=limit
    )
    for question in questions:
        if not assistant_reply_claim(question=question):
            continue
        for item in assistant_reply_stream(question=question):
            if isinstance(item, ReplyDone):
                answered += 1
    return answered


# --- Decisions ----------------------------------------------------------------------------------------


def _locked(site: Site, conversation: Conversation) -> Conversation:
    _check_site(site, conversation)
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


@transaction.atomic
def conversation_resolve(*, site: Site, conversation: Conversation, user: User) -> Conversation:
    """ "This solved it": closed as a deflection, and the transcript queued for indexing."""
    conversation = _locked(site, conversation)
    if user.pk != conversation.customer_id:
        raise PermissionDenied("Only the customer decides that the assistant solved it.")
    if conversation.outcome == Conversation.Outcome.DEFLECTED and not conversation.is_open:
        return conversation
    if not conversation.assistant_active:
        raise ConversationClosed("This conversation has already been decided.")
    system_message_post(
        conversation=conversation, body="The customer marked this as solved by the assistant."
    )
    return _close(conversation, outcome=Conversation.Outcome.DEFLECTED)


def _close(conversation: Conversation, *, outcome: str) -> Conversation:
    conversation.state = Conversation.State.CLOSED
    conversation.outcome = outcome
    conversation.closed_at = timezone.now()
    conversation.save(update_fields=["state", "outcome", "closed_at"])
    conversation_id = conversation.pk
    enqueue_on_commit("knowledge.tasks.index_conversation", conversation_id)
    enqueue_on_commit("chat.tasks.conversation_categorize", conversation_id)
    enqueue_on_commit("chat.tasks.conversation_summary_refresh", conversation_id)
    return conversation


@transaction.atomic
def conversation_close(*, site: Site, conversation: Conversation, user: User) -> Conversation:
    """An engineer ends a conversation (the ticket carries on); its transcript is indexed."""
    conversation = _locked(site, conversation)
    if not user.is_staff_member:
        raise PermissionDenied("Only the helpdesk closes a conversation this way.")
    if not conversation.is_open:
        return conversation
    system_message_post(conversation=conversation, body=f"{user.display_name} closed this conversation.")
    return _close(conversation, outcome=conversation.outcome)


@transaction.atomic
def conversation_escalate(*, site: Site, conversation: Conversation, user: User):
    """ "I still need help": a ticket summarising the conversation (the problem in the customer's words,
    what was tried, a link here), triaged on commit, linked here.

    Idempotent: asking twice returns the ticket made the first time.
    """
    from tickets.models import TicketSource
    from tickets.services import ticket_create

    conversation = _locked(site, conversation)
    if user.pk != conversation.customer_id:
        raise PermissionDenied("Only the customer hands a conversation to an engineer.")
    if conversation.ticket_id is not None:
        return conversation.ticket
    if not conversation.assistant_active:
        raise ConversationClosed("This conversation has already been decided.")
    summary = conversation_handoff_summary(conversation=conversation)
    ticket = ticket_create(
        site=conversation.site,
        requester=conversation.customer,
        title=summary.title,
        description=summary.description,
        source=TicketSource.CHAT,
    )
    conversation.ticket = ticket
    conversation.outcome = Conversation.Outcome.ESCALATED
    conversation.save(update_fields=["ticket", "outcome"])
    system_message_post(
        conversation=conversation,
        body=f"Ticket #{ticket.pk} was created from this conversation. An engineer will reply here.",
    )
    enqueue_on_commit("chat.tasks.conversation_summary_refresh", conversation.pk)
    return ticket


@transaction.atomic
def feedback_set(
    *, site: Site, message: Message, user: User, helpful: bool, comment: str = ""
) -> MessageFeedback:
    """The customer's verdict on one assistant answer; giving it again replaces the first."""
    if message.site_id != site.pk:
        raise PermissionDenied("The message belongs to another site.")
    if message.author_kind != Message.Author.ASSISTANT:
        raise ValidationError("Only the assistant's answers take feedback.")
    if user.pk != message.conversation.customer_id:
        raise PermissionDenied("Only the customer rates the assistant's answers.")
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationError({"comment": "A comment can be at most 1000 characters."})
    feedback, _ = MessageFeedback.objects.update_or_create(
        message=message, defaults={"site": message.site, "helpful": helpful, "comment": comment}
    )
    return feedback


# --- Categories ---------------------------------------------------------------------------------------

CategorySource = Conversation.CategorySource


def _category_event(conversation: Conversation, *, message: str, data: dict, actor: User | None = None):
    return ConversationEvent.objects.create(
        conversation=conversation,
        site_id=conversation.site_id,
        kind=ConversationEvent.Kind.CATEGORIZED,
        actor=actor,
        message=message[:300],
        data=data,
    )


def _category_set(
    conversation: Conversation,
    *,
    category: Category,
    source: str,
    message: str,
    actor: User | None = None,
    **data,
) -> Conversation:
    """Set the category and record who decided; a closed conversation is re-indexed with it (its
    document's category votes in the neighbour vote)."""
    previous = conversation.category
    conversation.category, conversation.category_source = category, source
    conversation.save(update_fields=["category", "category_source"])
    _category_event(
        conversation,
        actor=actor,
        message=message,
        data={"category": category.slug, "source": source, "previous": previous.slug if previous else None}
        | data,
    )
    if not conversation.is_open:
        conversation_id = conversation.pk
        enqueue_on_commit("knowledge.tasks.index_conversation", conversation_id)
    return conversation


def _awaits_triage(conversation: Conversation) -> bool:
    """Closed, with no category and no decision about one yet (an unsure triage is a decision)."""
    return (
        not conversation.is_open
        and conversation.category_id is None
        and not conversation.events.filter(kind=ConversationEvent.Kind.CATEGORIZED).exists()
    )


def conversation_triage(*, conversation_id: int, provider=None) -> Conversation | None:
    """Categorize a closed conversation as a new ticket is triaged (tickets.triage).

    1. an escalated conversation whose ticket has a category takes it (no AI call);
    2. otherwise the customer's words are grounded and categorized by the same provider call, and the
       category applied only when the provider is confident (not needs_human), under the row lock;
    3. either way an event records the category (or the doubt), the confidence and who decided.
    Safe to run twice. When retrieval or every provider fails the conversation stays uncategorized
    (logged): the AI is never the reason anything else about it changes.
    """
    from ai.base import AIUnavailable
    from ai.providers import get_provider
    from tickets.triage import categorize_text, grounding_for

    conversation = (
        Conversation.objects.select_related("site", "ticket__category").filter(pk=conversation_id).first()
    )
    if conversation is None or not _awaits_triage(conversation):
        return conversation
    if conversation.ticket_id and conversation.ticket.category_id:
        conversations_category_from_ticket(ticket=conversation.ticket)
        return Conversation.objects.get(pk=conversation.pk)
    text = conversation_customer_text(conversation=conversation)
    try:
        context, classification = grounding_for(site=conversation.site, text=text)
        result = categorize_text(
            site=conversation.site,
            text=text,
            context=context,
            provider=provider or get_provider(),
            classification=classification,
        )
    except AIUnavailable:
        logger.warning("no AI provider answered: conversation %s left uncategorized", conversation.pk)
        return conversation
    except Exception:
        logger.exception("triage of conversation %s failed: left uncategorized", conversation.pk)
        return conversation
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if not _awaits_triage(conversation):
            return conversation
        category = None
        if not result.needs_human and result.category:
            category = Category.objects.filter(slug=result.category).first()
        data = {
            "confidence": result.confidence,
            "needs_human": result.needs_human,
            "sources": result.sources,
            "provider": result.answered_by,
        }
        if category is None:
            _category_event(
                conversation,
                message=f"Unsure ({result.confidence:.0%}): left uncategorized",
                data={"category": None, "source": CategorySource.AI, "suggested": result.category, **data},
            )
            return conversation
        return _category_set(
            conversation,
            category=category,
            source=CategorySource.AI,
            message=f"Categorized as {category.slug} ({result.confidence:.0%})",
            **data,
        )


@transaction.atomic
def conversations_category_from_ticket(*, ticket: Ticket) -> int:
    """Give a ticket's category to the conversations it came from, except where an engineer chose the
    conversation's category; returns how many changed."""
    if ticket.category_id is None:
        return 0
    conversations = list(
        Conversation.objects.select_for_update()
        .filter(ticket_id=ticket.pk, site_id=ticket.site_id)
        .exclude(category_source=CategorySource.ENGINEER)
        .exclude(category_id=ticket.category_id, category_source=CategorySource.TICKET)
    )
    for conversation in conversations:
        _category_set(
            conversation,
            category=ticket.category,
            source=CategorySource.TICKET,
            message=f"Category {ticket.category.slug} from ticket #{ticket.pk}",
            ticket_id=ticket.pk,
        )
    return len(conversations)


def ticket_category_changed_received(sender, *, ticket: Ticket, **kwargs) -> int:
    """tickets.signals.ticket_category_changed (connected in ChatConfig.ready): inside the ticket's write,
    its new category flows to its conversations."""
    return conversations_category_from_ticket(ticket=ticket)


@transaction.atomic
def conversation_category_set(
    *, site: Site, conversation: Conversation, user: User, category: Category
) -> Conversation:
    """An engineer's category for the conversation: recorded as a correction of what it replaced, and final
    (neither triage nor its ticket's category overwrite it); closed, it is in the site's next training."""
    from helpdesk.tenancy import covers_site

    conversation = _locked(site, conversation)
    if not (user.is_helpdesk_admin or covers_site(user, site.pk)):
        raise PermissionDenied("Only engineers covering this site set a conversation's category.")
    if conversation.category_id == category.pk and conversation.category_source == CategorySource.ENGINEER:
        return conversation
    return _category_set(
        conversation,
        category=category,
        source=CategorySource.ENGINEER,
        actor=user,
        message=f"{user.display_name} set the category to {category.slug}",
        previous_source=conversation.category_source,
    )


# --- Security incidents (chat.safety) -----------------------------------------------------------------

INCIDENT_TICKET_SENTENCE = (
    "I have opened urgent ticket #{ticket} for this; an engineer will contact you as soon as possible."
)
INCIDENT_NO_TICKET_SENTENCE = (
    "Please choose \u201cI still need help\u201d now so that an engineer takes this up urgently."
)


def _incident_reply(question: Message, embedder: Embedder) -> RoutedReply | None:
    """A reported security incident: vetted first steps at once, and an urgent ticket for the engineers."""
    from chat.safety import incident_for
    from chat.scope import detect_language

    conversation = question.conversation
    incident = incident_for(site=conversation.site, text=question.body, embedder=embedder)
    if incident is None:
        return None
    steps, sources = incident.spec.steps, []
    article = _incident_article(incident, conversation.site_id)
    if article is not None:
        steps = f"{article.title}\n\n{article.body.strip()}"
        sources = [
            {
                "key": f"article:{article.pk}",
                "cid": 1,
                "label": "KB",
                "title": article.title,
                "url": reverse("knowledge:article_detail", args=[article.pk]),
                "score": round(incident.similarity, 4),
            }
        ]
    try:
        ticket = incident_escalate(conversation=conversation, question=question, incident=incident)
        closing = INCIDENT_TICKET_SENTENCE.format(ticket=ticket.pk)
    except Exception:
        # The customer still gets the steps; the ticket offer stays open for them.
        logger.exception("could not escalate the incident of message %s", question.pk)
        closing = INCIDENT_NO_TICKET_SENTENCE
    opening = f"This sounds like a security incident ({incident.spec.name}). Do this now:"
    body = f"{opening}\n\n{steps}\n\n{closing}"
    return RoutedReply(body, Message.Route.INCIDENT, sources, detect_language(question.body))


def _incident_article(incident, site_id: int):
    """The published KB article (the site's or a global one) the site's incident type links to, reached
    through that link so chat needs nothing of knowledge's code."""
    if incident.spec.article_id is None:
        return None
    row = (
        IncidentType.objects.filter(site_id=site_id, article_id=incident.spec.article_id)
        .select_related("article")
        .first()
    )
    article = row.article if row is not None else None
    if article is None or article.state != article.State.PUBLISHED or article.site_id not in (None, site_id):
        return None
    return article


@transaction.atomic
def incident_escalate(*, conversation: Conversation, question: Message, incident):
    """Open the urgent ticket of a security incident reported in chat, link it here, and queue the alert
    to the engineers covering the site on commit.

    Idempotent: a conversation that already has a ticket keeps it (and is not alerted twice).
    """
    from tickets.models import Priority, TicketSource
    from tickets.services import ticket_create

    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if question.conversation_id != conversation.pk:
        raise PermissionDenied("The message belongs to another conversation.")
    if conversation.ticket_id is not None:
        return conversation.ticket
    base = settings.HELPDESK_BASE_URL.rstrip("/")
    ticket = ticket_create(
        site=conversation.site,
        requester=conversation.customer,
        title=f"Security incident: {incident.spec.name}",
        description=(
            f"{question.body}\n\nRecognised in chat as a security incident ({incident.spec.name}); "
            f"the customer was given the vetted first steps.\n\n"
            f"Full conversation: {base}{conversation.get_absolute_url()}"
        ),
        source=TicketSource.CHAT,
        priority=Priority.URGENT,
    )
    conversation.ticket = ticket
    conversation.outcome = Conversation.Outcome.ESCALATED
    conversation.save(update_fields=["ticket", "outcome"])
    ticket_id = ticket.pk
    enqueue_on_commit("chat.tasks.incident_engineers_notify", ticket_id)
    return ticket

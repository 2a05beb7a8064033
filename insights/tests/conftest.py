"""A small built world with known figures for 1-10 November 2026 on site A (and a little of site B).

Times are minutes after each ticket's opening, so every expected median, percentile and share in the
tests can be worked out by hand from this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from chat.models import Conversation, Message, MessageFeedback
from knowledge.models import ArticleDraft
from testing.factories import article
from tickets.models import Review, Ticket, TicketEvent
from tickets.services import ticket_create


def at(month: int, day: int, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour, 0))


def ticket(
    site,
    requester,
    *,
    opened: datetime,
    title: str,
    priority: str = "normal",
    response_target: int | None = None,
    responded: int | None = None,
    resolution_target: int | None = None,
    resolved: datetime | int | None = None,
) -> Ticket:
    """A ticket opened at `opened`, with its SLA due times and response/resolution as minutes after it."""
    made = ticket_create(site=site, requester=requester, title=title, description=f"{title}, please help.")
    minutes = timedelta(minutes=1)
    fields = {"created_at": opened, "priority": priority}
    if response_target is not None:
        fields["first_response_due_at"] = opened + response_target * minutes
    if resolution_target is not None:
        fields["resolution_due_at"] = opened + resolution_target * minutes
    if responded is not None:
        fields["first_responded_at"] = opened + responded * minutes
    if resolved is not None:
        fields["resolved_at"] = opened + resolved * minutes if isinstance(resolved, int) else resolved
        fields.update(state="resolved", resolution="Fixed it.")
    Ticket.objects.filter(pk=made.pk).update(**fields)
    made.refresh_from_db()
    return made


def triage_event(target: Ticket, *, needs_human: bool, corrected: str = "") -> None:
    TicketEvent.objects.create(
        ticket=target,
        site_id=target.site_id,
        kind=TicketEvent.Kind.AI_TRIAGE,
        by_assistant=True,
        data={"category": "printers", "needs_human": needs_human},
    )
    if corrected:
        TicketEvent.objects.create(
            ticket=target,
            site_id=target.site_id,
            kind=TicketEvent.Kind.AI_CORRECTION,
            field=corrected,
            old_value="printers",
            new_value="network",
        )


def review(target: Ticket, rating: int, *, given: datetime) -> None:
    made = Review.objects.create(
        ticket=target, site_id=target.site_id, rating=rating, author=target.requester
    )
    Review.objects.filter(pk=made.pk).update(created_at=given)


def chat(site, customer, *, started: datetime, outcome: str, answers: list[tuple[str, str, bool | None]]):
    """A conversation started at `started`; each answer is (route, language, helpful or None)."""
    conversation = Conversation.objects.create(
        site=site, customer=customer, subject="Help", outcome=outcome, state=Conversation.State.CLOSED
    )
    Conversation.objects.filter(pk=conversation.pk).update(created_at=started, closed_at=started)
    for route, language, helpful in answers:
        question = Message.objects.create(
            conversation=conversation,
            site=site,
            author_kind=Message.Author.CUSTOMER,
            body="What is the weather in Paris tomorrow?"
            if route == "off_topic"
            else "My printer is offline",
        )
        answer = Message.objects.create(
            conversation=conversation,
            site=site,
            author_kind=Message.Author.ASSISTANT,
            body="An answer.",
            route=route,
            language=language,
            reply_to=question,
        )
        Message.objects.filter(pk__in=[question.pk, answer.pk]).update(created_at=started)
        if helpful is not None:
            feedback = MessageFeedback.objects.create(message=answer, site=site, helpful=helpful)
            MessageFeedback.objects.filter(pk=feedback.pk).update(created_at=started)
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def builders():
    """The builders above for tests that add rows of their own (test modules import no test module)."""
    return SimpleNamespace(at=at, ticket=ticket, chat=chat)


@dataclass
class World:
    site_a: object
    site_b: object
    tickets: dict


@pytest.fixture
def world(site_a, site_b, customer_a, customer_b) -> World:
    t1 = ticket(
        site_a, customer_a, opened=at(11, 2), title="Alder printer offline",
        response_target=240, responded=60, resolution_target=1440, resolved=600,
    )  # fmt: skip
    t2 = ticket(
        site_a, customer_a, opened=at(11, 3), title="Alder VPN drops", priority="high",
        response_target=60, responded=120, resolution_target=480, resolved=1000,
    )  # fmt: skip
    t3 = ticket(
        site_a, customer_a, opened=at(11, 4), title="Alder phishing mail", priority="urgent",
        response_target=30, resolution_target=240,
    )  # fmt: skip
    t4 = ticket(
        site_a, customer_a, opened=at(10, 15), title="Alder laptop slow",
        response_target=240, responded=10, resolution_target=4320, resolved=at(11, 5),
    )  # fmt: skip
    t5 = ticket(
        site_a, customer_a, opened=at(10, 1), title="Alder mailbox full",
        response_target=240, responded=30, resolution_target=1440, resolved=60 * 24,
    )  # fmt: skip
    b1 = ticket(
        site_b, customer_b, opened=at(11, 2), title="Birchwood scanner",
        response_target=240, responded=5, resolution_target=1440, resolved=30,
    )  # fmt: skip
    triage_event(t1, needs_human=False)
    triage_event(t2, needs_human=False, corrected="category")
    triage_event(t3, needs_human=True)
    triage_event(t4, needs_human=False, corrected="priority")
    triage_event(b1, needs_human=False, corrected="priority")
    review(t1, 5, given=at(11, 6))
    review(t2, 2, given=at(11, 7))
    review(t5, 1, given=at(10, 3))
    review(b1, 5, given=at(11, 3))
    c1 = chat(
        site_a, customer_a, started=at(11, 2), outcome="deflected",
        answers=[("answered", "en", True), ("answered", "en", True)],
    )  # fmt: skip
    chat(site_a, customer_a, started=at(11, 3), outcome="deflected", answers=[("answered", "en", False)])
    chat(site_a, customer_a, started=at(11, 4), outcome="escalated", answers=[("answered", "en", True)])
    chat(
        site_a, customer_a, started=at(11, 5), outcome="",
        answers=[("off_topic", "en", None), ("no_match", "de", None), ("no_match", "en", None)],
    )  # fmt: skip
    chat(site_a, customer_a, started=at(10, 5), outcome="deflected", answers=[("answered", "en", False)])
    chat(site_b, customer_b, started=at(11, 2), outcome="escalated", answers=[("off_topic", "fr", False)])
    kb = article(site=site_a, title="Alder laptop tune-up", body="Disable startup apps.")
    uncovered = ArticleDraft.objects.create(site=site_a, title="Alder printer and VPN woes", body="Steps.")
    uncovered.tickets.set([t1, t2])
    covered = ArticleDraft.objects.create(
        site=site_a, title="Alder slow laptops", near_duplicate_of=kb, similarity=0.8
    )
    covered.tickets.set([t4])
    covered.conversations.set([c1])
    dismissed = ArticleDraft.objects.create(site=site_a, title="Alder full mailboxes", state="dismissed")
    dismissed.tickets.set([t5])
    foreign = ArticleDraft.objects.create(site=site_b, title="Birchwood scanner jams", body="Steps.")
    foreign.tickets.set([b1])
    return World(site_a, site_b, {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5, "b1": b1})

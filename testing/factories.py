"""Builders of the rows tests start from, in the states the code under test cares about.

Tickets, chats and articles (written straight to the database, or through `ticket_create` for a ticket
that is new), the indexed histories that triage, drafts and the chat assistant answer from, the eval
fixture's tickets, and an evals report. They set up and never assert. The cast of sites and users is the
root conftest's fixtures; a fixture that needs these rows calls a builder here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from django.utils import timezone

from chat.models import Conversation, Message
from knowledge.models import Article
from knowledge.services import document_index_ticket
from retrieval.types import Case, SourceType
from tickets.models import Category, Comment, Ticket, TicketState
from tickets.services import ticket_create

# --- Tickets


def category(slug: str) -> Category:
    return Category.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]


def resolved_ticket(
    *, site, requester, title, description, resolution, category_slug="", comments=(), resolved_at=None
):
    ticket = Ticket.objects.create(
        site=site,
        requester=requester,
        title=title,
        description=description,
        resolution=resolution,
        category=category(category_slug) if category_slug else None,
        state=TicketState.RESOLVED,
        resolved_at=resolved_at or timezone.now(),
    )
    for body, internal in comments:
        Comment.objects.create(ticket=ticket, site=site, author=requester, body=body, is_internal=internal)
    return ticket


def new_ticket(
    site, customer, title="Printer queue stuck again", description="Nothing prints, jobs stuck in queue."
):
    """A ticket as its customer opens it (triage queued on commit): what triage and drafts start from."""
    return ticket_create(site=site, requester=customer, title=title, description=description)


def ticket_in_state(
    state="new", *, site, requester, assignee=None, title="Printer jams on floor 2", **fields
) -> Ticket:
    """A ticket put straight into a state (setup only; the services are what tests exercise)."""
    ticket = ticket_create(
        site=site,
        requester=requester,
        title=title,
        description="Paper jams every morning on the second floor printer.",
    )
    now = timezone.now()
    extra = {"state": state, "assignee": assignee, **fields}
    if state == "closed":
        extra.setdefault("closed_at", now)
    if state in ("resolved", "closed"):
        extra.setdefault("resolved_at", now)
        extra.setdefault("resolution", "Replaced the pickup roller.")
    Ticket.objects.filter(pk=ticket.pk).update(**extra)
    ticket.refresh_from_db()
    return ticket


def resolved_printer_ticket(*, site, requester) -> Ticket:
    """The reception printer's resolved case that answers PRINTER_QUESTION (not yet indexed)."""
    return resolved_ticket(
        site=site,
        requester=requester,
        title="Reception printer shows offline",
        description="The HP printer at reception shows offline and print jobs stay in the queue.",
        resolution=(
            "Restart the print spooler service on the print server. "
            "Then remove and re-add the reception printer using its IP address 10.0.0.42."
        ),
        category_slug="printers",
    )


# --- Indexed histories: resolved tickets of one site, indexed with the real local embedder


def indexed_history(
    *,
    site,
    requester,
    rows: Mapping[str, Sequence[tuple[str, str, str]]],
    priorities: Mapping[str, str] | None = None,
    tags: Mapping[str, Sequence[str]] | None = None,
) -> list[Ticket]:
    """Resolved tickets from (title, description, resolution) rows per category slug, each indexed;
    `priorities` gives each category's tickets a priority, `tags` their tags, before they are indexed."""
    tickets = []
    for slug, category_rows in rows.items():
        for title, description, resolution in category_rows:
            ticket = resolved_ticket(
                site=site,
                requester=requester,
                title=title,
                description=description,
                resolution=resolution,
                category_slug=slug,
            )
            if priorities is not None:
                ticket.priority = priorities[slug]
            if tags is not None:
                ticket.tags = list(tags.get(slug, ()))
            if priorities is not None or tags is not None:
                ticket.save(update_fields=["priority", "tags"])
            document_index_ticket(ticket=ticket)
            tickets.append(ticket)
    return tickets


PRINTER_HISTORY = [
    ("Printer queue stuck in reception", "Jobs pile up in the queue.", "Restarted the print spooler."),
    ("Nothing prints from the office PC", "Print jobs stay in the queue.", "Cleared the print queue."),
    ("Printer shows offline", "The printer says offline and jobs wait.", "Power-cycled the printer."),
    (
        "Printer jammed and queue stuck",
        "Paper jam and the queue is stuck.",
        "Cleared the jam, restarted spooler.",
    ),
]
NETWORK_HISTORY = [
    ("VPN keeps disconnecting", "The VPN drops every few minutes at home.", "Updated the VPN client."),
    ("No internet on the second floor", "Wi-Fi connected but no internet.", "Rebooted the access point."),
]


def triage_history(*, site, requester) -> list[Ticket]:
    """The history triage and drafts learn from: high-priority printer cases, normal network ones, each
    tagged as the site tags them."""
    category("network")
    return indexed_history(
        site=site,
        requester=requester,
        rows={"printers": PRINTER_HISTORY, "network": NETWORK_HISTORY},
        priorities={"printers": "high", "network": "normal"},
        tags={"printers": ["printer"], "network": ["network"]},
    )


# What a customer asks the chat about the reception printer, and says when the first fix did not help.
PRINTER_QUESTION = "The reception printer shows offline and my print jobs are stuck in the queue"
PRINTER_FOLLOW_UP = "I restarted it and it is still offline. Other people on floor 2 also can't print."


def two_printer_fixes(site, requester) -> list[Ticket]:
    """Two resolved printer tickets with different fixes: a follow-up has one more thing to offer."""
    return indexed_history(
        site=site,
        requester=requester,
        rows={
            "printers": [
                (
                    "Reception printer shows offline",
                    "The reception printer shows offline and print jobs stay in the queue.",
                    "Restarted the print spooler service on the print server.",
                ),
                (
                    "Printer offline for the whole floor",
                    "The printer shows offline for everyone and jobs are stuck in the print queue.",
                    "The printer had a new IP address after a power cut. Created a DHCP reservation for it.",
                ),
            ]
        },
    )


# --- Chats and articles


def closed_conversation(*, site, customer, subject, turns):
    conversation = Conversation.objects.create(
        site=site,
        customer=customer,
        subject=subject,
        state=Conversation.State.CLOSED,
        closed_at=timezone.now(),
    )
    for author_kind, body in turns:
        Message.objects.create(conversation=conversation, site=site, author_kind=author_kind, body=body)
    return conversation


def article(*, site, title, body, state=Article.State.PUBLISHED, slug=None):
    return Article.objects.create(
        site=site, title=title, slug=slug or title.lower().replace(" ", "-")[:200], body=body, state=state
    )


# --- The bundled eval fixture


EVAL_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "evals" / "it-helpdesk"


def eval_fixture_rows(name: str, fixture_site: str) -> list[dict]:
    """Rows of one site of the bundled eval fixture (`documents.jsonl` or `queries.jsonl`)."""
    with (EVAL_FIXTURE / name).open(encoding="utf-8") as handle:
        return [row for line in handle if (row := json.loads(line))["site"] == fixture_site]


def eval_fixture_history(*, site, requester, fixture_site: str) -> list[Ticket]:
    """One fixture site's categorized tickets as resolved tickets of `site`: a realistic history."""
    return [
        resolved_ticket(
            site=site,
            requester=requester,
            title=row["title"],
            description=row["body"],
            resolution=row.get("resolution", ""),
            category_slug=row["category"],
        )
        for row in eval_fixture_rows("documents.jsonl", fixture_site)
        if row["kind"] == "ticket" and row.get("category")
    ]


# --- Evals


def evals_report(**systems) -> dict:
    """A small evals report (two headline scores, their plots' data, a comparison with a previous run);
    `retrieval__mrr=0.7` sets the system's score of `retrieval.mrr`."""
    scores = {
        "retrieval.mrr": {"system": 0.8, "baselines": {"bm25": 0.6}, "higher_is_better": True},
        "triage.macro_f1": {"system": 0.7, "baselines": {"majority": 0.05}, "higher_is_better": True},
    }
    for name, value in systems.items():
        scores[name.replace("__", ".")]["system"] = value
    return {
        "run": {"id": "r1", "dataset": {"name": "tiny", "documents": 2, "queries": 2, "sites": 1}},
        "scores": scores,
        "details": {
            "isolation": {"violations": 0},
            "triage": {
                "system": {
                    "per_category": {
                        "network": {"precision": 1.0, "recall": 0.54, "f1": 0.7, "support": 4},
                        "email": {"precision": 0.4, "recall": 0.67, "f1": 0.5, "support": 3},
                    },
                    "confusion": {
                        "labels": ["network", "email"],
                        "columns": ["network", "email", "(none)"],
                        "matrix": [[3, 1, 0], [0, 2, 1]],
                    },
                },
                "baselines": {"bm25-vote": {"per_category": {"network": {"f1": 0.4}}}},
            },
            "retrieval": {
                "recall_curve": {"k": [1, 5, 10], "system": [0.4, 0.8, 0.9], "bm25": [0.3, 0.6, 0.7]}
            },
        },
        "compare": {
            "path": "previous/report.json",
            "deltas": {"retrieval.mrr": 0.05, "triage.macro_f1": -0.02},
        },
    }


def printer_cases(site) -> list[Case]:
    """Two retrieved printer tickets of `site` (anything with an `id`), as a provider is given them."""

    def case(number: int, title: str, resolution: str, similarity: float) -> Case:
        return Case(
            source_type=SourceType.TICKET,
            source_id=number,
            site_id=site.id,
            title=title,
            snippet=title,
            url=f"/tickets/{number}/",
            score=similarity,
            similarity=similarity,
            category="printers",
            priority="high",
            resolution=resolution,
            text=f"{title}\n\nResolution: {resolution}",
        )

    return [
        case(101, "Printer queue stuck", "Restarted the print spooler and cleared the stuck jobs.", 0.81),
        case(102, "Printer offline in reception", "Power-cycled the printer; it came back online.", 0.64),
    ]

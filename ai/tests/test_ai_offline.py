"""The offline provider on the demo data and on hand-made cases: vote, composition, citations."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from ai.offline import OfflineProvider
from helpdesk.models import User
from helpdesk.services import site_create, user_create
from knowledge.documents import ticket_source
from knowledge.services import documents_sync
from retrieval.grounding import build_context, context_from_cases
from retrieval.types import Case
from tickets.models import Category, Priority, Ticket, TicketState

DEMO = Path(settings.BASE_DIR) / "fixtures" / "demo"


def load_demo_categories() -> list[str]:
    for row in json.loads((DEMO / "categories.json").read_text()):
        Category.objects.get_or_create(slug=row["slug"], defaults={"name": row["name"]})
    return list(Category.objects.values_list("slug", flat=True))


def demo_tickets(site_slug: str) -> list[dict]:
    rows = [row for row in json.loads((DEMO / "tickets.json").read_text()) if row["site"] == site_slug]
    return sorted(rows, key=lambda row: row["created_at"])


def resolved_history(*, site, requester, rows) -> list[Ticket]:
    categories = {category.slug: category for category in Category.objects.all()}
    tickets = [
        Ticket.objects.create(
            site=site,
            requester=requester,
            title=row["title"],
            description=row["description"],
            category=categories[row["category"]],
            priority=row["priority"],
            resolution=row["resolution"],
            state=TicketState.CLOSED,
            resolved_at=timezone.now(),
            closed_at=timezone.now(),
        )
        for row in rows
    ]
    documents_sync(sources=[ticket_source(ticket) for ticket in tickets])
    return tickets


def load_demo_history(*, sites: int | None = None, share: float = 0.75) -> list[tuple]:
    """Each demo site with its older resolved tickets indexed; returns (site, newer tickets) pairs."""
    load_demo_categories()
    pairs = []
    for row in json.loads((DEMO / "sites.json").read_text())[:sites]:
        site = site_create(name=row["name"], slug=row["slug"])
        requester = user_create(
            username=f"req-{row['slug']}", password=None, role=User.Role.CUSTOMER, site=site
        )
        rows = [ticket for ticket in demo_tickets(row["slug"]) if ticket.get("resolution")]
        split = int(len(rows) * share)
        resolved_history(site=site, requester=requester, rows=rows[:split])
        pairs.append((site, rows[:split], rows[split:]))
    return pairs


def test_it_beats_the_majority_class_baseline_on_demo_tickets(db):
    categories = list(Category.objects.values_list("slug", flat=True)) or load_demo_categories()
    provider = OfflineProvider()
    total = correct = baseline = accepted = accepted_correct = 0
    for site, history, new in load_demo_history():
        majority = Counter(row["category"] for row in history).most_common(1)[0][0]
        for row in new:
            text = f"{row['title']}\n\n{row['description']}"
            result = provider.categorize(
                site=site,
                text=text,
                cases=build_context(site=site, text=text).cases,  # what triage_ticket votes over
                categories=categories,
                priorities=Priority.values,
            )
            total += 1
            correct += result.category == row["category"]
            baseline += majority == row["category"]
            if not result.needs_human:
                accepted += 1
                accepted_correct += result.category == row["category"]
    accuracy, majority_accuracy = correct / total, baseline / total
    # Measured on the demo data (119 newer tickets over 5 sites): 0.86 against 0.25; docs/ai.md.
    assert total > 100
    assert accuracy >= majority_accuracy + 0.3, (accuracy, majority_accuracy)
    # The threshold does its job: what it lets through is more often right than the vote overall,
    # and it still lets most tickets through.
    assert accepted_correct / accepted > accuracy
    assert accepted / total > 0.5


def case(
    number, category, similarity, *, site_id=1, priority="normal", resolution="", title="", kind="ticket"
):
    return Case(
        source_type=kind,
        source_id=number,
        site_id=site_id,
        title=title or f"case {number}",
        snippet=title or f"case {number}",
        url=f"/tickets/{number}/",
        score=similarity,
        similarity=similarity,
        category=category,
        priority=priority,
        resolution=resolution,
        text=resolution,
    )


CATEGORIES = ["printers", "network", "email"]


def test_it_weights_the_vote_by_rank():
    provider = OfflineProvider(min_similarity=0.35)
    nearest_wins = [
        case(1, "network", 0.92, priority="high"),
        case(2, "printers", 0.5),
        case(3, "printers", 0.52),
    ]
    result = provider.categorize(
        site=None, text="vpn drops", cases=nearest_wins, categories=CATEGORIES, priorities=Priority.values
    )
    # 1 for the nearest against 1/2 + 1/3 for the two behind it; 1 of 1 + 1/2 + 1/3 is a majority.
    assert (result.category, result.needs_human, result.sources) == ("network", False, ["ticket:1"])
    assert result.confidence == pytest.approx(1 / (1 + 1 / 2 + 1 / 3), abs=1e-3)

    three_behind = [*nearest_wins, case(4, "printers", 0.6)]
    result = provider.categorize(
        site=None, text="vpn drops", cases=three_behind, categories=CATEGORIES, priorities=Priority.values
    )
    # 1/2 + 1/3 + 1/4 outweigh the nearest, but 1.08 of 2.08 is barely a majority.
    assert (result.category, result.priority) == ("printers", "normal")
    assert result.confidence == pytest.approx((1 / 2 + 1 / 3 + 1 / 4) / (1 + 1 / 2 + 1 / 3 + 1 / 4), abs=1e-3)
    assert result.sources == ["ticket:2", "ticket:3", "ticket:4"]


def test_a_case_below_the_floor_abstains_and_keeps_its_weight():
    provider = OfflineProvider(min_similarity=0.35)
    cases = [
        case(1, "network", 0.92),
        case(2, "network", 0.2),
        case(3, "printers", 0.5),
        case(4, "email", 0.4),
    ]
    result = provider.categorize(
        site=None, text="vpn drops", cases=cases, categories=CATEGORIES, priorities=Priority.values
    )
    # Rank 2 is below the floor: network keeps only the nearest's 1 of 2.08, not a majority.
    assert result.category == "network"
    assert result.confidence == pytest.approx(1 / (1 + 1 / 2 + 1 / 3 + 1 / 4), abs=1e-3)
    assert result.needs_human


def test_it_is_confident_when_close_cases_agree():
    provider = OfflineProvider(min_similarity=0.35)
    cases = [
        case(1, "email", 0.8, priority="high"),
        case(2, "email", 0.7, priority="high"),
        case(3, "network", 0.4),
    ]
    result = provider.categorize(
        site=None, text="outlook", cases=cases, categories=CATEGORIES, priorities=Priority.values
    )
    assert (result.category, result.priority, result.needs_human) == ("email", "high", False)
    assert result.confidence == pytest.approx((1 + 1 / 2) / (1 + 1 / 2 + 1 / 3), abs=1e-3)


def test_it_leaves_a_ticket_to_a_human_without_similar_cases():
    provider = OfflineProvider(min_similarity=0.35)
    cases = [case(1, "email", 0.2), case(2, "retired-category", 0.9)]
    result = provider.categorize(
        site=None, text="soup", cases=cases, categories=CATEGORIES, priorities=Priority.values
    )
    assert (result.category, result.needs_human, result.confidence, result.sources) == (None, True, 0.0, [])


def test_it_quotes_whole_sentences_in_order_and_adds_a_close_second_source_once(site_a):
    cases = [
        case(
            1,
            "printers",
            0.8,
            site_id=site_a.id,
            resolution="The spooler had hung. Restarted the print spooler and cleared the queue. "
            "Closed after follow-up.",
        ),
        case(
            2,
            "printers",
            0.78,
            site_id=site_a.id,
            resolution="Restarted the print spooler and cleared the queue.",
        ),
        case(
            3,
            "printers",
            0.75,
            site_id=site_a.id,
            kind="article",
            title="Fix a stuck queue",
            resolution="Fix a stuck queue\n\n1. Open **Services**.\n"
            "2. Restart *Print Spooler*, then print a test page.",
        ),
    ]
    context = context_from_cases(site=site_a, cases=cases)
    draft = OfflineProvider(min_similarity=0.35).draft_reply(site=site_a, text="queue stuck", context=context)
    assert (
        "In a similar resolved case, this fixed it: [1]\nThe spooler had hung.\nRestarted the print spooler "
        in (draft.body)
    )
    assert "Closed after" not in draft.body  # narration is not evidence
    # the second case says nothing the first did not: the next distinct source is the article
    assert "[2]" not in draft.body
    assert "Open Services.\nRestart Print Spooler, then print a test page." in draft.body
    assert draft.citations == ["ticket:1", "article:3"]
    assert not draft.refused


def test_it_never_repeats_an_earlier_answer_and_hands_over_when_nothing_new_is_left(site_a):
    cases = [
        case(1, "printers", 0.8, site_id=site_a.id, resolution="Restarted the print spooler."),
        case(2, "printers", 0.5, site_id=site_a.id, resolution="Replaced the toner cartridge."),
    ]
    context = context_from_cases(site=site_a, cases=cases)
    provider = OfflineProvider(min_similarity=0.35)
    first = provider.draft_reply(site=site_a, text="printer offline", context=context, offer_ticket=True)
    assert "spooler" in first.body and "toner" not in first.body
    second = provider.draft_reply(
        site=site_a, text="still offline", context=context, offer_ticket=True, already_said=[first.body]
    )
    assert "toner" in second.body and "spooler" not in second.body
    assert second.citations == ["ticket:2"]
    third = provider.draft_reply(
        site=site_a,
        text="still broken",
        context=context,
        offer_ticket=True,
        already_said=[first.body, second.body],
    )
    assert third.refused and third.citations == []
    assert "no other fix on record" in third.body and "I still need help" in third.body


def test_it_picks_the_passage_of_a_long_article_that_answers_the_question(site_a):
    filler = [f"Step {n} of the unrelated setup changes the wallpaper colour." for n in range(12)]
    body = "\n".join(
        [
            "Display guide",
            *filler[:6],
            "To calibrate gamma open Picture settings.",
            "Then choose Expert mode.",
            *filler[6:],
        ]
    )
    article = case(7, None, 0.6, site_id=site_a.id, kind="article", title="Display guide", resolution=body)
    context = context_from_cases(site=site_a, cases=[article])
    draft = OfflineProvider(min_similarity=0.35).draft_reply(
        site=site_a, text="calibrate gamma", context=context
    )
    passage = draft.body.split("[1]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert passage[0] == "To calibrate gamma open Picture settings."
    assert passage[1] == "Then choose Expert mode."  # the sentence after a match comes with it
    assert len(passage) <= 7


def test_it_drafts_steps_citing_only_retrieved_sources_on_demo_tickets(db):
    provider = OfflineProvider()
    ((site, _history, new),) = load_demo_history(sites=1, share=0.5)
    drafted = 0
    for row in new[:8]:
        text = f"{row['title']}\n\n{row['description']}"
        context = build_context(site=site, text=text)
        draft = provider.draft_reply(site=site, text=text, context=context)
        cited_ids = {int(number) for number in re.findall(r"\[(\d+)\]", draft.body)}
        assert cited_ids <= {source.cid for source in context.sources}
        assert set(draft.citations) <= set(context.keys)
        assert bool(cited_ids) == (not draft.refused)
        if not draft.refused:
            drafted += 1
            assert re.search(
                r"^In a similar resolved case, this fixed it: \[\d+\]$", draft.body, re.MULTILINE
            )
    assert drafted >= 6


def test_it_says_it_found_no_similar_case_for_an_unrelated_question(db):
    ((site, _history, _new),) = load_demo_history(sites=1, share=0.5)
    text = "Is there soup in the canteen today? And who won the football last night?"
    context = build_context(site=site, text=text)
    draft = OfflineProvider().draft_reply(site=site, text=text, context=context, offer_ticket=True)
    assert draft.refused and draft.citations == []
    assert draft.body.startswith("I could not find a similar case")
    assert "open a ticket" in draft.body

    for_engineer = OfflineProvider().draft_reply(site=site, text=text, context=context)
    assert for_engineer.refused and for_engineer.citations == []
    assert "write this one yourself" in for_engineer.body and "engineer will" not in for_engineer.body


def test_it_streams_the_composed_reply_in_small_chunks(site_a):
    cases = [
        case(1, "printers", 0.8, site_id=site_a.id, resolution="Replaced the toner cartridge in the printer.")
    ]
    context = context_from_cases(site=site_a, cases=cases)
    *chunks, result = OfflineProvider(min_similarity=0.35).stream_reply(
        site=site_a, text="toner", context=context
    )
    assert "".join(chunks) == result.body
    assert len(chunks) > 5 and max(len(chunk.split()) for chunk in chunks) <= 3
    assert "[1]\nReplaced the toner cartridge in the printer." in result.body


def test_it_joins_hard_wrapped_lines_and_leaves_the_visit_story_out(site_a):
    article = case(
        8,
        "printers",
        0.7,
        site_id=site_a.id,
        kind="article",
        title="Clearing a stuck print queue",
        resolution="Clearing a stuck print queue\n\n"
        "Open Settings > Printers, choose the printer, Open print queue and\n"
        "cancel everything.\n- Restart the computer.",
    )
    ticket = case(
        9, "printers", 0.69, site_id=site_a.id, resolution="Remoted in to PC-07. Called Craig back."
    )
    context = context_from_cases(site=site_a, cases=[article, ticket])
    draft = OfflineProvider(min_similarity=0.35).draft_reply(site=site_a, text="print queue", context=context)
    assert "Open print queue and cancel everything.\nRestart the computer." in draft.body
    assert "and." not in draft.body
    assert "Remoted" not in draft.body and "Called Craig" not in draft.body
    assert draft.citations == ["article:8"]  # a case whose resolution only narrates the visit adds nothing


def test_a_kb_article_whose_passage_answers_the_question_is_quoted_before_a_longer_match(site_a):
    # Retrieval scores whole articles: the long general one scores higher, the short one answers.
    general = case(
        1,
        "printers",
        0.80,
        kind="article",
        site_id=None,
        title="Printers at the office",
        resolution=(
            "Printers are leased from the vendor. Toner is ordered by reception. The printers are on floor 2."
        ),
    )
    answering = case(
        2,
        "printers",
        0.70,
        kind="article",
        site_id=None,
        title="Printer shows offline",
        resolution="When the printer shows offline, restart the print spooler. Then print a test page.",
    )
    past_ticket = case(3, "printers", 0.75, site_id=None, resolution="Reinstalled the driver.")
    context = context_from_cases(site=site_a, cases=[general, past_ticket, answering])

    reply = OfflineProvider(min_similarity=0.35).draft_reply(
        site=None, text="printer offline how to restart spooler", context=context
    )

    assert reply.citations[0] == answering.citation_key
    assert "restart the print spooler" in reply.body.split("[", 1)[1]
    assert "leased" not in reply.body

"""The KB job on the demo data's known archetypes (fixtures/demo: every ticket and chat is labelled with the
recurring problem it was generated from): it drafts an article for each recurring problem of a site that
no article covers, and only flags (never drafts) a problem an article already covers.

A recurring problem is a (site, archetype) with at least MIN_CLUSTER_SIZE cases in the job's window
(RECENT_DAYS), which ends here at the data set's anchor, so the figures do not depend on the weekday the
test runs (the loader moves history by whole weeks). Measured (docs/knowledge-drafts.md): 9 recurring
problems, 2 of them with no article; drafts: precision 2/2, recall 2/2; covered problems left undrafted
7/7; flags on a covered problem 8/8 (one flag is a cluster of 2 "printer offline" and 1 "new printer").
Baseline, the same clusters without the covered check (every cluster drafted): precision 2/10, covered
problems left undrafted 0/7.
A small sample: with the window ending a few days later, riverside's password lockouts (covered by the
global password article) were drafted instead of flagged, so precision was 2/3 there.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from chat.models import Conversation
from demo.articles import SITE_ARCHETYPE_ARTICLES
from demo.loader import DEFAULT_PATH, demo_load
from helpdesk.models import Site
from knowledge import drafting, tasks
from knowledge.models import Article
from retrieval.models import SourceType
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

# Which demo article answers which archetype, read from the articles' text (fixtures/demo/source/articles).
# Global articles and the per-site templates (every site has its own copy) cover it at every site.
COVERED_EVERYWHERE = {
    "phishing-report": "spot-and-report-phishing",
    "password-reset-locked": "password-guidance",
    "mfa-new-phone": "mfa-new-phone",
    "teams-audio": "headset-not-working-in-meetings",
    "lost-device": "lost-or-stolen-device",
    "printer-offline": "printer-queue-stuck",  # "If jobs sit in the queue and the printer says Offline"
    "vpn-cant-connect": "working-from-home-vpn",
    "guest-wifi-password": "wifi-networks",
    "wifi-drops": "wifi-networks",  # "Wi-Fi dropping in one room? Tell us which room and when"
}


def _labels() -> tuple[dict, dict]:
    tickets = json.loads((DEFAULT_PATH / "tickets.json").read_text())
    chats = json.loads((DEFAULT_PATH / "conversations.json").read_text())
    return (
        {(r["site"], r["requester"], r["title"]): r["archetype"] for r in tickets},
        {(r["site"], r["customer"], r["subject"]): r["archetype"] for r in chats},
    )


def _archetype_of(case: drafting.Case, site: Site, labels: tuple[dict, dict]) -> str:
    if case.source_type == SourceType.TICKET:
        ticket = Ticket.objects.select_related("requester").get(pk=case.source_id)
        return labels[0][(site.slug, ticket.requester.username, ticket.title)]
    chat = Conversation.objects.select_related("customer").get(pk=case.source_id)
    return labels[1][(site.slug, chat.customer.username, chat.subject)]


def test_the_kb_job_drafts_uncovered_recurring_problems_and_only_flags_covered_ones():
    report = demo_load()
    for pk in Article.objects.filter(state=Article.State.PUBLISHED).values_list("pk", flat=True):
        tasks.index_article(pk)
    anchor = json.loads((DEFAULT_PATH / "manifest.json").read_text())["anchor"]
    shifted = datetime.fromisoformat(anchor) + timedelta(weeks=report.shift_weeks)
    days = drafting.RECENT_DAYS + (timezone.now() - shifted) / timedelta(days=1)
    covered = {(site, key) for site, key, state in SITE_ARCHETYPE_ARTICLES if state == "published"}
    labels = _labels()

    recurring: set[tuple[str, str]] = set()
    drafts: list[tuple[str, str]] = []
    flags: list[tuple[str, str]] = []
    for site in Site.objects.order_by("slug"):
        covered |= {(site.slug, archetype) for archetype in COVERED_EVERYWHERE}
        counts = Counter(_archetype_of(c, site, labels) for c in drafting.recent_cases(site=site, days=days))
        recurring |= {(site.slug, a) for a, n in counts.items() if n >= drafting.MIN_CLUSTER_SIZE}
        for proposal in drafting.propose_clusters(site=site, days=days):
            members = Counter(_archetype_of(c, site, labels) for c in proposal.cases)
            label = (site.slug, members.most_common(1)[0][0])
            (flags if proposal.near_duplicate_of else drafts).append(label)

    uncovered = recurring - covered
    right_drafts = set(drafts) & uncovered
    precision = len(right_drafts) / len(drafts)
    recall = len(right_drafts) / len(uncovered)
    left_alone = len((recurring & covered) - set(drafts)) / len(recurring & covered)
    flags_on_covered = sum(label in covered for label in flags) / len(flags)
    figures = f"drafts {drafts}, flags {flags}, uncovered {sorted(uncovered)}"
    assert (len(drafts), len(uncovered), len(recurring & covered), len(flags)) == (2, 2, 7, 8), figures
    assert (precision, recall) == (1.0, 1.0), figures
    assert (left_alone, flags_on_covered) == (1.0, 1.0), figures
    assert len(right_drafts) / (len(drafts) + len(flags)) == 0.2, "baseline: every cluster drafted"

"""Near-duplicate detection: which open tickets are flagged, on both sides, once; and the calibration."""

import json
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.utils import timezone

from retrieval.embedders import get_embedder
from tickets import tasks
from tickets.duplicates import (
    DUPLICATE_THRESHOLD,
    calibrate,
    choose_threshold,
    labelled_pairs,
    open_duplicates_for,
    ticket_duplicates_detect,
)
from tickets.models import DuplicateFlag, Ticket, TicketEvent
from tickets.services import ticket_create

JAM = (
    "Printer on floor 2 keeps jamming",
    "Paper jams in the floor 2 printer on every job since this morning.",
)
JAM_AGAIN = ("Floor 2 printer paper jam", "The second floor printer jams again, every print gets stuck.")
VPN = ("Cannot connect to the VPN from home", "The VPN client says authentication failed since the update.")


def open_ticket(site, requester, text):
    return ticket_create(site=site, requester=requester, title=text[0], description=text[1])


def test_it_flags_an_open_near_duplicate_on_both_tickets_once(site_a, customer_a, colleague_a):
    first = open_ticket(site_a, colleague_a, JAM)
    second = open_ticket(site_a, customer_a, JAM_AGAIN)
    [flag] = ticket_duplicates_detect(ticket_id=second.pk)
    assert (flag.ticket, flag.duplicate, flag.same_requester) == (first, second, False)
    assert flag.similarity >= DUPLICATE_THRESHOLD
    for this, that in ((first, second), (second, first)):
        [event] = this.events.filter(kind=TicketEvent.Kind.DUPLICATE_FLAGGED)
        assert event.by_assistant and event.data["duplicate_of"] == that.pk
        assert f"May be a duplicate of #{that.pk}" in event.message
    ticket_duplicates_detect(ticket_id=second.pk)  # the job delivered twice
    ticket_duplicates_detect(ticket_id=first.pk)  # or the other side's job
    assert DuplicateFlag.objects.count() == 1
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.DUPLICATE_FLAGGED).count() == 2


def test_it_leaves_other_problems_sites_closed_and_old_tickets_alone(site_a, site_b, customer_a, customer_b):
    open_ticket(site_a, customer_a, VPN)
    open_ticket(site_b, customer_b, JAM)  # the same words on another site: never compared
    closed = open_ticket(site_a, customer_a, JAM)
    Ticket.objects.filter(pk=closed.pk).update(state="closed")
    old = open_ticket(site_a, customer_a, JAM)
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    new = open_ticket(site_a, customer_a, JAM_AGAIN)
    assert ticket_duplicates_detect(ticket_id=new.pk) == []
    assert not DuplicateFlag.objects.exists()


def test_the_first_worker_job_of_a_new_ticket_queues_the_search(
    site_a, customer_a, queued_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    ticket = open_ticket(site_a, customer_a, JAM)
    monkeypatch.setattr("tickets.triage.triage_ticket", lambda ticket_id: None)
    queued_tasks()
    with django_capture_on_commit_callbacks(execute=True):  # the worker's job runs outside a transaction
        tasks.ticket_triage(ticket.pk)
    assert queued_tasks() == [("tickets.tasks.ticket_duplicates_detect", (ticket.pk,))]
    other = open_ticket(site_a, customer_a, JAM_AGAIN)
    assert tasks.ticket_duplicates_detect(other.pk) == 1


def test_the_engineers_page_offers_the_flagged_duplicate_for_a_merge(
    login, site_a, customer_a, engineer_a, customer_b, engineer_b
):
    first = open_ticket(site_a, customer_a, JAM)
    second = open_ticket(site_a, customer_a, JAM_AGAIN)
    ticket_duplicates_detect(ticket_id=second.pk)
    assert [found["ticket"] for found in open_duplicates_for(ticket=first, user=engineer_a)] == [second]
    assert open_duplicates_for(ticket=first, user=customer_a) == []
    page = login(engineer_a).get(f"/tickets/{first.pk}/").content.decode()
    assert "Possible duplicates" in page and f"Merge into #{second.pk}" in page and "same requester" in page
    customer_page = login(customer_a).get(f"/tickets/{first.pk}/").content.decode()
    assert "Possible duplicates" not in customer_page


class Fixed:
    """An embedder that returns given vectors, for the calibration's arithmetic."""

    def __init__(self, vectors):
        self.vectors = np.array(vectors, dtype=np.float32)

    def embed(self, texts):
        return self.vectors[: len(texts)]


def test_known_duplicates_are_same_archetype_pairs_of_one_site_within_the_window():
    def row(site, archetype, day):
        return {"site": site, "archetype": archetype, "created_at": f"2025-11-{day:02d}T09:00:00Z"}

    rows = [
        row("a", "jam", 1),
        row("a", "jam", 2),
        row("a", "vpn", 2),
        row("b", "jam", 2),
        row("a", "jam", 20),
    ]
    rows = [{**r, "title": "t", "description": "d"} for r in rows]
    vectors = [[1, 0], [0.8, 0.6], [0, 1], [1, 0], [1, 0]]
    pairs = labelled_pairs(rows, embedder=Fixed(vectors), window_days=3)
    assert sorted((round(score, 3), known) for score, known in pairs) == [
        (0.0, False),
        (0.6, False),
        (0.8, True),
    ]
    table = calibrate(pairs, [0.5, 0.7, 0.9])
    assert [(r.flagged, r.true_flags, r.precision, r.recall) for r in table] == [
        (2, 1, 0.5, 1.0),
        (1, 1, 1.0, 1.0),
        (0, 0, 1.0, 0.0),
    ]
    assert choose_threshold(table) == 0.7  # the lowest threshold with precision >= 0.8


def test_the_threshold_is_what_the_rule_picks_on_the_demo_data():
    rows = json.loads((settings.BASE_DIR / "fixtures" / "demo" / "tickets.json").read_text())
    pairs = labelled_pairs(rows, embedder=get_embedder())
    table = calibrate(pairs, [round(0.40 + 0.05 * step, 2) for step in range(11)])
    assert choose_threshold(table) == DUPLICATE_THRESHOLD

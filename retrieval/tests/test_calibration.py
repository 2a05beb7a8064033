import json

import numpy as np
import pytest

from retrieval.calibration import (
    best_balanced_accuracy,
    choose_cutoff,
    demo_queries,
    demo_tickets,
    distributions,
)
from retrieval.embedders import get_embedder


def test_it_picks_the_highest_cutoff_keeping_95_percent_of_answerable_queries():
    positives = np.linspace(0.40, 0.89, 50)  # 0.40, 0.41, ... 0.89
    cutoff = choose_cutoff(positives, np.array([0.10, 0.30, 0.45]))

    # 0.42 keeps 48 of 50 (96%), 0.43 keeps 47 (94%)
    assert cutoff.value == 0.42
    assert cutoff.kept == 0.96
    assert cutoff.dropped == pytest.approx(2 / 3)


def test_it_keeps_every_answerable_query_when_95_percent_is_all_of_them():
    cutoff = choose_cutoff(np.array([0.62, 0.70, 0.81]), np.array([0.12, 0.35, 0.48]))

    assert cutoff.value == 0.62
    assert cutoff.balanced_accuracy == 1.0


def test_it_reports_the_lowest_cutoff_of_best_balanced_accuracy_for_comparison():
    cutoff = best_balanced_accuracy(np.array([0.60, 0.90]), np.array([0.20, 0.40]))

    assert cutoff.value == 0.41
    assert (cutoff.kept, cutoff.dropped) == (1.0, 1.0)


@pytest.fixture
def tiny_demo(tmp_path):
    def ticket(key, archetype, title, description, resolution, state="closed"):
        return {
            "key": key,
            "site": "a",
            "archetype": archetype,
            "title": title,
            "description": description,
            "state": state,
            "resolution": resolution,
            "comments": [],
        }

    rows = [
        ticket("T1", "printer", "Printer offline", "The office printer shows offline.", "Restarted."),
        ticket("T2", "printer", "Printer says offline", "Cannot print, printer offline.", "Cycled."),
        ticket("T3", "vpn", "VPN will not connect", "FortiClient VPN fails at home.", "New token."),
        ticket("T4", "vpn", "VPN drops", "VPN keeps dropping.", "", state="in_progress"),
    ]
    chat = {
        "site": "a",
        "archetype": "vpn",
        "ticket": "T3",
        "messages": [{"author_kind": "customer", "body": "my vpn won't connect from home"}],
    }
    (tmp_path / "tickets.json").write_text(json.dumps(rows))
    (tmp_path / "conversations.json").write_text(json.dumps([chat]))
    return tmp_path


def test_it_scores_leave_one_out_within_the_archetype_and_outside_it(tiny_demo):
    tickets = demo_tickets(tiny_demo / "tickets.json")
    queries = demo_queries(tickets, tiny_demo / "conversations.json")
    off_topic = ("How long do I roast a chicken?",)
    found = distributions(tickets, queries, get_embedder("local"), off_topic=off_topic)

    assert [t.key for t in tickets] == ["T1", "T2", "T3"]  # unresolved tickets are not indexed
    assert [q.shape for q in queries] == ["ticket", "title"] * 3 + ["chat"]
    # The two printer tickets answer each other; the lone resolved VPN ticket has no other, and the chat
    # escalated to it, so it is left out of the chat's index too.
    assert {shape: len(v) for shape, v in found.answerable.items()} == {"ticket": 2, "title": 2}
    assert {shape: len(v) for shape, v in found.not_covered.items()} == {"ticket": 3, "title": 3, "chat": 1}
    assert found.positives().min() > found.not_covered["ticket"].max()
    assert len(found.off_topic) == 1  # one off-topic question asked at the one site
    assert found.off_topic.max() < found.positives().min()

import json

import numpy as np
import pytest

from retrieval.calibration import choose_cutoff, demo_tickets, distributions
from retrieval.embedders import get_embedder


def test_it_puts_the_cutoff_between_separable_distributions():
    cutoff = choose_cutoff(np.array([0.62, 0.70, 0.81]), np.array([0.12, 0.35, 0.48]))

    assert 0.48 < cutoff.value <= 0.62
    assert cutoff.balanced_accuracy == 1.0


def test_it_prefers_the_lowest_cutoff_on_ties():
    cutoff = choose_cutoff(np.array([0.60, 0.90]), np.array([0.20, 0.40]))

    assert cutoff.value == 0.41
    assert (cutoff.kept, cutoff.dropped) == (1.0, 1.0)


def test_it_trades_kept_answers_against_dropped_negatives_equally():
    # Overlap: at 0.50 one answerable of four is lost and one negative of two kept (0.625); at 0.45 the
    # negative 0.47 is kept while every answerable is (0.75); at 0.48 both negatives drop, one answer too.
    cutoff = choose_cutoff(np.array([0.46, 0.55, 0.60, 0.70]), np.array([0.10, 0.47]))

    assert cutoff.value == 0.48
    assert cutoff.kept == 0.75
    assert cutoff.dropped == 1.0


@pytest.fixture
def tiny_demo(tmp_path):
    def ticket(key, site, archetype, title, description, resolution):
        return {
            "key": key,
            "site": site,
            "archetype": archetype,
            "title": title,
            "description": description,
            "state": "closed",
            "resolution": resolution,
            "comments": [],
        }

    rows = [
        ticket("T1", "a", "printer", "Printer offline", "The office printer shows offline.", "Restarted."),
        ticket("T2", "a", "printer", "Printer says offline", "Cannot print, printer offline.", "Cycled."),
        ticket("T3", "a", "vpn", "VPN will not connect", "FortiClient VPN fails at home.", "New token."),
        {**ticket("T4", "a", "vpn", "VPN drops", "VPN keeps dropping.", ""), "state": "in_progress"},
    ]
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps(rows))
    return path


def test_it_scores_leave_one_out_within_the_archetype_and_outside_it(tiny_demo):
    tickets = demo_tickets(tiny_demo)
    found = distributions(tickets, get_embedder("local"), off_topic=("How long do I roast a chicken?",))

    assert [t.key for t in tickets] == ["T1", "T2", "T3"]  # unresolved tickets are not indexed
    assert len(found.answerable) == 2  # the two printer tickets answer each other; the lone VPN one has none
    assert len(found.not_covered) == 3
    assert found.answerable.min() > found.not_covered.max()
    assert len(found.off_topic) == 1  # one off-topic question asked at the one site
    assert found.off_topic.max() < found.answerable.min()

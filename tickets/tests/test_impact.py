"""Impact cues: the requester's words that say others, or their work, are stopped."""

import pytest

from tickets.impact import impact_cue, raised_priority


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        (
            "I restarted and it is still offline. Other people on floor 2 also can't print.",
            "Other people on floor 2 also can't print",
        ),
        (
            "Outlook is down for several people in accounting",
            "Outlook is down for several people in accounting",
        ),
        ("The Wi-Fi dropped for everyone on the floor!", "The Wi-Fi dropped for everyone on the floor"),
        ("the whole office has no internet since 9", "the whole office has no internet since 9"),
        ("My laptop froze again and I can\u2019t work.", "My laptop froze again and I can't work"),
        (
            "Teams is broken.\nAll of us are stuck in the meeting room",
            "All of us are stuck in the meeting room",
        ),
        ("Nobody can log in to the CRM this morning", "Nobody can log in to the CRM this morning"),
        ("I am unable to do any work until this is fixed", "I am unable to do any work until this is fixed"),
    ],
)
def test_it_finds_the_sentence_that_says_others_or_work_are_stopped(text, quote):
    cue = impact_cue(text)

    assert cue is not None and cue.quote == quote
    assert cue.reason("high") == f"Priority raised to high: the customer wrote '{quote}'"


@pytest.mark.parametrize(
    "text",
    [
        "The printer on floor 2 shows offline",
        "My password expired and I cannot log in",
        "Can someone help me set up the VPN on my new laptop?",
        "Excel crashes when I open a large workbook",
    ],
)
def test_it_finds_no_cue_in_an_ordinary_problem(text):
    assert impact_cue(text) is None


def test_it_only_ever_raises():
    assert raised_priority("low") == "high"
    assert raised_priority("normal") == "high"
    assert raised_priority("high") is None
    assert raised_priority("urgent") is None

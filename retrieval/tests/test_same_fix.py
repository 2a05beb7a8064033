"""Cases that record the same fix are folded into the best-ranked one (the ticket page's panel)."""

from retrieval.types import Case, collapse_same_fix


def case(number, resolution, similarity):
    return Case(
        source_type="ticket", source_id=number, site_id=1, title=f"case {number}", snippet="", url="",
        score=similarity, similarity=similarity, resolution=resolution,
    )  # fmt: skip


STALE = "Stale credentials for the old password in Windows Credential Manager. Removed them and signed in."


def test_cases_with_the_same_fix_are_shown_once_with_their_keys():
    cases = [
        case(1, STALE, 0.79),
        case(2, "Called Ellen back. " + STALE, 0.78),
        case(3, "Enrolled the phone in Intune via Company Portal.", 0.6),
        case(4, "Remoted in to LQ-PC-07. " + STALE, 0.55),
        case(5, "Granted Full Access and Send As on the shared mailbox.", 0.5),
    ]

    shown = collapse_same_fix(cases, k=5)

    assert [c.source_id for c in shown] == [1, 3, 5]
    assert shown[0].same_fix == ("ticket:2", "ticket:4")
    assert shown[1].same_fix == () and shown[2].same_fix == ()


def test_it_keeps_at_most_k_distinct_fixes():
    fixes = [
        "Restarted the print spooler service.",
        "Moved the access point to channel 36.",
        "Enabled the online archive for the mailbox.",
        "Reset the user's multifactor registration.",
        "Replaced the failing docking station.",
    ]
    cases = [case(n, fix, 0.9 - n / 100) for n, fix in enumerate(fixes)]

    assert [c.source_id for c in collapse_same_fix(cases, k=3)] == [0, 1, 2]

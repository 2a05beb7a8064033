import pytest

from evals import judges
from evals.text import clauses, sentences
from retrieval.embedders import get_embedder


@pytest.fixture(scope="module")
def cache():
    return judges.EmbeddingCache(get_embedder())


def test_it_splits_reply_sentences_and_drops_citation_markers():
    assert sentences("1. Restart the spooler [1][2]\n2. Clear the jobs. Then print. [ticket:4]") == [
        "Restart the spooler",
        "Clear the jobs.",
        "Then print.",
    ]
    assert clauses("Unlock the account, reset the password and sign in.") == [
        "Unlock the account",
        "reset the password",
        "sign in.",
    ]


def test_it_counts_a_fact_stated_by_key_tokens_or_by_meaning(cache):
    reply = "Open services, restart the print spooler. Turn on the online archive."
    facts = ["restart the print spooler", "enable the online archive", "update the BIOS"]
    assert judges.fact_recall(facts, reply, cache) == pytest.approx(2 / 3)


def test_it_judges_groundedness_against_cited_sources_only(cache):
    source = "Printer offline. Resolution: created a DHCP reservation for the printer and updated its port."
    grounded = "Create a DHCP reservation for the printer. Update the printer port."
    invented = "Buy a new router. Reinstall the operating system."
    assert judges.groundedness(grounded, [source], cache, set()) == 1.0
    assert judges.groundedness(invented, [source], cache, set()) == 0.0
    assert judges.groundedness(grounded, [], cache, set()) == 0.0
    assert judges.groundedness("Hello,", [source], cache, {"Hello,"}) is None


PRINTER = "Printer offline. Resolution: created a DHCP reservation for the printer and updated its port."
VPN = (
    "VPN drops every hour. Resolution: raised the DPD timeout on the firewall and pushed the new VPN profile."
)
MAILBOX = "Mailbox full. Resolution: enable the online archive, then move the old mail into the archive."
GROUNDED = {
    PRINTER: "Create a DHCP reservation for the printer. Update the printer port.",
    VPN: "Raise the DPD timeout on the firewall. Push the new VPN profile.",
    MAILBOX: "Enable the online archive. Move the old mail into the archive.",
}


def test_it_marks_down_a_grounded_reply_with_one_unsupported_claim(cache):
    reply = GROUNDED[PRINTER]
    assert judges.groundedness(reply, [PRINTER], cache, set()) == 1.0
    with_claim = f"{reply} Then replace the fuser unit and flash the router's firmware."
    assert judges.groundedness(with_claim, [PRINTER], cache, set()) == pytest.approx(2 / 3)
    invented = f"{reply}\n\n{judges.INVENTED_CLAIM}"
    assert judges.groundedness(invented, [PRINTER], cache, set()) == pytest.approx(2 / 3)


def test_it_marks_down_a_reply_that_cites_the_wrong_source(cache):
    assert judges.groundedness(GROUNDED[PRINTER], [PRINTER], cache, set()) == 1.0
    assert judges.groundedness(GROUNDED[PRINTER], [VPN], cache, set()) == 0.0
    assert judges.groundedness(GROUNDED[PRINTER], [VPN, MAILBOX], cache, set()) == 0.0


def test_its_controls_score_every_grounded_reply_lower(cache):
    items = [(reply, [source]) for source, reply in GROUNDED.items()]
    assert [judges.groundedness(reply, sources, cache, set()) for reply, sources in items] == [1.0] * 3
    controls = judges.groundedness_controls(items, cache, set())
    assert controls["wrong_source"] == {"groundedness": 0.0, "caught": 1.0, "n": 3}
    assert controls["invented_claim"]["caught"] == 1.0
    assert controls["invented_claim"]["groundedness"] == pytest.approx(2 / 3)


def test_it_treats_sentences_repeated_across_many_replies_as_template():
    replies = [f"Hello, thanks. Step {i} is unique." for i in range(10)]
    assert judges.template_sentences(replies) == {"Hello, thanks."}

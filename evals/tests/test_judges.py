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


def test_it_treats_sentences_repeated_across_many_replies_as_template():
    replies = [f"Hello, thanks. Step {i} is unique." for i in range(10)]
    assert judges.template_sentences(replies) == {"Hello, thanks."}

import pytest

from evals.baselines import BM25, bm25_vote

CORPUS = {
    "printer": "Printer queue stuck, restarted the print spooler and cleared the jobs",
    "vpn": "VPN client cannot connect from home, reinstalled the VPN client",
    "mailbox": "Mailbox full, enabled the online archive",
    "toner": "Printer prints faded pages, replaced the toner cartridge",
}


def test_it_ranks_the_document_sharing_the_rarest_terms_first():
    index = BM25(list(CORPUS), list(CORPUS.values()))
    ranked = [doc_id for doc_id, _ in index.search("print spooler keeps jobs stuck")]
    assert ranked[0] == "printer"
    assert "vpn" not in ranked


def test_it_returns_nothing_for_a_query_without_shared_terms():
    index = BM25(list(CORPUS), list(CORPUS.values()))
    assert index.search("banana bread recipe") == []


def test_it_saturates_term_frequency_and_normalises_length():
    short = "spooler"
    long = "spooler " + " ".join(f"filler{i}" for i in range(40))
    index = BM25(["short", "long", "other"], [short, long, "unrelated words here"])
    scores = dict(index.search("spooler"))
    assert scores["short"] > scores["long"] > 0
    repeated = BM25(["once", "many", "other"], ["spooler x", "spooler spooler spooler spooler x", "y"])
    once, many = repeated.scores("spooler")[:2]
    assert many / once < 4 * 0.75


def test_it_votes_the_category_of_the_nearest_documents():
    index = BM25(list(CORPUS), list(CORPUS.values()))
    labels = {"printer": "printers", "toner": "printers", "vpn": "network", "mailbox": "email"}
    category, confidence = bm25_vote(index, labels, "the printer is stuck and pages come out faded")
    assert category == "printers"
    assert confidence == pytest.approx(1.0)

"""Scoring of run records: queries without a gold field are left out of the metrics that need it."""

from pathlib import Path

from evals.datasets.loader import Dataset, Document, Query
from evals.runner import QueryRecord, score_replies, score_retrieval, score_triage

DOCS = [
    Document(id="d1", site="s", kind="ticket", title="VPN", body="vpn down", category="network"),
    Document(id="d2", site="s", kind="ticket", title="Printer", body="queue stuck", category="printers"),
    Document(id="d3", site="s", kind="ticket", title="Wi-Fi", body="drops", category="network"),
]


def record(query, **fields):
    return QueryRecord(query=query, site_id=1, **fields)


def test_it_scores_triage_only_on_queries_with_a_gold_category():
    dataset = Dataset(Path("x"), {}, DOCS, [], ["network", "printers"])
    records = [
        record(
            Query(id="q1", site="s", text="a", category="network"),
            triage_category="network",
            triage_accepted=True,
            vote_category="network",
        ),
        record(
            Query(id="q2", site="s", text="b", category="printers"),
            triage_category=None,
            vote_category="printers",
        ),
        record(Query(id="q3", site="s", text="c"), triage_category="printers"),
    ]
    scores, details = score_triage(dataset, records)
    by_name = dict(scores)
    assert by_name["triage.accuracy"]["n"] == 2
    assert by_name["triage.accuracy"]["system"] == 0.5
    assert by_name["triage.accuracy"]["baselines"] == {
        "majority": 0.5,
        "bm25-vote": 1.0,
        "dense-vote": 0.0,
        "tfidf-lr": 0.0,
    }
    assert by_name["triage.coverage_above_threshold"]["system"] == 0.5
    assert by_name["triage.accuracy_above_threshold"]["system"] == 1.0
    assert details["system"]["confusion"]["matrix"] == [[1, 0, 0], [0, 0, 1]]


def test_it_scores_retrieval_only_on_queries_with_relevant_documents():
    records = [
        record(
            Query(id="q1", site="s", text="a", relevant=("d1", "d3")),
            ranking=["d3", "d2", "d1"],
            bm25_ranking=["d2", "d1"],
        ),
        record(Query(id="q2", site="s", text="b", relevant=None), ranking=["d2"]),
        record(Query(id="q3", site="s", text="c", relevant=(), answerable=False), ranking=["d1"]),
    ]
    scores, details = score_retrieval(records)
    by_name = dict(scores)
    assert by_name["retrieval.mrr"]["n"] == 1
    assert by_name["retrieval.mrr"]["system"] == 1.0
    assert by_name["retrieval.mrr"]["baselines"]["bm25"] == 0.5
    assert details["recall_curve"]["system"] == [0.5, 1.0, 1.0, 1.0]


def test_it_scores_refusals_only_on_queries_labelled_answerable_or_not():
    records = [
        record(
            Query(
                id="q1",
                site="s",
                text="a",
                relevant=("d1",),
                facts=("restart the vpn client",),
                answerable=True,
            ),
            reply="Restart the VPN client.",
            reply_refused=False,
            reply_cited=["d1", "d2"],
            reply_sources=["VPN down. Resolution: restarted the VPN client."],
            baseline_reply="Restarted the VPN client.",
            baseline_refused=False,
            baseline_cited=["d1"],
            baseline_sources=["VPN down. Resolution: restarted the VPN client."],
        ),
        record(Query(id="q2", site="s", text="recipe?", relevant=(), answerable=False), reply_refused=True),
        record(Query(id="q3", site="s", text="no labels"), reply="Anything.", reply_refused=False),
    ]
    scores, _details = score_replies(records)
    by_name = dict(scores)
    assert by_name["replies.citation_precision"]["system"] == 0.5
    assert by_name["replies.citation_precision"]["baselines"]["top-resolution"] == 1.0
    assert by_name["replies.fact_recall"]["system"] == 1.0
    assert by_name["replies.refusal_accuracy"]["system"] == 1.0
    assert by_name["replies.refusal_accuracy"]["n"] == 1
    assert by_name["replies.refusal_accuracy"]["baselines"]["top-resolution"] == 1.0
    assert by_name["replies.answer_rate"]["n"] == 1


def test_it_reports_groundedness_beside_controls_that_score_lower():
    cases = [
        (
            "Printer offline. Resolution: created a DHCP reservation for the printer.",
            "Create a DHCP reservation for the printer.",
        ),
        (
            "VPN drops. Resolution: raised the DPD timeout on the firewall.",
            "Raise the DPD timeout on the firewall.",
        ),
    ]
    records = [
        record(
            Query(id=f"q{n}", site="s", text="help", relevant=(f"d{n}",), answerable=True),
            reply=reply,
            reply_refused=False,
            reply_cited=[f"d{n}"],
            reply_sources=[source],
            baseline_reply=reply,
            baseline_refused=False,
            baseline_cited=[f"d{n}"],
            baseline_sources=[source],
        )
        for n, (source, reply) in enumerate(cases, 1)
    ]
    scores, details = score_replies(records)
    grounded = dict(scores)["replies.groundedness"]
    assert grounded["system"] == 1.0 and grounded["sanity_check"] is True
    assert grounded["controls"]["wrong_source"] == 0.0
    assert grounded["controls"]["invented_claim"] == 0.5
    assert details["judge"]["groundedness_controls"]["invented_claim"]["caught"] == 1.0

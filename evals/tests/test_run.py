import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from evals.runner import RunOptions, run_evals
from evals.sandbox import leftover_sites
from evals.tests.tiny import write_tiny_dataset
from helpdesk.models import Site, User
from knowledge.services import document_index_ticket
from retrieval.models import Chunk
from tickets.models import Ticket, TicketState


@pytest.fixture
def real_ticket(site_a, customer_a):
    ticket = Ticket.objects.create(
        site=site_a,
        requester=customer_a,
        title="Printer queue stuck on the copier",
        description="Jobs stay in the queue.",
        resolution="Restarted the print spooler.",
        state=TicketState.RESOLVED,
    )
    document_index_ticket(ticket=ticket)
    return ticket


def snapshot(site):
    return (
        Ticket.objects.filter(site=site).count(),
        Chunk.objects.filter(site=site).count(),
        User.objects.filter(site=site).count(),
    )


@pytest.mark.django_db(transaction=True)
def test_it_runs_every_suite_in_throwaway_sites_and_removes_them(tmp_path, site_a, real_ticket):
    before = snapshot(site_a)
    sites_before = set(Site.objects.values_list("slug", flat=True))
    report = run_evals(
        RunOptions(dataset=write_tiny_dataset(tmp_path / "tiny"), out=tmp_path / "out", progress=False)
    )

    assert report["details"]["isolation"]["violations"] == 0
    assert report["scores"]["isolation.violations"]["system"] == 0
    # Each query is a paraphrase of two documents of its own site: the real pipeline must find them.
    assert report["scores"]["retrieval.recall@10"]["system"] >= 0.75
    assert report["scores"]["triage.accuracy"]["system"] >= 0.75
    assert report["scores"]["replies.groundedness"]["system"] >= 0.5
    assert report["scores"]["replies.refusal_accuracy"]["n"] == 2
    assert set(Site.objects.values_list("slug", flat=True)) == sites_before
    assert not leftover_sites().exists()
    assert snapshot(site_a) == before
    real_ticket.refresh_from_db()
    assert real_ticket.state == TicketState.RESOLVED
    written = json.loads((tmp_path / "out" / "report.json").read_text())
    assert written["run"]["dataset"]["queries"] == 10
    assert (tmp_path / "out" / "report.html").read_text().count("<svg") == 3
    results = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert len(results) == 10
    offtopic = next(row for row in results if row["id"] == "tiny-one-offtopic")
    assert offtopic["reply"]["refused"] is True and offtopic["gold"]["answerable"] is False
    calls = report["details"]["ai_calls"]
    assert calls["offline:ok"]["calls"] + calls["offline:refused"]["calls"] == 20  # 10 triages, 10 drafts


@pytest.mark.django_db(transaction=True)
def test_it_removes_the_throwaway_sites_when_the_run_fails(tmp_path, site_a):
    sites_before = set(Site.objects.values_list("slug", flat=True))
    with pytest.raises(ImproperlyConfigured):
        run_evals(RunOptions(dataset=write_tiny_dataset(tmp_path / "tiny"), provider="bogus", progress=False))
    assert set(Site.objects.values_list("slug", flat=True)) == sites_before
    assert not leftover_sites().exists()


@pytest.mark.django_db(transaction=True)
def test_it_compares_against_a_previous_report_from_the_command(tmp_path, capsys):
    dataset = write_tiny_dataset(tmp_path / "tiny")
    first = tmp_path / "first"
    call_command(
        "evals",
        "run",
        "--dataset",
        str(dataset),
        "--suite",
        "retrieval",
        "--out",
        str(first),
        "--no-progress",
    )
    call_command(
        "evals",
        "run",
        "--dataset",
        str(dataset),
        "--suite",
        "retrieval",
        "--out",
        str(tmp_path / "second"),
        "--compare",
        str(first / "report.json"),
        "--no-progress",
    )
    second = json.loads((tmp_path / "second" / "report.json").read_text())
    assert second["compare"]["deltas"]["retrieval.mrr"] == pytest.approx(0.0)
    assert "retrieval.mrr" in capsys.readouterr().out
    assert "triage.accuracy" not in second["scores"]


def test_it_refuses_to_run_openai_without_a_recording_to_replay(tmp_path, db):
    dataset = write_tiny_dataset(tmp_path / "tiny")
    with pytest.raises(CommandError, match="does not exist: record it once"):
        call_command(
            "evals",
            "run",
            "--dataset",
            str(dataset),
            "--provider",
            "openai",
            "--cassette",
            str(tmp_path / "missing.yaml"),
            "--no-progress",
        )
    assert not leftover_sites().exists()


@pytest.mark.django_db(transaction=True)
def test_evals_check_refuses_a_random_ranker_that_falls_below_the_baselines(tmp_path, monkeypatch):
    """A deliberately weakened system: retrieval returns the site's documents in a random order."""
    import random

    from evals import runner

    def random_ranker(self, record, site):
        ids = [
            doc_id
            for (_kind, _pk), doc_id in self.sandbox.documents.items()
            if doc_id.startswith(record.query.site)
        ]
        random.Random(record.query.id).shuffle(ids)
        record.ranking = ids[: runner.RETRIEVAL_K]

    monkeypatch.setattr(runner.Pipeline, "retrieve", random_ranker)
    out = tmp_path / "out"
    run_evals(
        RunOptions(
            dataset=write_tiny_dataset(tmp_path / "tiny"), out=out, progress=False, suites=("retrieval",)
        )
    )
    accepted = tmp_path / "accepted.json"
    accepted.write_text(json.dumps({"scores": {}}))

    with pytest.raises(
        CommandError, match=r"retrieval\.mrr: the system's .* below the (bm25|dense) baseline"
    ):
        call_command("evals", "check", "--report", str(out / "report.json"), "--baseline", str(accepted))

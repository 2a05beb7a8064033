import json

import pytest
from django.core.management import CommandError, call_command

from evals.report import check_against_baseline, console_table, render_html
from testing.factories import evals_report


def test_it_prints_system_beside_baselines_with_deltas():
    table = console_table(evals_report())
    assert "retrieval.mrr" in table
    assert "bm25 0.600" in table
    assert "+0.200" in table  # system - best baseline
    assert "+0.050" in table  # against --compare


def test_it_renders_self_contained_html_with_the_four_plots():
    page = render_html(evals_report())
    assert page.count("<svg") == 4
    assert "Per-category F1" in page and "Recall@k" in page and "confusion" in page and "Change vs" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "<script" not in page
    assert "Change vs previous/report.json" in page and "cost.draft_latency" not in page.split("<h2>Plots")[1]
    assert "<td>email</td><td class='num'>0.400</td><td class='num'>0.670</td>" in page


def test_it_fails_a_headline_score_beyond_the_tolerance_and_any_isolation_leak():
    baseline = {"scores": {"retrieval.mrr": 0.8, "triage.macro_f1": 0.7}}
    assert check_against_baseline(evals_report(retrieval__mrr=0.79), baseline, 0.02) == []
    failures = check_against_baseline(evals_report(retrieval__mrr=0.70), baseline, 0.02)
    assert len(failures) == 1 and failures[0].startswith("retrieval.mrr")
    limited = check_against_baseline(
        evals_report(), {**baseline, "run": {"name": "tiny", "queries": 300}}, 0.02
    )
    assert limited == ["dataset queries: the report has 2, the baseline 300"]
    leaking = evals_report()
    leaking["details"]["isolation"]["violations"] = 2
    assert "isolation" in check_against_baseline(leaking, baseline, 0.02)[0]


def test_it_makes_evals_check_exit_non_zero_on_a_regressed_report(tmp_path):
    baseline = tmp_path / "baseline.json"
    baseline.write_text(
        json.dumps({"tolerance": 0.02, "scores": {"retrieval.mrr": 0.8, "triage.macro_f1": 0.7}})
    )
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(evals_report()))
    bad.write_text(json.dumps(evals_report(triage__macro_f1=0.6)))
    call_command("evals", "check", "--report", str(good), "--baseline", str(baseline))
    with pytest.raises(CommandError, match=r"triage\.macro_f1: 0\.600 is more than 0\.02 below"):
        call_command("evals", "check", "--report", str(bad), "--baseline", str(baseline))

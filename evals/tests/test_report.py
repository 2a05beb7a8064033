import json

import pytest
from django.core.management import CommandError, call_command

from evals.report import check_against_baseline, console_table, render_html


def make_report(**systems):
    scores = {
        "retrieval.mrr": {"system": 0.8, "baselines": {"bm25": 0.6}, "higher_is_better": True},
        "triage.macro_f1": {"system": 0.7, "baselines": {"majority": 0.05}, "higher_is_better": True},
    }
    for name, value in systems.items():
        scores[name.replace("__", ".")]["system"] = value
    return {
        "run": {"id": "r1", "dataset": {"name": "tiny", "documents": 2, "queries": 2, "sites": 1}},
        "scores": scores,
        "details": {
            "isolation": {"violations": 0},
            "triage": {
                "system": {
                    "per_category": {
                        "network": {"precision": 1.0, "recall": 0.54, "f1": 0.7, "support": 4},
                        "email": {"precision": 0.4, "recall": 0.67, "f1": 0.5, "support": 3},
                    },
                    "confusion": {
                        "labels": ["network", "email"],
                        "columns": ["network", "email", "(none)"],
                        "matrix": [[3, 1, 0], [0, 2, 1]],
                    },
                },
                "baselines": {"bm25-vote": {"per_category": {"network": {"f1": 0.4}}}},
            },
            "retrieval": {
                "recall_curve": {"k": [1, 5, 10], "system": [0.4, 0.8, 0.9], "bm25": [0.3, 0.6, 0.7]}
            },
        },
        "compare": {
            "path": "previous/report.json",
            "deltas": {"retrieval.mrr": 0.05, "triage.macro_f1": -0.02},
        },
    }


def test_it_prints_system_beside_baselines_with_deltas():
    table = console_table(make_report())
    assert "retrieval.mrr" in table
    assert "bm25 0.600" in table
    assert "+0.200" in table  # system - best baseline
    assert "+0.050" in table  # against --compare


def test_it_renders_self_contained_html_with_the_four_plots():
    page = render_html(make_report())
    assert page.count("<svg") == 4
    assert "Per-category F1" in page and "Recall@k" in page and "confusion" in page and "Change vs" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "<script" not in page
    assert "Change vs previous/report.json" in page and "cost.draft_latency" not in page.split("<h2>Plots")[1]
    assert "<td>email</td><td class='num'>0.400</td><td class='num'>0.670</td>" in page


def test_it_fails_a_headline_score_beyond_the_tolerance_and_any_isolation_leak():
    baseline = {"scores": {"retrieval.mrr": 0.8, "triage.macro_f1": 0.7}}
    assert check_against_baseline(make_report(retrieval__mrr=0.79), baseline, 0.02) == []
    failures = check_against_baseline(make_report(retrieval__mrr=0.70), baseline, 0.02)
    assert len(failures) == 1 and failures[0].startswith("retrieval.mrr")
    limited = check_against_baseline(
        make_report(), {**baseline, "run": {"name": "tiny", "queries": 300}}, 0.02
    )
    assert limited == ["dataset queries: the report has 2, the baseline 300"]
    leaking = make_report()
    leaking["details"]["isolation"]["violations"] = 2
    assert "isolation" in check_against_baseline(leaking, baseline, 0.02)[0]


def test_it_makes_evals_check_exit_non_zero_on_a_regressed_report(tmp_path):
    baseline = tmp_path / "baseline.json"
    baseline.write_text(
        json.dumps({"tolerance": 0.02, "scores": {"retrieval.mrr": 0.8, "triage.macro_f1": 0.7}})
    )
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(make_report()))
    bad.write_text(json.dumps(make_report(triage__macro_f1=0.6)))
    call_command("evals", "check", "--report", str(good), "--baseline", str(baseline))
    with pytest.raises(CommandError, match="triage.macro_f1: 0.600 is more than 0.02 below"):
        call_command("evals", "check", "--report", str(bad), "--baseline", str(baseline))

"""The insights page: its figures on a built world, the date range, the CSV, who may see it, and its cost."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from insights.selectors import Period, insights_report
from knowledge.models import ArticleDraft

pytestmark = pytest.mark.django_db

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-10"}


def report_for(admin, site, start=date(2026, 11, 1), end=date(2026, 11, 10)):
    return insights_report(viewer=admin, site=site, period=Period(start, end))


def test_it_computes_ticket_flow_and_sla_figures(world, admin_user):
    flow = report_for(admin_user, world.site_a)["flow"]
    assert (flow["tickets_in"], flow["tickets_out"]) == (3, 3)
    assert flow["responded"] == 2
    # First responses 60 and 120 minutes: median 90, p90 interpolated 60 + 0.9 * 60.
    assert flow["response_median"] == pytest.approx(90)
    assert flow["response_p90"] == pytest.approx(114)
    # Within: t1; breached: t2 (late) and t3 (never answered, due passed).
    assert (flow["response_within"], flow["response_breached"]) == (1, 2)
    # Resolutions 600, 1000 and 21 days (t4, opened in October, resolved in range).
    assert flow["resolution_median"] == pytest.approx(1000)
    assert flow["resolution_p90"] == pytest.approx(1000 + 0.8 * (21 * 24 * 60 - 1000))
    assert (flow["resolution_within"], flow["resolution_breached"]) == (1, 2)
    assert flow["overdue_now"] == 1


def test_it_splits_sla_by_priority(world, admin_user):
    rows = {row["priority"]: row for row in report_for(admin_user, world.site_a)["sla_by_priority"]}
    assert list(rows) == ["Urgent", "High", "Normal"]
    assert rows["Urgent"]["response_within_share"] == 0
    assert rows["High"]["response_within_share"] == 0
    assert rows["High"]["resolution_within_share"] == 0
    assert rows["Normal"]["response_within_share"] == 1
    assert rows["Normal"]["resolution_within_share"] == pytest.approx(0.5)  # t1 in time, t4 late


def test_it_splits_csat_between_the_assistant_and_engineers(world, admin_user):
    csat = report_for(admin_user, world.site_a)["csat"]
    assert (csat["engineer_ratings"], csat["engineer_average"]) == (2, pytest.approx(3.5))
    assert csat["engineer_satisfied_share"] == pytest.approx(0.5)
    # Helpful ratings of answers in solved chats only (the escalated chat's rating is not the assistant's).
    assert csat["assistant_ratings"] == 3
    assert csat["assistant_satisfied_share"] == pytest.approx(2 / 3)


def test_it_computes_deflection_triage_and_what_the_assistant_could_not_answer(world, admin_user):
    report = report_for(admin_user, world.site_a)
    assert report["deflection"] == {"chats": 4, "deflected": 2, "escalated": 1, "deflection_rate": 2 / 3}
    triage = report["triage"]
    assert (triage["tickets"], triage["auto_triaged"], triage["corrected"]) == (3, 2, 1)
    assert triage["coverage"] == pytest.approx(2 / 3)
    assert triage["correction_rate"] == pytest.approx(0.5)
    unanswered = report["unanswered"]
    assert (unanswered["answers"], unanswered["off_topic"]) == (7, 1)
    assert unanswered["off_topic_examples"] == ["What is the weather in Paris tomorrow?"]
    assert unanswered["no_match_languages"] == [("de", 1), ("en", 1)]


def test_it_ranks_problem_clusters_with_and_without_an_article(world, admin_user):
    clusters = report_for(admin_user, world.site_a)["clusters"]
    assert [(c.title, c.cases, c.article) for c in clusters.covered] == [
        ("Alder slow laptops", 2, "Alder laptop tune-up")
    ]
    # The dismissed cluster's only ticket was resolved in October: not in this range.
    assert [(c.title, c.cases, c.state) for c in clusters.uncovered] == [
        ("Alder printer and VPN woes", 2, "Proposed")
    ]


def test_it_filters_by_the_date_range(world, admin_user):
    october = report_for(admin_user, world.site_a, date(2026, 10, 1), date(2026, 10, 31))
    assert (october["flow"]["tickets_in"], october["flow"]["tickets_out"]) == (2, 1)
    assert october["csat"]["engineer_ratings"] == 1
    assert october["deflection"]["chats"] == 1
    assert [c.title for c in october["clusters"].uncovered] == ["Alder full mailboxes"]
    one_day = report_for(admin_user, world.site_a, date(2026, 11, 2), date(2026, 11, 2))
    assert one_day["flow"]["tickets_in"] == 1
    assert [(row["bucket"], row["in"], row["out"]) for row in one_day["series"]] == [
        (date(2026, 11, 2), 1, 1)
    ]


def test_it_buckets_the_chart_by_day_week_or_month(world, admin_user):
    days = report_for(admin_user, world.site_a)["series"]
    assert len(days) == 10 and sum(row["in"] for row in days) == 3
    weeks = report_for(admin_user, world.site_a, date(2026, 6, 1), date(2026, 11, 30))["series"]
    assert {row["bucket"].weekday() for row in weeks} == {0}
    assert sum(row["in"] for row in weeks) == 5
    months = report_for(admin_user, world.site_a, date(2024, 1, 1), date(2026, 12, 31))["series"]
    assert len(months) == 36 and sum(row["out"] for row in months) == 4


def test_all_sites_add_up_and_one_site_never_shows_another(world, admin_user):
    everything = report_for(admin_user, None)
    assert (everything["flow"]["tickets_in"], everything["flow"]["tickets_out"]) == (4, 4)
    assert everything["triage"]["corrected"] == 2
    birchwood = report_for(admin_user, world.site_b)
    assert birchwood["flow"]["tickets_in"] == 1
    assert [c.title for c in birchwood["clusters"].uncovered] == ["Birchwood scanner jams"]
    assert birchwood["unanswered"]["off_topic"] == 1


def test_the_page_shows_the_figures_and_charts(world, admin_user, login):
    response = login(admin_user).get("/insights/", {"site": world.site_a.pk, **NOVEMBER})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg") == 3
    assert 'data-figure="First response|Median" data-value="90.0">1 h 30 min<' in page
    assert 'data-figure="Deflection|Deflection rate" data-value="0.667">67%<' in page
    assert "Alder laptop tune-up" in page and "What is the weather in Paris tomorrow?" in page
    assert "Birchwood" not in page.replace(world.site_b.name, "", 1)  # only in the site menu


def test_the_csv_has_exactly_the_figures_of_the_page(world, admin_user, login):
    client = login(admin_user)
    for site in (world.site_a.pk, ""):
        page = client.get("/insights/", {"site": site, **NOVEMBER}).content.decode()
        shown = dict(re.findall(r'data-figure="([^"]*)" data-value="([^"]*)"', page))
        response = client.get("/insights/export.csv", {"site": site, **NOVEMBER})
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        exported = {f"{row['section']}|{row['figure']}": row["value"] for row in rows}
        assert {key.replace("&amp;", "&") for key in shown} == set(exported)
        assert {key.replace("&amp;", "&"): value for key, value in shown.items()} == exported
        assert {row["start"] for row in rows} == {"2026-11-01"}


def test_a_bad_range_gets_a_sentence(world, admin_user, login):
    client = login(admin_user)
    backwards = client.get("/insights/", {"start": "2026-11-10", "end": "2026-11-01"})
    assert backwards.status_code == 400
    assert "The start date (2026-11-10) is after the end date (2026-11-01)" in backwards.content.decode()
    garbled = client.get("/insights/", {"start": "1st of November"})
    assert "Enter the start date as YYYY-MM-DD" in garbled.content.decode()
    unknown = client.get("/insights/", {"site": "999999"})
    assert unknown.status_code == 400 and "Choose a site from the list." in unknown.content.decode()
    as_csv = client.get("/insights/export.csv", {"end": "soon"})
    assert as_csv.status_code == 400
    assert as_csv.content.decode() == "Enter the end date as YYYY-MM-DD, e.g. 2026-11-01."


def test_the_default_range_is_the_last_thirty_days(world, admin_user, login):
    response = login(admin_user).get("/insights/")
    assert response.status_code == 200
    assert response.context["report"]["period"].days == 30


@pytest.mark.parametrize("who", ["customer_a", "engineer_a", "engineer_b"])
@pytest.mark.parametrize("url", ["/insights/", "/insights/export.csv"])
def test_it_answers_404_to_everyone_but_admins(request, world, login, who, url):
    client = login(request.getfixturevalue(who))
    assert client.get(url, {"site": world.site_a.pk}).status_code == 404


def test_it_asks_anonymous_visitors_to_log_in(world, client):
    response = client.get("/insights/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _grow(world, build, n: int) -> None:
    """More of everything the page reads, on both sites: the query count must not follow."""
    for i in range(n):
        for name in ("t1", "b1"):
            site, customer = world.tickets[name].site, world.tickets[name].requester
            opened = build.at(11, 3 + i % 5)
            made = build.ticket(site, customer, opened=opened, title=f"More {i}", responded=5, resolved=50)
            build.chat(
                site, customer, started=opened, outcome="deflected", answers=[("answered", "en", True)]
            )
            draft = ArticleDraft.objects.create(site=site, title=f"Cluster {site.pk}-{i}", body="Steps.")
            draft.tickets.set([made])


def test_its_query_count_is_bounded(world, builders, admin_user, login, django_assert_max_num_queries):
    client = login(admin_user)
    with django_assert_max_num_queries(20) as small:
        assert client.get("/insights/", NOVEMBER).status_code == 200
    _grow(world, builders, 6)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        assert client.get("/insights/", NOVEMBER).status_code == 200
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/insights/export.csv", NOVEMBER).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)

"""The guarded provider: the log of every call, cost estimates, secrets kept out, the circuit, the admin."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ai.base import Usage
from ai.providers import FAILURE_THRESHOLD, OPEN_SECONDS, circuit_is_open, estimate_cost, get_provider, scrub
from helpdesk.models import AIInteraction
from retrieval.grounding import context_from_cases
from retrieval.types import Case, SourceType


def log_row(site, outcome, *, seconds_ago=0, provider="openai", cost="0", defects=()):
    row = AIInteraction.objects.create(
        site=site,
        purpose="triage",
        provider=provider,
        model="gpt-4o",
        outcome=outcome,
        cost_usd=Decimal(cost),
        defects=list(defects),
    )
    AIInteraction.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(seconds=seconds_ago))
    return row


def test_it_logs_every_call_with_tokens_sources_and_latency(site_a):
    case = Case(
        SourceType.TICKET,
        41,
        site_a.id,
        "Outlook asks for the password again and again",
        "",
        "/tickets/41/",
        1.0,
        0.8,
        category="email",
        resolution="Removed the stale credentials from Credential Manager and restarted Outlook.",
    )
    context = context_from_cases(site=site_a, cases=[case])
    draft = get_provider("offline").draft_reply(
        site=site_a, text="Outlook keeps asking for my password", context=context, ticket_id=12
    )
    row = AIInteraction.objects.get()
    assert (row.site, row.purpose, row.provider, row.model, row.outcome) == (
        site_a,
        "draft",
        "offline",
        "knn-vote",
        "ok",
    )
    assert row.ticket_id == 12 and row.sources == ["ticket:41"] == draft.citations
    assert row.prompt_tokens > 20 and row.completion_tokens > 20 and row.latency_ms >= 0
    assert row.cost_usd == 0 and row.error == ""


def test_it_estimates_cost_from_the_price_table():
    assert estimate_cost("gpt-4o", Usage(1_000_000, 0)) == Decimal("2.50")
    assert estimate_cost("gpt-4o-2024-08-06", Usage(0, 1_000_000)) == Decimal("10.00")
    assert estimate_cost("gpt-4o-mini", Usage(1_000_000, 1_000_000)) == Decimal("0.75")
    assert estimate_cost("llama3.1:8b", Usage(5_000, 5_000)) == 0


def test_it_scrubs_keys_and_credentials_from_error_text(settings):
    settings.OPENAI_API_KEY = "sk-proj-verysecretvalue42"
    text = scrub("401: Incorrect API key provided: sk-proj-verysecretvalue42. Authorization: Bearer abc.def")
    assert "verysecret" not in text and "abc.def" not in text
    assert scrub("api_key=hunter2 rejected") == "[redacted] rejected"


def test_it_opens_the_circuit_only_after_consecutive_recent_failures(site_a):
    for _ in range(FAILURE_THRESHOLD - 1):
        log_row(site_a, "error")
    assert not circuit_is_open("openai")
    log_row(site_a, "error")
    assert circuit_is_open("openai")
    assert not circuit_is_open("offline")


def test_it_closes_the_circuit_after_a_success_or_the_open_window(site_a):
    for _ in range(FAILURE_THRESHOLD):
        log_row(site_a, "error", seconds_ago=OPEN_SECONDS + 5)
    assert not circuit_is_open("openai")  # half open: the next call may try again
    for _ in range(FAILURE_THRESHOLD - 1):
        log_row(site_a, "error")
    log_row(site_a, "ok")
    assert not circuit_is_open("openai")


def test_rejected_answers_do_not_open_the_circuit(site_a):
    """A server answering unusably (empty, looping, uncited) is working: only errors open the circuit."""
    for _ in range(FAILURE_THRESHOLD):
        log_row(site_a, "rejected", defects=["uncited"])
    assert not circuit_is_open("openai")


def test_it_refuses_an_unknown_provider_name():
    with override_settings(AI_PROVIDER="claude"), pytest.raises(ImproperlyConfigured):
        get_provider()


def test_it_shows_admins_usage_and_cost_per_site(site_a, site_b, admin_user, login):
    log_row(site_a, "ok", cost="0.012500")
    log_row(site_a, "fallback", provider="offline")
    log_row(site_b, "ok", cost="0.500000")
    url = reverse("admin:helpdesk_aiinteraction_changelist")
    page = login(admin_user).get(url).content.decode()
    assert "Usage by site" in page and site_a.name.replace("&", "&amp;") in page and site_b.name in page
    assert "0.0125" in page and "0.5000" in page
    filtered = login(admin_user).get(url, {"site__id__exact": site_b.pk}).content.decode()
    summary = filtered.split('id="ai-usage-by-site"')[1].split("</table>")[0]
    assert site_b.name in summary and "Alder" not in summary


def test_it_counts_rejected_answers_and_defects_per_site(site_a, admin_user, login):
    log_row(site_a, "ok")
    log_row(site_a, "ok", defects=["confidence_out_of_bounds"])
    log_row(site_a, "rejected", defects=["looping", "uncited"])
    page = login(admin_user).get(reverse("admin:helpdesk_aiinteraction_changelist")).content.decode()
    summary = page.split('id="ai-usage-by-site"')[1].split("</table>")[0]
    cells = [cell.split("</td>")[0] for cell in summary.split("<td>")[1:]]
    # calls, fallbacks, errors, rejected, with defects
    assert (cells[1], cells[5], cells[6], cells[7], cells[8]) == ("3", "0", "0", "1", "2")
    assert "uncited" in page.split('id="result_list"')[1]


def test_it_keeps_the_ai_log_from_engineers(engineer_a, login):
    response = login(engineer_a).get(reverse("admin:helpdesk_aiinteraction_changelist"))
    assert response.status_code == 302

"""Safety routing: security incidents get vetted steps and an urgent ticket; ordinary questions do not.

The paraphrases in data/incident_paraphrases.json were written for these tests, never copied from the
prototypes in chat.safety: `tuning` was looked at while the prototypes, key terms and thresholds were
settled, `held_out` was written after they were fixed and never tuned on (docs/chat.md).
"""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError

from chat.models import Conversation, IncidentType, Message
from chat.safety import DEFAULT_INCIDENTS, incident_detect, incident_for, key_terms_in
from chat.selectors import incident_types_for_site
from chat.services import assistant_reply_ensure, conversation_start, incident_escalate
from chat.tasks import incident_engineers_notify
from knowledge.models import Article
from tickets.models import Priority, Ticket, TicketSource

PARAPHRASES = json.loads((Path(__file__).parent / "data" / "incident_paraphrases.json").read_text())
FIXTURE_QUERIES = Path(settings.BASE_DIR) / "fixtures" / "evals" / "it-helpdesk" / "queries.jsonl"
# The fixture's own incident archetypes: its reports of these are incidents, everything else is ordinary.
FIXTURE_INCIDENTS = {
    "phishing-clicked": "phishing",
    "suspicious-signin": "account-takeover",
    "lost-device": "lost-device",
}
# Measured hit rates (docs/chat.md), asserted a little under so that a model update shows up as a failure
# of the type it hurts rather than as noise. Held out: what to expect on reports nobody tuned on.
HELD_OUT_FLOOR = {
    "phishing": 0.8,
    "lost-device": 0.95,
    "ransomware": 0.9,
    "breach": 0.8,
    "account-takeover": 0.65,
}
TUNING_FLOOR = 0.84
PHISHING_REPORT = "I clicked a link in an email and typed my password on the page, it looked off"


def _hit_rate(slug: str, texts: list[str]) -> tuple[int, int]:
    hits = 0
    for text in texts:
        incident = incident_detect(text, DEFAULT_INCIDENTS)
        hits += incident is not None and incident.spec.slug == slug
    return hits, len(texts)


def _fixture_questions() -> tuple[list[str], dict[str, str]]:
    rows = [json.loads(line) for line in FIXTURE_QUERIES.read_text().splitlines() if line.strip()]
    incidents = {
        r["text"]: FIXTURE_INCIDENTS[r["archetype"]] for r in rows if r.get("archetype") in FIXTURE_INCIDENTS
    }
    ordinary = sorted({r["text"] for r in rows if not r.get("history")} - set(incidents))
    return ordinary, incidents


@pytest.mark.parametrize("slug", sorted(HELD_OUT_FLOOR))
def test_it_recognises_held_out_reports_of_each_incident_type(slug):
    texts = PARAPHRASES["held_out"][slug]
    hits, total = _hit_rate(slug, texts)
    assert total >= 30
    assert hits / total >= HELD_OUT_FLOOR[slug], f"{slug}: {hits}/{total} held-out reports recognised"


@pytest.mark.parametrize("slug", sorted(HELD_OUT_FLOOR))
def test_it_recognises_the_tuning_reports_of_each_incident_type(slug):
    hits, total = _hit_rate(slug, PARAPHRASES["tuning"][slug])
    assert total >= 30
    assert hits / total >= TUNING_FLOOR, f"{slug}: {hits}/{total} tuning reports recognised"


def test_it_flags_at_most_one_percent_of_the_fixtures_ordinary_it_questions():
    ordinary, _ = _fixture_questions()
    flagged = [text for text in ordinary if incident_detect(text, DEFAULT_INCIDENTS)]
    assert len(ordinary) >= 170
    assert len(flagged) / len(ordinary) <= 0.01, flagged


def test_it_recognises_the_fixtures_own_incident_reports():
    _, incidents = _fixture_questions()
    found = {text: incident_detect(text, DEFAULT_INCIDENTS) for text in incidents}
    missed = [
        text for text, slug in incidents.items() if found[text] is None or found[text].spec.slug != slug
    ]
    assert len(incidents) == 11
    assert missed == []


@pytest.mark.parametrize(
    "text",
    [
        "my password expired",
        "I forgot my password",
        "my account is locked after I typed the wrong password",
        "my laptop is slow",
        "my laptop won't start",
        "the antivirus blocked a file I need",
        "how do I encrypt a USB stick?",
        "I lost the connection to the printer",
        "I got a spam email, how do I block it?",
    ],
)
def test_it_does_not_call_near_misses_incidents(text):
    assert incident_detect(text, DEFAULT_INCIDENTS) is None


def test_it_matches_key_terms_by_word_start_and_with_one_typo():
    assert key_terms_in("my laptop was stollen", ("stolen",)) == ["stolen"]
    assert key_terms_in("think I've been phised", ("phish",)) == ["phish"]
    assert key_terms_in("the webcam isn't picked up", ("nicked",)) == []
    assert key_terms_in("I typed my password there", ("typed my", "gave my")) == ["typed my"]


# --- Per-site incident types ----------------------------------------------------------------------


def test_it_uses_the_defaults_for_a_site_without_rows(site_a):
    assert [spec.slug for spec in incident_types_for_site(site=site_a)] == [s.slug for s in DEFAULT_INCIDENTS]


def test_a_site_b_edit_never_changes_site_a(site_a, site_b):
    IncidentType.objects.create(site=site_b, slug="phishing", enabled=False)
    IncidentType.objects.create(site=site_b, slug="lost-device", steps="Site B's own steps.")

    assert incident_for(site=site_b, text=PHISHING_REPORT) is None
    assert incident_for(site=site_a, text=PHISHING_REPORT).spec.slug == "phishing"
    lost = "my work laptop was stolen from my car"
    assert incident_for(site=site_b, text=lost).spec.steps == "Site B's own steps."
    assert incident_for(site=site_a, text=lost).spec.steps == DEFAULT_INCIDENTS[1].steps


def test_a_site_can_add_its_own_incident_type(site_a, site_b):
    IncidentType.objects.create(
        site=site_a,
        slug="card-terminal-skimmer",
        name="Tampered card terminal",
        prototypes="someone tampered with our card payment terminal\na skimmer was fitted to the card reader",
        key_terms="tamper\nskimmer",
        steps="Stop taking card payments on that terminal.",
    )
    text = "I think somebody fitted a skimmer on the card reader at the till"
    assert incident_for(site=site_a, text=text).spec.slug == "card-terminal-skimmer"
    assert incident_for(site=site_b, text=text) is None


def test_it_refuses_another_sites_article(site_a, site_b):
    article = Article.objects.create(site=site_b, title="B's phishing steps", slug="b", body="x")
    row = IncidentType(site=site_a, slug="phishing", article=article)
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert error.value.message_dict["article"] == ["Choose an article of this site or a global one."]


# --- Escalation -----------------------------------------------------------------------------------


@pytest.fixture
def engineers_with_email(engineer_a, engineer_b):
    engineer_a.email, engineer_b.email = "erin@msp.example", "evan@msp.example"
    engineer_a.save(update_fields=["email"])
    engineer_b.save(update_fields=["email"])
    return engineer_a, engineer_b


def test_it_answers_a_phishing_report_with_the_steps_and_an_urgent_ticket(
    site_a, customer_a, engineers_with_email, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation, question = conversation_start(site=site_a, customer=customer_a, body=PHISHING_REPORT)
        reply = assistant_reply_ensure(question=question)

    conversation.refresh_from_db()
    ticket = conversation.ticket
    assert ticket.priority == Priority.URGENT and ticket.source == TicketSource.CHAT
    assert ticket.site == site_a and ticket.requester == customer_a
    assert conversation.outcome == Conversation.Outcome.ESCALATED
    assert reply.route == Message.Route.INCIDENT and reply.sources == []
    assert "Change your password now, from another device" in reply.body
    assert f"urgent ticket #{ticket.pk}" in reply.body
    assert ("chat.tasks.incident_engineers_notify", (ticket.pk,)) in queued_tasks()

    mail.outbox.clear()
    assert incident_engineers_notify(ticket.pk) == 1
    assert [message.to for message in mail.outbox] == [["erin@msp.example"]]
    assert "URGENT" in mail.outbox[0].subject


def test_it_escalates_once(site_a, customer_a):
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=PHISHING_REPORT)
    incident = incident_for(site=site_a, text=question.body)
    first = incident_escalate(conversation=conversation, question=question, incident=incident)
    again = incident_escalate(conversation=conversation, question=question, incident=incident)
    assert first == again
    assert Ticket.objects.filter(site=site_a).count() == 1


def test_it_gives_the_sites_kb_article_when_one_is_linked(site_a, customer_a):
    article = Article.objects.create(
        site=site_a,
        title="Clicked a phishing link?",
        slug="phishing",
        body="Ring the office on 555-0100 first.",
        state=Article.State.PUBLISHED,
    )
    IncidentType.objects.create(site=site_a, slug="phishing", article=article)
    _, question = conversation_start(site=site_a, customer=customer_a, body=PHISHING_REPORT)

    reply = assistant_reply_ensure(question=question)

    assert "Ring the office on 555-0100 first." in reply.body
    assert "Change your password now" not in reply.body
    [source] = reply.sources
    assert source["key"] == f"article:{article.pk}" and source["label"] == "KB"
    assert source["title"] == article.title and source["url"] == f"/kb/{article.pk}/"


def test_it_answers_an_ordinary_question_as_before(site_a, customer_a):
    _, question = conversation_start(site=site_a, customer=customer_a, body="I forgot my password")
    reply = assistant_reply_ensure(question=question)
    assert reply.route != Message.Route.INCIDENT
    assert not Ticket.objects.exists()


def test_the_other_sites_engineer_gets_no_alert(site_a, site_b, customer_b, engineers_with_email):
    conversation, question = conversation_start(site=site_b, customer=customer_b, body=PHISHING_REPORT)
    ticket = incident_escalate(
        conversation=conversation, question=question, incident=incident_for(site=site_b, text=question.body)
    )
    mail.outbox.clear()
    incident_engineers_notify(ticket.pk)
    assert [message.to for message in mail.outbox] == [["evan@msp.example"]]


def test_admins_see_incident_types_in_the_admin(login, admin_user, site_a):
    IncidentType.objects.create(site=site_a, slug="phishing", name="Phishing at Alder")
    response = login(admin_user).get("/admin/chat/incidenttype/")
    assert response.status_code == 200
    assert "Phishing at Alder" in response.content.decode()

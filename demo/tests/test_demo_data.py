"""The demo data set: generated deterministically, loaded idempotently, consistent with tenancy."""

import json
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from chat.models import Conversation, Message
from demo.archetypes import ARCHETYPES, ARCHETYPES_BY_KEY
from demo.cast import CATEGORY_SLUGS
from demo.generate import generate
from demo.loader import DEFAULT_PATH, DEMO_PASSWORD, demo_load
from helpdesk.models import Profile, Site, User
from knowledge.models import Article
from tickets.models import OPEN_STATES, Category, Comment, Review, Ticket, TicketEvent, TicketState

DEMO_MODELS = [
    Site,
    User,
    Profile,
    Category,
    Ticket,
    Comment,
    Review,
    TicketEvent,
    Conversation,
    Message,
    Article,
]
DONE = [TicketState.RESOLVED, TicketState.CLOSED]


def _json(name):
    return json.loads((DEFAULT_PATH / f"{name}.json").read_text())


@pytest.fixture
def loaded(db):
    return demo_load()


def test_it_loads_sites_people_resolved_tickets_transcripts_and_articles(loaded):
    assert Site.objects.count() >= 4
    assert User.objects.filter(role=User.Role.ENGINEER).count() >= 8
    assert User.objects.filter(role=User.Role.CUSTOMER).count() >= 20
    resolved = Ticket.objects.filter(state__in=DONE).exclude(resolution="")
    assert resolved.count() >= 400
    assert set(resolved.values_list("category__slug", flat=True)) == set(CATEGORY_SLUGS)
    assert Ticket.objects.filter(state__in=DONE, resolution="").count() == 0
    open_states = set(Ticket.objects.filter(state__in=OPEN_STATES).values_list("state", flat=True))
    assert {"new", "assigned", "in_progress", "waiting_on_customer"} <= open_states
    transcripts = Conversation.objects.filter(state=Conversation.State.CLOSED)
    assert transcripts.filter(outcome="deflected").count() >= 15
    assert transcripts.filter(outcome="escalated", ticket__isnull=False).count() >= 10
    assert Message.objects.filter(author_kind="engineer").exists()
    assert not transcripts.filter(outcome="deflected", ticket__isnull=False).exists()
    for conversation in transcripts.filter(outcome="escalated").select_related("ticket"):
        assert conversation.ticket.source == "chat"
        assert conversation.ticket.requester_id == conversation.customer_id
        assert conversation.ticket.description.startswith(conversation.customer.display_name + ": ")
    assert Article.objects.filter(site__isnull=True, state="published").count() >= 5
    assert Article.objects.filter(site__isnull=False, state="published").count() >= 10
    assert Article.objects.filter(state="draft").exists()
    assert {s.source for s in Ticket.objects.all()} == {"portal", "email", "chat", "api"}


def test_it_creates_nothing_when_loaded_twice(loaded):
    before = {model.__name__: model.objects.count() for model in DEMO_MODELS}

    again = demo_load()

    assert {model.__name__: model.objects.count() for model in DEMO_MODELS} == before
    assert sum(again.created.values()) == 0
    assert sum(loaded.created.values()) > 5000


def test_it_keeps_every_row_inside_its_site(loaded):
    covered = defaultdict(set)
    for profile in Profile.objects.filter(user__role=User.Role.ENGINEER).prefetch_related("covered_sites"):
        covered[profile.user_id] = {site.pk for site in profile.covered_sites.all()}
    for ticket in Ticket.objects.select_related("requester"):
        assert ticket.requester.site_id == ticket.site_id
        if ticket.assignee_id:
            assert ticket.site_id in covered[ticket.assignee_id]
    assert not Comment.objects.exclude(site_id=F("ticket__site_id")).exists()
    assert not TicketEvent.objects.exclude(site_id=F("ticket__site_id")).exists()
    assert not Conversation.objects.exclude(site_id=F("customer__site_id")).exists()
    assert not Message.objects.exclude(site_id=F("conversation__site_id")).exists()
    assert (
        not Conversation.objects.filter(ticket__isnull=False).exclude(site_id=F("ticket__site_id")).exists()
    )
    assert not Review.objects.exclude(site_id=F("ticket__site_id")).exists()
    assert not Review.objects.exclude(author_id=F("ticket__requester_id")).exists()
    assert not Review.objects.exclude(engineer_id=F("ticket__assignee_id")).exists()
    for event in TicketEvent.objects.filter(kind=TicketEvent.Kind.COMMENTED):
        assert Comment.objects.get(pk=event.data["comment_id"]).ticket_id == event.ticket_id


def test_it_assigns_only_engineers_and_never_the_unavailable_one_to_open_work(loaded):
    assignees = User.objects.filter(assigned_tickets__isnull=False).distinct()
    assert {u.role for u in assignees} == {User.Role.ENGINEER}
    unavailable = User.objects.get(profile__is_available=False)
    assert not Ticket.objects.filter(assignee=unavailable, state__in=OPEN_STATES).exists()
    assert Ticket.objects.filter(assignee=unavailable).exists()
    assert not Ticket.objects.filter(state="new", assignee__isnull=False).exists()


def test_it_stores_the_generated_times_spread_over_a_year(loaded):
    now = timezone.now()
    oldest = Ticket.objects.order_by("created_at").first().created_at
    newest = Ticket.objects.order_by("-created_at").first().created_at
    assert now - timedelta(days=373) < oldest < now - timedelta(days=300)
    assert now - timedelta(days=1) < newest <= now
    assert not TicketEvent.objects.filter(created_at__gt=now).exists()
    for ticket in Ticket.objects.filter(state__in=DONE):
        assert ticket.created_at < ticket.assigned_at <= ticket.resolved_at
        assert ticket.closed_at is None or ticket.closed_at > ticket.resolved_at
    months = {t.created_at.strftime("%Y-%m") for t in Ticket.objects.all()}
    assert len(months) >= 12
    ticket = Ticket.objects.filter(state=TicketState.CLOSED, comments__isnull=False, review=None).first()
    events = list(ticket.events.all())
    assert events[0].kind == "created" and events[0].created_at == ticket.created_at
    assert events[-1].new_value == "closed" and events[-1].created_at == ticket.closed_at
    for row in _json("tickets"):
        times = [e["at"] for e in row["events"]]
        assert times == sorted(times) and times[0] == row["created_at"]


def test_it_moves_history_by_whole_weeks_and_open_work_to_now(db):
    anchor = datetime.fromisoformat(_json("manifest")["anchor"])
    now = anchor + timedelta(days=45, hours=5)

    report = demo_load(now=now)

    assert report.shift_weeks == 6
    rows = _json("tickets")
    for row in rows[::25] + [r for r in rows if r["state"] not in DONE]:
        ticket = Ticket.objects.get(
            site__slug=row["site"], requester__username=row["requester"], title=row["title"]
        )
        generated = datetime.fromisoformat(row["created_at"])
        if row["state"] in DONE:
            assert ticket.created_at == generated + timedelta(weeks=6)
        else:
            assert ticket.created_at == generated + timedelta(days=45, hours=5)
    assert not TicketEvent.objects.filter(created_at__gt=now).exists()


def test_it_makes_problems_recur_within_each_site_with_the_same_fix(db):
    tickets = _json("tickets")
    per_site = defaultdict(Counter)
    for ticket in tickets:
        per_site[ticket["site"]][ticket["archetype"]] += 1
    for site, counts in per_site.items():
        assert sum(n >= 3 for n in counts.values()) >= 8, site
    site_only = {a.key for a in ARCHETYPES if len(a.sites) == 1}
    for key in site_only:
        assert {t["site"] for t in tickets if t["archetype"] == key} <= set(ARCHETYPES_BY_KEY[key].sites)
    for site, counts in per_site.items():
        assert sum(n >= 3 for key, n in counts.items() if key in site_only) >= 3, site
    for ticket in tickets:
        if ticket["state"] in DONE:
            template = ARCHETYPES_BY_KEY[ticket["archetype"]].resolution_for(ticket["site"])
            fixed_words = max(re.split(r"\{[a-z_]+\}", template), key=len)
            assert fixed_words in ticket["resolution"]


def test_it_covers_enough_archetypes_with_varied_phrasings(db):
    assert len(ARCHETYPES) >= 70
    assert {a.category for a in ARCHETYPES} == set(CATEGORY_SLUGS)
    for archetype in ARCHETYPES:
        assert len(archetype.titles) >= 3 and len(archetype.descriptions) >= 3, archetype.key
    tickets = _json("tickets")
    assert len({t["title"].lower() for t in tickets}) > 200
    assert len({t["description"] for t in tickets}) > 0.9 * len(tickets)


def test_it_writes_the_committed_files_again_from_the_seed(tmp_path):
    generate(out=tmp_path)

    for name in ("manifest", "categories", "sites", "users", "tickets", "conversations", "articles"):
        assert (tmp_path / f"{name}.json").read_text() == (DEFAULT_PATH / f"{name}.json").read_text(), name


def test_it_logs_in_the_demo_people_with_the_documented_password(loaded):
    roles = Counter(login.role for login in loaded.logins)
    assert roles == {"admin": 1, "engineer": 2, "customer": Site.objects.count()}
    for login in loaded.logins:
        user = authenticate(username=login.username, password=DEMO_PASSWORD)
        assert user is not None and user.role == login.role
    assert User.objects.get(username="admin").is_helpdesk_admin
    assert User.objects.filter(username__startswith="eng.", role=User.Role.ENGINEER).count() == 10


def test_it_prints_a_summary_and_the_logins_unless_quiet(db, capsys):
    call_command("demo_load", "--quiet")
    assert capsys.readouterr().out == ""

    call_command("demo_load")

    out = capsys.readouterr().out
    assert f"{len(_json('tickets'))} tickets" in out and "This run created 0 rows" in out
    assert DEMO_PASSWORD in out and "admin" in out and "fiona.hartwell-quinn" in out

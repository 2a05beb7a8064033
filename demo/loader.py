"""Load the generated demo data (fixtures/demo/*.json) into the database, idempotently.

Every row is matched on a natural key before it is created, so a second run creates nothing:
categories by slug, sites by slug, people by username, tickets by (site, requester, title),
conversations by (site, customer, subject), articles by (site, slug). The generator guarantees those
keys are unique within the data set. Rows are written with bulk_create (a full load takes seconds);
auto_now(_add) timestamps are then overwritten with the generated times by one UPDATE per table.

Times in the JSON end at the generator's anchor; the loader moves them forward by whole days so the
newest ticket is from "today" whenever the demo is loaded. Nothing here indexes for retrieval.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from chat.models import Conversation, Message
from demo.source import DATA_SET
from helpdesk.models import Site, User
from helpdesk.services import site_create, user_create
from knowledge.models import Article
from tickets.models import Category, Comment, Review, Ticket, TicketEvent
from tickets.selectors import sla_targets_for

DEMO_PASSWORD = "helpdesk-demo"  # noqa: S105 - the documented password of the demo logins
DEFAULT_PATH = DATA_SET
BATCH = 500


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    name: str
    site: str = ""


@dataclass
class DemoLoadReport:
    """What one run created (nothing on a repeat run), what the data set holds, and who to log in as."""

    created: dict[str, int] = field(default_factory=dict)
    in_data_set: dict[str, int] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)
    password: str = DEMO_PASSWORD
    shift_weeks: int = 0
    seconds: float = 0.0

    @property
    def summary(self) -> str:
        d, c = self.in_data_set, self.created
        created = sum(c.values())
        return (
            f"Demo data: {d['sites']} sites, {d['engineers']} engineers, {d['customers']} customers, "
            f"{d['tickets']} tickets ({d['resolved_tickets']} resolved or closed, {d['open_tickets']} open) "
            f"with {d['comments']} comments and {d['reviews']} ratings, "
            f"{d['conversations']} chat transcripts and {d['articles']} KB articles. "
            f"This run created {created} rows ({c.get('tickets', 0)} tickets, "
            f"{c.get('events', 0)} ticket events, {c.get('messages', 0)} chat messages) "
            f"in {self.seconds:.1f}s; history moved forward {self.shift_weeks} weeks."
        )


def _read(path: Path, name: str) -> Any:
    return json.loads((path / f"{name}.json").read_text())


class _Clock:
    """Moves the data set's times from its anchor to now.

    History moves by whole weeks, so weekends stay quiet and tickets stay in office hours; open tickets
    move by the exact time since the anchor, so the queue is as fresh as when the data set was made.
    """

    def __init__(self, anchor: str, now: datetime) -> None:
        self.live = now - datetime.fromisoformat(anchor)
        self.history = timedelta(weeks=self.live // timedelta(weeks=1))

    def __call__(self, value: str | None, *, live: bool = False) -> datetime | None:
        if not value:
            return None
        return datetime.fromisoformat(value) + (self.live if live else self.history)


def _set_times(model, objects: list, fields: list[str]) -> None:
    """Write the generated timestamps over the auto_now(_add) ones in one UPDATE ... FROM unnest() per table.

    bulk_update would do the same with a CASE per row and took most of the load time.
    """
    if not objects:
        return
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f)} = v.{quote(f)}" for f in fields)
    arrays = ", ".join(["%s::bigint[]"] + ["%s::timestamptz[]"] * len(fields))
    names = ", ".join(quote(f) for f in ["id", *fields])
    # Only quoted identifiers from the model's meta are interpolated; every value is a parameter.
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    sql = f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({names}) WHERE t.{pk} = v.id"  # noqa: S608
    params = [[o.pk for o in objects]] + [[getattr(o, f) for o in objects] for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@transaction.atomic
def demo_load(*, path: Path = DEFAULT_PATH, now: datetime | None = None) -> DemoLoadReport:
    """Create the demo sites, people, tickets (with comments and audit events), chats and KB articles."""
    started = time.monotonic()
    path = Path(path)
    manifest = _read(path, "manifest")
    clock = _Clock(manifest["anchor"], now or timezone.now())
    report = DemoLoadReport(shift_weeks=clock.history.days // 7)

    categories = _load_categories(_read(path, "categories"), report)
    sites = _load_sites(_read(path, "sites"), report)
    users = _load_users(_read(path, "users"), sites, report)
    tickets = _load_tickets(_read(path, "tickets"), sites, users, categories, clock, report)
    _load_conversations(_read(path, "conversations"), sites, users, tickets, clock, report)
    _load_articles(_read(path, "articles"), sites, users, categories, clock, report)

    people = _read(path, "users")
    available = [e for e in people["engineers"] if e["is_available"]]
    report.logins = [DemoLogin(people["admin"]["username"], "admin", _name(people["admin"]))]
    report.logins += [DemoLogin(e["username"], "engineer", _name(e)) for e in available[:2]]
    for row in _read(path, "sites"):
        first = next(c for c in people["customers"] if c["site"] == row["slug"])
        report.logins.append(DemoLogin(first["username"], "customer", _name(first), sites[row["slug"]].name))
    report.seconds = time.monotonic() - started
    return report


def _is_open(ticket: dict) -> bool:
    return ticket["state"] not in ("resolved", "closed")


def _name(person: dict) -> str:
    return f"{person['first_name']} {person['last_name']}"


def _load_categories(rows: list[dict], report: DemoLoadReport) -> dict[str, Category]:
    existing = {c.slug: c for c in Category.objects.filter(slug__in=[r["slug"] for r in rows])}
    new = [Category(**row) for row in rows if row["slug"] not in existing]
    Category.objects.bulk_create(new)
    report.created["categories"] = len(new)
    return existing | {c.slug: c for c in new}


def _load_sites(rows: list[dict], report: DemoLoadReport) -> dict[str, Site]:
    sites = {s.slug: s for s in Site.objects.filter(slug__in=[r["slug"] for r in rows])}
    created = 0
    for row in rows:
        if row["slug"] in sites:
            continue
        site = site_create(
            name=row["name"],
            slug=row["slug"],
            kind=row["kind"],
            contact_name=row["contact_name"],
            contact_email=row["contact_email"],
        )
        Site.objects.filter(pk=site.pk).update(contact_phone=row["contact_phone"])
        sites[site.slug] = site
        created += 1
    report.created["sites"] = created
    report.in_data_set["sites"] = len(rows)
    return sites


def _load_users(people: dict, sites: dict[str, Site], report: DemoLoadReport) -> dict[str, User]:
    specs = [({**people["admin"]}, User.Role.ADMIN)]
    specs += [(e, User.Role.ENGINEER) for e in people["engineers"]]
    specs += [(c, User.Role.CUSTOMER) for c in people["customers"]]
    users = {u.username: u for u in User.objects.filter(username__in=[s["username"] for s, _ in specs])}
    new_ids = []
    for spec, role in specs:
        if spec["username"] in users:
            continue
        user = user_create(
            username=spec["username"],
            password=None,
            role=role,
            email=spec["email"],
            first_name=spec["first_name"],
            last_name=spec["last_name"],
            site=sites[spec["site"]] if role == User.Role.CUSTOMER else None,
            covered_sites=[sites[slug] for slug in spec.get("sites", ())],
            expertise=spec.get("expertise", ()),
            capacity=spec.get("capacity", 8),
            is_available=spec.get("is_available", True),
        )
        users[user.username] = user
        new_ids.append(user.pk)
    # One hash for everybody: hashing the demo password 36 times would dominate the load time.
    User.objects.filter(pk__in=new_ids).update(password=make_password(DEMO_PASSWORD))
    report.created["users"] = len(new_ids)
    report.in_data_set["engineers"] = len(people["engineers"])
    report.in_data_set["customers"] = len(people["customers"])
    return users


def _load_tickets(
    rows: list[dict],
    sites: dict[str, Site],
    users: dict[str, User],
    categories: dict[str, Category],
    clock: _Clock,
    report: DemoLoadReport,
) -> dict[str, Ticket]:
    """Tickets, then their comments, then their audit events; returns every data-set ticket by its key."""
    existing = {
        (t.site_id, t.requester_id, t.title): t
        for t in Ticket.objects.filter(
            site__in=sites.values(), requester__in=[users[r["requester"]] for r in rows]
        )
    }
    targets: dict[tuple[int, str], tuple[int, int]] = {}
    by_key: dict[str, Ticket] = {}
    new: list[tuple[dict, Ticket]] = []
    for row in rows:
        site, requester = sites[row["site"]], users[row["requester"]]
        found = existing.get((site.pk, requester.pk, row["title"]))
        if found is not None:
            by_key[row["key"]] = found
            continue
        at = partial(clock, live=_is_open(row))
        created_at = at(row["created_at"])
        if (site.pk, row["priority"]) not in targets:
            targets[site.pk, row["priority"]] = sla_targets_for(site=site, priority=row["priority"])
        first_minutes, resolution_minutes = targets[site.pk, row["priority"]]
        ticket = Ticket(
            site=site,
            requester=requester,
            title=row["title"],
            description=row["description"],
            category=categories[row["category"]],
            priority=row["priority"],
            assignee=users.get(row.get("assignee")),
            state=row["state"],
            source=row["source"],
            resolution=row.get("resolution", ""),
            first_response_due_at=created_at + timedelta(minutes=first_minutes),
            resolution_due_at=created_at + timedelta(minutes=resolution_minutes),
            first_responded_at=at(row.get("first_responded_at")),
            assigned_at=at(row.get("assigned_at")),
            resolved_at=at(row.get("resolved_at")),
            closed_at=at(row.get("closed_at")),
        )
        ticket.created_at = created_at
        ticket.updated_at = at(row["events"][-1]["at"])
        new.append((row, ticket))
        by_key[row["key"]] = ticket
    created_times = [(t.created_at, t.updated_at) for _, t in new]
    Ticket.objects.bulk_create([t for _, t in new], batch_size=BATCH)
    for (_, ticket), (created_at, updated_at) in zip(new, created_times, strict=True):
        ticket.created_at, ticket.updated_at = created_at, updated_at
    _set_times(Ticket, [t for _, t in new], ["created_at", "updated_at"])

    comments: list[tuple[dict, int, Comment]] = []
    for row, ticket in new:
        for n, c in enumerate(row["comments"]):
            comment = Comment(
                ticket=ticket,
                site=ticket.site,
                author=users[c["author"]],
                body=c["body"],
                is_internal=c["internal"],
            )
            comments.append((row, n, comment))
    Comment.objects.bulk_create([c for _, _, c in comments], batch_size=BATCH)
    comment_ids = {}
    for row, n, comment in comments:
        comment.created_at = clock(row["comments"][n]["at"], live=_is_open(row))
        comment_ids[row["key"], n] = comment.pk
    _set_times(Comment, [c for _, _, c in comments], ["created_at"])

    reviews = []
    for row, ticket in new:
        if "review" in row:
            review = Review(
                ticket=ticket,
                site=ticket.site,
                author=ticket.requester,
                engineer=ticket.assignee,
                rating=row["review"]["rating"],
                comment=row["review"]["comment"],
            )
            reviews.append((clock(row["review"]["at"], live=_is_open(row)), review))
    Review.objects.bulk_create([r for _, r in reviews], batch_size=BATCH)
    for at, review in reviews:
        review.created_at = at
    _set_times(Review, [r for _, r in reviews], ["created_at"])

    events: list[TicketEvent] = []
    for row, ticket in new:
        for e in row["events"]:
            data = dict(e.get("data", {}))
            if "comment" in data:
                data["comment_id"] = comment_ids[row["key"], data.pop("comment")]
            if "assignee" in data:
                data["assignee_id"] = users[data.pop("assignee")].pk
                data["previous_assignee_id"] = None
            event = TicketEvent(
                ticket=ticket,
                site=ticket.site,
                kind=e["kind"],
                actor=users.get(e["actor"]),
                # The automated layer (auto-assignment) has no person behind it, as in tickets.services.
                by_assistant=e["kind"] == TicketEvent.Kind.ASSIGNED and e["actor"] is None,
                field=e.get("field", ""),
                old_value=e.get("old", ""),
                new_value=e.get("new", ""),
                message=e.get("message", ""),
                data=data,
            )
            event.created_at = clock(e["at"], live=_is_open(row))
            events.append(event)
    times = [e.created_at for e in events]
    TicketEvent.objects.bulk_create(events, batch_size=BATCH)
    for event, at in zip(events, times, strict=True):
        event.created_at = at
    _set_times(TicketEvent, events, ["created_at"])

    report.created.update(tickets=len(new), comments=len(comments), reviews=len(reviews), events=len(events))
    report.in_data_set.update(
        tickets=len(rows),
        resolved_tickets=sum(r["state"] in ("resolved", "closed") for r in rows),
        open_tickets=sum(r["state"] not in ("resolved", "closed") for r in rows),
        comments=sum(len(r["comments"]) for r in rows),
        reviews=sum("review" in r for r in rows),
    )
    return by_key


def _load_conversations(
    rows: list[dict],
    sites: dict[str, Site],
    users: dict[str, User],
    tickets: dict[str, Ticket],
    clock: _Clock,
    report: DemoLoadReport,
) -> None:
    existing = set(
        Conversation.objects.filter(site__in=sites.values()).values_list("site_id", "customer_id", "subject")
    )
    new: list[tuple[dict, Conversation]] = []
    for row in rows:
        site, customer = sites[row["site"]], users[row["customer"]]
        if (site.pk, customer.pk, row["subject"]) in existing:
            continue
        conversation = Conversation(
            site=site,
            customer=customer,
            ticket=tickets.get(row["ticket"]),
            subject=row["subject"],
            state=Conversation.State.CLOSED,
            outcome=row["outcome"],
            last_seq=len(row["messages"]),
            closed_at=clock(row["closed_at"]),
        )
        new.append((row, conversation))
    Conversation.objects.bulk_create([c for _, c in new], batch_size=BATCH)
    messages = []
    for row, conversation in new:
        conversation.created_at = clock(row["created_at"])
        for seq, m in enumerate(row["messages"], 1):
            message = Message(
                conversation=conversation,
                site=conversation.site,
                seq=seq,
                author_kind=m["author_kind"],
                author=users.get(m["author"]),
                body=m["body"],
            )
            messages.append((clock(m["at"]), message))
    _set_times(Conversation, [c for _, c in new], ["created_at"])
    Message.objects.bulk_create([m for _, m in messages], batch_size=BATCH)
    for at, message in messages:
        message.created_at = at
    _set_times(Message, [m for _, m in messages], ["created_at"])
    report.created.update(conversations=len(new), messages=len(messages))
    report.in_data_set["conversations"] = len(rows)


def _load_articles(
    rows: list[dict],
    sites: dict[str, Site],
    users: dict[str, User],
    categories: dict[str, Category],
    clock: _Clock,
    report: DemoLoadReport,
) -> None:
    slugs = [r["slug"] for r in rows]
    existing = set(Article.objects.filter(slug__in=slugs).values_list("site_id", "slug"))
    new = []
    for row in rows:
        site = sites[row["site"]] if row["site"] else None
        if (site and site.pk, row["slug"]) in existing:
            continue
        article = Article(
            site=site,
            title=row["title"],
            slug=row["slug"],
            body=row["body"],
            category=categories[row["category"]],
            state=row["state"],
            author=users[row["author"]],
            published_at=clock(row["published_at"]),
        )
        new.append((row, article))
    Article.objects.bulk_create([a for _, a in new], batch_size=BATCH)
    for row, article in new:
        article.created_at = clock(row["created_at"])
        article.updated_at = article.published_at or article.created_at
    _set_times(Article, [a for _, a in new], ["created_at", "updated_at"])
    report.created["articles"] = len(new)
    report.in_data_set["articles"] = len(rows)

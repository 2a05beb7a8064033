"""Write the demo data set to fixtures/demo/ as JSON: `python -m demo.generate [--out DIR]`.

Deterministic: one seeded Random and a fixed anchor time ("now" of the data set), so running it twice
writes byte-identical files. The loader moves every time forward by whole days so the data always ends
"today". Fields the database does not hold (`archetype`) stay in the JSON for tests and evals.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo.archetypes import ARCHETYPES, ARCHETYPES_BY_KEY, Archetype
from demo.articles import GLOBAL_ARTICLES, SITE_ARCHETYPE_ARTICLES, SITE_ARTICLE_TEMPLATES
from demo.cast import ADMIN, CATEGORIES, CUSTOMERS, ENGINEERS, SITES
from demo.source import DATA_SET, source_read

SEED = 20261127
ANCHOR = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
DEFAULT_OUT = DATA_SET

RESOLVED_PER_SITE = {
    "hartwell-quinn": 100,
    "riverside-clinic": 96,
    "oakfield-primary": 86,
    "bramble-stores": 100,
    "lindqvist-accounting": 90,
}
# Each site's own chronic problems among the shared archetypes (four times as likely there).
SITE_FAVOURITES = {
    "hartwell-quinn": ("vpn-cant-connect", "outlook-password-prompt"),
    "riverside-clinic": ("printer-offline", "password-reset-locked"),
    "oakfield-primary": ("wifi-drops", "password-reset-locked", "monitor-dock"),
    "bramble-stores": ("internet-down-office", "password-reset-locked"),
    "lindqvist-accounting": ("vpn-cant-connect", "mfa-new-phone", "scan-to-email-fails"),
}
SHARED_PER_SITE = 24
# How old open tickets are, by state: the queue is mostly within its SLA, with a few overdue.
OPEN_AGE_HOURS = {
    "new": (0.2, 6),
    "assigned": (0.5, 20),
    "in_progress": (1, 50),
    "waiting_on_customer": (3, 100),
}
OPEN_TICKETS = {"new": 6, "assigned": 6, "in_progress": 7, "waiting_on_customer": 6}
ESCALATED_CHATS = 16
DEFLECTED_CHATS = 24

# How people write and how engineers reply: fixtures/demo/source/phrases.json.
_PHRASES = source_read("phrases")
GREETINGS: list[str] = _PHRASES["greetings"]
SIGNOFFS: list[str] = _PHRASES["signoffs"]
EXTRAS: list[str] = _PHRASES["extras"]
RECURRING: list[str] = _PHRASES["recurring"]
# A clarifying question and the kind of answer it gets, for archetypes without their own.
GENERIC_EXCHANGES = [(pair["question"], pair["answer"]) for pair in _PHRASES["generic_exchanges"]]
ENGINEER_CLOSERS: list[str] = _PHRASES["engineer_closers"]
THANKS: list[str] = _PHRASES["thanks"]
INTERNAL_NOTES: list[str] = _PHRASES["internal_notes"]
ESCALATION_FAILURES: list[str] = _PHRASES["escalation_failures"]
ENGINEER_CHAT_GREETINGS: list[str] = _PHRASES["engineer_chat_greetings"]
# CSAT comments by star rating.
REVIEW_COMMENTS = {int(rating): comments for rating, comments in _PHRASES["review_comments"].items()}
RESOLUTION_PREFIXES: list[str] = _PHRASES["resolution_prefixes"]
RESOLUTION_SUFFIXES: list[str] = _PHRASES["resolution_suffixes"]
REMOTE_CATEGORIES = ("software", "printers", "email", "hardware")
SOURCE_LABELS = [("portal", "Portal"), ("email", "Email"), ("api", "API"), ("chat", "Chat")]
SOURCES = ["portal"] * 50 + ["email"] * 38 + ["api"] * 4


class Slots(dict):
    """Slot values for str.format_map; an unknown slot is a bug in the archetype text, so fail loudly."""

    def __missing__(self, key: str) -> str:
        raise KeyError(f"demo text uses an unknown slot {{{key}}}")


def _full_name(person: dict) -> str:
    return f"{person['first_name']} {person['last_name']}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Generator:
    def __init__(self, *, seed: int = SEED, anchor: datetime = ANCHOR) -> None:
        self.rng = random.Random(seed)
        self.anchor = anchor
        self.sites = {site["slug"]: site for site in SITES}
        self.engineers = [self._engineer(e) for e in ENGINEERS]
        self.customers = {
            slug: [self._customer(slug, first, last, job) for first, last, job in people]
            for slug, people in CUSTOMERS.items()
        }
        self.taken_titles: set[tuple[str, str]] = set()
        self.site_archetype_counts: dict[tuple[str, str], int] = {}
        self.tickets: list[dict[str, Any]] = []
        self.site_pools = {slug: self._site_pool(slug) for slug in self.sites}

    # -------------------------------------------------------------- people
    def _engineer(self, spec: dict) -> dict:
        first = spec["first_name"]
        return {
            "username": f"eng.{first.lower()}",
            "first_name": first,
            "last_name": spec["last_name"],
            "email": f"{first.lower()}.{spec['last_name'].lower()}@northgate-it.example",
            "expertise": spec["expertise"],
            "sites": spec["sites"],
            "capacity": spec["capacity"],
            "is_available": spec.get("is_available", True),
        }

    def _customer(self, slug: str, first: str, last: str, job: str) -> dict:
        domain = self.sites[slug]["it"]["domain"]
        return {
            "username": f"{first.lower()}.{slug}",
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}@{domain}",
            "site": slug,
            "job": job,
        }

    def _pick_engineer(self, site: str, category: str, *, available_only: bool) -> dict:
        pool = [e for e in self.engineers if site in e["sites"] and (e["is_available"] or not available_only)]
        weights = [4 if category in e["expertise"] else 1 for e in pool]
        return self.rng.choices(pool, weights=weights)[0]

    # -------------------------------------------------------------- text
    def _slots(self, site: str, archetype: Archetype, requester: dict) -> Slots:
        values: dict[str, Any] = dict(self.sites[site]["it"])
        values.update(archetype.slots)
        others = [c for c in self.customers[site] if c["username"] != requester["username"]]
        values["colleague"] = [c["first_name"] for c in others]
        resolved = {
            key: self.rng.choice(v) if isinstance(v, list | tuple) else v for key, v in values.items()
        }
        resolved.update(
            me=requester["first_name"],
            me_last=requester["last_name"],
            job=requester["job"],
            site=self.sites[site]["name"],
        )
        return Slots(resolved)

    def _typos(self, text: str) -> str:
        roll = self.rng.random()
        if roll < 0.05:
            return text.lower().replace(".", "").replace("i'm", "im")
        if roll < 0.22:
            words = text.split(" ")
            for _ in range(self.rng.randint(1, 2)):
                candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
                if not candidates:
                    break
                i = self.rng.choice(candidates)
                w = words[i]
                j = self.rng.randrange(1, len(w) - 2)
                if self.rng.random() < 0.5:
                    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
                else:
                    words[i] = w[:j] + w[j + 1 :]
            return " ".join(words)
        return text

    def _description(self, archetype: Archetype, slots: Slots, site: str, index: int) -> str:
        core = self._pick_description(archetype, index).format_map(slots)
        extra = self.rng.choice(EXTRAS).format_map(slots)
        if self.site_archetype_counts.get((site, archetype.key), 0) >= 2 and self.rng.random() < 0.3:
            extra = self.rng.choice(RECURRING) + extra
        body = self._typos(core + extra)
        greeting = self.rng.choice(GREETINGS)
        if greeting.endswith(", ") and body[:2] not in ("I ", "I'"):
            body = body[0].lower() + body[1:]  # "Hiya, my laptop..." runs on as one sentence
        return (greeting + body + self.rng.choice(SIGNOFFS).format_map(slots)).strip()

    def _pick_description(self, archetype: Archetype, index: int) -> str:
        return archetype.descriptions[index] if archetype.paired else self.rng.choice(archetype.descriptions)

    def _title(
        self, archetype: Archetype, slots: Slots, site: str, requester: dict
    ) -> tuple[str, int] | None:
        """A title this requester has not used yet at this site (the loader's natural key), and its index."""
        indexes = list(range(len(archetype.titles)))
        self.rng.shuffle(indexes)
        for index in indexes:
            title = archetype.titles[index].format_map(slots)
            if self.rng.random() < 0.06:
                title = title.lower()
            if (site, requester["username"], title) not in self.taken_titles:
                return title, index
        return None

    def _exchange(self, archetype: Archetype) -> tuple[str, str]:
        if archetype.question:
            return archetype.question, archetype.answer
        return self.rng.choice(GENERIC_EXCHANGES)

    def _resolution(self, archetype: Archetype, slots: Slots, site: str) -> str:
        fix = archetype.resolution_for(site).format_map(slots)
        prefixes = RESOLUTION_PREFIXES + (
            ["Remoted in to {device}. "] * 2 if archetype.category in REMOTE_CATEGORIES else []
        )
        prefix = self.rng.choice(prefixes).format_map(slots)
        suffix = self.rng.choice(RESOLUTION_SUFFIXES).format_map(slots)
        return prefix + fix + suffix

    # -------------------------------------------------------------- time
    def _created_at(self, site: str, *, start: datetime, end: datetime) -> datetime:
        span = (end - start).total_seconds()
        while True:
            day = start + timedelta(seconds=self.rng.random() * span)
            weekend = day.weekday() >= 5
            if weekend and self.rng.random() < (0.35 if site == "bramble-stores" else 0.92):
                continue
            if site == "oakfield-primary" and day.month == 8 and self.rng.random() < 0.8:
                continue
            if site == "lindqvist-accounting" and day.month != 1 and self.rng.random() < 0.45:
                continue
            hour = min(max(self.rng.gauss(11.5, 2.6), 7.2), 18.8)
            moment = day.replace(
                hour=int(hour), minute=int((hour % 1) * 60), second=self.rng.randrange(60), microsecond=0
            )
            if start <= moment <= end:
                return moment

    def _duration(self, low: float, high: float) -> timedelta:
        hours = math.exp(self.rng.uniform(math.log(low), math.log(high)))
        return timedelta(seconds=round(hours * 3600))

    # -------------------------------------------------------------- tickets
    def _archetypes_for(self, site: str) -> tuple[list[Archetype], list[float]]:
        pool = self.site_pools[site]
        return pool, [a.weight * (4 if a.key in SITE_FAVOURITES[site] else 1) for a in pool]

    def _site_pool(self, site: str) -> list[Archetype]:
        """The problems a site has: its own, its favourites, and a share of the shared ones.

        No site has every problem; with fewer, each recurs often enough to be learnt from.
        """
        own = [a for a in ARCHETYPES if site in a.sites]
        shared = [a for a in ARCHETYPES if a not in own and (not a.sites or site in a.sites)]
        favourites = [a for a in shared if a.key in SITE_FAVOURITES[site]]
        others = [a for a in shared if a not in favourites]
        return own + favourites + self.rng.sample(others, SHARED_PER_SITE - len(favourites))

    def _draft(self, site: str, archetype: Archetype, created: datetime) -> tuple[dict, Slots, dict] | None:
        for _ in range(12):
            requester = self.rng.choice(self.customers[site])
            slots = self._slots(site, archetype, requester)
            picked = self._title(archetype, slots, site, requester)
            if picked is not None:
                break
        else:
            return None
        title, index = picked
        self.taken_titles.add((site, requester["username"], title))
        ticket = {
            "key": f"T{len(self.tickets) + 1:04d}",
            "archetype": archetype.key,
            "site": site,
            "requester": requester["username"],
            "title": title,
            "description": self._description(archetype, slots, site, index),
            "category": archetype.category,
            "priority": archetype.priority,
            "source": self.rng.choice(SOURCES),
            "created_at": created,
            "_index": index,
            "_slots": slots,
        }
        self.site_archetype_counts[(site, archetype.key)] = (
            self.site_archetype_counts.get((site, archetype.key), 0) + 1
        )
        return ticket, slots, requester

    def _event(self, ticket: dict, kind: str, at: datetime, actor: str | None, **fields: Any) -> None:
        ticket["events"].append({"kind": kind, "at": at, "actor": actor, **fields})

    def _transition(
        self, ticket: dict, name: str, new: str, at: datetime, actor: str | None, message: str = ""
    ) -> None:
        """A lifecycle move, recorded the way tickets.services records one (field, old, new, transition)."""
        old, ticket["state"] = ticket["state"], new
        self._event(
            ticket,
            "transition",
            at,
            actor,
            field="state",
            old=old,
            new=new,
            message=message,
            data={"transition": name},
        )

    def _comment(self, ticket: dict, author: str, body: str, at: datetime, *, internal: bool = False) -> None:
        ticket["comments"].append({"author": author, "body": body, "at": at, "internal": internal})
        data = {"comment": len(ticket["comments"]) - 1, "internal": internal}
        self._event(ticket, "commented", at, author, message=body[:500], data=data)

    def _open(self, ticket: dict, requester: dict) -> None:
        ticket.update(state="new", events=[], comments=[])
        source = dict(SOURCE_LABELS)[ticket["source"]]
        self._event(
            ticket, "created", ticket["created_at"], requester["username"], message=f"Opened via {source}"
        )

    def _assign(self, ticket: dict, engineer: dict, at: datetime) -> None:
        matches = ticket["category"] in engineer["expertise"]
        reason = (
            "Covers the site" + (f" and knows {ticket['category']}" if matches else "") + "; least loaded."
        )
        ticket["assignee"] = engineer["username"]
        ticket["assigned_at"] = at
        self._event(
            ticket,
            "assigned",
            at,
            None,
            field="assignee",
            old="",
            new=_full_name(engineer),
            message=reason,
            data={"assignee": engineer["username"], "auto": True},
        )
        self._transition(ticket, "assign", "assigned", at, None)

    def resolved_ticket(self, site: str, archetype: Archetype) -> dict | None:
        end = self.anchor - timedelta(days=1)
        for _ in range(20):
            created = self._created_at(site, start=self.anchor - timedelta(days=365), end=end)
            resolved = created + self._duration(*archetype.hours)
            if resolved < end:
                break
        else:
            return None
        drafted = self._draft(site, archetype, created)
        if drafted is None:
            return None
        ticket, slots, requester = drafted
        customer, recent = requester["username"], created > self.anchor - timedelta(days=21)
        engineer = self._pick_engineer(site, archetype.category, available_only=recent)
        eng = engineer["username"]
        slots["eng"] = engineer["first_name"]
        self._open(ticket, requester)
        span = resolved - created
        assigned = created + min(timedelta(minutes=self.rng.randint(2, 40)), span * 0.1)
        self._assign(ticket, engineer, assigned)
        started = assigned + min(timedelta(minutes=self.rng.randint(3, 90)), span * 0.2)
        ticket["first_responded_at"] = started
        self._transition(ticket, "start", "in_progress", started, eng)
        if self.rng.random() < 0.28:
            question, answer = (x.format_map(slots) for x in self._exchange(archetype))
            asked = started + span * 0.05
            self._comment(ticket, eng, question, asked)
            self._transition(ticket, "wait", "waiting_on_customer", asked, eng)
            replied = asked + span * self.rng.uniform(0.1, 0.4)
            self._comment(ticket, customer, answer, replied)
            self._transition(ticket, "resume", "in_progress", replied, customer)
        if self.rng.random() < 0.12:
            note = self.rng.choice(INTERNAL_NOTES).format_map(slots)
            self._comment(ticket, eng, note, started + span * 0.5, internal=True)
        ticket["resolution"] = self._resolution(archetype, slots, site)
        if self.rng.random() < 0.3:
            slots["fix"] = archetype.resolution_for(site).format_map(slots)
            self._comment(
                ticket, eng, self.rng.choice(ENGINEER_CLOSERS).format_map(slots), resolved - span * 0.01
            )
        ticket["resolved_at"] = resolved
        self._transition(ticket, "resolve", "resolved", resolved, eng, ticket["resolution"])
        thanked = self.rng.random() < 0.22
        if thanked:
            thanks = self.rng.choice(THANKS).format_map(slots)
            self._comment(ticket, customer, thanks, resolved + timedelta(minutes=self.rng.randint(5, 300)))
        if self.rng.random() < 0.35:
            self._review(ticket, customer, resolved, slots, recurring=self._recurring(site, archetype))
        if resolved < self.anchor - timedelta(days=7):
            if thanked:
                ticket["closed_at"] = ticket["comments"][-1]["at"] + timedelta(minutes=1)
                self._transition(ticket, "close", "closed", ticket["closed_at"], customer)
            else:
                ticket["closed_at"] = resolved + timedelta(days=7)
                message = "Closed automatically 7 days after resolution."
                self._transition(ticket, "close", "closed", ticket["closed_at"], None, message)
        self.tickets.append(ticket)
        return ticket

    def _recurring(self, site: str, archetype: Archetype) -> bool:
        return self.site_archetype_counts[(site, archetype.key)] >= 3

    def _review(
        self, ticket: dict, customer: str, resolved: datetime, slots: Slots, *, recurring: bool
    ) -> None:
        """The requester's CSAT rating; repeats of a chronic problem are rated lower."""
        weights = [1, 2, 6, 30, 61] if not recurring else [3, 8, 20, 35, 34]
        rating = self.rng.choices([1, 2, 3, 4, 5], weights=weights)[0]
        comment = self.rng.choice(REVIEW_COMMENTS[rating]).format_map(slots)
        at = resolved + timedelta(minutes=self.rng.randint(20, 600))
        ticket["review"] = {"rating": rating, "comment": comment, "at": at}
        self._event(ticket, "csat", at, customer, new=str(rating), message=comment)

    def open_ticket(self, site: str, archetype: Archetype, state: str) -> dict | None:
        hours = OPEN_AGE_HOURS[state] if archetype.priority != "urgent" else (0.3, 3)
        age = self._duration(*hours)
        created = self.anchor - age
        drafted = self._draft(site, archetype, created)
        if drafted is None:
            return None
        ticket, slots, requester = drafted
        self._open(ticket, requester)
        if state != "new":
            engineer = self._pick_engineer(site, archetype.category, available_only=True)
            slots["eng"] = engineer["first_name"]
            self._assign(
                ticket, engineer, created + min(timedelta(minutes=self.rng.randint(2, 15)), age * 0.2)
            )
        if state in ("in_progress", "waiting_on_customer"):
            started = ticket["assigned_at"] + min(timedelta(minutes=self.rng.randint(5, 60)), age * 0.3)
            ticket["first_responded_at"] = started
            self._transition(ticket, "start", "in_progress", started, ticket["assignee"])
        if state == "waiting_on_customer":
            question = self._exchange(archetype)[0].format_map(slots)
            asked = ticket["first_responded_at"] + min(timedelta(minutes=self.rng.randint(2, 30)), age * 0.2)
            self._comment(ticket, ticket["assignee"], question, asked)
            self._transition(ticket, "wait", "waiting_on_customer", asked, ticket["assignee"])
        self.tickets.append(ticket)
        return ticket

    # -------------------------------------------------------------- chats
    def _steps_text(self, archetype: Archetype, slots: Slots) -> str:
        return "\n".join(f"{n}. {step.format_map(slots)}" for n, step in enumerate(archetype.steps, 1))

    def escalated_chat(self, ticket: dict) -> dict:
        """The chat a chat-source ticket came from, shaped like chat.services.conversation_escalate makes it:
        the ticket's description is the transcript so far, then a system note and the engineer joins."""
        archetype = ARCHETYPES_BY_KEY[ticket["archetype"]]
        requester = next(c for c in self.customers[ticket["site"]] if c["username"] == ticket["requester"])
        slots = ticket["_slots"]
        opener = self._pick_description(archetype, ticket["_index"]).format_map(slots)
        before = [("customer", ticket["requester"], self._typos(opener))]
        if archetype.steps:
            before += [
                (
                    "assistant",
                    None,
                    "Sorry about that. These steps usually fix it:\n"
                    + self._steps_text(archetype, slots)
                    + "\n\nDid that help?",
                ),
                ("customer", ticket["requester"], self.rng.choice(ESCALATION_FAILURES)),
                (
                    "assistant",
                    None,
                    "I'm sorry that didn't fix it. I can't go further from here: choose "
                    '"I still need help" and an engineer who looks after your site will take over.',
                ),
            ]
        else:
            before.append(
                (
                    "assistant",
                    None,
                    'That one needs someone from the helpdesk rather than me. Choose "I still '
                    "need help\" and I'll pass this conversation to an engineer who looks after your site.",
                )
            )
        names = {"customer": _full_name(requester), "assistant": "Assistant (AI)"}
        ticket["description"] = "\n\n".join(f"{names[kind]}: {body}" for kind, _, body in before)
        engineer = next(e for e in self.engineers if e["username"] == ticket["assignee"])
        greeting = self.rng.choice(ENGINEER_CHAT_GREETINGS).format(
            me=requester["first_name"], eng=engineer["first_name"]
        )
        after = [
            (
                "system",
                None,
                "A ticket was created from this conversation. An engineer will reply here.",
                ticket["created_at"],
            ),
            ("engineer", engineer["username"], greeting, ticket["first_responded_at"]),
            (
                "customer",
                ticket["requester"],
                self.rng.choice(["Great, thank you.", "thanks!", "Ok, thanks"]),
                ticket["first_responded_at"] + timedelta(minutes=self.rng.randint(1, 20)),
            ),
        ]
        start = ticket["created_at"] - timedelta(seconds=125 * len(before) + 10)
        return self._conversation(
            ticket["site"],
            requester,
            ticket["title"],
            "escalated",
            start,
            before + after,
            archetype.key,
            ticket=ticket,
        )

    def deflected_chat(self, site: str, archetype: Archetype) -> dict | None:
        requester = self.rng.choice(self.customers[site])
        slots = self._slots(site, archetype, requester)
        index = self.rng.randrange(len(archetype.titles))
        subject = archetype.titles[index].format_map(slots)
        if any(
            c["site"] == site and c["customer"] == requester["username"] and c["subject"] == subject
            for c in self.conversations
        ):
            return None
        at = self._created_at(
            site, start=self.anchor - timedelta(days=300), end=self.anchor - timedelta(days=1)
        )
        opener = self._pick_description(archetype, index).format_map(slots)
        messages = [
            ("customer", requester["username"], self._typos(opener)),
            (
                "assistant",
                None,
                self.rng.choice(
                    [
                        "This usually sorts it out:",
                        f"Here's what fixes this at {self.sites[site]['name']}:",
                        "Let's try this first:",
                    ]
                )
                + "\n"
                + self._steps_text(archetype, slots)
                + "\n\nLet me know if that works.",
            ),
            (
                "customer",
                requester["username"],
                self.rng.choice(
                    [
                        "That worked, thanks!",
                        "yes that's fixed it",
                        "Perfect, all working now.",
                        "Done, it's back. Thank you",
                    ]
                ),
            ),
            ("assistant", None, "Glad that's working. I'll close this chat; start a new one any time."),
        ]
        return self._conversation(site, requester, subject, "deflected", at, messages, archetype.key)

    def _conversation(
        self, site, requester, subject, outcome, at, messages, archetype_key, ticket=None
    ) -> dict:
        rows = []
        for author_kind, author, body, *when in messages:
            at = when[0] if when else at + timedelta(seconds=self.rng.randint(8, 120))
            rows.append({"author_kind": author_kind, "author": author, "body": body, "at": at})
        conversation = {
            "key": f"C{len(self.conversations) + 1:03d}",
            "archetype": archetype_key,
            "site": site,
            "customer": requester["username"],
            "subject": subject,
            "outcome": outcome,
            "ticket": None,
            "_ticket": ticket,
            "created_at": rows[0]["at"] - timedelta(seconds=5),
            "closed_at": at + timedelta(seconds=30),
            "messages": rows,
        }
        self.conversations.append(conversation)
        return conversation

    # -------------------------------------------------------------- articles
    def articles(self) -> list[dict]:
        authors = [e["username"] for e in self.engineers]
        out = []
        for spec in GLOBAL_ARTICLES:
            out.append({**spec, "site": None, "state": spec.get("state", "published")})
        for site in SITES:
            slots = Slots(site["it"], site_name=site["name"])
            for spec in SITE_ARTICLE_TEMPLATES:
                out.append(
                    {
                        "slug": spec["slug"],
                        "title": spec["title"].format_map(slots),
                        "category": spec["category"],
                        "state": "published",
                        "site": site["slug"],
                        "body": spec["body"].format_map(slots),
                    }
                )
        for slug, key, state in SITE_ARCHETYPE_ARTICLES:
            archetype = ARCHETYPES_BY_KEY[key]
            site = self.sites[slug]
            # An article names one room or device: the first of each list.
            slots = Slots({k: v[0] if isinstance(v, list) else v for k, v in site["it"].items()})
            slots.update({k: v[0] for k, v in archetype.slots.items()})
            slots.update(colleague="a colleague", me="the user", eng="the engineer")
            symptoms = "\n".join(f'- *"{d.format_map(slots)}"*' for d in archetype.descriptions)
            fix = archetype.resolution_for(slug).format_map(slots)
            title = next((t for t in archetype.titles if "{" not in t), archetype.titles[0]).format_map(slots)
            body = f"## Symptoms\n{symptoms}\n\n## Cause and fix\n{fix}\n"
            if archetype.steps:
                body += "\n## What you can try first\n" + self._steps_text(archetype, slots) + "\n"
            body += "\nStill stuck? Raise a ticket and mention this article.\n"
            out.append(
                {
                    "slug": re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
                    "title": title,
                    "category": archetype.category,
                    "state": state,
                    "site": slug,
                    "body": body,
                    "archetype": key,
                }
            )
        for n, article in enumerate(out):
            article["author"] = authors[n % len(authors)]
            created = self.anchor - timedelta(
                days=360 - n * 11, hours=self.rng.randint(0, 8), minutes=self.rng.randint(0, 59)
            )
            article["created_at"] = created
            article["published_at"] = (
                created + timedelta(hours=2) if article["state"] == "published" else None
            )
        return out

    def _plan(self, site: str, count: int) -> list[Archetype]:
        """`count` archetypes in proportion to their weights (largest remainder), in random order.

        Quotas rather than independent draws, so a site's chronic problems reliably recur.
        """
        pool, weights = self._archetypes_for(site)
        exact = [w * count / sum(weights) for w in weights]
        counts = [int(e) for e in exact]
        by_remainder = sorted(range(len(pool)), key=lambda i: exact[i] - counts[i], reverse=True)
        for i in by_remainder[: count - sum(counts)]:
            counts[i] += 1
        plan = [archetype for archetype, n in zip(pool, counts, strict=True) for _ in range(n)]
        self.rng.shuffle(plan)
        return plan

    # -------------------------------------------------------------- all
    def build(self) -> dict[str, Any]:
        self.conversations: list[dict] = []
        for site, count in RESOLVED_PER_SITE.items():
            for archetype in self._plan(site, count):
                while not self.resolved_ticket(site, archetype):
                    pass
        for _ in range(ESCALATED_CHATS):
            ticket = self.rng.choice([t for t in self.tickets if t["source"] != "chat"])
            ticket["source"] = "chat"
            ticket["events"][0]["message"] = "Opened via Chat"
            self.escalated_chat(ticket)
        while len(self.conversations) < ESCALATED_CHATS + DEFLECTED_CHATS:
            site = self.rng.choice(list(self.sites))
            archetype = self.rng.choice([a for a in self.site_pools[site] if a.steps])
            self.deflected_chat(site, archetype)
        sites = list(self.sites)
        for state, count in OPEN_TICKETS.items():
            made = 0
            while made < count:
                site = sites[(made + len(self.tickets)) % len(sites)]
                pool, weights = self._archetypes_for(site)
                if self.open_ticket(site, self.rng.choices(pool, weights=weights)[0], state):
                    made += 1
        self.tickets.sort(key=lambda t: t["created_at"])
        for ticket in self.tickets:
            ticket["events"].sort(key=lambda e: e["at"])
        for n, ticket in enumerate(self.tickets, 1):
            ticket["key"] = f"T{n:04d}"
        for conversation in self.conversations:
            conversation["ticket"] = conversation["_ticket"] and conversation["_ticket"]["key"]
        return {
            "manifest": {"seed": SEED, "anchor": self.anchor, "version": 1},
            "categories": [{"slug": s, "name": n, "description": d} for s, n, d in CATEGORIES],
            "sites": [{k: v for k, v in site.items()} for site in SITES],
            "users": {
                "admin": ADMIN,
                "engineers": self.engineers,
                "customers": [c for people in self.customers.values() for c in people],
            },
            "tickets": self.tickets,
            "conversations": sorted(self.conversations, key=lambda c: c["created_at"]),
            "articles": self.articles(),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, dict):
        # Underscored keys are the generator's own bookkeeping.
        return {k: _jsonable(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def generate(*, out: Path = DEFAULT_OUT) -> dict[str, int]:
    """Build the data set and write one JSON file per kind; returns the counts written."""
    data = Generator().build()
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, value in data.items():
        (out / f"{name}.json").write_text(json.dumps(_jsonable(value), indent=1, ensure_ascii=False) + "\n")
        counts[name] = len(value)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    counts = generate(out=args.out)
    summary = ", ".join(f"{n} {name}" for name, n in counts.items() if name != "manifest")
    print(f"Wrote {summary} to {args.out}")  # noqa: T201 - a command's output


if __name__ == "__main__":
    main()

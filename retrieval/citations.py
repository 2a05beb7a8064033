"""What a viewer may see of a cited source, decided in one place.

A source keeps its title and link only for a viewer who can open it: engineers of the site open every
case, a customer their own tickets and chats and the published KB articles of their site. Any other past
case is a colleague's, so a customer sees it as "a similar resolved case, <Month YYYY>" with an excerpt of
its resolution: never its problem text, its requester's name or its link (which would answer 404).
Search results (`cases_for_viewer`, the similar-cases API) follow the same rule.

Citation markers [n] travel with the list they point to: a reply sent out of the chat (a sent draft, its
email) gets one number per shown source and the list appended, and loses any marker that points nowhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.utils import dateformat, timezone

from chat.models import Conversation, Message
from helpdesk.models import User
from helpdesk.tenancy import visible_sites
from knowledge.models import Article
from knowledge.selectors import articles_for_user
from retrieval.grounding import CITATION_RE, Source
from retrieval.types import Case, SourceType
from tickets.models import Ticket
from tickets.selectors import tickets_visible_to

SIMILAR_CASE = "a similar resolved case"
SIMILAR_CASE_LABEL = "past case"
EXCERPT_CHARS = 240
_CASE_FIELDS = (
    "source_type",
    "source_id",
    "site_id",
    "title",
    "snippet",
    "url",
    "score",
    "similarity",
    "category",
    "priority",
    "resolution",
    "text",
)
_SHOWN_DEFAULTS = {"key": "", "cid": 0, "label": "", "title": "", "url": "", "score": 0.0}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_REPEATED_MARKER = re.compile(r"(\[\d+\])(?:\1)+")


def source_entry(source: Source) -> dict:
    """What a message or a draft stores of one cited source: everything an engineer is shown."""
    case = source.case
    return {
        "key": source.key,
        "cid": source.cid,
        "label": source.label,
        "title": case.title,
        "url": case.url,
        "score": round(float(case.score), 4),
    }


def _parse_key(key: str) -> tuple[str, int] | None:
    source_type, _, source_id = key.partition(":")
    if source_type not in SourceType.ALL or not source_id.isdigit():
        return None
    return source_type, int(source_id)


def _month(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "F Y") if moment else ""


def _excerpt(text: str, *, names: Iterable[str]) -> str:
    """Whole sentences of a resolution up to EXCERPT_CHARS, without markers or the requester's name."""
    text = " ".join(CITATION_RE.sub("", text).split())
    for name in sorted({name for name in names if len(name) > 1}, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}\b", "the customer", text, flags=re.IGNORECASE)
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        if kept and len(kept) + 1 + len(sentence) > EXCERPT_CHARS:
            break
        kept = f"{kept} {sentence}".strip()
    if len(kept) > EXCERPT_CHARS:
        kept = kept[:EXCERPT_CHARS].rsplit(" ", 1)[0] + "…"
    return kept


def _names(user: User | None) -> list[str]:
    if user is None:
        return []
    return [user.display_name, user.get_full_name(), user.first_name, user.last_name, user.username]


def _anonymous(entry: dict, *, moment, resolution: str, requester: User | None) -> dict:
    month = _month(moment)
    return {
        "key": "",
        "cid": entry["cid"],
        "label": SIMILAR_CASE_LABEL,
        "title": f"{SIMILAR_CASE}, {month}" if month else SIMILAR_CASE,
        "url": "",
        "score": entry.get("score", 0.0),
        "excerpt": _excerpt(resolution, names=_names(requester)),
    }


def _last_answer(conversation: Conversation) -> str:
    """A chat's resolution, as its search document has it: the last word of the assistant or an engineer."""
    answers = conversation.messages.exclude(
        author_kind__in=(Message.Author.CUSTOMER, Message.Author.SYSTEM)
    ).order_by("-seq")
    answer = answers.first()
    return answer.body if answer else ""


def sources_for_viewer(*, user: User, sources: Sequence[dict]) -> list[dict]:
    """The cited sources, in order, as `user` may see them: a link only to what `user` can open.

    Each entry has key, cid, label, title, url, score and excerpt; an anonymized case has no key (it would
    name the ticket) and carries its resolution excerpt instead of a title.
    """
    from chat.selectors import conversations_for_user  # chat.selectors renders messages through here

    wanted: dict[str, set[int]] = {source_type: set() for source_type in SourceType.ALL}
    for entry in sources:
        if parsed := _parse_key(entry.get("key", "")):
            wanted[parsed[0]].add(parsed[1])
    rows = {
        SourceType.TICKET: Ticket.objects.select_related("requester__profile").in_bulk(
            wanted[SourceType.TICKET]
        ),
        SourceType.TRANSCRIPT: Conversation.objects.select_related("customer__profile").in_bulk(
            wanted[SourceType.TRANSCRIPT]
        ),
        SourceType.ARTICLE: Article.objects.in_bulk(wanted[SourceType.ARTICLE]),
    }
    readable = {
        SourceType.TICKET: tickets_visible_to(user),
        SourceType.TRANSCRIPT: conversations_for_user(user=user),
        SourceType.ARTICLE: articles_for_user(user),
    }
    openable = {
        source_type: set(queryset.filter(pk__in=rows[source_type].keys()).values_list("pk", flat=True))
        for source_type, queryset in readable.items()
    }
    sites = set(visible_sites(user).values_list("pk", flat=True))
    shown = []
    for entry in sources:
        source_type, source_id = _parse_key(entry.get("key", "")) or ("", 0)
        row = rows.get(source_type, {}).get(source_id)
        if row is not None and row.site_id is not None and row.site_id not in sites:
            continue  # another tenant's case: not even anonymized
        if source_id in openable.get(source_type, ()):
            shown.append({**_SHOWN_DEFAULTS, **entry, "excerpt": ""})
        elif source_type == SourceType.ARTICLE:
            shown.append({**_SHOWN_DEFAULTS, **entry, "url": "", "excerpt": ""})
        elif source_type == SourceType.TICKET and row is not None:
            moment = row.resolved_at or row.closed_at or row.updated_at
            shown.append(_anonymous(entry, moment=moment, resolution=row.resolution, requester=row.requester))
        elif source_type == SourceType.TRANSCRIPT and row is not None:
            moment, answer = row.closed_at or row.created_at, _last_answer(row)
            shown.append(_anonymous(entry, moment=moment, resolution=answer, requester=row.customer))
        else:
            shown.append(_anonymous(entry, moment=None, resolution="", requester=None))
    return shown


def cases_for_viewer(*, user: User, cases: Sequence[Case]) -> list[dict]:
    """Search results, in order, as `user` may see them (the fields of retrieval.schemas.CaseOut).

    What `user` can open comes in full; a colleague's case as `sources_for_viewer` anonymizes it, with
    its id, key, link, text, category and priority blank and its resolution excerpt as snippet and
    resolution, marked `anonymized`.
    """
    entries = [
        {"key": case.citation_key, "cid": cid, "title": case.title, "url": case.url, "score": case.score}
        for cid, case in enumerate(cases, start=1)
    ]
    shown = {entry["cid"]: entry for entry in sources_for_viewer(user=user, sources=entries)}
    results = []
    for cid, case in enumerate(cases, start=1):
        entry = shown.get(cid)
        if entry is None:
            continue
        if entry["key"]:
            full = {name: getattr(case, name) for name in _CASE_FIELDS}
            results.append({**full, "key": entry["key"], "url": entry["url"], "anonymized": False})
            continue
        results.append(
            {
                "key": "",
                "source_type": case.source_type,
                "source_id": None,
                "site_id": case.site_id,
                "title": entry["title"],
                "snippet": entry["excerpt"],
                "url": "",
                "score": case.score,
                "similarity": case.similarity,
                "category": None,
                "priority": None,
                "resolution": entry["excerpt"],
                "text": "",
                "anonymized": True,
            }
        )
    return results


def _identity(entry: dict) -> tuple[str, ...]:
    return (entry["key"],) if entry["key"] else (entry["title"], entry["excerpt"])


def _list_line(number: int, entry: dict) -> str:
    if entry["url"]:
        base = settings.HELPDESK_BASE_URL.rstrip("/")
        return f"[{number}] {entry['title']}: {base}{entry['url']}"
    title = entry["title"][:1].upper() + entry["title"][1:]
    return f'[{number}] {title}: "{entry["excerpt"]}"' if entry["excerpt"] else f"[{number}] {title}"


def body_with_sources(*, body: str, sources: Sequence[dict], viewer: User) -> str:
    """`body` as sent to `viewer`: each shown source gets one number, in the order the body first cites it,
    and a numbered "Sources" list is appended; a marker pointing to no source is dropped with its space."""
    shown = {entry["cid"]: entry for entry in sources_for_viewer(user=viewer, sources=sources)}
    numbers: dict[tuple[str, ...], int] = {}
    listed: list[dict] = []

    def renumber(match: re.Match) -> str:
        cited: list[int] = []
        for cid in match.group(2).split(","):
            entry = shown.get(int(cid))
            if entry is None:
                continue
            identity = _identity(entry)
            if identity not in numbers:
                numbers[identity] = len(listed) + 1
                listed.append(entry)
            if numbers[identity] not in cited:
                cited.append(numbers[identity])
        return match.group(1) + "".join(f"[{number}]" for number in cited) if cited else ""

    # "[1][3]" naming one source twice reads as one marker.
    text = _REPEATED_MARKER.sub(r"\1", CITATION_RE.sub(renumber, body)).rstrip()
    if not listed:
        return text
    lines = [_list_line(number, entry) for number, entry in enumerate(listed, start=1)]
    return text + "\n\nSources:\n" + "\n".join(lines)

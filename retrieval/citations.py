"""What a viewer may see of a cited source, decided in one place.

A source keeps its title and link only for a viewer who can open it: engineers of the site open every
case, a customer their own tickets and chats and the published KB articles of their site. Any other past
case is a colleague's, so a customer sees it as "a similar resolved case, <Month YYYY>" with an excerpt of
its resolution: never its problem text, its requester's name or its link (which would answer 404).
Search results (`cases_for_viewer`, the similar-cases API) follow the same rule.

Citation markers [n] travel with the list they point to: a reply sent out of the chat (a sent draft, its
email) gets one number per shown source and the list appended, and loses any marker that points nowhere.

Retrieval knows no ticket, chat or article: the app that owns each kind of source registers how its
rows are cited (`register_cited_source`, from its AppConfig.ready), so imports flow one way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import dateformat, timezone

from helpdesk.models import User
from helpdesk.tenancy import visible_sites
from retrieval.grounding import CITATION_RE, Source
from retrieval.types import Case, SourceType

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
    "related",
    "category",
    "priority",
    "resolution",
    "text",
)
_SHOWN_DEFAULTS = {"key": "", "cid": 0, "label": "", "title": "", "url": "", "score": 0.0}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_REPEATED_MARKER = re.compile(r"(\[\d+\])(?:\1)+")


@dataclass(frozen=True)
class CitedRow:
    """What the owner of a kind of source tells citations about one row, for one viewer: where it
    belongs, whether the viewer may open it, and what an anonymized mention may show of it."""

    site_id: int | None
    openable: bool
    moment: datetime | None = None
    resolution: str = ""
    requester: User | None = None


CitedRows = Callable[[User, set[int]], dict[int, CitedRow]]


@dataclass(frozen=True)
class _CitedKind:
    rows: CitedRows
    anonymized: bool


_CITED: dict[str, _CitedKind] = {}


def register_cited_source(source_type: str, rows: CitedRows, *, anonymized: bool = True) -> None:
    """How sources of `source_type` are shown: `rows(viewer, ids)` loads them in one query or two. A row
    the viewer cannot open is anonymized, or (`anonymized=False`, KB articles) shown by title alone."""
    _CITED[source_type] = _CitedKind(rows, anonymized)


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


def sources_for_viewer(*, user: User, sources: Sequence[dict]) -> list[dict]:
    """The cited sources, in order, as `user` may see them: a link only to what `user` can open.

    Each entry has key, cid, label, title, url, score and excerpt; an anonymized case has no key (it would
    name the ticket) and carries its resolution excerpt instead of a title.
    """
    wanted: dict[str, set[int]] = {source_type: set() for source_type in SourceType.ALL}
    for entry in sources:
        if parsed := _parse_key(entry.get("key", "")):
            wanted[parsed[0]].add(parsed[1])
    rows = {
        source_type: kind.rows(user, wanted[source_type]) if wanted.get(source_type) else {}
        for source_type, kind in _CITED.items()
    }
    sites = set(visible_sites(user).values_list("pk", flat=True))
    shown = []
    for entry in sources:
        source_type, source_id = _parse_key(entry.get("key", "")) or ("", 0)
        row = rows.get(source_type, {}).get(source_id)
        kind = _CITED.get(source_type)
        if row is not None and row.site_id is not None and row.site_id not in sites:
            continue  # another tenant's case: not even anonymized
        if row is not None and row.openable:
            shown.append({**_SHOWN_DEFAULTS, **entry, "excerpt": ""})
        elif kind is not None and not kind.anonymized:
            shown.append({**_SHOWN_DEFAULTS, **entry, "url": "", "excerpt": ""})
        elif row is not None:
            shown.append(
                _anonymous(entry, moment=row.moment, resolution=row.resolution, requester=row.requester)
            )
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
                "related": case.related,
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

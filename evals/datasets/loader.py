"""Read an eval dataset folder: meta.json, documents.jsonl, queries.jsonl (format in docs/evals.md).

Strict where a mistake would silently skew scores (a malformed line, an unknown document id, a relevant
document of another site), lenient where a dataset simply says less: unknown fields are ignored and a
missing optional gold field only removes that query from the metrics that need it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

KINDS = ("ticket", "transcript", "article")


class DatasetError(ValueError):
    """A dataset that cannot be read; the message names the file and, for JSONL, the line."""


@dataclass(frozen=True)
class Document:
    id: str
    site: str
    kind: str
    title: str
    body: str
    resolution: str = ""
    category: str | None = None
    priority: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(part for part in (self.title, self.body, self.resolution) if part)


@dataclass(frozen=True)
class Query:
    id: str
    site: str
    text: str
    category: str | None = None
    relevant: tuple[str, ...] | None = None
    facts: tuple[str, ...] | None = None
    answerable: bool | None = None
    split: str | None = None
    # Earlier turns of a conversation ({"role": "customer" | "assistant", "text"}): a follow-up question.
    history: tuple[dict, ...] = ()

    @property
    def said_before(self) -> list[str]:
        return [turn["text"] for turn in self.history if turn["role"] == "assistant"]

    @property
    def conversation_text(self) -> str:
        """What retrieval reads for the question: the customer's last two earlier messages and this one,
        as the chat does (chat.services)."""
        asked = [turn["text"] for turn in self.history if turn["role"] == "customer"]
        return "\n".join([*asked[-2:], self.text])


@dataclass
class Dataset:
    path: Path
    meta: dict
    documents: list[Document]
    queries: list[Query]
    categories: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.meta.get("name") or self.path.name

    @property
    def sites(self) -> list[str]:
        return sorted({d.site for d in self.documents} | {q.site for q in self.queries})

    def documents_of(self, site: str) -> list[Document]:
        return [d for d in self.documents if d.site == site]

    def limited(self, limit: int | None) -> Dataset:
        """The same documents and the first `limit` queries of each site, so every site is still covered."""
        if not limit:
            return self
        counts: dict[str, int] = {}
        kept = []
        for query in self.queries:
            if counts.get(query.site, 0) < limit:
                kept.append(query)
                counts[query.site] = counts.get(query.site, 0) + 1
        return Dataset(self.path, self.meta, self.documents, kept, self.categories)

    def tickets_as_chats(self) -> Dataset:
        """The same dataset with every past ticket turned into a closed chat (the customer's words, then
        the engineer's resolution): a support team whose history is conversations, not tickets."""
        documents = [
            replace(document, kind="transcript", body=f"Customer: {document.body}")
            if document.kind == "ticket"
            else document
            for document in self.documents
        ]
        meta = {**self.meta, "name": f"{self.name}-as-chats"}
        return Dataset(self.path, meta, documents, self.queries, self.categories)

    def only_split(self, split: str | None) -> Dataset:
        """The queries of one split (e.g. "dev" to tune thresholds on, "test" to report); all when None."""
        if not split:
            return self
        kept = [query for query in self.queries if query.split == split]
        if not kept:
            raise DatasetError(f"{self.path}: no query has split '{split}'")
        return Dataset(self.path, self.meta, self.documents, kept, self.categories)


def _read_jsonl(path: Path) -> list[tuple[int, dict]]:
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{path}:{number}: invalid JSON ({error.msg})") from error
            if not isinstance(row, dict):
                raise DatasetError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
            rows.append((number, row))
    return rows


def _text(row: dict, key: str, where: str, *, required: bool) -> str | None:
    value = row.get(key)
    if value is None:
        if required:
            raise DatasetError(f"{where}: missing required field '{key}'")
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and key in ("id", "site"):
        value = str(value)
    if not isinstance(value, str) or (required and not value.strip()):
        raise DatasetError(f"{where}: field '{key}' must be a non-empty string")
    return value


def _string_list(row: dict, key: str, where: str) -> tuple[str, ...] | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
        raise DatasetError(f"{where}: field '{key}' must be a list of strings")
    return tuple(str(item) for item in value)


def _document(row: dict, where: str) -> Document:
    kind = _text(row, "kind", where, required=True)
    if kind not in KINDS:
        raise DatasetError(f"{where}: field 'kind' must be one of {', '.join(KINDS)}, got '{kind}'")
    return Document(
        id=_text(row, "id", where, required=True),
        site=_text(row, "site", where, required=True),
        kind=kind,
        title=_text(row, "title", where, required=True),
        body=_text(row, "body", where, required=True),
        resolution=_text(row, "resolution", where, required=False) or "",
        category=_text(row, "category", where, required=False) or None,
        priority=_text(row, "priority", where, required=False) or None,
    )


def _query(row: dict, where: str) -> Query:
    answerable = row.get("answerable")
    if answerable is not None and not isinstance(answerable, bool):
        raise DatasetError(f"{where}: field 'answerable' must be true or false")
    return Query(
        id=_text(row, "id", where, required=True),
        site=_text(row, "site", where, required=True),
        text=_text(row, "text", where, required=True),
        category=_text(row, "category", where, required=False) or None,
        relevant=_string_list(row, "relevant", where),
        facts=_string_list(row, "facts", where),
        answerable=answerable,
        split=_text(row, "split", where, required=False) or None,
        history=_history(row, where),
    )


def _history(row: dict, where: str) -> tuple[dict, ...]:
    turns = row.get("history") or []
    if not isinstance(turns, list):
        raise DatasetError(f"{where}: field 'history' must be a list of turns")
    for turn in turns:
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("customer", "assistant")
            or not isinstance(turn.get("text"), str)
        ):
            raise DatasetError(
                f"{where}: each turn of 'history' needs a role (customer or assistant) and a text"
            )
    return tuple({"role": turn["role"], "text": turn["text"]} for turn in turns)


def load_dataset(path: str | Path) -> Dataset:
    """Load and validate a dataset folder; a DatasetError names the file and line of the first problem."""
    root = Path(path)
    meta_path = root / "meta.json"
    if not meta_path.is_file():
        raise DatasetError(f"{meta_path}: file not found")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DatasetError(f"{meta_path}:{error.lineno}: invalid JSON ({error.msg})") from error
    if not isinstance(meta, dict):
        raise DatasetError(f"{meta_path}: expected a JSON object")

    documents_path, queries_path = root / "documents.jsonl", root / "queries.jsonl"
    documents: list[Document] = []
    seen: dict[str, Document] = {}
    for number, row in _read_jsonl(documents_path):
        where = f"{documents_path}:{number}"
        document = _document(row, where)
        if document.id in seen:
            raise DatasetError(f"{where}: duplicate document id '{document.id}'")
        seen[document.id] = document
        documents.append(document)

    queries: list[Query] = []
    query_ids: set[str] = set()
    for number, row in _read_jsonl(queries_path):
        where = f"{queries_path}:{number}"
        query = _query(row, where)
        if query.id in query_ids:
            raise DatasetError(f"{where}: duplicate query id '{query.id}'")
        query_ids.add(query.id)
        for doc_id in query.relevant or ():
            if doc_id not in seen:
                raise DatasetError(f"{where}: relevant document '{doc_id}' is not in documents.jsonl")
            if seen[doc_id].site != query.site:
                raise DatasetError(f"{where}: relevant document '{doc_id}' belongs to another site")
        queries.append(query)

    categories = [c["slug"] if isinstance(c, dict) else str(c) for c in meta.get("categories", [])]
    for label in [d.category for d in documents] + [q.category for q in queries]:
        if label and label not in categories:
            categories.append(label)
    return Dataset(path=root, meta=meta, documents=documents, queries=queries, categories=categories)

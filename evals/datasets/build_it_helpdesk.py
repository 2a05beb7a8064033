"""Build the `it-helpdesk` eval dataset (fixtures/evals/it-helpdesk/) from seeded templates.

    .venv/bin/python -m evals.datasets.build_it_helpdesk [--out fixtures/evals/it-helpdesk] [--seed 7]

Four fictional client sites (none of them the demo's) share 40 problem archetypes over nine categories.
Each archetype has document templates written the way an engineer files a case (technical vocabulary,
title + problem + resolution) and, separately, query templates written the way a user asks (lay words,
other sentence shapes, often no product names). A site has only some archetypes; for each present one it
gets 2-5 documents (tickets, sometimes a chat transcript or a KB article) and 2-3 queries whose gold
`relevant` ids are exactly that site's documents of the archetype. Unanswerable queries come from three
sources: archetypes the site does not have (the problem exists elsewhere, never at this site), IT problems
no archetype covers, and off-topic questions. The same seed always writes the same files.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

# The templates are data: categories.json, sites.json (each site's slot values), archetypes.json,
# unanswerable.json (IT problems no archetype covers, off-topic questions) and wording.json (priorities,
# request archetypes, context lines, closings, follow-ups).
SOURCE = Path(__file__).resolve().parents[2] / "fixtures" / "evals" / "it-helpdesk-source"


def _load(name: str):
    return json.loads((SOURCE / name).read_text(encoding="utf-8"))


CATEGORIES: list[dict] = _load("categories.json")
# Slot values per site; a list slot is drawn from once per document, a string slot is fixed.
SITES: dict[str, dict] = _load("sites.json")
ARCHETYPES: list[dict] = _load("archetypes.json")
_unanswerable = _load("unanswerable.json")
UNCOVERED_IT: list[tuple[str, str]] = [
    (row["text"], row["category"]) for row in _unanswerable["uncovered_it"]
]
OFF_TOPIC: list[str] = _unanswerable["off_topic"]
_wording = _load("wording.json")
PRIORITIES: list[str] = _wording["priorities"]
# Archetypes that are requests, not faults: they get no context line.
REQUESTS: set[str] = set(_wording["requests"])
# Colour added to fault reports only: a new-starter or purchase request does not "start after the weekend".
CONTEXT_LINES: list[str] = _wording["context_lines"]
CLOSINGS: list[str] = _wording["closings"]
# What a customer writes after a suggestion did not help.
FOLLOW_UPS: list[str] = _wording["follow_ups"]


def pick(slots: dict, rng: random.Random) -> dict:
    """One concrete value per slot, drawn once per document so its problem and resolution agree."""
    return {key: rng.choice(value) if isinstance(value, list) else value for key, value in slots.items()}


def fill(template: str, values: dict) -> str:
    return template.format(**values)


def _priority(base: str, rng: random.Random) -> str:
    index = PRIORITIES.index(base)
    if rng.random() < 0.2:
        index = max(0, min(len(PRIORITIES) - 1, index + rng.choice((-1, 1))))
    return PRIORITIES[index]


def _transcript(arch: dict, values: dict, rng: random.Random) -> tuple[str, str]:
    problem = fill(rng.choice(arch["bodies"]), values)
    fix = fill(rng.choice(arch["resolutions"]), values)
    person = values["person"]
    body = "\n".join(
        [
            f"Customer: Hi, it's {person}. {problem}",
            "Engineer: Thanks, let me take a look remotely.",
            f"Engineer: {fix}",
            "Customer: That's sorted it, thank you.",
        ]
    )
    return body, fix


def _article(arch: dict, values: dict) -> tuple[str, str]:
    steps = fill(arch["resolutions"][0], values)
    problem = fill(arch["bodies"][-1], values)
    return f"Symptoms: {problem}\n\nWhat to do: {steps}", ""


def _follow_ups(documents: list[dict], queries: list[dict], seed: int) -> list[dict]:
    """Per site, two follow-ups: the customer asked, was given every fix the site has on record for the
    problem, and writes back that it did not help. Nothing new is left to say, so the right answer is
    to hand over to an engineer without repeating a step (scored as a refusal, and for repeats).

    A separate generator, so adding follow-ups changed no other byte of the dataset.
    """
    rng = random.Random(seed * 1000 + 2)
    follow_ups = []
    for site in SITES:
        asked = [q for q in queries if q["site"] == site and q["answerable"] and q.get("archetype")]
        for number, query in enumerate(rng.sample(asked, 2), 1):
            fixes = [d["resolution"] for d in documents if d["id"] in query["relevant"] and d["resolution"]]
            follow_ups.append(
                {
                    "id": f"{query['id']}-f{number}",
                    "site": site,
                    "text": rng.choice(FOLLOW_UPS),
                    "history": [
                        {"role": "customer", "text": query["text"]},
                        {"role": "assistant", "text": "\n".join(fixes)},
                    ],
                    "category": query["category"],
                    "relevant": [],
                    "answerable": False,
                    "why_unanswerable": "follow-up: every fix on record was already suggested",
                    "split": "dev" if number == 1 else "test",
                }
            )
    return follow_ups


def _assign_splits(queries: list[dict], seed: int) -> None:
    """Half of each site's queries are "dev" (tune thresholds there), half "test" (report there).

    A separate generator, so adding splits changed no other byte of the dataset.
    """
    rng = random.Random(seed * 1000 + 1)
    for site in SITES:
        own = [query for query in queries if query["site"] == site]
        rng.shuffle(own)
        for index, query in enumerate(own):
            query["split"] = "dev" if index < len(own) // 2 else "test"


def build(seed: int = 7) -> tuple[dict, list[dict], list[dict]]:
    """Return (meta, documents, queries); deterministic for a given seed."""
    rng = random.Random(seed)
    documents: list[dict] = []
    queries: list[dict] = []
    uncovered = UNCOVERED_IT[:]
    off_topic = OFF_TOPIC[:]
    rng.shuffle(uncovered)
    rng.shuffle(off_topic)
    for site_index, (site, slots) in enumerate(SITES.items()):
        absent = set(rng.sample([a["slug"] for a in ARCHETYPES], 6))
        doc_number = query_number = 0
        for arch in ARCHETYPES:
            if arch["slug"] in absent:
                continue
            ids = []
            count = rng.choice((2, 3, 3, 4, 5))
            kinds = ["ticket"] * count
            if rng.random() < 0.35:
                kinds[-1] = "transcript"
            if rng.random() < 0.25:
                kinds.append("article")
            for kind in kinds:
                values = pick(slots, rng)
                doc_number += 1
                doc_id = f"{site}-d{doc_number:03d}"
                if kind == "ticket":
                    body = fill(rng.choice(arch["bodies"]), values)
                    extra = "" if arch["slug"] in REQUESTS else rng.choice(CONTEXT_LINES)
                    body = f"{body} {extra}".strip()
                    resolution = (
                        f"{fill(rng.choice(arch['resolutions']), values)} {rng.choice(CLOSINGS)}".strip()
                    )
                    title = fill(rng.choice(arch["titles"]), values)
                elif kind == "transcript":
                    body, resolution = _transcript(arch, values, rng)
                    title = f"Chat: {fill(rng.choice(arch['titles']), values)}"
                else:
                    body, resolution = _article(arch, values)
                    generic = [t for t in arch["titles"] if "{device}" not in t and "{person}" not in t]
                    title = f"How to fix: {fill((generic or arch['titles'])[0], values)}"
                documents.append(
                    {
                        "id": doc_id,
                        "site": site,
                        "kind": kind,
                        "title": title,
                        "body": body,
                        "resolution": resolution,
                        "category": arch["category"],
                        "priority": None if kind == "article" else _priority(arch["priority"], rng),
                        "archetype": arch["slug"],
                    }
                )
                ids.append(doc_id)
            n_queries = 3 if rng.random() < 0.35 else 2
            for template in rng.sample(arch["queries"], n_queries):
                values = pick(slots, rng)
                query_number += 1
                queries.append(
                    {
                        "id": f"{site}-q{query_number:03d}",
                        "site": site,
                        "text": fill(template, values),
                        "category": arch["category"],
                        "relevant": ids,
                        "facts": [fill(fact, values) for fact in arch["facts"]],
                        "answerable": True,
                        "archetype": arch["slug"],
                    }
                )
        # Unanswerable: a problem this site never had, an IT problem nobody had, and off-topic questions.
        for arch in ARCHETYPES:
            if arch["slug"] in absent:
                values = pick(slots, rng)
                query_number += 1
                queries.append(
                    {
                        "id": f"{site}-q{query_number:03d}",
                        "site": site,
                        "text": fill(rng.choice(arch["queries"]), values),
                        "category": arch["category"],
                        "relevant": [],
                        "answerable": False,
                        "why_unanswerable": f"no document of this site covers '{arch['slug']}'",
                    }
                )
        for text, category in uncovered[site_index * 3 : site_index * 3 + 3]:
            query_number += 1
            queries.append(
                {
                    "id": f"{site}-q{query_number:03d}",
                    "site": site,
                    "text": text,
                    "category": category,
                    "relevant": [],
                    "answerable": False,
                    "why_unanswerable": "IT problem no document covers",
                }
            )
        for text in off_topic[site_index * 3 : site_index * 3 + 3]:
            query_number += 1
            queries.append(
                {
                    "id": f"{site}-q{query_number:03d}",
                    "site": site,
                    "text": text,
                    "relevant": [],
                    "answerable": False,
                    "why_unanswerable": "off-topic",
                }
            )
    _assign_splits(queries, seed)
    queries.extend(_follow_ups(documents, queries, seed))
    meta = {
        "name": "it-helpdesk",
        "source": (
            "synthetic: evals/datasets/build_it_helpdesk.py (seeded templates, checked by hand on a sample)"
        ),
        "license": "CC0-1.0",
        "seed": seed,
        "categories": CATEGORIES,
        "priorities": PRIORITIES,
        "sites": list(SITES),
    }
    return meta, documents, queries


def write(out: Path, seed: int = 7) -> tuple[int, int]:
    meta, documents, queries = build(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    for name, rows in (("documents.jsonl", documents), ("queries.jsonl", queries)):
        with (out / name).open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(documents), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="fixtures/evals/it-helpdesk")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    documents, queries = write(Path(args.out), args.seed)
    print(f"wrote {documents} documents and {queries} queries to {args.out}")  # noqa: T201 - CLI output


if __name__ == "__main__":
    main()

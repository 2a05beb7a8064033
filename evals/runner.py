"""One eval run: load a dataset into throwaway sites, run the product's real code paths, score, report.

The system side calls exactly what production calls: `retrieval.selectors.similar_cases` with the site
classifier's category prior for retrieval (as the ticket page ranks); for triage and replies,
`tickets.triage.grounding_for` (the site classifier and `build_context`) then the provider's `categorize`
and `draft_reply`, as tickets.triage does (without creating a ticket per query). Baselines run in the
same pass on the same queries.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from tqdm import tqdm

from evals import judges, metrics
from evals.baselines import BM25, DenseIndex, TfidfLogisticRegression, bm25_vote, dense_vote
from evals.datasets.loader import Dataset, Query, load_dataset
from evals.report import compare_deltas, write_html, write_json
from evals.sandbox import Sandbox

SUITES = ("triage", "retrieval", "replies")
CASSETTE_DIR = Path(settings.BASE_DIR) / "fixtures" / "evals" / "cassettes"
RETRIEVAL_K = 10
RECALL_KS = (1, 3, 5, 10)


@dataclass
class RunOptions:
    dataset: Path
    suites: Sequence[str] = SUITES
    provider: str | None = None
    out: Path | None = None
    compare: Path | None = None
    limit: int | None = None
    progress: bool = True
    cassette: Path | None = None
    record: bool = False
    split: str | None = None
    tickets_as_chats: bool = False


class EvalsError(Exception):
    """A run that cannot start as asked (a missing recording, no key to record with)."""


@dataclass
class QueryRecord:
    query: Query
    site_id: int
    violations: int = 0
    outside: int = 0
    ranking: list[str] = field(default_factory=list)
    bm25_ranking: list[str] = field(default_factory=list)
    dense_ranking: list[str] = field(default_factory=list)
    nothing_related: bool = False
    retrieval_ms: float | None = None
    triage_category: str | None = None
    triage_confidence: float = 0.0
    triage_accepted: bool = False
    triage_ms: float | None = None
    triage_tokens: int | None = None
    vote_category: str | None = None
    dense_vote_category: str | None = None
    tfidf_category: str | None = None
    reply: str = ""
    reply_refused: bool = True
    reply_cited: list[str] = field(default_factory=list)
    reply_sources: list[str] = field(default_factory=list)
    draft_ms: float | None = None
    draft_tokens: int | None = None
    baseline_reply: str = ""
    baseline_refused: bool = True
    baseline_cited: list[str] = field(default_factory=list)
    baseline_sources: list[str] = field(default_factory=list)


class Pipeline:
    """The production code paths, bound to one sandbox; every result is checked for other sites' rows."""

    def __init__(self, sandbox: Sandbox, provider_name: str | None, categories: list[str]):
        from ai.providers import get_provider
        from retrieval.embedders import RememberingEmbedder, get_embedder
        from tickets.models import Priority

        self.sandbox = sandbox
        self.provider = get_provider(provider_name)
        self.embedder = RememberingEmbedder(get_embedder())
        self.categories = categories
        self.priorities = list(Priority.values)

    def foreign_count(self, cases, site_id: int) -> int:
        return sum(1 for case in cases if case.site_id is not None and case.site_id != site_id)

    def dataset_ids(self, cases) -> tuple[list[str], int]:
        ids, outside = [], 0
        for case in cases:
            doc_id = self.sandbox.documents.get((case.source_type, case.source_id))
            if doc_id is None:
                outside += 1
            else:
                ids.append(doc_id)
        return ids, outside

    def retrieve(self, record: QueryRecord, site) -> None:
        """Similar cases as the ticket page and the grounding rank them: with the site classifier's
        category prior (read once more here, as production does per request)."""
        from retrieval.selectors import similar_cases
        from tickets.classifier import classify

        started = time.perf_counter()
        classification = classify(site=site, text=record.query.text, embedder=self.embedder)
        cases = similar_cases(
            site=site,
            text=record.query.text,
            k=RETRIEVAL_K,
            embedder=self.embedder,
            with_global=False,
            category_prior=classification.distribution if classification else None,
        )
        record.retrieval_ms = (time.perf_counter() - started) * 1000
        record.nothing_related = not any(case.related for case in cases)
        record.violations += self.foreign_count(cases, site.pk)
        record.ranking, record.outside = self.dataset_ids(cases)

    def context(self, record: QueryRecord, site):
        """The grounding both triage and drafts use in production (tickets.triage.grounding_for): built
        once per query, its build time added to each suggestion's latency since production builds it for
        each. Returns the context, the site classifier's reading and the build time."""
        from tickets.triage import grounding_for

        started = time.perf_counter()
        context, classification = grounding_for(
            site=site, text=record.query.conversation_text, with_global=False, embedder=self.embedder
        )
        record.violations += self.foreign_count(context.cases, site.pk)
        return context, classification, (time.perf_counter() - started) * 1000

    def triage(self, record: QueryRecord, site, context, classification, context_ms: float) -> None:
        from tickets.triage import categorize_text

        started = time.perf_counter()
        result = categorize_text(
            site=site,
            text=record.query.text,
            context=context,
            provider=self.provider,
            classification=classification,
        )
        record.triage_ms = context_ms + (time.perf_counter() - started) * 1000
        record.triage_category = result.category
        record.triage_confidence = result.confidence
        record.triage_accepted = result.category is not None and not result.needs_human
        record.triage_tokens = result.usage.prompt_tokens + result.usage.completion_tokens

    def draft(self, record: QueryRecord, site, context, context_ms: float) -> None:
        started = time.perf_counter()
        result = self.provider.draft_reply(
            site=site, text=record.query.text, context=context, already_said=record.query.said_before
        )
        record.draft_ms = context_ms + (time.perf_counter() - started) * 1000
        by_key = {source.key: source for source in context.sources}
        record.violations += sum(1 for key in result.citations if key not in by_key)
        record.reply, record.reply_refused = result.body, bool(result.refused or not result.citations)
        record.reply_cited, _ = self.dataset_ids(
            [by_key[key].case for key in result.citations if key in by_key]
        )
        record.reply_sources = [by_key[key].text for key in result.citations if key in by_key]
        record.draft_tokens = result.usage.prompt_tokens + result.usage.completion_tokens
        if context.sources:
            top = context.sources[0]
            record.baseline_reply = top.case.resolution or top.text
            record.baseline_refused = False
            record.baseline_cited, _ = self.dataset_ids([top.case])
            record.baseline_sources = [top.text]


def _bm25_indexes(dataset: Dataset) -> dict[str, BM25]:
    return {
        site: BM25([d.id for d in docs], [d.text for d in docs])
        for site in dataset.sites
        if (docs := dataset.documents_of(site))
    }


def _dense_indexes(sandbox: Sandbox, model_name: str) -> dict[str, DenseIndex]:
    """Each dataset site's indexed chunk vectors (its own rows only), for the exact-cosine baseline."""
    from retrieval.models import Chunk

    indexes = {}
    for name, site in sandbox.sites.items():
        rows = [
            (sandbox.documents[(source_type, source_id)], vector)
            for source_type, source_id, vector in Chunk.objects.filter(
                site=site, embedding_model=model_name
            ).values_list("source_type", "source_id", "embedding")
            if (source_type, source_id) in sandbox.documents
        ]
        if rows:
            owners = [owner for owner, _ in rows]
            indexes[name] = DenseIndex(owners, owners, [vector for _, vector in rows])
    return indexes


def _tfidf_classifiers(dataset: Dataset) -> dict[str, TfidfLogisticRegression]:
    classifiers = {}
    for site in dataset.sites:
        labelled = [d for d in dataset.documents_of(site) if d.category]
        if labelled:
            classifiers[site] = TfidfLogisticRegression(
                [d.text for d in labelled], [d.category for d in labelled]
            )
    return classifiers


def run_queries(dataset: Dataset, sandbox: Sandbox, options: RunOptions) -> list[QueryRecord]:
    from retrieval.grounding import DEFAULT_K

    pipeline = Pipeline(sandbox, options.provider, dataset.categories)
    indexes = _bm25_indexes(dataset)
    dense_indexes = _dense_indexes(sandbox, pipeline.embedder.model_name)
    tfidf = _tfidf_classifiers(dataset)
    labels = {d.id: d.category for d in dataset.documents}
    records = []
    for query in tqdm(dataset.queries, desc="queries", unit="q", disable=not options.progress):
        site = sandbox.site_for(query.site)
        record = QueryRecord(query=query, site_id=site.pk)
        if query.history:  # a follow-up is scored on its reply: does it move on without repeating?
            if "replies" in options.suites:
                context, _classification, context_ms = pipeline.context(record, site)
                pipeline.draft(record, site, context, context_ms)
                records.append(record)
            continue
        index, dense = indexes.get(query.site), dense_indexes.get(query.site)
        vector = pipeline.embedder.embed([query.text])[0] if dense else None
        if "retrieval" in options.suites:
            pipeline.retrieve(record, site)
            record.bm25_ranking = (
                [doc_id for doc_id, _ in index.search(query.text, RETRIEVAL_K)] if index else []
            )
            record.dense_ranking = (
                [doc_id for doc_id, _ in dense.search(vector, RETRIEVAL_K)] if dense else []
            )
        if "triage" in options.suites or "replies" in options.suites:
            context, classification, context_ms = pipeline.context(record, site)
        if "triage" in options.suites:
            pipeline.triage(record, site, context, classification, context_ms)
            record.vote_category = bm25_vote(index, labels, query.text, k=DEFAULT_K)[0] if index else None
            record.dense_vote_category = dense_vote(dense, labels, vector, k=DEFAULT_K)[0] if dense else None
            record.tfidf_category = tfidf[query.site].predict(query.text) if query.site in tfidf else None
        if "replies" in options.suites:
            pipeline.draft(record, site, context, context_ms)
        records.append(record)
    return records


def _score(
    name: str, system, baselines: dict | None = None, *, higher_is_better: bool = True, n=None, **extra
) -> tuple:
    return name, {
        "system": system,
        "baselines": baselines or {},
        "higher_is_better": higher_is_better,
        "n": n,
        **extra,
    }


def score_triage(dataset: Dataset, records: list[QueryRecord]) -> tuple[list[tuple], dict]:
    rows = [r for r in records if r.query.category and not r.query.history]
    gold = [r.query.category for r in rows]
    system = metrics.classification_scores(gold, [r.triage_category for r in rows], dataset.categories)
    majority = metrics.majority_label([d.category for d in dataset.documents if d.category])
    baselines = {
        "majority": metrics.classification_scores(gold, [majority] * len(rows), dataset.categories),
        "bm25-vote": metrics.classification_scores(gold, [r.vote_category for r in rows], dataset.categories),
        "dense-vote": metrics.classification_scores(
            gold, [r.dense_vote_category for r in rows], dataset.categories
        ),
        "tfidf-lr": metrics.classification_scores(gold, [r.tfidf_category for r in rows], dataset.categories),
    }
    accepted = [r for r in rows if r.triage_accepted]
    coverage = len(accepted) / len(rows) if rows else None
    accuracy_accepted = metrics.mean(
        [1.0 if r.triage_category == r.query.category else 0.0 for r in accepted]
    )
    scores = [
        _score(
            "triage.accuracy",
            system["accuracy"],
            {k: v["accuracy"] for k, v in baselines.items()},
            n=len(rows),
        ),
        _score(
            "triage.macro_f1",
            system["macro_f1"],
            {k: v["macro_f1"] for k, v in baselines.items()},
            n=len(rows),
        ),
        _score("triage.coverage_above_threshold", coverage, n=len(rows)),
        _score("triage.accuracy_above_threshold", accuracy_accepted, n=len(accepted)),
    ]
    details = {
        "system": system,
        "baselines": baselines,
        "majority_label": majority,
        "threshold": {"coverage": coverage, "accuracy": accuracy_accepted, "accepted": len(accepted)},
    }
    return scores, details


def score_retrieval(records: list[QueryRecord]) -> tuple[list[tuple], dict]:
    rows = [r for r in records if r.query.relevant]
    relevant = [set(r.query.relevant) for r in rows]
    system = metrics.retrieval_scores([r.ranking for r in rows], relevant, RECALL_KS)
    bm25 = metrics.retrieval_scores([r.bm25_ranking for r in rows], relevant, RECALL_KS)
    dense = metrics.retrieval_scores([r.dense_ranking for r in rows], relevant, RECALL_KS)
    names = [f"recall@{k}" for k in (1, 5, 10)] + ["mrr", "ndcg@10", "map"]
    scores = [
        _score(f"retrieval.{name}", system[name], {"bm25": bm25[name], "dense": dense[name]}, n=len(rows))
        for name in names
    ]
    details = {
        "system": system,
        "bm25": bm25,
        "dense": dense,
        "recall_curve": {
            "k": list(RECALL_KS),
            "system": [system[f"recall@{k}"] for k in RECALL_KS],
            "bm25": [bm25[f"recall@{k}"] for k in RECALL_KS],
            "dense": [dense[f"recall@{k}"] for k in RECALL_KS],
        },
        "outside_results": sum(r.outside for r in records),
        # Queries with a relevant case where no case was related: a similar-cases panel shows nothing.
        "nothing_related": sum(r.nothing_related for r in rows),
    }
    return scores, details


def _reply_scores(
    records: list[QueryRecord],
    cache: judges.EmbeddingCache,
    *,
    baseline: bool,
    skip: set[str],
    llm_judge: judges.LLMJudge | None = None,
) -> dict:
    def reply(r):
        return r.baseline_reply if baseline else r.reply

    def refused(r):
        return r.baseline_refused if baseline else r.reply_refused

    def cited(r):
        return r.baseline_cited if baseline else r.reply_cited

    def sources(r):
        return r.baseline_sources if baseline else r.reply_sources

    answerable = [r for r in records if r.query.answerable is not False and r.query.relevant]
    precision = [
        sum(1 for d in cited(r) if d in set(r.query.relevant)) / len(cited(r)) for r in answerable if cited(r)
    ]
    facts = [
        judges.fact_recall(r.query.facts, reply(r), cache) if not refused(r) else 0.0
        for r in records
        if r.query.facts and r.query.answerable is not False
    ]

    def ground(r):
        if llm_judge is not None:
            return llm_judge.groundedness(reply(r), sources(r), skip)
        return judges.groundedness(reply(r), sources(r), cache, skip)

    def repeats(r) -> bool:
        """Whether the reply says again a sentence the conversation's earlier answers said."""
        earlier = [
            set(judges.key_tokens(part)) for said in r.query.said_before for part in judges.sentences(said)
        ]
        return any(
            judges.containment(sentence, tokens) >= judges.SUPPORT_CONTAINMENT
            for sentence in judges.sentences(reply(r))
            if judges.key_tokens(sentence)
            for tokens in earlier
            if tokens
        )

    follow_ups = [r for r in records if r.query.history]
    grounded = [g for r in records if not refused(r) and (g := ground(r)) is not None]
    unanswerable = [r for r in records if r.query.answerable is False]
    labelled = [r for r in records if r.query.answerable is True]
    return {
        "citation_precision": metrics.mean(precision),
        "fact_recall": metrics.mean(facts),
        "groundedness": metrics.mean(grounded),
        "refusal_accuracy": metrics.mean([1.0 if refused(r) else 0.0 for r in unanswerable]),
        "answer_rate": metrics.mean([0.0 if refused(r) else 1.0 for r in labelled]),
        "follow_up_repeat_rate": metrics.mean([1.0 if repeats(r) else 0.0 for r in follow_ups]),
        "counts": {
            "citation_precision": len(precision),
            "fact_recall": len(facts),
            "groundedness": len(grounded),
            "refusal_accuracy": len(unanswerable),
            "answer_rate": len(labelled),
            "follow_up_repeat_rate": len(follow_ups),
        },
    }


def score_replies(records: list[QueryRecord], *, llm: bool = False) -> tuple[list[tuple], dict]:
    """Reply scores; `llm` judges groundedness with the openai chat model instead of embeddings."""
    from retrieval.embedders import get_embedder

    cache = judges.EmbeddingCache(get_embedder())
    llm_judge = None
    if llm:
        from ai.openai_provider import OpenAIProvider

        llm_judge = judges.LLMJudge(OpenAIProvider(), cache)
    skip = judges.template_sentences(r.reply for r in records if not r.reply_refused)
    system = _reply_scores(records, cache, baseline=False, skip=skip, llm_judge=llm_judge)
    baseline = _reply_scores(records, cache, baseline=True, skip=set(), llm_judge=llm_judge)
    # The LLM judge's controls would triple its calls (and a replayed run's cassette); the embedding
    # judge's are cheap, and they are the ones needed: offline, groundedness is high by construction.
    controls = None
    if llm_judge is None:
        controls = judges.groundedness_controls(
            [(r.reply, r.reply_sources) for r in records if not r.reply_refused], cache, skip
        )
    names = ["citation_precision", "fact_recall", "groundedness", "refusal_accuracy", "answer_rate"]
    scores = [
        _score(f"replies.{name}", system[name], {"top-resolution": baseline[name]}, n=system["counts"][name])
        for name in names
    ]
    if controls is not None:
        grounded = dict(scores)["replies.groundedness"]
        grounded["sanity_check"] = True  # reported beside its controls, not as a measure of quality
        grounded["controls"] = {name: control["groundedness"] for name, control in controls.items()}
    if system["counts"]["follow_up_repeat_rate"]:
        scores.append(
            _score(
                "replies.follow_up_repeat_rate",
                system["follow_up_repeat_rate"],
                {"top-resolution": baseline["follow_up_repeat_rate"]},
                higher_is_better=False,
                n=system["counts"]["follow_up_repeat_rate"],
            )
        )
    details = {
        "system": system,
        "top-resolution": baseline,
        "judge": {
            "groundedness": "llm" if llm_judge else "embedding-similarity",
            "llm_calls": llm_judge.calls if llm_judge else 0,
            "llm_fallbacks": llm_judge.fallbacks if llm_judge else 0,
            "fact_similarity": judges.FACT_SIMILARITY,
            "support_similarity": judges.SUPPORT_SIMILARITY,
            "support_containment": judges.SUPPORT_CONTAINMENT,
            "template_sentences_skipped": sorted(skip),
            "groundedness_controls": controls,
        },
    }
    return scores, details


def score_cost(records: list[QueryRecord]) -> list[tuple]:
    scores = []
    for label, attr in (("retrieval", "retrieval_ms"), ("triage", "triage_ms"), ("draft", "draft_ms")):
        values = [getattr(r, attr) for r in records if getattr(r, attr) is not None]
        if values:
            for q in (50, 95):
                scores.append(
                    _score(
                        f"cost.{label}_latency_p{q}_ms", metrics.percentile(values, q), higher_is_better=False
                    )
                )
    for label, attr in (("triage", "triage_tokens"), ("draft", "draft_tokens")):
        values = [getattr(r, attr) for r in records if getattr(r, attr) is not None]
        if values:
            scores.append(_score(f"cost.tokens_per_{label}", metrics.mean(values), higher_is_better=False))
    return scores


def build_report(dataset: Dataset, records: list[QueryRecord], options: RunOptions, run: dict) -> dict:
    scores: list[tuple] = []
    details: dict = {}
    if "triage" in options.suites:
        part, details["triage"] = score_triage(dataset, records)
        scores += part
    if "retrieval" in options.suites:
        part, details["retrieval"] = score_retrieval(records)
        scores += part
    if "replies" in options.suites:
        llm = (options.provider or settings.AI_PROVIDER) == "openai"
        part, details["replies"] = score_replies(records, llm=llm)
        scores += part
    violations = sum(r.violations for r in records)
    scores.append(_score("isolation.violations", violations, higher_is_better=False, n=len(records)))
    details["isolation"] = {
        "violations": violations,
        "queries_with_violations": [r.query.id for r in records if r.violations],
    }
    scores += score_cost(records)
    return {"run": run, "scores": dict(scores), "details": details, "notes": []}


def groundedness_note(score: dict, judge: dict) -> str:
    """Groundedness as a sanity check, with the controls that show whether the judge can fail."""
    wrong, invented = (
        judge["groundedness_controls"]["wrong_source"],
        judge["groundedness_controls"]["invented_claim"],
    )

    def text(value) -> str:
        return "—" if value is None else f"{value:.3f}"

    return (
        f"replies.groundedness ({text(score['system'])}) is a sanity check here, not a measure of quality: "
        "the offline replies are composed from their cited sources' sentences, which the judge then finds. "
        f"Its controls: the same replies judged against another reply's sources score "
        f"{text(wrong['groundedness'])} (lower for {text(wrong['caught'])} of them), and with one invented "
        f"claim added {text(invented['groundedness'])} (lower for {text(invented['caught'])})."
    )


def openai_recording(options: RunOptions, dataset: Dataset):
    """Replay (or, with --record, record) the run's OpenAI traffic, so `--provider openai` is deterministic.

    Requests match on method, URL and shape (model, stream flag, response format and schema name, message
    roles: evals.cassettes), in order: a run makes the same calls in the same order, while the
    ids inside the prompts differ between runs (each run creates fresh rows), so the text is not compared.
    """
    if (options.provider or settings.AI_PROVIDER) != "openai":
        return contextlib.nullcontext()
    from evals.cassettes import openai_vcr

    cassette = Path(options.cassette or CASSETTE_DIR / f"{dataset.name}.yaml")
    if options.record and not settings.OPENAI_API_KEY:
        raise EvalsError("--record calls the real OpenAI API: set OPENAI_API_KEY.")
    if not options.record and not cassette.is_file():
        raise EvalsError(
            f"--provider openai replays {cassette}, which does not exist: record it once with "
            "--provider openai --record and OPENAI_API_KEY set."
        )
    recorder = openai_vcr(record_mode="all" if options.record else "none")
    return recorder.use_cassette(str(cassette))


def ai_calls(sandbox: Sandbox) -> dict:
    """What the provider layer logged for the run's sites: calls per provider and outcome (fallbacks show)."""
    from django.db.models import Count, Sum

    from helpdesk.models import AIInteraction

    rows = (
        AIInteraction.objects.filter(site__in=list(sandbox.sites.values()))
        .values("provider", "outcome")
        .annotate(
            calls=Count("id"), prompt_tokens=Sum("prompt_tokens"), completion_tokens=Sum("completion_tokens")
        )
        .order_by("provider", "outcome")
    )
    return {f"{row['provider']}:{row['outcome']}": row for row in rows}


def ai_defects(sandbox: Sandbox) -> dict[str, dict[str, int]]:
    """What was wrong with the model's answers in the run (ai.base.Defect), per provider: how
    often a small model's numbers, categories, citations or text had to be repaired or rejected."""
    from collections import Counter, defaultdict

    from helpdesk.models import AIInteraction

    counts: dict[str, Counter] = defaultdict(Counter)
    rows = AIInteraction.objects.filter(site__in=list(sandbox.sites.values())).values_list(
        "provider", "defects"
    )
    for provider, defects in rows:
        counts[provider].update(defects)
    return {
        provider: dict(sorted(counter.items())) for provider, counter in sorted(counts.items()) if counter
    }


def defects_note(defects: dict[str, dict[str, int]]) -> str:
    return (
        "Model answers repaired or rejected: "
        + "; ".join(
            f"{provider}: " + ", ".join(f"{defect} {count}" for defect, count in counts.items())
            for provider, counts in defects.items()
        )
        + " (details.ai_defects; each is an AI log row's `defects`)."
    )


def write_results(records: list[QueryRecord], out: Path) -> Path:
    """results.jsonl: what the system and the baselines did for each query, to read where it went wrong."""
    path = out / "results.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for r in records:
            row = {
                "id": r.query.id,
                "site": r.query.site,
                "text": r.query.text,
                "gold": {
                    "category": r.query.category,
                    "relevant": r.query.relevant,
                    "answerable": r.query.answerable,
                },
                "triage": {
                    "category": r.triage_category,
                    "confidence": r.triage_confidence,
                    "accepted": r.triage_accepted,
                    "bm25_vote": r.vote_category,
                },
                "retrieval": {
                    "system": r.ranking,
                    "bm25": r.bm25_ranking,
                    "dense": r.dense_ranking,
                    "outside": r.outside,
                },
                "reply": {"body": r.reply, "refused": r.reply_refused, "cited": r.reply_cited},
                "baseline_reply": {
                    "body": r.baseline_reply,
                    "refused": r.baseline_refused,
                    "cited": r.baseline_cited,
                },
                "violations": r.violations,
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def learn_sites(sandbox: Sandbox) -> dict:
    """What the worker does after indexing a site: learn its search profile and train its triage model
    from its own rows (knowledge.search_tuning, tickets.classifier). Returns what each site learnt."""
    from knowledge.search_tuning import tune_site_search
    from tickets.classifier import train_site_classifier

    learnt = {}
    for name, site in sandbox.sites.items():
        profile = tune_site_search(site=site, with_global=False)  # the run searches without it
        model = train_site_classifier(site=site)
        learnt[name] = {
            "search": None
            if profile is None
            else {
                "dense_weight": profile.dense_weight,
                "article_dense_weight": profile.article_dense_weight,
                "typical_coverage": profile.typical_coverage,
                "min_similarity": profile.min_similarity,
                "pseudo_queries": profile.pseudo_queries,
                "mrr_by_weight": profile.details.get("mrr_by_weight"),
            },
            "triage_model": None
            if model is None
            else {
                "examples": model.examples,
                "categories": model.categories,
                "regression_share": model.regression_share,
                "calibration": model.calibration,
            },
        }
    return learnt


def new_run_id() -> str:
    return f"{timezone.now():%Y%m%d%H%M%S}-{secrets.token_hex(2)}"


def run_evals(options: RunOptions, *, echo: Callable[[str], None] = lambda _message: None) -> dict:
    """Run the suites of `options` on a dataset and write report.json and report.html; returns the report.

    The throwaway sites are deleted on the way out of the run, so even a failing run leaves no rows behind.
    """
    from knowledge.services import index_site
    from retrieval.embedders import model_name_for

    dataset = load_dataset(options.dataset).only_split(options.split).limited(options.limit)
    if options.tickets_as_chats:
        dataset = dataset.tickets_as_chats()
    recording = openai_recording(options, dataset)
    run_id = new_run_id()
    started_at, started = timezone.now(), time.monotonic()
    sandbox = Sandbox(run_id=run_id)
    with contextlib.ExitStack() as cleanup:
        # Registered first, so it runs last: after the recording closes, and whatever failed before.
        cleanup.callback(sandbox.destroy)
        cleanup.enter_context(recording)
        sandbox.create(dataset)
        echo(
            f"Loading {len(dataset.documents)} documents into {len(sandbox.sites)} throwaway sites ({run_id})"
        )
        sandbox.load(dataset.documents)
        index_started = time.monotonic()
        with tqdm(
            total=len(dataset.documents), desc="indexing", unit="doc", disable=not options.progress
        ) as bar:
            for site in sandbox.sites.values():
                index_site(site=site, progress=bar)
        index_seconds = time.monotonic() - index_started
        learning_started = time.monotonic()
        learnt = learn_sites(sandbox)
        learning_seconds = time.monotonic() - learning_started
        records = run_queries(dataset, sandbox, options)
        calls = ai_calls(sandbox)
        defects = ai_defects(sandbox)
        provider = options.provider or settings.AI_PROVIDER
        run = {
            "id": run_id,
            "started_at": started_at.isoformat(timespec="seconds"),
            "dataset": {
                "name": dataset.name,
                "path": str(options.dataset),
                "documents": len(dataset.documents),
                "queries": len(dataset.queries),
                "sites": len(dataset.sites),
            },
            "suites": list(options.suites),
            "provider": provider,
            "embedder": model_name_for(),
            "limit": options.limit,
            "split": options.split,
            "index_seconds": round(index_seconds, 2),
            "learning_seconds": round(learning_seconds, 2),
        }
        # Scored before the recording closes: with --provider openai the LLM judge's calls replay too.
        report = build_report(dataset, records, options, run)
        report["details"]["ai_calls"] = calls
        report["details"]["ai_defects"] = defects
        report["details"]["learnt"] = learnt
    fallbacks = sum(row["calls"] for key, row in calls.items() if key.endswith(":fallback"))
    if fallbacks:
        report["notes"].append(
            f"{fallbacks} provider call(s) failed and were answered by the offline fallback."
        )
    if defects:
        report["notes"].append(defects_note(defects))
    judge = report["details"].get("replies", {}).get("judge", {})
    if judge.get("groundedness") == "llm":
        report["notes"].append(
            f"Groundedness judged by {provider}'s chat model ({judge['llm_calls']} calls, "
            f"{judge['llm_fallbacks']} left to the embedding judge); facts by embedding similarity."
        )
    elif judge:
        report["notes"].append("Replies judged by embedding similarity with the configured embedder.")
    if judge.get("groundedness_controls"):
        report["notes"].append(groundedness_note(report["scores"]["replies.groundedness"], judge))
    outside = report["details"].get("retrieval", {}).get("outside_results")
    if outside:
        report["notes"].append(
            f"{outside} retrieved result(s) were global KB rows outside the dataset; "
            "they count as not relevant."
        )
    hidden = report["details"].get("retrieval", {}).get("nothing_related")
    if hidden:
        report["notes"].append(
            f"{hidden} query(ies) with a relevant case had no related case (under the site's floor, few "
            "words shared): ranked and scored, but a similar-cases panel shows nothing for them."
        )
    if options.compare:
        previous = json.loads(Path(options.compare).read_text(encoding="utf-8"))
        report["compare"] = {"path": str(options.compare), "deltas": compare_deltas(report, previous)}
    report["run"]["duration_s"] = round(time.monotonic() - started, 2)
    out = Path(options.out) if options.out else Path(settings.VAR_DIR) / "evals" / run_id
    out.mkdir(parents=True, exist_ok=True)
    write_json(report, out)
    write_html(report, out)
    write_results(records, out)
    report["run"]["out"] = str(out)
    return report

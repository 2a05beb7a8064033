"""KB drafts that grow from resolved work: cluster a site's recent resolved tickets and closed chats that
share a problem and a fix, and draft one article per cluster that no article covers yet.

Each case is embedded as "title, problem, fix" with the local embedder and clustered by average-linkage
agglomerative clustering on cosine distance. The extractive draft (offline, and the fallback on any AI
failure) takes the most central case's title, the problem sentences most shared across the cluster as
symptoms and the fix sentences most shared as steps. With OpenAI configured, one grounded call writes the
article from the members instead (`ai.openai_provider.write_article`: every step cites the cases it comes
from). Either way the draft cites every member. The thresholds are derived from the demo data's labelled
archetypes (`manage.py kb_drafts_calibrate`, docs/knowledge-drafts.md). Writes go through
knowledge.services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ai.base import ArticleCase, ArticleResult, ArticleStep
from ai.providers import get_provider
from chat.models import Conversation, Message
from helpdesk.models import Site
from helpdesk.tenancy import scope_to_site
from knowledge.documents import INDEXED_TICKET_STATES
from knowledge.models import Article, ArticleDraft
from retrieval.embedders import Embedder, get_embedder
from retrieval.models import Chunk, SourceType
from tickets.models import Ticket

RECENT_DAYS = 90
MIN_CLUSTER_SIZE = 3
# Cosine similarity (1 - average-linkage distance) at which two cases share a problem and a fix.
# Rule: the lowest threshold at which at least 90% of the demo pairs above it share an archetype
# (see docs/knowledge-drafts.md for the table). An article whose mean similarity to the members
# reaches the same line would have joined the cluster, so it covers the cluster.
CLUSTER_SIMILARITY = 0.55
# A new cluster with at least this share of its members in an existing draft is that draft again.
OVERLAP_SHARE = 0.5
SAME_SENTENCE = 0.9
MAX_SYMPTOMS = 3
MAX_STEPS = 5
MAX_EMBED_CHARS = 1200
MAX_BACKGROUND_CASES = 60
BACKGROUND_MATCHES = 3

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
_TITLE_NOISE = re.compile(r"^(re|fw|fwd)\s*:\s*|\b(urgent|asap|help|please)\b[!:\s-]*", re.IGNORECASE)


@dataclass
class Case:
    """One resolved ticket or closed chat as the clustering sees it."""

    source_type: str
    source_id: int
    title: str
    problem: str
    resolution: str
    category_id: int | None = None

    @property
    def text(self) -> str:
        return case_text(self.title, self.problem, self.resolution)

    @property
    def key(self) -> str:
        return f"{self.source_type}:{self.source_id}"


def case_text(title: str, problem: str, resolution: str) -> str:
    """What a case is embedded as for clustering: the same for the job and the calibration."""
    return f"{title}\nProblem: {problem.strip()}\nFix: {resolution.strip()}"[:MAX_EMBED_CHARS]


def recent_cases(*, site: Site, days: float = RECENT_DAYS) -> list[Case]:
    """The site's tickets resolved and chats closed in the last `days` days, with a resolution."""
    since = timezone.now() - timedelta(days=days)
    tickets = scope_to_site(
        Ticket.objects.filter(
            state__in=INDEXED_TICKET_STATES, merged_into__isnull=True, resolved_at__gte=since
        ).exclude(resolution=""),
        site,
    ).order_by("pk")
    cases = [
        Case(SourceType.TICKET, t.pk, t.title, t.description, t.resolution, t.category_id) for t in tickets
    ]
    conversations = scope_to_site(
        Conversation.objects.filter(state=Conversation.State.CLOSED, closed_at__gte=since), site
    ).order_by("pk")
    for conversation in conversations.prefetch_related("messages"):
        turns = sorted(conversation.messages.all(), key=lambda m: (m.created_at, m.pk))
        asked = [m.body.strip() for m in turns if m.author_kind == Message.Author.CUSTOMER]
        answers = [
            m.body.strip()
            for m in turns
            if m.author_kind in (Message.Author.ENGINEER, Message.Author.ASSISTANT) and m.body.strip()
        ]
        if not asked or not answers:
            continue
        title = conversation.subject or asked[0][:80]
        cases.append(
            Case(
                SourceType.TRANSCRIPT,
                conversation.pk,
                title,
                " ".join(asked),
                answers[-1],
                conversation.category_id,
            )
        )
    return cases


def _embed(texts: list[str], embedder: Embedder) -> np.ndarray:
    vectors = np.asarray(embedder.embed(texts), dtype=float)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def cluster_labels(vectors: np.ndarray, *, similarity: float = CLUSTER_SIMILARITY) -> np.ndarray:
    """Average-linkage clusters whose members are on average at least `similarity` alike."""
    from sklearn.cluster import AgglomerativeClustering  # heavy import; only the daily job clusters

    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1 - similarity
    )
    return model.fit_predict(vectors)


def clean_title(title: str) -> str:
    cleaned = _TITLE_NOISE.sub("", title.strip())
    cleaned = re.sub(r"[!?.]{2,}$|[!.]+$", "", cleaned).strip(" -:")
    cleaned = re.sub(r"\s{2,}", " ", cleaned)
    return (cleaned[:1].upper() + cleaned[1:])[:200] if cleaned else title.strip()[:200]


def _sentences(text: str) -> list[str]:
    return [s.strip(" -•\t") for s in _SENTENCE_SPLIT.split(text) if len(s.strip()) >= 12]


def shared_sentences(
    texts: list[str], *, embedder: Embedder, limit: int, background: list[str] = ()
) -> list[str]:
    """The sentences of `texts` (one text per member) most shared across the members and not common
    elsewhere: a sentence scores its mean best cosine to the other members' sentences minus how common it
    is in `background` (the site's other cases), so courtesy lines every ticket has ("Called Jo back",
    "happy for this to be closed") drop out; only positive scores are kept (at least the best one), and
    near-identical sentences once."""
    owned = [(owner, s) for owner, text in enumerate(texts) for s in _sentences(text)]
    if not owned:
        return []
    other = [(owner, s) for owner, text in enumerate(background) for s in _sentences(text)]
    vectors = _embed([s for _, s in owned + other], embedder)
    mine, theirs = vectors[: len(owned)], vectors[len(owned) :]
    owners = np.array([owner for owner, _ in owned])
    sims = mine @ mine.T
    elsewhere = np.zeros(len(owned))
    if other:
        bg = mine @ theirs.T
        bg_owners = np.array([owner for owner, _ in other])
        best = np.stack([bg[:, bg_owners == o].max(axis=1) for o in set(bg_owners.tolist())], axis=1)
        # How common a sentence is elsewhere: its mean match in the BACKGROUND_MATCHES cases that say it
        # best, so a step one neighbouring case shares still counts but a line every ticket has does not.
        elsewhere = -np.sort(-best, axis=1)[:, :BACKGROUND_MATCHES].mean(axis=1)
    scores = []
    for i, (owner, _) in enumerate(owned):
        others = [sims[i, owners == o].max() for o in set(owners.tolist()) if o != owner]
        scores.append((float(np.mean(others)) if others else 0.0) - float(elsewhere[i]))
    chosen: list[int] = []
    for i in np.argsort(scores, kind="stable")[::-1]:
        if chosen and (scores[i] <= 0 or len(chosen) >= limit):
            break
        if all(sims[i, j] < SAME_SENTENCE for j in chosen):
            chosen.append(int(i))
    return [owned[i][1] for i in chosen]


@dataclass
class ClusterDraft:
    cases: list[Case]
    title: str
    body: str
    category_id: int | None
    near_duplicate_of: Article | None = None
    similarity: float | None = None


def _citation(case: Case) -> str:
    if case.source_type == SourceType.TICKET:
        return f"[ticket #{case.source_id}]({reverse('tickets:detail', args=[case.source_id])})"
    return f"[chat #{case.source_id}]({reverse('chat:conversation', args=[case.source_id])})"


def extractive_article(
    cases: list[Case], *, title: str, embedder: Embedder, background: list[Case] = ()
) -> ArticleResult:
    """The cluster's most shared, least generic problem and fix sentences, quoted as they were written."""
    symptoms = shared_sentences(
        [c.problem for c in cases],
        embedder=embedder,
        limit=MAX_SYMPTOMS,
        background=[c.problem for c in background],
    )
    steps = shared_sentences(
        [c.resolution for c in cases],
        embedder=embedder,
        limit=MAX_STEPS,
        background=[c.resolution for c in background],
    )
    return ArticleResult(
        title=title,
        symptoms=tuple(symptoms),
        steps=tuple(ArticleStep(s) for s in steps),
        sources=tuple(c.key for c in cases),
        extractive=True,
    )


_MEMBER_LINK = r"\[(?:ticket|chat) #\d+\]\([^)\s]*\)"
_STEP_CITATION_RE = re.compile(rf" \((?:{_MEMBER_LINK})(?:, {_MEMBER_LINK})*\)")
_BASED_ON_RE = re.compile(rf"\n*^Based on {_MEMBER_LINK}(?:, {_MEMBER_LINK})*\.[ \t]*$", re.MULTILINE)


def published_body(body: str) -> str:
    """The reviewed body as customers read it: without the links to the cluster's tickets and chats,
    which only engineers can open (the draft keeps its members, so the provenance is not lost)."""
    return _BASED_ON_RE.sub("", _STEP_CITATION_RE.sub("", body)).rstrip()


def article_body(article: ArticleResult, cases: list[Case]) -> str:
    """The draft's markdown: symptoms, numbered steps (each with the cases a model said it comes from),
    and every member cited."""
    by_key = {c.key: c for c in cases}
    lines = ["## Symptoms", "", *(f"- {s}" for s in article.symptoms), "", "## Steps", ""]
    for n, step in enumerate(article.steps, 1):
        cited = [_citation(by_key[key]) for key in step.sources if key in by_key]
        lines.append(f"{n}. {step.text}" + (f" ({', '.join(cited)})" if cited else ""))
    lines += ["", "Based on " + ", ".join(_citation(c) for c in cases) + "."]
    return "\n".join(lines)


def written_article(
    cases: list[Case], *, site: Site, title: str, embedder: Embedder, background: list[Case], provider=None
) -> ArticleResult:
    """The article for a cluster: the configured provider's, with the extractive draft as the offline
    answer and the fallback when the model fails (the guard logs the call)."""
    extractive = extractive_article(cases, title=title, embedder=embedder, background=background)
    members = [ArticleCase(c.key, c.title, c.problem, c.resolution) for c in cases]
    return (provider or get_provider()).write_article(site=site, cases=members, extractive=extractive)


def covering_article(*, site: Site, centroid: np.ndarray, model_name: str) -> tuple[Article | None, float]:
    """The published article of the site (or global) most alike the cluster: the best chunk's dot with the
    members' mean vector, i.e. its mean cosine to the members (what average linkage joins on)."""
    chunks = Chunk.objects.filter(
        Q(site=site) | Q(site__isnull=True),
        source_type=SourceType.ARTICLE,
        embedding_model=model_name,
        document__article__state=Article.State.PUBLISHED,
    ).values_list("source_id", "embedding")
    best_id, best = None, 0.0
    for article_id, embedding in chunks:
        vector = np.asarray(embedding, dtype=float)
        score = float(vector @ centroid / (np.linalg.norm(vector) or 1))
        if score > best:
            best_id, best = article_id, score
    if best_id is None:
        return None, 0.0
    return Article.objects.filter(pk=best_id).first(), best


def fingerprint(cases: list[Case]) -> set[str]:
    return {f"{c.source_type}:{c.source_id}" for c in cases}


def known_fingerprints(site: Site) -> list[set[str]]:
    drafts = ArticleDraft.objects.filter(site=site).prefetch_related("tickets", "conversations")
    return [
        {f"{SourceType.TICKET}:{t.pk}" for t in d.tickets.all()}
        | {f"{SourceType.TRANSCRIPT}:{c.pk}" for c in d.conversations.all()}
        for d in drafts
    ]


def is_known(members: set[str], known: list[set[str]]) -> bool:
    """A cluster mostly inside an existing draft (proposed, published or dismissed) is that draft."""
    return any(len(members & seen) >= OVERLAP_SHARE * len(members) for seen in known)


def propose_clusters(
    *, site: Site, days: float = RECENT_DAYS, embedder: Embedder | None = None, provider=None
) -> list[ClusterDraft]:
    """The new clusters of `site` as drafts (or near-duplicate flags); nothing is written but the AI
    log of each article's call."""
    embedder = embedder or get_embedder()
    cases = recent_cases(site=site, days=days)
    if len(cases) < MIN_CLUSTER_SIZE:
        return []
    vectors = _embed([c.text for c in cases], embedder)
    labels = cluster_labels(vectors)
    known = known_fingerprints(site)
    proposals = []
    for label in sorted(set(labels.tolist())):
        idx = np.flatnonzero(labels == label)
        if len(idx) < MIN_CLUSTER_SIZE:
            continue
        members = [cases[i] for i in idx]
        if is_known(fingerprint(members), known):
            continue
        sims = vectors[idx] @ vectors[idx].T
        central = members[int(np.argmax(sims.mean(axis=1)))]
        categories = [c.category_id for c in members if c.category_id]
        category_id = max(set(categories), key=categories.count) if categories else None
        article, score = covering_article(
            site=site, centroid=vectors[idx].mean(axis=0), model_name=embedder.model_name
        )
        if article is not None and score >= CLUSTER_SIMILARITY:
            proposals.append(
                ClusterDraft(members, clean_title(central.title), "", category_id, article, score)
            )
            continue
        outside = [c for i, c in enumerate(cases) if labels[i] != label][:MAX_BACKGROUND_CASES]
        written = written_article(
            members,
            site=site,
            title=clean_title(central.title),
            embedder=embedder,
            background=outside,
            provider=provider,
        )
        proposals.append(ClusterDraft(members, written.title, article_body(written, members), category_id))
    return proposals

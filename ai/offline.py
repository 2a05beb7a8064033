"""The offline provider: no network, no model weights beyond the embedder retrieval already uses.

Categorization takes the site's own trained classifier when it has one (tickets.classifier: its category
and calibrated confidence, accepted at `AUTO_TRIAGE_CONFIDENCE`); otherwise, on a site too new to have
one, it is a k-nearest-neighbour vote over the site's retrieved cases. Replies are composed from those
cases' resolutions and KB steps, each step citing where it came from. When nothing similar enough was
retrieved it says so instead of guessing.

Why the vote generalizes (docs/ai.md has the long form): retrieved cases vote by their rank, the
case at rank r with weight 1/r (a reciprocal-rank vote: retrieval's order is its most reliable output,
while fused scores are nearly flat across the top few). A case below the site's floor, or of a category
the site no longer has, abstains and keeps its weight. Confidence is the winner's share of all the
ranks' weight, abstentions included, and the winner is accepted only with a strict majority (> 0.5).
Neither number is fitted to our data: 0.5 is the majority rule and the floor is the retrieval layer's
own line between related and unrelated text for the site and its embedding model. The reciprocal-rank
weights beat the fused-score weights on the dev splits of every dataset we have (docs/ai.md).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence

from ai.base import (
    ArticleCase,
    ArticleResult,
    CategorizeResult,
    CategoryPrediction,
    DraftResult,
    SummaryResult,
    Turn,
    Usage,
)
from ai.prompts import render_sources
from retrieval.grounding import GroundingContext, Source, similarity_cutoff
from retrieval.tokens import count_tokens
from retrieval.types import Case, SourceType

MAJORITY = 0.5
# A calibrated confidence is the chance of being right: the site classifier's category is applied when it
# is more likely right than wrong, and left for a human otherwise (docs/ai.md).
AUTO_TRIAGE_CONFIDENCE = 0.5
MAX_TAGS = 3
STREAM_CHUNK_WORDS = 3
# A KB passage is at most this many sentences: the ones that match the question best, in their order.
PASSAGE_SENTENCES = 9
# A second source joins the answer only when retrieval scored it nearly as high as the first (its fused
# score at least this share of the first's, its cosine at most this far below) and it says something the
# first did not. Chosen on the dev splits of emanual-qa and the fixture (docs/ai.md): looser adds facts
# but cites more wrong sources.
SECOND_SOURCE_SHARE = 0.9
SECOND_SOURCE_COSINE_GAP = 0.05
# The idf-weighted share of the question's words a case must hold to be answered from on words alone.
ANSWER_COVERAGE = 0.8
# A sentence sharing this much of its vocabulary with one already in the answer (or said earlier in the
# conversation) says the same thing and is left out.
REPEAT_OVERLAP = 0.6

# fmt: off
STOPWORDS = frozenset(
    {
        "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
        "because", "been", "before", "being", "but", "by", "can", "cannot", "could", "did", "do", "does",
        "doing", "done", "for", "from", "get", "gets", "got", "had", "has", "have", "having", "he", "her",
        "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "let",
        "me", "more", "most", "my", "no", "not", "now", "of", "off", "on", "once", "only", "or", "other",
        "our", "out", "over", "own", "please", "same", "she", "should", "so", "some", "still", "such",
        "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
        "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when",
        "where", "which", "while", "who", "why", "will", "with", "would", "you", "your", "yours", "since",
        "today", "yesterday", "morning", "anyone", "everyone", "someone", "work", "working", "works",
        "issue", "problem", "help", "hi", "hello", "thanks", "thank", "regards",
    }
)
# fmt: on
_WORD = re.compile(r"[a-z0-9][a-z0-9+#.-]*[a-z0-9+#]|[a-z0-9]")


def words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in STOPWORDS}


# A ticket's draft (no ticket to offer) is read by the engineer who asked for it, not by the customer.
NO_DRAFT = (
    "No similar resolved case or knowledge-base article matches this ticket, so there is no grounded reply "
    "to suggest: write this one yourself."
)


def refusal(offer_ticket: bool) -> str:
    """The chat's honest "I don't know" with its ticket offer, or, for a ticket's draft, the note to
    the engineer that nothing grounds one."""
    if not offer_ticket:
        return NO_DRAFT
    return (
        "I could not find a similar case in our records or the knowledge base, so I would rather not "
        "guess. I can open a ticket so an engineer can look into it."
    )


class OfflineProvider:
    name = "offline"
    model = "knn-vote"

    def __init__(self, *, min_similarity: float | None = None):
        self.fixed_similarity = min_similarity
        self.min_similarity = similarity_cutoff() if min_similarity is None else min_similarity

    def vote_floor(self, site) -> float:
        """The cosine a case needs to vote: the site's own search floor (learnt from its history, never
        above the global cut-off) unless this provider was given one."""
        if self.fixed_similarity is not None or site is None:
            return self.min_similarity
        from retrieval.embedders import model_name_for
        from retrieval.selectors import search_settings

        return search_settings(site_id=site.pk, model_name=model_name_for()).min_similarity

    def categorize(
        self,
        *,
        site,
        text: str,
        cases: Sequence[Case],
        categories: Sequence[str],
        priorities: Sequence[str],
        prediction: CategoryPrediction | None = None,
    ) -> CategorizeResult:
        if prediction is not None and prediction.category in categories:
            return self.categorize_with(prediction, text=text, cases=cases, priorities=priorities)
        floor = self.vote_floor(site)
        ranked = [(1.0 / rank, case) for rank, case in enumerate(cases, start=1)]
        voters = [case for _, case in ranked if case.similarity >= floor and case.category in categories]
        category_votes: dict[str, float] = defaultdict(float)
        for weight, case in ranked:
            if case in voters:
                category_votes[case.category] += weight
        prompt_tokens = count_tokens(text) + sum(count_tokens(case.text or case.snippet) for case in voters)
        if not category_votes:
            return CategorizeResult(
                category=None,
                priority=None,
                tags=[],
                confidence=0.0,
                needs_human=True,
                sources=[],
                usage=Usage(prompt_tokens=prompt_tokens),
            )
        winner = max(category_votes, key=category_votes.get)
        confidence = category_votes[winner] / sum(weight for weight, _ in ranked)
        supporters = [case for case in voters if case.category == winner]
        priority = self.priority(voters, priorities)
        tags = self.tags(text, supporters)
        # What an LLM would have answered, so offline and model calls are counted alike in the log.
        completion = f"{winner} {priority} {' '.join(tags)} {confidence:.4f}"
        return CategorizeResult(
            category=winner,
            priority=priority,
            tags=tags,
            confidence=round(confidence, 4),
            needs_human=confidence <= MAJORITY,
            sources=[case.citation_key for case in supporters],
            usage=Usage(prompt_tokens, count_tokens(completion)),
        )

    def categorize_with(
        self, prediction: CategoryPrediction, *, text: str, cases: Sequence[Case], priorities: Sequence[str]
    ) -> CategorizeResult:
        """The site classifier's category (it already combines its model with a neighbour vote) and its
        calibrated confidence; priority and tags come from the retrieved cases that agree with it."""
        supporters = [case for case in cases if case.category == prediction.category]
        priority = self.priority(supporters, priorities)
        tags = self.tags(text, supporters)
        prompt_tokens = count_tokens(text) + sum(count_tokens(case.text or case.snippet) for case in cases)
        completion = f"{prediction.category} {priority} {' '.join(tags)} {prediction.confidence:.4f}"
        return CategorizeResult(
            category=prediction.category,
            priority=priority,
            tags=tags,
            confidence=round(prediction.confidence, 4),
            needs_human=prediction.confidence < AUTO_TRIAGE_CONFIDENCE,
            sources=[case.citation_key for case in supporters],
            usage=Usage(prompt_tokens, count_tokens(completion)),
        )

    @staticmethod
    def priority(cases: Sequence[Case], priorities: Sequence[str]) -> str | None:
        """The priority with the most fused relevance among the cases, None when none has one."""
        votes: dict[str, float] = defaultdict(float)
        for case in cases:
            if case.priority in priorities:
                votes[case.priority] += case.score
        return max(votes, key=votes.get) if votes else None

    @staticmethod
    def tags(text: str, supporters: Sequence[Case]) -> list[str]:
        """Terms of the new ticket that recur in the titles of the cases that voted for the winner."""
        query = words(text)
        counts: dict[str, int] = defaultdict(int)
        for case in supporters:
            for word in words(case.title) & query:
                counts[word] += 1
        ranked = sorted(
            (word for word, count in counts.items() if count >= 2 or len(supporters) == 1),
            key=lambda w: (-counts[w], w),
        )
        return [word for word in ranked if not word.isdigit()][:MAX_TAGS]

    def answers_from(self, case: Case) -> bool:
        """Whether a case is evidence enough to answer from: its meaning is as close as related text gets
        (the embedder's calibrated cut-off), or it holds nearly every word of the question (a manual's
        section answers in the words it is asked in, whatever the cosine says)."""
        return case.similarity >= self.min_similarity or case.coverage >= ANSWER_COVERAGE

    def draft_reply(
        self,
        *,
        site,
        text: str,
        context: GroundingContext,
        offer_ticket: bool = False,
        already_said: Sequence[str] = (),
    ) -> DraftResult:
        """An answer quoted from the best evidence: a KB article's passage that matches the question, or
        a past case's resolution, whole sentences in their order; a second source only when it scored
        nearly as high and adds something. Nothing in `already_said` (earlier answers of the
        conversation) is said again. Refuses when no retrieved case is evidence enough."""
        question = words(text)
        evidence = [
            source
            for source in articles_by_question(context.sources, question)
            if self.answers_from(source.case)
        ]
        prompt_tokens = count_tokens(text) + count_tokens(render_sources(context))
        # An earlier answer is read line by line: its source headings end in a marker, not a full stop.
        said = [
            words(sentence)
            for earlier in already_said
            for line in earlier.splitlines()
            for sentence in sentences(line)
        ]
        weights = idf_weights([unit for source in evidence for unit in units(source.case)])
        parts: list[tuple[Source, list[str]]] = []
        for source in evidence:
            if len(parts) == 2:
                break
            if parts and not may_join(parts[0][0].case, source.case):
                continue
            passage = [
                sentence
                for sentence in answer_passage(source.case, question, weights)
                if not any(overlap(words(sentence), earlier) >= REPEAT_OVERLAP for earlier in said)
            ]
            if passage:
                parts.append((source, passage))
                said.extend(words(sentence) for sentence in passage)
        if not parts:
            body = refusal(offer_ticket) if not already_said else handover(offer_ticket)
            return DraftResult(
                body=body, citations=[], refused=True, usage=Usage(prompt_tokens, count_tokens(body))
            )
        if already_said and offer_ticket:
            closing = (
                "If this does not help either, choose \u201cI still need help\u201d and an engineer will "
                "take over, with what you have tried so far."
            )
        elif offer_ticket:
            closing = (
                "If this does not solve it, tell me what happened and I can open a ticket for an engineer."
            )
        else:
            closing = "If this does not solve it, reply here and we will take it from there."
        opening = "Here is what else has worked." if already_said else "Here is what has worked before."
        paragraphs = [
            f"{introduction(source.case)} [{source.cid}]\n" + "\n".join(passage) for source, passage in parts
        ]
        body = "\n\n".join(["Hello,", opening, *paragraphs, closing])
        citations = [source.key for source, _ in parts]
        return DraftResult(body=body, citations=citations, usage=Usage(prompt_tokens, count_tokens(body)))

    def stream_reply(
        self,
        *,
        site,
        text: str,
        context: GroundingContext,
        offer_ticket: bool = True,
        already_said: Sequence[str] = (),
    ) -> Iterator[str | DraftResult]:
        result = self.draft_reply(
            site=site, text=text, context=context, offer_ticket=offer_ticket, already_said=already_said
        )
        pieces = re.split(r"(\s+)", result.body)
        for start in range(0, len(pieces), STREAM_CHUNK_WORDS * 2):
            yield "".join(pieces[start : start + STREAM_CHUNK_WORDS * 2])
        yield result

    def summarize(self, *, site, title: str, turns: Sequence[Turn]) -> SummaryResult:
        """An extractive summary: the problem as the title and the requester's first words, the first
        real sentence of each later turn (what staff suggested or did, what the customer said happened),
        the last state change, and whose move it is. Nothing is reworded; the page says so."""
        said = [turn for turn in turns if turn.role != "event"]
        opening = next((turn for turn in said if turn.role == "customer"), None)
        first = " ".join(sentences(opening.text)[:SUMMARY_PROBLEM_SENTENCES]) if opening else ""
        problem = f"{title.strip().rstrip('.')}. {first}" if title.strip() and first else first or title
        tried: list[str] = []
        seen: list[set[str]] = []
        for turn in said:
            if turn is opening:
                continue
            sentence = _first_substantive(turn.text)
            if not sentence or any(overlap(words(sentence), earlier) >= REPEAT_OVERLAP for earlier in seen):
                continue
            seen.append(words(sentence))
            tried.append(f"{SUMMARY_ROLES.get(turn.role, turn.role.title())}: {sentence}")
        tried = tried[-SUMMARY_STEPS:]
        events = [turn.text for turn in turns if turn.role == "event"]
        public = [turn.role for turn in said if turn.role != "internal"]  # a note is not a reply
        last = public[-1] if public else ""
        if last == "customer" and len(public) > 1:
            next_step = "Answer the customer: their last message has no reply yet."
        elif last in ("engineer", "assistant"):
            next_step = "Wait for the customer to say whether the last reply helped."
        else:
            next_step = "Read the request and reply to the customer."
        text = "\n".join([problem, *tried, *events[-1:], next_step])
        return SummaryResult(
            problem=problem,
            tried=tried,
            state=events[-1] if events else "",
            next_step=next_step,
            extractive=True,
            usage=Usage(sum(count_tokens(turn.text) for turn in turns), count_tokens(text)),
        )

    def write_article(
        self, *, site, cases: Sequence[ArticleCase], extractive: ArticleResult
    ) -> ArticleResult:
        """Offline the article is the extractive draft it was handed: choosing the sentences a cluster
        shares needs the embedder and the site's other cases, which knowledge.drafting holds."""
        return extractive


SUMMARY_PROBLEM_SENTENCES = 2
SUMMARY_STEPS = 5
SUMMARY_ROLES = {
    "customer": "Customer",
    "engineer": "Engineer",
    "assistant": "Assistant",
    "internal": "Internal note",
}
_GREETING = re.compile(
    r"^(hi|hello|hey|dear|good (morning|afternoon|evening)|thanks|thank you)\b[^.!?,]{0,40}[,!.]\s*", re.I
)


def _first_substantive(text: str) -> str:
    """The first sentence of a turn that says something, a leading greeting ("Hi Alice,") cut off;
    pleasantries skipped."""
    for sentence in sentences(text):
        sentence = _GREETING.sub("", sentence).strip()
        if not sentence or _NOT_EVIDENCE.search(sentence) or len(sentence.split()) < 3:
            continue
        return sentence[0].upper() + sentence[1:]
    return ""


def may_join(first: Case, candidate: Case) -> bool:
    """Whether `candidate` may join an answer already quoting `first` (as its one second source)."""
    return (
        candidate.score >= SECOND_SOURCE_SHARE * first.score
        and candidate.similarity >= first.similarity - SECOND_SOURCE_COSINE_GAP
    )


def handover(offer_ticket: bool) -> str:
    """After the answers the knowledge holds were given and did not help: hand over, do not repeat."""
    if not offer_ticket:
        return NO_DRAFT
    return (
        "I have no other fix on record for this beyond what I suggested. Choose \u201cI still need "
        "help\u201d and an engineer will take it from here, with what you have tried so far."
    )


def introduction(case: Case) -> str:
    """Where the passage comes from, in words a customer may read: a colleague's ticket is never named."""
    if case.source_type == SourceType.ARTICLE:
        return f"From the knowledge base article \u201c{case.title}\u201d:"
    return "In a similar resolved case, this fixed it:"


def overlap(first: set[str], second: set[str]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_NOT_EVIDENCE = re.compile(
    r"happy for (this|it) to be closed|keep an eye|clos(ed|ing) (the|this) ticket|^closed after|"
    r"^confirmed (it )?(working|fixed)|^(thanks|thank you|all good|no further|hi|hello|dear)\b",
    re.IGNORECASE,
)


def _blocks(text: str) -> list[str]:
    """The text's lines joined back into what the writer meant: a hard-wrapped line runs on until a line
    ends a sentence, a list item or heading starts, or a blank line comes."""
    blocks: list[str] = []
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        starts_anew = not line or _LIST_ITEM.match(line) or line.startswith("#")
        if current and (starts_anew or current[-1].endswith((".", "!", "?", ":"))):
            blocks.append(" ".join(current))
            current = []
        if line:
            current.append(line)
    if current:
        blocks.append(" ".join(current))
    return blocks


def sentences(text: str) -> list[str]:
    """Whole sentences (and list items) of a text, in order, markdown and list markers removed."""
    found = []
    for block in _blocks(text):
        block = _clean_markdown(_LIST_ITEM.sub("", block))
        found.extend(part.strip() for part in _SENTENCE_END.split(block) if part.strip())
    return found


def units(case: Case) -> list[str]:
    """The sentences a reply may quote from a case: a KB article's body (its heading aside), a past
    case's resolution (a chat's whole text when it has none), pleasantries left out."""
    if case.source_type == SourceType.ARTICLE:
        raw = case.text or case.snippet
    else:
        raw = case.resolution or ("" if case.source_type == SourceType.TICKET else case.text or case.snippet)
    title = case.title.strip().lower()
    return [
        sentence
        for sentence in sentences(raw)
        if sentence.rstrip(".:").strip().lower() != title
        and not sentence.startswith("#")
        and not _NOT_EVIDENCE.search(sentence)
        and not _narrates(sentence)
        and len(sentence.split()) >= 2
    ]


# Past-tense verbs that tell the story of the engineer's visit rather than the fix ("Remoted in to PC-07.").
NARRATIVE_VERBS = frozenset(
    {"remoted", "called", "phoned", "rang", "emailed", "messaged", "texted", "chased", "escalated", "spoke",
     "closed", "asked", "agreed", "arranged", "apologised", "apologized", "explained", "discussed",
     "reported", "logged", "booked", "thanked"}
)  # fmt: skip


def _narrates(sentence: str) -> bool:
    return sentence.split(" ", 1)[0].lower().strip(",.:;") in NARRATIVE_VERBS


def idf_weights(texts: Sequence[str]) -> dict[str, float]:
    """Inverse document frequency of each word over the candidate sentences: rare words decide."""
    counts: dict[str, int] = defaultdict(int)
    for text in texts:
        for word in words(text):
            counts[word] += 1
    total = len(texts) + 1
    return {word: math.log(total / count) + 1.0 for word, count in counts.items()}


def window_coverage(case: Case, question: set[str], weights: dict[str, float]) -> float:
    """The idf-weighted share of the question's words found in the case's best two consecutive
    sentences: an answer sits in one place of an article, not spread over all of it."""
    found = units(case) or sentences(case.text or case.snippet)
    total = sum(weights.get(word, 1.0) for word in question) or 1.0
    best = 0.0
    for index in range(len(found)):
        window = set().union(*(words(sentence) for sentence in found[index : index + 2]))
        best = max(best, sum(weights.get(word, 1.0) for word in question & window) / total)
    return best


def articles_by_question(sources: Sequence[Source], question: set[str]) -> list[Source]:
    """The sources with the KB articles among them re-ordered by retrieval score (relative to the top
    source's) plus how much of the question one passage of the article holds; past cases keep their
    places. Retrieval scores a whole long article, the answer needs one passage of it; chosen on the
    dev split of emanual-qa, neutral on the fixture (docs/evals.md)."""
    ordered = list(sources)
    if not ordered:
        return ordered
    weights = idf_weights([unit for s in ordered for unit in (units(s.case) or [s.case.title])])
    top = max(ordered[0].case.score, 1e-9)
    slots = [i for i, s in enumerate(ordered) if s.case.source_type == SourceType.ARTICLE]
    articles = sorted(
        (ordered[i] for i in slots),
        key=lambda s: -(s.case.score / top + window_coverage(s.case, question, weights)),
    )
    for slot, article in zip(slots, articles, strict=True):
        ordered[slot] = article
    return ordered


def answer_passage(case: Case, question: set[str], weights: dict[str, float]) -> list[str]:
    """What of the case answers the question: a past case's whole resolution; from a KB article, the
    sentences that share the most (idf-weighted) words with the question, at most PASSAGE_SENTENCES,
    kept in the article's order, each with the sentence after it (an instruction's next step)."""
    found = units(case)
    if case.source_type != SourceType.ARTICLE or len(found) <= PASSAGE_SENTENCES:
        return found
    relevance = [sum(weights.get(word, 1.0) for word in words(sentence) & question) for sentence in found]
    chosen: set[int] = set()
    for index in sorted(range(len(found)), key=lambda i: (-relevance[i], i)):
        if relevance[index] <= 0 or len(chosen) >= PASSAGE_SENTENCES:
            break
        chosen.update(i for i in (index, index + 1) if i < len(found))
    if not chosen:
        chosen = set(range(PASSAGE_SENTENCES))
    return [found[i] for i in sorted(chosen)][: PASSAGE_SENTENCES + 1]


def _clean_markdown(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`]+", "", text).strip()
    return text if not text or text.endswith((".", "!", ":", "?")) else f"{text}."

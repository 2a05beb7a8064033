"""The offline provider: no network, no model weights beyond the embedder retrieval already uses.

Categorization takes the site's own trained classifier when it has one (tickets.classifier: its category
and calibrated confidence, accepted at `AUTO_TRIAGE_CONFIDENCE`); otherwise, on a site too new to have
one, it is a k-nearest-neighbour vote over the site's retrieved cases. Replies are composed from those
cases' resolutions and KB steps, each step citing where it came from. When nothing similar enough was
retrieved it says so instead of guessing.

Why the vote's threshold generalizes (docs/ai.md has the long form): every retrieved case above the
site's floor votes for its category with the fused relevance retrieval ranked it by, and one extra
"abstain" vote weighs exactly the floor (a borderline neighbour that knows nothing). Confidence is the
winner's share of all votes, abstention included, and the winner is accepted only with a strict majority
(> 0.5): it must outweigh every other category and the abstention together. Neither number is fitted to
our data: 0.5 is the majority rule and the floor is the retrieval layer's own line between related and
unrelated text for the site and its embedding model.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence

from helpdesk.ai.base import CategorizeResult, CategoryPrediction, DraftResult, Usage
from retrieval.grounding import GroundingContext, Source, render_sources, similarity_cutoff
from retrieval.tokens import count_tokens
from retrieval.types import Case, SourceType

MAJORITY = 0.5
# A calibrated confidence is the chance of being right: the site classifier's category is applied when it
# is more likely right than wrong, and left for a human otherwise (docs/ai.md).
AUTO_TRIAGE_CONFIDENCE = 0.5
MAX_STEPS = 6
MAX_STEPS_PER_SOURCE = 3
MAX_TAGS = 3
# Two steps sharing this much of their vocabulary say the same thing; the second only adds its citation.
DUPLICATE_OVERLAP = 0.6
STREAM_CHUNK_WORDS = 3

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
# Resolutions are written in the past tense ("Restarted the spooler"); a reply asks the reader to act.
# Only these well-known leading verbs are rewritten; anything else is quoted as written.
IMPERATIVES = {
    "added": "add",
    "adjusted": "adjust",
    "applied": "apply",
    "assigned": "assign",
    "changed": "change",
    "checked": "check",
    "cleaned": "clean",
    "cleared": "clear",
    "configured": "configure",
    "connected": "connect",
    "created": "create",
    "deleted": "delete",
    "disabled": "disable",
    "downloaded": "download",
    "emptied": "empty",
    "enabled": "enable",
    "flushed": "flush",
    "granted": "grant",
    "increased": "increase",
    "installed": "install",
    "mapped": "map",
    "moved": "move",
    "plugged": "plug",
    "power-cycled": "power-cycle",
    "ran": "run",
    "rebooted": "reboot",
    "rebuilt": "rebuild",
    "reconnected": "reconnect",
    "recreated": "recreate",
    "re-added": "re-add",
    "re-enabled": "re-enable",
    "reinstalled": "reinstall",
    "removed": "remove",
    "renamed": "rename",
    "renewed": "renew",
    "repaired": "repair",
    "replaced": "replace",
    "reseated": "reseat",
    "restarted": "restart",
    "restored": "restore",
    "rolled": "roll",
    "signed": "sign",
    "swapped": "swap",
    "switched": "switch",
    "synced": "sync",
    "turned": "turn",
    "uninstalled": "uninstall",
    "unlocked": "unlock",
    "unplugged": "unplug",
    "updated": "update",
    "upgraded": "upgrade",
    "verified": "verify",
}
# Imperative verbs of KB instructions that have no past-tense entry above.
INSTRUCTION_VERBS = frozenset(
    {"open", "click", "go", "select", "choose", "press", "hold", "type", "enter", "sign", "log", "try",
     "make", "wait", "use", "ask", "contact", "share", "save", "close", "reboot", "restart", "reset", "set"}
)  # fmt: skip
# Past-tense verbs that narrate the engineer's visit rather than a fix ("Remoted in to PC-07.").
NARRATIVE_VERBS = frozenset(
    {"remoted", "called", "phoned", "rang", "emailed", "messaged", "texted", "chased", "escalated", "spoke",
     "confirmed", "closed", "resolved", "tested", "noticed", "asked", "agreed", "arranged", "apologised",
     "apologized", "explained", "discussed", "reported", "logged", "booked", "thanked", "found", "saw"}
)  # fmt: skip
_NOT_A_STEP = re.compile(
    r"happy for (this|it) to be closed|keep an eye|confirmed (it )?(working|fixed)|closing (the|this) ticket|"
    r"^(thanks|thank you|all good|no further)\b",
    re.IGNORECASE,
)
_CAUSE = re.compile(r"\b(was|were|had|is|are|because|due to|caused|expired|full)\b", re.IGNORECASE)
_LEADING_FILLER = re.compile(r"^(then|also|finally|first|next)[, ]+", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*\S)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_WORD = re.compile(r"[a-z0-9][a-z0-9+#.-]*[a-z0-9+#]|[a-z0-9]")


def words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in STOPWORDS}


def refusal(offer_ticket: bool) -> str:
    follow_up = (
        "I can open a ticket so an engineer can look into it."
        if offer_ticket
        else "An engineer will look into it and follow up here."
    )
    return (
        "I could not find a similar case in our records or the knowledge base, so I would rather not "
        f"guess. {follow_up}"
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
        voters = [case for case in cases if case.similarity >= floor and case.category in categories]
        category_votes: dict[str, float] = defaultdict(float)
        for case in voters:  # weighted by the fused relevance retrieval ranked them by
            category_votes[case.category] += case.score
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
        confidence = category_votes[winner] / (sum(category_votes.values()) + floor)
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

    def draft_reply(
        self, *, site, text: str, context: GroundingContext, offer_ticket: bool = False
    ) -> DraftResult:
        usable = [source for source in context.sources if source.case.similarity >= self.min_similarity]
        if usable:
            # Steps come from the close matches only: halfway from the cut-off to the best match, so a
            # barely related case cannot add a step, whatever the embedder's similarity scale.
            floor = (self.min_similarity + max(source.case.similarity for source in usable)) / 2
            usable = [source for source in usable if source.case.similarity >= floor]
        prompt_tokens = count_tokens(text) + count_tokens(render_sources(context))
        steps = self.steps(usable)
        if not steps:
            body = refusal(offer_ticket)
            return DraftResult(
                body=body, citations=[], refused=True, usage=Usage(prompt_tokens, count_tokens(body))
            )
        lines = [
            f"{number}. {step} " + "".join(f"[{cid}]" for cid in cids)
            for number, (step, cids) in enumerate(steps, 1)
        ]
        cited = {cid for _step, cids in steps for cid in cids}
        top = usable[0]
        cause = extract_cause(top.case)
        if cause:
            cited.add(top.cid)
        closing = (
            "If this does not solve it, tell me and I can open a ticket for an engineer."
            if offer_ticket
            else "If this does not solve it, reply here and we will take it from there."
        )
        body = "\n".join(
            [
                "Hello,",
                "",
                "Thanks for reaching out. We have solved similar issues before."
                + (f" In a similar case the cause was: {cause} [{top.cid}]" if cause else ""),
                "",
                "What fixed it:",
                *lines,
                "",
                closing,
            ]
        )
        citations = [source.key for source in usable if source.cid in cited]
        return DraftResult(body=body, citations=citations, usage=Usage(prompt_tokens, count_tokens(body)))

    def stream_reply(
        self, *, site, text: str, context: GroundingContext, offer_ticket: bool = True
    ) -> Iterator[str | DraftResult]:
        result = self.draft_reply(site=site, text=text, context=context, offer_ticket=offer_ticket)
        pieces = re.split(r"(\s+)", result.body)
        for start in range(0, len(pieces), STREAM_CHUNK_WORDS * 2):
            yield "".join(pieces[start : start + STREAM_CHUNK_WORDS * 2])
        yield result

    def steps(self, sources: Sequence[Source]) -> list[tuple[str, list[int]]]:
        """Actionable steps from the sources, best source first, near-duplicates merged into one step."""
        steps: list[tuple[str, list[int]]] = []
        for source in sources:
            taken = 0
            for step in extract_steps(source.case):
                vocabulary = words(step)
                duplicate = next(
                    (s for s in steps if overlap(words(s[0]), vocabulary) >= DUPLICATE_OVERLAP), None
                )
                if duplicate is not None:
                    if source.cid not in duplicate[1]:
                        duplicate[1].append(source.cid)
                    continue
                if len(steps) >= MAX_STEPS or taken >= MAX_STEPS_PER_SOURCE:
                    continue
                steps.append((step, [source.cid]))
                taken += 1
        return steps


def overlap(first: set[str], second: set[str]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def _first_word(sentence: str) -> str:
    return _LEADING_FILLER.sub("", sentence).split(" ", 1)[0].lower().strip(",.:;")


def is_action(sentence: str) -> bool:
    """A sentence that does something: it starts with a known fix verb, or any past-tense verb that does
    not merely narrate the visit."""
    word = _first_word(sentence)
    if word in NARRATIVE_VERBS:
        return False
    return (
        word in IMPERATIVES
        or word in INSTRUCTION_VERBS
        or word in IMPERATIVES.values()
        or (len(word) > 4 and word.endswith("ed"))
    )


def _sentences(raw: str) -> list[str]:
    candidates = [part for line in raw.splitlines() for part in _SENTENCE_END.split(line.strip())]
    return [
        sentence
        for candidate in candidates
        if len((sentence := _clean_markdown(candidate)).split()) >= 3
        and not sentence.endswith("?")
        and not sentence.startswith("#")
        and not _NOT_A_STEP.search(sentence)
    ]


def _source_body(case: Case) -> str:
    if case.source_type == SourceType.ARTICLE:
        return case.text or case.snippet
    return case.resolution or ("" if case.source_type == SourceType.TICKET else case.text or case.snippet)


def extract_steps(case: Case) -> list[str]:
    """What someone could do: a KB article's list items, or the action sentences of a resolution."""
    raw = _source_body(case)
    items = [match.group(1) for line in raw.splitlines() if (match := _LIST_ITEM.match(line))]
    if case.source_type == SourceType.ARTICLE and items:
        return [imperative(_clean_markdown(item)) for item in items if len(item.split()) >= 2]
    return [
        imperative(_LEADING_FILLER.sub("", sentence)) for sentence in _sentences(raw) if is_action(sentence)
    ]


def extract_cause(case: Case) -> str | None:
    """The sentence of a resolution that says what was wrong, if one does ("The toner was empty.")."""
    for sentence in _sentences(_source_body(case)):
        if not is_action(sentence) and len(sentence.split()) >= 5 and _CAUSE.search(sentence):
            return sentence
    return None


def _clean_markdown(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`]+", "", text).strip()
    return text if text.endswith((".", "!", ":")) else f"{text}."


_LEADING_VERB = re.compile(r"(^|(?:\band|,|;)\s+(?:then\s+)?|\bthen\s+)([A-Za-z-]+)")


def imperative(step: str) -> str:
    """'Restarted the spooler and cleared the queue.' -> 'Restart the spooler and clear the queue.'"""

    def rewrite(match: re.Match) -> str:
        verb = IMPERATIVES.get(match.group(2).lower())
        return match.group(1) + verb if verb else match.group(0)

    step = _LEADING_VERB.sub(rewrite, step)
    return step[0].upper() + step[1:]

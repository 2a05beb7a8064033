"""What the assistant may answer, and in which language: the scope check and the customer's language.

A question is off-topic when its embedding is clearly closer to general-chat prototypes (cooking, sport,
weather...) than to IT-support prototypes *and* it is far from everything the site's own knowledge holds.
Both conditions: "my VPN drops" with no match in the knowledge is still an IT problem (it gets the
no-match refusal and a ticket offer), and a site whose knowledge covers a topic the prototypes call
off-topic keeps answering it. The margin and the knowledge bar come from data (docs/chat.md).

The local embedder (MiniLM) reads English only, so a question in another language is never called
off-topic (a German printer question must not be turned away) and, unless its words match the knowledge,
it gets the no-match refusal in the customer's language with the ticket offer. Languages are detected
with py3langid's bundled model, restricted to the languages we have sentences for: on short questions a
wide language set confuses neighbours (es/pt/gl).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from helpdesk.models import Site
from retrieval.embedders import Embedder, get_embedder
from retrieval.grounding import similarity_cutoff
from retrieval.selectors import MIN_WORD_COVERAGE, embed_query, search_chunks
from retrieval.types import SourceType

IT_PROTOTYPES = (
    "my computer or laptop has a problem",
    "the wifi or network connection keeps dropping",
    "I cannot connect to the VPN or remote access from home",
    "the printer or scanner is not working",
    "problem with email, Outlook or the shared calendar",
    "I forgot my password or my account is locked",
    "multi-factor authentication codes are not arriving",
    "I need access to a system, folder or application",
    "an application crashes, freezes or shows an error message",
    "installing or updating software and licences",
    "the monitor, keyboard, mouse or docking station does not work",
    "a suspicious email, phishing link, virus or security warning",
    "the desk phone, voicemail or video call is not working",
    "files on the shared drive are missing or cannot be opened",
    "the website or internal tool is slow or does not load",
    "setting up a new device or a new starter's account",
    "backup, storage or data recovery",
    "a smart device, screen or badge reader lost its connection",
    "a new starter or a leaver: setting up or removing their accounts and access",
    "moving desks or offices with our computers and equipment",
    "ordering or buying a laptop, monitor or other IT equipment",
    "our website, domain name or online shop",
)

OFF_TOPIC_PROTOTYPES = (
    "cooking, recipes, food and restaurants",
    "what to cook for dinner tonight",
    "sport results, football, tennis and fitness training",
    "the weather forecast, rain and temperature",
    "tell me a joke or something funny",
    "travel, holidays, flights, hotels and visas",
    "school homework, maths and history questions",
    "politics, elections and the news",
    "annual leave, salary, payroll and HR questions",
    "the office canteen, parking and opening hours",
    "health, medicine and doctor's advice",
    "shopping, gift ideas and product prices",
    "films, television series, music and books",
    "pets, animals and gardening",
    "money, investing, taxes and mortgages",
    "write a poem, a story or a song",
    "translate a phrase into another language",
    "relationships, dating and family advice",
    "general knowledge trivia about the world",
    "household cleaning, laundry and DIY repairs",
)

# Off-topic when the best off-topic prototype beats the best IT prototype by at least this cosine margin
# (chosen on the fixture's dev questions, docs/chat.md) and the site's knowledge holds nothing the
# assistant would answer from (`retrieval.grounding.similarity_cutoff`, or most of the words matched).
# Per embedding model, as margins do not carry over between models: one without a margin never calls a
# question off-topic.
OFF_TOPIC_MARGIN = {"local:all-MiniLM-L6-v2": 0.02}

ENGLISH = "en"
# Detection must be this sure that a question is not English before the reply leaves English: a short
# question of IT jargon ("Outlook crashes") is often a toss-up, and English is the safe guess. Which other
# language is the most likely one, even when Spanish and Portuguese split the rest.
MIN_NOT_ENGLISH = 0.8

NO_MATCH = {
    "en": (
        "I could not find a similar case in our knowledge for this question. Choose \u201cI still need "
        "help\u201d and an engineer will open a ticket and take it from here."
    ),
    "de": (
        "Zu dieser Frage habe ich in unserem Wissen keinen ähnlichen Fall gefunden. Wählen Sie "
        "\u201eI still need help\u201c, dann eröffnet ein Techniker ein Ticket und kümmert sich darum."
    ),
    "fr": (
        "Je n'ai trouvé aucun cas similaire dans nos connaissances pour cette question. Choisissez "
        "\u00ab I still need help \u00bb et un technicien ouvrira un ticket pour s'en occuper."
    ),
    "es": (
        "No he encontrado ningún caso similar en nuestra base de conocimiento para esta pregunta. Elija "
        "\u201cI still need help\u201d y un técnico abrirá un ticket y se encargará."
    ),
    "nl": (
        "Ik heb voor deze vraag geen vergelijkbaar geval in onze kennis gevonden. Kies \u201cI still need "
        "help\u201d en een technicus opent een ticket en neemt het over."
    ),
    "it": (
        "Non ho trovato un caso simile nelle nostre conoscenze per questa domanda. Scelga \u201cI still "
        "need help\u201d e un tecnico aprirà un ticket e se ne occuperà."
    ),
    "pt": (
        "Não encontrei nenhum caso semelhante no nosso conhecimento para esta pergunta. Escolha \u201cI "
        "still need help\u201d e um técnico abrirá um pedido e tratará do assunto."
    ),
    "pl": (
        "Nie znalazłem podobnego przypadku w naszej bazie wiedzy dla tego pytania. Wybierz \u201eI still "
        "need help\u201d, a technik otworzy zgłoszenie i się tym zajmie."
    ),
}

NO_MATCH_WITHOUT_TICKET = {
    "en": "I could not find a similar case in our knowledge for this question.",
    "de": "Zu dieser Frage habe ich in unserem Wissen keinen ähnlichen Fall gefunden.",
    "fr": "Je n'ai trouvé aucun cas similaire dans nos connaissances pour cette question.",
    "es": "No he encontrado ningún caso similar en nuestra base de conocimiento para esta pregunta.",
    "nl": "Ik heb voor deze vraag geen vergelijkbaar geval in onze kennis gevonden.",
    "it": "Non ho trovato un caso simile nelle nostre conoscenze per questa domanda.",
    "pt": "Não encontrei nenhum caso semelhante no nosso conhecimento para esta pergunta.",
    "pl": "Nie znalazłem podobnego przypadku w naszej bazie wiedzy dla tego pytania.",
}

SCOPE = {
    "en": "I can only help with IT problems at {site}.",
    "de": "Ich kann nur bei IT-Problemen bei {site} helfen.",
    "fr": "Je ne peux vous aider que pour les problèmes informatiques chez {site}.",
    "es": "Solo puedo ayudar con problemas informáticos en {site}.",
    "nl": "Ik kan alleen helpen met IT-problemen bij {site}.",
    "it": "Posso aiutare solo con problemi informatici presso {site}.",
    "pt": "Só posso ajudar com problemas informáticos na {site}.",
    "pl": "Mogę pomóc tylko w problemach z IT w {site}.",
}

LANGUAGES = tuple(SCOPE)


@dataclass(frozen=True)
class Scope:
    """The scope decision for a question, with the similarities it rests on (for tuning and tests).

    `no_match`: a question in another language than English that the site's knowledge holds nothing for.
    """

    off_topic: bool
    language: str
    no_match: bool = False
    it_similarity: float = 0.0
    off_topic_similarity: float = 0.0
    knowledge_similarity: float = 0.0


@functools.cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    """The question's language (ISO 639-1) among LANGUAGES; English unless clearly another one."""
    if not text or not any(character.isalpha() for character in text):
        return ENGLISH
    probabilities = dict(_identifier().rank(text))
    if probabilities.get(ENGLISH, 0.0) > 1 - MIN_NOT_ENGLISH:
        return ENGLISH
    return max(probabilities, key=probabilities.get)


def scope_sentence(language: str, site: Site) -> str:
    """The one polite sentence an off-topic question gets, in the customer's language."""
    return SCOPE.get(language, SCOPE[ENGLISH]).format(site=site.name)


def refusal_text(language: str, *, offer_ticket: bool = True) -> str:
    """The no-match sentence in the customer's language, with the ticket offer unless told otherwise."""
    texts = NO_MATCH if offer_ticket else NO_MATCH_WITHOUT_TICKET
    return texts.get(language, texts[ENGLISH])


@functools.cache
def _prototype_vectors(model_name: str) -> tuple[np.ndarray, np.ndarray]:
    embedder = get_embedder()
    return embedder.embed(list(IT_PROTOTYPES)), embedder.embed(list(OFF_TOPIC_PROTOTYPES))


def is_off_topic(*, it: float, off_topic: float, model_name: str) -> bool:
    """The prototype half of the rule: clearly nearer the off-topic side than the IT side."""
    margin = OFF_TOPIC_MARGIN.get(model_name)
    return margin is not None and off_topic - it >= margin


def _knowledge_match(site: Site, text: str, embedder: Embedder) -> tuple[bool, float]:
    """Whether the site's knowledge holds something the assistant would answer from (a chunk over the
    cosine cut-off, or one matching most of the question's word weight), and the best cosine."""
    rows = search_chunks(
        site_id=site.pk, text=text, sources=SourceType.ALL, embedder=embedder, candidates=5, with_global=True
    )
    best = max((float(row[4]) for row in rows), default=0.0)
    coverage = max((float(row[6]) / float(row[7]) for row in rows if row[7]), default=0.0)
    return best >= similarity_cutoff() or coverage >= MIN_WORD_COVERAGE, best


def question_scope(*, site: Site, text: str, embedder: Embedder | None = None) -> Scope:
    """Detect the language, then decide whether the question is an IT problem the knowledge may answer.

    The knowledge is searched only when the prototypes say off-topic (off-topic also needs the site's
    knowledge to hold nothing the assistant would answer from, so the check never costs an answer) and
    for other languages, which MiniLM cannot place: those are never called off-topic, and they are
    told "not in our knowledge" in their language unless their words (product names, error codes)
    match the knowledge anyway.
    """
    language = detect_language(text)
    embedder = embedder or get_embedder()
    if language != ENGLISH:
        related, knowledge = _knowledge_match(site, text, embedder)
        return Scope(False, language, no_match=not related, knowledge_similarity=knowledge)
    if embedder.model_name not in OFF_TOPIC_MARGIN:
        return Scope(False, language)
    it_vectors, off_vectors = _prototype_vectors(embedder.model_name)
    vector = embed_query(text, embedder)
    it, off_topic = float((it_vectors @ vector).max()), float((off_vectors @ vector).max())
    if not is_off_topic(it=it, off_topic=off_topic, model_name=embedder.model_name):
        return Scope(False, language, it_similarity=it, off_topic_similarity=off_topic)
    related, knowledge = _knowledge_match(site, text, embedder)
    return Scope(not related, language, False, it, off_topic, knowledge)

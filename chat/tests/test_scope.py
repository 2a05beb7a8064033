"""Scope and language: off-topic questions get the scope sentence, other languages a refusal in their own.

The off-topic questions below were written for these tests, apart from the prototypes in chat.scope and
from `retrieval.calibration.OFF_TOPIC_QUESTIONS`; the second list was written after the margin was fixed
and never tuned on (docs/chat.md).
"""

import json
from pathlib import Path

import pytest
from django.conf import settings

from chat.models import Message
from chat.scope import (
    detect_language,
    is_off_topic,
    question_scope,
    refusal_text,
    scope_sentence,
)
from chat.selectors import chat_insights
from chat.services import assistant_reply_ensure, conversation_start
from retrieval.embedders import get_embedder
from retrieval.selectors import embed_query

FIXTURE_QUERIES = Path(settings.BASE_DIR) / "fixtures" / "evals" / "it-helpdesk" / "queries.jsonl"

OFF_TOPIC = (
    "What's a good recipe for lasagne?",
    "How do I make pancakes without eggs?",
    "Which wine goes well with salmon?",
    "Who scored the winning goal in the cup final?",
    "How do I improve my golf swing?",
    "Will it snow in Manchester this weekend?",
    "Tell me a funny joke about cats",
    "What are the best things to see in Rome?",
    "How much luggage can I take on a budget airline?",
    "Can you help me with my chemistry homework on moles?",
    "What is the square root of 144?",
    "Who should I vote for in the next election?",
    "What is the capital of Australia?",
    "How many moons does Jupiter have?",
    "Can you recommend a good thriller novel?",
    "What should I watch on Netflix tonight?",
    "How do I get my toddler to sleep through the night?",
    "What are the symptoms of the flu?",
    "Is it better to rent or buy a house?",
    "How do I train my puppy to sit?",
    "When should I prune my roses?",
    "Write a haiku about the sea",
    "How do you say thank you in Japanese?",
    "What's the best way to ask for a pay rise?",
    "Where is the nearest good coffee shop?",
    "Who painted the Mona Lisa?",
    "What time is sunset today?",
    "How do I remove rust from my bike chain?",
    "Any ideas for a first date?",
    "What's a healthy breakfast before a run?",
    "How long does it take to learn the guitar?",
    "Which team won the basketball championship last year?",
    "How do I fold a fitted sheet?",
    "Can you tell me a bedtime story for my daughter?",
    "What are the lyrics of Bohemian Rhapsody?",
    "How do I get a passport renewed quickly?",
    "Should I invest in gold or shares?",
    "What is the meaning of life?",
    "How do I bake a chocolate cake?",
    "Where can I buy cheap concert tickets?",
)

OFF_TOPIC_FRESH = (
    "Can you suggest a name for my new kitten?",
    "What's the difference between baking soda and baking powder?",
    "How many calories are in a banana?",
    "Who is the current prime minister of Canada?",
    "Explain the offside rule in ice hockey",
    "What should I pack for a skiing trip?",
    "Is it going to be sunny on Saturday?",
    "Give me a riddle to solve",
    "How do volcanoes form?",
    "What is the best age to start piano lessons?",
    "Recommend a podcast about history",
    "How do I write a wedding speech?",
    "What are good exercises for back pain?",
    "How do I make my sourdough rise more?",
    "What's the best route to drive to Edinburgh?",
    "How long should I steep green tea?",
    "Which houseplants are safe for dogs?",
    "Can you help me plan a birthday party for 20 people?",
    "What was the score in the cricket test match?",
    "Summarise the French Revolution in three sentences",
    "How do I knit a scarf?",
    "What is a good stretching routine after cycling?",
    "Which is the tallest mountain in Africa?",
    "How do I apply for a mortgage?",
    "What's a good board game for four players?",
    "How do I descale my kettle?",
    "Recommend a restaurant for a team dinner downtown",
    "What does a solicitor charge for a will?",
    "How do I grow tomatoes on a balcony?",
    "Tell me something interesting about octopuses",
)

NOT_ENGLISH = {
    "de": (
        "Der Drucker am Empfang ist offline und meine Druckaufträge hängen in der Warteschlange",
        "Ich kann mich seit heute Morgen nicht mehr bei meinem Konto anmelden",
        "Mein Laptop wird sehr heiß und schaltet sich einfach aus",
    ),
    "fr": (
        "L'imprimante de l'accueil est hors ligne et mes impressions restent bloquées",
        "Je n'arrive plus à me connecter à ma messagerie depuis ce matin",
        "Mon ordinateur portable chauffe beaucoup et s'éteint tout seul",
    ),
    "es": (
        "La impresora de recepción aparece sin conexión y mis trabajos se quedan en la cola",
        "No puedo entrar en mi cuenta desde esta mañana, dice que la contraseña es incorrecta",
        "Mi portátil se calienta muchísimo y se apaga solo",
    ),
}


def fixture_it_questions() -> list[str]:
    rows = [json.loads(line) for line in FIXTURE_QUERIES.read_text().splitlines() if line.strip()]
    return [row["text"] for row in rows if row.get("category") and not row.get("history")]


def test_it_keeps_every_it_question_of_the_fixture_in_scope():
    from chat.scope import _prototype_vectors

    embedder = get_embedder()
    it_vectors, off_vectors = _prototype_vectors(embedder.model_name)
    questions = fixture_it_questions()
    flagged = []
    for text in questions:
        vector = embed_query(text, embedder)
        it, off = float((it_vectors @ vector).max()), float((off_vectors @ vector).max())
        if is_off_topic(it=it, off_topic=off, model_name=embedder.model_name):
            flagged.append(text)

    # Even before the knowledge is consulted, none of the 362 is on the off-topic side (0.0%).
    assert len(questions) == 362
    assert flagged == []


@pytest.mark.django_db
def test_it_recognizes_off_topic_questions_written_apart_from_the_prototypes(site_a, indexed_ticket):
    missed = {
        name: [text for text in questions if not question_scope(site=site_a, text=text).off_topic]
        for name, questions in (("tuning", OFF_TOPIC), ("fresh", OFF_TOPIC_FRESH))
    }

    # Measured: 33 of 40 and 25 of 30 (docs/chat.md); a miss gets today's no-match reply, never worse.
    assert len(missed["tuning"]) <= 8, missed["tuning"]
    assert len(missed["fresh"]) <= 6, missed["fresh"]


@pytest.mark.django_db
def test_it_answers_the_lasagne_question_with_the_scope_sentence_and_no_ticket_offer(
    site_a, customer_a, indexed_ticket
):
    _, question = conversation_start(
        site=site_a, customer=customer_a, body="What's a good recipe for lasagne?"
    )

    reply = assistant_reply_ensure(question=question)

    assert reply.body == "I can only help with IT problems at Alder & Finch LLP."
    assert "ticket" not in reply.body.lower() and "still need help" not in reply.body.lower()
    assert (reply.route, reply.language, reply.sources) == (Message.Route.OFF_TOPIC, "en", [])


@pytest.mark.django_db
def test_it_keeps_an_it_question_without_a_match_in_scope(site_a, indexed_ticket):
    for text in (
        "my VPN drops every few minutes",
        "Outlook keeps asking for my password",
        "hi, can you help?",
    ):
        assert not question_scope(site=site_a, text=text).off_topic, text


@pytest.mark.django_db
def test_it_does_not_turn_away_a_topic_the_sites_knowledge_covers(site_a, customer_a):
    from knowledge.services import document_index_ticket
    from tickets.models import Ticket, TicketState

    ticket = Ticket.objects.create(
        site=site_a,
        requester=customer_a,
        title="Recipe for lasagne for the office party",
        description="What is a good recipe for lasagne for the office party?",
        resolution="Layer the pasta sheets with ragu and bechamel, then bake the lasagne for 45 minutes.",
        state=TicketState.RESOLVED,
    )
    document_index_ticket(ticket=ticket)

    scope = question_scope(site=site_a, text="What's a good recipe for lasagne?")

    assert not scope.off_topic
    assert scope.knowledge_similarity >= 0.41


def test_it_detects_german_french_and_spanish_and_keeps_english_english():
    for language, questions in NOT_ENGLISH.items():
        for text in questions:
            assert detect_language(text) == language, text
    for text in fixture_it_questions():
        assert detect_language(text) == "en", text
    assert detect_language("Outlook crashes") == "en"
    assert detect_language("1234") == "en"


@pytest.mark.django_db
@pytest.mark.parametrize("language", sorted(NOT_ENGLISH))
def test_it_refuses_an_unanswerable_question_in_its_language_with_a_ticket_offer(
    site_a, customer_a, indexed_ticket, language
):
    _, question = conversation_start(site=site_a, customer=customer_a, body=NOT_ENGLISH[language][2])

    reply = assistant_reply_ensure(question=question)

    assert reply.body == refusal_text(language)
    assert "I still need help" in reply.body  # the button's name, so the offer points at what to press
    assert (reply.route, reply.language) == (Message.Route.NO_MATCH, language)


def test_it_has_a_scope_and_refusal_sentence_per_language(site_a):
    for language in ("de", "fr", "es", "nl", "it", "pt", "pl"):
        assert site_a.name in scope_sentence(language, site_a)
        assert scope_sentence(language, site_a) != scope_sentence("en", site_a)
        assert refusal_text(language) != refusal_text("en")
        assert "I still need help" not in refusal_text(language, offer_ticket=False)
    assert scope_sentence("sv", site_a) == "I can only help with IT problems at Alder & Finch LLP."


@pytest.mark.django_db
def test_it_counts_off_topic_questions_and_languages_per_site(site_a, site_b, customer_a, admin_user):
    for body in ("What's a good recipe for lasagne?", "Mein Laptop wird sehr heiß und schaltet sich aus"):
        _, question = conversation_start(site=site_a, customer=customer_a, body=body)
        assistant_reply_ensure(question=question)

    rows = {row["site"]: row for row in chat_insights(user=admin_user)}

    assert rows[site_a]["off_topic"] == 1
    assert dict(rows[site_a]["languages"]) == {"en": 1, "de": 1}
    assert (rows[site_b]["off_topic"], rows[site_b]["languages"]) == (0, [])

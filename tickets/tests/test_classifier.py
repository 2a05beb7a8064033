"""The per-site triage classifier: trained on real fixture tickets in the real database, with the real
local embedder; isolation, fallback, calibration and the retraining schedule."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ai.base import CategoryPrediction
from ai.offline import OfflineProvider
from helpdesk.schedules import PERIODIC_JOBS
from testing.factories import category, eval_fixture_history, eval_fixture_rows, resolved_ticket
from tickets import classifier
from tickets.models import Category, Priority, TriageModel
from tickets.tasks import triage_models_retrain

SITE = "northgate-freight"


@pytest.fixture
def history(site_a, customer_a):
    """One real site's resolved tickets from the eval fixture, each with its category."""
    return eval_fixture_history(site=site_a, requester=customer_a, fixture_site=SITE)


def test_it_trains_persists_and_predicts_the_sites_categories(site_a, history):
    model = classifier.train_site_classifier(site=site_a)

    stored = TriageModel.objects.get(site=site_a)
    assert stored.pk == model.pk and stored.examples == len(history) > classifier.MIN_EXAMPLES
    assert stored.categories == len({t.category.slug for t in history})
    assert 0.0 <= stored.regression_share <= 1.0 and stored.trained_at <= timezone.now()
    queries = [q for q in eval_fixture_rows("queries.jsonl", SITE) if q.get("category")]
    predictions = [classifier.classify(site=site_a, text=q["text"]).prediction for q in queries]
    right = sum(p.category == q["category"] for p, q in zip(predictions, queries, strict=True))
    assert right / len(queries) >= 0.6  # held-out fixture queries; majority class is far lower
    assert all(0.0 <= p.confidence <= 1.0 for p in predictions)


def test_its_calibration_table_and_coverage_curve_are_produced(site_a, history):
    calibration = classifier.train_site_classifier(site=site_a).calibration

    table = calibration["table"]
    assert sum(row["n"] for row in table) == 2 * len(history)  # each ticket held out whole and by title
    assert all(0.0 <= row["accuracy"] <= 1.0 and 0.0 <= row["confidence"] <= 1.0 for row in table)
    curve = calibration["coverage_accuracy"]
    assert curve[0]["threshold"] == 0.0 and curve[0]["coverage"] == 1.0
    coverages = [point["coverage"] for point in curve]
    assert coverages == sorted(coverages, reverse=True)
    assert 0.0 <= calibration["expected_calibration_error"] <= 0.25


def test_a_sites_model_never_sees_another_sites_rows(site_a, site_b, customer_b, history):
    for n in range(classifier.MIN_EXAMPLES):
        resolved_ticket(
            site=site_b,
            requester=customer_b,
            title=f"Forklift scanner {n} will not pair",
            description="The handheld scanner on the forklift lost its pairing.",
            resolution="Re-paired it.",
            category_slug="site-b-only",
        )

    classifier.train_site_classifier(site=site_a)

    trained_on = set(classifier.training_tickets(site_a).values_list("site_id", flat=True))
    assert trained_on == {site_a.pk}
    model = classifier._classifier_for(site_a.pk, TriageModel.objects.get(site=site_a).embedding_model)
    assert "site-b-only" not in set(model.regression.classes_) | set(model.labels)
    prediction = classifier.classify(site=site_a, text="Forklift scanner will not pair").prediction
    assert prediction.category != "site-b-only"


def test_a_new_site_has_no_model_and_triage_falls_back_to_the_vote(site_a, customer_a):
    for n in range(3):
        resolved_ticket(
            site=site_a,
            requester=customer_a,
            title=f"Printer {n} offline",
            description="The printer shows offline.",
            resolution="Restarted the spooler.",
            category_slug="printers",
        )

    assert classifier.train_site_classifier(site=site_a) is None
    assert classifier.classify(site=site_a, text="printer offline") is None
    assert not TriageModel.objects.filter(site=site_a).exists()


def test_the_offline_provider_takes_the_classifiers_calibrated_confidence(site_a):
    printers = category("printers").slug
    confident = CategoryPrediction(category=printers, confidence=0.9)
    unsure = CategoryPrediction(category=printers, confidence=0.3)
    categories = list(Category.objects.values_list("slug", flat=True))
    provider = OfflineProvider()

    accepted = provider.categorize(
        site=site_a,
        text="x",
        cases=[],
        categories=categories,
        priorities=Priority.values,
        prediction=confident,
    )
    doubted = provider.categorize(
        site=site_a, text="x", cases=[], categories=categories, priorities=Priority.values, prediction=unsure
    )

    assert (accepted.category, accepted.confidence, accepted.needs_human) == (printers, 0.9, False)
    assert (doubted.category, doubted.needs_human) == (printers, True)


def test_the_schedule_retrains_when_enough_tickets_change(site_a, customer_a, history):
    assert any(job["func"] == "tickets.tasks.triage_models_retrain" for job in PERIODIC_JOBS)

    assert triage_models_retrain() == 1
    first = TriageModel.objects.get(site=site_a).trained_at
    assert triage_models_retrain() == 0  # nothing new: no retraining

    network = category("network")
    for ticket in history[: classifier.RETRAIN_AFTER]:  # an engineer's corrections count as changes
        ticket.category = network
        ticket.save()

    assert triage_models_retrain() == 1
    retrained = TriageModel.objects.get(site=site_a)
    assert retrained.trained_at > first
    corrected = classifier._classifier_for(site_a.pk, retrained.embedding_model)
    assert list(corrected.labels).count("network") >= classifier.RETRAIN_AFTER


def test_engineers_corrections_of_closed_chats_trigger_the_next_training(
    site_a, customer_a, engineer_a, history
):
    from chat.models import Conversation, Message
    from chat.services import conversation_category_set

    assert triage_models_retrain() == 1
    chats = []
    for number in range(classifier.RETRAIN_AFTER):
        chat = Conversation.objects.create(
            site=site_a, customer=customer_a, subject=f"VPN drops {number}", state=Conversation.State.CLOSED
        )
        Message.objects.create(
            conversation=chat, site=site_a, author_kind=Message.Author.CUSTOMER, body="The VPN keeps dropping"
        )
        chats.append(chat)
    assert triage_models_retrain() == 0  # uncategorized chats teach nothing

    network = category("network")
    for chat in chats:
        conversation_category_set(site=site_a, conversation=chat, user=engineer_a, category=network)

    assert triage_models_retrain() == 1
    kinds = TriageModel.objects.get(site=site_a).calibration["training_set"]
    assert kinds["conversations"] == classifier.RETRAIN_AFTER

"""The per-site triage classifier: trained on the site's own resolved tickets and categorized closed
conversations, never on another site's.

Features are the ticket text's TF-IDF (words and word pairs) beside its sentence embedding; a
class-balanced logistic regression (scikit-learn) reads them. Its probabilities are mixed with a
reciprocal-rank vote of the five nearest training tickets (rank r weighs 1/r), with the mix chosen on the
site's own out-of-fold predictions (5-fold), each held-out ticket asked twice, whole and by its title
alone (the terse way a customer opens a chat): where a site's categories follow wording the regression
wins, where they follow near-duplicate cases the vote does. The winner's mixed probability is then
calibrated with isotonic regression fitted on those out-of-fold predictions, so `confidence` reads as the
chance of being right; the reliability table and the coverage-accuracy curve are kept with the model,
measured by cross-fitting (each half of the held-out predictions scored by a calibrator fitted on the
other half).

Training runs in the worker (`tickets.tasks.triage_models_retrain`, a django-q2 schedule), never on a
request. A site with fewer than `MIN_EXAMPLES` labelled tickets, or fewer than two categories, has no
model and triage falls back to the neighbour vote over retrieved cases.
"""

from __future__ import annotations

import io
import logging
import pickle
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from django.db import transaction
from django.utils import timezone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from ai.base import CategoryPrediction
from helpdesk.models import Site
from retrieval.embedders import Embedder, get_embedder
from tickets.models import Ticket, TicketState, TriageModel
from tickets.selectors import ticket_text
from tickets.training import Example, example_sources

logger = logging.getLogger(__name__)

MIN_EXAMPLES = 30
RETRAIN_AFTER = 10  # resolved tickets or categorized chats new or re-categorized since the last training
FOLDS = 5
NEIGHBOURS = 5
MIXES = (0.0, 0.25, 0.5, 0.75, 1.0)  # the regression's share of the mixed probabilities
REGULARIZATION = 10.0
BINS = 10
TRAINED_STATES = (TicketState.RESOLVED, TicketState.CLOSED)


@dataclass
class SiteClassifier:
    """What is pickled into `TriageModel.model`: everything a prediction needs, nothing of other sites."""

    vectorizer: TfidfVectorizer
    regression: LogisticRegression
    vectors: np.ndarray  # the training tickets' embeddings, for the neighbour vote
    labels: np.ndarray
    mix: float
    calibrator: IsotonicRegression

    def probabilities(self, texts: list[str], vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        classes = self.regression.classes_
        regression = self.regression.predict_proba(_features(self.vectorizer, texts, vectors))
        vote = _vote(vectors, self.vectors, self.labels, classes)
        return classes, self.mix * regression + (1 - self.mix) * vote


def _features(vectorizer: TfidfVectorizer, texts: list[str], vectors: np.ndarray):
    return sparse.hstack([vectorizer.transform(texts), sparse.csr_matrix(vectors)]).tocsr()


def _vote(queries: np.ndarray, vectors: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Each query's distribution over classes from its nearest training tickets, weighted by rank: the
    order of the neighbours says more than their cosines, which are close together (docs/ai.md)."""
    column = {label: i for i, label in enumerate(classes)}
    similarity = queries @ vectors.T
    result = np.zeros((len(queries), len(classes)))
    for row, scores in enumerate(similarity):
        nearest = np.argsort(-scores)[:NEIGHBOURS]
        for rank, i in enumerate(nearest, start=1):
            result[row, column[labels[i]]] += 1.0 / rank
        total = result[row].sum()
        result[row] = result[row] / total if total > 0 else 1.0 / len(classes)
    return result


def _fit(texts: list[str], vectors: np.ndarray, labels: np.ndarray):
    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
    vectorizer.fit(texts)
    regression = LogisticRegression(C=REGULARIZATION, class_weight="balanced", max_iter=3000)
    regression.fit(_features(vectorizer, texts, vectors), labels)
    return vectorizer, regression


def _out_of_fold(
    texts: list[str], vectors: np.ndarray, labels: np.ndarray, classes: np.ndarray, shapes: list[tuple]
):
    """Held-out regression and vote probabilities (columns in `classes`) for every training ticket, once
    per query shape: `shapes` holds (texts, vectors) of the same tickets as a query would state them (the
    whole ticket, the title alone). Rows are stacked shape after shape."""
    column = {label: i for i, label in enumerate(classes)}
    rows = len(texts) * len(shapes)
    regression_oof, vote_oof = np.zeros((rows, len(classes))), np.zeros((rows, len(classes)))
    smallest = min(np.unique(labels, return_counts=True)[1])
    folds = StratifiedKFold(n_splits=max(2, min(FOLDS, smallest)), shuffle=True, random_state=0)
    for train, held in folds.split(texts, labels):
        vectorizer, regression = _fit([texts[i] for i in train], vectors[train], labels[train])
        for offset, (shape_texts, shape_vectors) in enumerate(shapes):
            at = held + offset * len(texts)
            features = _features(vectorizer, [shape_texts[i] for i in held], shape_vectors[held])
            probabilities = regression.predict_proba(features)
            for j, label in enumerate(regression.classes_):
                regression_oof[at, column[label]] = probabilities[:, j]
            vote_oof[at] = _vote(shape_vectors[held], vectors[train], labels[train], classes)
    return regression_oof, vote_oof


def _accuracy_and_f1(labels: np.ndarray, predicted: np.ndarray) -> float:
    """Accuracy plus macro-F1 over the site's categories: what the mix is chosen by."""
    macro_f1 = f1_score(labels, predicted, labels=np.unique(labels), average="macro", zero_division=0)
    return float(accuracy_score(labels, predicted) + macro_f1)


def reliability(confidence: np.ndarray, correct: np.ndarray) -> dict:
    """The reliability table (per confidence bin: count, mean confidence, accuracy) and the
    coverage-accuracy curve (accept predictions at or above each threshold)."""
    table = []
    for low in np.linspace(0, 1, BINS, endpoint=False):
        high = low + 1 / BINS
        inside = (confidence >= low) & ((confidence < high) | (high >= 1))
        if inside.any():
            table.append(
                {
                    "bin": f"{low:.1f}-{high:.1f}",
                    "n": int(inside.sum()),
                    "confidence": round(float(confidence[inside].mean()), 4),
                    "accuracy": round(float(correct[inside].mean()), 4),
                }
            )
    curve = []
    for threshold in np.round(np.linspace(0, 0.9, 10), 1):
        accepted = confidence >= threshold
        curve.append(
            {
                "threshold": float(threshold),
                "coverage": round(float(accepted.mean()), 4),
                "accuracy": round(float(correct[accepted].mean()), 4) if accepted.any() else None,
            }
        )
    error = sum(row["n"] * abs(row["confidence"] - row["accuracy"]) for row in table) / max(len(correct), 1)
    return {"table": table, "coverage_accuracy": curve, "expected_calibration_error": round(error, 4)}


def _cross_fitted(top: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """Calibrated confidences where each half is mapped by an isotonic fit on the other half."""
    order = np.random.default_rng(0).permutation(len(top))
    halves = (order[: len(order) // 2], order[len(order) // 2 :])
    result = np.zeros(len(top))
    for fit, score in (halves, halves[::-1]):
        result[score] = (
            IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
            .fit(top[fit], correct[fit])
            .predict(top[score])
        )
    return result


def training_tickets(site: Site):
    """The site's resolved or closed categorized tickets: with the examples registered in tickets.training
    (its categorized closed conversations), the only rows a site's model may learn from."""
    return (
        Ticket.objects.filter(site=site, state__in=TRAINED_STATES, category__isnull=False)
        .select_related("category")
        .order_by("pk")
    )


def training_examples(site: Site) -> tuple[list[Example], dict[str, int]]:
    """Every labelled past case of the site (tickets, then each registered source's: chats) and how many
    of each kind."""
    examples = [Example(ticket_text(t), t.title, t.category.slug) for t in training_tickets(site)]
    kinds = {"tickets": len(examples)}
    for name, source in example_sources().items():
        found = source.examples(site=site)
        examples += found
        kinds[name] = len(found)
    return examples, kinds


def train_site_classifier(*, site: Site, embedder: Embedder | None = None) -> TriageModel | None:
    """Train, calibrate and store the site's classifier; None (and any old model removed) when the site's
    history is too small to learn from."""
    embedder = embedder or get_embedder()
    examples, kinds = training_examples(site)
    labels = np.array([example.label for example in examples])
    counts = defaultdict(int)
    for label in labels:
        counts[label] += 1
    if len(examples) < MIN_EXAMPLES or sum(1 for n in counts.values() if n >= 2) < 2:
        TriageModel.objects.filter(site=site, embedding_model=embedder.model_name).delete()
        return None
    keep = np.array([counts[label] >= 2 for label in labels])  # a category seen once cannot be held out
    examples = [example for example, kept in zip(examples, keep, strict=True) if kept]
    labels = labels[keep]
    texts = [example.text for example in examples]
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    titles = [example.title for example in examples]
    title_vectors = np.asarray(embedder.embed(titles), dtype=np.float32)
    classes = np.unique(labels)
    regression_oof, vote_oof = _out_of_fold(
        texts, vectors, labels, classes, shapes=[(texts, vectors), (titles, title_vectors)]
    )
    held_labels = np.concatenate([labels, labels])
    scored = {
        mix: _accuracy_and_f1(
            held_labels, classes[(mix * regression_oof + (1 - mix) * vote_oof).argmax(axis=1)]
        )
        for mix in MIXES
    }
    mix = max(MIXES, key=lambda m: (round(scored[m], 6), m))
    mixed = mix * regression_oof + (1 - mix) * vote_oof
    top = mixed.max(axis=1)
    correct = (classes[mixed.argmax(axis=1)] == held_labels).astype(float)
    calibrator = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(top, correct)
    vectorizer, regression = _fit(texts, vectors, labels)
    classifier = SiteClassifier(vectorizer, regression, vectors, labels, mix, calibrator)
    buffer = io.BytesIO()
    pickle.dump(classifier, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    calibration = reliability(_cross_fitted(top, correct), correct)
    calibration["held_out_accuracy"] = round(float(correct.mean()), 4)
    calibration["training_set"] = kinds
    calibration["mix_scores"] = {str(m): round(v / 2, 4) for m, v in scored.items()}
    with transaction.atomic():
        model, _ = TriageModel.objects.update_or_create(
            site=site,
            embedding_model=embedder.model_name,
            defaults={
                "model": buffer.getvalue(),
                "examples": len(examples),
                "categories": len(classes),
                "regression_share": mix,
                "calibration": calibration,
                "trained_at": timezone.now(),
            },
        )
    _loaded.pop(site.pk, None)
    logger.info(
        "site %s triage model: %s, %d categories, mix %.2f, held-out accuracy %.3f",
        site.pk, ", ".join(f"{n} {kind}" for kind, n in kinds.items()), len(classes), mix, correct.mean(),
    )  # fmt: skip
    return model


def needs_retraining(site: Site, model_name: str) -> bool:
    """No model yet (with enough history to make one), or enough resolved tickets or registered examples
    (categorized chats) new or changed since."""
    model = TriageModel.objects.filter(site=site, embedding_model=model_name).first()
    tickets = training_tickets(site)
    since = model.trained_at if model is not None else None
    others = sum(source.changed_since(site=site, since=since) for source in example_sources().values())
    if model is None:
        return tickets.count() + others >= MIN_EXAMPLES
    return tickets.filter(updated_at__gt=model.trained_at).count() + others >= RETRAIN_AFTER


_loaded: dict[int, tuple[object, SiteClassifier]] = {}


def _classifier_for(site_id: int, model_name: str) -> SiteClassifier | None:
    """The site's model, unpickled once per process and again only when it was retrained."""
    row = (
        TriageModel.objects.filter(site_id=site_id, embedding_model=model_name)
        .values_list("trained_at", flat=True)
        .first()
    )
    if row is None:
        return None
    cached = _loaded.get(site_id)
    if cached is None or cached[0] != (model_name, row):
        blob = TriageModel.objects.filter(site_id=site_id, embedding_model=model_name).values_list(
            "model", flat=True
        )[0]
        cached = ((model_name, row), pickle.loads(bytes(blob)))  # noqa: S301 - written by this module only
        _loaded[site_id] = cached
    return cached[1]


@dataclass(frozen=True)
class Classification:
    """The site classifier's answer for one text: its pick with a calibrated confidence, and its mixed
    probability for every category it knows (retrieval's category prior)."""

    prediction: CategoryPrediction
    distribution: dict[str, float]


def classify(*, site: Site | int, text: str, embedder: Embedder | None = None) -> Classification | None:
    """The site classifier's reading of a text; None when the site has no model yet."""
    embedder = embedder or get_embedder()
    site_id = site.pk if isinstance(site, Site) else int(site)
    classifier = _classifier_for(site_id, embedder.model_name)
    if classifier is None:
        return None
    vectors = np.asarray(embedder.embed([text]), dtype=np.float32)
    classes, probabilities = classifier.probabilities([text], vectors)
    best = int(probabilities[0].argmax())
    confidence = float(classifier.calibrator.predict([probabilities[0, best]])[0])
    return Classification(
        prediction=CategoryPrediction(category=str(classes[best]), confidence=round(confidence, 4)),
        distribution={str(label): float(p) for label, p in zip(classes, probabilities[0], strict=True)},
    )

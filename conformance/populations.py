"""Realistic data sets at scale, for the pitfall study (``conformance/pitfall_study.py``).

Hypothesis draws small inputs that reach the edges; a user meets the per-batch-average pitfall on data sets of
thousands of samples, with some class balance and a model of some quality. A :class:`Population` draws such a data
set in a domain's canonical form (the form its strategy draws: int64 labels, float32 scores), from a seeded NumPy
generator, given

- ``balance``: the share of samples outside the majority class: the positives of binary data (0.5 is 50/50, 0.01
  is 1/99), the classes other than class 0 of multiclass data (shared equally), each label's positives of
  multilabel data. Regression has no classes: its populations ignore it (``balanced=False``).
- ``quality``: for classification the ROC AUC of the model's score (the classes' scores two unit Gaussians
  ``sqrt(2) * Φ⁻¹(AUC)`` apart); for multiclass the one-vs-rest AUC of each class's logit, the scores a softmax of
  those noisy logits; for regression the correlation between prediction and target (the target is the prediction
  plus independent noise, so R² is quality²).

Scores are those of a model trained with balanced class weights, the usual practice on imbalanced data: the
probability it gives is the posterior under equal priors, so a 0.5 threshold is where the classes' likelihoods are
equal. (A model calibrated to a 1/99 prior would give no score above 0.5 at all, and every threshold metric would
be a zero-division convention, not a measurement.)

A domain names its population (``Domain.population``); None where no realistic generator makes sense (label maps,
graded relevances, values to aggregate...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from conformance.data import Batch

F32 = np.float32
CLASSES = 4  # multiclass populations: class 0 the majority, classes 1..3 sharing the balance
LABELS = 3  # multilabel populations
OUTPUTS = 3  # multi-output regression


@dataclass(frozen=True)
class Population:
    """How a realistic data set of a domain is drawn: ``draw(rng, n, balance, quality)``."""

    name: str
    description: str
    draw: Callable[[np.random.Generator, int, float, float], Batch]
    balanced: bool = True  # whether ``balance`` applies (classification); regression has no classes


def separation(auc: float) -> float:
    """The distance between two unit Gaussians whose scores rank a positive above a negative with probability
    ``auc``."""
    return float(np.sqrt(2.0) * NormalDist().inv_cdf(auc))


def exact_labels(rng: np.random.Generator, n: int, shares: np.ndarray) -> np.ndarray:
    """``n`` labels with class ``k`` exactly ``round(n * shares[k])`` times (at least once), shuffled: every data
    set of a study has the balance it says."""
    counts = np.maximum(np.round(n * np.asarray(shares)).astype(np.int64), 1)
    counts[0] = n - counts[1:].sum()
    return rng.permutation(np.repeat(np.arange(len(counts)), counts))


def binary_logits(rng: np.random.Generator, n: int, balance: float, quality: float) -> tuple[np.ndarray, np.ndarray]:
    """Binary labels and the log-odds (under equal priors) of a model of ROC AUC ``quality``."""
    y_true = exact_labels(rng, n, np.array([1 - balance, balance]))
    mu = separation(quality)
    score = rng.standard_normal(n) + mu * y_true
    # log p(s | 1) / p(s | 0) for N(mu, 1) positives and N(0, 1) negatives: the posterior log-odds at equal priors
    return y_true, mu * score - mu * mu / 2


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def binary_scores(rng: np.random.Generator, n: int, balance: float, quality: float) -> Batch:
    y_true, logits = binary_logits(rng, n, balance, quality)
    return Batch(y_true, sigmoid(logits).astype(F32))


def binary_raw_scores(rng: np.random.Generator, n: int, balance: float, quality: float) -> Batch:
    y_true, logits = binary_logits(rng, n, balance, quality)
    return Batch(y_true, logits.astype(F32))


def class_shares(balance: float, classes: int = CLASSES) -> np.ndarray:
    return np.r_[1 - balance, np.full(classes - 1, balance / (classes - 1))]


def class_probabilities(rng: np.random.Generator, n: int, balance: float, quality: float) -> tuple[np.ndarray, ...]:
    """Multiclass labels, and the softmax of noisy logits (the true class's ``separation(quality)`` up), as float32
    rows divided by their float32 sum (rows summing to 1, as probability domains want)."""
    shares = class_shares(balance)
    y_true = exact_labels(rng, n, shares)
    logits = rng.standard_normal((n, CLASSES)) + separation(quality) * np.eye(CLASSES)[y_true]
    rows = np.exp(logits - logits.max(axis=1, keepdims=True)).astype(F32)
    return y_true, (rows / rows.sum(axis=1, keepdims=True, dtype=F32)).astype(F32), logits


def multiclass_scores(rng: np.random.Generator, n: int, balance: float, quality: float) -> Batch:
    y_true, rows, _ = class_probabilities(rng, n, balance, quality)
    return Batch(y_true, rows, num_classes=CLASSES)


def multiclass_raw_scores(rng: np.random.Generator, n: int, balance: float, quality: float) -> Batch:
    y_true, _, logits = class_probabilities(rng, n, balance, quality)
    return Batch(y_true, logits.astype(F32), num_classes=CLASSES)


def predicted_labels(rng: np.random.Generator, n: int, balance: float, quality: float) -> Batch:
    y_true, rows, _ = class_probabilities(rng, n, balance, quality)
    return Batch(y_true, np.argmax(rows, axis=1).astype(np.int64), num_classes=CLASSES)


def multilabel_scores(rng: np.random.Generator, n: int, balance: float, quality: float) -> Batch:
    columns = [binary_logits(rng, n, balance, quality) for _ in range(LABELS)]
    return Batch(np.stack([y for y, _ in columns], axis=1),
                 np.stack([sigmoid(logit) for _, logit in columns], axis=1).astype(F32), num_classes=LABELS)


def regression_column(rng: np.random.Generator, n: int, quality: float) -> tuple[np.ndarray, np.ndarray]:
    """A prediction and a target that is the prediction plus noise, correlated ``quality``."""
    prediction = quality * rng.standard_normal(n)
    return prediction + np.sqrt(1 - quality * quality) * rng.standard_normal(n), prediction


def regression(rng: np.random.Generator, n: int, balance: float, quality: float) -> Batch:
    y_true, y_pred = regression_column(rng, n, quality)
    return Batch(y_true.astype(F32), y_pred.astype(F32))


def multi_output_regression(rng: np.random.Generator, n: int, balance: float, quality: float) -> Batch:
    columns = [regression_column(rng, n, quality) for _ in range(OUTPUTS)]
    return Batch(np.stack([t for t, _ in columns], axis=1).astype(F32),
                 np.stack([p for _, p in columns], axis=1).astype(F32), num_classes=OUTPUTS)


BINARY_SCORES = Population("binary scores", "0/1 labels; a classifier's probability of class 1",
                           binary_scores)
BINARY_LOGITS = Population("binary logits", "0/1 labels; a classifier's log-odds", binary_raw_scores)
MULTICLASS_SCORES = Population("multiclass scores", f"{CLASSES} classes; softmax rows of noisy logits",
                               multiclass_scores)
MULTICLASS_LOGITS = Population("multiclass logits", f"{CLASSES} classes; noisy logits", multiclass_raw_scores)
PREDICTED_LABELS = Population("predicted labels", f"{CLASSES} classes; the argmax of softmax rows of noisy logits",
                              predicted_labels)
MULTILABEL_SCORES = Population("multilabel scores", f"{LABELS} independent labels; a probability each",
                               multilabel_scores)
REGRESSION = Population("regression", "a prediction; the target is the prediction plus noise", regression,
                        balanced=False)
MULTI_OUTPUT_REGRESSION = Population("multi-output regression", f"{OUTPUTS} independent outputs, each as regression",
                                     multi_output_regression, balanced=False)

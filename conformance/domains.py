"""Input domains: what kind of data a metric takes, and the strategy that draws it.

A domain also says which of its arrays are one value per sample, i.e. may reach a library as
``(n,)`` or ``(n, 1)``, since model.fit() passes ``(n, 1)`` predictions with ``(n,)`` labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from hypothesis import strategies as st

from conformance import populations as pop
from conformance import strategies as cs
from conformance.data import Batch


@dataclass(frozen=True)
class Domain:
    """A family of inputs: its name, how to draw it, and its constraints."""

    name: str
    description: str
    draw: Callable[[int], st.SearchStrategy[Batch]]  # n -> strategy for exactly n samples
    per_sample_pred: bool  # y_pred holds one value per sample (else a row of class scores)
    per_sample_true: bool = True  # y_true is one value per sample (else a row, e.g. several outputs)
    both_classes: bool = False  # binary data must keep some weight on each class it holds, and hold both ...
    binary_labels: bool = False  # the targets are 0/1 labels (binary, multilabel): they may come as booleans
    one_class: bool = False  # ... but in some examples, which hold one class only (a single sample included)
    # How a realistic data set of thousands of samples is drawn (the pitfall study); None where none makes sense.
    population: pop.Population | None = None
    # What a simpler value must keep (reduce.py simplifies a failing example's values): rows of probabilities that
    # sum to 1 (left as they are), and a bound every float stays above (0 for strictly positive data, -1 for log1p).
    rows_sum_to_one: bool = False
    above: float | None = None
    # What the values are, which says which values are bad (the bad_inputs property, conformance/bad_inputs.py):
    # targets are class labels (a label outside [0, C) is bad), real values, probabilities or graded relevances;
    # predictions are scores (any real, logits included: an infinite score is a valid one, NaN is not),
    # probabilities (bad outside [0, 1]), class labels, or real values (NaN and infinities are bad).
    targets: Literal["classes", "real", "probabilities", "relevance"] = "classes"
    predictions: Literal["scores", "probabilities", "labels", "real"] = "scores"

    @property
    def min_samples(self) -> int:
        return 2 if self.both_classes and not self.one_class else 1

    def inputs(self, n: int) -> st.SearchStrategy[Batch]:
        """Exactly ``n`` samples of this domain."""
        return self.draw(n)


BINARY = Domain(
    "binary", "y_true in {0, 1}; y_pred a score per sample, in [0, 1] or (in one example of four) a logit",
    lambda n: cs.binary_inputs(n, logits=True), per_sample_pred=True, binary_labels=True,
    population=pop.BINARY_SCORES,
)
BINARY_BOTH_CLASSES = Domain(
    "binary-ranked", "binary, with both classes present (a ranking metric is undefined otherwise)",
    lambda n: cs.binary_inputs(n, both_classes=True), per_sample_pred=True, binary_labels=True, both_classes=True,
    population=pop.BINARY_SCORES,
)
BINARY_RANKING = Domain(
    "binary-ranking", "binary for a ranking or curve metric: both classes present (each keeps some weight) but in "
    "one example of eight, which holds one class only (a single sample included), where ROC AUC and average "
    "precision are undefined and the rates of an operating point take their conventions",
    lambda n: cs.binary_inputs(n, both_classes=True, one_class=True), per_sample_pred=True, both_classes=True,
    one_class=True, binary_labels=True, population=pop.BINARY_SCORES,
)
MULTICLASS = Domain(
    "multiclass", "integer y_true in [0, C); y_pred a row of C scores per sample; C in 2..5",
    lambda n: cs.multiclass_inputs(n), per_sample_pred=False,
    population=pop.MULTICLASS_SCORES,
)
MULTICLASS_WIDE = Domain(
    "multiclass-wide", "multiclass with 3..6 classes (for top-k with k = 2)",
    lambda n: cs.multiclass_inputs(n, min_classes=3, max_classes=6), per_sample_pred=False,
    population=pop.MULTICLASS_SCORES,
)
MULTILABEL = Domain(
    "multilabel", "y_true an (n, L) 0/1 matrix over L in 2..4 labels; y_pred a score per label in [0, 1] "
    "or (in one example of four) logits",
    lambda n: cs.multilabel_inputs(n, logits=True), per_sample_pred=False, binary_labels=True,
    population=pop.MULTILABEL_SCORES,
)
MULTILABEL_SCORES = Domain(
    "multilabel-scores", "multilabel with scores in [0, 1] (for ranking metrics)",
    lambda n: cs.multilabel_inputs(n), per_sample_pred=False, binary_labels=True,
    population=pop.MULTILABEL_SCORES,
)
LABEL_PAIRS = Domain(
    "labels", "integer y_true and y_pred in [0, C)",
    lambda n: cs.label_pair_inputs(n), per_sample_pred=True, predictions="labels",
    population=pop.PREDICTED_LABELS,
)
REGRESSION = Domain(
    "regression", "real y_true and y_pred, one output",
    lambda n: cs.regression_inputs(n), per_sample_pred=True, targets="real", predictions="real",
    population=pop.REGRESSION,
)
MULTICLASS_PROBABILITIES = Domain(
    "multiclass-probabilities", "multiclass with 3..5 classes whose score rows sum to 1 (float32), as "
    "scikit-learn's multiclass ROC AUC requires",
    lambda n: cs.probability_rows(n), per_sample_pred=False, rows_sum_to_one=True, predictions="probabilities",
    population=pop.MULTICLASS_SCORES,
)
BINARY_LOGITS = Domain(
    "binary-logits", "binary, both classes present but in one example of eight (one class only there, a single "
    "sample included), y_pred a raw score (logit) per sample in [-8, 8]",
    lambda n: cs.binary_logit_inputs(n, one_class=True), per_sample_pred=True, both_classes=True, one_class=True,
    binary_labels=True,
    population=pop.BINARY_LOGITS,
)
RELEVANCE = Domain(
    "relevance", "queries: y_true an (n, L) matrix of graded relevances in 0..3 over L in 2..5 documents "
    "(some queries with none relevant); y_pred a score per document in [0, 1]",
    lambda n: cs.relevance_inputs(n), per_sample_pred=False, targets="relevance",
)
BINARY_RELEVANCE = Domain(
    "relevance-binary", "queries: y_true an (n, L) 0/1 relevance over L in 2..5 documents (some queries with none "
    "relevant, some with all); y_pred a score per document in [0, 1] (0 and ties common)",
    lambda n: cs.relevance_inputs(n, max_grade=1), per_sample_pred=False,
)
BINARY_THRESHOLDS = Domain(
    "binary-thresholds", "binary, with scores at and one float32 step either side of 0.25, 0.5 and 0.75 "
    "(the thresholds of the threshold variants), or (in one example of four) logits",
    lambda n: cs.binary_threshold_inputs(n), per_sample_pred=True, binary_labels=True,
    population=pop.BINARY_SCORES,
)
SEGMENTATION = Domain(
    "segmentation", "(n, H, W) integer label maps, true and predicted, H and W in 1..3, C in 2..4 classes "
    "(some absent); a sample weight is one image's weight, applied to each of its pixels",
    lambda n: cs.segmentation_inputs(n), per_sample_pred=False, predictions="labels",
)

# -- regression, probabilistic and correlation domains (issue 3) ---------------------------------
REGRESSION_MULTI_OUTPUT = Domain(
    "regression-multi-output", "real y_true and y_pred of shape (n, d), d in 2..4 outputs (one may be constant)",
    lambda n: cs.multi_output_regression_inputs(n), per_sample_pred=False, per_sample_true=False,
    targets="real", predictions="real", population=pop.MULTI_OUTPUT_REGRESSION,
)
NON_NEGATIVE = Domain(
    "non-negative", "y_true and y_pred >= 0 (counts and rates; zeros common), up to 1e15",
    lambda n: cs.non_negative_inputs(n), per_sample_pred=True, targets="real", predictions="real",
)
LOG1P = Domain(
    "log1p", "y_true and y_pred in (-1, 1e3], where log(1 + y) is defined: {0} ∪ [1e-15, 1e3] and (-1, 0) down to "
    "the float32 just above -1 (not up to 1e15: float32 logs of values near 1e15 carry an absolute rounding of ~35 "
    "ulp(1), which a difference of two logs turns into a relative error no bound relative to the result covers)",
    lambda n: cs.non_negative_inputs(n, large=False, above_minus_one=True), per_sample_pred=True, above=-1.0,
    targets="real", predictions="real",
)
POSITIVE_PREDICTIONS = Domain(
    "positive-predictions", "y_true >= 0 and y_pred > 0 (Poisson and compound Tweedie deviances)",
    lambda n: cs.non_negative_inputs(n, zero_predictions=False), per_sample_pred=True, above=0.0,
    targets="real", predictions="real",
)
POSITIVE = Domain(
    "positive", "y_true > 0 and y_pred > 0 (Gamma deviance)",
    lambda n: cs.non_negative_inputs(n, zero_targets=False, zero_predictions=False), per_sample_pred=True, above=0.0,
    targets="real", predictions="real",
)
BINARY_PROBABILITIES = Domain(
    "binary-probabilities", "y_true in {0, 1}; y_pred the probability of class 1, in [0, 1] (0 and 1 included)",
    lambda n: cs.binary_inputs(n), per_sample_pred=True, binary_labels=True, predictions="probabilities",
    population=pop.BINARY_SCORES,
)
BINARY_MARGINS = Domain(
    "binary-margins", "y_true in {0, 1}; y_pred a real decision value or logit (the hinge corners -1, 0, 1 "
    "included)",
    lambda n: cs.binary_margin_inputs(n), per_sample_pred=True, binary_labels=True,
    population=pop.BINARY_LOGITS,
)
PROBABILITIES = Domain(
    "probabilities", "integer y_true in [0, C); y_pred a row of C class probabilities summing to 1 (zeros, "
    "one-hot rows and tiny probabilities common); C in 2..5",
    lambda n: cs.probability_inputs(n), per_sample_pred=False, rows_sum_to_one=True,
    predictions="probabilities", population=pop.MULTICLASS_SCORES,
)
MULTICLASS_LOGITS = Domain(
    "multiclass-logits", "integer y_true in [0, C); y_pred a row of C real scores (logits or margins, negative "
    "ones common); C in 2..5",
    lambda n: cs.multiclass_logit_inputs(n), per_sample_pred=False,
    population=pop.MULTICLASS_LOGITS,
)
DISTRIBUTIONS = Domain(
    "distributions", "y_true and y_pred both (n, C) rows of probabilities summing to 1 (zeros common)",
    lambda n: cs.distribution_pair_inputs(n), per_sample_pred=False, per_sample_true=False, rows_sum_to_one=True,
    targets="probabilities", predictions="probabilities",
)
VALUES = Domain(
    "values", "non-negative values to aggregate (Mean, Sum), one per sample (0, tiny and 1e15 included)",
    lambda n: cs.value_inputs(n), per_sample_pred=True, targets="real", predictions="real",
)
MULTICLASS_LOGITS_WIDE = Domain(
    "multiclass-logits-wide", "multiclass-logits with 3..5 classes (scikit-learn's hinge_loss reads 2 as binary)",
    lambda n: cs.multiclass_logit_inputs(n, min_classes=3), per_sample_pred=False,
    population=pop.MULTICLASS_LOGITS,
)


# -- samples of several elements (torchmetrics' multidim_average="samplewise") --------------------------------

GROUP_SIZES = (1, 3)  # elements per sample, drawn per data set: X in 1..3


def grouped(domain: Domain) -> Domain:
    """``domain``'s data as samples of X elements each (X drawn, 1..3): y_true ``(n, X)`` (multilabel ``(n, X, L)``),
    y_pred ``(n, X)`` or ``(n, X, C)`` — the elements of a sample next to each other, classes last as everywhere
    (torchmetrics reads ``(N, C, X)``: its adapter moves the class axis). A sample's weight is its elements'."""
    @st.composite
    def draw(draw_: st.DrawFn, n: int) -> Batch:
        size = draw_(st.integers(*GROUP_SIZES))
        flat = draw_(domain.inputs(n * size))
        def group(array):
            return array.reshape(n, size, *array.shape[1:])
        return Batch(group(flat.y_true), group(flat.y_pred), num_classes=flat.num_classes)
    return Domain(f"{domain.name}-grouped", f"{domain.name}, each sample X = 1..3 elements: y_true (n, X[, L]), "
                  "y_pred (n, X[, C])", draw, per_sample_pred=False, per_sample_true=False,
                  both_classes=domain.both_classes)


PADDING = -1  # a padding label (torchmetrics' ignore_index=-1): no class, dropped by the metric


def padded(domain: Domain) -> Domain:
    """``domain``'s data with some targets replaced by the padding label -1 (per sample for one target each, per
    element for rows of targets: a multilabel cell, a document's relevance), as padded batches carry them."""
    @st.composite
    def draw(draw_: st.DrawFn, n: int) -> Batch:
        batch = draw_(domain.inputs(n))
        y_true = np.array(batch.y_true, dtype=np.int64, copy=True)
        if y_true.size:
            mask = np.asarray(draw_(st.lists(st.booleans(), min_size=y_true.size, max_size=y_true.size)))
            y_true[mask.reshape(y_true.shape)] = PADDING
        return Batch(y_true, batch.y_pred, batch.sample_weight, batch.num_classes)
    # What the values are stays (bad_inputs reads it: label maps' predictions are labels, with no NaN); the targets,
    # -1 among them, are no booleans, and no population of the pitfall study is padded.
    return replace(domain, name=f"{domain.name}-padded", description=f"{domain.description}; some targets the padding "
                   "label -1", draw=draw, binary_labels=False, population=None)

"""Hypothesis strategies for metric inputs, sample weights and batch partitions.

Each strategy is small and says what it draws. They aim at the edges on purpose: scores exactly
at the 0.5 threshold and at Keras' bucket edges, ties (scores from a coarse grid), constant
targets, classes absent from the data, zero and all-zero weights, and extreme magnitudes. Every
float is drawn as float32 so that libraries and the float64 reference see identical numbers.

Arrays are drawn whole (``hypothesis.extra.numpy.arrays``) from one *kind* per array (a grid, the
edge values, any float, or a per-element mix of these): five times cheaper than a list of
``one_of`` elements, and a failure still shrinks towards the first kind and its smallest values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conformance.data import Batch

F32 = np.float32
# Scores at the decision threshold and either side of it, the ends of [0, 1], and a Keras AUC
# bucket edge (k / 199) that float32 rounding can push across.
EDGE_SCORES = (0.0, 1.0, 0.5, float(np.nextafter(F32(0.5), F32(1))), float(np.nextafter(F32(0.5), F32(0))),
               float(F32(1 / 199)), float(F32(100 / 199)))


Shape = int | tuple[int, ...]


def indices(shape: Shape, high: int) -> st.SearchStrategy[np.ndarray]:
    """An int64 array of ``shape`` with values in ``[0, high]`` (repeats are common: ``arrays`` fills)."""
    return hnp.arrays(np.int64, shape, elements=st.integers(0, high))


def picked(values: Sequence[float], dtype: type = np.float32) -> Callable[[np.ndarray], np.ndarray]:
    """Index -> value lookup into ``values`` (for drawing an array of indices, then mapping it)."""
    table = np.asarray(values, dtype=dtype)
    return lambda index: table[index]


@st.composite
def mixed_arrays(draw: st.DrawFn, shape: Shape, kinds: Sequence[st.SearchStrategy[np.ndarray]]) -> np.ndarray:
    """An array of one drawn kind, or (as the last choice) each element from a kind of its own."""
    choice = draw(st.integers(0, len(kinds)), label="array kind")
    if choice < len(kinds):
        return draw(kinds[choice])
    selector = draw(indices(shape, len(kinds) - 1))
    return np.choose(selector, [draw(kind) for kind in kinds])


def unit_score_arrays(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """float32 scores in [0, 1]: a coarse grid (ties), the edge values, any float32, or a mix."""
    return mixed_arrays(shape, [
        indices(shape, 10).map(lambda index: (index / 10).astype(F32)),
        indices(shape, len(EDGE_SCORES) - 1).map(picked(EDGE_SCORES)),
        hnp.arrays(F32, shape, elements=st.floats(0.0, 1.0, width=32)),
    ])


LOGIT_EDGES = (-2.0, 0.0, 0.5, 1.5)


def logit_score_arrays(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """float32 raw scores (logits) that may fall outside [0, 1], including the 0.5 threshold itself."""
    return mixed_arrays(shape, [
        indices(shape, len(LOGIT_EDGES) - 1).map(picked(LOGIT_EDGES)),
        hnp.arrays(F32, shape, elements=st.floats(-8.0, 8.0, width=32)),
    ])


EXTREME_VALUES = (1e15, -1e15, 1e-15, -1e-15, 1e7 + 1.0)


def real_value_arrays(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """float32 regression values: small integers, any float32 up to 1e3, extremes (see ``real_values``), or a mix."""
    return mixed_arrays(shape, [
        indices(shape, 6).map(lambda index: (index - 3).astype(F32)),
        hnp.arrays(F32, shape, elements=st.floats(-1e3, 1e3, width=32)),
        indices(shape, len(EXTREME_VALUES) - 1).map(picked(EXTREME_VALUES)),
    ])


def unit_scores() -> st.SearchStrategy[float]:
    """A score in [0, 1]: an edge value, a coarse grid value (so ties are common), or any float32."""
    return st.one_of(
        st.sampled_from(EDGE_SCORES),
        st.integers(0, 10).map(lambda i: float(F32(i / 10))),
        st.floats(0.0, 1.0, width=32),
    )


def real_values() -> st.SearchStrategy[float]:
    """A regression target or prediction: small integers, any float32 up to 1e3, or an extreme.

    Magnitudes stay within 1e15 and above 1e-15 (or exactly 0): squared errors then stay inside
    float32's normal range, since overflow and underflow there are a dtype limit, not a metric defect.
    """
    return st.one_of(
        st.integers(-3, 3).map(float),
        st.floats(-1e3, 1e3, width=32),
        st.sampled_from([1e15, -1e15, 1e-15, -1e-15, 1e7 + 1.0]).map(lambda v: float(F32(v))),
    )


@st.composite
def binary_targets(draw: st.DrawFn, n: int, *, both_classes: bool) -> np.ndarray:
    """``n`` labels in {0, 1}: mixed, or constant (one class only) unless ``both_classes``."""
    pattern = draw(st.sampled_from(["mixed", "mixed", "all-0", "all-1"]))
    constant = np.full(n, int(pattern == "all-1"), dtype=np.int64)
    labels = draw(indices(n, 1)) if pattern == "mixed" else constant
    if both_classes and n >= 2 and len(np.unique(labels)) < 2:
        labels[-1] = 1 - labels[0]  # a repair, not a filter: shrinking stays cheap
    return labels


def logit_scores() -> st.SearchStrategy[float]:
    """A raw score (logit) that may fall outside [0, 1], including the 0.5 threshold itself."""
    return st.one_of(st.sampled_from([-2.0, 0.0, 0.5, 1.5]), st.floats(-8.0, 8.0, width=32))


@st.composite
def binary_inputs(draw: st.DrawFn, n: int, *, both_classes: bool = False, logits: bool = False) -> Batch:
    """``n`` binary targets with a score each in [0, 1] (or, with ``logits``, sometimes outside it).

    With ``both_classes`` (and ``n >= 2``) both labels occur.
    """
    scores = draw(logit_score_arrays(n) if logits and draw(st.integers(0, 3)) == 0 else unit_score_arrays(n))
    return Batch(draw(binary_targets(n, both_classes=both_classes)), scores)


@st.composite
def multiclass_inputs(draw: st.DrawFn, n: int, *, min_classes: int = 2, max_classes: int = 5) -> Batch:
    """``n`` integer labels and a row of class scores each; some classes may never occur."""
    num_classes = draw(st.integers(min_classes, max_classes))
    occurring = draw(st.lists(st.integers(0, num_classes - 1), min_size=1, max_size=num_classes, unique=True))
    labels = draw(indices(n, len(occurring) - 1).map(picked(occurring, np.int64)))
    return Batch(labels, draw(unit_score_arrays((n, num_classes))), num_classes=num_classes)


@st.composite
def multilabel_targets(draw: st.DrawFn, n: int, num_labels: int) -> np.ndarray:
    """An ``(n, num_labels)`` 0/1 matrix: mixed, with one label never (or always) on, or constant rows."""
    pattern = draw(st.sampled_from(["mixed", "mixed", "label-never-on", "label-always-on", "all-0", "all-1"]))
    if pattern in ("all-0", "all-1"):
        return np.full((n, num_labels), int(pattern == "all-1"), dtype=np.int64)
    labels = draw(indices((n, num_labels), 1))
    if pattern != "mixed":
        labels[:, draw(st.integers(0, num_labels - 1))] = int(pattern == "label-always-on")
    return labels


@st.composite
def multilabel_inputs(draw: st.DrawFn, n: int, *, min_labels: int = 2, max_labels: int = 4,
                      logits: bool = False) -> Batch:
    """``n`` rows of 0/1 targets over 2..4 labels, with a score per label in [0, 1] (or sometimes logits)."""
    num_labels = draw(st.integers(min_labels, max_labels))
    shape = (n, num_labels)
    scores = draw(logit_score_arrays(shape) if logits and draw(st.integers(0, 3)) == 0 else unit_score_arrays(shape))
    return Batch(draw(multilabel_targets(n, num_labels)), scores, num_classes=num_labels)


@st.composite
def label_pair_inputs(draw: st.DrawFn, n: int, *, max_classes: int = 5) -> Batch:
    """``n`` integer true and predicted labels, for metrics that compare labels exactly."""
    num_classes = draw(st.integers(2, max_classes))
    return Batch(draw(indices(n, num_classes - 1)), draw(indices(n, num_classes - 1)), num_classes=num_classes)


@st.composite
def regression_inputs(draw: st.DrawFn, n: int) -> Batch:
    """``n`` real targets and predictions: independent, exact (zero error), or off by a small amount."""
    y_true = draw(real_value_arrays(n))
    relation = draw(st.sampled_from(["independent", "exact", "close"]))
    if relation == "exact":
        y_pred = y_true.copy()
    elif relation == "close":
        y_pred = (y_true + draw(indices(n, 2).map(picked([-1.0, 0.0, 0.5])))).astype(F32)
    else:
        y_pred = draw(real_value_arrays(n))
    return Batch(y_true, y_pred)


@st.composite
def sample_weights(draw: st.DrawFn, n: int) -> np.ndarray | None:
    """No weights, integer weights (0 drops a sample), float32 weights, or all zeros."""
    kind = draw(st.sampled_from(["none", "integer", "float", "all-zero"]))
    if kind == "none":
        return None
    if kind == "all-zero":
        return np.zeros(n, dtype=F32)
    if kind == "integer":
        return draw(indices(n, 3)).astype(F32)
    return draw(hnp.arrays(F32, n, elements=st.floats(0.0, 10.0, width=32)))


@st.composite
def positive_integer_weights(draw: st.DrawFn, n: int, *, allow_zero: bool) -> np.ndarray:
    """Integer weights in [0 or 1, 3], at least one of them positive."""
    weights = draw(indices(n, 3 if allow_zero else 2)).astype(F32) + (0 if allow_zero else 1)
    if not weights.any():
        weights[0] = 1.0
    return weights


@st.composite
def batch_sizes(draw: st.DrawFn, max_total: int, *, min_total: int = 1, max_batches: int = 12) -> list[int]:
    """Sizes of consecutive batches, drawn before the data: uneven, possibly empty, one or many; or
    as ``model.fit(batch_size=b)`` splits the data (``fit_batch_sizes``).

    Between ``min_total`` and ``max_total`` samples in all. Drawing the sizes first lets
    Hypothesis shrink a failure to the fewest, smallest batches that still show it.
    """
    uneven = st.lists(st.integers(0, max(1, max_total // 2)), min_size=1, max_size=max_batches)
    sizes = draw(st.one_of(uneven, fit_batch_sizes(max_total, max_batches)))
    room = max_total
    for i, size in enumerate(sizes):
        sizes[i] = min(size, room)
        room -= sizes[i]
    if sum(sizes) < min_total:
        sizes[-1] += min_total - sum(sizes)
    return sizes


@st.composite
def fit_batch_sizes(draw: st.DrawFn, max_total: int, max_batches: int) -> list[int]:
    """Equal batches of ``b`` samples, then possibly one shorter batch: the split of ``model.fit`` and of a
    DataLoader. Consecutive calls with the same shape are what a traced update reuses, and what a metric
    whose state depends on the call count gets wrong."""
    size = draw(st.integers(1, max(1, max_total // 2)), label="batch size")
    full = draw(st.integers(1, max(1, min(max_batches - 1, max_total // size))), label="full batches")
    rest = draw(st.integers(0, min(size - 1, max_total - full * size)), label="last batch")
    return [size] * full + ([rest] if rest else [])


def permutations(n: int) -> st.SearchStrategy[list[int]]:
    """A reordering of ``range(n)``."""
    return st.permutations(list(range(n)))


# -- ranking and retrieval ----------------------------------------------------------------------------

@st.composite
def probability_rows(draw: st.DrawFn, n: int, *, min_classes: int = 3, max_classes: int = 5) -> Batch:
    """``multiclass_inputs`` with each score row divided by its sum in float32 (an all-zero row becomes
    uniform): rows summing to 1 within float32 rounding, as scikit-learn's multiclass ROC AUC requires
    (3..5 classes: scikit-learn takes two score columns as a binary problem and wants one).
    Ties within a column survive the division only where the rows' sums agree."""
    batch = draw(multiclass_inputs(n, min_classes=min_classes, max_classes=max_classes))
    rows = batch.y_pred
    sums = rows.sum(axis=1, keepdims=True, dtype=F32)
    uniform = np.full_like(rows, F32(1) / F32(max(rows.shape[1], 1)))
    normalised = np.where(sums > 0, rows / np.where(sums > 0, sums, F32(1)), uniform).astype(F32)
    return Batch(batch.y_true, normalised, num_classes=batch.num_classes)


@st.composite
def binary_logit_inputs(draw: st.DrawFn, n: int) -> Batch:
    """``n`` binary targets, both classes present (``n >= 2``), each with a raw score (logit): an edge
    (-2, 0, 0.5, 1.5) or any float32 in [-8, 8], so some fall inside [0, 1] too."""
    scores = np.array(draw(st.lists(logit_scores(), min_size=n, max_size=n)), dtype=F32)
    return Batch(draw(binary_targets(n, both_classes=True)), scores)


@st.composite
def relevance_inputs(draw: st.DrawFn, n: int, *, min_documents: int = 2, max_documents: int = 5,
                     max_grade: int = 3) -> Batch:
    """``n`` queries (rows) of 2..5 documents: graded relevances in 0..max_grade (or 0/1 only), where
    a query may have no relevant document at all, and a score per document in [0, 1] (ties common)."""
    documents = draw(st.integers(min_documents, max_documents))
    top = draw(st.sampled_from([1, max_grade]))
    grades = draw(st.lists(st.integers(0, top), min_size=n * documents, max_size=n * documents))
    scores = draw(st.lists(unit_scores(), min_size=n * documents, max_size=n * documents))
    return Batch(np.array(grades, np.int64).reshape(n, documents),
                 np.array(scores, dtype=F32).reshape(n, documents), num_classes=documents)


# -- classification and segmentation (issue 3) ----------------------------------------------------

THRESHOLDS = (0.25, 0.5, 0.75)  # the decision thresholds the threshold-list variants use (exact in float32)


def threshold_edge_scores(thresholds: tuple[float, ...] = THRESHOLDS) -> st.SearchStrategy[float]:
    """A score in [0, 1]: one of ``thresholds`` or one float32 step either side of it, or any unit score."""
    edges = sorted({float(v) for t in thresholds
                    for v in (F32(t), np.nextafter(F32(t), F32(0)), np.nextafter(F32(t), F32(1)))})
    return st.one_of(st.sampled_from(edges), unit_scores())


@st.composite
def binary_threshold_inputs(draw: st.DrawFn, n: int, *, thresholds: tuple[float, ...] = THRESHOLDS,
                            logits: bool = True) -> Batch:
    """``n`` binary targets with scores at and around every threshold of ``thresholds`` (or, with
    ``logits``, in one example of four, raw scores outside [0, 1])."""
    values = logit_scores() if logits and draw(st.integers(0, 3)) == 0 else threshold_edge_scores(thresholds)
    scores = np.array(draw(st.lists(values, min_size=n, max_size=n)), dtype=F32)
    return Batch(draw(binary_targets(n, both_classes=False)), scores)


@st.composite
def segmentation_inputs(draw: st.DrawFn, n: int, *, max_side: int = 3, max_classes: int = 4) -> Batch:
    """``n`` label maps of H x W pixels (H, W in 1..max_side) over C classes (2..max_classes), true and
    predicted: independent, identical, or the truth with some pixels changed; some classes may never occur."""
    num_classes = draw(st.integers(2, max_classes))
    height, width = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    occurring = draw(st.lists(st.integers(0, num_classes - 1), min_size=1, max_size=num_classes, unique=True))
    cells = n * height * width
    y_true = np.array(draw(st.lists(st.sampled_from(occurring), min_size=cells, max_size=cells)), np.int64)
    relation = draw(st.sampled_from(["independent", "identical", "noisy"]))
    if relation == "identical":
        y_pred = y_true.copy()
    else:
        drawn = np.array(draw(st.lists(st.integers(0, num_classes - 1), min_size=cells, max_size=cells)), np.int64)
        keep = np.array(draw(st.lists(st.booleans(), min_size=cells, max_size=cells)), bool)
        y_pred = np.where(keep, y_true, drawn) if relation == "noisy" else drawn
    shape = (n, height, width)
    return Batch(y_true.reshape(shape), y_pred.reshape(shape), num_classes=num_classes)


# -- regression, probabilistic and correlation inputs (issue 3) ----------------------------------

@st.composite
def multi_output_regression_inputs(draw: st.DrawFn, n: int, *, min_outputs: int = 2, max_outputs: int = 4) -> Batch:
    """``n`` rows of real targets and predictions over 2..4 outputs (``num_classes`` holds the count).

    Predictions are independent, exact or off by a small amount, as in :func:`regression_inputs`;
    one output may be constant (a column of one value), the edge of R² and explained variance.
    """
    outputs = draw(st.integers(min_outputs, max_outputs))
    columns = [draw(regression_inputs(n)) for _ in range(outputs)]
    y_true = np.stack([c.y_true for c in columns], axis=1).reshape(n, outputs)
    y_pred = np.stack([c.y_pred for c in columns], axis=1).reshape(n, outputs)
    if n and draw(st.integers(0, 3)) == 0:
        y_true[:, draw(st.integers(0, outputs - 1))] = F32(draw(real_values()))
    return Batch(y_true, y_pred, num_classes=outputs)


def non_negative_values(*, zero: bool = True, large: bool = True) -> st.SearchStrategy[float]:
    """A count or rate: 0 (unless ``zero`` is False), a small integer, any float32 in [1e-3, 1e3], or an
    extreme: 1e-15, 1e-7, 1.1e-7 and (with ``large``) 1e7 + 1 and 1e15."""
    extremes = [1e-15, 1e-7, 1.1e-7] + ([1e15, 1e7 + 1.0] if large else [])
    values = st.one_of(
        st.integers(1, 5).map(float),
        st.floats(float(F32(1e-3)), 1e3, width=32),
        st.sampled_from(extremes).map(lambda v: float(F32(v))),
    )
    return st.one_of(st.just(0.0), values) if zero else values


@st.composite
def non_negative_inputs(draw: st.DrawFn, n: int, *, zero_targets: bool = True, zero_predictions: bool = True,
                        large: bool = True) -> Batch:
    """``n`` non-negative targets and predictions: independent, exact, or scaled by 0.5 or 2.

    ``zero_targets`` / ``zero_predictions`` allow zeros on that side (counts may be 0; a Poisson
    or Gamma rate may not); ``large`` allows values up to 1e15 (else up to 1e3).
    """
    y_true = np.array(draw(st.lists(non_negative_values(zero=zero_targets, large=large), min_size=n, max_size=n)),
                      F32)
    relation = draw(st.sampled_from(["independent", "exact", "scaled"]))
    if relation == "exact" and (zero_predictions or zero_targets is False):
        y_pred = y_true.copy()
    elif relation == "scaled":
        factors = np.array(draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=n, max_size=n)), F32)
        y_pred = (y_true * factors).astype(F32)
        if not zero_predictions:
            y_pred[y_pred == 0] = F32(1.0)
    else:
        y_pred = np.array(draw(st.lists(non_negative_values(zero=zero_predictions, large=large), min_size=n,
                                        max_size=n)), F32)
    return Batch(y_true, y_pred)


def margin_scores() -> st.SearchStrategy[float]:
    """A real decision value (margin): the hinge corners -1, 0 and 1, small steps, or any float32 in [-8, 8]."""
    return st.one_of(st.sampled_from([-1.0, 0.0, 1.0, -2.0, 2.0, 0.5, -0.5]), st.floats(-8.0, 8.0, width=32))


@st.composite
def binary_margin_inputs(draw: st.DrawFn, n: int) -> Batch:
    """``n`` binary targets with a real decision value (a margin or a logit) each."""
    scores = np.array(draw(st.lists(margin_scores(), min_size=n, max_size=n)), dtype=F32)
    return Batch(draw(binary_targets(n, both_classes=False)), scores)


@st.composite
def probability_row_arrays(draw: st.DrawFn, n: int, num_classes: int) -> np.ndarray:
    """``n`` rows of ``num_classes`` probabilities summing to 1 (up to float32 rounding).

    Each row is integer counts in 0..10 over their sum, so one-hot rows (certainty, right or
    wrong) and zero probabilities are common; one row in four also carries a tiny probability
    (1e-8, 1.1e-7: either side of Keras' 1e-7 clip and scikit-learn's float32 epsilon 1.19e-7).
    """
    counts = np.array(draw(st.lists(st.integers(0, 10), min_size=n * num_classes, max_size=n * num_classes)),
                      dtype=np.float64).reshape(n, num_classes)
    counts[counts.sum(axis=1) == 0, 0] = 1.0
    rows = counts / counts.sum(axis=1, keepdims=True)
    for i in range(n):
        if draw(st.integers(0, 3)) == 0:
            tiny = draw(st.sampled_from([1e-8, 1.1e-7]))
            column = draw(st.integers(0, num_classes - 1))
            largest = int(np.argmax(rows[i]))
            if column != largest:
                rows[i, largest] -= tiny - rows[i, column]
                rows[i, column] = tiny
    return rows.astype(F32)


@st.composite
def probability_inputs(draw: st.DrawFn, n: int, *, min_classes: int = 2, max_classes: int = 5) -> Batch:
    """``n`` integer labels in [0, C) and a row of class probabilities each; some classes may never occur."""
    labels = draw(multiclass_inputs(n, min_classes=min_classes, max_classes=max_classes))
    return Batch(labels.y_true, draw(probability_row_arrays(n, labels.num_classes)), num_classes=labels.num_classes)


@st.composite
def multiclass_logit_inputs(draw: st.DrawFn, n: int, *, min_classes: int = 2, max_classes: int = 5) -> Batch:
    """``n`` integer labels in [0, C) and a row of real class scores (logits or margins) each."""
    num_classes = draw(st.integers(min_classes, max_classes))
    labels = np.array(draw(st.lists(st.integers(0, num_classes - 1), min_size=n, max_size=n)), dtype=np.int64)
    scores = draw(st.lists(margin_scores(), min_size=n * num_classes, max_size=n * num_classes))
    return Batch(labels, np.array(scores, dtype=F32).reshape(n, num_classes), num_classes=num_classes)


@st.composite
def distribution_pair_inputs(draw: st.DrawFn, n: int, *, min_classes: int = 2, max_classes: int = 5) -> Batch:
    """``n`` pairs of distributions over C outcomes: ``y_true`` and ``y_pred`` rows each summing to 1."""
    num_classes = draw(st.integers(min_classes, max_classes))
    y_true = draw(probability_row_arrays(n, num_classes))
    y_pred = y_true.copy() if draw(st.integers(0, 3)) == 0 else draw(probability_row_arrays(n, num_classes))
    return Batch(y_true, y_pred, num_classes=num_classes)


@st.composite
def value_inputs(draw: st.DrawFn, n: int) -> Batch:
    """``n`` non-negative values to aggregate (Mean, Sum), in ``y_true``; ``y_pred`` holds the same values.

    Non-negative, as the losses and counts a Mean or Sum tracks: a float32 sum of signed values is
    accurate relative to the sum of their magnitudes only (it may cancel to anything near 0), which
    is float32's limit, not the metric's.
    """
    values = np.array(draw(st.lists(non_negative_values(), min_size=n, max_size=n)), dtype=F32)
    return Batch(values, values.copy())

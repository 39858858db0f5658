"""Hypothesis strategies for metric inputs, sample weights and batch partitions.

Each strategy is small and says what it draws. They aim at the edges on purpose: scores exactly
at the 0.5 threshold and at Keras' bucket edges, ties (scores from a coarse grid), constant
targets, classes absent from the data, zero and all-zero weights, and extreme magnitudes. Every
float is drawn as float32 so that libraries and the float64 reference see identical numbers.

Arrays are drawn whole, each as one Hypothesis choice (a byte string, ``element_words``), from one *kind*
per array (a grid, the edge values, any float, or a per-element mix of these). Hypothesis spends ~35 µs on each
choice it makes: drawn element by element, the inputs of one example cost ~3 ms, more than the library calls
they feed. A byte string still shrinks element by element (each byte towards 0, so each value towards the
first one of its kind), and a failure still shrinks towards the first kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
from hypothesis import strategies as st

from conformance.data import Batch

F32 = np.float32
# Scores at the decision threshold and either side of it, the ends of [0, 1], and a Keras AUC
# bucket edge (k / 199) that float32 rounding can push across.
EDGE_SCORES = (0.0, 1.0, 0.5, float(np.nextafter(F32(0.5), F32(1))), float(np.nextafter(F32(0.5), F32(0))),
               float(F32(1 / 199)), float(F32(100 / 199)))


Shape = int | tuple[int, ...]


def _words(raw: bytes, width: int, shape: Shape) -> np.ndarray:
    """Drawn bytes as an int64 array of ``shape``, ``width`` bytes (1 or 4, big-endian) per element."""
    return np.frombuffer(raw, np.uint8 if width == 1 else np.dtype(">u4")).astype(np.int64).reshape(shape)


@cache
def element_words(shape: Shape, width: int, decode: Callable[[np.ndarray], np.ndarray] | None = None,
                  ) -> st.SearchStrategy[np.ndarray]:
    """An array of ``shape`` of unsigned integers of ``width`` bytes (1 or 4), drawn as one byte string, then
    passed through ``decode`` (one map: each layer of strategies costs its own bookkeeping per draw).

    Each integer shrinks towards 0 on its own.
    """
    size = int(np.prod(shape))
    decode = decode or (lambda words: words)
    return st.binary(min_size=size * width, max_size=size * width).map(lambda raw: decode(_words(raw, width, shape)))


@cache
def indices(shape: Shape, high: int) -> st.SearchStrategy[np.ndarray]:
    """An int64 array of ``shape`` with values in ``[0, high]`` (``high`` < 256), each shrinking towards 0."""
    if not 0 <= high < 256:
        raise ValueError(f"indices: high must be in [0, 255], got {high}")
    return element_words(shape, 1, lambda words: words % (high + 1))


_HALF = 2**31


def _float_bits(value: float) -> int:
    return int(np.array(value, F32).view(np.uint32))


def _magnitudes(words: np.ndarray, low: float, high: float) -> np.ndarray:
    """Words in [0, 2^31) -> float32 in [low, high] (0 <= low): a uniform value below 2^30, else one of
    every float32 in the range, uniform over their bit patterns (so mostly tiny ones: subnormals included)."""
    uniform = words < 2**30
    scaled = low + (high - low) * (words / 2**30)
    low_bits, high_bits = _float_bits(low), _float_bits(high)
    patterns = (low_bits + (words - 2**30) % (high_bits - low_bits + 1)).astype(np.uint32).view(F32)
    return np.clip(np.where(uniform, scaled, patterns).astype(F32), F32(low), F32(high))


@cache
def float_arrays(shape: Shape, low: float, high: float) -> st.SearchStrategy[np.ndarray]:
    """float32 values in ``[low, high]``, each from 4 drawn bytes: half uniform in the range, half any float32
    in it (uniform over bit patterns: tiny magnitudes and subnormals common). Each shrinks towards ``low``, or
    towards 0 where the range holds 0 (then the lowest bit is the sign)."""
    if low >= 0:
        return element_words(shape, 4, lambda words: _magnitudes(words % _HALF, low, high))

    def signed(words: np.ndarray) -> np.ndarray:
        magnitude = words >> 1
        negative = (words & 1).astype(bool)
        return np.where(negative, -_magnitudes(magnitude, 0.0, -low), _magnitudes(magnitude, 0.0, high)).astype(F32)
    return element_words(shape, 4, signed)


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


@cache
def unit_score_arrays(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """float32 scores in [0, 1]: a coarse grid (ties), the edge values, any float32, or a mix."""
    return mixed_arrays(shape, [
        indices(shape, 10).map(lambda index: (index / 10).astype(F32)),
        indices(shape, len(EDGE_SCORES) - 1).map(picked(EDGE_SCORES)),
        float_arrays(shape, 0.0, 1.0),
    ])


LOGIT_EDGES = (-2.0, 0.0, 0.5, 1.5)


@cache
def logit_score_arrays(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """float32 raw scores (logits) that may fall outside [0, 1], including the 0.5 threshold itself."""
    return mixed_arrays(shape, [
        indices(shape, len(LOGIT_EDGES) - 1).map(picked(LOGIT_EDGES)),
        float_arrays(shape, -8.0, 8.0),
    ])


EXTREME_VALUES = (1e15, -1e15, 1e-15, -1e-15, 1e7 + 1.0)


@cache
def real_value_arrays(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """float32 regression values: small integers, any float32 up to 1e3, extremes, or a mix.

    Magnitudes stay within 1e15: squared errors then stay inside float32's range, since overflow there is a
    dtype limit, not a metric defect. Tiny and subnormal values come from the any-float kind; their squares
    may underflow, an absolute error far below any tolerance.
    """
    return mixed_arrays(shape, [
        indices(shape, 6).map(lambda index: (index - 3).astype(F32)),
        float_arrays(shape, -1e3, 1e3),
        indices(shape, len(EXTREME_VALUES) - 1).map(picked(EXTREME_VALUES)),
    ])


@cache
@st.composite
def binary_targets(draw: st.DrawFn, n: int, *, both_classes: bool) -> np.ndarray:
    """``n`` labels in {0, 1}: mixed, or constant (one class only) unless ``both_classes``."""
    pattern = draw(st.sampled_from(("mixed", "mixed", "all-0", "all-1")))
    constant = np.full(n, int(pattern == "all-1"), dtype=np.int64)
    labels = draw(indices(n, 1)) if pattern == "mixed" else constant
    if both_classes and n >= 2 and len(np.unique(labels)) < 2:
        labels[-1] = 1 - labels[0]  # a repair, not a filter: shrinking stays cheap
    return labels


@cache
@st.composite
def binary_inputs(draw: st.DrawFn, n: int, *, both_classes: bool = False, logits: bool = False) -> Batch:
    """``n`` binary targets with a score each in [0, 1] (or, with ``logits``, sometimes outside it).

    With ``both_classes`` (and ``n >= 2``) both labels occur.
    """
    scores = draw(logit_score_arrays(n) if logits and draw(st.integers(0, 3)) == 0 else unit_score_arrays(n))
    return Batch(draw(binary_targets(n, both_classes=both_classes)), scores)


@cache
@st.composite
def multiclass_inputs(draw: st.DrawFn, n: int, *, min_classes: int = 2, max_classes: int = 5) -> Batch:
    """``n`` integer labels and a row of class scores each; some classes may never occur."""
    num_classes = draw(st.integers(min_classes, max_classes))
    occurring = draw(st.lists(st.integers(0, num_classes - 1), min_size=1, max_size=num_classes, unique=True))
    labels = picked(occurring, np.int64)(draw(indices(n, len(occurring) - 1)))
    return Batch(labels, draw(unit_score_arrays((n, num_classes))), num_classes=num_classes)


@cache
@st.composite
def multilabel_targets(draw: st.DrawFn, n: int, num_labels: int) -> np.ndarray:
    """An ``(n, num_labels)`` 0/1 matrix: mixed, with one label never (or always) on, or constant rows."""
    pattern = draw(st.sampled_from(("mixed", "mixed", "label-never-on", "label-always-on", "all-0", "all-1")))
    if pattern in ("all-0", "all-1"):
        return np.full((n, num_labels), int(pattern == "all-1"), dtype=np.int64)
    labels = draw(indices((n, num_labels), 1))
    if pattern != "mixed":
        labels[:, draw(st.integers(0, num_labels - 1))] = int(pattern == "label-always-on")
    return labels


@cache
@st.composite
def multilabel_inputs(draw: st.DrawFn, n: int, *, min_labels: int = 2, max_labels: int = 4,
                      logits: bool = False) -> Batch:
    """``n`` rows of 0/1 targets over 2..4 labels, with a score per label in [0, 1] (or sometimes logits)."""
    num_labels = draw(st.integers(min_labels, max_labels))
    shape = (n, num_labels)
    scores = draw(logit_score_arrays(shape) if logits and draw(st.integers(0, 3)) == 0 else unit_score_arrays(shape))
    return Batch(draw(multilabel_targets(n, num_labels)), scores, num_classes=num_labels)


@cache
@st.composite
def label_pair_inputs(draw: st.DrawFn, n: int, *, max_classes: int = 5) -> Batch:
    """``n`` integer true and predicted labels, for metrics that compare labels exactly."""
    num_classes = draw(st.integers(2, max_classes))
    return Batch(draw(indices(n, num_classes - 1)), draw(indices(n, num_classes - 1)), num_classes=num_classes)


@cache
@st.composite
def regression_inputs(draw: st.DrawFn, n: int) -> Batch:
    """``n`` real targets and predictions: independent, exact (zero error), or off by a small amount."""
    y_true = draw(real_value_arrays(n))
    relation = draw(st.sampled_from(("independent", "exact", "close")))
    if relation == "exact":
        y_pred = y_true.copy()
    elif relation == "close":
        y_pred = (y_true + picked([-1.0, 0.0, 0.5])(draw(indices(n, 2)))).astype(F32)
    else:
        y_pred = draw(real_value_arrays(n))
    return Batch(y_true, y_pred)


@cache
@st.composite
def sample_weights(draw: st.DrawFn, n: int) -> np.ndarray | None:
    """No weights, integer weights (0 drops a sample), float32 weights, or all zeros."""
    kind = draw(st.sampled_from(("none", "integer", "float", "all-zero")))
    if kind == "none":
        return None
    if kind == "all-zero":
        return np.zeros(n, dtype=F32)
    if kind == "integer":
        return draw(indices(n, 3)).astype(F32)
    return draw(float_arrays(n, 0.0, 10.0))


@cache
@st.composite
def positive_integer_weights(draw: st.DrawFn, n: int, *, allow_zero: bool) -> np.ndarray:
    """Integer weights in [0 or 1, 3], at least one of them positive."""
    weights = draw(indices(n, 3 if allow_zero else 2)).astype(F32) + (0 if allow_zero else 1)
    if not weights.any():
        weights[0] = 1.0
    return weights


@cache
def batch_sizes(max_total: int, *, min_total: int = 1, max_batches: int = 12) -> st.SearchStrategy[list[int]]:
    """Sizes of consecutive batches, drawn before the data: uneven, possibly empty, one or many; or
    as ``model.fit(batch_size=b)`` splits the data (``fit_batch_sizes``).

    Between ``min_total`` and ``max_total`` samples in all. Drawing the sizes first lets
    Hypothesis shrink a failure to the fewest, smallest batches that still show it.
    """
    def fit(sizes: list[int]) -> list[int]:
        room = max_total
        for i, size in enumerate(sizes):
            sizes[i] = min(size, room)
            room -= sizes[i]
        if sum(sizes) < min_total:
            sizes[-1] += min_total - sum(sizes)
        return sizes
    return st.one_of(uneven_batch_sizes(max_total, max_batches), fit_batch_sizes(max_total, max_batches)).map(fit)


@cache
def uneven_batch_sizes(max_total: int, max_batches: int) -> st.SearchStrategy[list[int]]:
    """1..``max_batches`` sizes of up to half ``max_total`` each (0 included), from one byte string: a failure
    shrinks to fewer batches (bytes deleted) and smaller ones (bytes towards 0, an empty batch)."""
    largest = max(1, max_total // 2)
    return st.binary(min_size=1, max_size=max_batches).map(lambda raw: [byte % (largest + 1) for byte in raw])


@cache
@st.composite
def fit_batch_sizes(draw: st.DrawFn, max_total: int, max_batches: int) -> list[int]:
    """Equal batches of ``b`` samples, then possibly one shorter batch: the split of ``model.fit`` and of a
    DataLoader. Consecutive calls with the same shape are what a traced update reuses, and what a metric
    whose state depends on the call count gets wrong."""
    size = draw(st.integers(1, max(1, max_total // 2)), label="batch size")
    full = draw(st.integers(1, max(1, min(max_batches - 1, max_total // size))), label="full batches")
    rest = draw(st.integers(0, min(size - 1, max_total - full * size)), label="last batch")
    return [size] * full + ([rest] if rest else [])


@cache
def permutations(n: int) -> st.SearchStrategy[list[int]]:
    """A reordering of ``range(n)``: the order of drawn sort keys (ties kept in order), shrinking to none."""
    return element_words(n, 4, lambda keys: np.argsort(keys, kind="stable").tolist())


# -- ranking and retrieval ----------------------------------------------------------------------------

@cache
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


@cache
@st.composite
def binary_logit_inputs(draw: st.DrawFn, n: int) -> Batch:
    """``n`` binary targets, both classes present (``n >= 2``), each with a raw score (logit): an edge
    (-2, 0, 0.5, 1.5) or any float32 in [-8, 8], so some fall inside [0, 1] too."""
    return Batch(draw(binary_targets(n, both_classes=True)), draw(logit_score_arrays(n)))


@cache
@st.composite
def relevance_inputs(draw: st.DrawFn, n: int, *, min_documents: int = 2, max_documents: int = 5,
                     max_grade: int = 3) -> Batch:
    """``n`` queries (rows) of 2..5 documents: graded relevances in 0..max_grade (or 0/1 only), where
    a query may have no relevant document at all, and a score per document in [0, 1] (ties common)."""
    documents = draw(st.integers(min_documents, max_documents))
    top = draw(st.sampled_from([1, max_grade]))
    shape = (n, documents)
    return Batch(draw(indices(shape, top)), draw(unit_score_arrays(shape)), num_classes=documents)


# -- classification and segmentation (issue 3) ----------------------------------------------------

THRESHOLDS = (0.25, 0.5, 0.75)  # the decision thresholds the threshold-list variants use (exact in float32)


@cache
def threshold_score_arrays(shape: Shape, thresholds: tuple[float, ...] = THRESHOLDS) -> st.SearchStrategy[np.ndarray]:
    """float32 scores in [0, 1]: each of ``thresholds`` or one float32 step either side of it, any unit score
    (``unit_score_arrays``), or a per-element mix of the two."""
    edges = sorted({float(v) for t in thresholds
                    for v in (F32(t), np.nextafter(F32(t), F32(0)), np.nextafter(F32(t), F32(1)))})
    return mixed_arrays(shape, [indices(shape, len(edges) - 1).map(picked(edges)), unit_score_arrays(shape)])


@cache
@st.composite
def binary_threshold_inputs(draw: st.DrawFn, n: int, *, thresholds: tuple[float, ...] = THRESHOLDS,
                            logits: bool = True) -> Batch:
    """``n`` binary targets with scores at and around every threshold of ``thresholds`` (or, with
    ``logits``, in one example of four, raw scores outside [0, 1])."""
    raw = logits and draw(st.integers(0, 3)) == 0
    scores = draw(logit_score_arrays(n) if raw else threshold_score_arrays(n, thresholds))
    return Batch(draw(binary_targets(n, both_classes=False)), scores)


@cache
@st.composite
def segmentation_inputs(draw: st.DrawFn, n: int, *, max_side: int = 3, max_classes: int = 4) -> Batch:
    """``n`` label maps of H x W pixels (H, W in 1..max_side) over C classes (2..max_classes), true and
    predicted: independent, identical, or the truth with some pixels changed; some classes may never occur."""
    num_classes = draw(st.integers(2, max_classes))
    height, width = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    occurring = draw(st.lists(st.integers(0, num_classes - 1), min_size=1, max_size=num_classes, unique=True))
    cells = n * height * width
    y_true = picked(occurring, np.int64)(draw(indices(cells, len(occurring) - 1)))
    relation = draw(st.sampled_from(("independent", "identical", "noisy")))
    if relation == "identical":
        y_pred = y_true.copy()
    else:
        drawn = draw(indices(cells, num_classes - 1))
        keep = draw(indices(cells, 1)).astype(bool)
        y_pred = np.where(keep, y_true, drawn) if relation == "noisy" else drawn
    shape = (n, height, width)
    return Batch(y_true.reshape(shape), y_pred.reshape(shape), num_classes=num_classes)


# -- regression, probabilistic and correlation inputs (issue 3) ----------------------------------

@cache
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
        y_true[:, draw(st.integers(0, outputs - 1))] = draw(real_value_arrays(1))[0]
    return Batch(y_true, y_pred, num_classes=outputs)


@cache
def non_negative_arrays(shape: Shape, *, zero: bool = True, large: bool = True) -> st.SearchStrategy[np.ndarray]:
    """float32 counts or rates: small integers (0..5, or 1..5 without ``zero``), any float32 in [1e-3, 1e3], the
    extremes 1e-15, 1e-7, 1.1e-7 and (with ``large``) 1e7 + 1 and 1e15 (and 0 with ``zero``), or a mix."""
    extremes = ([0.0] if zero else []) + [1e-15, 1e-7, 1.1e-7] + ([1e15, 1e7 + 1.0] if large else [])
    return mixed_arrays(shape, [
        indices(shape, 5 if zero else 4).map(lambda index: (index + (0 if zero else 1)).astype(F32)),
        float_arrays(shape, float(F32(1e-3)), 1e3),
        indices(shape, len(extremes) - 1).map(picked(extremes)),
    ])


@cache
@st.composite
def non_negative_inputs(draw: st.DrawFn, n: int, *, zero_targets: bool = True, zero_predictions: bool = True,
                        large: bool = True) -> Batch:
    """``n`` non-negative targets and predictions: independent, exact, or scaled by 0.5 or 2.

    ``zero_targets`` / ``zero_predictions`` allow zeros on that side (counts may be 0; a Poisson
    or Gamma rate may not); ``large`` allows values up to 1e15 (else up to 1e3).
    """
    y_true = draw(non_negative_arrays(n, zero=zero_targets, large=large))
    relation = draw(st.sampled_from(("independent", "exact", "scaled")))
    if relation == "exact" and (zero_predictions or zero_targets is False):
        y_pred = y_true.copy()
    elif relation == "scaled":
        factors = picked([0.5, 1.0, 2.0])(draw(indices(n, 2)))
        y_pred = (y_true * factors).astype(F32)
        if not zero_predictions:
            y_pred[y_pred == 0] = F32(1.0)
    else:
        y_pred = draw(non_negative_arrays(n, zero=zero_predictions, large=large))
    return Batch(y_true, y_pred)


MARGIN_EDGES = (-1.0, 0.0, 1.0, -2.0, 2.0, 0.5, -0.5)


@cache
def margin_arrays(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """float32 decision values (margins): the hinge corners -1, 0 and 1 and small steps, any float32 in [-8, 8],
    or a mix."""
    return mixed_arrays(shape, [indices(shape, len(MARGIN_EDGES) - 1).map(picked(MARGIN_EDGES)),
                                float_arrays(shape, -8.0, 8.0)])


@cache
@st.composite
def binary_margin_inputs(draw: st.DrawFn, n: int) -> Batch:
    """``n`` binary targets with a real decision value (a margin or a logit) each."""
    return Batch(draw(binary_targets(n, both_classes=False)), draw(margin_arrays(n)))


@cache
@st.composite
def probability_row_arrays(draw: st.DrawFn, n: int, num_classes: int) -> np.ndarray:
    """``n`` rows of ``num_classes`` probabilities summing to 1 (up to float32 rounding).

    Each row is integer counts in 0..10 over their sum, so one-hot rows (certainty, right or
    wrong) and zero probabilities are common; one row in four also carries a tiny probability
    (1e-8, 1.1e-7: either side of Keras' 1e-7 clip and scikit-learn's float32 epsilon 1.19e-7).
    """
    counts = draw(indices((n, num_classes), 10)).astype(np.float64)
    counts[counts.sum(axis=1) == 0, 0] = 1.0
    rows = counts / counts.sum(axis=1, keepdims=True)
    tiny_rows = draw(indices(n, 3)) == 0
    tinies = picked([1e-8, 1.1e-7], np.float64)(draw(indices(n, 1)))
    columns = draw(indices(n, num_classes - 1))
    for i in np.flatnonzero(tiny_rows):
        tiny, column, largest = tinies[i], columns[i], int(np.argmax(rows[i]))
        if column != largest:
            rows[i, largest] -= tiny - rows[i, column]
            rows[i, column] = tiny
    return rows.astype(F32)


@cache
@st.composite
def probability_inputs(draw: st.DrawFn, n: int, *, min_classes: int = 2, max_classes: int = 5) -> Batch:
    """``n`` integer labels in [0, C) and a row of class probabilities each; some classes may never occur."""
    labels = draw(multiclass_inputs(n, min_classes=min_classes, max_classes=max_classes))
    return Batch(labels.y_true, draw(probability_row_arrays(n, labels.num_classes)), num_classes=labels.num_classes)


@cache
@st.composite
def multiclass_logit_inputs(draw: st.DrawFn, n: int, *, min_classes: int = 2, max_classes: int = 5) -> Batch:
    """``n`` integer labels in [0, C) and a row of real class scores (logits or margins) each."""
    num_classes = draw(st.integers(min_classes, max_classes))
    return Batch(draw(indices(n, num_classes - 1)), draw(margin_arrays((n, num_classes))), num_classes=num_classes)


@cache
@st.composite
def distribution_pair_inputs(draw: st.DrawFn, n: int, *, min_classes: int = 2, max_classes: int = 5) -> Batch:
    """``n`` pairs of distributions over C outcomes: ``y_true`` and ``y_pred`` rows each summing to 1."""
    num_classes = draw(st.integers(min_classes, max_classes))
    y_true = draw(probability_row_arrays(n, num_classes))
    y_pred = y_true.copy() if draw(st.integers(0, 3)) == 0 else draw(probability_row_arrays(n, num_classes))
    return Batch(y_true, y_pred, num_classes=num_classes)


@cache
@st.composite
def value_inputs(draw: st.DrawFn, n: int) -> Batch:
    """``n`` non-negative values to aggregate (Mean, Sum), in ``y_true``; ``y_pred`` holds the same values.

    Non-negative, as the losses and counts a Mean or Sum tracks: a float32 sum of signed values is
    accurate relative to the sum of their magnitudes only (it may cancel to anything near 0), which
    is float32's limit, not the metric's.
    """
    values = draw(non_negative_arrays(n))
    return Batch(values, values.copy())

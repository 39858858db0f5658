"""Hypothesis strategies for metric inputs, sample weights and batch partitions.

Each strategy is small and says what it draws. They aim at the edges on purpose: scores exactly
at the 0.5 threshold and at Keras' bucket edges, ties (scores from a coarse grid), constant
targets, classes absent from the data, zero and all-zero weights, and extreme magnitudes. Every
float is drawn as float32 so that libraries and the float64 reference see identical numbers.

Arrays are drawn whole, each as one Hypothesis choice (a byte string, ``byte_strings``), from one *kind* per
array (a grid, the edge values, any float, or a per-element mix of these: ``Kind``, ``mixed_arrays``), the kind
picked by a leading byte of the same string; where a domain's inputs need no drawn shape, targets, scores and the
choices between them (constant targets, exact predictions) are decoded from one byte string too. Hypothesis
spends ~35 µs on each choice, and ~40 µs on each layer of strategy it draws through (composite, map, one_of,
sampled_from): drawn element by element the inputs of one example cost ~3 ms, and drawn through nested strategies
~1 ms, more than the library calls they feed. A byte string still shrinks element by element (each byte towards
0, so each value towards the first one of its kind, and each selection towards its first option).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

import numpy as np
from hypothesis import strategies as st

from conformance.data import Batch

F32 = np.float32
# Scores at the decision threshold and either side of it, the ends of [0, 1], and a Keras AUC
# bucket edge (k / 199) that float32 rounding can push across.
EDGE_SCORES = (0.0, 1.0, 0.5, float(np.nextafter(F32(0.5), F32(1))), float(np.nextafter(F32(0.5), F32(0))),
               float(F32(1 / 199)), float(F32(100 / 199)))


Shape = int | tuple[int, ...]
T = TypeVar("T")


def _words(raw: bytes, width: int, shape: Shape) -> np.ndarray:
    """Drawn bytes as an int64 array of ``shape``, ``width`` bytes (1 or 4, big-endian) per element."""
    return np.frombuffer(raw, np.uint8 if width == 1 else np.dtype(">u4")).astype(np.int64).reshape(shape)


def byte_strings(size: int, decode: Callable[[bytes], T]) -> st.SearchStrategy[T]:
    """``size`` drawn bytes passed through ``decode``: one Hypothesis choice, and one layer of strategy.

    Each layer costs its own bookkeeping on every draw (~40 µs: a span, validation, a recorded call), several
    times the bytes' own cost, so a strategy here decodes all it needs from one byte string where it can.
    Each byte shrinks towards 0 on its own, so whatever a byte selects shrinks towards its first option.
    """
    return st.binary(min_size=size, max_size=size).map(decode)


@cache
def element_words(shape: Shape, width: int, decode: Callable[[np.ndarray], np.ndarray] | None = None,
                  ) -> st.SearchStrategy[np.ndarray]:
    """An array of ``shape`` of unsigned integers of ``width`` bytes (1 or 4), drawn as one byte string, then
    passed through ``decode``. Each integer shrinks towards 0 on its own."""
    decode = decode or (lambda words: words)
    return byte_strings(int(np.prod(shape)) * width, lambda raw: decode(_words(raw, width, shape)))


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


@dataclass(frozen=True, eq=False)
class Kind:
    """One way of filling an array: ``width`` bytes per element (1 or 4), each element's word decoded alone."""

    width: int
    decode: Callable[[np.ndarray], np.ndarray]


def value_kind(values: Sequence[float]) -> Kind:
    """Each element one of ``values`` (float32), shrinking towards the first."""
    table = np.asarray(values, dtype=F32)
    return Kind(1, lambda words: table[words % len(table)])


def float_kind(low: float, high: float) -> Kind:
    """float32 values in ``[low, high]`` from 4 bytes each: half uniform in the range, half any float32 in it
    (uniform over bit patterns: tiny magnitudes and subnormals common). Each shrinks towards ``low``, or
    towards 0 where the range holds 0 (then the lowest bit is the sign)."""
    if low >= 0:
        return Kind(4, lambda words: _magnitudes(words % _HALF, low, high))

    def signed(words: np.ndarray) -> np.ndarray:
        magnitude = (words >> 1) % _HALF
        negative = (words & 1).astype(bool)
        return np.where(negative, -_magnitudes(magnitude, 0.0, -low), _magnitudes(magnitude, 0.0, high)).astype(F32)
    return Kind(4, signed)


@cache
def float_arrays(shape: Shape, low: float, high: float) -> st.SearchStrategy[np.ndarray]:
    """float32 values in ``[low, high]`` (see ``float_kind``), each from 4 drawn bytes."""
    return element_words(shape, 4, float_kind(low, high).decode)


def decode_mixed(header: int, words: np.ndarray, kinds: Sequence[Kind]) -> np.ndarray:
    """The array ``header`` selects: all of one kind, or (the last choice) each element of a kind of its own,
    picked by its word's remainder, the value from the rest of the word. In the mix a float kind sees words below
    2^32 / len(kinds), so more of its values are uniform in its range (all of them for a signed range beside one
    other kind); tiny magnitudes and subnormals come from the float kind drawn alone."""
    choice = header % (len(kinds) + 1)
    if choice < len(kinds):
        return kinds[choice].decode(words)
    return np.choose(words % len(kinds), [kind.decode(words // len(kinds)) for kind in kinds])


@cache
def mixed_arrays(shape: Shape, kinds: tuple[Kind, ...]) -> st.SearchStrategy[np.ndarray]:
    """An array of one drawn kind, or each element from a kind of its own: one byte string, a leading byte that
    picks (shrinking towards the first kind), then each element's bytes (as many as the widest kind takes)."""
    width = max(kind.width for kind in kinds)
    size = int(np.prod(shape))
    return byte_strings(1 + size * width, lambda raw: decode_mixed(raw[0], _words(raw[1:], width, shape), kinds))


UNIT_KINDS = (value_kind([k / 10 for k in range(11)]), value_kind(EDGE_SCORES), float_kind(0.0, 1.0))


@cache
def unit_score_arrays(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """float32 scores in [0, 1]: a coarse grid (ties), the edge values, any float32, or a mix."""
    return mixed_arrays(shape, UNIT_KINDS)


LOGIT_EDGES = (-2.0, 0.0, 0.5, 1.5)
LOGIT_KINDS = (value_kind(LOGIT_EDGES), float_kind(-8.0, 8.0))


@cache
def logit_score_arrays(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """float32 raw scores (logits) that may fall outside [0, 1], including the 0.5 threshold itself."""
    return mixed_arrays(shape, LOGIT_KINDS)


EXTREME_VALUES = (1e15, -1e15, 1e-15, -1e-15, 1e7 + 1.0)
REAL_KINDS = (value_kind(range(-3, 4)), float_kind(-1e3, 1e3), value_kind(EXTREME_VALUES))


@cache
def real_value_arrays(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """float32 regression values: small integers, any float32 up to 1e3, extremes, or a mix.

    Magnitudes stay within 1e15: squared errors then stay inside float32's range, since overflow there is a
    dtype limit, not a metric defect. Tiny and subnormal values come from the any-float kind; their squares
    may underflow, an absolute error far below any tolerance.
    """
    return mixed_arrays(shape, REAL_KINDS)


def decode_binary_targets(header: int, labels: np.ndarray, both_classes: bool, one_class: bool = False) -> np.ndarray:
    """0/1 labels from one byte each, or (by ``header``: mixed twice as often) all 0 or all 1. ``both_classes``: both
    labels occur (where ``n >= 2``); with ``one_class`` too, except in one example of eight, all 0 or all 1: a ranking
    metric's search stays on data with both classes, and still meets the data where it is undefined."""
    if both_classes and one_class:
        pattern = header % 8  # 0-5: mixed (repaired to both classes); 6: all 0; 7: all 1
        if pattern >= 6:
            return np.full(len(labels), pattern - 6, dtype=np.int64)
        header = 0
    pattern = header % 4  # 0, 1: mixed; 2: all 0; 3: all 1
    labels = labels % 2 if pattern < 2 else np.full(len(labels), pattern - 2, dtype=np.int64)
    if both_classes and len(labels) >= 2 and len(np.unique(labels)) < 2:
        labels[-1] = 1 - labels[0]  # a repair, not a filter: shrinking stays cheap
    return labels


@cache
def binary_targets(n: int, *, both_classes: bool, one_class: bool = False) -> st.SearchStrategy[np.ndarray]:
    """``n`` labels in {0, 1}: mixed, or constant (one class only) unless ``both_classes`` (see
    ``decode_binary_targets`` for ``one_class``)."""
    return byte_strings(1 + n, lambda raw: decode_binary_targets(raw[0], _words(raw[1:], 1, n), both_classes,
                                                                 one_class))


@cache
def binary_inputs(n: int, *, both_classes: bool = False, logits: bool = False,
                  one_class: bool = False) -> st.SearchStrategy[Batch]:
    """``n`` binary targets with a score each in [0, 1] (or, with ``logits``, in one example of four raw
    scores that may fall outside it); one byte string. With ``both_classes`` (and ``n >= 2``) both labels occur,
    with ``one_class`` too but in one example of eight (see ``decode_binary_targets``).
    """
    kinds = {False: UNIT_KINDS, True: LOGIT_KINDS}

    def decode(raw: bytes) -> Batch:
        raw_scores = logits and raw[0] % 4 == 3
        scores = decode_mixed(raw[1], _words(raw[3 + n:], 4, n), kinds[raw_scores])
        return Batch(decode_binary_targets(raw[2], _words(raw[3:3 + n], 1, n), both_classes, one_class), scores)
    return byte_strings(3 + 5 * n, decode)


def decode_classes(mask: np.ndarray) -> np.ndarray:
    """The classes that may occur: each one whose mask byte is even (about half), class 0 if none is; all of
    them once shrunk."""
    occurring = np.flatnonzero(mask % 2 == 0)
    return occurring if len(occurring) else np.zeros(1, dtype=np.int64)


@cache
@st.composite
def multiclass_inputs(draw: st.DrawFn, n: int, *, min_classes: int = 2, max_classes: int = 5) -> Batch:
    """``n`` integer labels and a row of class scores each; some classes may never occur."""
    num_classes = draw(st.integers(min_classes, max_classes))
    return draw(_multiclass_batches(n, num_classes))


@cache
def _multiclass_batches(n: int, num_classes: int) -> st.SearchStrategy[Batch]:
    """One byte string: which classes occur (one byte each), a label per sample, then the score rows."""
    def decode(raw: bytes) -> Batch:
        occurring = decode_classes(_words(raw[:num_classes], 1, num_classes))
        labels = occurring[_words(raw[num_classes:num_classes + n], 1, n) % len(occurring)]
        start = num_classes + n
        scores = decode_mixed(raw[start], _words(raw[start + 1:], 4, (n, num_classes)), UNIT_KINDS)
        return Batch(labels, scores, num_classes=num_classes)
    return byte_strings(num_classes + n + 1 + 4 * n * num_classes, decode)


MULTILABEL_PATTERNS = ("mixed", "mixed", "label-never-on", "label-always-on", "all-0", "all-1")


def decode_multilabel_targets(pattern: int, column: int, labels: np.ndarray) -> np.ndarray:
    """An ``(n, num_labels)`` 0/1 matrix: mixed, with one label never (or always) on, or constant rows."""
    pattern_name = MULTILABEL_PATTERNS[pattern % len(MULTILABEL_PATTERNS)]
    if pattern_name in ("all-0", "all-1"):
        return np.full(labels.shape, int(pattern_name == "all-1"), dtype=np.int64)
    labels = labels % 2
    if pattern_name != "mixed":
        labels[:, column % labels.shape[1]] = int(pattern_name == "label-always-on")
    return labels


@cache
def multilabel_targets(n: int, num_labels: int) -> st.SearchStrategy[np.ndarray]:
    """An ``(n, num_labels)`` 0/1 matrix: mixed, with one label never (or always) on, or constant rows."""
    shape = (n, num_labels)
    return byte_strings(2 + n * num_labels,
                        lambda raw: decode_multilabel_targets(raw[0], raw[1], _words(raw[2:], 1, shape)))


@cache
@st.composite
def multilabel_inputs(draw: st.DrawFn, n: int, *, min_labels: int = 2, max_labels: int = 4,
                      logits: bool = False) -> Batch:
    """``n`` rows of 0/1 targets over 2..4 labels, with a score per label in [0, 1] (or sometimes logits)."""
    num_labels = draw(st.integers(min_labels, max_labels))
    return draw(_multilabel_batches(n, num_labels, logits))


@cache
def _multilabel_batches(n: int, num_labels: int, logits: bool) -> st.SearchStrategy[Batch]:
    """One byte string: the score kind (logits in one example of four, with ``logits``), the targets, the scores."""
    shape = (n, num_labels)
    size = n * num_labels

    def decode(raw: bytes) -> Batch:
        kinds = LOGIT_KINDS if logits and raw[0] % 4 == 3 else UNIT_KINDS
        targets = decode_multilabel_targets(raw[1], raw[2], _words(raw[3:3 + size], 1, shape))
        return Batch(targets, decode_mixed(raw[3 + size], _words(raw[4 + size:], 4, shape), kinds),
                     num_classes=num_labels)
    return byte_strings(4 + 5 * size, decode)


@cache
@st.composite
def label_pair_inputs(draw: st.DrawFn, n: int, *, max_classes: int = 5) -> Batch:
    """``n`` integer true and predicted labels, for metrics that compare labels exactly."""
    num_classes = draw(st.integers(2, max_classes))
    pairs = draw(indices((2, n), num_classes - 1))
    return Batch(pairs[0], pairs[1], num_classes=num_classes)


REGRESSION_RELATIONS = ("independent", "exact", "close")


@cache
def regression_inputs(n: int) -> st.SearchStrategy[Batch]:
    """``n`` real targets and predictions: independent, exact (zero error), or off by a small amount; one
    byte string (the relation, then each array's kind and values)."""
    offsets = np.asarray([-1.0, 0.0, 0.5], dtype=F32)

    def decode(raw: bytes) -> Batch:
        y_true = decode_mixed(raw[1], _words(raw[3:3 + 4 * n], 4, n), REAL_KINDS)
        words = _words(raw[3 + 4 * n:], 4, n)
        relation = REGRESSION_RELATIONS[raw[0] % 3]
        if relation == "exact":
            y_pred = y_true.copy()
        elif relation == "close":
            y_pred = (y_true + offsets[words % 3]).astype(F32)
        else:
            y_pred = decode_mixed(raw[2], words, REAL_KINDS)
        return Batch(y_true, y_pred)
    return byte_strings(3 + 8 * n, decode)


WEIGHT_KINDS = ("none", "integer", "float", "all-zero")


@cache
def sample_weights(n: int) -> st.SearchStrategy[np.ndarray | None]:
    """No weights, integer weights (0 drops a sample), float32 weights, or all zeros; one byte string."""
    to_float = float_kind(0.0, 10.0).decode

    def decode(raw: bytes) -> np.ndarray | None:
        kind = WEIGHT_KINDS[raw[0] % 4]
        if kind == "none":
            return None
        if kind == "all-zero":
            return np.zeros(n, dtype=F32)
        words = _words(raw[1:], 4, n)
        return (words % 4).astype(F32) if kind == "integer" else to_float(words)
    return byte_strings(1 + 4 * n, decode)


@cache
def positive_integer_weights(n: int, *, allow_zero: bool) -> st.SearchStrategy[np.ndarray]:
    """Integer weights in [0 or 1, 3], at least one of them positive."""
    def decode(words: np.ndarray) -> np.ndarray:
        weights = (words % (4 if allow_zero else 3) + (0 if allow_zero else 1)).astype(F32)
        if not weights.any():
            weights[0] = 1.0
        return weights
    return element_words(n, 1, decode)


@cache
def batch_sizes(max_total: int, *, min_total: int = 1, max_batches: int = 12) -> st.SearchStrategy[list[int]]:
    """Sizes of consecutive batches, drawn before the data: uneven, possibly empty, one or many
    (``uneven_sizes``); or as ``model.fit(batch_size=b)`` splits the data (``fit_sizes``).

    Between ``min_total`` and ``max_total`` samples in all. Drawing the sizes first lets
    Hypothesis shrink a failure to the fewest, smallest batches that still show it. The two are separate
    choices (and the split's parameters not in the uneven sizes' byte string): a failure found with ``fit``'s
    split then shrinks to the uneven one's fewest, smallest batches.
    """
    def within(sizes: list[int]) -> list[int]:
        room = max_total
        for i, size in enumerate(sizes):
            sizes[i] = min(size, room)
            room -= sizes[i]
        if sum(sizes) < min_total:
            sizes[-1] += min_total - sum(sizes)
        return sizes
    return st.one_of(
        st.binary(min_size=1, max_size=max_batches).map(lambda raw: within(uneven_sizes(raw, max_total))),
        byte_strings(3, lambda raw: within(fit_sizes(raw, max_total, max_batches))))


def uneven_sizes(raw: bytes, max_total: int) -> list[int]:
    """A batch per byte (1..``max_batches`` of them), of up to half ``max_total`` samples each (0 included): a
    failure shrinks to fewer batches (bytes deleted) and smaller ones (bytes towards 0, an empty batch)."""
    largest = max(1, max_total // 2)
    return [byte % (largest + 1) for byte in raw]


def fit_sizes(raw: bytes, max_total: int, max_batches: int) -> list[int]:
    """Equal batches of ``b`` samples, then possibly one shorter batch: the split of ``model.fit`` and of a
    DataLoader. Consecutive calls with the same shape are what a traced update reuses, and what a metric
    whose state depends on the call count gets wrong. One byte each for the batch size, the count of full
    batches and the last batch."""
    size = 1 + raw[0] % max(1, max_total // 2)
    full = 1 + raw[1] % max(1, min(max_batches - 1, max_total // size))
    rest = raw[2] % (max(0, min(size - 1, max_total - full * size)) + 1)
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
def binary_logit_inputs(draw: st.DrawFn, n: int, one_class: bool = False) -> Batch:
    """``n`` binary targets, both classes present (``n >= 2``; with ``one_class``, but in one example of eight),
    each with a raw score (logit): an edge (-2, 0, 0.5, 1.5) or any float32 in [-8, 8], so some fall inside [0, 1]
    too."""
    return Batch(draw(binary_targets(n, both_classes=True, one_class=one_class)), draw(logit_score_arrays(n)))


@cache
@st.composite
def relevance_inputs(draw: st.DrawFn, n: int, *, min_documents: int = 2, max_documents: int = 5,
                     max_grade: int = 3) -> Batch:
    """``n`` queries (rows) of 2..5 documents: graded relevances in 0..max_grade (or 0/1 only), where
    a query may have no relevant document at all, and a score per document in [0, 1] (ties common)."""
    documents = draw(st.integers(min_documents, max_documents))
    return draw(_relevance_batches(n, documents, max_grade))


@cache
def _relevance_batches(n: int, documents: int, max_grade: int) -> st.SearchStrategy[Batch]:
    """One byte string: the top grade (1 or ``max_grade``), a byte per relevance, then the scores."""
    shape = (n, documents)
    size = n * documents

    def decode(raw: bytes) -> Batch:
        top = (1, max_grade)[raw[0] % 2]
        relevances = _words(raw[1:1 + size], 1, shape) % (top + 1)
        return Batch(relevances, decode_mixed(raw[1 + size], _words(raw[2 + size:], 4, shape), UNIT_KINDS),
                     num_classes=documents)
    return byte_strings(2 + 5 * size, decode)


# -- classification and segmentation (issue 3) ----------------------------------------------------

THRESHOLDS = (0.25, 0.5, 0.75)  # the decision thresholds the threshold-list variants use (exact in float32)


@cache
def threshold_score_arrays(shape: Shape, thresholds: tuple[float, ...] = THRESHOLDS) -> st.SearchStrategy[np.ndarray]:
    """float32 scores in [0, 1]: each of ``thresholds`` or one float32 step either side of it, one of the kinds of
    ``unit_score_arrays``, or a per-element mix of these."""
    edges = sorted({float(v) for t in thresholds
                    for v in (F32(t), np.nextafter(F32(t), F32(0)), np.nextafter(F32(t), F32(1)))})
    return mixed_arrays(shape, (value_kind(edges), *UNIT_KINDS))


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
    return draw(_label_maps((n, height, width), num_classes))


SEGMENTATION_RELATIONS = ("independent", "identical", "noisy")


@cache
def _label_maps(shape: tuple[int, int, int], num_classes: int) -> st.SearchStrategy[Batch]:
    """One byte string: which classes occur in the truth, the relation, then per pixel a true label, an
    independent predicted one and whether a noisy prediction keeps the truth."""
    cells = int(np.prod(shape))

    def decode(raw: bytes) -> Batch:
        occurring = decode_classes(_words(raw[:num_classes], 1, num_classes))
        pixels = _words(raw[num_classes + 1:], 1, (3, cells))
        y_true = occurring[pixels[0] % len(occurring)]
        relation = SEGMENTATION_RELATIONS[raw[num_classes] % 3]
        drawn = pixels[1] % num_classes
        y_pred = {"identical": y_true.copy(), "independent": drawn,
                  "noisy": np.where(pixels[2] % 2 == 0, y_true, drawn)}[relation]
        return Batch(y_true.reshape(shape), y_pred.reshape(shape), num_classes=num_classes)
    return byte_strings(num_classes + 1 + 3 * cells, decode)


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
    return mixed_arrays(shape, non_negative_kinds(zero, large))


# The float32 just above -1: the least value log(1 + y) takes (log(2^-24) = -16.6).
ABOVE_MINUS_ONE = float(np.nextafter(F32(-1.0), F32(0.0)))


@cache
def non_negative_kinds(zero: bool, large: bool, above_minus_one: bool = False) -> tuple[Kind, ...]:
    """The kinds of ``non_negative_inputs`` (with ``above_minus_one``, values in (-1, 0) too: where log1p is
    defined, down to the float32 just above -1)."""
    extremes = ([0.0] if zero else []) + [1e-15, 1e-7, 1.1e-7] + ([1e15, 1e7 + 1.0] if large else [])
    kinds = value_kind(range(0 if zero else 1, 6)), float_kind(float(F32(1e-3)), 1e3), value_kind(extremes)
    if above_minus_one:
        kinds += (value_kind([-0.5, ABOVE_MINUS_ONE, -1e-7, -0.9]), float_kind(ABOVE_MINUS_ONE, 0.0))
    return kinds


NON_NEGATIVE_RELATIONS = ("independent", "exact", "scaled")


@cache
def non_negative_inputs(n: int, *, zero_targets: bool = True, zero_predictions: bool = True,
                        large: bool = True, above_minus_one: bool = False) -> st.SearchStrategy[Batch]:
    """``n`` non-negative targets and predictions: independent, exact, or scaled by 0.5 or 2; one byte string
    (the relation, then each array's kind and values).

    ``zero_targets`` / ``zero_predictions`` allow zeros on that side (counts may be 0; a Poisson
    or Gamma rate may not); ``large`` allows values up to 1e15 (else up to 1e3); ``above_minus_one`` allows
    values in (-1, 0) on both sides (a scaled one stays above -1).
    """
    true_kinds = non_negative_kinds(zero_targets, large, above_minus_one)
    pred_kinds = non_negative_kinds(zero_predictions, large, above_minus_one)
    factors = np.asarray([0.5, 1.0, 2.0], dtype=F32)

    def decode(raw: bytes) -> Batch:
        y_true = decode_mixed(raw[1], _words(raw[3:3 + 4 * n], 4, n), true_kinds)
        words = _words(raw[3 + 4 * n:], 4, n)
        relation = NON_NEGATIVE_RELATIONS[raw[0] % 3]
        if relation == "exact" and (zero_predictions or zero_targets is False):
            y_pred = y_true.copy()
        elif relation == "scaled":
            y_pred = np.maximum(y_true * factors[words % 3], F32(ABOVE_MINUS_ONE)).astype(F32)
            if not zero_predictions:
                y_pred[y_pred == 0] = F32(1.0)
        else:
            y_pred = decode_mixed(raw[2], words, pred_kinds)
        return Batch(y_true, y_pred)
    return byte_strings(3 + 8 * n, decode)


MARGIN_EDGES = (-1.0, 0.0, 1.0, -2.0, 2.0, 0.5, -0.5)
MARGIN_KINDS = (value_kind(MARGIN_EDGES), float_kind(-8.0, 8.0))


@cache
def margin_arrays(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """float32 decision values (margins): the hinge corners -1, 0 and 1 and small steps, any float32 in [-8, 8],
    or a mix."""
    return mixed_arrays(shape, MARGIN_KINDS)


@cache
@st.composite
def binary_margin_inputs(draw: st.DrawFn, n: int) -> Batch:
    """``n`` binary targets with a real decision value (a margin or a logit) each."""
    return Batch(draw(binary_targets(n, both_classes=False)), draw(margin_arrays(n)))


@cache
def probability_row_arrays(n: int, num_classes: int) -> st.SearchStrategy[np.ndarray]:
    """``n`` rows of ``num_classes`` probabilities summing to 1 (up to float32 rounding).

    Each row is integer counts in 0..10 over their sum, so one-hot rows (certainty, right or
    wrong) and zero probabilities are common; one row in four also carries a tiny probability
    (1e-8, 1.1e-7: either side of Keras' 1e-7 clip and scikit-learn's float32 epsilon 1.19e-7).
    """
    shape = (n, num_classes + 3)
    return byte_strings(n * (num_classes + 3), lambda raw: decode_probability_rows(_words(raw, 1, shape)))


def decode_probability_rows(words: np.ndarray) -> np.ndarray:
    """Rows of ``probability_row_arrays`` from a byte per class, then 3 per row: whether the row carries a tiny
    probability (one in four), which one, and in which column."""
    num_classes = words.shape[1] - 3
    counts = (words[:, :num_classes] % 11).astype(np.float64)
    counts[counts.sum(axis=1) == 0, 0] = 1.0
    rows = counts / counts.sum(axis=1, keepdims=True)
    tiny_rows = words[:, num_classes] % 4 == 3
    tinies = np.asarray([1e-8, 1.1e-7])[words[:, num_classes + 1] % 2]
    columns = words[:, num_classes + 2] % num_classes
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

"""Deliberately broken Keras metrics (and correct ones), each a bug users' own metrics really have.

All compute a mean squared error. The harness must flag every broken one and none of the correct.
``CorrectMSE(dtype="float64")`` keeps float64 state; with the default float32 state it stops counting
single samples past 2^24 (``conformance check`` reports that as ``counts_past_2_24``). It computes in its own dtype
(``self.dtype``), as Keras' Metric documents ("the dtype of the metric's computations").
"""

from __future__ import annotations

import keras
from keras import ops


class CorrectMSE(keras.metrics.Metric):
    """A correct weighted mean squared error, flattening its inputs to one value per sample."""

    count_dtype: str | None = None  # None: the metric's dtype (float32 unless dtype="float64" is given)

    def __init__(self, name: str = "mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total", dtype=self.dtype)
        self.count = self.add_variable(shape=(), initializer="zeros", name="count",
                                       dtype=self.count_dtype or self.dtype)

    def squared_errors(self, y_true, y_pred):
        y_true = ops.reshape(ops.cast(y_true, self.dtype), (-1,))
        # To the targets' shape, not (-1,): one prediction more than targets raises instead of broadcasting.
        y_pred = ops.reshape(ops.cast(y_pred, self.dtype), ops.shape(y_true))
        return ops.square(y_pred - y_true)

    def weights(self, sample_weight, errors):
        if sample_weight is None:
            return ops.ones_like(errors)
        # (n,), (n, 1) or one number for the whole batch: one weight per sample either way
        return ops.broadcast_to(ops.reshape(ops.cast(sample_weight, self.dtype), (-1,)), ops.shape(errors))

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = self.squared_errors(y_true, y_pred)
        weights = self.weights(sample_weight, errors)
        self.total.assign_add(ops.sum(errors * weights))
        self.count.assign_add(ops.sum(weights))

    def result(self):
        return ops.divide_no_nan(self.total, self.count)


class NaNPredictionsAsZero(CorrectMSE):
    """Bug: NaN predictions silently replaced by 0 before the squared errors (``tf.where(isnan, 0, x)``, to keep a
    training curve finite): a model that outputs NaN scores a finite error."""

    def squared_errors(self, y_true, y_pred):
        y_pred = ops.cast(y_pred, "float32")
        return super().squared_errors(y_true, ops.where(ops.isnan(y_pred), ops.zeros_like(y_pred), y_pred))


class ScalarWeightCountedOnce(CorrectMSE):
    """Bug: one number given as sample_weight is added to the count once, not once per sample (the weight is
    flattened, not broadcast), so a stream of uneven batches averages per-batch means."""

    def weights(self, sample_weight, errors):
        if sample_weight is None:
            return ops.ones_like(errors)
        return ops.reshape(ops.cast(sample_weight, "float32"), (-1,))


class WeightsOnNumeratorOnly(CorrectMSE):
    """Bug: weights multiply the errors but the count adds one per sample."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = self.squared_errors(y_true, y_pred)
        self.total.assign_add(ops.sum(errors * self.weights(sample_weight, errors)))
        self.count.assign_add(ops.cast(ops.size(errors), "float32"))


class AssignInsteadOfAccumulate(CorrectMSE):
    """Bug: ``assign`` where ``assign_add`` was meant: only the last batch counts."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = self.squared_errors(y_true, y_pred)
        weights = self.weights(sample_weight, errors)
        self.total.assign(ops.sum(errors * weights))
        self.count.assign(ops.sum(weights))


class PerBatchAveraging(CorrectMSE):
    """Bug: accumulates each batch's mean and averages those means."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = self.squared_errors(y_true, y_pred)
        weights = self.weights(sample_weight, errors)
        if ops.size(errors) == 0:
            return
        self.total.assign_add(ops.divide_no_nan(ops.sum(errors * weights), ops.sum(weights)))
        self.count.assign_add(1.0)


class IncompleteReset(CorrectMSE):
    """Bug: reset_state forgets one of the two state variables."""

    def reset_state(self):
        self.total.assign(0.0)


class ResultMutatesState(CorrectMSE):
    """Bug: result() folds the state into a mean in place, so later updates are mis-weighted."""

    def result(self):
        mean = ops.divide_no_nan(self.total, self.count)
        self.total.assign(mean)
        self.count.assign(ops.minimum(self.count, 1.0))
        return mean


class NoReshapeBroadcasting(CorrectMSE):
    """Bug: subtracts without matching shapes: ``(n,)`` against ``(n, 1)`` broadcasts to ``(n, n)``."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = ops.square(ops.cast(y_pred, "float32") - ops.cast(y_true, "float32"))
        self.total.assign_add(ops.sum(errors))
        self.count.assign_add(ops.cast(ops.shape(y_true)[0], "float32"))


class OffByOneDenominator(CorrectMSE):
    """Bug: divides by n + 1 in every batch (a 'Bessel correction' where none belongs)."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = self.squared_errors(y_true, y_pred)
        weights = self.weights(sample_weight, errors)
        self.total.assign_add(ops.sum(errors * weights))
        self.count.assign_add(ops.sum(weights) + 1.0)


class MisalignedPredictions(CorrectMSE):
    """Bug: predictions shifted by one sample against their targets (an off-by-one in slicing)."""

    def squared_errors(self, y_true, y_pred):
        y_true = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        y_pred = ops.reshape(ops.cast(y_pred, "float32"), (-1,))
        return ops.square(ops.roll(y_pred, 1) - y_true)


class PythonStateInUpdate(CorrectMSE):
    """Bug: a Python attribute steers update_state. Eagerly it works; under tf.function (as fit()
    runs metrics) the branch is fixed when the update is traced, so traced calls keep ``assign``-ing."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.started = False

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = self.squared_errors(y_true, y_pred)
        weights = self.weights(sample_weight, errors)
        if self.started:
            self.total.assign_add(ops.sum(errors * weights))
            self.count.assign_add(ops.sum(weights))
        else:
            self.total.assign(ops.sum(errors * weights))
            self.count.assign(ops.sum(weights))
            self.started = True

    def reset_state(self):
        super().reset_state()
        self.started = False


class Float16Count(CorrectMSE):
    """Bug: a float16 count: adding 1 to 2048 gives 2048, and past 65,504 it is infinite."""

    count_dtype = "float16"


class Float32Count(CorrectMSE):
    """Bug: a float32 count beside a float64 total: past 2^24, adding 1 gives 2^24."""

    count_dtype = "float32"


class Float32CastMSE(CorrectMSE):
    """Bug: casts its inputs to float32 whatever its dtype: built with dtype="float64" for float64 data, it still
    rounds the inputs to float32 and computes in float32, so a float64 user gets float32 errors."""

    def squared_errors(self, y_true, y_pred):
        y_true = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        y_pred = ops.reshape(ops.cast(y_pred, "float32"), (-1,))
        return ops.cast(ops.square(y_pred - y_true), self.dtype)


class PolicyDtypeState(CorrectMSE):
    """Bug: takes its dtype from the global dtype policy's compute dtype "to match the model": under mixed_float16
    its total and count are float16 (a sum keeps 11 bits, a count stops at 2048), where Keras' own metrics stay in
    floatx (float32)."""

    def __init__(self, name: str = "mse", **kwargs):
        kwargs.setdefault("dtype", keras.config.dtype_policy().compute_dtype)
        super().__init__(name=name, **kwargs)


class NaNOnEmptyBatch(CorrectMSE):
    """Bug: adds the batch mean times the batch size; an empty batch's mean is NaN, and NaN * 0 is NaN."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = self.squared_errors(y_true, y_pred)
        weights = self.weights(sample_weight, errors)
        total_weight = ops.sum(weights)
        self.total.assign_add(ops.cast(ops.sum(errors * weights) / total_weight * total_weight, self.dtype))
        self.count.assign_add(ops.cast(total_weight, self.dtype))


class CachedResult(CorrectMSE):
    """Bug: result() is cached; update_state clears the cache but reset_state does not."""

    def __init__(self, name: str = "mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self._cached = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._cached = None
        super().update_state(y_true, y_pred, sample_weight)

    def result(self):
        if self._cached is None:
            self._cached = super().result()
        return self._cached


class LegacyResetStates(CachedResult):
    """Bug: a Keras 2 metric whose reset_states() also drops its cached result; Keras 3 calls reset_state(), which
    zeroes the variables but leaves the cache, so the override that would have cleared it never runs."""

    def reset_states(self):
        for variable in self.variables:
            variable.assign(ops.zeros_like(variable))
        self._cached = None


class LegacyResetStatesHarmless(CorrectMSE):
    """Correct in Keras 3: reset_states() (Keras 2's name) is never called, but Keras 3's reset_state() zeroes every
    variable, which is all this override did (a note, not a failure)."""

    def reset_states(self):
        for variable in self.variables:
            variable.assign(ops.zeros_like(variable))


class PythonNumberCount(CorrectMSE):
    """Bug: the count is a Python attribute, not a variable: reset_state() leaves it, and under tf.function
    it holds a symbolic tensor from the trace."""

    def __init__(self, name: str = "mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.seen = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = self.squared_errors(y_true, y_pred)
        weights = self.weights(sample_weight, errors)
        self.total.assign_add(ops.cast(ops.sum(errors * weights), self.dtype))
        self.seen = self.seen + ops.cast(ops.sum(weights), self.dtype)

    def result(self):
        return ops.divide_no_nan(self.total, ops.cast(self.seen, self.dtype))


class ConfigWithoutArguments(CorrectMSE):
    """Bug: a required constructor argument that get_config() leaves out: from_config() cannot rebuild it."""

    def __init__(self, offset: float, name: str = "mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.offset = offset

    def squared_errors(self, y_true, y_pred):
        return super().squared_errors(y_true, y_pred) + self.offset


class PythonListState(CorrectMSE):
    """Bug: keeps the squared errors in a Python list (reset_state clears it, so reset works): the stateless API
    and tf.function never see that state, and stateless calls change it."""

    def __init__(self, name: str = "mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.seen: list = []

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = self.squared_errors(y_true, y_pred)
        self.seen.append((errors, self.weights(sample_weight, errors)))

    def result(self):
        total = sum((ops.sum(e * w) for e, w in self.seen), ops.zeros(()))
        count = sum((ops.sum(w) for _, w in self.seen), ops.zeros(()))
        return ops.divide_no_nan(total, count)

    def reset_state(self):
        super().reset_state()
        self.seen = []


class GuideTruePositives(keras.metrics.Metric):
    """Correct, as Keras' own guide writes it: result() returns the state variable itself. Keras'
    stateless_result() then reads the variable outside its stateless scope (Keras' defect: a note)."""

    def __init__(self, name: str = "true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.reshape(ops.cast(y_true, "bool"), (-1,))
        y_pred = ops.reshape(ops.cast(y_pred > 0.5, "bool"), (-1,))
        values = ops.cast(ops.logical_and(y_true, y_pred), self.dtype)
        if sample_weight is not None:
            values = values * ops.reshape(ops.cast(sample_weight, self.dtype), (-1,))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives


class NeedsNumClasses(keras.metrics.Metric):
    """Correct top-1 accuracy whose constructor requires num_classes (``--num-classes`` passes it)."""

    def __init__(self, num_classes: int, name: str = "accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits", dtype="float64")
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen", dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        hits = ops.cast(ops.equal(labels, ops.cast(ops.argmax(y_pred, axis=-1), "int32")), "float64")
        weights = ops.ones_like(hits) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float64"),
                                                                                  (-1,))
        self.hits.assign_add(ops.sum(hits * weights))
        self.seen.assign_add(ops.sum(weights))

    def result(self):
        return ops.divide_no_nan(self.hits, self.seen)


class GuideTruePositivesAtOrAbove(GuideTruePositives):
    """Bug: counts a score of exactly 0.5 as positive (``>=``), where Keras' metrics and the reference take
    ``score > threshold``: wrong only on the boundary, which the strategies draw."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.reshape(ops.cast(y_true, "bool"), (-1,))
        y_pred = ops.reshape(ops.cast(y_pred >= 0.5, "bool"), (-1,))
        values = ops.cast(ops.logical_and(y_true, y_pred), self.dtype)
        if sample_weight is not None:
            values = values * ops.reshape(ops.cast(sample_weight, self.dtype), (-1,))
        self.true_positives.assign_add(ops.sum(values))


class FlatArgmax(NeedsNumClasses):
    """Bug: ``argmax(y_pred)`` without ``axis``: the index into the flattened batch, one number compared with
    every label, where the top class of each row was meant."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        hits = ops.cast(ops.equal(labels, ops.cast(ops.argmax(y_pred), "int32")), "float64")
        self.hits.assign_add(ops.sum(hits))
        self.seen.assign_add(ops.cast(ops.shape(labels)[0], "float64"))

"""Deliberately broken Keras metrics (and correct ones), each a bug users' own metrics really have.

All compute a mean squared error. The harness must flag every broken one and none of the correct.
"""

from __future__ import annotations

import keras
from keras import ops


class CorrectMSE(keras.metrics.Metric):
    """A correct weighted mean squared error, flattening its inputs to one value per sample."""

    def __init__(self, name: str = "mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def squared_errors(self, y_true, y_pred):
        y_true = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        y_pred = ops.reshape(ops.cast(y_pred, "float32"), (-1,))
        return ops.square(y_pred - y_true)

    def weights(self, sample_weight, errors):
        if sample_weight is None:
            return ops.ones_like(errors)
        return ops.reshape(ops.cast(sample_weight, "float32"), (-1,))

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = self.squared_errors(y_true, y_pred)
        weights = self.weights(sample_weight, errors)
        self.total.assign_add(ops.sum(errors * weights))
        self.count.assign_add(ops.sum(weights))

    def result(self):
        return ops.divide_no_nan(self.total, self.count)


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

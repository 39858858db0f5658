"""Functions as users pass them to Keras ``compile(metrics=[...])``, for the gallery."""

from __future__ import annotations

from keras import ops


def squared_error(y_true, y_pred):
    """Correct: one squared error per sample (compile() averages them exactly); the predictions reshaped to the
    targets' shape, so that one prediction more than targets raises instead of broadcasting."""
    y_true = ops.reshape(ops.cast(y_true, "float32"), (-1,))
    y_pred = ops.reshape(ops.cast(y_pred, "float32"), ops.shape(y_true))
    return ops.square(y_pred - y_true)


def batch_mean_squared_error(y_true, y_pred):
    """Bug: returns the batch's mean; compile() then averages batch means, mis-weighting uneven batches."""
    return ops.mean(squared_error(y_true, y_pred))


def broadcasting_squared_error(y_true, y_pred):
    """Bug: no reshape: ``(n,)`` labels against the model's ``(n, 1)`` output broadcast to ``(n, n)``."""
    return ops.mean(ops.square(ops.cast(y_true, "float32") - ops.cast(y_pred, "float32")), axis=-1)


def binary_hit(y_true, y_pred):
    """Correct: 1.0 where the prediction (score > 0.5) equals the label, per sample; NaN where the score is NaN or
    the label is not 0 or 1 (no hit or miss is defined there)."""
    y_true = ops.reshape(ops.cast(y_true, "float32"), (-1,))
    y_pred = ops.reshape(ops.cast(y_pred, "float32"), ops.shape(y_true))
    hit = ops.cast(ops.equal(ops.cast(y_pred > 0.5, "float32"), y_true), "float32")
    defined = ops.logical_and(ops.logical_not(ops.isnan(y_pred)), ops.logical_or(y_true == 0, y_true == 1))
    return ops.where(defined, hit, ops.full_like(hit, float("nan")))


def batch_macro_f1(y_true, y_pred):
    """Bug (the pitfall): a macro F1 of the batch; compile() averages per-batch F1 scores, which is not the F1
    of the data. (Classes 0..2, integer labels, argmax of the score rows.)"""
    labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
    predicted = ops.argmax(y_pred, axis=-1)
    actual = ops.one_hot(labels, 3)
    chosen = ops.one_hot(predicted, 3)
    tp = ops.sum(actual * chosen, axis=0)
    fp = ops.sum((1 - actual) * chosen, axis=0)
    fn = ops.sum(actual * (1 - chosen), axis=0)
    return ops.mean(ops.divide_no_nan(2 * tp, 2 * tp + fp + fn))


def batch_recall(y_true, y_pred):
    """Bug (the famous per-batch ``recall_m``): a recall of the batch, which compile() averages over batches; and
    ``y_true * y_pred`` needs float labels (integer ones raise)."""
    true_positives = ops.sum(ops.round(ops.clip(y_true * y_pred, 0, 1)))
    possible_positives = ops.sum(ops.round(ops.clip(y_true, 0, 1)))
    return true_positives / (possible_positives + 1e-7)

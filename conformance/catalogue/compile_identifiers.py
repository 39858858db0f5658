"""The string identifiers users pass to Keras ``compile(metrics=[...])``, and the metric each should be.

Keras resolves a string in ``keras/src/trainers/compile_utils.py::get_metric``: ``"accuracy"`` and ``"acc"`` (in any
case) by the shapes of the targets and the model's output (BinaryAccuracy where the output has one column,
SparseCategoricalAccuracy where the targets have a lower rank or one column against several, else
CategoricalAccuracy: the loss plays no part, as Keras 3's compile() docs say); every other string through
``keras.metrics.get`` (``keras/src/metrics/__init__.py``: the class names, their snake_case forms and the aliases
``mse``, ``mae``, ``mape``, ``msle``, ``bce``), which builds the class with its defaults.

Each row is one identifier, the catalogue metric (spec id) a user who writes it expects for that spec's data (its
model output and targets: the spec's domain and Keras binding), and the loss they compile with. The property
``compile_identifiers`` compiles a model with the row's identifier and loss, records what Keras resolved it to and
judges the value against the expected metric's reference. Where Keras documents another behaviour, the declaration
is here too, beside its rows (``DECLARED``), added to the metric's known differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from conformance.catalogue.model import KnownDifference

BY_SHAPE = ("Keras' compile() docs: 'accuracy' becomes BinaryAccuracy, CategoricalAccuracy or "
            "SparseCategoricalAccuracy by the shapes of the targets and of the model output")


@dataclass(frozen=True)
class CompileIdentifier:
    """``identifier`` (what a user writes in compile(metrics=[...])) with ``loss`` is expected to be the catalogue
    metric ``expects`` on that metric's data; ``why`` says why a user expects it."""

    identifier: str
    expects: str
    loss: str
    why: str


BINARY = "a sigmoid output (n, 1) with 0/1 labels"
SPARSE = "a softmax output (n, C) with integer labels"
ONE_HOT = "a softmax output (n, C) with one-hot targets"
REGRESSION = "a linear output (n, 1) with real targets"

IDENTIFIERS: tuple[CompileIdentifier, ...] = (
    # 'accuracy' and 'acc': resolved by shape
    CompileIdentifier("accuracy", "BinaryAccuracy", "binary_crossentropy", f"{BINARY}; {BY_SHAPE}"),
    CompileIdentifier("acc", "BinaryAccuracy", "binary_crossentropy", f"{BINARY}; the short form of 'accuracy'"),
    CompileIdentifier("accuracy", "SparseCategoricalAccuracy", "sparse_categorical_crossentropy",
                      f"{SPARSE}; {BY_SHAPE}"),
    CompileIdentifier("acc", "SparseCategoricalAccuracy", "sparse_categorical_crossentropy",
                      f"{SPARSE}; the short form of 'accuracy'"),
    CompileIdentifier("accuracy", "CategoricalAccuracy", "categorical_crossentropy", f"{ONE_HOT}; {BY_SHAPE}"),
    # the accuracies by name
    CompileIdentifier("binary_accuracy", "BinaryAccuracy", "binary_crossentropy", f"{BINARY}; the metric named"),
    CompileIdentifier("categorical_accuracy", "CategoricalAccuracy", "categorical_crossentropy",
                      f"{ONE_HOT}; the metric named"),
    CompileIdentifier("sparse_categorical_accuracy", "SparseCategoricalAccuracy", "sparse_categorical_crossentropy",
                      f"{SPARSE}; the metric named"),
    # ranking and confusion metrics, by class name and snake_case (Keras' defaults: threshold 0.5, 200 buckets)
    CompileIdentifier("AUC", "AUC", "binary_crossentropy", f"{BINARY}; keras.metrics.AUC() (ROC, 200 thresholds)"),
    CompileIdentifier("auc", "AUC", "binary_crossentropy", f"{BINARY}; the snake_case form of 'AUC'"),
    CompileIdentifier("Precision", "Precision", "binary_crossentropy", f"{BINARY}; keras.metrics.Precision() "
                      "(threshold 0.5)"),
    CompileIdentifier("precision", "Precision", "binary_crossentropy", f"{BINARY}; the snake_case form"),
    CompileIdentifier("Recall", "Recall", "binary_crossentropy", f"{BINARY}; keras.metrics.Recall() (threshold 0.5)"),
    CompileIdentifier("recall", "Recall", "binary_crossentropy", f"{BINARY}; the snake_case form"),
    CompileIdentifier("f1_score", "F1Score[average=None]", "categorical_crossentropy",
                      f"{ONE_HOT}; keras.metrics.F1Score() (average=None: one F1 per class)"),
    # regression: the aliases and the names
    CompileIdentifier("mse", "MeanSquaredError", "mse", f"{REGRESSION}; the alias of mean_squared_error"),
    CompileIdentifier("MSE", "MeanSquaredError", "mse", f"{REGRESSION}; the upper-case alias"),
    CompileIdentifier("mean_squared_error", "MeanSquaredError", "mse", f"{REGRESSION}; the metric named"),
    CompileIdentifier("mae", "MeanAbsoluteError", "mae", f"{REGRESSION}; the alias of mean_absolute_error"),
    CompileIdentifier("mape", "MeanAbsolutePercentageError", "mape",
                      f"{REGRESSION}; the alias of mean_absolute_percentage_error"),
    CompileIdentifier("msle", "MeanSquaredLogarithmicError", "msle",
                      f"{REGRESSION}; the alias of mean_squared_logarithmic_error"),
    CompileIdentifier("root_mean_squared_error", "RootMeanSquaredError", "mse", f"{REGRESSION}; the metric named"),
    CompileIdentifier("r2_score", "R2Score[outputs=1]", "mse", f"{REGRESSION}; keras.metrics.R2Score()"),
    CompileIdentifier("log_cosh_error", "LogCoshError", "log_cosh", f"{REGRESSION}; the metric named"),
    # probabilistic: the losses as metrics
    CompileIdentifier("binary_crossentropy", "BinaryCrossentropy", "binary_crossentropy",
                      f"{BINARY}; the loss's own value, as a metric"),
    CompileIdentifier("bce", "BinaryCrossentropy", "binary_crossentropy", f"{BINARY}; the alias of "
                      "binary_crossentropy"),
    CompileIdentifier("crossentropy", "BinaryCrossentropy", "binary_crossentropy",
                      f"{BINARY}; Keras 2 resolved 'crossentropy' by the loss, as it still does for losses"),
    CompileIdentifier("categorical_crossentropy", "CategoricalCrossentropy", "categorical_crossentropy",
                      f"{ONE_HOT}; the loss's own value, as a metric"),
    CompileIdentifier("crossentropy", "CategoricalCrossentropy", "categorical_crossentropy",
                      f"{ONE_HOT}; Keras 2 resolved 'crossentropy' by the loss, as it still does for losses"),
    CompileIdentifier("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy",
                      "sparse_categorical_crossentropy", f"{SPARSE}; the loss's own value, as a metric"),
    CompileIdentifier("hinge", "Hinge", "hinge", f"{BINARY} (margins); the loss's own value"),
    CompileIdentifier("squared_hinge", "SquaredHinge", "squared_hinge", f"{BINARY} (margins); the loss's own value"),
    CompileIdentifier("poisson", "Poisson", "poisson", "a non-negative output (n, 1) with counts; the loss's own "
                      "value"),
    CompileIdentifier("kl_divergence", "KLDivergence", "kl_divergence", "a softmax output (n, C) with target "
                      "distributions; the loss's own value"),
)

# Keras 3 resolves "crossentropy" (and "ce") for a loss (compile_utils.get_loss picks binary, categorical or sparse by
# shape) but not for a metric: keras.metrics.get() has no such name, so compile() raises. Keras 2 (tf.keras) resolved
# it for metrics too.
KERAS_3_NO_CROSSENTROPY_METRIC = KnownDifference(
    "keras", kind="convention", properties=("compile_identifiers",),
    raises=r"Could not interpret metric identifier: crossentropy",
    what="compile(metrics=['crossentropy']) raises 'Could not interpret metric identifier' in Keras 3: the name is "
         "resolved by shape for losses only (Keras 2 resolved it for metrics too); name the metric "
         "(binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy).",
    cause="compile_utils.get_metric resolves only 'accuracy' and 'acc' by shape and passes every other string to "
          "keras.metrics.get, whose table (the metric classes' names, their snake_case forms and the aliases mse, "
          "mae, mape, msle, bce) has no 'crossentropy'; compile_utils.get_loss resolves 'crossentropy' and 'ce'.",
    where="keras/src/trainers/compile_utils.py::get_metric, get_loss; keras/src/metrics/__init__.py::get")

DECLARED: dict[str, tuple[KnownDifference, ...]] = {
    "crossentropy": (KERAS_3_NO_CROSSENTROPY_METRIC,),
}


@cache
def identifiers_for(spec_id: str) -> tuple[CompileIdentifier, ...]:
    """The rows that expect the metric ``spec_id``."""
    return tuple(row for row in IDENTIFIERS if row.expects == spec_id)


def declared_for(spec_id: str) -> tuple[KnownDifference, ...]:
    """The declarations of the identifiers expected to resolve to ``spec_id``: added to its known differences."""
    found: list[KnownDifference] = []
    for row in identifiers_for(spec_id):
        found += [known for known in DECLARED.get(row.identifier, ()) if known not in found]
    return tuple(found)

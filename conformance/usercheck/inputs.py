"""The input kinds a user's metric can take, each a domain of the harness plus how it is presented.

The canonical data are the harness's (labels as integers, scores as float32 rows); ``binding``
says how a target receives them (one-hot targets, ``(n,)`` or ``(n, 1)`` per-sample arrays).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from hypothesis import strategies as st

from conformance import strategies as cs
from conformance.catalogue import Binding
from conformance.data import Batch
from conformance.domains import BINARY_BOTH_CLASSES, REGRESSION, Domain

KINDS = ("binary", "multiclass", "multiclass-onehot", "multilabel", "regression")
Kind = Literal["binary", "multiclass", "multiclass-onehot", "multilabel", "regression"]
DEFAULT_CLASSES = 3


@cache
@st.composite
def multilabel_inputs(draw: st.DrawFn, n: int, num_labels: int) -> Batch:
    """``n`` rows of ``num_labels`` 0/1 targets (some labels may never be set) with a score in [0, 1] each."""
    shape = (n, num_labels)
    # No class count: other targets flip 0/1.
    return Batch(draw(cs.indices(shape, 1)), draw(cs.unit_score_arrays(shape)))


def domain_for(kind: Kind, num_classes: int, *, both_classes: bool = False) -> Domain:
    """The harness domain that draws ``kind``'s inputs (``num_classes`` classes or labels)."""
    if kind == "binary":
        if both_classes:
            return BINARY_BOTH_CLASSES
        return Domain("binary-probabilities", "y_true in {0, 1}; y_pred a probability per sample",
                      lambda n: cs.binary_inputs(n), per_sample_pred=True, binary_labels=True)
    if kind in ("multiclass", "multiclass-onehot"):
        return Domain(f"multiclass-{num_classes}", f"integer y_true in [0, {num_classes}); y_pred a row of "
                      f"{num_classes} scores per sample",
                      lambda n: cs.multiclass_inputs(n, min_classes=num_classes, max_classes=num_classes),
                      per_sample_pred=False)
    if kind == "multilabel":
        return Domain(f"multilabel-{num_classes}", f"y_true a row of {num_classes} 0/1 labels; y_pred a row of "
                      f"{num_classes} probabilities", lambda n: multilabel_inputs(n, num_classes),
                      per_sample_pred=False, binary_labels=True)
    return REGRESSION


def label_dtypes(kind: Kind, library: str) -> tuple[str, ...]:
    """The dtypes users' targets come in for ``kind``, first the one the harness tries first. Keras data keeps
    the array's dtype (integer labels from a label encoder, float32 from a DataFrame or a cast); torch losses take
    int64 class indices (CrossEntropyLoss) or float targets (BCELoss); booleans are a mask's or a comparison's."""
    if kind == "regression":
        return ("float32",)
    if kind == "multiclass-onehot":
        return ("float32", "int64")
    if library == "torchmetrics":
        return ("int64",) if kind == "multiclass" else ("int64", "float32", "bool")
    return ("int64", "int32", "float32") if kind == "multiclass" else ("int64", "float32", "bool")


OPTIONAL_LABEL_DTYPES = ("bool",)  # a target that refuses these is noted, not failed


@dataclass(frozen=True)
class Presentation:
    """How a target of one library receives an input kind."""

    kind: Kind
    library: str

    @property
    def per_sample(self) -> bool:
        return self.kind in ("binary", "regression")

    def binding(self, target_name: str, weights: bool) -> Binding:
        """A harness binding for the target. Keras targets get what model.fit() passes for one output:
        ``(n,)`` targets with ``(n, 1)`` predictions; torchmetrics targets get ``(n,)`` both."""
        layout = ("flat", "column") if self.per_sample and self.library != "torchmetrics" else ("flat", "flat")
        y_true = "onehot" if self.kind == "multiclass-onehot" else "labels"
        return Binding(target_name, y_true=y_true, weights=weights, layout=layout)

"""The parameters of each bound class or function that are not drawn, each with the reason.

Every parameter of a binding's signature is one of: drawn (some spec's ``space`` spells it for that library);
filled in from the data (the binding's value is ``NUM_CLASSES`` or ``CLASS_RANGE``: the classes of each batch);
plumbing (``PLUMBING``: it does not change the value); or listed in ``NOT_DRAWN`` with the reason, of one of four
kinds: it does not change the value (``no effect``), it is plumbing the signature names (``plumbing``), the
catalogue's input domains do not apply to it (``domain``: another input format or data no domain draws, said
which), or the reference does not take it yet (``gap``: a known hole in the coverage, said what is missing; the
harness does not check the parameter until the reference takes it). A value fixed by a variant does not count.
``suites/test_coverage.py`` introspects the signatures to keep it so, and that every entry here names a parameter its
targets have and none that a spec draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

INPUT = "an input of the call, not a parameter"
PLUMBING: Mapping[str, Mapping[str, str]] = {
    "keras": {"name": "the metric's name", "dtype": "the state's dtype (float32 by default, the dtype every check "
              "runs in)", "kwargs": "passed to the base Metric (name, dtype)"},
    "torchmetrics": {
        "validate_args": "checks the inputs' shapes and values before the update; the value is the same",
        "kwargs": "the base Metric's options: compute_on_cpu, dist_sync_on_step, process_group, dist_sync_fn, "
                  "sync_on_compute, compute_with_cache (distribution and caching, not the value)",
        "compute_on_cpu": "where the state lives", "dist_sync_on_step": "when processes synchronise",
        "process_group": "which processes synchronise", "dist_sync_fn": "how processes synchronise",
        "sync_on_compute": "whether compute() synchronises", "compute_with_cache": "whether compute() caches",
    },
    "sklearn": {name: INPUT for name in ("y_true", "y_pred", "y_score", "y_proba", "y1", "y2", "pred_decision",
                                          "sample_weight", "labels_true", "labels_pred")},
}


@dataclass(frozen=True)
class NotDrawn:
    """A parameter of ``targets`` (the classes' or functions' names) that no example draws, and why: ``kind`` says
    which of the genuine reasons it is (see the module's docstring)."""

    library: str
    parameter: str
    reason: str
    targets: tuple[str, ...]
    kind: Literal["no effect", "plumbing", "domain", "gap"]


KINDS = ("no effect", "plumbing", "domain", "gap")
CLASSES_OF_THE_DATA = ("the data's classes: [0, 1] for binary targets (the binding's value), all C classes "
                       "otherwise (CLASS_RANGE, filled in per batch)")
NOT_DRAWN: tuple[NotDrawn, ...] = (
    NotDrawn("keras", "axis", "the class (or output) axis: the catalogue's inputs put it last, the default; another "
             "axis is the same computation on inputs transposed, which no domain draws (drawn where the class axis "
             "is the last of two, -1 and 1: CategoricalCrossentropy, SparseCategoricalCrossentropy, "
             "CosineSimilarity)",
             ("ConcordanceCorrelation", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation"),
             "domain"),
    NotDrawn("keras", "class_id", "these bindings take one column of binary scores, where the only class id is 0, "
             "the default (RecallAtPrecision[class_id=1] draws it on multilabel scores)",
             ("PrecisionAtRecall", "SensitivityAtSpecificity", "SpecificityAtSensitivity"), "domain"),
    NotDrawn("keras", "fn", "the wrapped function is the metric itself: each spec binds the one its reference is",
             ("MeanMetricWrapper",), "domain"),
    NotDrawn("keras", "sparse_y_pred", "MeanIoU is bound on label maps (the segmentation domain), whose predictions "
             "are labels: per-pixel scores are another input no domain draws (drawn on IoU and the one-hot IoU "
             "classes, the same _IoUBase.update_state)", ("MeanIoU",), "domain"),
    NotDrawn("keras", "sparse_y_true", "MeanIoU is bound on label maps, whose truth is labels: one-hot maps are "
             "another input no domain draws (drawn on IoU)", ("MeanIoU",), "domain"),
    NotDrawn("sklearn", "labels", CLASSES_OF_THE_DATA, ("cohen_kappa_score", "confusion_matrix", "log_loss",
                                                         "multilabel_confusion_matrix", "precision_score",
                                                         "recall_score"), "domain"),
    NotDrawn("sklearn", "multioutput", "their specs' data are one output (the logarithmic and percentage errors' "
             "domains), where every multioutput mode gives the same value (drawn on the multi-output errors and R²)",
             ("mean_absolute_percentage_error", "mean_squared_log_error"), "no effect"),
    NotDrawn("sklearn", "pos_label", "ignored unless average='binary', which the multiclass and multilabel F-scores "
             "and Jaccard specs do not take (drawn on precision_score, recall_score, average_precision_score)",
             ("f1_score", "fbeta_score", "jaccard_score"), "no effect"),
    NotDrawn("torchmetrics", "num_classes", "the data's classes: 2 where the binary IoU's thresholded labels are "
             "given (BinaryIoU), C otherwise (NUM_CLASSES, filled in per batch)", ("MulticlassJaccardIndex",),
             "domain"),
    NotDrawn("sklearn", "labels", "the class labels of (n, C) probability rows; the binding passes the probability of "
             "class 1 of 0/1 targets, where labels are not read", ("brier_score_loss",), "no effect"),
    NotDrawn("sklearn", "pos_label", "the binding's targets are 0/1 and y_proba is the probability of class 1, "
             "pos_label's default; pos_label=0 reads y_proba as class 0's, another input format",
             ("brier_score_loss",), "domain"),
    NotDrawn("sklearn", "multioutput", "their specs' data are one output, where every multioutput mode gives the same "
             "value (drawn on the multi-output errors and R²)",
             ("mean_pinball_loss", "median_absolute_error", "root_mean_squared_log_error"), "no effect"),
    NotDrawn("torchmetrics", "t_test", "adds a second output, the t-test's p-value, to compute()'s (tau, p_value) "
             "tuple: tau, the value checked, is the same; the p-value's null distribution is no value of the metric "
             "the reference defines", ("KendallRankCorrCoef",), "no effect"),
    NotDrawn("torchmetrics", "alternative", "the alternative hypothesis of the t-test, read only with t_test=True",
             ("KendallRankCorrCoef",), "no effect"),
    NotDrawn("torchmetrics", "keep_sequence_dim", "one index per sequence of images, over (N, T, ...) inputs no "
             "domain draws", ("CriticalSuccessIndex",), "domain"),
    NotDrawn("torchmetrics", "input_format", "the bindings present (n, H, W) index maps ('index'); 'one-hot' and "
             "'mixed' are the same maps in other input formats", ("DiceScore", "GeneralizedDiceScore", "MeanIoU"),
             "domain"),
    NotDrawn("torchmetrics", "ignore_index", "the reference's exact_match takes it (an ignored element left out of "
             "its sample's comparison), but drawn as the padding label -1 in label maps, bad_inputs' reading of a "
             "label outside [0, C) (catalogue.bad_inputs.labels_as_miss, per batch, with no parameters) reads the "
             "padding cells as misses too: that reading has no ignore_index yet", ("MulticlassExactMatch",), "gap"),
    NotDrawn("torchmetrics", "multidim_average", "the spec is bound on the segmentation domain's (n, H, W) label "
             "maps, where with_multidim_average's per-sample reference is not wired yet (it draws samplewise on the "
             "binary, multiclass and multilabel domains)", ("MulticlassExactMatch",), "gap"),
    NotDrawn("torchmetrics", "multidim_average", "not wired yet: samplewise stat scores are (N, 5) rows, which the "
             "multilabel samplewise defects' references (catalogue.library_wide._cells_as_labels) do not shape",
             ("MultilabelStatScores",), "gap"),
    NotDrawn("torchmetrics", "multidim_average", "not wired yet: drawn, samplewise raised a torch.distributed "
             "error in distributed_sync ('mean(): could not infer output dtype ... Got: Long', a long per-sample "
             "state) that is neither declared nor reported yet", ("MultilabelExactMatch",), "gap"),
    NotDrawn("torchmetrics", "top_k", "the rate references (reference/rates.py column_counts) take a threshold and "
             "no top_k yet (the multiclass precision, recall, F-scores and accuracy draw it through "
             "classification.confusion_counts)", ("MulticlassNegativePredictiveValue", "MulticlassStatScores"), "gap"),
    NotDrawn("torchmetrics", "weights", "with two classes, linear and quadratic weights equal the unweighted kappa "
             "(every disagreement weighs 1)", ("BinaryCohenKappa",), "no effect"),
)


def not_drawn(library: str, target: str) -> dict[str, str]:
    """The reasons for ``target``'s parameters that no example draws (plumbing aside), by parameter."""
    name = target.rsplit(".", 1)[-1]
    return {entry.parameter: entry.reason for entry in NOT_DRAWN
            if entry.library == library and name in entry.targets}

"""Coverage of the catalogue: every public metric class and function of the libraries' metric modules is bound by
a spec or listed as unbound with the reason (``catalogue.unbound``), and every parameter of a bound target is drawn,
filled in from the data, plumbing, or listed as not drawn with a genuine reason (``catalogue.signatures``); a value
fixed by a variant does not count."""

from __future__ import annotations

import importlib
import inspect
from collections import defaultdict

import pytest

from conformance.catalogue import CATALOGUE, CLASS_RANGE, HARNESS, NUM_CLASSES, OUTPUT
from conformance.catalogue.signatures import KINDS, NOT_DRAWN, PLUMBING, not_drawn
from conformance.catalogue.unbound import UNBOUND

BOUND = {(library, binding.target) for spec in CATALOGUE for library, binding in spec.bindings.items()}
# torchmetrics' top-level names re-export the modules' classes (torchmetrics.JaccardIndex is the task wrapper)
TORCHMETRICS_MODULES = ("classification", "regression", "retrieval", "segmentation", "aggregation")


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _bound(library: str, path: str) -> bool:
    if (library, path) in BOUND:
        return True
    obj = _resolve(path)  # bound under another import path (torchmetrics.X is torchmetrics.classification.X)
    return any(lib == library and _resolve(target) is obj for lib, target in BOUND)


def public_metrics(library: str) -> list[str]:
    """The import paths of the library's public metric classes (torchmetrics, Keras) or functions (scikit-learn)."""
    if library == "torchmetrics":
        torchmetrics = pytest.importorskip("torchmetrics")
        found = []
        for name in TORCHMETRICS_MODULES:
            module = importlib.import_module(f"torchmetrics.{name}")
            found += [f"torchmetrics.{name}.{attr}" for attr, value in vars(module).items()
                      if not attr.startswith("_") and inspect.isclass(value)
                      and issubclass(value, torchmetrics.Metric)]
        return found
    if library == "sklearn":
        metrics = pytest.importorskip("sklearn.metrics")
        return [f"sklearn.metrics.{name}" for name in metrics.__all__
                if callable(getattr(metrics, name)) and not inspect.isclass(getattr(metrics, name))]
    keras = pytest.importorskip("keras")
    return [f"keras.metrics.{name}" for name, value in vars(keras.metrics).items()
            if inspect.isclass(value) and issubclass(value, keras.metrics.Metric) and name != "Metric"]


@pytest.mark.parametrize("library", ["keras", "sklearn", "torchmetrics"])
def test_every_public_metric_is_bound_or_listed(library: str) -> None:
    public = public_metrics(library)
    missing = sorted(path for path in public if path not in UNBOUND[library] and not _bound(library, path))
    assert not missing, f"{library}: neither bound by a spec nor listed in catalogue.unbound with a reason: {missing}"
    stale = sorted(path for path in UNBOUND[library] if path in public and _bound(library, path))
    assert not stale, f"{library}: bound, yet listed in catalogue.unbound: {stale}"
    gone = sorted(set(UNBOUND[library]) - set(public))
    assert not gone, f"{library}: listed in catalogue.unbound but not a public metric of this release: {gone}"


# One public metric of each module the enumeration must reach (classification, regression, ranking or retrieval,
# segmentation, the wrappers): an enumeration that stops reaching a module loses these, and the test above would
# then pass on a short list.
REACHED = {
    "keras": ("keras.metrics.F1Score", "keras.metrics.R2Score", "keras.metrics.AUC", "keras.metrics.OneHotMeanIoU",
              "keras.metrics.MeanMetricWrapper", "keras.metrics.Sum"),
    "sklearn": ("sklearn.metrics.f1_score", "sklearn.metrics.r2_score", "sklearn.metrics.ndcg_score",
                "sklearn.metrics.jaccard_score", "sklearn.metrics.label_ranking_loss"),
    "torchmetrics": ("torchmetrics.classification.MulticlassF1Score", "torchmetrics.regression.R2Score",
                     "torchmetrics.retrieval.RetrievalNormalizedDCG", "torchmetrics.segmentation.MeanIoU",
                     "torchmetrics.aggregation.MeanMetric"),
}


@pytest.mark.parametrize("library", sorted(REACHED))
def test_the_enumeration_reaches_every_module_of_a_library(library: str) -> None:
    public = public_metrics(library)
    missing = [path for path in REACHED[library] if path not in public]
    assert not missing, f"{library}: the enumeration of public metrics no longer finds {missing}"
    assert all(path.startswith(f"{library}.") for path in public), "a metric outside the library was enumerated"


def _parameters(target: str) -> list[str]:
    obj = _resolve(target)
    signature = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
    return [name for name in signature.parameters if name not in ("self", "args")]


def _drawn() -> dict[tuple[str, str], set[str]]:
    """Per (library, target), the keywords some spec draws (a value spelled by the harness or picked from the result
    is not one of the target's keywords)."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for spec in CATALOGUE:
        for library, binding in spec.bindings.items():
            found[library, binding.target] |= {p.spellings[library] for p in spec.drawn_for(library)} - {HARNESS,
                                                                                                          OUTPUT}
    return found


def _from_the_data() -> dict[tuple[str, str], set[str]]:
    """Per (library, target), the keywords every binding fills in from the data (the classes of each batch)."""
    fixed: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for spec in CATALOGUE:
        for library, binding in spec.bindings.items():
            for name, value in binding.init.items():
                fixed[library, binding.target][name].add(repr(value))
    data = {repr(NUM_CLASSES), repr(CLASS_RANGE)}
    return {key: {name for name, values in names.items() if values <= data} for key, names in fixed.items()}


@pytest.mark.parametrize("library", ["keras", "sklearn", "torchmetrics"])
def test_every_parameter_is_drawn_or_not_drawn_with_a_reason(library: str) -> None:
    """A value fixed by a variant does not count: a parameter that changes the value is drawn (some spec's space spells
    it), filled in from the data, plumbing, or listed in NOT_DRAWN with a genuine reason."""
    pytest.importorskip({"keras": "keras", "sklearn": "sklearn", "torchmetrics": "torchmetrics"}[library])
    drawn, from_data = _drawn(), _from_the_data()
    unexplained = defaultdict(list)
    for (lib, target), keywords in sorted(drawn.items()):
        if lib != library:
            continue
        reasons = not_drawn(library, target)
        for name in _parameters(target):
            if (name not in keywords and name not in from_data.get((lib, target), set())
                    and name not in PLUMBING[library] and name not in reasons):
                unexplained[target].append(name)
    assert not unexplained, (f"{library}: parameters neither drawn, filled in from the data, nor listed in "
                             f"catalogue.signatures.NOT_DRAWN with a reason: {dict(unexplained)}")


def test_not_drawn_reasons_are_genuine() -> None:
    """Each reason is one of the genuine kinds, or a gap that says what the reference lacks yet; none says a parameter
    is merely not drawn yet."""
    assert all(entry.kind in KINDS for entry in NOT_DRAWN)
    assert all(" yet" in e.reason for e in NOT_DRAWN if e.kind == "gap")
    assert not [e for e in NOT_DRAWN if "not drawn yet" in e.reason.lower() or not e.reason.strip()]


@pytest.mark.parametrize("entry", NOT_DRAWN, ids=[f"{e.library}-{e.parameter}" for e in NOT_DRAWN])
def test_each_not_drawn_entry_names_parameters_its_targets_have(entry) -> None:
    pytest.importorskip({"keras": "keras", "sklearn": "sklearn", "torchmetrics": "torchmetrics"}[entry.library])
    targets = {target.rsplit(".", 1)[-1]: target for lib, target in BOUND if lib == entry.library}
    for name in entry.targets:
        assert name in targets, f"{name}: not a bound {entry.library} target"
        assert entry.parameter in _parameters(targets[name]), f"{name} has no parameter {entry.parameter!r}"
        drawn = _drawn()[entry.library, targets[name]]
        assert entry.parameter not in drawn, f"{name}: {entry.parameter!r} is drawn; the entry is stale"


def test_the_keras_mean_trait_is_keras_class_hierarchy() -> None:
    """The rank-0 weight defect is declared on a Keras metric by the trait "accumulates through Mean"
    (catalogue.keras_mean_based): it holds exactly for the bound classes that derive from keras.metrics.Mean, but for
    Means of one value per update, whose own declarations say how they use Mean."""
    keras = pytest.importorskip("keras")
    from conformance.catalogue import keras_mean_based

    def declares_its_own_mean(spec) -> bool:  # a Mean of one value per update (the correlations) says how itself
        return any(k.library == "keras" and "reduction_metrics.py" in k.where for k in spec.known)

    wrong = [spec.id for spec in CATALOGUE if "keras" in spec.bindings and spec.bindings["keras"].masks is None
             and keras_mean_based(spec) != issubclass(_resolve(spec.bindings["keras"].target), keras.metrics.Mean)
             and not (not keras_mean_based(spec) and declares_its_own_mean(spec))]
    assert not wrong, f"keras_mean_based disagrees with issubclass(..., keras.metrics.Mean) for {wrong}"


# Several counterparts per library (issue 14): a class or function of a library computing a spec's metric is checked
# under a spec of its own, ``<metric id>/<Name>``. Each one bound so, by its id: dropping it fails here.
COUNTERPARTS = {
    "HammingDistance[task=multilabel]/MultilabelHammingDistance":
        "torchmetrics.classification.MultilabelHammingDistance",
    "JaccardIndex[task=multilabel]/MultilabelJaccardIndex": "torchmetrics.classification.MultilabelJaccardIndex",
    "TweedieDevianceScore[power=1.0]/mean_poisson_deviance": "sklearn.metrics.mean_poisson_deviance",
    "TweedieDevianceScore[power=2.0]/mean_gamma_deviance": "sklearn.metrics.mean_gamma_deviance",
    "FBetaScore[task=binary]/F1Score": "keras.metrics.F1Score",
    "FBetaScore[task=binary]/f1_score": "sklearn.metrics.f1_score",
    "FBetaScore[task=binary]/BinaryF1Score": "torchmetrics.classification.BinaryF1Score",
}
# And the libraries' metrics bound by specs of their own in that issue, which unbound.py listed before.
NEWLY_BOUND = {
    "torchmetrics": [f"torchmetrics.segmentation.{name}" for name in ("MeanIoU", "DiceScore", "GeneralizedDiceScore")]
    + [f"torchmetrics.classification.{name}" for name in (
        "BinaryFBetaScore", "MultilabelAccuracy", "MultilabelSpecificity", "MultilabelStatScores",
        "MulticlassStatScores", "BinaryNegativePredictiveValue", "MulticlassNegativePredictiveValue",
        "MultilabelNegativePredictiveValue", "MulticlassExactMatch", "MultilabelExactMatch")]
    + [f"torchmetrics.retrieval.Retrieval{name}" for name in (
        "MAP", "MRR", "Precision", "Recall", "HitRate", "FallOut", "RPrecision", "AUROC")]
    + [f"torchmetrics.regression.{name}" for name in (
        "SymmetricMeanAbsolutePercentageError", "WeightedMeanAbsolutePercentageError", "RelativeSquaredError",
        "KendallRankCorrCoef", "MinkowskiDistance", "NormalizedRootMeanSquaredError", "CriticalSuccessIndex",
        "JensenShannonDivergence")],
    "sklearn": [f"sklearn.metrics.{name}" for name in (
        "zero_one_loss", "balanced_accuracy_score", "brier_score_loss", "max_error", "median_absolute_error",
        "dcg_score", "root_mean_squared_log_error", "mean_pinball_loss")],
}


@pytest.mark.parametrize("spec_id", sorted(COUNTERPARTS))
def test_each_counterpart_is_a_case_of_its_own(spec_id: str) -> None:
    from conformance.catalogue import LIBRARIES, by_id
    from conformance.engine import plan

    spec = by_id().get(spec_id)
    assert spec is not None, f"{spec_id}: no such spec; was the counterpart dropped?"
    (library, binding), = spec.bindings.items()
    assert binding.target == COUNTERPARTS[spec_id]
    parent = next(s for s in CATALOGUE if spec.via in {c.name for c in s.counterparts} and s.name == spec.name)
    # (the spec's binding carries the drawn parameters' defaults: the counterpart declared is the same target)
    assert any(c.binding.target == binding.target for c in parent.counterparts)
    assert parent.bindings[library].target != binding.target
    assert set(spec.absent) == set(LIBRARIES) - {library}  # each other library says why this row lacks it
    cases = plan([spec_id], [library])
    assert cases and all(case.id.startswith(f"{spec_id}-{library}-") for case in cases)


@pytest.mark.parametrize("library", sorted(NEWLY_BOUND))
def test_the_newly_bound_metrics_stay_bound(library: str) -> None:
    dropped = [path for path in NEWLY_BOUND[library] if (library, path) not in BOUND]
    assert not dropped, f"{library}: no spec binds {dropped} any more"

"""The harness must be able to fail: every broken metric in the gallery is caught, by the
properties named for it, and the correct implementations pass every property (no false alarms).
Every property catches at least one gallery bug."""

from __future__ import annotations

import pytest

import reference
from conformance import tolerance
from conformance.catalogue import Binding, MetricSpec
from conformance.domains import REGRESSION
from conformance.engine import Case, run_case
from conformance.properties import PROPERTIES

KERAS = "suites.gallery.keras_metrics"
TORCH = "suites.gallery.torch_metrics"

# (library, class, properties that must catch it). Empty: a correct metric, which must pass all.
GALLERY = [
    ("keras", f"{KERAS}.CorrectMSE", set()),
    ("keras", f"{KERAS}.WeightsOnNumeratorOnly", {"agreement", "sample_weights"}),
    ("keras", f"{KERAS}.AssignInsteadOfAccumulate", {"batch_accumulation"}),
    ("keras", f"{KERAS}.PerBatchAveraging", {"batch_accumulation"}),
    ("keras", f"{KERAS}.IncompleteReset", {"reset"}),
    ("keras", f"{KERAS}.ResultMutatesState", {"result_idempotence"}),
    ("keras", f"{KERAS}.NoReshapeBroadcasting", {"shape_conventions"}),
    ("keras", f"{KERAS}.OffByOneDenominator", {"agreement", "batch_average_pitfall"}),
    ("keras", f"{KERAS}.MisalignedPredictions", {"order_invariance"}),
    ("keras", f"{KERAS}.PythonStateInUpdate", {"execution_modes"}),
    ("torchmetrics", f"{TORCH}.CorrectTorchMSE", set()),
    ("torchmetrics", f"{TORCH}.PlainAttributeCount", {"reset"}),
]


def gallery_spec(library: str, target: str) -> MetricSpec:
    return MetricSpec(
        name=target.rpartition(".")[2], reference=reference.mean_squared_error, domain=REGRESSION,
        decomposition="mean", growth=tolerance.RATIO, scale=0.0,
        bindings={library: Binding(target, weights=library == "keras")},
    )


@pytest.fixture(scope="module")
def outcomes(profile) -> dict[tuple[str, str], str]:
    """Every gallery metric run through every property once (shared by the tests below)."""
    results = {}
    for library, target, _ in GALLERY:
        spec = gallery_spec(library, target)
        for prop in PROPERTIES:
            results[target, prop.name] = run_case(Case(spec, library, prop), profile, reuse_metrics=False)
    return results


@pytest.mark.parametrize(("library", "target", "catching"), GALLERY, ids=[g[1].rpartition(".")[2] for g in GALLERY])
def test_gallery_metric(outcomes, library: str, target: str, catching: set[str]) -> None:
    flagged = {prop for (t, prop), finding in outcomes.items() if t == target and finding.outcome in ("fail", "error")}
    if not catching:
        assert not flagged, {p: outcomes[target, p].message for p in flagged}
        return
    missed = catching - flagged
    assert not missed, f"{target} slipped past {sorted(missed)}"
    for prop in catching:
        finding = outcomes[target, prop]
        assert finding.example and finding.example["batches"], "a failure must carry its minimal example"


def test_every_property_catches_a_gallery_bug(outcomes) -> None:
    caught = {prop for (_, prop), finding in outcomes.items() if finding.outcome in ("fail", "error")}
    assert caught == {p.name for p in PROPERTIES}, f"never fails: {sorted({p.name for p in PROPERTIES} - caught)}"


def test_failure_is_shrunk_to_a_small_example(outcomes) -> None:
    finding = outcomes[f"{KERAS}.AssignInsteadOfAccumulate", "batch_accumulation"]
    assert finding.outcome == "fail"
    sizes = [len(batch["y_true"]) for batch in finding.example["batches"]]
    # Shrinking should reach two short batches: the smallest input that shows a lost batch.
    assert len(sizes) == 2 and sum(sizes) <= 3, sizes

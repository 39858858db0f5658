"""Reduction past Hypothesis' shrink: samples deleted from inside batches, weights dropped, batches removed, as
long as the property fails the same way; the reduced example replays; each example states its input regime."""

from __future__ import annotations

import numpy as np
import pytest

from conformance import engine
from conformance.catalogue import batch
from conformance.data import input_regime
from conformance.profiles import PROFILES
from conformance.registry import by_name
from suites.test_gallery import KERAS, TORCH, gallery_spec


@pytest.fixture(scope="module")
def numerator_only() -> tuple[engine.Case, object]:
    pytest.importorskip("keras")
    case = engine.Case(gallery_spec("keras", f"{KERAS}.WeightsOnNumeratorOnly"), "keras", by_name()["agreement"])
    return case, engine.run_case(case, PROFILES["ci"], reuse_metrics=False)


def test_a_failure_needing_one_weighted_sample_among_zeros_is_reduced_to_it(numerator_only) -> None:
    """Hypothesis alone leaves 18 samples (17 weighing 0, which it cannot delete from inside the byte string)."""
    _, finding = numerator_only
    assert finding.outcome == "fail" and finding.shrunk == "fully" and finding.regime == "ordinary"
    batches = finding.example["batches"]
    assert sum(len(b["y_true"]) for b in batches) <= 2 and len(batches) == 1


def test_the_reduced_example_replays_exactly(numerator_only) -> None:
    case, finding = numerator_only
    assert finding.replay.startswith(engine.FORCED)
    again = engine.run_case(case, PROFILES["ci"], replay=finding.replay, reuse_metrics=False)
    assert (again.outcome, again.example, again.examples_run) == ("fail", finding.example, 1)
    assert again.library_value == finding.library_value


def test_a_profile_without_a_reduction_budget_keeps_hypothesis_example(numerator_only) -> None:
    from dataclasses import replace

    case, reduced = numerator_only
    plain = engine.run_case(case, replace(PROFILES["ci"], reduce_budget=0), reuse_metrics=False)
    assert plain.shrunk is None and not plain.replay.startswith(engine.FORCED)
    assert sum(map(len, (b["y_true"] for b in plain.example["batches"]))) >= sum(
        map(len, (b["y_true"] for b in reduced.example["batches"])))


def test_a_known_difference_is_not_reduced() -> None:
    pytest.importorskip("torchmetrics")
    finding = engine.run_case(engine.Case(gallery_spec("torchmetrics", f"{TORCH}.CorrectTorchMSE"), "torchmetrics",
                                          by_name()["batch_average_pitfall"]), PROFILES["ci"], reuse_metrics=False)
    assert finding.outcome in ("pass", "known") and finding.shrunk is None


@pytest.mark.parametrize(("values", "regime"), [
    (([1.0, 2.0], [1.5, 2.0]), "ordinary"),
    (([1.0, 2.0], [1.5, 1e-40]), "subnormal"),
    (([1.0, 2.0], [1.5, 3e7]), "extreme magnitude"),
    (([1.0, 2.0], [1.5, 1e-7]), "extreme magnitude"),
    (([1000.0, 1000.0001], [1.5, 2.0]), "near-constant"),
    (([1000.0, 1000.0], [1.5, 2.0]), "ordinary"),  # exactly constant: a rule, not rounding, decides
])
def test_input_regimes(values, regime: str) -> None:
    assert input_regime([batch(*values)]) == regime


def test_weights_past_2_24_are_a_precision_limit() -> None:
    many = batch([1.0, 2.0], [1.0, 2.0], np.array([2.0**24, 1.0]))
    assert input_regime([many]) == "precision limit"

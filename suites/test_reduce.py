"""Reduction past Hypothesis' shrink: samples deleted from inside batches, weights dropped, batches removed, values made
simpler, as long as the property fails the same way; the reduced example replays; each example states its input regime
and whether it is fully shrunk (both Hypothesis' shrink and the reduction ran to their end) or which stage was cut."""

from __future__ import annotations

import numpy as np
import pytest

from conformance import engine
from conformance.catalogue import batch
from conformance.data import input_regime
from conformance.profiles import PROFILES
from conformance.registry import by_name
from suites.test_gallery import KERAS, TORCH, gallery_spec

# Its module-scoped fixture is one costly run: xdist keeps the module on one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("reduce")


@pytest.fixture(scope="module")
def numerator_only() -> tuple[engine.Case, object]:
    pytest.importorskip("keras")
    case = engine.Case(gallery_spec("keras", f"{KERAS}.WeightsOnNumeratorOnly"), "keras", by_name()["agreement"])
    return case, engine.run_case(case, PROFILES["ci"], reuse_metrics=False)


def _simple(finding) -> bool:
    """Every value of the example a small integer or a number of at most two significant digits."""
    values = [v for b in finding.example["batches"] for name in ("y_true", "y_pred", "sample_weight")
              for v in np.ravel(b[name] if b[name] is not None else [])]
    return all(abs(v) <= 3 and float(f"{v:.2g}") == v for v in values)


def _honest(finding) -> bool:
    return finding.shrunk == ("budget" if finding.shrink_cut else "fully")


def test_a_failure_needing_one_weighted_sample_among_zeros_is_reduced_to_it(numerator_only) -> None:
    """Hypothesis alone leaves 18 samples (17 weighing 0, which it cannot delete from inside the byte string) whose
    values are whatever it drew (-1e+15 among them): the reduction leaves one or two samples of small values."""
    _, finding = numerator_only
    assert finding.outcome == "fail" and finding.regime == "ordinary" and _simple(finding), finding.example
    batches = finding.example["batches"]
    assert sum(len(b["y_true"]) for b in batches) <= 2 and len(batches) == 1
    assert _honest(finding), (finding.shrunk, finding.shrink_cut)


def test_a_scalar_weight_counted_once_shrinks_to_ordinary_small_values(profile) -> None:
    """Hypothesis' shrink cut early (50 examples: values as large as drawn, -1e15 among them), the reduction makes
    them small: the example reads "ordinary", and says its shrink was cut."""
    from dataclasses import replace

    pytest.importorskip("keras")
    case = engine.Case(gallery_spec("keras", f"{KERAS}.ScalarWeightCountedOnce"), "keras",
                       by_name()["shape_conventions"])
    finding = engine.run_case(case, replace(profile, shrink_budget=50), reuse_metrics=False)
    assert finding.outcome == "fail" and finding.regime == "ordinary" and _simple(finding), finding.example
    assert _honest(finding), (finding.shrunk, finding.shrink_cut)


def test_a_shrink_cut_by_its_budgets_says_so(numerator_only) -> None:
    """Hypothesis' shrink stopped after one example, the reduction after one candidate: "budget", both named."""
    from dataclasses import replace

    case, _ = numerator_only
    cut = engine.run_case(case, replace(PROFILES["ci"], shrink_budget=1, reduce_budget=1), reuse_metrics=False)
    assert cut.outcome == "fail" and cut.shrunk == "budget" and cut.shrink_cut == ["hypothesis", "reduction"]


def test_simpler_values_stay_in_the_metric_s_domain() -> None:
    """A strictly positive domain never gets a 0, a row of probabilities is left whole, labels go to 0, and every
    candidate is simpler than the example it comes from."""
    from conformance import domains
    from conformance.data import Batch
    from conformance.reduce import _candidates, _smaller

    positive = [batch([0.75, 2.5], [1.2345678, 3e7])]
    for candidate in _candidates(positive, domains.POSITIVE):
        assert all((np.concatenate([b.y_true, b.y_pred]) > 0).all() for b in candidate)
    assert any(b.y_pred.tolist() == [1.0, 3.0] for c in _candidates(positive, domains.POSITIVE) for b in c)
    rows = [Batch(np.array([1, 0]), np.array([[0.25, 0.75], [0.5, 0.5]], np.float32), num_classes=2)]
    changed = [c[0] for c in _candidates(rows, domains.PROBABILITIES) if len(c[0]) == 2]
    assert all(np.array_equal(c.y_pred, rows[0].y_pred) for c in changed) and any(
        c.y_true.tolist() == [0, 0] for c in changed)
    assert all(_smaller(c, rows) for c in _candidates(rows, domains.PROBABILITIES))


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
    assert not plain.replay.startswith(engine.FORCED)
    assert (plain.shrunk, plain.shrink_cut) in ((None, None), ("budget", ["hypothesis"]))  # never "fully": not reduced
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

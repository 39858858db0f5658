"""The harness around the costly properties: training loops (model_evaluate, model_fit, compile_identifiers), long
streams, and what keeps them honest and within budget: a case that judged nothing is not a pass, and the smoke
profile runs a deep property on one representative metric per trait."""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace

import pytest

from conformance.adapters import get_adapter
from conformance.catalogue import by_id
from conformance.engine import HARNESS, Case, run_case
from conformance.profiles import PROFILES
from conformance.properties import Property
from conformance.registry import PROPERTIES, by_name


def test_a_case_that_judged_no_example_is_the_harness_s_error_not_a_pass() -> None:
    """A property that must judge (the long streams, the training loops) and left every example out says so."""
    def leaves_everything_out(ctx, data) -> None:
        ctx.tally.notes.add("left out: nothing to judge here")

    prop = Property("leaves_out", "Leaves every example out.", leaves_everything_out, targets=("sklearn",),
                    must_judge=True)
    finding = run_case(Case(by_id()["MeanSquaredError"], "sklearn", prop), PROFILES["smoke"])
    assert finding.outcome == "error" and finding.failure_kind == HARNESS, finding
    assert f"none of the {finding.examples_run} examples could be judged" in finding.message
    assert "left out" in finding.message


def test_a_case_its_metric_leaves_unjudgeable_is_a_skip_that_says_why() -> None:
    """Where the metric's nature left every example out (no tail moves its value), the case skips with that reason:
    nothing was checked, and the report says so."""
    def insensitive(ctx, data) -> None:
        ctx.tally.unjudgeable = "no tail moves this value"

    prop = Property("insensitive", "Cannot judge this metric.", insensitive, targets=("sklearn",), must_judge=True)
    finding = run_case(Case(by_id()["MeanSquaredError"], "sklearn", prop), PROFILES["smoke"])
    assert finding.outcome == "skip" and finding.message.startswith("nothing was checked"), finding
    assert "no tail moves this value" in finding.message


@pytest.mark.parametrize("name", [p.name for p in PROPERTIES if p.deep is not None])
def test_the_smoke_profile_runs_a_deep_property_on_one_metric_per_trait(name: str) -> None:
    """Every metric runs a deep property in ci; in smoke exactly one metric of each trait (per library) does, and the
    others skip naming it, so no kind of metric goes unexercised."""
    prop = by_name()[name]
    for library in ("keras", "torchmetrics"):
        if library not in prop.targets:
            continue
        adapter = get_adapter(library)
        runs: dict = {}
        for spec in by_id().values():
            binding = spec.bindings.get(library)
            if binding is None or prop.skip_reason(spec, adapter, binding, PROFILES["ci"]) is not None:
                continue
            smoke = prop.skip_reason(spec, adapter, binding, PROFILES["smoke"])
            trait = prop.deep(spec, binding)
            if smoke is None:
                assert trait not in runs, f"{name}: {spec.id} and {runs[trait]} both run for one trait"
                runs[trait] = spec.id
            else:
                assert "deep property" in smoke and prop.representative(spec, adapter, binding) in smoke
        traits = {prop.deep(s, s.bindings[library]) for s in by_id().values() if library in s.bindings
                  and prop.skip_reason(s, adapter, s.bindings[library], PROFILES["ci"]) is None}
        assert set(runs) == traits, f"{name} ({library}): traits no metric runs in smoke: {traits - set(runs)}"


def test_the_progress_bar_value_is_read_from_what_keras_prints() -> None:
    """progress_bar_value reads the last redraw of a real keras.utils.Progbar (as fit()'s ProgbarLogger drives it:
    every metric shown as given), and ``displayed`` says what it prints for a value and to what precision."""
    import keras
    import numpy as np

    from conformance.usercheck.checks_model import displayed, progress_bar_value

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        bar = keras.utils.Progbar(target=3, stateless_metrics=set())
        for step, value in enumerate([0.25, 0.5, 0.123456], start=1):
            bar.update(step, [("auc", value), ("loss", 2e-4)], finalize=step == 3)
    assert progress_bar_value(printed.getvalue(), "auc") == 0.1235
    assert progress_bar_value(printed.getvalue(), "loss") == 2e-4
    assert progress_bar_value(printed.getvalue(), "recall") is None
    assert displayed(np.asarray([0.2, 0.4])) == (pytest.approx(0.3), 5e-5)  # an array: its mean
    assert displayed(np.asarray(2e-4))[1] == pytest.approx(1e-8)  # printed as 2.0000e-04


def test_reset_then_result_expects_a_new_metric_s_exception_after_reset() -> None:
    """torchmetrics' BinaryAUROC raises in compute() before any update, and again after reset(): its behaviour, the
    same as a new metric's, judged (not skipped)."""
    # At the catalogue's default parameters (a drawn ignore_index shows its own declared IndexError first).
    finding = run_case(Case(replace(by_id()["AUC"], space=()), "torchmetrics", by_name()["reset_then_result"]),
                       PROFILES["smoke"])
    assert finding.outcome == "pass", finding.message
    assert "again right after reset()" in finding.message and finding.error_histogram

"""benchmarks/bug_power.py's parts that a wrong edit would silently spoil: the mutation operators, the battery's
agreement rule and inputs, and the trace that maps target files to specs. No harness runs here (the benchmark is
not a test: it takes an hour)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import bug_power_battery as battery
import bug_power_mutants as mutants

SOURCE = textwrap.dedent('''\
    import numpy as np
    LIMIT = 3 + 1  # module level: runs at import, never mutated


    def precision(y_true, y_pred, sample_weight=None, eps=1e-7):
        tp = np.sum((y_pred >= 0.5) * sample_weight, axis=0)
        total = np.sum(y_pred == 1)
        if total == 0:
            return 0.0
        value = _safe_divide(tp, total + eps)
        value = np.clip(value, 0, 1)
        return score(y_true, y_pred, weights=sample_weight) + value[1]


    class Metric:
        def update_state(self, y_true, y_pred):
            self.tp.assign_add(np.maximum(y_pred, 0))
            self.count += 1
''')


def _edits(kind: str) -> set[str]:
    """Each point of ``kind`` in SOURCE as the line it changes, mutated."""
    found = set()
    for point in mutants.points(SOURCE):
        if point.kind == kind:
            mutated = point.apply(SOURCE).splitlines()[point.line - 1].strip()
            found.add(mutated)
    return found


def test_each_operator_makes_its_edit_and_leaves_the_rest_of_the_file():
    assert "tp = np.sum(((y_pred > 0.5)) * sample_weight, axis=0)" in _edits("flipped comparison")
    assert "total = np.sum((y_pred != 1))" in _edits("flipped comparison")
    assert "tp = np.sum((y_pred >= 0.5), axis=0)" in _edits("dropped weight")  # x * w -> x
    assert "return (score(y_true, y_pred)) + value[1]" in _edits("dropped weight")  # weights= dropped
    assert {"if total == (1):", "total = np.sum(y_pred == (0))",
            "return score(y_true, y_pred, weights=sample_weight) + value[(0)]", "self.count += (0)"} \
        == _edits("off by one")
    assert {"tp = (np.mean((y_pred >= 0.5) * sample_weight, axis=0))", "total = (np.mean(y_pred == 1))",
            "tp = np.sum((y_pred >= 0.5) * sample_weight, axis=1)"} == _edits("wrong reduction")
    # a safe division made plain, an epsilon dropped, a clip and a maximum reduced to what they guard, and the special
    # case `if total == 0: return 0.0` removed
    assert {"value = ((tp) / (total + eps))", "value = _safe_divide(tp, (total))", "value = (value)",
            "self.tp.assign_add((y_pred))", "pass"} == _edits("removed guard")
    assert {"value = (_safe_divide(total + eps, tp))",
            "return (score(y_pred, y_true, weights=sample_weight)) + value[1]"} == _edits("swapped arguments")
    assert {"(self.tp.assign(np.maximum(y_pred, 0)))", "self.count = 1"} == _edits("dropped accumulation")
    for point in mutants.points(SOURCE):
        mutated = point.apply(SOURCE)
        compile(mutated, "<mutant>", "exec")
        assert "LIMIT = 3 + 1" in mutated and "eps=1e-7" in mutated  # module level and defaults untouched
        changed = [i for i, (a, b) in enumerate(zip(SOURCE.splitlines(), mutated.splitlines(), strict=False))
                   if a != b]
        assert changed and min(changed) + 1 >= point.line  # lines before the point are as they were


def test_points_are_kept_only_on_executed_lines_and_sampled_by_kind_deterministically():
    import random

    found = mutants.points(SOURCE)
    guard = next(p for p in found if p.replacement == "pass")
    assert mutants.reached(guard, {guard.line}) and not mutants.reached(guard, {guard.line - 1})
    first = mutants.sample(found, 7, random.Random("0/x"))
    assert first == mutants.sample(found, 7, random.Random("0/x"))
    assert len({p.kind for p in first}) == 7  # one of each kind before a second of any


def test_outcomes_agree_on_nan_exceptions_and_rounding_only():
    assert battery.agree([1.0, float("nan")], [1.0 + 1e-9, float("nan")])
    assert battery.agree("ValueError", "ValueError")
    assert not battery.agree("ValueError", "TypeError")
    assert not battery.agree(0.5, "ValueError")
    assert not battery.agree([1.0, float("nan")], [1.0, 0.0])
    assert not battery.agree(float("inf"), float("-inf"))
    assert not battery.agree([0.5, 0.5], 0.5)
    assert not battery.agree(0.5, 0.5 + 1e-5)


def test_the_battery_has_inputs_for_every_domain_of_the_catalogue():
    from conformance.catalogue import CATALOGUE

    for domain in {spec.domain for spec in CATALOGUE}:
        inputs = battery.domain_inputs(domain.name)
        assert len(inputs) >= 7, domain.name
        for name, batch in inputs:
            assert len(batch) >= 1 and len(batch.y_true) == len(batch.y_pred), (domain.name, name)
            assert np.all(np.isfinite(batch.y_pred.astype(np.float64))), (domain.name, name)


@pytest.mark.parametrize(("spec", "reaches", "misses"), [
    ("Precision", "sklearn/metrics/_classification.py", "sklearn/metrics/_ranking.py"),
    ("MeanSquaredError", "sklearn/metrics/_regression.py", "sklearn/metrics/_classification.py"),
])
def test_the_trace_maps_a_spec_to_the_library_files_its_binding_runs(spec, reaches, misses):
    pytest.importorskip("sklearn")
    traced = battery.run("sklearn", [spec], against=None, trace=True)
    files = traced["lines"][spec]
    assert reaches in files and misses not in files
    assert len(files[reaches]) >= 10
    assert all(file.startswith("sklearn/") for file in files)

"""The library conformance suites: every catalogued metric x library x property, one test each.

A ``known`` finding is an expected failure whose reason is its declared cause; a ``fail`` or
``error`` is a test failure unless ``expected_failures`` lists it (or a pattern names it) with its reason."""

from __future__ import annotations

import json

import pytest

from conformance.engine import installed_libraries, plan, run_case
from conformance.pytest_plugin import record
from suites.expected_failures import expected_failure

CASES = plan()
INSTALLED = set(installed_libraries())


def describe(finding) -> str:
    lines = [f"{finding.outcome}: {finding.message}"]
    if finding.reference_value is not None:
        lines.append(f"reference {finding.reference_value}  library {finding.library_value}  "
                     f"|diff| {finding.abs_error} > tolerance {finding.tolerance}")
    if finding.example:
        lines.append("minimal example: " + json.dumps(finding.example))
    if finding.snippet:
        lines.append(finding.snippet)
    return "\n".join(lines)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_conformance(case, matrix_profile) -> None:
    if case.library not in INSTALLED:
        pytest.skip(f"{case.library} is not installed")
    finding = run_case(case, matrix_profile)
    record([finding])  # into --conformance-json / --conformance-report
    expected_reason, must_fail = expected_failure(case.id) or (None, False)
    if finding.outcome in ("fail", "error"):
        if expected_reason:
            pytest.xfail(f"{expected_reason}\n{describe(finding)}")
        pytest.fail(describe(finding), pytrace=False)
    if must_fail and matrix_profile.name == "smoke":  # a few examples may not reach it: ci and thorough must
        pytest.skip(f"listed as an expected failure, not reached with the smoke budget: {expected_reason[:200]}")
    assert not must_fail, f"{case.id} is listed as an expected failure but came out {finding.outcome}"
    if finding.outcome == "skip":
        pytest.skip(finding.message)
    if finding.outcome == "known":
        pytest.xfail(f"known ({finding.cause['kind']}): {finding.cause['what']}")
    assert finding.outcome == "pass" and finding.examples_run > 0


def test_expected_failures_name_cases() -> None:
    """Every listed case and every pattern names a case of the plan (a renamed metric leaves none stale)."""
    from fnmatch import fnmatchcase

    from suites.expected_failures import BACKEND_DEFECTS, EXPECTED_DEFECTS, EXPECTED_FAILURES

    ids = {c.id for c in CASES}
    assert sorted(set(EXPECTED_FAILURES) - ids) == []
    patterns = [*EXPECTED_DEFECTS, *(p for defects in BACKEND_DEFECTS.values() for p in defects)]
    assert [p for p in patterns if not any(fnmatchcase(i, p) for i in ids)] == []


@pytest.mark.parametrize("target", ["PythonStateInUpdate", "CorrectMSE"])
def test_keras_compiled_modes_of_this_backend_catch_a_trace_time_branch(target: str, profile) -> None:
    """Every compiled mode of the running Keras backend (tf.function and XLA on TensorFlow, jax.jit on JAX) runs
    the update as fit() does: a Python attribute that steers update_state is fixed when the update is traced, so
    the gallery's PythonStateInUpdate differs from eager, and the correct metric does not."""
    from dataclasses import replace

    from conformance.adapters import get_adapter
    from conformance.engine import Case
    from conformance.properties import by_name
    from suites.test_gallery import KERAS, gallery_spec

    if "keras" not in INSTALLED or len(get_adapter("keras").execution_modes()) < 2:
        pytest.skip("this Keras backend runs metrics eagerly only (as fit() does on torch)")
    with_jit = replace(profile, jit_compile=True, max_examples=15, shrink=False)  # one compile per shape
    finding = run_case(Case(gallery_spec("keras", f"{KERAS}.{target}"), "keras", by_name()["execution_modes"]),
                       with_jit, reuse_metrics=False)
    if target == "CorrectMSE":
        assert finding.outcome == "pass" and finding.examples_run > 0, describe(finding)
    else:
        assert finding.outcome == "fail", describe(finding)
        assert "mode, the value differs" in finding.message

"""The library conformance suites: every catalogued metric x library x property, one test each.

A ``known`` finding is an expected failure whose reason is its declared cause (a convention of the library, or a
defect declared beside the metric in the catalogue with what explains it example by example); a ``fail`` or
``error`` is a test failure: there is no list of cases excused whatever they show."""

from __future__ import annotations

import json

import pytest

from conformance.engine import installed_libraries, plan, run_case
from conformance.pytest_plugin import in_baseline, record

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
    if finding.outcome in ("fail", "error"):
        if in_baseline(finding):  # --conformance-baseline: only what is new fails
            pytest.xfail(f"unexpected in the baseline too: {finding.message.splitlines()[0][:200]}")
        pytest.fail(describe(finding), pytrace=False)
    if finding.outcome == "skip":
        pytest.skip(finding.message)
    if finding.outcome == "known":
        pytest.xfail(f"known ({finding.cause['kind']}): {finding.cause['what']}")
    if finding.outcome == "limit":  # a precision limit (a float32 count at 2^24): its own outcome, not a wrong value
        assert finding.example, "a limit carries the example that reached it"
        pytest.xfail(f"limit: {finding.message.splitlines()[0][:200]}")
    assert finding.outcome == "pass" and finding.examples_run > 0


@pytest.mark.parametrize("target", ["PythonStateInUpdate", "CorrectMSE"])
def test_keras_compiled_modes_of_this_backend_catch_a_trace_time_branch(target: str, profile) -> None:
    """Every compiled mode of the running Keras backend (tf.function and XLA on TensorFlow, jax.jit on JAX) runs
    the update as fit() does: a Python attribute that steers update_state is fixed when the update is traced, so
    the gallery's PythonStateInUpdate differs from eager, and the correct metric does not."""
    from dataclasses import replace

    from conformance.adapters import get_adapter
    from conformance.engine import Case
    from conformance.registry import by_name
    from suites.test_gallery import KERAS, gallery_spec

    if "keras" not in INSTALLED or len(get_adapter("keras").execution_modes()) < 2:
        pytest.skip("this Keras backend runs metrics eagerly only (as fit() does on torch)")
    # One compile per shape; a failure is what is asserted, not its minimal example: each reduction step traced the
    # update anew (65 s on a loaded machine; 1.3 s without).
    with_jit = replace(profile, jit_compile=True, max_examples=15, shrink=False, reduce_budget=0, shrink_seconds=0.0)
    finding = run_case(Case(gallery_spec("keras", f"{KERAS}.{target}"), "keras", by_name()["execution_modes"]),
                       with_jit, reuse_metrics=False)
    if target == "CorrectMSE":
        assert finding.outcome == "pass" and finding.examples_run > 0, describe(finding)
    else:
        assert finding.outcome == "fail", describe(finding)
        assert "mode, the value differs" in finding.message


def test_a_sync_finding_s_snippet_runs_the_ranks_and_shows_the_abort(tmp_path, matrix_profile) -> None:
    """distributed_sync's snippet is each rank's own updates in a real gloo group (not one metric fed everything,
    which is right): run as a file, the known idle-rank defect of BinaryAUROC aborts it as the finding says."""
    import subprocess
    import sys
    from dataclasses import replace

    from conformance.catalogue import by_id
    from conformance.engine import Case
    from conformance.registry import by_name

    if "torchmetrics" not in INSTALLED:
        pytest.skip("torchmetrics is not installed")
    # The catalogue's parameters at their defaults (max_fpr drawn would show its own declared difference first).
    spec = replace(by_id()["AUC"], space=())
    # The profile's examples, not the one a library metric gets in smoke: the idle rank is drawn within three.
    sync = replace(by_name()["distributed_sync"], library_examples=None)
    finding = run_case(Case(spec, "torchmetrics", sync), matrix_profile)
    assert finding.outcome == "known" and "saw no data" in finding.cause["what"], finding.message
    assert "mp.spawn(run, args=(port,), nprocs=2)" in finding.snippet and "if rank == 1:" in finding.snippet
    idle = [block for block in finding.snippet.split("    if rank == ")[1:] if ".update(" not in block]
    assert len(idle) == 1 and ".compute()" in idle[0]  # one rank fed nothing calls compute() all the same
    script = tmp_path / "snippet.py"
    script.write_text(finding.snippet)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180)
    assert done.returncode != 0, done.stdout
    assert "doesn't match expected size" in done.stderr or "Connection reset" in done.stderr, done.stderr[-2000:]

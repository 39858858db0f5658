"""Baselines: two runs compared finding by finding (conformance diff, run --baseline, --conformance-baseline)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from conformance.baseline import compare_runs
from conformance.cli import main
from conformance.results import Finding, RunResult

ROOT = Path(__file__).resolve().parents[1]


def _finding(metric: str, outcome: str, value: float | None = None, kind: str | None = None) -> Finding:
    return Finding(metric=metric, library="sklearn", property="agreement", outcome=outcome, library_value=value,
                   failure_kind=kind, message=f"{metric} {outcome}")


OLD = RunResult(findings=[_finding("A", "pass"), _finding("B", "fail", 0.5, "wrong value"),
                          _finding("C", "fail", 0.5, "wrong value"), _finding("D", "known"),
                          _finding("E", "pass"), _finding("G", "fail", 1.0, "wrong value")])
NEW = RunResult(findings=[_finding("A", "fail", 0.1, "wrong value"), _finding("B", "pass"),
                          _finding("C", "fail", 0.7, "wrong value"), _finding("D", "known"),
                          _finding("F", "error", None, "raises TypeError"), _finding("G", "fail", 1.0, "wrong value")])


def test_changes_are_matched_by_case_and_classified() -> None:
    changes = {c.finding.metric: c for c in compare_runs(OLD, NEW)}
    assert set(changes) == {"A", "B", "C", "E", "F"}  # D and G are the same in both
    assert changes["A"].kind == "changed" and changes["A"].newly_unexpected
    assert changes["B"].resolved and not changes["B"].newly_unexpected
    assert changes["C"].kind == "changed" and not changes["C"].newly_unexpected  # failing before and after
    assert "0.5 → 0.7" in changes["C"].describe()
    assert changes["E"].kind == "gone"
    assert changes["F"].kind == "new" and changes["F"].newly_unexpected


def test_a_library_the_run_left_out_is_not_gone() -> None:
    keras_only = RunResult(findings=[replace(f, library="keras") for f in OLD.findings])
    changes = compare_runs(keras_only, RunResult(findings=[_finding("A", "pass")]))
    assert [(c.kind, c.finding.metric, c.finding.library) for c in changes] == [("new", "A", "sklearn")]


def test_diff_exits_1_only_for_newly_unexpected_findings(tmp_path, capsys) -> None:
    old, new, out = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "changes.json"
    OLD.save(old)
    NEW.save(new)
    assert main(["diff", str(old), str(new), "--json", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "Newly unexpected (2):" in printed and "Resolved (1):" in printed and "A · sklearn · agreement" in printed
    assert {c["metric"] for c in json.loads(out.read_text()) if c["newly_unexpected"]} == {"A", "F"}
    same = RunResult(findings=[f for f in NEW.findings if f.metric in ("C", "G")])
    (tmp_path / "same.json").write_text(json.dumps(same.to_json()))
    assert main(["diff", str(new), str(tmp_path / "same.json")]) == 0  # C and G fail in both: nothing new


def test_diff_of_a_missing_file_is_a_usage_error(tmp_path, capsys) -> None:
    assert main(["diff", str(tmp_path / "nope.json"), str(tmp_path / "nope.json")]) == 2
    assert "no such results file" in capsys.readouterr().err


def test_run_with_a_baseline_fails_only_for_what_is_new(tmp_path) -> None:
    """A real run (scikit-learn, one metric) against a baseline in which it failed: it is resolved, exit 0; and
    against one lacking a finding the run makes unexpected (written by hand), exit 1."""
    baseline, run_json, report = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "r.html"
    args = [sys.executable, "-m", "conformance", "run", "--metrics", "Accuracy", "--libraries", "sklearn",
            "--properties", "agreement", "--quiet", "--json", str(run_json), "--report", str(report)]
    first = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert first.returncode == 0, first.stderr
    payload = json.loads(run_json.read_text())
    payload["findings"][0]["outcome"] = "fail"  # as if the library had been wrong before an upgrade
    baseline.write_text(json.dumps(payload))
    second = subprocess.run([*args, "--baseline", str(baseline)], capture_output=True, text=True, cwd=ROOT,
                            timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Resolved (1):" in second.stdout
    written = json.loads(run_json.read_text())
    assert written["baseline"]["path"] == str(baseline) and written["baseline"]["changes"][0]["resolved"]
    assert "Changed since the baseline" in report.read_text()


def test_the_plugin_turns_failures_in_the_baseline_into_xfails(tmp_path) -> None:
    tests = tmp_path / "test_metric.py"
    tests.write_text(
        "import pytest\n"
        "from conformance.pytest_plugin import in_baseline, record\n"
        "from conformance.results import Finding\n\n"
        "@pytest.mark.parametrize('metric', ['Old', 'New'])\n"
        "def test_metric(metric):\n"
        "    finding = Finding(metric=metric, library='sklearn', property='agreement', outcome='fail')\n"
        "    record([finding])\n"
        "    if in_baseline(finding):\n"
        "        pytest.xfail('in the baseline')\n"
        "    pytest.fail('wrong value')\n")
    RunResult(findings=[Finding(metric="Old", library="sklearn", property="agreement", outcome="fail")]).save(
        tmp_path / "old.json")
    def pytest_with(baseline: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "pytest", "-p", "conformance.pytest_plugin", "-p", "no:cacheprovider", "-q",
                   "--conformance-baseline", baseline, "--conformance-json", "new.json", str(tests)]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})

    done = pytest_with("old.json")
    assert "1 failed, 1 xfailed" in done.stdout, done.stdout + done.stderr
    changes = json.loads((tmp_path / "new.json").read_text())["baseline"]["changes"]
    assert [c["metric"] for c in changes if c["newly_unexpected"]] == ["New"]
    bad = pytest_with("missing.json")
    assert bad.returncode == 4 and "--conformance-baseline missing.json" in bad.stderr, bad.stderr


def test_a_known_finding_whose_value_or_cause_changes_is_a_change() -> None:
    known = Finding(metric="AUC", library="keras", property="agreement", outcome="known", library_value=0.5,
                    cause={"what": "bucketed thresholds"}, backend="tensorflow")
    moved = replace(known, library_value=0.625)
    recaused = replace(known, cause={"what": "another convention"})
    assert compare_runs(RunResult(findings=[known]), RunResult(findings=[known])) == []
    (value,) = compare_runs(RunResult(findings=[known]), RunResult(findings=[moved]))
    assert value.kind == "changed" and "library value 0.5 → 0.625" in value.describe() and not value.newly_unexpected
    (cause,) = compare_runs(RunResult(findings=[known]), RunResult(findings=[recaused]))
    assert "cause 'bucketed thresholds' → 'another convention'" in cause.describe()


def test_findings_are_matched_by_their_parameters_too() -> None:
    """Two findings of one case that differ in their drawn parameters are two findings; a finding whose parameters
    alone changed is matched by the rest, and the change says so."""
    zero, one = ({"zero_division": value} for value in (0.0, 1.0))
    old = [replace(_finding("P", "fail", 0.5, "wrong value"), parameters=zero),
           replace(_finding("P", "known", 0.5), property="order_invariance", parameters=zero)]
    new = [replace(_finding("P", "fail", 0.5, "wrong value"), parameters=zero),
           replace(_finding("P", "known", 0.5), property="order_invariance", parameters=one)]
    (change,) = compare_runs(RunResult(findings=old), RunResult(findings=new))
    assert change.kind == "changed" and change.finding.property == "order_invariance"
    assert "parameters {'zero_division': 0.0} → {'zero_division': 1.0}" in change.describe()
    assert change.to_json()["parameters"] == one


def test_run_with_a_baseline_matches_by_backend_and_exits_1_for_a_newly_unexpected_finding(tmp_path,
                                                                                           monkeypatch) -> None:
    """A real failure (the gallery's OffByOneDenominator, in real Keras): against a baseline where the same case
    failed on another backend, it is newly unexpected (exit 1); against the run's own results, nothing is new."""
    import pytest

    pytest.importorskip("keras")
    from conformance import engine
    from suites.test_gallery import KERAS, gallery_spec

    spec = gallery_spec("keras", f"{KERAS}.OffByOneDenominator")
    monkeypatch.setattr(engine, "CATALOGUE", [*engine.CATALOGUE, spec])
    first, again = tmp_path / "first.json", tmp_path / "again.json"
    args = ["run", "--metrics", spec.id, "--libraries", "keras", "--properties", "agreement", "--profile", "smoke",
            "--quiet", "--report", str(tmp_path / "r.html")]
    assert main([*args, "--json", str(first)]) == 1
    payload = json.loads(first.read_text())
    (finding,) = payload["findings"]
    assert finding["outcome"] == "fail" and finding["backend"]
    other_backend = tmp_path / "other-backend.json"
    other_backend.write_text(json.dumps({**payload, "findings": [{**finding, "backend": "jax"}]}))
    assert main([*args, "--json", str(again), "--baseline", str(other_backend)]) == 1
    kinds = {(c["kind"], c["backend"]) for c in json.loads(again.read_text())["baseline"]["changes"]}
    assert kinds == {("new", finding["backend"]), ("gone", "jax")}
    assert main([*args, "--json", str(again), "--baseline", str(first)]) == 0

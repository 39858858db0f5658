"""Every snippet reproduces its finding, run as a new user would run it: in a fresh interpreter, with the library alone.

A real multi-library run (a few catalogued metrics x Keras, scikit-learn and torchmetrics x every property; the
catalogue's findings are mostly ``known``), plus the gallery's broken metrics (one per property: each property's
failures, ``conformance check``'s too). The snippet of one finding per library x property x outcome is run (the
snippets of one kind are written by the same recorded calls), a batch of snippets per
interpreter (each in its own namespace; one interpreter per library, since importing TensorFlow or torch is the cost),
a distributed one as a file that spawns its ranks; the value it prints as observed must be the finding's library value
(and the other side's, where it prints one), its NaN, or its exception. The kinds of snippets verified here are the
ones issue drafts say reproduce their finding (``conformance.issue_drafts.VERIFIED_SNIPPETS``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conformance.engine import Case, installed_libraries, plan, run, run_case
from conformance.issue_drafts import VERIFIED_SNIPPETS
from conformance.profiles import PROFILES
from conformance.registry import by_name
from conformance.results import Finding
from suites.test_gallery import CAUGHT_ELSEWHERE, CHECK_GALLERY, GALLERY, TORCH, gallery_spec

# Its module-scoped fixture is one costly run: xdist keeps the module on one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("snippets")

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_METRICS = ["MeanSquaredError", "Precision"]
LIBRARIES = ("keras", "sklearn", "torchmetrics")
# conformance check's own properties (the others are the libraries' too, shown by the gallery's library cases)
USER_ONLY = ("graph_mode", "legacy_reset_name", "config_round_trip", "stateless_api", "compile_average", "add_state")

# Runs a batch of snippets, each in a namespace of its own, and writes what each printed, raised and compared.
BATCH_RUNNER = r"""
import contextlib, io, json, sys, traceback
import numpy as np

results = []
for source in json.load(open(sys.argv[1])):
    printed, namespace, error = io.StringIO(), {"__name__": "__snippet__"}, None
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(source, "snippet", "exec"), namespace)
    except BaseException as raised:
        error = f"{type(raised).__name__}: {raised}"
    values = {}
    for name in ("observed", "expected"):
        try:
            values[name] = np.asarray(namespace[name], np.float64).tolist() if name in namespace else None
        except Exception:
            values[name] = None
    results.append({"stdout": printed.getvalue(), "error": error, **values})
json.dump(results, open(sys.argv[2], "w"))
"""


def _uncapped(name: str):
    return replace(by_name()[name], examples=None, library_examples=None)


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    """The findings whose snippets are run: a catalogue run's (every one with a snippet) and the gallery's failures,
    one broken metric per property."""
    installed = installed_libraries(LIBRARIES)
    # Five examples a case (make test's smoke pass runs three): enough for every kind of finding to show.
    five = replace(PROFILES["smoke"], max_examples=5)
    # The gallery's failures shrink briefly: their snippets are what is checked here (reduced ones among them).
    # Every gallery metric runs the deep properties that must catch it (smoke keeps them for representatives).
    smoke = replace(five, shrink_budget=10, deep_on_representatives=False)
    found = [f for f in (run_case(case, five) for case in plan(CATALOGUE_METRICS, installed)) if f.snippet]
    # The per-batch-average gaps at the ci budget: five smoke examples of small data may all average exactly.
    found += [f for f in run(plan(CATALOGUE_METRICS, installed, ["batch_average_pitfall"]), "ci").findings
              if f.snippet]
    caught = set()
    for library, target, catching in GALLERY:
        if library not in installed:
            continue
        for prop in sorted(catching - {p for lib, p in caught if lib == library}):  # one per library x property
            caught.add((library, prop))
            found.append(run_case(Case(gallery_spec(library, target), library, _uncapped(prop)), smoke,
                                  reuse_metrics=False))
    if {"keras", "torchmetrics"} <= set(installed):
        from conformance.usercheck import check

        for prop in USER_ONLY:  # torchmetrics' where both catch it: its long streams run faster
            target, reference, options, _ = min((e for e in CHECK_GALLERY if prop in e[3]),
                                                key=lambda e: not e[0].startswith(TORCH))
            found += check(target, reference, properties=[prop], profile=smoke, **options).findings
    # One finding per library x property x outcome: the snippets of one kind are written by the same calls.
    return list({(f.library, f.property, f.outcome): f for f in reversed(found) if f.snippet}.values())[::-1]


def _run_batch(snippets: list[str], directory: Path, name: str) -> list[dict]:
    sources, results = directory / f"{name}.json", directory / f"{name}-results.json"
    sources.write_text(json.dumps(snippets))
    done = subprocess.run([sys.executable, "-c", BATCH_RUNNER, str(sources), str(results)], capture_output=True,
                          text=True, timeout=600, env=_environment())
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(results.read_text())


def _run_file(snippet: str, directory: Path, name: str) -> dict:
    """A distributed snippet, run as its docstring says: as a file (its ranks are spawned processes)."""
    path = directory / f"{name}.py"
    path.write_text(snippet)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300,
                          env=_environment(), cwd=directory)
    return {"stdout": done.stdout, "error": done.stderr[-4000:] if done.returncode else None,
            "observed": _printed(done.stdout, "observed"), "expected": _printed(done.stdout, "expected")}


def _environment() -> dict[str, str]:
    # The snippets import the gallery's modules (suites.gallery...) as a user's would import theirs.
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}


NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)")


def _printed(stdout: str, role: str) -> list[float] | None:
    for line in stdout.splitlines():
        if line.startswith(f"{role} ("):
            return [float(x) for x in NUMBER.findall(line.rsplit("): ", 1)[1])]
    return None


def _documented_error(finding: Finding) -> str | None:
    """The pattern of the error a known finding's declaration documents (its message says it was raised so)."""
    match = re.search(r"raised as documented: (.*?)(?:; |$)", finding.message or "")
    return match.group(1) if match else None


def _same_numbers(printed, value) -> bool:
    printed, value = np.ravel(np.asarray(printed, np.float64)), np.ravel(np.asarray(value, np.float64))
    return printed.shape == value.shape and bool(np.allclose(printed, value, rtol=2e-6, atol=1e-12, equal_nan=True))


def problem(finding: Finding, result: dict) -> str | None:
    """What is wrong with a snippet's run for ``finding``, or None where it reproduces it."""
    shown = (result["error"] or "") + "\n" + result["stdout"]
    documented = _documented_error(finding)
    if finding.outcome == "known" and finding.library_value is None:  # an error as documented
        if documented and re.search(documented, shown):
            return None
        return f"the documented error {documented!r} does not show"
    if (finding.failure_kind or "").startswith("raises"):
        raised = re.findall(r"\b(\w+(?:Error|Exception|Interrupt))\b", finding.message or "")
        if raised and any(f"{name}:" in shown or f"raised {name}" in shown for name in raised):
            return None
        return f"expected it to raise {raised or finding.failure_kind}"
    if result["error"]:
        return f"raised {result['error'][:300]}"
    if result["observed"] is None:
        return "printed no observed value"
    if not _same_numbers(result["observed"], finding.library_value):
        return f"observed {result['observed']} instead of {finding.library_value}"
    if result["expected"] is not None and finding.reference_value is not None and not _same_numbers(
            result["expected"], finding.reference_value):
        return f"expected {result['expected']} instead of {finding.reference_value}"
    return None


def _interpreter(finding: Finding) -> str:
    return "distributed" if "mp.spawn(" in finding.snippet else (
        "keras" if finding.library in ("keras", "function") else finding.library)


def test_every_snippet_reproduces_its_finding(findings: list[Finding], tmp_path: Path) -> None:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(_interpreter(finding), []).append(finding)
    problems, verified = [], set()
    for name, group in groups.items():
        if name == "distributed":
            results = [_run_file(f.snippet, tmp_path, f"{name}{i}") for i, f in enumerate(group)]
        else:
            results = _run_batch([f.snippet for f in group], tmp_path, name)
        for finding, result in zip(group, results, strict=True):
            wrong = problem(finding, result)
            if wrong:
                problems.append(f"{finding.metric} · {finding.library} · {finding.property} ({finding.outcome}, "
                                f"{finding.failure_kind}): {wrong}\n{finding.snippet}\n--- printed:\n"
                                f"{result['stdout'][-1500:]}")
            else:
                verified.add((finding.library, finding.property))
    assert not problems, f"{len(problems)} of {len(findings)} snippets do not reproduce:\n\n" + "\n\n".join(problems)
    # What issue drafts call reproducible must have been shown so here (for the libraries installed).
    installed = set(installed_libraries(LIBRARIES)) | ({"function"} if "keras" in installed_libraries() else set())
    unverified = {pair for pair in VERIFIED_SNIPPETS if pair[0] in installed} - verified
    assert not unverified, f"VERIFIED_SNIPPETS names kinds no snippet here showed: {sorted(unverified)}"


def test_the_run_has_findings_of_every_property_and_library(findings: list[Finding]) -> None:
    """The run above reaches every property (each of the gallery's broken metrics is caught) on every library: the
    snippets checked are those of every kind of finding, not a few easy ones."""
    properties = {f.property for f in findings}
    applicable = {p.name for p in by_name().values() if set(p.targets) & {"keras", "torchmetrics", "sklearn",
                                                                            "user keras", "user torchmetrics",
                                                                            "user function"}}
    # compile_identifiers fails on no catalogue or gallery metric: its test there runs its snippet itself.
    assert not applicable - properties - set(CAUGHT_ELSEWHERE), sorted(applicable - properties)
    assert {f.library for f in findings} >= set(installed_libraries(LIBRARIES))


class Accumulator:
    """A mean over a stream: a plain object the recorder's own test drives (no library needed)."""

    def __init__(self) -> None:
        self.total, self.count = 0.0, 0

    def update(self, values: np.ndarray) -> None:
        self.total += float(np.sum(values, dtype=np.float64))
        self.count += len(values)

    def result(self) -> float:
        return self.total / self.count


def test_a_long_stream_is_written_as_loops_over_one_tiled_array(tmp_path: Path) -> None:
    """30 updates over consecutive slices of 3,000 tiled samples, then the same single sample 5 times: one np.resize,
    a loop over the slices and a loop over the repeats, not 35 literals; the script prints the value read."""
    from conformance import recording

    whole = np.resize(np.array([1.0, 2.0, 4.0], np.float32), 3000)
    recording.start()
    try:
        with recording.side("a long stream"):
            metric = recording.make(Accumulator, "Accumulator()", imports=("from suites.test_snippets import "
                                                                           "Accumulator",))
            for start in range(0, 3000, 100):
                recording.invoke(metric, "update", whole[start:start + 100])
            for _ in range(5):
                recording.invoke(metric, "update", np.array([8.0], np.float32))
            value = recording.invoke(metric, "result", read=recording.Read())
        record = recording.snapshot("reference")
    finally:
        recording.stop()
    script = recording.render(record, value, np.asarray(7 / 3), title="a mean over a stream")
    assert "np.resize(np.array([1.0, 2.0, 4.0], dtype=np.float32), (3000,))" in script, script
    assert "for start in range(0, 3000, 100):" in script and "for _ in range(5):" in script, script
    assert "# expected (the reference, float64): 2.3333333333333335" in script and len(script) < 900, script
    (tmp_path / "stream.py").write_text(script)
    done = subprocess.run([sys.executable, "stream.py"], cwd=tmp_path, capture_output=True, text=True,
                          env=_environment(), timeout=120)
    assert _printed(done.stdout, "observed") == [pytest.approx(float(value))], done.stdout + done.stderr

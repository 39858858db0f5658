"""pytest plugin: collect conformance findings from tests into the results JSON and the HTML report.

Registered through the ``pytest11`` entry point (loaded by every pytest in an environment where
metric-conformance is installed; or ``-p conformance.pytest_plugin``). Options:

``--conformance-json PATH``      write the findings the tests recorded as results JSON
``--conformance-report PATH``    ... and as the HTML report
``--conformance-profile NAME``   the Hypothesis profile (``ci``, ``smoke`` or ``thorough``) for conformance tests
``--conformance-matrix-profile NAME``  ... for the library matrix (suites/test_libraries.py) only; default: the same
``--conformance-baseline PATH``  results of an earlier run: a failure that was unexpected there too is an xfail
                                 ("in the baseline"), only new ones fail; the JSON and report list the changes
``--conformance-shard I/N``      run shard I of N: conformance cases split as ``conformance run --shard``
                                 does, other tests dealt round-robin (a CI matrix; merge the shards'
                                 JSON with ``conformance report``)

Tests add findings with :func:`record` (``conformance.testing.assert_conforms`` and the suites'
library tests do). A line with the counts is added to the terminal summary. Under pytest-xdist
every worker sends its findings to the controller, which merges them and writes the files. An
interrupted session (Ctrl-C) still writes what was recorded, marked ``interrupted``.

This module imports only the standard library and pytest at load time (it is loaded in every pytest
session of the environment), and :func:`record` works without pytest installed.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

try:  # record() is also imported outside pytest (conformance.testing): pytest is then not needed
    import pytest
    _optional_hook = pytest.hookimpl(optionalhook=True)
except ImportError:  # pragma: no cover - only without pytest installed
    _optional_hook = lambda function: function

if TYPE_CHECKING:
    from conformance.results import Finding, RunResult

WORKER_KEY = "conformance_findings"  # in an xdist worker's workeroutput


class Collector:
    """The findings one pytest session recorded, and when it started."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.findings: list[Finding] = []
        self.versions: dict[str, str] = {}
        self.started = datetime.now(UTC).isoformat(timespec="seconds")
        self.clock = time.perf_counter()
        self.written: list[str] = []
        self.baseline: RunResult | None = None  # --conformance-baseline, loaded at configure


_collectors: list[Collector] = []  # a stack: a pytest run inside a test (pytester) has its own


def record(findings: Iterable[Finding]) -> None:
    """Add ``findings`` to the running pytest session's results (a no-op outside such a session)."""
    findings = list(findings)
    if _collectors:
        _collectors[-1].findings.extend(findings)


def in_baseline(finding: Finding) -> Finding | None:
    """The running session's baseline finding about the same case if it was unexpected there too (else None)."""
    if not _collectors or _collectors[-1].baseline is None:
        return None
    old = next((f for f in _collectors[-1].baseline.findings if f.key == finding.key), None)
    return old if old is not None and old.outcome in ("fail", "error") else None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "metric conformance findings")
    group.addoption("--conformance-json", metavar="PATH", default=None,
                    help="write the conformance findings the tests recorded to PATH (results JSON)")
    group.addoption("--conformance-report", metavar="PATH", default=None,
                    help="write the conformance findings the tests recorded to PATH (HTML report)")
    group.addoption("--conformance-profile", default="ci", choices=("ci", "smoke", "thorough"),
                    help="Hypothesis profile for conformance tests (default: ci)")
    group.addoption("--conformance-matrix-profile", default=None, choices=("ci", "smoke", "thorough"),
                    help="Hypothesis profile for the library matrix only (default: --conformance-profile)")
    group.addoption("--conformance-baseline", metavar="PATH", default=None,
                    help="results JSON of an earlier run: failures unexpected there too become xfail")
    group.addoption("--conformance-shard", metavar="I/N", default=None,
                    help="run only shard I of N of the tests (deterministic; for a CI matrix)")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """Keep shard I of N: conformance cases by metric x library (as ``conformance run --shard``), others in turn."""
    text = config.getoption("conformance_shard")
    if not text:
        return
    from conformance.engine import Case, UsageError, parse_shard, shard

    try:
        index, count = parse_shard(text)
    except UsageError as error:
        raise pytest.UsageError(str(error)) from None

    def case_of(item) -> Case | None:
        case = getattr(getattr(item, "callspec", None), "params", {}).get("case")
        return case if isinstance(case, Case) else None

    cases = [case for case in map(case_of, items) if case is not None]
    mine = {case.id for case in shard(cases, index, count)}
    kept, dropped, others = [], [], 0
    for item in items:
        case = case_of(item)
        if case is None:
            keep, others = others % count == index - 1, others + 1
        else:
            keep = case.id in mine
        (kept if keep else dropped).append(item)
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def pytest_configure(config: pytest.Config) -> None:
    collector = Collector(config)
    path = config.getoption("conformance_baseline", None)
    if path:  # read before any test runs: a bad path is a usage error, not a failing session
        from conformance.results import RunResult

        try:
            collector.baseline = RunResult.load(path)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise pytest.UsageError(f"--conformance-baseline {path}: not a conformance results file ({error})") \
                from None
    _collectors.append(collector)


def pytest_unconfigure(config: pytest.Config) -> None:
    for index in range(len(_collectors) - 1, -1, -1):
        if _collectors[index].config is config:
            del _collectors[index]
            break


def _collector(config: pytest.Config) -> Collector | None:
    return next((c for c in reversed(_collectors) if c.config is config), None)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workeroutput")


@_optional_hook  # a hook of pytest-xdist, which may not be installed
def pytest_testnodedown(node, error) -> None:
    """xdist controller: a worker finished; take its findings."""
    collector = _collector(node.config)
    payload = getattr(node, "workeroutput", {}).get(WORKER_KEY)
    if collector is None or not payload:
        return
    from conformance.results import Finding

    collector.findings.extend(Finding.from_json(f) for f in payload["findings"])
    for name, version in payload["versions"].items():
        collector.versions.setdefault(name, version)


def _versions(findings: list[Finding]) -> dict[str, str]:
    """Versions of the libraries the findings are about (already imported by the tests that made them)."""
    from conformance.catalogue import LIBRARIES
    from conformance.engine import collect_versions

    return collect_versions(sorted({f.library for f in findings} & set(LIBRARIES)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    collector = _collector(config)
    if collector is None:
        return
    if _is_worker(config):
        if collector.findings:
            config.workeroutput[WORKER_KEY] = {"findings": [f.to_json() for f in collector.findings],
                                               "versions": _versions(collector.findings)}
        return
    json_path, report_path = config.getoption("conformance_json"), config.getoption("conformance_report")
    if not (json_path or report_path):
        return
    result = _result(collector, interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
    from conformance.results import write_atomically

    baseline_path = config.getoption("conformance_baseline")
    if baseline_path:
        from conformance.baseline import compare_runs

        changes = compare_runs(collector.baseline, result)
        result.baseline = {"path": baseline_path, "changes": [change.to_json() for change in changes]}

    if json_path:
        result.save(json_path)
        collector.written.append(f"JSON: {json_path}")
    if report_path:
        from conformance.report import render

        write_atomically(Path(report_path), render(result, title="Metric conformance report (pytest)"))
        collector.written.append(f"HTML: {report_path}")


def _result(collector: Collector, *, interrupted: bool) -> RunResult:
    from conformance.results import RunResult

    findings = sorted(collector.findings, key=lambda f: (f.metric, f.library, f.backend or "", f.property))
    versions = {**_versions([f for f in findings if f.library not in collector.versions]), **collector.versions}
    config = collector.config
    return RunResult(findings=findings, versions=versions, profile=config.getoption("conformance_profile"),
                     seed=None, command="pytest " + shlex.join(config.invocation_params.args),
                     started=collector.started, duration_s=time.perf_counter() - collector.clock,
                     interrupted=interrupted)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    collector = _collector(config)
    if collector is None or _is_worker(config):
        return
    if not collector.findings and not collector.written:
        return
    from conformance.results import SHOWN_OUTCOMES, shown_counts

    counts = shown_counts(collector.findings)  # pitfall measurements apart from known differences
    line = ("conformance: " + ", ".join(f"{counts[o]} {o}" for o in SHOWN_OUTCOMES)
            + f" ({len(collector.findings)} findings)")
    if collector.written:
        line += "; " + ", ".join(collector.written)
    terminalreporter.write_sep("-", line, bold=True, red=bool(counts["fail"] or counts["error"]))

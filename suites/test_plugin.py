"""The pytest plugin, used as a user would: pytest run in a fresh directory on a small test file whose
tests check real metrics (scikit-learn) and record their findings, serially and under pytest-xdist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conformance.results import SHOWN_OUTCOMES, RunResult, shown_counts

ROOT = Path(__file__).resolve().parents[1]

TESTS = '''
import os

import pytest
from conformance.engine import plan, run_case
from conformance.profiles import PROFILES
from conformance.pytest_plugin import record

CASES = plan(["BinaryAccuracy", "Precision"], ["sklearn"], ["agreement", "order_invariance"])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case, request):
    finding = run_case(case, PROFILES[request.config.getoption("--conformance-profile")])
    finding.message += f" [{os.environ.get('PYTEST_XDIST_WORKER', 'no worker')}]"
    record([finding])
    assert finding.outcome in ("pass", "known")
'''

INTERRUPTED = '''
from conformance.engine import plan, run_case
from conformance.profiles import PROFILES
from conformance.pytest_plugin import record


def test_first():
    record([run_case(plan(["Precision"], ["sklearn"], ["agreement"])[0], PROFILES["ci"])])


def test_interrupted():
    raise KeyboardInterrupt  # as Ctrl-C does


def test_never_run():
    raise AssertionError("not reached")
'''


def pytest_in(directory: Path, *args: str) -> subprocess.CompletedProcess:
    """pytest in ``directory`` with this checkout's plugin (``-p``: the same registration as the entry point's)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "conformance.pytest_plugin", "-p", "no:cacheprovider",
                           "-q", *args], cwd=directory, env=environment, capture_output=True, text=True, timeout=600)


def outcomes(path: Path) -> dict[str, str]:
    result = json.loads(path.read_text())
    return {f"{f['metric']}-{f['library']}-{f['property']}": f["outcome"] for f in result["findings"]}


def test_findings_go_to_json_html_and_the_terminal_serially_and_under_xdist(tmp_path: Path) -> None:
    (tmp_path / "test_metrics.py").write_text(TESTS)
    serial = pytest_in(tmp_path, "--conformance-json", "serial.json", "--conformance-report", "serial.html")
    assert serial.returncode == 0, serial.stdout + serial.stderr
    found = outcomes(tmp_path / "serial.json")
    assert len(found) == 4 and set(found.values()) <= {"pass", "known"}
    shown = shown_counts(RunResult.load(tmp_path / "serial.json").findings)  # pitfall measurements apart
    counts = ", ".join(f"{shown[o]} {o}" for o in SHOWN_OUTCOMES)
    assert f"conformance: {counts} (4 findings); JSON: serial.json, HTML: serial.html" in serial.stdout
    result = json.loads((tmp_path / "serial.json").read_text())
    assert result["profile"] == "ci" and "sklearn" in result["versions"] and not result["interrupted"]
    assert result["command"].startswith("pytest ") and "--conformance-json" in result["command"]
    html = (tmp_path / "serial.html").read_text()
    assert html.count('<tr data-m="') == 2 and "(pytest)" in html

    parallel = pytest_in(tmp_path, "-n", "2", "--conformance-json", "xdist.json", "--conformance-report",
                         "xdist.html")
    assert parallel.returncode == 0, parallel.stdout + parallel.stderr
    assert outcomes(tmp_path / "xdist.json") == found  # both workers' findings, merged
    messages = " ".join(f["message"] for f in json.loads((tmp_path / "xdist.json").read_text())["findings"])
    assert "[gw0]" in messages and "[gw1]" in messages and "[no worker]" not in messages
    assert "sklearn" in json.loads((tmp_path / "xdist.json").read_text())["versions"]
    assert "(4 findings); JSON: xdist.json, HTML: xdist.html" in parallel.stdout
    assert (tmp_path / "xdist.html").read_text().count('<tr data-m="') == 2


def test_an_interrupted_session_still_writes_what_it_recorded(tmp_path: Path) -> None:
    (tmp_path / "test_interrupted.py").write_text(INTERRUPTED)
    process = pytest_in(tmp_path, "--conformance-json", "r.json", "--conformance-report", "r.html")
    assert process.returncode == pytest.ExitCode.INTERRUPTED, process.stdout + process.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["interrupted"] and [f["metric"] for f in result["findings"]] == ["Precision"]
    assert "<strong>Interrupted:</strong>" in (tmp_path / "r.html").read_text()


def test_without_the_options_nothing_is_written_and_record_outside_pytest_does_nothing(tmp_path: Path) -> None:
    (tmp_path / "test_metrics.py").write_text(TESTS)
    process = pytest_in(tmp_path, "-k", "agreement")
    assert process.returncode == 0 and "conformance: " in process.stdout and "(2 findings)" in process.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".json", ".html")) == []

    code = ("from conformance.pytest_plugin import record\nfrom conformance.results import Finding\n"
            "record([Finding('AUC', 'keras', 'agreement', 'pass')])\nimport sys\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('hypothesis', 'tensorflow', 'torch', 'sklearn')]\n"
            "print('OK', heavy)")
    outside = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert outside.returncode == 0 and "OK []" in outside.stdout, outside.stderr


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"conformance.pytest_plugin": "conformance.pytest_plugin"}
    assert any(requirement.startswith("pytest-xdist") for requirement in project["optional-dependencies"]["dev"])


def test_versions_are_plain_strings_that_xdist_can_send() -> None:
    """torch.__version__ is a str subclass that execnet refuses: a worker would lose its findings."""
    pytest.importorskip("torchmetrics")
    execnet = pytest.importorskip("execnet")
    from conformance.engine import collect_versions

    versions = collect_versions(["sklearn", "torchmetrics"])
    assert versions["torch"] and all(type(v) is str for v in versions.values())
    execnet.dumps(versions)

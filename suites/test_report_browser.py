"""The report opened the way a person opens it: in a browser (headless Chromium, Debian's ``chromium``).

Each test loads a report rendered from a real small run, lets its script run, and reads back the
DOM as the browser built it (``--dump-dom``) and the browser's console (``--enable-logging``), so
script errors, a matrix that did not render, filters that do not filter and injected markup are
seen as a reader would meet them. A screenshot is kept as ``reports/report-screenshot.png``.

Chromium is installed by ``make test`` (and here, as root, if it is missing).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

import pytest

from conformance.report import render
from conformance.results import ERROR_BIN_COUNT, Finding, RunResult, shown_outcome, write_atomically

# Its module-scoped fixture is one costly run: xdist keeps the module on one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("report_browser")

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "reports" / "report-screenshot.png"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=environment, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=environment, capture_output=True,
                       timeout=900)
        path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed and cannot be installed here (make test installs it)")
    return path


@dataclass
class Page:
    dom: str
    console: list[str]  # the browser's console messages, one per line

    @property
    def script_errors(self) -> list[str]:
        return [line for line in self.console if "Uncaught" in line or "ERROR:CONSOLE" in line]


def open_page(chromium: str, path: Path, profile: Path, fragment: str = "") -> Page:
    """Load ``path`` (``#fragment`` appended), run its scripts, and return the DOM and the console."""
    process = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=5000", "--dump-dom", path.as_uri() + (f"#{fragment}" if fragment else "")],
        capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr[-2000:]
    return Page(process.stdout, [line for line in process.stderr.splitlines() if ":CONSOLE" in line])


def row_classes(dom: str) -> dict[str, str]:
    """Each matrix row's metric and its class ("hidden" when a filter hides it)."""
    rows = {}
    for attributes in re.findall(r"<tr ([^>]*data-m=[^>]*)>", dom):
        classes = re.search(r'class="([^"]*)"', attributes)
        rows[re.search(r'data-m="([^"]*)"', attributes).group(1)] = classes.group(1) if classes else ""
    return rows


@pytest.fixture(scope="module")
def real_report(small_run: RunResult) -> tuple[RunResult, Path]:
    """The report of a real small run (see conftest), kept under reports/ beside its screenshot."""
    path = ROOT / "reports" / "report-browser.html"
    write_atomically(path, render(small_run))
    return small_run, path


def test_the_console_check_sees_script_errors(chromium: str, tmp_path: Path) -> None:
    """The check the other tests rely on can fail: a page whose script throws is caught."""
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><table id='matrix'></table><script>noSuchFunction();</script></body></html>")
    page = open_page(chromium, broken, tmp_path / "profile")
    assert page.script_errors and "noSuchFunction" in page.script_errors[0]


def test_the_report_renders_its_matrix_without_script_errors(chromium: str, real_report, tmp_path: Path) -> None:
    result, path = real_report
    page = open_page(chromium, path, tmp_path / "profile")
    assert page.script_errors == []
    assert 'data-report-ready="1"' in page.dom  # the script ran to its last line
    assert set(row_classes(page.dom)) == {f.metric for f in result.findings}
    badges = re.findall(r'<a class="badge (\w+)" data-p="', page.dom)
    assert len(badges) == len(result.findings) and set(badges) == {shown_outcome(f) for f in result.findings}
    assert "measured" in badges  # the pitfall measurements, apart from the known differences
    shown = len([f for f in result.findings if f.outcome not in ("pass", "skip")])
    assert f"2 of 2 metrics, {shown} of {shown} details shown" in page.dom
    assert page.dom.count("<svg") == 2

    SCREENSHOT.unlink(missing_ok=True)
    subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'shot'}", "--window-size=1400,2400",
                    f"--screenshot={SCREENSHOT}", path.as_uri()], capture_output=True, timeout=120, check=True)
    from PIL import Image

    with Image.open(SCREENSHOT) as image:
        assert image.size == (1400, 2400)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50  # text, badges and plots, not a blank page


def test_filters_from_the_address_hide_what_does_not_match(chromium: str, real_report, tmp_path: Path) -> None:
    result, path = real_report
    metrics = {f.metric for f in result.findings}
    prop, outcome, visible = next(
        (p, o, m) for p in sorted({f.property for f in result.findings}) for o in ("known", "pass")
        for m in [{f.metric for f in result.findings if f.property == p and f.outcome == o}] if 0 < len(m) < 2)
    page = open_page(chromium, path, tmp_path / "profile", f"property={prop}&outcome={outcome}")
    assert page.script_errors == []
    rows = row_classes(page.dom)
    assert {m for m, classes in rows.items() if "hidden" not in classes} == visible
    assert all("hidden" in rows[m] for m in metrics - visible)
    assert f"{len(visible)} of {len(metrics)} metrics" in page.dom

    searched = open_page(chromium, path, tmp_path / "profile2", "q=preci")
    rows = row_classes(searched.dom)
    assert "hidden" not in rows["Precision"] and "hidden" in rows["AUC"]


def test_hostile_text_stays_text_in_the_browser(chromium: str, tmp_path: Path) -> None:
    hostile = Finding("<script>alert(1)</script>", "keras", "batch_average_pitfall", "error",
                      message="<img src=x onerror=alert(2)> \"quoted\"", library_value='"><b id=injected>x</b>',
                      reference_value=0.5, abs_error=1.0, tolerance=1e-6, snippet="</pre><script>alert(3)</script>",
                      error_histogram=[1] * ERROR_BIN_COUNT, gaps=[[2.0, 0.5]])
    path = tmp_path / "hostile.html"
    path.write_text(render(RunResult(findings=[hostile])))
    page = open_page(chromium, path, tmp_path / "profile")
    assert page.script_errors == [] and 'data-report-ready="1"' in page.dom
    assert len(re.findall(r"<script", page.dom)) == 1  # the report's own, nothing injected
    assert "<img" not in page.dom and 'id="injected"' not in page.dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.dom  # shown as text


def _benchmark() -> ModuleType:
    """benchmarks/report_render.py: its synthetic findings, shaped like a real run's."""
    spec = importlib.util.spec_from_file_location("report_render", ROOT / "benchmarks" / "report_render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_report_of_5000_findings_stays_under_10_mb_and_works(chromium: str, tmp_path: Path) -> None:
    """5,000 findings with what real ones carry (examples, snippets, distinct failures, curves, issue drafts,
    decisions, a full-size pitfall study): at most 10 MB, and in the browser the page loads without script errors
    and its filters work (here from the address: measured findings of the metrics matching a search). The time it
    takes is the benchmark's figure (benchmarks/report_render.py), not asserted here."""
    result = _benchmark().synthetic_result(5000)
    html = render(result)
    assert len(html.encode("utf-8")) <= 10 * 2**20
    path = tmp_path / "large.html"
    path.write_text(html, encoding="utf-8")
    page = open_page(chromium, path, tmp_path / "profile", "outcome=measured&q=metric01")
    assert page.script_errors == [] and 'data-report-ready="1"' in page.dom and "data-ready-ms=" in page.dom
    measured = [f for f in result.findings if f.measurement and "metric01" in f.metric.lower()]
    assert measured and len({f.metric for f in measured}) < len({f.metric for f in result.findings})
    rows = row_classes(page.dom)
    assert len(rows) == 125 and {m for m, classes in rows.items() if "hidden" not in classes} == {
        f.metric for f in measured}
    shown = len([f for f in result.findings if f.outcome not in ("pass", "skip")])
    assert f"of 125 metrics, {len(measured)} of {shown} details shown" in page.dom
    studied = len({row["metric"] for row in result.pitfall_study["rows"]})
    assert page.dom.count('class="study"') == studied + studied  # each metric's <details> and its <svg>
    assert len(re.findall(r'<details class="study" id="study-\d+" open="">', page.dom)) == 3  # the first three open


def test_an_address_naming_a_study_figure_opens_it(chromium: str, small_run: RunResult, tmp_path: Path) -> None:
    """Past the first three, a metric's figure is collapsed; the table links to it, and the address opens it."""
    import numpy as np

    metrics = [f"Metric{i}" for i in range(6)]
    study = _benchmark().synthetic_study(metrics, np.random.default_rng(0))
    path = tmp_path / "study.html"
    path.write_text(render(replace(small_run, pitfall_study=study)), encoding="utf-8")
    page = open_page(chromium, path, tmp_path / "profile", "study-5")
    assert page.script_errors == [] and 'data-report-ready="1"' in page.dom
    assert '<details class="study" id="study-5" open="">' in page.dom  # opened by the address
    assert '<details class="study" id="study-4">' in page.dom  # the others past the third stay closed
    assert page.dom.count('href="#study-') == 6

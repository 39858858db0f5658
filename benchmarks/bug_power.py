"""Bug-finding power: realistic bugs injected into the libraries' own metric code, and the share the harness finds.

Targets. Each target file (a module of Keras, scikit-learn or torchmetrics, ``TARGET_FILES``) is paired with the
catalogue specs whose binding's code reaches it. That map is derived, not listed: every spec's battery (below) is run
once on the unmutated library under ``sys.settrace``, recording which lines of which library files its function
frames execute (``benchmarks/bug_power_map.json``, rebuilt when a library's version or the battery changes, or with
``--retrace``). A file's mutants are made only at points on lines those specs execute.

Mutants. ``benchmarks/bug_power_mutants.py`` makes one source edit per mutant, of the kinds issue 14 names: flipped
comparisons, dropped weights (``x * w``, and a ``sample_weight=`` / ``weights=`` keyword argument dropped), off-by-one
constants, wrong reductions (sum/mean, max/min, an axis), removed guards (clamps, safe divisions, epsilons, special
cases), swapped arguments (of a division, of ``(y_true, y_pred)``), dropped accumulation (``assign_add`` ->
``assign``, ``+=`` -> ``=``). ``--per-file N`` of a file's reached points are sampled, seeded (``--seed``) and
stratified by kind. Each mutant is written into a copy of the library's package put first on ``PYTHONPATH`` (the
installed library is never touched).

Equivalence, judged independently of the harness. ``benchmarks/bug_power_battery.py`` feeds each spec mapped to the
file a battery of its own: hand-written edge inputs (ties, one class, absent classes, all-equal scores, exact and
inverted 0/1 scores, threshold edges, single samples, constant targets, zeros, large magnitudes, ...) and seeded
NumPy draws of 5, 16 and 41 samples, under every combination of the spec's drawn parameter values, with no, integer,
fractional and all-zero weights (and Keras' (n, 1) and one-number weights), fed whole and in three updates, after an
empty update, after reset(), and in Keras' other (y_true, y_pred) layout. A mutant whose every outcome there agrees
with the unmutated library's (values within 1e-6 relative, NaN equal to NaN, exceptions equal by type) is
*equivalent (battery)*: left out of the share, and listed. Limits: the battery is finite, so a mutant that differs
only on inputs it lacks (other sizes, magnitudes, a rare parameter pair) is called equivalent, and one that only
changes rounding (within 1e-6) is too; it runs Keras eagerly (a difference only under tf.function is missed); it
presents inputs through the harness's adapters (a bug in how an adapter presents them would be shared).

Detection. For each non-equivalent mutant and each harness (``--harness DIR``, repeatable: this checkout by default;
another, e.g. an older commit in a git worktree, to compare), the harness runs in a fresh process on the mutated
library: every spec of its own catalogue whose binding targets a class or function the trace maps to the mutant's
lines (a spec whose computation never executes the edited line computes what it did before; the file's other specs
are not run), every property that applies, the ci profile with its drawn parameters, one case (spec x property) at a
time. The mutant is *detected* when the unexpected findings (fail or error, by metric x property) differ from those
of the unmutated library under that same harness (its baseline, measured a spec at a time when first needed; a known
finding whose declaration no longer explains it becomes a fail, so it counts). The run stops at the first such
difference; specs whose battery outcomes the mutant changed run first. A mutant that a run cannot import is
*stillborn*; one whose battery or harness run does not end (30 min, 1 h) is *hung*: both are listed apart.

    python benchmarks/bug_power.py [--files PATTERN] [--per-file N] [--seed S] [--harness DIR]... [--json OUT]
                                   [--resume] [-j N] [--dry-run] [--retrace] [--baseline-all]
    python benchmarks/bug_power.py --summary OUT

Prints per harness its baseline's unexpected findings, the share of non-equivalent mutants detected per library and
file and by kind, then the survivors (file:line, the edit, the source line, and where the battery tells the mutant
apart from the original), and the equivalent mutants. ``--json OUT`` keeps every mutant's outcome (written as it
goes; ``--resume`` reuses the outcomes already there; ``--summary OUT`` prints them again). The sample of a seed is
the same whatever ``--per-file`` (a larger N extends a smaller one), so a run can be extended with ``--resume``.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import hashlib
import importlib.metadata
import json
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bug_power_mutants import Point, points, reached, sample  # noqa: E402

BATTERY = HERE / "bug_power_battery.py"
MAP_PATH = HERE / "bug_power_map.json"
LIBRARIES = ("keras", "sklearn", "torchmetrics")
DISTRIBUTIONS = {"keras": "keras", "sklearn": "scikit-learn", "torchmetrics": "torchmetrics"}
# Library files the map keeps (those holding metric code); the others are not mutated.
MAPPED_DIRECTORIES = ("keras/src/metrics/", "keras/src/losses/", "sklearn/metrics/", "torchmetrics/")

TARGET_FILES = (
    "torchmetrics/functional/classification/stat_scores.py",
    "torchmetrics/functional/classification/auroc.py",
    "torchmetrics/functional/classification/precision_recall_curve.py",
    "torchmetrics/functional/classification/average_precision.py",
    "torchmetrics/functional/regression/r2.py",
    "torchmetrics/functional/regression/mse.py",
    "sklearn/metrics/_classification.py",
    "sklearn/metrics/_regression.py",
    "sklearn/metrics/_ranking.py",
    "keras/src/metrics/confusion_metrics.py",
    "keras/src/metrics/metrics_utils.py",
    "keras/src/metrics/regression_metrics.py",
    "keras/src/metrics/reduction_metrics.py",
    # keras/src/metrics/probabilistic_metrics.py only declares classes (no point in a function): their computation
    # is in the losses they wrap.
    "keras/src/losses/losses.py",
)
# Any other mapped file can be named with --files (bug_power_map.json lists them: e.g. torchmetrics'
# functional/classification/confusion_matrix.py, utilities/compute.py, keras' iou_metrics.py, f_score_metrics.py).

BATTERY_TIMEOUT_S = 1800
HARNESS_TIMEOUT_S = 3600

# Run by each harness (its checkout first on the path after the mutated library), one case at a time in the ci
# profile: its own catalogue's specs whose binding targets one of the given classes or functions (or the named specs),
# every property. ``known``: the unmutated library's unexpected outcome per case where already measured; the run stops
# at the first case whose outcome differs from a known one, or that is unexpected where none is known yet (the caller
# then measures that case's baseline). Writes its progress as it goes.
HARNESS_RUNNER = r'''
import json, sys, warnings
warnings.simplefilter("ignore")
request = json.loads(open(sys.argv[1]).read())
from conformance import engine
from conformance.catalogue import CATALOGUE
from conformance.profiles import PROFILES
library, known, skip = request["library"], request["known"], set(request["skip"])
specs = [s.id for s in CATALOGUE if library in s.bindings and (s.bindings[library].target in request["targets"]
                                                                or s.id in request["specs"])]
first = [s for s in request["first"] if s in specs]
ordered = first + [s for s in specs if s not in first]
cases = sorted(engine.plan(ordered, [library]), key=lambda c: (ordered.index(c.spec.id),
                                                                c.prop.name == "distributed_sync"))
found = {"specs": ordered, "cases": {}, "stopped": None, "complete": False}
def save():
    with open(request["out"], "w") as out:
        json.dump(found, out)
for case in cases:
    if case.id in skip:
        continue
    finding = engine.run_case(case, PROFILES["ci"])
    key = finding.outcome if finding.outcome in ("fail", "error") else None
    message = (finding.message or "").splitlines()[0][:160] if finding.message else ""
    found["cases"][case.id] = [key, message]
    if known is not None and (known.get(case.id, key if key is None else "?") != key):
        found["stopped"] = case.id
        break
    save()
else:
    found["complete"] = True
save()
'''


# -- the map from target files to specs ----------------------------------------------------------------

def library_versions() -> dict[str, str]:
    found = {}
    for library in LIBRARIES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[library] = importlib.metadata.version(DISTRIBUTIONS[library])
    return found


def battery_digest() -> str:
    return hashlib.sha256(BATTERY.read_bytes()).hexdigest()[:16]


def bound_specs(library: str) -> list[str]:
    from conformance.catalogue import CATALOGUE

    return [spec.id for spec in CATALOGUE if library in spec.bindings]


def _environment(overlay: Path | None, harness: Path) -> dict[str, str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1", "CUDA_VISIBLE_DEVICES": ""}
    paths = ([str(overlay)] if overlay else []) + [str(harness)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


NICENESS = 10  # the machine is shared: every process this benchmark starts runs at this niceness (not above it)


def _nice() -> list[str]:
    """A prefix that brings a child to NICENESS (none where this process is already there: nice adds up)."""
    step = NICENESS - os.nice(0)
    return ["nice", "-n", str(step)] if step > 0 and shutil.which("nice") else []


def run_battery(library: str, specs: list[str], out: Path, *, overlay: Path | None = None,
                against: Path | None = None, trace: bool = False) -> tuple[dict | None, str]:
    """The battery script's JSON (None if it did not finish) and what it printed on stderr."""
    command = [*_nice(), sys.executable, str(BATTERY), library, *specs, "--out", str(out)]
    command += ["--against", str(against)] if against else []
    command += ["--trace"] if trace else []
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=_environment(overlay, ROOT), cwd=ROOT,
                              timeout=BATTERY_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    if done.returncode != 0 or not out.exists():
        return None, done.stderr[-2000:]
    return json.loads(out.read_text()), ""


def _ranges(lines: list[int]) -> str:
    parts, start = [], None
    for index, line in enumerate(lines):
        if start is None:
            start = line
        if index + 1 == len(lines) or lines[index + 1] != line + 1:
            parts.append(str(start) if start == line else f"{start}-{line}")
            start = None
    return ",".join(parts)


def _lines(ranges: str) -> set[int]:
    found: set[int] = set()
    for part in filter(None, ranges.split(",")):
        low, _, high = part.partition("-")
        found.update(range(int(low), int(high or low) + 1))
    return found


def build_map(libraries: list[str], scratch: Path) -> dict:
    """Trace every bound spec's battery on the unmutated libraries: for each library file holding metric code, the
    specs whose computation executes it, with the lines."""
    files: dict[str, dict[str, str]] = {}
    targets: dict[str, dict[str, str]] = {}
    from conformance.catalogue import by_id

    specs = by_id()
    for library in libraries:
        ids = bound_specs(library)
        print(f"tracing {len(ids)} {library} specs on the battery ...", flush=True)
        started = time.perf_counter()
        result, error = run_battery(library, ids, scratch / f"trace-{library}.json", trace=True)
        if result is None:
            raise SystemExit(f"bug_power: tracing {library} failed: {error.strip().splitlines()[-1:]}")
        print(f"  {time.perf_counter() - started:.0f} s", flush=True)
        for spec_id, executed in result["lines"].items():
            targets.setdefault(library, {})[spec_id] = specs[spec_id].bindings[library].target
            for file, lines in executed.items():
                if file.startswith(MAPPED_DIRECTORIES):
                    files.setdefault(file, {})[spec_id] = _ranges(lines)
    return {"versions": library_versions(), "battery": battery_digest(), "targets": targets,
            "files": dict(sorted(files.items()))}


def load_map(libraries: list[str], scratch: Path, retrace: bool) -> dict:
    """The map, rebuilt for the libraries whose version or battery changed (or all, with ``retrace``)."""
    stored = json.loads(MAP_PATH.read_text()) if MAP_PATH.exists() else None
    versions, digest = library_versions(), battery_digest()
    stale = [library for library in libraries if retrace or stored is None or stored.get("battery") != digest
             or stored["versions"].get(library) != versions.get(library) or library not in stored["targets"]]
    if not stale:
        return stored
    fresh = build_map(stale, scratch)
    if stored is not None and stored.get("battery") == digest:  # keep the other libraries' entries
        for library, entries in stored["targets"].items():
            if library not in stale:
                fresh["targets"][library] = entries
        for file, entries in stored["files"].items():
            if file.split("/", 1)[0] not in stale:
                fresh["files"][file] = entries
        fresh["files"] = dict(sorted(fresh["files"].items()))
        fresh["versions"] = {**stored["versions"], **fresh["versions"]}
    MAP_PATH.write_text(json.dumps(fresh, indent=1) + "\n")
    return fresh


def specs_reaching(mapping: dict, file: str) -> dict[str, set[int]]:
    """The specs whose battery executes ``file``, each with the lines it executes."""
    return {spec: _lines(ranges) for spec, ranges in mapping["files"].get(file, {}).items()}


# -- mutants ---------------------------------------------------------------------------------------------

@dataclass
class Mutant:
    file: str
    library: str
    point: Point
    source: str
    specs: list[str]  # the specs that execute the point's lines: the battery's and (by their targets) the harness's
    outcome: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        p = self.point
        return f"{self.file}:{p.line}:{p.col}:{p.kind}:{p.replacement}"

    def context(self) -> str:
        return self.source.splitlines()[self.point.line - 1].strip()


def mutants_for(site: Path, file: str, mapping: dict, per_file: int, seed: int) -> tuple[list[Mutant], int, int]:
    """The sampled mutants of ``file``, its points in all and its points on executed lines."""
    source = (site / file).read_text()
    reaching = specs_reaching(mapping, file)
    executed = set().union(*reaching.values()) if reaching else set()
    candidates = points(source)
    live = [p for p in candidates if reached(p, executed)]
    chosen = sample(live, per_file, random.Random(f"{seed}/{file}"))
    library = file.split("/", 1)[0]
    # Only the specs that execute the point's lines can meet the edit: the battery compares those, and the harness
    # runs the specs of its catalogue that bind their classes or functions.
    return [Mutant(file, library, p, source, sorted(s for s, lines in reaching.items() if reached(p, lines)))
            for p in chosen], len(candidates), len(live)


# -- harnesses -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Harness:
    path: Path

    @property
    def label(self) -> str:
        try:
            commit = subprocess.run(["git", "-C", str(self.path), "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            commit = ""
        return f"{self.path} ({commit})" if commit else str(self.path)

    def run(self, library: str, out: Path, *, overlay: Path | None, known: dict | None, targets: set[str] = (),
            specs: set[str] = (), first: list[str] = (), skip: set[str] = ()) -> tuple[dict | None, float]:
        """The runner's JSON (None if it wrote none; with ``hung`` if it did not end in time)."""
        request = {"library": library, "targets": sorted(targets), "specs": sorted(specs), "known": known,
                   "first": list(first), "skip": sorted(skip), "out": str(out)}
        started = time.perf_counter()
        request_path = out.with_name(out.stem + "-request.json")
        request_path.write_text(json.dumps(request))
        command = [*_nice(), sys.executable, "-c", HARNESS_RUNNER, str(request_path)]
        try:
            subprocess.run(command, capture_output=True, text=True, env=_environment(overlay, self.path),
                           cwd=self.path, timeout=HARNESS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            partial = json.loads(out.read_text()) if out.exists() else {"cases": {}, "stopped": None}
            return {**partial, "hung": True}, time.perf_counter() - started
        return (json.loads(out.read_text()) if out.exists() else None), time.perf_counter() - started


class Baselines:
    """Each case's unexpected outcome (None: it is expected) under a harness on the unmutated library, measured a
    spec at a time when a mutant's run first needs it, and kept for the run."""

    def __init__(self, harness: Harness, scratch: Path) -> None:
        self.harness, self.scratch = harness, scratch
        self.cases: dict[str, str | None] = {}
        self.messages: dict[str, str] = {}
        self.specs: set[tuple[str, str]] = set()
        self.lock = threading.Lock()
        self.seconds = 0.0

    def measure(self, library: str, specs: set[str] = frozenset(), targets: set[str] = frozenset()) -> None:
        """Measure the baseline of every case of ``specs`` (ids in the harness's catalogue), or of the specs binding
        one of ``targets``, not measured yet."""
        with self.lock:
            missing = {s for s in specs if (library, s) not in self.specs}
            if not missing and not targets:
                return
            out = Path(tempfile.mkdtemp(dir=self.scratch)) / "baseline.json"
            result, seconds = self.harness.run(library, out, overlay=None, known=None, specs=missing, targets=targets,
                                               skip=set(self.cases))
            if result is None or not result.get("complete"):
                raise SystemExit(f"bug_power: the baseline run of {self.harness.path} on {library} "
                                 f"({', '.join(sorted(missing or targets))}) did not complete")
            self.seconds += seconds
            for case, (key, message) in result["cases"].items():
                self.cases[case] = key
                if key:
                    self.messages[case] = f"{key}: {message}"
                    print(f"  baseline of {self.harness.path.name}: {case} is unexpected on the unmutated library: "
                          f"{key}: {message}", flush=True)
            self.specs |= {(library, s) for s in result["specs"]}

    def unexpected(self) -> list[str]:
        return [f"{case}: {message}" for case, message in self.messages.items()]


def _spec_of(case: str, specs: list[str]) -> str:
    """The spec id of a case id ``spec-library-property`` (spec ids contain dashes too)."""
    return max((s for s in specs if case.startswith(s + "-")), key=len)


def detect(harness: Harness, baselines: Baselines, mutant: Mutant, overlay: Path, targets: set[str],
           first: list[str], work: Path) -> dict:
    """Run ``harness`` on the mutated library until its unexpected findings differ from the baseline's: detected,
    survived (every case ran and none differs), hung or stillborn."""
    library, skip, seconds, attempt = mutant.library, set(), 0.0, 0
    ran: dict[str, str | None] = {}
    while True:
        attempt += 1
        known = {c: k for c, k in baselines.cases.items() if f"-{library}-" in c}
        run, took = harness.run(library, work / f"{harness.path.name}-{attempt}.json", overlay=overlay, known=known,
                                targets=targets, first=first, skip=skip)
        seconds += took
        if run is None:
            return {"verdict": "stillborn", "seconds": round(seconds, 1)}
        ran.update({case: key for case, (key, _) in run["cases"].items()})
        stopped = run.get("stopped")
        if stopped is not None:
            key = run["cases"][stopped][0]
            if stopped not in baselines.cases:  # unexpected where the baseline is not measured yet
                baselines.measure(library, {_spec_of(stopped, run["specs"])})
            if baselines.cases.get(stopped) != key:
                return {"verdict": "detected", "seconds": round(seconds, 1), "case": stopped,
                        "finding": run["cases"][stopped], "cases_run": len(ran), "attempts": attempt}
            skip |= set(ran)  # the same as the baseline so far: go on after it
            continue
        if run.get("hung"):
            return {"verdict": "hung", "seconds": round(seconds, 1), "cases_run": len(ran)}
        # Every case ran; those whose baseline was not measured yet were expected here: were they there too?
        unmeasured = {c for c in ran if c not in baselines.cases}
        baselines.measure(library, {_spec_of(c, run["specs"]) for c in unmeasured})
        vanished = [c for c in ran if baselines.cases.get(c) != ran[c]]
        if vanished:
            return {"verdict": "detected", "seconds": round(seconds, 1), "case": vanished[0],
                    "finding": [ran[vanished[0]], f"was {baselines.cases.get(vanished[0])} on the unmutated library"],
                    "cases_run": len(ran), "attempts": attempt}
        return {"verdict": "survived", "seconds": round(seconds, 1), "cases_run": len(ran), "attempts": attempt}


# -- one mutant ------------------------------------------------------------------------------------------

class Overlays:
    """One copy of the libraries' packages per worker, each put first on a process's PYTHONPATH."""

    def __init__(self, site: Path, scratch: Path, count: int) -> None:
        self.site = site
        self.free: queue.Queue[Path] = queue.Queue()
        for index in range(count):
            directory = scratch / f"overlay-{index}"
            directory.mkdir()
            self.free.put(directory)

    def prepare(self, overlay: Path, package: str) -> None:
        if (overlay / package).exists():
            return
        # With the __pycache__ files: each import then compiles only the mutated module (its pyc no longer matches).
        shutil.copytree(self.site / package, overlay / package, symlinks=True)
        # Wheels vendor shared libraries beside the package (scikit_learn.libs): its extensions load them by a
        # relative path.
        for vendored in self.site.glob("*.libs"):
            if not (overlay / vendored.name).exists():
                shutil.copytree(vendored, overlay / vendored.name)


def judge(mutant: Mutant, site: Path, overlay: Path, baselines: list[Baselines], targets: set[str],
          originals: Path, scratch: Path) -> dict:
    """The mutant's outcome: its battery verdict, and per harness detected / survived (or stillborn / hung)."""
    target = overlay / mutant.file
    target.write_text(mutant.point.apply(mutant.source))
    outcome: dict[str, Any] = {"harnesses": {}}
    work = Path(tempfile.mkdtemp(dir=scratch))
    try:
        started = time.perf_counter()
        result, error = run_battery(mutant.library, mutant.specs, work / "battery.json", overlay=overlay,
                                    against=originals)
        outcome["battery_s"] = round(time.perf_counter() - started, 1)
        if result is None:
            outcome["verdict"] = "hung" if error == "timeout" else "stillborn"
            outcome["error"] = error.strip().splitlines()[-1:] if error != "timeout" else "battery timed out"
            return outcome
        differs = result["differs"]
        outcome["differs"] = differs
        if not differs:
            outcome["verdict"] = "equivalent"
            return outcome
        outcome["verdict"] = "non-equivalent"
        first = [spec for spec in mutant.specs if spec in differs]
        for measured in baselines:
            outcome["harnesses"][str(measured.harness.path)] = detect(measured.harness, measured, mutant, overlay,
                                                                       targets, first, work)
        return outcome
    finally:
        shutil.copy2(site / mutant.file, target)
        shutil.rmtree(work, ignore_errors=True)


# -- the run ---------------------------------------------------------------------------------------------

def _matches(file: str, pattern: str) -> bool:
    return not pattern or pattern in file or fnmatch.fnmatch(file, pattern)


def selected_files(mapping: dict, pattern: str) -> list[str]:
    """The default targets matching ``pattern`` (a substring or a glob); else any mapped file matching it."""
    chosen = [f for f in TARGET_FILES if _matches(f, pattern) and f in mapping["files"]]
    return chosen or [f for f in mapping["files"] if pattern and _matches(f, pattern)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default="", help="only target files containing this text (or matching this glob; "
                        "a mapped file outside the default targets may be named too)")
    parser.add_argument("--per-file", type=int, default=20, help="mutants sampled per target file (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--harness", action="append", default=[], metavar="DIR",
                        help="a harness checkout to measure (repeatable; default: this one)")
    parser.add_argument("--json", help="write every mutant's outcome here (as the run goes)")
    parser.add_argument("--resume", action="store_true", help="reuse the outcomes in --json of mutants already judged")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="mutants judged at once (default 1: the machine "
                        "is shared; 2 when it is idle)")
    parser.add_argument("--dry-run", action="store_true", help="list the files, specs and mutants, and the time "
                        "estimate; run nothing")
    parser.add_argument("--retrace", action="store_true", help="rebuild the map of files to specs")
    parser.add_argument("--baseline-all", action="store_true", help="first run each harness on the unmutated "
                        "libraries over every spec of the selected files (else a spec's baseline is measured when a "
                        "mutant's run first needs it)")
    parser.add_argument("--summary", metavar="JSON", help="print the results a run wrote with --json; run nothing")
    args = parser.parse_args(argv)
    if args.summary:
        summary(json.loads(Path(args.summary).read_text()))
        return 0

    harnesses = [Harness(Path(h).resolve()) for h in args.harness] or [Harness(ROOT)]
    for harness in harnesses:
        if not (harness.path / "conformance" / "engine.py").exists():
            parser.error(f"--harness {harness.path}: not a checkout of this project (no conformance/engine.py)")
    site = Path(importlib.util.find_spec("numpy").origin).resolve().parent.parent
    scratch = Path(tempfile.mkdtemp(prefix="bug_power-"))
    started = time.perf_counter()
    try:
        installed = [lib for lib in LIBRARIES if lib in library_versions()]
        named = {f.split("/", 1)[0] for f in TARGET_FILES if _matches(f, args.files)}
        mapping = load_map([lib for lib in installed if lib in named] or installed, scratch, args.retrace)
        files = selected_files(mapping, args.files)
        if not files:
            parser.error(f"--files {args.files!r} matches no mapped file")
        plan: list[Mutant] = []
        print(f"{'file':62} {'points':>6} {'reached':>7} {'mutants':>7} specs")
        for file in files:
            mutants, total, live = mutants_for(site, file, mapping, args.per_file, args.seed)
            plan += mutants
            print(f"{file:62} {total:6d} {live:7d} {len(mutants):7d} {len(specs_reaching(mapping, file))}")
        print(f"{len(plan)} mutants; estimate: {estimate(plan, len(harnesses)) / 3600:.1f} h at -j 1 on an idle "
              "2-core machine (more under load)", flush=True)
        if args.dry_run:
            for mutant in plan:
                print(f"  {mutant.file}:{mutant.point.line} {mutant.point.describe()}   | {mutant.context()}")
            return 0
        done = _resumed(args.json) if args.resume and args.json else {}
        results, baselines = run_all(plan, harnesses, mapping, site, scratch, args.jobs, done, args.json,
                                     args.baseline_all)
        seconds = time.perf_counter() - started
        if args.json:
            write_json(args.json, results, baselines, seconds)
        summary(report_of(results, baselines, seconds))
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# Seconds per process start and run, from a run on this 2-core machine (battery, and one harness run of a mutant
# it detects): an estimate to plan by, not a measurement.
COST_S = {"keras": (40, 45), "torchmetrics": (12, 20), "sklearn": (6, 10)}


def estimate(plan: list[Mutant], harnesses: int) -> float:
    return sum(COST_S[m.library][0] + harnesses * COST_S[m.library][1] for m in plan) + 1200 * harnesses


def _resumed(path: str) -> dict[str, dict]:
    if not Path(path).exists():
        return {}
    return {row["key"]: row["outcome"] for row in json.loads(Path(path).read_text()).get("mutants", [])}


class Originals:
    """The battery's outcomes on the unmutated library, spec by spec, measured when a mutant first needs them."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.values: dict[tuple[str, str], list] = {}
        self.lock = threading.Lock()

    def file_for(self, library: str, specs: list[str], path: Path) -> Path:
        """A file of the outcomes of ``specs`` (for the battery's ``--against``), measuring those missing."""
        with self.lock:
            missing = [s for s in specs if (library, s) not in self.values]
            if missing:
                tick = time.perf_counter()
                out = Path(tempfile.mkdtemp(dir=self.scratch)) / "original.json"
                result, error = run_battery(library, missing, out)
                if result is None:
                    raise SystemExit(f"bug_power: the battery failed on the unmutated {library}: "
                                     f"{error.strip()[-300:]}")
                self.values.update({(library, s): v for s, v in result["values"].items()})
                print(f"  battery of the unmutated {library}: {len(missing)} specs, "
                      f"{sum(result['cells'].values())} cells in {time.perf_counter() - tick:.0f} s", flush=True)
        path.write_text(json.dumps({"values": {s: self.values[(library, s)] for s in specs}}))
        return path


def run_all(plan: list[Mutant], harnesses: list[Harness], mapping: dict, site: Path, scratch: Path, jobs: int,
            done: dict[str, dict], json_path: str | None, baseline_all: bool) -> tuple[list[Mutant], list[Baselines]]:
    """Judge every mutant of ``plan`` (``jobs`` at once), printing each outcome as it comes."""
    overlays = Overlays(site, scratch, max(1, jobs))
    originals = Originals(scratch)
    baselines = [Baselines(harness, scratch) for harness in harnesses]
    lock = threading.Lock()
    finished: list[Mutant] = []
    todo = []
    for mutant in plan:
        previous = done.get(mutant.key)
        if previous and all(str(h.path) in previous.get("harnesses", {}) or previous.get("verdict") != "non-equivalent"
                            for h in harnesses):
            mutant.outcome = previous
            finished.append(mutant)
        else:
            todo.append(mutant)
    if baseline_all:
        for library in sorted({m.library for m in plan}):
            targets = {mapping["targets"][library][s] for m in plan if m.library == library for s in m.specs}
            for measured in baselines:
                measured.measure(library, targets=targets)

    def one(mutant: Mutant) -> None:
        overlay = overlays.free.get()
        work = Path(tempfile.mkdtemp(dir=scratch))
        try:
            with lock:
                overlays.prepare(overlay, mutant.library)
            targets = {mapping["targets"][mutant.library][s] for s in mutant.specs}
            against = originals.file_for(mutant.library, mutant.specs, work / "original.json")
            mutant.outcome = judge(mutant, site, overlay, baselines, targets, against, scratch)
        finally:
            overlays.free.put(overlay)
            shutil.rmtree(work, ignore_errors=True)
        with lock:
            finished.append(mutant)
            verdicts = [mutant.outcome.get("verdict", "?")] + [
                f"{Path(h).name}: {e['verdict']} ({e['seconds']:.0f} s)" for h, e in
                mutant.outcome.get("harnesses", {}).items()]
            print(f"[{len(finished)}/{len(plan)}] {mutant.file}:{mutant.point.line} {mutant.point.describe()}: "
                  f"{'; '.join(verdicts)} (battery {mutant.outcome.get('battery_s', 0):.0f} s)   | {mutant.context()}",
                  flush=True)
            if json_path:
                write_json(json_path, finished, baselines)

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        list(pool.map(one, todo))
    order = {m.key: i for i, m in enumerate(plan)}
    finished.sort(key=lambda m: order[m.key])
    if json_path:
        write_json(json_path, finished, baselines)
    return finished, baselines


def report_of(mutants: list[Mutant], baselines: list[Baselines], seconds: float | None = None) -> dict:
    """The run's results as JSON: each harness with its baseline, each mutant with its outcome."""
    rows = [{"key": m.key, "file": m.file, "library": m.library, "line": m.point.line, "kind": m.point.kind,
             "edit": m.point.describe(), "source_line": m.context(), "outcome": m.outcome} for m in mutants]
    harnesses = [{"path": str(b.harness.path), "label": b.harness.label, "baseline_cases": len(b.cases),
                  "baseline_unexpected": b.unexpected(), "baseline_s": round(b.seconds)} for b in baselines]
    return {"harnesses": harnesses, "versions": library_versions(), "mutants": rows,
            **({"duration_s": round(seconds)} if seconds is not None else {})}


def write_json(path: str, mutants: list[Mutant], baselines: list[Baselines], seconds: float | None = None) -> None:
    Path(path).write_text(json.dumps(report_of(mutants, baselines, seconds), indent=1, default=str))


# -- the summary -----------------------------------------------------------------------------------------

def verdict_of(row: dict, harness: str) -> str:
    outcome = row["outcome"]
    if outcome.get("verdict") != "non-equivalent":
        return outcome.get("verdict", "?")
    return outcome["harnesses"].get(harness, {}).get("verdict", "not run")


def _share(verdicts: list[str]) -> str:
    live = [v for v in verdicts if v in ("detected", "survived")]
    if not live:
        return "-"
    detected = verdicts.count("detected")
    return f"{detected}/{len(live)} ({100 * detected / len(live):.0f} %)"


def summary(report: dict) -> None:
    """Print a run's results (``write_json``'s form): per harness the share detected per library and file, the
    survivors with where the battery tells them apart, then the mutants left out of the shares."""
    rows = report["mutants"]
    print(f"\n{len(rows)} mutants" + (f" in {report['duration_s'] / 60:.0f} min" if "duration_s" in report else ""))
    for harness in report["harnesses"]:
        path, unexpected = harness["path"], harness["baseline_unexpected"]
        print(f"\nharness {harness['label']}: its baseline (the unmutated libraries) measured on "
              f"{harness['baseline_cases']} cases, {len(unexpected)} unexpected"
              + "".join(f"\n    {line}" for line in unexpected))
        print(f"  {'file':62} {'detected':>14} {'equivalent':>10} {'stillborn/hung':>14}")
        for library in LIBRARIES:
            mine = [r for r in rows if r["library"] == library]
            if not mine:
                continue
            for file in dict.fromkeys(r["file"] for r in mine):
                verdicts = [verdict_of(r, path) for r in mine if r["file"] == file]
                print(f"  {file:62} {_share(verdicts):>14} {verdicts.count('equivalent'):10d} "
                      f"{verdicts.count('stillborn') + verdicts.count('hung'):14d}")
            print(f"  {library + ' (all files)':62} {_share([verdict_of(r, path) for r in mine]):>14}")
        print(f"  {'all':62} {_share([verdict_of(r, path) for r in rows]):>14}")
        print("  by kind: " + "; ".join(f"{kind} {_share([verdict_of(r, path) for r in rows if r['kind'] == kind])}"
                                        for kind in dict.fromkeys(sorted(r["kind"] for r in rows))))
        survivors = [r for r in rows if verdict_of(r, path) == "survived"]
        if survivors:
            print("  survivors (non-equivalent on the battery, not detected):")
        for r in survivors:
            spec, difference = next(iter(r["outcome"]["differs"].items()))
            print(f"    {r['file']}:{r['line']} {r['edit']}\n      line: {r['source_line']}\n"
                  f"      battery: {spec}: {difference['cell']}: original {_brief(difference['original'])}, "
                  f"mutant {_brief(difference['mutant'])}")
    others = [r for r in rows if r["outcome"].get("verdict") in ("stillborn", "hung")]
    if others:
        print("\nstillborn or hung (left out of the shares):")
        for r in others:
            print(f"  {r['file']}:{r['line']} {r['edit']}: {r['outcome']['verdict']} {r['outcome'].get('error', '')}")
    equivalent = [r for r in rows if r["outcome"].get("verdict") == "equivalent"]
    if equivalent:
        print(f"\nequivalent (battery): {len(equivalent)} mutants agreed with the original on every battery cell:")
        for r in equivalent:
            print(f"  {r['file']}:{r['line']} {r['edit']}   | {r['source_line']}")


def _brief(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


if __name__ == "__main__":
    sys.exit(main())

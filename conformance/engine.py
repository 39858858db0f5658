"""The engine: plan metric x library x property cases, run each under Hypothesis, collect findings."""

from __future__ import annotations

import platform
import random
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from conformance.adapters import Adapter, LibraryUnavailable, get_adapter
from conformance.catalogue import CATALOGUE, LIBRARIES, MetricSpec
from conformance.profiles import PROFILES, Profile
from conformance.properties import PROPERTIES, Context, Explained, LibraryError, Property, Violation
from conformance.results import Finding, RunResult

DATABASE_PATH = ".hypothesis/examples"


class UsageError(ValueError):
    """A request the engine cannot run (an unknown metric, library or property)."""


@dataclass(frozen=True)
class Case:
    """One metric, in one library, checked for one property."""

    spec: MetricSpec
    library: str
    prop: Property

    @property
    def id(self) -> str:
        return f"{self.spec.id}-{self.library}-{self.prop.name}"


def _select(names: Iterable[str] | None, available: dict, kind: str) -> list:
    if not names:
        return list(available.values())
    unknown = [n for n in names if n not in available]
    if unknown:
        raise UsageError(f"unknown {kind} {', '.join(map(repr, unknown))}; expected one of: {', '.join(available)}")
    return [available[n] for n in names]


def plan(metrics: Iterable[str] | None = None, libraries: Iterable[str] | None = None,
         properties: Iterable[str] | None = None) -> list[Case]:
    """Every case for the named metrics, libraries and properties (all of each when None)."""
    specs = _select(metrics, {s.id: s for s in CATALOGUE}, "metric")
    chosen_libraries = _select(libraries, {name: name for name in LIBRARIES}, "library")
    props = _select(properties, {p.name: p for p in PROPERTIES}, "property")
    return [Case(spec, library, prop) for spec in specs for library in chosen_libraries for prop in props]


def installed_libraries() -> list[str]:
    """The libraries that import here."""
    found = []
    for library in LIBRARIES:
        try:
            get_adapter(library).versions()
            found.append(library)
        except LibraryUnavailable:
            pass
    return found


def _hypothesis_settings(profile: Profile, seeded: bool) -> settings:
    return settings(
        max_examples=profile.max_examples,
        derandomize=profile.derandomize and not seeded,
        database=DirectoryBasedExampleDatabase(DATABASE_PATH) if profile.use_database else None,
        deadline=None,  # library calls are slow and uneven (graph tracing, first-call imports)
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,  # one minimal example per case
        verbosity=Verbosity.quiet,
        print_blob=False,
        phases=tuple(Phase) if profile.shrink else tuple(p for p in Phase if p is not Phase.shrink),
    )


def run_case(case: Case, profile: Profile, run_seed: int | None = None, adapter: Adapter | None = None) -> Finding:
    """Run one case and say what was found. Never raises for a library's misbehaviour.

    ``adapter`` replaces the library's adapter (``conformance check`` runs a user's metric this way)."""
    binding = case.spec.bindings.get(case.library)
    finding = Finding(case.spec.id, case.library, case.prop.name, "skip",
                      binding=binding.describe() if binding else "")
    if binding is None:
        finding.message = f"{case.library} has no counterpart of {case.spec.id}"
        return finding
    try:
        adapter = adapter or get_adapter(case.library)
        adapter.versions()
    except LibraryUnavailable as error:
        finding.message = f"not installed: {error}"
        return finding
    reason = case.prop.skip_reason(case.spec, adapter, binding)
    if reason:
        finding.message = reason
        return finding

    ctx = Context(case.spec, adapter, binding, case.prop.name, profile)
    examples_run = 0

    @given(st.data())
    def test(data: st.DataObject) -> None:
        nonlocal examples_run
        examples_run += 1
        try:
            case.prop.check(ctx, data)
        except Explained as explained:
            ctx.observations.append(explained.observation)

    test._hypothesis_internal_add_digest = case.id.encode()  # one database key per case
    test = _hypothesis_settings(profile, run_seed is not None)(test)
    if run_seed is not None:
        test = seed(run_seed)(test)

    started = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            test()
        except Violation as violation:
            _fill_from_violation(finding, violation, adapter, binding, case)
        except LibraryError as error:
            finding.outcome, finding.message = "error", error.message
            finding.example = error.example.to_json()
            finding.snippet = adapter.snippet(binding, case.spec.params, error.example.batches)
        except Exception as error:
            finding.outcome, finding.message = "error", f"harness: {type(error).__name__}: {error}"
        else:
            _fill_from_observations(finding, ctx, adapter, binding, case)
    finding.examples_run = examples_run
    finding.duration_s = round(time.perf_counter() - started, 4)
    return finding


def _values(array: np.ndarray) -> float | list:
    return np.asarray(array, dtype=np.float64).tolist()


def _fill_from_violation(finding: Finding, violation: Violation, adapter, binding, case: Case) -> None:
    finding.outcome, finding.message = "fail", violation.message
    finding.reference_value, finding.library_value = _values(violation.expected), _values(violation.observed)
    finding.abs_error, finding.tolerance = violation.abs_error, violation.tolerance
    finding.example = violation.example.to_json()
    finding.snippet = adapter.snippet(binding, case.spec.params, violation.example.batches)


def _fill_from_observations(finding: Finding, ctx: Context, adapter, binding, case: Case) -> None:
    notes = sorted(ctx.notes)
    if ctx.observations:
        # Show a difference in values before a documented exception, then the smallest example.
        smallest = min(ctx.observations, key=lambda o: (o.known.raises is not None, o.example.size))
        finding.outcome, finding.cause = "known", smallest.known.to_json()
        if smallest.known.raises:
            notes.insert(0, f"raised as documented: {smallest.known.raises}")
        else:
            finding.reference_value, finding.library_value = _values(smallest.expected), _values(smallest.observed)
            finding.abs_error, finding.tolerance = smallest.abs_error, smallest.tolerance
        finding.example = smallest.example.to_json()
        finding.snippet = adapter.snippet(binding, case.spec.params, smallest.example.batches)
        kinds = {o.known.what for o in ctx.observations}
        notes.insert(0, f"{len(ctx.observations)} examples differed as documented"
                        + (f" ({len(kinds)} known differences)" if len(kinds) > 1 else ""))
    elif ctx.largest_gap is not None:
        gap, example, expected, averaged = ctx.largest_gap
        bound = float(ctx.tolerance(example.batches).bound(expected).max())
        finding.gap = gap
        if gap > bound:
            finding.outcome = "known"
            finding.cause = {
                "what": f"The mean of per-batch values is off the whole-data value by up to {gap:.4g}.",
                "cause": f"{case.spec.id} is not a mean of per-sample values, so averaging it over batches "
                         "(as Keras compile(metrics=[fn]) does for a plain function) is not the data set's value; "
                         "use the stateful metric instead.",
                "where": "keras/src/metrics/reduction_metrics.py::MeanMetricWrapper",
                "kind": "pitfall",
            }
            finding.reference_value, finding.library_value = _values(expected), _values(averaged)
            finding.abs_error, finding.tolerance = gap, bound
            finding.example = example.to_json()
        else:
            finding.outcome = "pass"
    else:
        finding.outcome = "pass"
    finding.message = "; ".join(notes)


def collect_versions(libraries: Iterable[str]) -> dict[str, str]:
    import hypothesis

    versions = {"python": platform.python_version(), "numpy": np.__version__, "hypothesis": hypothesis.__version__}
    for library in libraries:
        try:
            versions.update(get_adapter(library).versions())
        except LibraryUnavailable as error:
            versions[library] = f"unavailable ({error})"
    return versions


ProgressCallback = Callable[[int, int, Case, Finding], None]


def run(cases: list[Case], profile_name: str = "ci", run_seed: int | None = None, *, command: str = "",
        progress: ProgressCallback | None = None) -> RunResult:
    """Run ``cases`` in order. Ctrl-C stops early and keeps the findings collected so far."""
    profile = PROFILES[profile_name]
    if run_seed is None and not profile.derandomize:
        run_seed = random.SystemRandom().randrange(2**32)  # recorded, so the run can be repeated
    result = RunResult(profile=profile.name, seed=run_seed, command=command,
                       started=datetime.now(UTC).isoformat(timespec="seconds"))
    result.versions = collect_versions(sorted({c.library for c in cases}))
    started = time.perf_counter()
    try:
        for index, case in enumerate(cases):
            finding = run_case(case, profile, run_seed)
            result.findings.append(finding)
            if progress:
                progress(index + 1, len(cases), case, finding)
    except KeyboardInterrupt:
        result.interrupted = True
    result.duration_s = time.perf_counter() - started
    return result

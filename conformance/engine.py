"""The engine: plan metric x library x property cases, run each under Hypothesis, collect findings."""

from __future__ import annotations

import contextlib
import platform
import random
import signal
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from hypothesis import HealthCheck, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from conformance.adapters import LibraryUnavailable, get_adapter
from conformance.catalogue import CATALOGUE, LIBRARIES, MetricSpec
from conformance.data import Example, concatenate
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


def installed_libraries(libraries: Iterable[str] = LIBRARIES) -> list[str]:
    """Those of ``libraries`` (default: all) that import here. Only those are imported."""
    found = []
    for library in libraries:
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
    )


def run_case(case: Case, profile: Profile, run_seed: int | None = None) -> Finding:
    """Run one case and say what was found. Never raises for a library's misbehaviour."""
    binding = case.spec.bindings.get(case.library)
    finding = Finding(case.spec.id, case.library, case.prop.name, "skip",
                      binding=binding.describe() if binding else "")
    try:
        adapter = get_adapter(case.library)
        adapter.versions()
        finding.backend = adapter.backend()
    except LibraryUnavailable as error:
        adapter, unavailable = None, error
    if binding is None:
        finding.message = f"{case.library} has no counterpart of {case.spec.id}"
        return finding
    if adapter is None:
        finding.message = f"not installed: {unavailable}"
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
        finding.curve = _curves(finding, adapter, binding, case)
    finding.examples_run = examples_run
    finding.error_histogram = ctx.error_histogram if any(ctx.error_histogram) else None
    if ctx.gaps:
        finding.gaps = [[round(size, 3), float(f"{gap:.4g}")] for size, gap in ctx.gaps]
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
            finding.snippet = _pitfall_snippet(adapter, binding, case, example.batches)
        else:
            finding.outcome = "pass"
    else:
        finding.outcome = "pass"
    finding.message = "; ".join(notes)


def _pitfall_snippet(adapter, binding, case: Case, batches) -> str:
    """The library's value on each batch alone (what compile(metrics=[fn]) averages) and on all the data."""
    parts = ["# The library's value on each batch alone; compile(metrics=[fn]) reports their mean.",
             "# Compare it with the value on all the data (the last one). A batch the library cannot score alone",
             "# (it raises, or gives NaN) is left out of the mean."]
    for number, batch in enumerate((b for b in batches if len(b)), start=1):
        parts += ["", f"# batch {number} alone", adapter.snippet(binding, case.spec.params, [batch])]
    parts += ["", "# all the data", adapter.snippet(binding, case.spec.params, [concatenate(batches)])]
    return "\n".join(parts)


def _curves(finding: Finding, adapter, binding, case: Case) -> dict | None:
    """For an AUC that differs from the reference: its curve and the exact one on the minimal example.

    Only where the library's value comes from one metric fed the example's batches (not the per-batch
    averages of the pitfall) and the adapter exposes the curve it integrated."""
    curve_kind = {"roc_auc": "ROC", "average_precision": "PR"}.get(case.spec.reference.__name__)
    if (curve_kind is None or finding.outcome not in ("fail", "known") or finding.library_value is None
            or finding.example is None or case.prop.name == "batch_average_pitfall"):
        return None
    from reference.ranking import cumulative_counts

    batches = Example.from_json(finding.example).batches
    try:
        library = adapter.curve(binding, case.spec.params, batches)
    except Exception:  # the library's value was read already; a curve it cannot give is left out
        return None
    if library is None:
        return None
    whole = concatenate(batches)
    _, tps, fps = cumulative_counts(whole.y_true, whole.y_pred, whole.sample_weight)
    with np.errstate(all="ignore"):
        tpr = np.nan_to_num(np.r_[0.0, tps / tps[-1]])
        if curve_kind == "ROC":
            exact = {"x": np.nan_to_num(np.r_[0.0, fps / fps[-1]]).tolist(), "y": tpr.tolist()}
        else:  # average precision's steps: precision at each distinct score, from recall 0
            precision = np.nan_to_num(tps / (tps + fps))
            exact = {"x": tpr.tolist(), "y": np.r_[precision[:1], precision].tolist()}
    return {"kind": curve_kind, "library": library, "exact": exact,
            "library_value": finding.library_value, "reference_value": finding.reference_value}


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
    started = time.perf_counter()
    with _interruptible() as interrupt_requested:
        try:
            result.versions = collect_versions(sorted({c.library for c in cases}))
            for index, case in enumerate(cases):
                if interrupt_requested():
                    raise KeyboardInterrupt
                finding = run_case(case, profile, run_seed)
                result.findings.append(finding)
                if progress:
                    progress(index + 1, len(cases), case, finding)
        except KeyboardInterrupt:
            result.interrupted = True
    result.duration_s = time.perf_counter() - started
    return result


@contextlib.contextmanager
def _interruptible():
    """Ctrl-C raises KeyboardInterrupt as usual, and is also remembered: an interrupt that lands where Python
    cannot raise it (a finalizer, a weakref callback: "Exception ignored in ...") still stops the run before
    the next case. Outside the main thread, where signals cannot be handled, only the usual behaviour."""
    requested: list[bool] = []

    def on_interrupt(signum, frame):
        requested.append(True)
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread
        yield lambda: False
        return
    try:
        yield lambda: bool(requested)
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)

"""The engine: plan metric x library x property cases, run each under Hypothesis, collect findings."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import platform
import random
import signal
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import hypothesis
import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, reproduce_failure, seed, settings
from hypothesis import strategies as st
from hypothesis.control import current_build_context
from hypothesis.core import encode_failure
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import DidNotReproduce
from hypothesis.internal.conjecture.shrinker import sort_key

from conformance import recording
from conformance.adapters import Adapter, LibraryUnavailable, get_adapter
from conformance.catalogue import CATALOGUE, LIBRARIES, MetricSpec
from conformance.context import Context
from conformance.data import Example, concatenate, input_regime
from conformance.failures import Explained, LibraryError, Limit, Undefined, Violation, failure_key
from conformance.profiles import PROFILES, REPLAY, Profile
from conformance.properties import Property
from conformance.reduce import reduce_failure
from conformance.registry import PROPERTIES
from conformance.results import Finding, RunResult

DATABASE_PATH = ".hypothesis/examples"


class ShrinkBudgetSpent(BaseException):
    """Ends a Hypothesis run whose profile's shrink budget is spent (see ``Profile.shrink_budget``).

    A BaseException, so that Hypothesis does not take it for a failure of the test and shrink it too."""


class DistinctFailure(Exception):
    """A property's failure as Hypothesis sees it: one subclass per :func:`failure_key`, so that Hypothesis keeps
    and shrinks each distinct failure apart (it tells failures apart by exception type and place), each raised at
    the same place. ``failure`` is the property's exception; ``choices`` the example's choice sequence."""

    failure: Exception
    choices: tuple = ()
    fully_reduced: bool | None = None  # see reduce.py: None where no reduction ran
    forced: bool = False  # ``choices`` are the property's other draws with the example's batches forced
    cut: tuple[str, ...] = ()  # the shrinking stages cut short (see Finding.shrink_cut)


_distinct_classes: dict[tuple[str, str | None], type[DistinctFailure]] = {}


def _distinct(failure: Exception, choices: tuple) -> DistinctFailure:
    key = failure_key(failure)
    if key not in _distinct_classes:
        _distinct_classes[key] = type(f"DistinctFailure{len(_distinct_classes)}", (DistinctFailure,), {})
    distinct = _distinct_classes[key](str(failure))
    distinct.failure, distinct.choices = failure, choices
    return distinct


HARNESS = "harness"  # a Finding's failure_kind where the harness failed, not the target: never the target's failure

# A replay of a reduced example: "forced:<the choices of its other draws>:<the example's JSON>" (reduce.py).
FORCED = "forced:"


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
    props = _select(properties, {p.name: p for p in PROPERTIES if set(p.targets) & set(LIBRARIES)}, "property")
    return [Case(spec, library, prop) for spec in specs for library in chosen_libraries for prop in props
            if library in prop.targets]


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` (1-based) as ``(I, N)``."""
    index, _, count = text.partition("/")
    try:
        shard = int(index), int(count)
    except ValueError:
        raise UsageError(f"--shard takes I/N with whole numbers, e.g. 1/4; got {text!r}") from None
    if not 1 <= shard[0] <= shard[1]:
        raise UsageError(f"--shard {text}: I must be between 1 and N")
    return shard


def shard(cases: list[Case], index: int, count: int) -> list[Case]:
    """Shard ``index`` of ``count`` (1-based): each library's metrics dealt round-robin, so that every
    shard gets a share of each library (Keras is the slow one) and the split is the same on every
    machine. A metric x library's properties stay together. The shards together are ``cases``."""
    dealt: dict[str, int] = {}
    mine = set()
    for unit in dict.fromkeys((c.spec.id, c.library) for c in cases):
        position = dealt.get(unit[1], 0)
        dealt[unit[1]] = position + 1
        if position % count == index - 1:
            mine.add(unit)
    return [c for c in cases if (c.spec.id, c.library) in mine]


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


def case_seed(case: Case, profile: Profile, run_seed: int | None) -> int | None:
    """The seed of a case's examples: the run's, or for a derandomized profile one fixed by the case id.

    Not Hypothesis' own ``derandomize``, which seeds from the test function's source: the examples
    would change with every edit of the engine, and the same findings could not be expected."""
    if run_seed is None and profile.derandomize:
        return zlib.crc32(case.id.encode())
    return run_seed


def _hypothesis_settings(profile: Profile) -> settings:
    return settings(
        max_examples=profile.max_examples,
        derandomize=False,  # see case_seed
        database=DirectoryBasedExampleDatabase(DATABASE_PATH) if profile.use_database else None,
        deadline=None,  # library calls are slow and uneven (graph tracing, first-call imports)
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,  # one minimal example per distinct failure (see DistinctFailure)
        verbosity=Verbosity.quiet,
        print_blob=False,
        # No explain phase: its notes go to a console this quiet run does not print.
        phases=tuple(p for p in Phase if p is not Phase.explain and (profile.shrink or p is not Phase.shrink)),
    )


_pools: dict[tuple[str, str], dict] = {}


def _metric_pool(case: Case) -> dict:
    """The metric objects of the case's metric x library, kept while its properties run (see Runner.pool)."""
    key = (case.spec.id, case.library)
    if key not in _pools:
        _pools.clear()  # one metric x library at a time: cases come grouped, and objects hold graphs
        _pools[key] = {}
    return _pools[key]


def run_case(case: Case, profile: Profile, run_seed: int | None = None, replay: str | None = None, *,
             reuse_metrics: bool = True, adapter: Adapter | None = None) -> Finding:
    """Run one case and say what was found. Never raises for a library's misbehaviour.

    ``replay``: a finding's choice sequence; then exactly that one example runs (the replay profile).
    ``reuse_metrics``: reset and reuse metric objects (see ``Runner.pool``); False for a user's metric.
    ``adapter`` replaces the library's adapter (``conformance check`` runs a user's metric this way).
    """
    binding = case.spec.bindings.get(case.library)
    finding = Finding(case.spec.id, case.library, case.prop.name, "skip",
                      binding=binding.describe() if binding else "")
    try:
        adapter = adapter or get_adapter(case.library)
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
    profile = case.prop.budget(profile, library=not adapter.user_code)
    reason = case.prop.skip_reason(case.spec, adapter, binding, profile)
    if reason:
        finding.message = reason
        return finding

    ctx = Context(case.spec, adapter, binding, case.prop.name, profile, judged_as=case.prop.judged_as,
                  pool=_metric_pool(case) if reuse_metrics and not case.prop.fresh_metrics else None,
                  # A user's metric, built anew each time, runs eagerly: a compiled update would be traced
                  # for every new object. The execution_modes property still compares it compiled.
                  mode="eager" if profile.eager_updates or not reuse_metrics else case.prop.mode)
    if replay and replay.startswith(FORCED):  # a reduced example: its batches and parameters, and other choices
        replay, _, recorded = replay.removeprefix(FORCED).partition(":")
        example = Example.from_json(json.loads(recorded))
        ctx.draw.forced, ctx.draw.forced_parameters = example.batches, example.details.get("parameters") or {}
    examples_run = 0
    first_failure: int | None = None  # the example number of the first failure, where shrinking starts
    first_failure_at = 0.0  # and when it came
    shrink_cut: list[str] = []  # why Hypothesis' shrink was stopped, if it was
    # The smallest example of each distinct failure seen (Hypothesis' order, the failure with its choices).
    smallest: dict[type, tuple[tuple, DistinctFailure]] = {}

    @given(st.data())
    def test(data: st.DataObject) -> None:
        nonlocal examples_run, first_failure, first_failure_at
        build = current_build_context()
        examples_run += 1
        seen, gap = len(ctx.tally.observations), ctx.tally.largest_gap
        failure: Exception | None = None
        recording.start()  # this example's calls, which a failure's snippet replays
        try:
            if case.prop.draws_parameters:
                ctx.draw_parameters(data)
            case.prop.check(ctx, data)
        except Explained as explained:
            ctx.tally.observations.append(explained.observation)
        except Undefined as undefined:  # a user's metric where the reference is undefined: noted, not judged
            undefined.note(ctx.tally.notes)
        except (Violation, LibraryError) as error:  # the library's failure; anything else is the harness's
            failure = error
            if error.record is None:  # raised by the property itself, not through the judge
                error.record = recording.snapshot(getattr(error, "against", None))
        # What this example drew, to replay it (encoded only where a finding keeps it: ~50 us each), and the
        # parameters it drew, which its snippet is rendered with.
        choices = build.data.choices
        examples = [o.example for o in ctx.tally.observations[seen:]] + ([failure.example] if failure else [])
        for observation in ctx.tally.observations[seen:]:
            observation.replay = _encoded(choices)
        if ctx.tally.largest_gap is not gap:
            ctx.tally.largest_gap.replay = _encoded(choices)
            examples.append(ctx.tally.largest_gap.example)
        if ctx.subject.parameters:
            for example in examples:
                example.details.setdefault("parameters", dict(ctx.subject.parameters))
        if failure is not None:
            if first_failure is None:
                first_failure, first_failure_at = examples_run, time.perf_counter()
            distinct = _distinct(failure, choices)
            order = sort_key(build.data.nodes)
            if type(distinct) not in smallest or order < smallest[type(distinct)][0]:
                smallest[type(distinct)] = (order, distinct)
        # Raised once the example's draws are done: Hypothesis checks that a choice sequence draws the same each
        # time, and an example ended before its draws would not.
        if first_failure is not None and not build.is_final:
            if profile.shrink_budget is not None and examples_run - first_failure >= profile.shrink_budget:
                shrink_cut.append("hypothesis")
                raise ShrinkBudgetSpent
            if time.perf_counter() - first_failure_at >= profile.shrink_seconds:  # a safety cap (see Profile)
                shrink_cut.append("seconds")
                raise ShrinkBudgetSpent
        if failure is not None:
            raise distinct  # outside the except block: no __context__, so one place and type per distinct failure

    test._hypothesis_internal_database_key = case.id.encode()  # one database key per case, no source digest
    examples_seed = case_seed(case, profile, run_seed)
    if examples_seed is not None:
        test = seed(examples_seed)(test)
    # After the seed: Hypothesis' @seed turns the example database off, and thorough runs (always seeded, the
    # seed recorded) keep one, so that a failure found once is tried first next time.
    test = _hypothesis_settings(profile)(test)
    if replay:
        test = reproduce_failure(hypothesis.__version__, replay.encode())(test)

    started = time.perf_counter()
    failures: list[DistinctFailure] = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            test()
        except ShrinkBudgetSpent:  # as Hypothesis would end: with the smallest failure of each kind seen
            failures = [distinct for _, distinct in sorted(smallest.values(), key=lambda pair: pair[0])]
        except DistinctFailure as distinct:
            failures = [distinct]
        except BaseExceptionGroup as group:  # several distinct failures, each shrunk on its own
            failures = [e for e in _flattened(group) if isinstance(e, DistinctFailure)]
            if not failures:
                finding.outcome, finding.message = "error", f"harness: {group!r}"
                finding.failure_kind = HARNESS
        except DidNotReproduce:  # a replayed example that no longer fails: say what it gives now
            _fill_from_observations(finding, ctx, case)
        except Exception as error:
            finding.outcome, finding.message = "error", f"harness: {type(error).__name__}: {error}"
            finding.failure_kind = HARNESS
        else:
            _fill_from_observations(finding, ctx, case)
        finally:
            recording.stop()
        for distinct in failures:
            distinct.cut = tuple(shrink_cut)
        if failures and profile.reduce_budget and not replay:  # past Hypothesis' shrink: see reduce.py
            for distinct in failures:
                reduced = reduce_failure(ctx, case.prop.check, distinct.failure, profile.reduce_budget,
                                         profile.shrink_seconds)
                distinct.failure, distinct.fully_reduced = reduced.failure, reduced.fully
                distinct.cut += {"candidates": ("reduction",), "seconds": ("seconds",), None: ()}[reduced.cut]
                if reduced.choices is not None:
                    distinct.choices, distinct.forced = reduced.choices, True
        if failures:
            # A wrong value first: a precision limit is the lesser finding where a property shows both.
            failures.sort(key=lambda distinct: isinstance(distinct.failure, Limit))
            first, *others = failures
            _fill_from_failure(finding, first)
            finding.also = [_fill_from_failure(Finding(finding.metric, finding.library, finding.property, "error"),
                                               other).distinct_json()
                            for other in others] or None
        finding.curve = _curves(finding, adapter, binding, case)
    if finding.outcome == "pass" and case.prop.must_judge and not any(ctx.tally.error_histogram):
        # Every example was left out (see each note): nothing was checked, which is not a pass. Where the metric's
        # nature left them out, it is a skip that says so; else the harness's error.
        if ctx.tally.unjudgeable:
            finding.outcome = "skip"
            finding.message = f"nothing was checked on the {examples_run} examples drawn: {ctx.tally.unjudgeable}"
        else:
            finding.outcome, finding.failure_kind = "error", HARNESS
            finding.message = "; ".join([f"harness: none of the {examples_run} examples could be judged",
                                         *sorted(ctx.tally.notes)])
    finding.examples_run = examples_run
    finding.explained_by = sorted({o.known.what for o in ctx.tally.observations}) or None  # see declared.py
    finding.behaviours = dict(ctx.tally.behaviours) or None
    finding.error_histogram = ctx.tally.error_histogram if any(ctx.tally.error_histogram) else None
    if ctx.tally.gaps:
        finding.gaps = [[round(size, 3), float(f"{gap:.4g}")] for size, gap in ctx.tally.gaps]
    finding.duration_s = round(time.perf_counter() - started, 4)
    return finding


def _encoded(choices: tuple) -> str:
    """A choice sequence as ``@reproduce_failure`` takes it (what ``Finding.replay`` holds)."""
    return encode_failure(choices).decode()


def _values(array: np.ndarray) -> float | list:
    return np.asarray(array, dtype=np.float64).tolist()


def _flattened(group: BaseExceptionGroup) -> list[BaseException]:
    return [leaf for e in group.exceptions for leaf in (_flattened(e) if isinstance(e, BaseExceptionGroup) else [e])]


def _fill_from_failure(finding: Finding, distinct: DistinctFailure) -> Finding:
    """``finding`` filled from one distinct failure (a Violation: ``fail``; a LibraryError: ``error``)."""
    failure = distinct.failure
    finding.example = failure.example.to_json()
    finding.parameters = failure.example.details.get("parameters") or None
    if distinct.fully_reduced is not None or distinct.cut:
        # "fully" only where neither Hypothesis' shrink nor the reduction was cut short.
        finding.shrunk = "fully" if distinct.fully_reduced and not distinct.cut else "budget"
        finding.shrink_cut = sorted(set(distinct.cut)) or None
    finding.regime = input_regime(failure.example.batches)
    finding.against = getattr(failure.record, "against", None)
    finding.snippet = recording.render(failure.record, getattr(failure, "observed", None),
                                       getattr(failure, "expected", None), title=failure.message,
                                       raises=isinstance(failure, LibraryError) and failure.observed is None)
    finding.replay = _encoded(distinct.choices)
    if distinct.forced:  # the batches go with the choices: they were not drawn (see reduce.py)
        finding.replay = f"{FORCED}{finding.replay}:{json.dumps(finding.example, separators=(',', ':'))}"
    finding.failure_kind = failure.kind
    if failure.closest is not None:
        finding.closest = failure.closest.what
    if isinstance(failure, Violation):
        finding.outcome, finding.message = "fail", failure.message
        if isinstance(failure, Limit):
            finding.outcome, finding.limit_starts = "limit", failure.starts
        finding.reference_value, finding.library_value = _values(failure.expected), _values(failure.observed)
        finding.abs_error, finding.tolerance = _number(failure.abs_error), _number(failure.tolerance)
    else:
        finding.outcome, finding.message = "error", failure.message
    return finding


def _number(value: float | None) -> float | None:
    """A finding's figure as a Python number (a NumPy scalar does not cross to an xdist controller)."""
    return value.item() if isinstance(value, np.generic) else value


def _fill_from_observations(finding: Finding, ctx: Context, case: Case) -> None:
    notes = sorted(ctx.tally.notes)
    if ctx.tally.observations:
        # Show a difference in values before a documented exception, one where the reference is defined before one
        # where a convention stands in for it (one class only: NaN), then the smallest example.
        smallest = min(ctx.tally.observations, key=lambda o: (o.known.raises is not None,
                                                              bool(np.isnan(o.expected).any()), o.example.size))
        finding.outcome, finding.cause = "known", smallest.known.to_json()
        if smallest.known.raises:
            notes.insert(0, f"raised as documented: {smallest.known.raises}")
        else:
            finding.reference_value, finding.library_value = _values(smallest.expected), _values(smallest.observed)
            finding.abs_error, finding.tolerance = _number(smallest.abs_error), _number(smallest.tolerance)
        finding.example = smallest.example.to_json()
        finding.parameters = smallest.example.details.get("parameters") or None
        finding.regime = input_regime(smallest.example.batches)
        finding.against = getattr(smallest.record, "against", None)
        raised = smallest.known.raises is not None  # an error as documented: the snippet shows it, no value
        finding.snippet = recording.render(smallest.record, None if raised else smallest.observed,
                                           None if raised else smallest.expected, title=smallest.known.what,
                                           raises=raised)
        finding.replay = smallest.replay
        kinds = {o.known.what for o in ctx.tally.observations}
        notes.insert(0, f"{len(ctx.tally.observations)} examples differed as documented"
                        + (f" ({len(kinds)} known differences)" if len(kinds) > 1 else ""))
    elif ctx.tally.largest_gap is not None:
        largest = ctx.tally.largest_gap
        gap, example, expected, averaged = largest.value, largest.example, largest.expected, largest.averaged
        bound = float(ctx.judge.tolerance(example.batches).bound(expected).max())
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
            finding.parameters = example.details.get("parameters") or None
            finding.replay = largest.replay
            finding.snippet = recording.render(largest.record, averaged, expected, title=PITFALL_TITLE)
        else:
            finding.outcome = "pass"
    else:
        finding.outcome = "pass"
    finding.message = "; ".join(notes)


PITFALL_TITLE = ("The mean of per-batch values against the whole-data value (a batch the library cannot score alone "
                 "is left out of the mean)")


def _curves(finding: Finding, adapter, binding, case: Case) -> dict | None:
    """For an AUC that differs from the reference: its curve and the exact one on the minimal example.

    Only where the library's value comes from one metric fed the example's batches (not the per-batch
    averages of the pitfall) and the adapter exposes the curve it integrated."""
    curve_kind = {"roc_auc": "ROC", "average_precision": "PR"}.get(case.spec.reference.__name__)
    if (curve_kind is None or finding.outcome not in ("fail", "known") or finding.library_value is None
            or finding.example is None or case.prop.name == "batch_average_pitfall"):
        return None
    from conformance.reference.ranking import cumulative_counts

    example = Example.from_json(finding.example)
    batches = example.batches
    try:  # with the example's drawn parameters in place (its curve is the one integrated with them)
        spec, binding = case.spec.with_parameters(case.library, example.details.get("parameters") or {})
        library = adapter.curve(binding, spec.params, batches)
    except Exception:  # the library's value was read already; a curve it cannot give is left out
        return None
    if library is None:
        return None
    whole = concatenate(batches)
    try:
        _, tps, fps = cumulative_counts(whole.y_true, whole.y_pred, whole.sample_weight)
    except ValueError:  # an example the exact curve is not defined on (a bad input: NaN, a label -1)
        return None
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
            # Plain str: torch.__version__ is a str subclass that pytest-xdist cannot send between processes.
            versions.update({name: str(version) for name, version in get_adapter(library).versions().items()})
        except LibraryUnavailable as error:
            versions[library] = f"unavailable ({error})"
    return versions


ProgressCallback = Callable[[int, int, Case, Finding], None]


def replay_plan(recorded: RunResult, cases: list[Case]) -> tuple[list[Case], dict[str, str]]:
    """The ``cases`` that ``recorded`` holds a replayable example for, and those examples by case id."""
    if recorded.profile not in PROFILES:
        raise UsageError(f"cannot replay a result of profile {recorded.profile!r}; expected one of: "
                         f"{', '.join(PROFILES)} (replay each shard's JSON on its own)")
    blobs = {f"{f.metric}-{f.library}-{f.property}": f.replay for f in recorded.findings if f.replay}
    chosen = [case for case in cases if case.id in blobs]
    return chosen, {case.id: blobs[case.id] for case in chosen}


def run(cases: list[Case], profile_name: str = "ci", run_seed: int | None = None, *, command: str = "",
        progress: ProgressCallback | None = None, jobs: int = 1, replays: dict[str, str] | None = None) -> RunResult:
    """Run ``cases`` (in ``jobs`` processes). Ctrl-C stops early and keeps the findings collected so far.

    Findings come back in the order of ``cases`` whatever the number of processes. With ``replays``
    (case id -> recorded choice sequence), each case runs exactly its recorded example.
    """
    profile = PROFILES[profile_name]
    if run_seed is None and not profile.derandomize and not replays:
        run_seed = random.SystemRandom().randrange(2**32)  # recorded, so the run can be repeated
    result = RunResult(profile=REPLAY if replays else profile.name, seed=run_seed, command=command,
                       started=datetime.now(UTC).isoformat(timespec="seconds"))
    started = time.perf_counter()
    found: dict[int, Finding] = {}

    def collect(index: int, finding: Finding) -> None:
        found[index] = finding
        if progress:
            progress(len(found), len(cases), cases[index], finding)

    with _interruptible() as interrupt_requested:
        try:
            result.versions = collect_versions(sorted({c.library for c in cases}))
            if jobs > 1 and len(cases) > 1:
                _run_in_processes(cases, profile_name, run_seed, jobs, collect, replays or {}, interrupt_requested)
            else:
                for index, case in enumerate(cases):
                    if interrupt_requested():
                        raise KeyboardInterrupt
                    collect(index, run_case(case, profile, run_seed, (replays or {}).get(case.id)))
        except KeyboardInterrupt:
            result.interrupted = True
    result.findings = [found[index] for index in sorted(found)]
    result.duration_s = time.perf_counter() - started
    return result


# A metric x library's cases: (index, metric, library, property, replay).
Task = list[tuple[int, str, str, str, "str | None"]]
KILLED = ("harness: the worker process running this case was killed (by the system: out of memory?); it died again "
          "when run alone, so it is this case's doing. The run went on without it; run it alone to see more: "
          "conformance run --metrics '{metric}' --libraries {library} --properties {property}")


def _run_in_processes(cases: list[Case], profile_name: str, run_seed: int | None, jobs: int,
                      collect: Callable[[int, Finding], None], replays: dict[str, str],
                      interrupt_requested: Callable[[], bool]) -> None:
    """One task per metric x library (its properties share the worker's imported library and caches).

    A worker killed mid-case (the OOM killer) breaks the whole pool: what every worker finished is read back from its
    progress file, the cases that were running are set aside, and a new pool runs the rest. Each case set aside then
    runs alone: one that kills its worker again is reported as the harness's error; the others (stopped with the pool
    through no fault of their own) give their findings as usual."""
    units: dict[tuple[str, str], list[int]] = {}
    for index, case in enumerate(cases):
        units.setdefault((case.spec.id, case.library), []).append(index)
    tasks: list[Task] = [[(i, cases[i].spec.id, cases[i].library, cases[i].prop.name, replays.get(cases[i].id))
                          for i in indices] for indices in units.values()]
    # Keras' units first: they are the long ones, and started last they would leave the other workers idle.
    tasks.sort(key=lambda task: task[0][2] != "keras")
    libraries = sorted({c.library for c in cases})
    collected: set[int] = set()

    def keep(index: int, finding: Finding) -> None:
        if index not in collected:
            collected.add(index)
            collect(index, finding)

    with tempfile.TemporaryDirectory(prefix="conformance-progress-") as folder:
        suspects: list[Task] = []
        while tasks:
            before = len(collected)
            running = _run_pool(tasks, profile_name, run_seed, jobs, libraries, keep, interrupt_requested, folder)
            if running is None:
                break
            if not running and len(collected) == before:  # the workers died before any case: no use retrying
                suspects += [[entry] for task in tasks for entry in task if entry[0] not in collected]
                break
            suspects += [[entry] for task in tasks for entry in task if entry[0] in running]
            tasks = [left for task in tasks if (left := [e for e in task if e[0] not in collected | running])]
        for task in suspects:  # each alone: a worker that dies now died of its own case
            if interrupt_requested():
                raise KeyboardInterrupt
            if _run_pool([task], profile_name, run_seed, 1, libraries, keep, interrupt_requested, folder) is not None:
                index, metric, library, prop, _ = task[0]
                keep(index, Finding(metric, library, prop, "error", failure_kind=HARNESS, message=KILLED.format(
                    metric=metric, library=library, property=prop)))


def _run_pool(tasks: list[Task], profile_name: str, run_seed: int | None, jobs: int, libraries: list[str],
              keep: Callable[[int, Finding], None], interrupt_requested: Callable[[], bool],
              folder: str) -> set[int] | None:
    """Run ``tasks`` in a pool of ``jobs`` processes; the indexes of the cases that were running when a worker
    died (None where no worker died)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # spawn, not fork: TensorFlow and PyTorch keep threads that a fork would copy half-alive.
    executor = ProcessPoolExecutor(min(jobs, len(tasks)), mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_start, initargs=(libraries,))
    broken = False
    try:
        pending = {executor.submit(_run_unit, task, profile_name, run_seed, folder) for task in tasks}
        while pending:
            if interrupt_requested():
                raise KeyboardInterrupt
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    for index, finding in future.result():
                        keep(index, finding)
                except BrokenProcessPool:
                    broken = True
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    if not broken:
        return None
    running: set[int] = set()
    for path in Path(folder).glob("*.progress"):
        current, finished = read_progress(path)
        for index, finding in finished:
            keep(index, finding)
        running |= {current} if current is not None else set()
        path.unlink(missing_ok=True)
    return running


def read_progress(path: Path) -> tuple[int | None, list[tuple[int, Finding]]]:
    """A worker's progress file (written by _run_unit): the case it was running when it stopped, if any, and the
    findings of those it finished."""
    current, finished = None, []
    with contextlib.suppress(OSError), open(path, "rb") as progress:
        while header := progress.read(8):
            current = int.from_bytes(header, "big")
            try:
                finished.append(pickle.load(progress))
            except (EOFError, pickle.UnpicklingError):
                break
            current = None
    return current, finished


def _worker_start(libraries: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it keeps what is done
    for library in libraries:
        with contextlib.suppress(LibraryUnavailable):
            get_adapter(library).versions()  # import once, before the first case


def _run_unit(task: Task, profile_name: str, run_seed: int | None, folder: str) -> list[tuple[int, Finding]]:
    """A task's cases, each written to this process's progress file as it starts and ends (see _run_pool)."""
    findings = []
    with open(Path(folder) / f"{os.getpid()}.progress", "ab") as progress:
        for index, metric, library, prop, replay in task:
            progress.write(index.to_bytes(8, "big"))
            progress.flush()
            (case,) = plan([metric], [library], [prop])
            findings.append((index, run_case(case, PROFILES[profile_name], run_seed, replay)))
            pickle.dump(findings[-1], progress)
            progress.flush()
    return findings


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

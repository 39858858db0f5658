"""``check()``: every harness property and the user-metric checks, run on one user target."""

from __future__ import annotations

import platform
import random
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from conformance import tolerance as tol
from conformance.catalogue import Binding, MetricSpec
from conformance.catalogue.library_wide import TORCHMETRICS_METRIC_BASE
from conformance.data import Batch
from conformance.engine import HARNESS, Case, run_case
from conformance.failures import Undefined
from conformance.profiles import PROFILES, Profile
from conformance.properties import Property
from conformance.registry import applicable
from conformance.results import UNEXPECTED, Finding, RunResult
from conformance.usercheck import checks_common as common
from conformance.usercheck.deadline import SPEED_SAMPLES, PropertyTimeout, Speed, deadline, measure
from conformance.usercheck.inputs import DEFAULT_CLASSES, KINDS, Presentation, domain_for, label_dtypes
from conformance.usercheck.loading import CheckUsageError, Target, make_target, reason_of
from conformance.usercheck.references import Reference, Traits, measured_ratio, resolve_reference
from conformance.usercheck.targets import UserAdapter

ALL_KINDS = ("keras", "torchmetrics", "function")


def properties_for(kind: str) -> list[Property]:
    """The registry's properties for a user's target of ``kind`` (keras, torchmetrics, function)."""
    return applicable(f"user {kind}")


@dataclass
class CheckResult:
    """What ``check()`` found: one Finding per property, with its minimal example when it failed."""

    target: str
    kind: str
    reference: str
    input_kind: str
    run: RunResult
    notes: list[str] = field(default_factory=list)
    strict: bool = False  # precision limits fail the check too

    @property
    def findings(self) -> list[Finding]:
        return self.run.findings

    @property
    def failures(self) -> list[Finding]:
        """The target's failures: wrong values and errors (a precision limit too where ``strict``); never the
        harness's own errors (see ``harness_errors``)."""
        failing = (*UNEXPECTED, "limit") if self.strict else UNEXPECTED
        return [f for f in self.findings if f.outcome in failing and f.failure_kind != HARNESS]

    @property
    def harness_errors(self) -> list[Finding]:
        """Properties the harness itself failed to run: they say nothing about the target."""
        return [f for f in self.findings if f.failure_kind == HARNESS]

    @property
    def passed(self) -> bool:
        return not self.failures

    def outcome(self, prop: str) -> str:
        """``pass``, ``fail``, ``error``, ``known`` or ``skip`` for the property named ``prop``."""
        return next(f.outcome for f in self.findings if f.property == prop)

    def __getitem__(self, prop: str) -> Finding:
        return next(f for f in self.findings if f.property == prop)

    def format(self, *, failures_only: bool = False) -> str:
        from conformance.usercheck.output import format_result

        return format_result(self, failures_only=failures_only)

    def __str__(self) -> str:
        return self.format()


def _probe_batch(kind: str, num_classes: int) -> Batch:
    """A fixed small input of ``kind``, for asking the reference what it is (a ratio? defined on one class?)."""
    labels = np.array([0, 1, 1, 0, 1, 0, 1, 1])
    if kind == "binary":
        return Batch(labels, np.linspace(0.05, 0.95, 8).astype(np.float32))
    if kind == "regression":
        return Batch(np.linspace(-2, 2, 8).astype(np.float32), np.linspace(-1, 3, 8).astype(np.float32) ** 2)
    rows = np.random.default_rng(0).random((8, num_classes)).astype(np.float32)
    if kind == "multilabel":
        return Batch((rows > 0.5).astype(np.int64), np.roll(rows, 1, axis=0))
    return Batch(np.arange(8) % num_classes, rows, num_classes=num_classes)


def _reference_call(ref: Reference, kind: str, num_classes: int) -> Callable[..., Any]:
    """The reference as MetricSpec calls it: canonical arrays in; a user's callable sees the target's arrays."""
    def call(y_true, y_pred, *, sample_weight=None, **args):
        if not ref.builtin and kind == "multiclass-onehot":
            y_true = np.eye(num_classes, dtype=np.float32)[y_true]
        if not ref.takes_weights:
            return ref.function(y_true, y_pred, **args)
        return ref.function(y_true, y_pred, sample_weight=sample_weight, **args)
    call.__name__ = ref.name
    return call


def _num_classes(kind: str, num_classes: int | None, init: Mapping[str, Any]) -> int:
    if num_classes is not None:
        if num_classes < 2:
            raise CheckUsageError(f"--num-classes must be at least 2; got {num_classes}")
        return num_classes
    for key in ("num_classes", "num_labels"):
        if isinstance(init.get(key), int):
            return init[key]
    return DEFAULT_CLASSES


def build_spec(target: Target, ref: Reference, kind: str, num_classes: int,
               deadline_s: float) -> tuple[MetricSpec, UserAdapter]:
    """The harness's description of the user's metric: reference, domain, tolerance, binding. A call of the target
    while setting up that runs past ``deadline_s`` is cut short."""
    traits = ref.traits
    call = _reference_call(ref, kind, num_classes)
    probe = _probe_batch(kind, num_classes)
    try:
        value = np.asarray(call(probe.y_true, probe.y_pred, **ref.args), np.float64)
    except Undefined as error:  # a library's metric that raises on these inputs
        raise CheckUsageError(f"the reference fails on {kind} inputs: {error.why}") from None
    except Exception as error:
        raise CheckUsageError(f"the reference {ref.name} fails on {kind} inputs: {type(error).__name__}: "
                              f"{reason_of(error)}") from None
    if not np.issubdtype(value.dtype, np.number):
        raise CheckUsageError(f"the reference {ref.name} must return a number or an array; got {value!r}")
    if ref.takes_weights and not _accepts_weights(call, probe, ref):
        ref.takes_weights = False  # e.g. spearman_corrcoef: a weight parameter that refuses weights
    if traits is not None:
        decomposition, growth, ratio, both = traits.decomposition, traits.growth, traits.ratio, traits.both_classes
        scale = traits.scale
    else:
        decomposition, growth = "none", tol.F_SCORE  # unknown arithmetic: the bound of a combined ratio
        scale = 0.0 if kind == "regression" else 1.0
        ratio = (not ref.takes_weights) or measured_ratio(
            lambda w: call(probe.y_true, probe.y_pred, sample_weight=w, **ref.args), len(probe))
        both = kind == "binary" and _undefined_on_one_class(call, probe, ref)
    growth *= ref.rounding
    update = {"keras": "update_state", "torchmetrics": "update"}.get(target.kind)
    weights = ref.takes_weights and (update is None or target.takes(update, "sample_weight"))
    presentation = Presentation(kind, target.kind)
    binding = presentation.binding(target.name, weights)
    adapter = UserAdapter(target, presentation)
    binding = replace(binding, label_dtype=_working_label_dtype(adapter, binding, ref, probe, deadline_s))
    spec = MetricSpec(name=target.name, reference=call, domain=domain_for(kind, num_classes, both_classes=both),
                      decomposition=decomposition, growth=growth, scale=scale, bindings={target.kind: binding},
                      params=dict(ref.args), ratio=ratio, undefined=_undefined(traits, ratio),
                      known=TORCHMETRICS_METRIC_BASE if target.kind == "torchmetrics" else ())
    return spec, adapter


def _working_label_dtype(adapter: UserAdapter, binding: Binding, ref: Reference, probe: Batch,
                         seconds: float) -> str:
    """The first of the input kind's label dtypes that the target takes (updates and gives a result with): the
    properties run with it; label_dtypes reports the others. The first one if none works (the failures show), or
    if the target hangs on one (within ``seconds``: each property then times out on its own)."""
    dtypes = label_dtypes(adapter.presentation.kind, adapter.target.kind)
    for dtype in dtypes:
        try:
            with deadline(seconds):
                metric = adapter.create(replace(binding, label_dtype=dtype), ref.args, probe.num_classes)
                metric.update(probe)
                np.asarray(metric.result())
        except PropertyTimeout:
            break
        except Exception:
            continue
        return dtype
    return dtypes[0]


def _defaults_to_argmax(ref: Reference) -> bool:
    """A built-in classification reference whose ``threshold`` defaults to None (the top class of a score row,
    which for one score per sample is always "positive"): its value equals the one with threshold=None given."""
    if "threshold" in ref.args:
        return False
    probe = _probe_batch("binary", 2)
    try:
        default = np.asarray(ref.function(probe.y_true, probe.y_pred, **ref.args), np.float64)
        argmax = np.asarray(ref.function(probe.y_true, probe.y_pred, threshold=None, **ref.args), np.float64)
    except Exception:
        return False
    return bool(np.array_equal(default, argmax, equal_nan=True))


def _undefined(traits: Traits | None, ratio: bool) -> Callable[[Batch], str | None]:
    """Why the reference is undefined on a batch, where the harness knows: no weight at all (a ratio of weighted
    sums is 0/0), constant targets for a metric over their variance (R², correlations)."""
    def undefined(batch: Batch) -> str | None:
        if not len(batch):
            return "no samples"
        if ratio and batch.sample_weight is not None and not np.any(batch.sample_weight):
            return "every sample weighs 0"
        if traits is not None and traits.needs_spread and np.ptp(np.asarray(batch.y_true, np.float64)) == 0:
            return "constant targets: no variance to explain"
        return None
    return undefined


def _accepts_weights(call: Callable[..., Any], probe: Batch, ref: Reference) -> bool:
    """Whether the reference computes with sample weights (it may take the parameter and refuse any)."""
    try:
        call(probe.y_true, probe.y_pred, sample_weight=np.ones(len(probe), np.float32), **ref.args)
    except Exception:
        return False
    return True


def _undefined_on_one_class(call: Callable[..., Any], probe: Batch, ref: Reference) -> bool:
    try:
        return bool(np.isnan(np.asarray(call(np.zeros(len(probe), np.int64), probe.y_pred, **ref.args),
                                        np.float64)).any())
    except Exception:
        return True


def skip_reason(prop: Property, spec: MetricSpec, adapter: UserAdapter, ref: Reference,
                profile: Profile | None = None) -> str | None:
    """Why ``prop`` does not apply to this target and reference, or None."""
    target, binding = adapter.target, spec.bindings[adapter.target.kind]
    if prop.needs_weights and not binding.weights:
        if not ref.takes_weights:
            return f"the reference {ref.name} has no sample_weight parameter, so weighted properties are skipped"
        return f"{target.name}.{'update' if target.kind == 'torchmetrics' else 'update_state'}() takes no sample_weight"
    if prop.name == "counts_past_2_24" and not ref.takes_weights:
        return f"the reference {ref.name} has no sample_weight parameter to stand for 2^24 copies of a sample"
    return prop.skip_reason(spec, adapter, binding, profile)


def check(target: Any, reference: str | Callable[..., Any], *, input: str | None = None,
          num_classes: int | None = None, init: Mapping[str, Any] | None = None,
          reference_args: Mapping[str, Any] | None = None, profile: str | Profile = "ci", seed: int | None = None,
          properties: Iterable[str] | None = None, command: str = "",
          progress: Callable[[Finding], None] | None = None, starting: Callable[[str], None] | None = None,
          strict: bool = False, deadline_s: float | None = None) -> CheckResult:
    """Check a user's metric against a reference; return what every property found.

    ``target``: a Keras Metric subclass, a torchmetrics Metric subclass or a function ``fn(y_true, y_pred)``,
    or a string naming one (``path/to/file.py:Name``, ``package.module:Name``). ``reference``: a built-in
    reference's name (``f1_score``...), a ``file.py:fn`` / ``module:fn`` string, or a NumPy callable
    ``(y_true, y_pred, sample_weight=None)``. ``input``: binary, multiclass, multiclass-onehot, multilabel or
    regression (default: the built-in reference's). ``profile``: ``ci``, ``thorough`` or a Profile. Raises
    CheckUsageError if the check cannot start; a failing metric raises nothing: its failures are in the result.
    ``progress`` is called with each finding, ``starting`` with each property's name before it runs. ``strict``: a
    precision limit (outcome ``limit``) fails the check too. ``deadline_s``: seconds per property (default: the
    profile's), past which its outcome is ``timeout``.
    """
    if not isinstance(profile, Profile) and profile not in PROFILES:
        raise CheckUsageError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    ref = resolve_reference(reference, reference_args, input)
    kind = input or ref.kind or (ref.traits.kind if ref.traits else None)
    if kind is None:
        raise CheckUsageError(f"give the input kind (--input / input=): one of {', '.join(KINDS)}; the reference "
                              f"{ref.name} has no default")
    if kind not in KINDS:
        raise CheckUsageError(f"unknown input kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind == "binary" and ref.builtin and ref.library is None and _defaults_to_argmax(ref):
        ref.args = {**ref.args, "threshold": 0.5}  # one score per sample: a positive above 0.5, not an argmax
    chosen_profile = profile if isinstance(profile, Profile) else PROFILES[profile]
    if deadline_s is not None:
        chosen_profile = replace(chosen_profile, deadline_s=deadline_s)
    made = make_target(target, init, num_classes)
    spec, adapter = build_spec(made, ref, kind, _num_classes(kind, num_classes, made.init), chosen_profile.deadline_s)
    chosen = properties_for(made.kind)
    if properties is not None:
        wanted = list(properties)
        unknown = [p for p in wanted if p not in {q.name for q in chosen}]
        if unknown:
            raise CheckUsageError(f"unknown propert{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)} for a "
                                  f"{made.kind} target; expected some of {', '.join(p.name for p in chosen)}")
        chosen = [p for p in chosen if p.name in wanted]
    probe = _probe_batch(kind, _num_classes(kind, num_classes, made.init))
    result = _run(made, ref, kind, spec, adapter, probe, chosen, chosen_profile, seed, command, progress, starting)
    result.strict = strict
    return result


# What the long properties feed (samples, updates) per example, to tell ahead whether they fit the deadline.
def _long_stream_updates(samples: int) -> int:
    return 1 + common.LONG_SINGLES + samples // common.LONG_BIG_BATCH + 80  # and its short control stream


LONG_PROPERTIES = {"long_stream": (common.LONG_STREAM, _long_stream_updates),
                   "counts_past_2_24": (2**24 + 1024, lambda samples: 16 + 512 + 80)}
SHORTEST_LONG_STREAM = 8192  # a scaled-down long stream still passes float16's 2048


def _plan_long_properties(prop: Property, spec: MetricSpec, adapter: UserAdapter, profile: Profile,
                          speed: Speed | None) -> str | None:
    """For a slow target: scale long_stream down (a note), or say why a long property would time out."""
    if prop.name not in LONG_PROPERTIES or speed is None:
        return None
    samples, updates = LONG_PROPERTIES[prop.name]
    examples = prop.budget(profile).max_examples

    def cost(total: int) -> float:
        return speed.estimate(total, updates(total)) * examples

    if cost(samples) <= profile.deadline_s:
        return None
    if prop.name == "long_stream":
        total = samples
        while total > SHORTEST_LONG_STREAM and cost(total) > profile.deadline_s:
            total //= 2
        if cost(total) <= profile.deadline_s:
            adapter.cache["long_stream_samples"] = total
            adapter.cache["scaled_note"] = (f"scaled down to {total:,} samples for a slow target "
                                            f"({speed.describe()})")
            return None
    return (f"{speed.describe()}: {examples} examples of {samples:,} samples would take about "
            f"{cost(samples):,.0f} s, past the {profile.deadline_s:g} s deadline of "
            f"the {profile.name} profile")


def _measure_speed(spec: MetricSpec, adapter: UserAdapter, probe: Batch, profile: Profile) -> Speed | None:
    """One update and result() of the probe batch, and of it tiled to SPEED_SAMPLES samples, timed."""
    binding = spec.bindings[adapter.target.kind]
    many = probe.take(np.resize(np.arange(len(probe)), SPEED_SAMPLES))

    def update_and_result(batch: Batch) -> Any:
        metric = adapter.create(binding, spec.params, batch.num_classes)
        metric.update(batch)
        return metric.result()

    return measure(lambda: update_and_result(probe), lambda: update_and_result(many), profile.deadline_s)


def _run(target: Target, ref: Reference, kind: str, spec: MetricSpec, adapter: UserAdapter, probe: Batch,
         chosen: list[Property], profile: Profile, seed: int | None, command: str,
         progress: Callable[[Finding], None] | None, starting: Callable[[str], None] | None) -> CheckResult:
    import hypothesis

    if seed is None and not profile.derandomize:
        seed = random.SystemRandom().randrange(2**32)
    run = RunResult(profile=profile.name, seed=seed, command=command,
                    started=datetime.now(UTC).isoformat(timespec="seconds"))
    run.versions = {"python": platform.python_version(), "numpy": np.__version__,
                    "hypothesis": hypothesis.__version__, **adapter.versions()}
    started = time.perf_counter()
    try:
        long = any(p.name in LONG_PROPERTIES for p in chosen)
        speed = _measure_speed(spec, adapter, probe, profile) if long else None
        for prop in chosen:
            if starting:
                starting(prop.name)
            finding = _run_property(prop, spec, adapter, ref, profile, seed, speed)
            run.findings.append(finding)
            if progress:
                progress(finding)
    except KeyboardInterrupt:
        run.interrupted = True
    finally:
        adapter.close()
    run.duration_s = time.perf_counter() - started
    return CheckResult(target.spec or target.name, target.kind, ref.name, kind, run)


def _run_property(prop: Property, spec: MetricSpec, adapter: UserAdapter, ref: Reference, profile: Profile,
                  seed: int | None, speed: Speed | None = None) -> Finding:
    binding = spec.bindings[adapter.target.kind]
    reason = skip_reason(prop, spec, adapter, ref, profile)
    if reason:
        return Finding(spec.id, adapter.name, prop.name, "skip", binding=binding.describe(), message=reason)
    too_slow = _plan_long_properties(prop, spec, adapter, profile, speed)
    if too_slow:
        return Finding(spec.id, adapter.name, prop.name, "timeout", binding=binding.describe(), message=too_slow)
    adapter.cache.pop("largest_error", None)
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(), deadline(profile.deadline_s):  # shrinking is bounded by shrink_budget
            warnings.simplefilter("ignore")
            finding = run_case(Case(spec, adapter.name, prop), profile, seed,
                               reuse_metrics=False, adapter=adapter)
    except PropertyTimeout:
        adapter.cache.pop("models", None)  # a model.evaluate cut short may hold half-updated metrics
        speed_note = f"; {speed.describe()}" if speed else ""
        return Finding(spec.id, adapter.name, prop.name, "timeout", binding=binding.describe(),
                       message=f"ran past the {profile.deadline_s:g} s deadline of the {profile.name} profile "
                               f"(after {time.perf_counter() - started:.0f} s){speed_note}; --deadline S sets it",
                       duration_s=round(time.perf_counter() - started, 3))
    if adapter.target.init:  # what a baseline tells this check's findings apart by, with the metric's name
        finding.parameters = {"init": dict(adapter.target.init), **(finding.parameters or {})}
    if prop.name == "long_stream" and "scaled_note" in adapter.cache:
        finding.message = "; ".join(m for m in (finding.message, adapter.cache.pop("scaled_note")) if m)
    if prop.name == "compile_average" and "largest_error" in adapter.cache:
        note = f"largest error seen over {finding.examples_run} examples: {adapter.cache['largest_error']:.4g}"
        finding.message = "; ".join(m for m in (finding.message, note) if m)
    return finding

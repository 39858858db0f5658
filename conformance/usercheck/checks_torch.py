"""Checks only a torchmetrics metric needs: forward(), merge_state, a real 2-process sync, pickle and
state_dict round trips mid-stream, and states registered with add_state."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
from hypothesis import strategies as st

from conformance import recording
from conformance.adapters import Adapter
from conformance.catalogue import Binding, MetricSpec
from conformance.context import Context
from conformance.data import Batch, Example, concatenate
from conformance.failures import Explained, LibraryError, Undefined, Violation
from conformance.profiles import Profile
from conformance.tolerance import compare
from conformance.usercheck.distributed import CALL_TIMEOUT_S, HANG_TIMEOUT_S, WorkerError, shared_pool
from conformance.usercheck.loading import reason_of


def _defines(cls: type, name: str) -> bool:
    """Whether ``cls`` (or a base below torchmetrics' Metric) defines ``name`` itself."""
    from torchmetrics import Metric

    return any(name in vars(base) for base in cls.__mro__ if base is not Metric and issubclass(base, Metric))


def mergeable(spec: MetricSpec, adapter: Adapter, binding: Binding, profile: Profile | None) -> str | None:
    """merge_state applies to a class with full_state_update False, or one that overrides merge_state."""
    cls = adapter.metric_class(binding)
    if cls.full_state_update is not False and not _defines(cls, "merge_state"):
        return (f"{cls.__name__}.full_state_update is {cls.full_state_update}: torchmetrics' merge_state refuses "
                "such metrics unless the class overrides merge_state (torchmetrics/metric.py::merge_state)")
    return None


def importable(spec: MetricSpec, adapter: Adapter, binding: Binding, profile: Profile | None) -> str | None:
    """distributed_sync applies to a class that a worker process can import."""
    if adapter.importable(binding) is None:
        return f"{adapter.metric_class(binding).__name__} is defined locally, so a worker process cannot import it"
    return None


def _feed(instance: Any, batches: list[Batch]) -> Any:
    for batch in batches:
        instance.update(batch)
    return instance


def _two_parts(ctx: Context, data: st.DataObject) -> tuple[list[Batch], int]:
    """Drawn batches (at least two, none empty) and where to split them."""
    batches = [b for b in ctx.draw.batches(data) if len(b)]
    if len(batches) < 2:
        whole = concatenate(batches) if sum(len(b) for b in batches) >= 2 else (
            ctx.draw.inputs(data, n=max(2, ctx.spec.domain.min_samples)))  # one draw: one number of classes
        batches = whole.split([1, len(whole) - 1])
    return batches, data.draw(st.integers(1, len(batches) - 1), label="split")


def check_forward(ctx: Context, data: st.DataObject) -> None:
    """forward() returns the batch's value and accumulates it exactly once; a forward() that raises must not lose
    the state accumulated before it.

    A library's metric is checked as it ships: on the path its class declares (``full_state_update``; None is the
    full path). A user's class is checked with full_state_update True and False: where it declares True, a failure
    of the other path is a note (its states are not reducible batch by batch), not a failure."""
    batches = ctx.draw.batches(data)
    declared = ctx.adapter.metric_class(ctx.binding).full_state_update
    if not ctx.adapter.user_code:
        forward_stream(ctx, batches, declared)
        return
    for flag in (True, False):
        if flag is False and declared is True:
            try:
                forward_stream(ctx, batches, flag, variant=True)
            except (Violation, LibraryError) as error:
                ctx.tally.notes.add("with full_state_update=False forward() would be wrong (" + error.message +
                              "); the class declares True, which it needs")
            continue
        forward_stream(ctx, batches, flag, variant=flag is not declared)


def forward_stream(ctx: Context, batches: list[Batch], flag: bool | None, variant: bool = False) -> np.ndarray | None:
    """Feed every batch through forward() of a new metric (``variant``: of a subclass with ``full_state_update`` =
    ``flag``); compare each batch's value with the reference on that batch, and compute() at the end with the
    reference on all of them (returned; None where no batch was fed)."""
    path = f"full_state_update={flag}"
    example = Example(batches, details={"full_state_update": flag, "api": "forward(preds, target) per batch"})
    metric = ctx.adapter.wrap(ctx.adapter.new_object(ctx.binding, batches[0].num_classes,
                                                     {"full_state_update": flag} if variant else None),
                              ctx.binding, ctx.spec.params)
    fed: list[Batch] = []
    errors: list[Exception] = []  # of the forward() calls that raised
    for index, batch in enumerate(batches):
        try:
            value = metric.forward(batch)
        except Exception as error:
            errors.append(error)
            fed = _expect_state_kept(ctx, metric, fed, [*fed, batch], example, index, error)
            continue
        fed.append(batch)
        if _judged_alone(ctx, batch):
            # The example is the stream so far (a running value needs it); the declarations read this batch alone.
            alone = Example(batches[:index + 1], details={**example.details, "forward_on_batch": index})
            try:
                ctx.expect_reference(value, [batch], alone, f"forward() on batch {index} ({path}): the batch's "
                                     "value")
            except Undefined:  # this batch alone is undefined (one class, a constant target): the next may not be
                continue
    if not fed:
        return None
    if len(errors) == len(batches):  # every forward() raised: the metric never took data; that error is the finding
        raise ctx.judge.library_error(f"forward() raised on every batch: {type(errors[0]).__name__}: {errors[0]}",
                                      example)
    value = ctx.run.guarded(example, metric.result)
    ctx.expect_reference(value, fed, example, f"after forward() on every batch ({path}) compute()")
    return value


def _judged_alone(ctx: Context, batch: Batch) -> bool:
    """Whether forward()'s value on ``batch`` is judged: the batch alone is in the metric's domain (not empty; both
    classes where the domain needs them) and the reference is a number on it."""
    if not len(batch) or (ctx.spec.domain.both_classes and batch.y_true.ndim == 1
                          and len(np.unique(batch.y_true)) < 2):
        return False
    return not np.isnan(ctx.spec.reference_value(batch)).any()


def _expect_state_kept(ctx: Context, metric: Any, before: list[Batch], through: list[Batch], example: Example,
                       index: int, error: Exception) -> list[Batch]:
    """After a forward() that raised, compute() holds the earlier batches (with or without the failed one);
    returns the batches the state holds. Where it lost them, the message says whether the batch alone raises too
    (its own value undefined: an empty batch, one sample), which a declaration may document."""
    ctx.tally.notes.add(f"forward() raised on a batch ({type(error).__name__}: {reason_of(error)})")
    if not any(len(b) for b in before):
        return through
    cause = f"forward() raised {type(error).__name__} on batch {index} ({reason_of(error)}){_alone(ctx, through[-1])}"
    try:
        value = metric.result()
    except Exception as lost:
        message = (f"{cause}, and then compute() raised {type(lost).__name__}: the state of batches 0..{index - 1} "
                   "was lost")
        _end_if_declared(ctx, message, example)
        raise LibraryError(message, example) from lost
    # A state back at its defaults lost the batches before, even where its value on no data happens to equal theirs
    # (an accuracy of 0 after one miss).
    for candidate in (() if _state_reset(metric) else (before, through)):
        if compare(value, ctx.spec.reference_value(concatenate(candidate)), ctx.judge.tolerance(candidate))[0]:
            return candidate
    expected = ctx.spec.reference_value(concatenate(before))
    message = (f"{cause} and lost the state of batches 0..{index - 1}: torchmetrics resets the state before "
               "update()/compute() on the batch and restores it only if they return (a compute() that returns a value, "
               "NaN if need be, on such a batch keeps the state)")
    _end_if_declared(ctx, message, example)
    violation = Violation(message, example, expected, value, float(np.max(np.abs(value - expected))), 0.0)
    violation.against = "reference"
    raise violation


def _state_reset(metric: Any) -> bool:
    """Whether a torchmetrics metric's every state equals its default (what reset() leaves), where it has any."""
    import torch

    owner = getattr(metric, "metric", metric)
    defaults = getattr(owner, "_defaults", None)
    if not defaults:
        return False
    for name, default in defaults.items():
        state = getattr(owner, name, None)
        if isinstance(default, list):
            if not isinstance(state, list) or state:
                return False
        elif not (isinstance(state, torch.Tensor) and state.shape == default.shape and torch.equal(state, default)):
            return False
    return True


def _alone(ctx: Context, batch: Batch) -> str:
    """Words saying that ``batch`` alone raises in update() then compute() on a new metric, or nothing."""
    try:
        with recording.paused():  # evidence for the message, not part of the reproduction
            ctx.run.compute(batch)
    except Exception as alone:
        return f"; the batch alone raises {type(alone).__name__} too (update() then compute() on a new metric)"
    return ""


def _end_if_declared(ctx: Context, message: str, example: Example) -> None:
    """End the example where a declaration documents ``message`` (within its trigger)."""
    outcome = ctx.judge.library_error(message, example)
    if isinstance(outcome, Explained):
        raise outcome


def check_merge_state(ctx: Context, data: st.DataObject) -> None:
    """merge_state of two metrics fed different parts equals one metric fed all."""
    batches, split = _two_parts(ctx, data)
    example = Example(batches, details={"merged": f"batches [0, {split}) into a metric fed [{split}, end)",
                                        "split": split})

    def merged() -> np.ndarray:
        first = _feed(ctx.run.new_metric(batches), batches[:split])
        second = _feed(ctx.run.new_metric(batches), batches[split:])
        recording.invoke(first.metric, "merge_state", second.metric)
        return first.result()

    ctx.expect_reference(ctx.run.guarded(example, merged, side=f"batches [0, {split}) merged with [{split}, end)"),
                         batches, example, "after merge_state the value")


def check_distributed_sync(ctx: Context, data: st.DataObject) -> None:
    """Two gloo processes each fed part of the data (uneven parts; or all of it on one rank and none on the other,
    as a sampler can leave a rank): compute() syncs the states (dist_reduce_fx) to the whole-data value."""
    batches, split = _two_parts(ctx, data)
    # One example in four leaves a rank idle (each that fails costs a new pair of processes); shrinks to both fed.
    idle = data.draw(st.sampled_from((None, None, None, None, None, None, 1, 0)), label="rank with no data")
    ranges = [(0, split), (split, len(batches))]
    if idle is not None:
        ranges[idle], ranges[1 - idle] = (0, 0), (0, len(batches))
    parts = [batches[start:end] for start, end in ranges]
    example = Example(batches, details={**{f"rank {r}": f"batches [{start}, {end})" if end > start
                                           else "no data: compute() without an update"
                                           for r, (start, end) in enumerate(ranges)},
                                        "ranks": [list(r) for r in ranges]})  # which batches each rank had
    try:
        values = synced(ctx, parts, example)
    except LibraryError as error:  # a declaration may document it (within its trigger)
        raise ctx.judge.library_error(error.message, example, record=error.record) from error
    for rank, value in enumerate(values):
        ctx.expect_reference(value, batches, example, f"rank {rank}'s synced compute()")


def synced(ctx: Context, parts: list[list[Batch]], example: Example) -> list[np.ndarray]:
    """Each rank's compute() after rank r fed ``parts[r]`` (none: no update), in real gloo workers. A worker's
    error is the library's (a LibraryError), with what a rank with data holds in list states where a rank had none."""
    batches = [b for part in parts for b in part]
    instance = ctx.adapter.wrap(ctx.run.new_object(batches), ctx.binding, ctx.spec.params)
    given = [[instance.arrays(b) for b in part] for part in parts]
    reads = [_recorded_rank(ctx, rank, batches[0].num_classes, calls) for rank, calls in enumerate(given)]
    with recording.paused():  # evidence, not part of the reproduction
        scalar = _scalar_against_sized(ctx, batches, parts)
    try:
        values = shared_pool().compute(ctx.adapter.importable(ctx.binding),
                                       ctx.adapter.init_arguments(ctx.binding, batches[0].num_classes), given,
                                       timeout=HANG_TIMEOUT_S if scalar else CALL_TIMEOUT_S)
    except WorkerError as error:
        record = recording.snapshot()
        idle = [rank for rank, part in enumerate(parts) if not part]
        with recording.paused():
            where = (f", rank {idle[0]} with no data ({_idle_rank_states(ctx, batches)})" if idle
                     else scalar or _unequal_ranks(ctx, batches, parts) or _uneven_calls(ctx, batches, parts))
        failure = LibraryError(f"in a torch.distributed worker{where}: {error}", example)
        failure.record = record
        raise failure from error
    outputs = [instance.output(value) for value in values]
    for step, value, output in zip(reads, values, outputs, strict=True):
        step.read, step.value = instance.read_of(value), output
    return outputs


def _recorded_rank(ctx: Context, rank: int, num_classes: int | None,
                   calls: list[tuple[tuple[np.ndarray, ...], dict[str, np.ndarray]]]) -> recording.Step:
    """What rank ``rank``'s worker is asked to do, recorded: make the metric, update it with ``calls``, compute();
    the step of compute(), whose value is set once the worker answers."""
    with recording.rank(rank):
        template, imports = ctx.adapter.source(ctx.binding, num_classes)
        worker = recording.make(object, template, imports=imports)  # the worker's metric, made there
        for args, kwargs in calls:
            with recording.call(worker, "update", *map(recording.Tensor, args),
                                **{k: recording.Tensor(v) for k, v in kwargs.items()}):
                pass
        with recording.call(worker, "compute", read=recording.Read(), label=f"rank {rank}'s synced compute()") as step:
            return step


def _idle_rank_states(ctx: Context, batches: list[Batch]) -> str:
    """How the states a rank with no data syncs differ from those of a rank fed ``batches``: gather_all_tensors
    exchanges each state as it is, so a shape or dtype that differs puts the ranks' collectives out of step. A list
    (cat) state is empty there, synced as torch.tensor([], dtype=metric.dtype) (or not at all, dist_reduce_fx=None);
    a tensor state keeps its default."""
    try:
        fed = _feed(ctx.adapter.wrap(ctx.run.new_object(batches), ctx.binding, ctx.spec.params), batches).metric
        idle = ctx.run.new_object(batches)
    except Exception:  # the evidence is a courtesy: the worker's error is the finding
        return "its states unknown"
    differences = []
    for name, reduce in fed._reductions.items():
        held, default = getattr(fed, name), getattr(idle, name)
        if isinstance(held, list):
            if not held:
                continue
            kept = held[0]
            if reduce is None:
                differences.append(f"{name}: an empty list, not synced (dist_reduce_fx=None), where the fed rank's "
                                   f"holds {_signature(kept)}")
            elif (kept.dtype, kept.ndim) != (fed.dtype, 1):
                differences.append(f"{name}: an empty {_signature(_empty(fed))} placeholder, where the fed rank's "
                                   f"holds {_signature(kept)}")
        elif hasattr(held, "shape") and (held.shape, held.dtype) != (default.shape, default.dtype):
            differences.append(f"{name}: its default {_signature(default)}, where the fed rank's is "
                               f"{_signature(held)}")
    if not differences:
        return "its states match a fed rank's in shape and dtype"
    return "its states differ from a fed rank's: " + "; ".join(differences)


def _as_gathered(metric: Any) -> dict[str, list[Any]]:
    """Each list state as Metric._sync_dist gathers it: concatenated first only where it holds more than one tensor
    and its dist_reduce_fx is dim_zero_cat, else tensor by tensor."""
    from torchmetrics.utilities.data import dim_zero_cat

    gathered = {}
    for name, reduce in metric._reductions.items():
        held = getattr(metric, name)
        if isinstance(held, list):
            gathered[name] = [dim_zero_cat(held)] if reduce is dim_zero_cat and len(held) > 1 else list(held)
    return gathered


def _scalar_against_sized(ctx: Context, batches: list[Batch], parts: list[list[Batch]]) -> str:
    """Where both ranks are fed and some list state is gathered as a 0-dimensional tensor on one rank (one update
    whose value torchmetrics squeezed: one sample) and as an n-dimensional one on the other, the words that say so:
    gather_all_tensors all-gathers a scalar on the first and the tensor's sizes on the second, collectives that
    never match (the ranks wait until stopped). Else nothing."""
    held = _held_by_fed_ranks(ctx, batches, parts)
    for name, ndims, shapes in _gathered_ndims(held):
        if any((a == 0) != (b == 0) for a, b in zip(ndims[0], ndims[1], strict=True)):
            return (f", the list state {name} is gathered as a 0-dimensional tensor on one rank and a sized one on "
                    f"the other (rank 0: {shapes[0]}; rank 1: {shapes[1]}: a one-sample update squeezed)")
    return ""


def _held_by_fed_ranks(ctx: Context, batches: list[Batch], parts: list[list[Batch]]) -> list[dict[str, list[Any]]]:
    """Where both ranks are fed, each one's list states as gathered (``_as_gathered``), fed here; else (or where
    feeding fails: the evidence is a courtesy, the worker's error is the finding) none."""
    if not all(parts):
        return []
    try:
        return [_as_gathered(_feed(ctx.adapter.wrap(ctx.run.new_object(batches), ctx.binding, ctx.spec.params),
                                   part).metric) for part in parts]
    except Exception:
        return []


def _gathered_ndims(held: list[dict[str, list[Any]]]) -> list[tuple[str, list[list[int]], list[str]]]:
    """Each list state gathered by as many collectives on both ranks (``held``: ``_as_gathered`` of each): its name,
    each rank's tensors' numbers of dimensions and shapes."""
    found = []
    for name in (held[0] if held else ()):
        ndims = [[tensor.ndim for tensor in rank[name]] for rank in held]
        if len({len(n) for n in ndims}) == 1:
            found.append((name, ndims, [", ".join(str(tuple(t.shape)) for t in rank[name]) for rank in held]))
    return found


def _unequal_ranks(ctx: Context, batches: list[Batch], parts: list[list[Batch]]) -> str:
    """Where both ranks are fed and some list state is gathered as sized tensors of different numbers of dimensions
    on the two ranks (a one-sample update's (L,) counts squeezed from (1, L), against the other rank's (N, L)), the
    words that say so: gather_all_tensors, which takes one number of dimensions, all-gathers size vectors of
    different lengths, a collective gloo aborts. Else nothing."""
    held = _held_by_fed_ranks(ctx, batches, parts)
    for name, ndims, shapes in _gathered_ndims(held):
        for a, b in zip(ndims[0], ndims[1], strict=True):
            if a and b and a != b:
                return (f", the list state {name} is gathered as a {a}-D tensor on rank 0 and a {b}-D one on rank 1 "
                        f"(rank 0: {shapes[0]}; rank 1: {shapes[1]}), unequal numbers of dimensions")
    return ""


def _uneven_calls(ctx: Context, batches: list[Batch], parts: list[list[Batch]]) -> str:
    """Where the ranks made different numbers of update() calls and the metric keeps lists gathered element by
    element (dist_reduce_fx=None: one element, so one collective, per call), the words that say so; else nothing."""
    calls = [len(part) for part in parts]
    if len(set(calls)) < 2:
        return ""
    try:
        metric = ctx.run.new_object(batches)
    except Exception:
        return ""
    lists = [name for name, reduce in metric._reductions.items()
             if reduce is None and isinstance(metric._defaults[name], list)]
    if not lists:
        return ""
    return (f", the ranks made {calls[0]} and {calls[1]} update() calls (unequal) and the list states "
            f"{', '.join(lists)} (dist_reduce_fx=None) are gathered one element per call")


def _empty(metric: Any) -> Any:
    import torch

    return torch.tensor([], dtype=metric.dtype)


def _signature(tensor: Any) -> str:
    return f"{str(tensor.dtype).replace('torch.', '')} {tensor.ndim}-D"


def check_state_round_trip(ctx: Context, data: st.DataObject) -> None:
    """A metric pickled, or saved with state_dict() and loaded into a new one, mid-stream resumes exactly."""
    batches, split = _two_parts(ctx, data)
    for how in ("pickle", "state_dict"):
        example = Example(batches, details={"round_trip": how, "after_batches": split})

        def resumed(how: str = how) -> np.ndarray:
            first = _feed(ctx.run.new_metric(batches), batches[:split])
            if how == "pickle":
                metric = recording.make(lambda: pickle.loads(pickle.dumps(first.metric)),
                                        "pickle.loads(pickle.dumps({0}))", first.metric, imports=("import pickle",),
                                        name="resumed")
            else:
                # metric states are left out of state_dict() unless persistent
                recording.invoke(first.metric, "persistent", True)
                metric = ctx.run.new_object(batches)
                recording.invoke(metric, "persistent", True)
                recording.invoke(metric, "load_state_dict", recording.invoke(first.metric, "state_dict"))
            return _feed(ctx.adapter.wrap(metric, ctx.binding, ctx.spec.params), batches[split:]).result()

        ctx.expect_reference(ctx.run.guarded(example, resumed, side=f"{how} round trip after {split} batches"),
                             batches, example,
                             f"resumed after a {how} round trip, the value")


def _public_attributes(metric: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(metric).items() if not k.startswith("_") and k not in metric._defaults}


def _same(a: Any, b: Any) -> bool:
    try:
        import torch

        if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
            return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and bool(
                torch.equal(a, b))
        return bool(a == b)
    except Exception:
        return a is b


def check_add_state(ctx: Context, data: st.DataObject) -> None:
    """update() keeps its state in states registered with add_state: a plain attribute is not reset, synced,
    merged or saved."""
    batches = [b for b in ctx.draw.batches(data) if len(b)]
    if not batches:
        return
    example = Example(batches)
    instance = ctx.run.new_metric(batches)
    import copy

    before = copy.deepcopy(_public_attributes(instance.metric))
    for name, value in before.items():
        if np.isfinite(_number(value)).all() and np.ndim(_number(value)) <= 1:
            recording.show(instance.metric, name, value, label=f"{name} before update()", optional=True)
    ctx.run.guarded(example, lambda: _feed(instance, batches).result())
    after = _public_attributes(instance.metric)
    changed = sorted(k for k in after if k not in before or not _same(before[k], after[k]))
    if changed:
        recording.show(instance.metric, changed[0], after[changed[0]], label=f"{changed[0]} after update()")
        # The first changed attribute's values, where they are numbers (else NaN: the message says what changed).
        old, new = (_number(values.get(changed[0])) for values in (before, after))
        difference = np.abs(new - old) if np.shape(old) == np.shape(new) else np.asarray(np.nan)
        raise Violation(f"update() changes plain attribute(s) {', '.join(changed)}: register state with "
                        "self.add_state(name, default, dist_reduce_fx) so reset(), sync, merge_state and state_dict "
                        "see it", example, old, new, float(np.max(difference, initial=0.0)), 0.0)


def _number(value: Any) -> np.ndarray:
    """``value`` as float64 numbers (a count, a tensor), or NaN where it is not numbers."""
    try:
        return np.asarray(value, np.float64)
    except (TypeError, ValueError, RuntimeError):
        return np.asarray(np.nan)

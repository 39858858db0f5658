"""Checks only a torchmetrics metric needs: forward(), merge_state, a real 2-process sync, pickle and
state_dict round trips mid-stream, and states registered with add_state."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
from hypothesis import strategies as st

from conformance.adapters import Adapter
from conformance.catalogue import Binding, MetricSpec
from conformance.data import Batch, Example, concatenate
from conformance.profiles import Profile
from conformance.properties import Context, LibraryError, Undefined, Violation
from conformance.tolerance import compare
from conformance.usercheck.distributed import WorkerError, shared_pool
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
    batches = [b for b in ctx.draw_batches(data) if len(b)]
    if len(batches) < 2:
        whole = concatenate(batches) if batches else ctx.draw_inputs(data, n=2)
        if len(whole) < 2:
            whole = concatenate([whole, ctx.draw_inputs(data, n=1)])
        batches = whole.split([1, len(whole) - 1])
    return batches, data.draw(st.integers(1, len(batches) - 1), label="split")


def _variant(cls: type, full_state_update: bool) -> type:
    return type(cls.__name__, (cls,), {"full_state_update": full_state_update, "__module__": cls.__module__})


def check_forward(ctx: Context, data: st.DataObject) -> None:
    """forward() returns the batch's value and accumulates it exactly once; a forward() that raises must not lose
    the state accumulated before it.

    A library's metric is checked as it ships: on the path its class declares (``full_state_update``; None is the
    full path). A user's class is checked with full_state_update True and False: where it declares True, a failure
    of the other path is a note (its states are not reducible batch by batch), not a failure."""
    batches = ctx.draw_batches(data)
    cls = ctx.adapter.metric_class(ctx.binding)
    declared = cls.full_state_update
    if not ctx.adapter.user_code:
        _forward_stream(ctx, batches, cls, declared)
        return
    for flag in (True, False):
        if flag is False and declared is True:
            try:
                _forward_stream(ctx, batches, _variant(cls, flag), flag)
            except (Violation, LibraryError) as error:
                ctx.notes.add("with full_state_update=False forward() would be wrong (" + error.message +
                              "); the class declares True, which it needs")
            continue
        _forward_stream(ctx, batches, cls if flag is declared else _variant(cls, flag), flag)


def _forward_stream(ctx: Context, batches: list[Batch], cls: type, flag: bool | None) -> None:
    """Feed every batch through forward() of a new ``cls`` (``full_state_update`` = ``flag``); compare each batch's
    value with the reference on that batch, and compute() at the end with the reference on all of them."""
    path = f"full_state_update={flag}"
    example = Example(batches, details={"full_state_update": flag, "api": "forward(preds, target) per batch"})
    metric = ctx.adapter.wrap(cls(**ctx.adapter.init_arguments(ctx.binding, batches[0].num_classes)), ctx.binding,
                              ctx.spec.params)
    fed: list[Batch] = []
    for index, batch in enumerate(batches):
        try:
            value = metric.forward(batch)
        except Exception as error:
            fed = _expect_state_kept(ctx, metric, fed, [*fed, batch], example, index, error)
            continue
        fed.append(batch)
        if len(batch) and not np.isnan(ctx.spec.reference_value(batch)).any():
            try:
                ctx.expect_reference(value, [batch], example, f"forward() on batch {index} ({path}): the batch's "
                                     "value")
            except Undefined:  # this batch alone is undefined (one class, a constant target): the next may not be
                continue
    if fed:
        ctx.expect_reference(ctx.guarded(example, metric.result), fed, example,
                             f"after forward() on every batch ({path}) compute()")


def _expect_state_kept(ctx: Context, metric: Any, before: list[Batch], through: list[Batch], example: Example,
                       index: int, error: Exception) -> list[Batch]:
    """After a forward() that raised, compute() holds the earlier batches (with or without the failed one);
    returns the batches the state holds."""
    ctx.notes.add(f"forward() raised on a batch ({type(error).__name__}: {reason_of(error)})")
    if not any(len(b) for b in before):
        return through
    try:
        value = metric.result()
    except Exception as lost:
        raise LibraryError(f"forward() raised {type(error).__name__} on batch {index}, and then compute() raised "
                           f"{type(lost).__name__}: the state of batches 0..{index - 1} was lost", example) from lost
    for candidate in (before, through):
        if compare(value, ctx.spec.reference_value(concatenate(candidate)), ctx.tolerance(candidate))[0]:
            return candidate
    expected = ctx.spec.reference_value(concatenate(before))
    raise Violation(f"forward() raised {type(error).__name__} on batch {index} ({reason_of(error)}) and lost the "
                    f"state of batches 0..{index - 1}: torchmetrics resets the state before update()/compute() "
                    "on the batch and restores it only if they return", example, expected, value,
                    float(np.max(np.abs(value - expected))), 0.0)


def check_merge_state(ctx: Context, data: st.DataObject) -> None:
    """merge_state of two metrics fed different parts equals one metric fed all."""
    batches, split = _two_parts(ctx, data)
    example = Example(batches, details={"merged": f"batches [0, {split}) into a metric fed [{split}, end)"})

    def merged() -> np.ndarray:
        first = _feed(ctx.new_metric(batches), batches[:split])
        second = _feed(ctx.new_metric(batches), batches[split:])
        first.metric.merge_state(second.metric)
        return first.result()

    ctx.expect_reference(ctx.guarded(example, merged), batches, example, "after merge_state the value")


def check_distributed_sync(ctx: Context, data: st.DataObject) -> None:
    """Two gloo processes each fed part of the data (uneven parts; or all of it on one rank and none on the other,
    as a sampler can leave a rank): compute() syncs the states (dist_reduce_fx) to the whole-data value."""
    batches, split = _two_parts(ctx, data)
    idle = data.draw(st.sampled_from((None, 1, 0)), label="rank with no data")  # shrinks to both ranks fed
    ranges = [(0, split), (split, len(batches))]
    if idle is not None:
        ranges[idle], ranges[1 - idle] = (0, 0), (0, len(batches))
    parts = [batches[start:end] for start, end in ranges]
    example = Example(batches, details={f"rank {r}": f"batches [{start}, {end})" if end > start
                                        else "no data: compute() without an update"
                                        for r, (start, end) in enumerate(ranges)})
    instance = ctx.adapter.wrap(ctx.new_object(batches), ctx.binding, ctx.spec.params)
    try:
        values = shared_pool().compute(ctx.adapter.importable(ctx.binding),
                                       ctx.adapter.init_arguments(ctx.binding, batches[0].num_classes),
                                       [[instance.arrays(b) for b in part] for part in parts])
    except WorkerError as error:
        where = f", rank {idle} with no data ({_list_states(ctx, batches)})" if idle is not None else ""
        raise LibraryError(f"in a torch.distributed worker{where}: {error}", example) from error
    for rank, value in enumerate(values):
        ctx.expect_reference(instance.output(value), batches, example, f"rank {rank}'s synced compute()")


def _list_states(ctx: Context, batches: list[Batch]) -> str:
    """What a rank with the data holds in list states (``dist_reduce_fx="cat"``), with their dtypes: a rank with no
    data syncs empty ones."""
    try:
        metric = _feed(ctx.adapter.wrap(ctx.new_object(batches), ctx.binding, ctx.spec.params), batches).metric
        held = [f"{name} ({getattr(metric, name)[0].dtype})".replace("torch.", "")
                for name, default in metric._defaults.items() if isinstance(default, list) and getattr(metric, name)]
    except Exception:  # the evidence is a courtesy: the worker's error is the finding
        return "its states unknown"
    return f"the other rank's list (cat) states hold {', '.join(held)}" if held else "no list states"


def check_state_round_trip(ctx: Context, data: st.DataObject) -> None:
    """A metric pickled, or saved with state_dict() and loaded into a new one, mid-stream resumes exactly."""
    batches, split = _two_parts(ctx, data)
    for how in ("pickle", "state_dict"):
        example = Example(batches, details={"round_trip": how, "after_batches": split})

        def resumed(how: str = how) -> np.ndarray:
            first = _feed(ctx.new_metric(batches), batches[:split])
            if how == "pickle":
                metric = pickle.loads(pickle.dumps(first.metric))
            else:
                first.metric.persistent(True)  # metric states are left out of state_dict() unless persistent
                metric = ctx.new_object(batches)
                metric.persistent(True)
                metric.load_state_dict(first.metric.state_dict())
            return _feed(ctx.adapter.wrap(metric, ctx.binding, ctx.spec.params), batches[split:]).result()

        ctx.expect_reference(ctx.guarded(example, resumed), batches, example,
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
    batches = [b for b in ctx.draw_batches(data) if len(b)]
    if not batches:
        return
    example = Example(batches)
    instance = ctx.new_metric(batches)
    import copy

    before = copy.deepcopy(_public_attributes(instance.metric))
    ctx.guarded(example, lambda: _feed(instance, batches).result())
    after = _public_attributes(instance.metric)
    changed = sorted(k for k in after if k not in before or not _same(before[k], after[k]))
    if changed:
        raise Violation(f"update() changes plain attribute(s) {', '.join(changed)}: register state with "
                        "self.add_state(name, default, dist_reduce_fx) so reset(), sync, merge_state and state_dict "
                        "see it", example, np.asarray(np.nan), np.asarray(np.nan), float("nan"), 0.0)

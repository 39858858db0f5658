"""Reducing a failing example further than Hypothesis' shrinker can: samples deleted from inside batches.

Hypothesis shrinks a drawn data set by shortening it from the end (its samples are decoded from one byte string),
so a failure that needs the last of 18 samples, the 17 before it weighing 0, stays 18 samples long. Here the
failing batches are fed to the property again as they are (``Drawer.forced``), with samples, weights and batches
taken away one step at a time (chunks first, then single samples), each step kept if the property still fails the
same way (the same :func:`~conformance.properties.failure_key`). The property's other draws (a permutation, a
weight factor) come from a short Hypothesis run of its own. The reduction stops at a fixpoint (fully reduced) or
when its time budget is spent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.control import current_build_context

from conformance import recording
from conformance.context import Context
from conformance.data import Batch
from conformance.failures import LibraryError, Violation, failure_key

TRIES_PER_CANDIDATE = 6  # the property's other draws tried on each candidate (a permutation, a factor, ...)
SAFETY_SECONDS = 60.0  # a reduction's wall-clock cap, for a library slow beyond what the candidate budget assumes


@dataclass
class Reduced:
    """The failure on the smallest batches found, and whether no single step reduces them further. ``choices``:
    the property's other draws on those batches (with them forced, they replay it); None if nothing was smaller."""

    failure: Exception
    fully: bool
    choices: tuple | None = None


class _Reproduced(BaseException):
    """Ends a candidate's run at its first failure of the wanted kind (a BaseException: not Hypothesis' failure)."""

    def __init__(self, failure: Exception, choices: tuple):
        self.failure, self.choices = failure, choices


def _fails_like(ctx: Context, check: Callable, batches: list[Batch], key: tuple,
                parameters: dict) -> _Reproduced | None:
    """The property's failure of kind ``key`` on exactly ``batches`` with the failure's drawn ``parameters``, if one
    of a few of its other draws gives it (with those draws' choices)."""
    ctx.draw.forced, ctx.draw.forced_parameters = batches, parameters

    @seed(0)
    @settings(max_examples=TRIES_PER_CANDIDATE, phases=(Phase.generate,), database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def attempt(data: st.DataObject) -> None:
        recording.start()  # the candidate's calls: its failure's snippet replays them
        try:
            ctx.draw_parameters(data)  # the forced ones: nothing is drawn
            check(ctx, data)
        except (Violation, LibraryError) as failure:
            if failure_key(failure) == key:
                if failure.record is None:
                    failure.record = recording.snapshot(getattr(failure, "against", None))
                if parameters:
                    failure.example.details.setdefault("parameters", dict(parameters))
                raise _Reproduced(failure, current_build_context().data.choices) from None
        except Exception:  # anything else (another outcome, an undefined reference): not this failure
            pass

    try:
        attempt()
    except _Reproduced as reproduced:
        return reproduced
    except Exception:  # the harness's own trouble on this candidate: not a reduction
        return None
    finally:
        ctx.draw.forced, ctx.draw.forced_parameters = None, {}
        recording.stop()
    return None


def _candidates(batches: list[Batch], min_samples: int) -> Iterator[list[Batch]]:
    """Smaller variants of ``batches``, the boldest first: no weights; a batch removed; halves, quarters, ... and
    then single samples removed from each batch; weights set to 1."""
    total = sum(len(b) for b in batches)
    if any(b.sample_weight is not None for b in batches):
        yield [b.with_weights(None) for b in batches]
    if len(batches) > 1:
        for index in range(len(batches)):
            rest = batches[:index] + batches[index + 1:]
            if sum(len(b) for b in rest) >= min_samples:
                yield rest
    for index, batch in enumerate(batches):
        size = len(batch)
        chunk = size // 2
        while chunk >= 1:
            for start in range(0, size, chunk):
                if total - min(chunk, size - start) < min_samples:
                    continue
                keep = np.r_[0:start, min(start + chunk, size):size]
                yield [*batches[:index], batch.take(keep), *batches[index + 1:]]
            chunk //= 2
    for index, batch in enumerate(batches):
        if batch.sample_weight is not None and (batch.sample_weight != 1).any():
            ones = np.ones(len(batch), np.float32)
            yield [*batches[:index], batch.with_weights(ones), *batches[index + 1:]]


def reduce_failure(ctx: Context, check: Callable, failure: Exception, candidates: int,
                   seconds: float = SAFETY_SECONDS) -> Reduced:
    """``failure`` on the smallest batches found by trying at most ``candidates`` smaller variants (a count, so
    that a derandomized profile reduces the same way on every machine; ``seconds`` caps a slow library's time)
    -- itself if none is smaller. What the candidates' runs observe is not counted in ``ctx``'s statistics."""
    key = failure_key(failure)
    parameters = failure.example.details.get("parameters") or {}
    deadline = time.perf_counter() + seconds
    best, fully, tried, choices = failure, False, 0, None
    pool, saved = ctx.run.pool, ctx.tally.snapshot()
    ctx.run.pool = None  # fresh metric objects: a candidate's failure must not come from a reused one
    try:
        while not fully and tried < candidates and time.perf_counter() < deadline:
            for candidate in _candidates(best.example.batches, ctx.spec.domain.min_samples):
                if tried >= candidates or time.perf_counter() >= deadline:
                    break
                tried += 1
                found = _fails_like(ctx, check, candidate, key, parameters)
                if found is not None and _smaller(found.failure.example.batches, best.example.batches):
                    best, choices = found.failure, found.choices
                    break
            else:
                fully = True
    finally:
        ctx.run.pool = pool
        ctx.tally.restore(saved)
        ctx.subject.use_parameters({})
    return Reduced(best, fully, choices)


def _smaller(a: list[Batch], b: list[Batch]) -> bool:
    """Fewer samples, then fewer batches, then fewer weights that are not 1."""
    def size(batches: list[Batch]) -> tuple[int, int, int]:
        weights = sum(int((x.sample_weight != 1).sum()) for x in batches if x.sample_weight is not None)
        return sum(len(x) for x in batches), len(batches), weights + sum(x.sample_weight is not None for x in batches)
    return size(a) < size(b)

"""Reducing a failing example further than Hypothesis' shrinker can: samples deleted from inside batches, values made
simpler.

Hypothesis shrinks a drawn data set by shortening it from the end (its samples are decoded from one byte string),
so a failure that needs the last of 18 samples, the 17 before it weighing 0, stays 18 samples long; and a value it
cannot shrink without losing the failure on the way (-1e15 where any number shows the bug) stays as drawn. Here the
failing batches are fed to the property again as they are (``Drawer.forced``), with samples, weights and batches
taken away one step at a time (chunks first, then single samples), then values made simpler (every float of an
array to a small integer or fewer significant digits at once, then each float to 0, 1, a small integer or fewer
digits, each label to 0, each weight to 1), each step kept if the property still fails the same way (the same
:func:`~conformance.failures.failure_key`) on an example that is smaller, or as small and simpler. A simpler value
stays in the metric's domain (rows of probabilities are left whole; a bound the domain keeps, kept). The property's
other draws (a permutation, a weight factor) come from a short Hypothesis run of its own. The reduction stops at a
fixpoint (fully reduced), or when its count of candidates or its seconds are spent (``Reduced.cut`` says which).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.control import current_build_context

from conformance import recording
from conformance.context import Context
from conformance.data import Batch
from conformance.domains import Domain
from conformance.failures import LibraryError, Violation, failure_key

TRIES_PER_CANDIDATE = 6  # the property's other draws tried on each candidate (a permutation, a factor, ...)
SAFETY_SECONDS = 60.0  # a reduction's wall-clock cap, for a library slow beyond what the candidate budget assumes
SMALL_INTEGER = 3  # values simplified towards integers in [-3, 3]


@dataclass
class Reduced:
    """The failure on the smallest batches found, and whether no single step reduces them further (else ``cut``:
    ``candidates`` or ``seconds``, what ran out first). ``choices``: the property's other draws on those batches (with
    them forced, they replay it); None if nothing was smaller."""

    failure: Exception
    fully: bool
    choices: tuple | None = None
    cut: str | None = None


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


def _candidates(batches: list[Batch], domain: Domain) -> Iterator[list[Batch]]:
    """Smaller variants of ``batches``, the boldest first: no weights; a batch removed; halves, quarters, ... and
    then single samples removed from each batch; weights set to 1; then simpler values (see the module)."""
    yield from _deletions(batches, domain)
    yield from _simplifications(batches, domain)


def _simplifications(batches: list[Batch], domain: Domain) -> Iterator[list[Batch]]:
    for candidate in _simpler_values(batches, domain):
        if _in_domain(candidate, domain):
            yield candidate


def _deletions(batches: list[Batch], domain: Domain) -> Iterator[list[Batch]]:
    """No weights; a batch removed; halves, quarters, ... and then single samples removed; weights set to 1."""
    total = sum(len(b) for b in batches)
    if any(b.sample_weight is not None for b in batches):
        yield [b.with_weights(None) for b in batches]
    if len(batches) > 1:
        for index in range(len(batches)):
            rest = batches[:index] + batches[index + 1:]
            if sum(len(b) for b in rest) >= domain.min_samples:
                yield rest
    for index, batch in enumerate(batches):
        size = len(batch)
        chunk = size // 2
        while chunk >= 1:
            for start in range(0, size, chunk):
                if total - min(chunk, size - start) < domain.min_samples:
                    continue
                keep = np.r_[0:start, min(start + chunk, size):size]
                yield [*batches[:index], batch.take(keep), *batches[index + 1:]]
            chunk //= 2
    for index, batch in enumerate(batches):
        if batch.sample_weight is not None and (batch.sample_weight != 1).any():
            ones = np.ones(len(batch), np.float32)
            yield [*batches[:index], batch.with_weights(ones), *batches[index + 1:]]


ARRAYS = ("y_true", "y_pred", "sample_weight")


def _simpler_values(batches: list[Batch], domain: Domain) -> Iterator[list[Batch]]:
    """``batches`` with simpler values: each float array's values all at once (to small integers, to one and two
    significant digits), then one value at a time (to 0, 1, a small integer, its integer, fewer digits), each label
    to 0, each weight to 1. Only values simpler than the one they replace; rows of probabilities left whole."""
    for index, batch in enumerate(batches):
        for name in ARRAYS:
            array = getattr(batch, name)
            if array is None or not array.size:
                continue
            whole_rows = domain.rows_sum_to_one and array.ndim == 2 and name != "sample_weight"
            if array.dtype.kind != "f" or whole_rows:
                if array.dtype.kind in "iu" and name != "sample_weight":  # labels: each to 0
                    for position in zip(*np.nonzero(array), strict=True):
                        yield _replaced(batches, index, name, position, 0)
                continue
            for simpler in (np.clip(np.round(array), -SMALL_INTEGER, SMALL_INTEGER), _digits(array, 1),
                            _digits(array, 2)):
                simpler = np.where(np.isfinite(array), simpler, array).astype(array.dtype)
                if not np.array_equal(simpler, array, equal_nan=True):
                    yield _with(batches, index, name, simpler)
            for position in np.ndindex(array.shape):
                for value in _simpler_numbers(float(array[position]), weight=name == "sample_weight"):
                    yield _replaced(batches, index, name, position, value)


def _simpler_numbers(value: float, *, weight: bool) -> list[float]:
    """Numbers simpler than ``value`` to try in its place, simplest first (a weight: 1 only)."""
    if not np.isfinite(value):
        return []
    if weight:
        return [1.0] if value != 1 else []
    options = [0.0, 1.0, float(np.clip(np.round(value), -SMALL_INTEGER, SMALL_INTEGER)), float(np.round(value)),
               float(_digits(np.asarray(value), 1)), float(_digits(np.asarray(value), 2))]
    cost = complexity(value)
    return [x for x in dict.fromkeys(options) if complexity(x) < cost]


def _digits(array: np.ndarray, digits: int) -> np.ndarray:
    """``array``'s values rounded to ``digits`` significant digits."""
    return np.vectorize(lambda x: float(f"{x:.{digits}g}") if np.isfinite(x) else x, otypes=[np.float64])(
        array).astype(array.dtype)


def _with(batches: list[Batch], index: int, name: str, array: np.ndarray) -> list[Batch]:
    return [*batches[:index], replace(batches[index], **{name: array}), *batches[index + 1:]]


def _replaced(batches: list[Batch], index: int, name: str, position: tuple, value: float) -> list[Batch]:
    array = getattr(batches[index], name).copy()
    array[tuple(position)] = value
    return _with(batches, index, name, array)


def _in_domain(batches: list[Batch], domain: Domain) -> bool:
    """Whether simplified ``batches`` keep what the domain requires: its bound, and both classes where it needs them."""
    if domain.above is not None:
        for batch in batches:
            for array in (batch.y_true, batch.y_pred):
                if array.dtype.kind == "f" and array.size and not (array[np.isfinite(array)] > domain.above).all():
                    return False
    if domain.both_classes:
        labels = np.concatenate([np.ravel(b.y_true) for b in batches])
        return bool((labels == 0).any() and (labels == 1).any())
    return True


def complexity(value: float) -> float:
    """How hard a number is to read: 0 for 0, 1 for 1 and -1, then small integers, then integers, then by significant
    digits and magnitude (3.5 is simpler than 3.4999998, 470.8 than -1e15)."""
    if value == 0:
        return 0.1 if np.signbit(value) else 0.0  # -0.0 reads as a sign to explain
    if not np.isfinite(value):
        return 100.0
    magnitude = abs(float(np.log10(abs(value))))
    if value == round(value):
        return 1.0 if abs(value) == 1 else 2.0 + magnitude
    digits = len(np.format_float_scientific(np.float32(value), unique=True).split("e")[0].replace("-", "")
                 .replace(".", "").rstrip("0"))
    return 4.0 + digits + magnitude


def _values_complexity(batches: list[Batch]) -> float:
    total = 0.0
    for batch in batches:
        for name in ARRAYS:
            array = getattr(batch, name)
            if array is None or not array.size:
                continue
            if array.dtype.kind == "f":
                total += sum(complexity(float(x)) for x in array.ravel())
            else:
                total += float(np.count_nonzero(array))
    return total


def reduce_failure(ctx: Context, check: Callable, failure: Exception, candidates: int,
                   seconds: float = SAFETY_SECONDS) -> Reduced:
    """``failure`` on the smallest batches found by trying at most ``candidates`` smaller variants (a count, so
    that a derandomized profile reduces the same way on every machine; ``seconds`` caps a slow library's time)
    -- itself if none is smaller. What the candidates' runs observe is not counted in ``ctx``'s statistics."""
    key = failure_key(failure)
    parameters = failure.example.details.get("parameters") or {}
    deadline = time.perf_counter() + seconds
    best, fully, tried, choices, cut = failure, False, 0, None, None
    pool, saved = ctx.run.pool, ctx.tally.snapshot()
    ctx.run.pool = None  # fresh metric objects: a candidate's failure must not come from a reused one
    try:
        # Each kind of step to its fixpoint in turn (deletions, then simpler values), until a round changes nothing:
        # after a value is simplified, the deletions already refused are not all tried again at once.
        while cut is None and not fully:
            changed = False
            for phase in (_deletions, _simplifications):
                while cut is None:
                    for candidate in phase(best.example.batches, ctx.spec.domain):
                        if tried >= candidates:
                            cut = "candidates"
                            break
                        if time.perf_counter() >= deadline:
                            cut = "seconds"
                            break
                        tried += 1
                        found = _fails_like(ctx, check, candidate, key, parameters)
                        if found is not None and _smaller(found.failure.example.batches, best.example.batches):
                            best, choices, changed = found.failure, found.choices, True
                            break
                    else:
                        break  # this phase's fixpoint
            fully = cut is None and not changed
    finally:
        ctx.run.pool = pool
        ctx.tally.restore(saved)
        ctx.subject.use_parameters({})
    return Reduced(best, fully, choices, cut)


def _smaller(a: list[Batch], b: list[Batch]) -> bool:
    """Fewer samples, then fewer batches, then fewer weights that are not 1, then simpler values."""
    def size(batches: list[Batch]) -> tuple[int, int, int, float]:
        weights = sum(int((x.sample_weight != 1).sum()) for x in batches if x.sample_weight is not None)
        return (sum(len(x) for x in batches), len(batches),
                weights + sum(x.sample_weight is not None for x in batches), _values_complexity(batches))
    return size(a) < size(b)

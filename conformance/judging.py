"""Judging a value: against the reference, or against the library's own value another way, within the tolerance of
the dtype it computes in, and where it differs, against the declarations (known differences and defects) that may
explain that very example. The :class:`Judge` returns a :class:`Verdict`; it records nothing and raises nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from conformance import recording
from conformance.catalogue import LIBRARY_INPUTS, KnownDifference, float32
from conformance.data import Batch, Example, concatenate
from conformance.failures import Explained, LibraryError, Observation, Undefined, Violation, nonfinite_message
from conformance.subject import Subject
from conformance.tolerance import Tolerance, compare, tolerance_for


@dataclass(frozen=True)
class Verdict:
    """How one comparison came out. ``failure``: what the property raises (a Violation or LibraryError; Explained
    for an error a declaration documents; Undefined where a user's metric is not judged), None where the value is
    right or a declaration explains it (``observation``). ``counted``: whether it enters the error histogram."""

    abs_error: float = 0.0
    bound: float = 0.0
    observation: Observation | None = None
    failure: Exception | None = None
    counted: bool = True

    def enforce(self) -> None:
        """Raise the failure, if any."""
        if self.failure is not None:
            raise self.failure


def _recorded(violation: Violation, against: str) -> Violation:
    """``violation`` with the calls its example made (its snippet's), its expected value ``against``'s."""
    violation.record = recording.snapshot(against)
    return violation


class Judge:
    """Judges the values of the subject under check, for a property (and those it is judged as)."""

    def __init__(self, subject: Subject, property_names: tuple[str, ...]):
        self.subject, self.property_names = subject, property_names

    def known_differences(self) -> list[KnownDifference]:
        """The metric's known differences for this library, its backend, this property and the inputs' layout."""
        subject = self.subject
        presented = subject.binding.dtypes
        return subject.spec.known_for(subject.adapter.name, self.property_names, subject.adapter.backend(),
                                      subject.layout, presented.name if presented is not None else None)

    def tolerance(self, batches: list[Batch], *, both_library: bool = False, dtype: str | None = None) -> Tolerance:
        """The bound for a value computed on ``batches`` in ``dtype`` (default: the one the library documents
        computing in for the inputs as presented), doubled where both sides carry the library's rounding."""
        spec = self.subject.spec
        dtype = dtype or self.subject.adapter.computes_in(self.subject.binding)
        bound = tolerance_for(dtype, sum(len(b) for b in batches), len(batches), growth=spec.growth,
                              scale=spec.scale)
        return bound.doubled() if both_library else bound

    def library_error(self, message: str, example: Example, batches: list[Batch] | None = None, *,
                      record: recording.Record | None = None) -> Exception:
        """An ``Explained`` observation if a known difference documents this error (its trigger read on ``batches``,
        the ones whose value was judged: default the example's), else a LibraryError; either with the calls made so
        far (``record``, if the caller took them earlier)."""
        record = record or recording.snapshot()
        closest = None
        for known in self.known_differences():
            if known.explains_error(message, example.batches if batches is None else batches):
                nan = np.asarray(np.nan)
                return Explained(Observation(known, example, nan, nan, float("nan"), float("nan"), record=record))
            if known.raises and closest is None and re.search(known.raises, message):
                closest = known  # the declared error, outside its trigger
        error = LibraryError(message, example, closest)
        error.record = record
        return error

    # -- the verdicts ------------------------------------------------------------------------
    def against_reference(self, observed: np.ndarray, batches: list[Batch], example: Example, what: str, *,
                          whole: Batch | None = None) -> Verdict:
        """``observed`` (from ``batches``) against the reference on all their samples (``whole``, if the caller holds
        them already: a long stream's batches are views of it, not to be copied again)."""
        whole = whole if whole is not None else concatenate(batches)
        expected = self.subject.spec.reference_value(whole)
        tolerance = self.tolerance(batches)
        within, error, bound = compare(observed, expected, tolerance)
        if not within and not self.subject.adapter.judges_undefined:
            undefined = self._undefined(whole, expected, observed)
            if undefined is not None:
                return Verdict(error, bound, failure=undefined, counted=False)
        if not within:
            for known in self.known_differences():
                if self.follows(known, observed, batches, tolerance):
                    return Verdict(error, bound, Observation(known, example, expected, observed, error, bound,
                                                             record=recording.snapshot("reference")))
        rejected = self._rejected_nonfinite(observed, expected, example, batches)
        if rejected is not None:
            return rejected
        if not within:
            return Verdict(error, bound, failure=_recorded(
                Violation(f"{what} differs from the reference", example, expected, observed, error, bound,
                          self.closest(observed, expected, batches)), "reference"))
        return Verdict(error, bound)

    def against(self, observed: np.ndarray, expected: np.ndarray, example: Example, what: str, *,
                observed_batches: list[Batch], expected_batches: list[Batch]) -> Verdict:
        """Two library values that must agree; a known convention that gives both explains a difference."""
        tolerance = self.tolerance(expected_batches, both_library=True)
        within, error, bound = compare(observed, expected, tolerance)
        if not within:
            single = self.tolerance(expected_batches)
            for known in self.known_differences():
                if (self.follows(known, observed, observed_batches, single)
                        and self.follows(known, expected, expected_batches, single)):
                    return Verdict(error, bound, Observation(known, example, expected, observed, error, bound,
                                                             record=recording.snapshot("library")))
        rejected = self._rejected_nonfinite(observed, expected, example, observed_batches)
        if rejected is not None:
            return rejected
        if not within:
            return Verdict(error, bound, failure=_recorded(
                Violation(what, example, expected, observed, error, bound,
                          self.closest(observed, expected, observed_batches)), "library"))
        return Verdict(error, bound)

    def _undefined(self, whole: Batch, expected: np.ndarray, observed: np.ndarray) -> Undefined | None:
        """Undefined where the reference is undefined on ``whole`` (NaN, or the spec's ``undefined`` says why)."""
        spec = self.subject.spec
        why = "the reference is NaN" if np.isnan(expected).any() else (spec.undefined(whole) if spec.undefined
                                                                       else None)
        if not why:
            return None
        return Undefined(why, f"e.g. the target gave {np.asarray(observed).round(6).tolist()}, the reference "
                              f"{np.asarray(expected).tolist()}")

    def _rejected_nonfinite(self, observed: np.ndarray, expected: np.ndarray, example: Example,
                            batches: list[Batch] | None) -> Verdict | None:
        """A NaN (or an infinity) where the reference is a finite number, and no convention explains it, is an error
        (an ``Explained`` one if a known difference raises so); None where ``observed`` is not such a value."""
        message = nonfinite_message(observed, expected)
        if not message:
            return None
        failure = self.library_error(message, example, batches)
        if isinstance(failure, LibraryError):
            failure.observed = observed
        return Verdict(failure=failure, counted=False)

    # -- what the declarations give ------------------------------------------------------------
    def computing_dtype(self, known: KnownDifference | None = None) -> str:
        """The dtype the library computes in here: where a declaration says it computes in a narrower one
        (``known.computes_in``), that; else the one it documents for the inputs as presented."""
        if known is not None and known.computes_in is not None:
            return known.computes_in
        return self.subject.adapter.computes_in(self.subject.binding)

    def convention(self, known: KnownDifference, batches: list[Batch], extra: Mapping[str, Any] | None = None,
                   transform: Callable[[Batch], Batch] | None = None) -> np.ndarray:
        """What the library's documented convention gives on ``batches``, fed as they were (a rounding convention,
        see ``catalogue.float32``, with the rounding of the dtype the library computes in: ``computing_dtype``)."""
        spec = self.subject.spec
        overrides = {**known.overrides, **(extra or {})}
        with float32.computing(self.computing_dtype(known)):  # a rounding convention rounds as the library does
            fed = [transform(b) if transform else b for b in batches]
            if known.batches_averaged:
                values = [spec.reference_value(b, function=known.reference, overrides=overrides) if len(b)
                          else np.asarray(np.nan) for b in fed]
                return np.mean(np.stack(values), axis=0)
            return spec.reference_value(concatenate(fed), function=known.reference, overrides=overrides)

    def intervals(self, known: KnownDifference, batches: list[Batch]) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[low, high]`` of what ``known``'s convention gives on ``batches``, as fed and (where the library
        computes on transformed inputs, see ``LIBRARY_INPUTS``) as the library saw them. NaN where any side is."""
        library_inputs = LIBRARY_INPUTS.get(self.subject.adapter.name)
        seen = [library_inputs(b) for b in batches] if library_inputs else batches
        alternatives = [batches] + ([seen] if any(s is not b for s, b in zip(seen, batches, strict=True)) else [])
        found = []
        for convention in self.compositions(known):
            transforms = convention.per_batch if isinstance(convention.per_batch, tuple) else (convention.per_batch,)
            sides = convention.bounds or ({},)
            for fed in alternatives:
                values = [self.convention(convention, fed, side, transform)
                          for side in sides for transform in transforms]
                found.append((np.minimum.reduce(values), np.maximum.reduce(values)))
        return found

    def compositions(self, known: KnownDifference) -> list[KnownDifference]:
        """``known``, and where it is a presentation's (it holds in some layouts only: how the library reads inputs
        so shaped; or in some dtypes only: how it reads inputs of those dtypes, or the dtype it computes in),
        ``known`` computed under each of the library's conventions that hold in every layout and dtype (a clip, an
        epsilon, a rule for an absent class, a sigmoid of logits: the value conventions apply whatever the shapes
        and dtypes), as one convention. So is a reading of bad inputs (a ``bad_inputs`` declaration: what the
        library makes of a NaN or a label -1), which the library's conventions on ordinary values then follow."""
        if not (known.layouts or known.dtypes or "bad_inputs" in known.properties) or not known.explains_values:
            return [known]
        composed = [known]
        for other in self.known_differences():
            if (other is known or other.layouts or other.dtypes or other.batches_averaged
                    or not other.explains_values or (other.trigger is not None and known.trigger is not None)
                    or (other.reference is None and not other.overrides and other.bounds is None
                        and other.per_batch is None)):
                continue
            if not known.dtypes and (other.per_batch is not None or other.trigger is not None):
                continue  # a layout's convention composes with value conventions only (as it always has)
            per_batch = _chained(known.per_batch, other.per_batch)
            if per_batch is None and (known.per_batch is not None or other.per_batch is not None):
                continue  # two conventions' sides: no one composition
            composed.append(replace(known, reference=known.reference or other.reference,
                                    overrides={**other.overrides, **known.overrides},
                                    bounds=known.bounds or other.bounds, per_batch=per_batch,
                                    trigger=known.trigger or other.trigger))
        return composed

    def follows(self, known: KnownDifference, observed: np.ndarray, batches: list[Batch],
                tolerance: Tolerance) -> bool:
        """Whether ``observed`` is what ``known``'s convention gives (or lies within its bounds); where the library
        computes in a narrower dtype there (``known.computes_in``), within that dtype's tolerance."""
        if not known.explains_values or not known.applies(batches):
            return False
        if known.computes_in is not None:  # its value carries that dtype's rounding
            tolerance = self.tolerance(batches, dtype=known.computes_in)
        for low, high in self.intervals(known, batches):
            if low.ndim == 0 and np.isneginf(low) and np.isposinf(high):  # a value no reference defines: any
                return True
            if np.shape(observed) != low.shape:  # a value of another shape is explained by no convention
                return False
            slack = tolerance.bound(np.where(np.isfinite(high), high, 0.0))
            undefined = np.isnan(low) & (np.isnan(observed) | np.isin(observed, known.undefined_as))
            unbounded = np.isneginf(low) & np.isposinf(high)  # noise over noise: any value, NaN included
            if np.all(undefined | unbounded | ((observed >= low - slack) & (observed <= high + slack))):
                return True
        return False

    def closest(self, observed: np.ndarray, expected: np.ndarray, batches: list[Batch]) -> KnownDifference | None:
        """The value declaration whose convention lies nearer ``observed`` than ``expected`` does, the nearest
        (its trigger is not asked: a declaration that would explain the value but for its trigger is closest)."""
        observed = np.asarray(observed, np.float64)
        if not np.isfinite(observed).all():
            return None

        def distance(low: np.ndarray, high: np.ndarray) -> float:
            if np.isneginf(low).all() and np.isposinf(high).all():  # any value: it comes no closer to one
                return np.inf
            gap = np.maximum(np.maximum(low - observed, observed - high), 0.0)
            return float(np.max(gap)) if np.isfinite(gap).all() else np.inf

        best, best_distance = None, distance(np.asarray(expected), np.asarray(expected))
        for known in self.known_differences():
            if not known.explains_values:
                continue
            try:
                nearest = min(distance(low, high) for low, high in self.intervals(known, batches)
                              if np.shape(low) == observed.shape)
            except (ValueError, TypeError, ZeroDivisionError):  # no interval of this shape, or none it can compute
                continue
            if nearest < best_distance:
                best, best_distance = known, nearest
        return best


def _chained(first: Callable[[Batch], Batch] | tuple | None,
             then: Callable[[Batch], Batch] | tuple | None) -> Callable[[Batch], Batch] | tuple | None:
    """A transform that applies ``first`` then ``then`` (either may be None: the other alone); where one of them is
    a convention's sides (a tuple of transforms), the same sides, each after (or before) the other transform; None
    where both are (no one composition) or neither is given."""
    if isinstance(first, tuple) and isinstance(then, tuple):
        return None
    if first is None or then is None:
        return first or then
    if isinstance(then, tuple):
        return tuple(_chained(first, side) for side in then)
    if isinstance(first, tuple):
        return tuple(_chained(side, then) for side in first)

    def transform(batch: Batch) -> Batch:
        return then(first(batch))
    return transform

"""What a property's comparison can end in, besides agreement: a wrong value (:class:`Violation`), a precision limit
(:class:`Limit`), a library error (:class:`LibraryError`), an error a declaration explains (:class:`Explained`), a
reference undefined where a user's metric is not judged (:class:`Undefined`); and what an explained difference leaves
behind (:class:`Observation`). Each failure carries the :class:`~conformance.data.Example` that showed it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from conformance.catalogue import KnownDifference
from conformance.data import Example


class Violation(Exception):
    """The library's value differs from the expected one beyond the tolerance.

    ``closest``: the declaration whose convention lies nearer the library's value than the reference does (one
    whose trigger does not hold, say), if any: a failure it comes closest to is distinct from one it does not.
    ``record``: the calls the example made up to the verdict (conformance.recording), which its snippet replays."""

    record: Any = None
    against: str | None = None  # "reference" where the expected value is the reference's (its snippet says so)

    def __init__(self, message: str, example: Example, expected: np.ndarray, observed: np.ndarray,
                 abs_error: float, tolerance: float, closest: KnownDifference | None = None):
        super().__init__(message)
        self.message, self.example = message, example
        self.expected, self.observed, self.abs_error, self.tolerance = expected, observed, abs_error, tolerance
        self.closest = closest

    @property
    def kind(self) -> str:
        return "wrong value"


class Limit(Violation):
    """Right on ordinary data, wrong past a precision limit: a float32 count that stops growing at 2^24, a float16
    one at 2048. ``starts``: the sample count from which the value is wrong (its own outcome, ``limit``)."""

    against = "reference"

    def __init__(self, message: str, example: Example, expected: np.ndarray, observed: np.ndarray,
                 abs_error: float, tolerance: float, starts: int):
        super().__init__(message, example, expected, observed, abs_error, tolerance)
        self.starts = starts

    @property
    def kind(self) -> str:
        return "precision limit"


class Undefined(Exception):
    """The reference is undefined on this example (NaN, or a convention such as R² = 0 for constant targets) and
    the target's value differs: for a user's metric nothing to judge, so the example ends and the search goes on
    (a failure must show on an example where the metric is defined). ``why`` says why it is undefined; ``detail``
    shows the first example of it."""

    def __init__(self, why: str, detail: str = "") -> None:
        super().__init__(why)
        self.why, self.detail = why, detail

    def note(self, notes: set[str]) -> None:
        """Add this reason to ``notes`` once (with the first example's detail)."""
        lead = f"not judged where the metric is undefined ({self.why})"
        if not any(n.startswith(lead) for n in notes):
            notes.add(f"{lead}; {self.detail}" if self.detail else lead)


class Explained(Exception):
    """The library raised as a known difference documents: record it and end the example."""

    def __init__(self, observation: Observation):
        super().__init__(observation.known.what)
        self.observation = observation


class LibraryError(Exception):
    """The library raised, or returned NaN where the reference is a number.

    ``closest``: a declaration that documents this error but whose trigger does not hold here, if any. ``observed``:
    the value rejected (NaN, an infinity), where one was returned; ``record`` as Violation's."""

    record: Any = None
    observed: Any = None

    def __init__(self, message: str, example: Example, closest: KnownDifference | None = None):
        super().__init__(message)
        self.message, self.example, self.closest = message, example, closest

    @property
    def kind(self) -> str:
        """``returns NaN`` / ``returns inf`` (the harness's words), or ``raises`` and the exception's type."""
        if self.message.startswith("returned "):
            return "returns " + self.message.split()[1]
        return "raises " + self.message.split(":", 1)[0]


def failure_key(failure: Exception) -> tuple[str, str | None]:
    """What makes two failures of one property distinct: their kind and the declaration closest to each."""
    closest = getattr(failure, "closest", None)
    return getattr(failure, "kind", type(failure).__name__), closest.what if closest else None


@dataclass
class Observation:
    """An example where the library differed from the reference as a known difference predicts."""

    known: KnownDifference
    example: Example
    expected: np.ndarray
    observed: np.ndarray
    abs_error: float
    tolerance: float
    replay: str | None = None  # the choice sequence that drew ``example`` (see Finding.replay)
    record: Any = None  # the calls the example made up to the verdict (conformance.recording)


def nonfinite_message(observed: np.ndarray, expected: np.ndarray) -> str | None:
    """What the harness calls a NaN or an infinity where the reference is a number (a declaration's ``raises``
    matches these words), or None."""
    observed, expected = np.asarray(observed), np.asarray(expected)
    if np.isnan(observed).any() and not np.isnan(expected).any():
        return f"returned NaN where {expected.tolist()} was expected"
    infinite = np.isinf(observed) & np.isfinite(expected)
    if infinite.any():
        value = "inf" if (observed[infinite] > 0).all() else "-inf"
        return f"returned {value} where {expected.tolist()} was expected"
    return None

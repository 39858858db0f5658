"""The results model: findings, a run's results, and their JSON form (schema in docs/json-schema.md)."""

from __future__ import annotations

import bisect
import json
import os
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Outcome = Literal["pass", "fail", "known", "error", "timeout", "limit", "skip"]
# Worst first. ``limit``: right on ordinary data, wrong past a precision limit (a float32 count at 2^24), with the
# sample count where it starts; ``timeout``: the target was too slow for the property's deadline (conformance check).
OUTCOMES: tuple[Outcome, ...] = ("fail", "error", "timeout", "limit", "known", "pass", "skip")
UNEXPECTED: tuple[Outcome, ...] = ("fail", "error")
# How the report, the console and the pytest summary show outcomes: a pitfall measurement (``known`` with a
# ``pitfall`` cause, see Finding.measurement) apart from the known differences, as ``measured``.
MEASURED = "measured"
SHOWN_OUTCOMES: tuple[str, ...] = ("fail", "error", "timeout", "limit", "known", MEASURED, "pass", "skip")
SCHEMA_VERSION = 1

# The error histogram counts every comparison a case made by its |difference| / tolerance ratio, in
# decades: bin 0 exact agreement (0); bin 1 (0, 1e-7); bin i for 2 <= i <= 17 [ERROR_EDGES[i - 2],
# ERROR_EDGES[i - 1]); bin 18 >= 1e9, infinite or NaN. Ratio 1 is the tolerance: bins 9 and up are at or beyond it.
ERROR_EDGES: tuple[float, ...] = tuple(10.0**k for k in range(-7, 10))
ERROR_BIN_COUNT = len(ERROR_EDGES) + 2
ERROR_BIN_LABELS: tuple[str, ...] = ("0", "<1e-7", *(f"{e:.0e}".replace("e+0", "e").replace("e-0", "e-")
                                                       for e in ERROR_EDGES))


# What a metric did with a kind of bad input (Finding.behaviours; conformance/bad_inputs.py writes them), worst first:
# "hides: returns 0.5 (NaN read as 0)" (a number where none is defined: fail), "wrong: ..." (not what its documented
# policy gives: fail), "returns 0.5 (...)" (a number the definition, a documented policy or convention gives),
# "returns NaN" / "returns inf" / "returns -inf", "raises ValueError: ...".
BEHAVIOURS = ("hides", "wrong", "number", "nonfinite", "raises")


def behaviour_class(text: str) -> str:
    """The class of a behaviour's words (one of BEHAVIOURS)."""
    if text.startswith(("hides", "wrong", "raises")):
        return text.split(":", 1)[0].split()[0]
    if text.startswith(("returns NaN", "returns inf", "returns -inf")):
        return "nonfinite"
    return "number"


def worse_behaviour(a: str, b: str) -> bool:
    """Whether behaviour ``a`` is worse than ``b`` (in BEHAVIOURS' order)."""
    return BEHAVIOURS.index(behaviour_class(a)) < BEHAVIOURS.index(behaviour_class(b))


def error_bin(ratio: float) -> int:
    """The histogram bin of a |difference| / tolerance ratio."""
    if ratio == 0:
        return 0
    if not ratio < ERROR_EDGES[-1]:  # also infinity and NaN
        return ERROR_BIN_COUNT - 1
    return bisect.bisect_right(ERROR_EDGES, ratio) + 1


@dataclass
class Finding:
    """The outcome of one property for one metric in one library."""

    metric: str
    library: str
    property: str
    outcome: Outcome
    binding: str = ""
    message: str = ""
    reference_value: Any = None
    library_value: Any = None
    abs_error: float | None = None
    tolerance: float | None = None
    example: dict[str, Any] | None = None  # the minimal example: batches as lists (data.Example JSON)
    cause: dict[str, str] | None = None  # for known: what differs, why, where in the library
    gap: float | None = None  # batch_average_pitfall: largest |mean of batch values - whole value|
    snippet: str | None = None
    examples_run: int = 0
    duration_s: float = 0.0
    # Hypothesis' choice sequence of ``example`` (base64, as @reproduce_failure takes it): the
    # replay profile runs exactly this example again.
    replay: str | None = None
    backend: str | None = None  # the library's compute backend where it has several (Keras: tensorflow, jax, torch)
    gaps: list[list[float]] | None = None  # batch_average_pitfall: [mean batch size, gap] for each example tried
    error_histogram: list[int] | None = None  # comparisons made, counted by |difference| / tolerance (ERROR_BINS)
    curve: dict[str, Any] | None = None  # AUC: the library's curve and the exact one on the minimal example
    # fail / error: what kind of failure (wrong value, returns NaN, raises TypeError, ...), and the declaration
    # that comes closest to explaining it (its convention nearer the value than the reference, or its error
    # outside its trigger), if any.
    failure_kind: str | None = None
    closest: str | None = None
    # The property's other distinct failures (by kind and closest declaration), each with its own minimal example:
    # dicts of DISTINCT_FIELDS. A second bug does not hide behind the first.
    also: list[dict[str, Any]] | None = None
    explained_by: list[str] | None = None  # the ``what`` of each declaration that explained some example
    # An unexpected finding's example: "fully" (Hypothesis' shrink ran to its end, and the reduction past it
    # (reduce.py) reached a fixpoint: no sample, batch or weight can go nor a value be simpler and the failure stay),
    # "budget" (a stage was cut: ``shrink_cut`` says which); None: not shrunk (a known finding, a replay).
    shrunk: str | None = None
    # The stages cut short: "hypothesis" (its shrink stopped at the profile's shrink_budget examples), "reduction"
    # (the profile's reduce_budget candidates tried), "seconds" (the profile's shrink_seconds spent); None: none.
    shrink_cut: list[str] | None = None
    regime: str | None = None  # the minimal example's input regime (see data.input_regime)
    limit_starts: int | None = None  # limit: the sample count from which the value is wrong
    # The parameters the finding is about: its example's drawn ones (details.parameters), a user check's --init
    # ({"init": {...}}). Part of what a baseline matches findings by (see ``match_key``).
    parameters: dict[str, Any] | None = None
    # What ``reference_value`` is: "reference" (the NumPy reference's value) or "library" (the library's own value
    # the other way: shuffled against in order, eager against compiled...); None where not known.
    against: str | None = None
    # bad_inputs: what the metric did with each kind of bad input tried, the worst over the examples (BEHAVIOURS)
    behaviours: dict[str, str] | None = None

    @property
    def column(self) -> str:
        """The library, with its backend if it has one: ``keras (jax)``."""
        return f"{self.library} ({self.backend})" if self.backend else self.library

    @property
    def measurement(self) -> bool:
        """A per-batch-average gap measured (``known`` with a ``pitfall`` cause): averaging per-batch values is off
        the whole-data value for a metric that is not a mean, whatever the library: not a disagreement."""
        return self.outcome == "known" and (self.cause or {}).get("kind") == "pitfall"

    @property
    def key(self) -> tuple[str, str, str | None, str]:
        """What a finding is about: runs of several backends of one library merge side by side."""
        return self.metric, self.library, self.backend, self.property

    @property
    def match_key(self) -> tuple[str, str, str | None, str, str]:
        """``key`` and the parameters: what two runs' findings are matched by (conformance.baseline)."""
        return (*self.key, json.dumps(self.parameters or {}, sort_keys=True, default=str))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def distinct_json(self) -> dict[str, Any]:
        """This finding as one of another's ``also``: what a distinct failure has of its own."""
        return {name: getattr(self, name) for name in DISTINCT_FIELDS}

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Finding:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in payload.items() if k in known})


def shown_outcome(finding: Finding) -> str:
    """``measured`` for a pitfall measurement, else the finding's outcome."""
    return MEASURED if finding.measurement else finding.outcome


def shown_counts(findings: list[Finding]) -> dict[str, int]:
    """Findings per shown outcome (SHOWN_OUTCOMES), measurements apart from known differences."""
    counter = Counter(shown_outcome(f) for f in findings)
    return {outcome: counter.get(outcome, 0) for outcome in SHOWN_OUTCOMES}


DISTINCT_FIELDS = ("outcome", "failure_kind", "closest", "message", "reference_value", "library_value", "abs_error",
                   "tolerance", "example", "snippet", "replay", "shrunk", "shrink_cut", "regime")


@dataclass
class RunResult:
    """A whole run: what ran, on what, and every finding."""

    findings: list[Finding] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    profile: str = "ci"
    seed: int | None = None
    command: str = ""
    started: str = ""
    duration_s: float = 0.0
    interrupted: bool = False
    # With --baseline: {"path": the baseline's JSON, "changes": [baseline.Change JSON, ...]}
    baseline: dict[str, Any] | None = None
    # The per-batch-average pitfall on realistic data sets (pitfall_study.run_study); None where it did not run.
    pitfall_study: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        counter = Counter(f.outcome for f in self.findings)
        return {outcome: counter.get(outcome, 0) for outcome in OUTCOMES}

    @property
    def unexpected(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome in UNEXPECTED]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "command": self.command,
            "started": self.started,
            "duration_s": round(self.duration_s, 3),
            "profile": self.profile,
            "seed": self.seed,
            "versions": self.versions,
            "interrupted": self.interrupted,
            "summary": self.counts(),
            "findings": [f.to_json() for f in self.findings],
            **({"baseline": self.baseline} if self.baseline else {}),
            **({"pitfall_study": self.pitfall_study} if self.pitfall_study else {}),
        }

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> RunResult:
        if payload.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"unsupported results schema_version {payload.get('schema_version')!r}; "
                             f"expected {SCHEMA_VERSION}")
        return cls(
            findings=[Finding.from_json(f) for f in payload["findings"]],
            versions=payload.get("versions", {}), profile=payload.get("profile", ""), seed=payload.get("seed"),
            command=payload.get("command", ""), started=payload.get("started", ""),
            duration_s=payload.get("duration_s", 0.0), interrupted=payload.get("interrupted", False),
            baseline=payload.get("baseline"), pitfall_study=payload.get("pitfall_study"),
        )

    def save(self, path: str | Path) -> None:
        write_atomically(Path(path), json.dumps(self.to_json(), indent=1, allow_nan=True))

    @classmethod
    def load(cls, path: str | Path) -> RunResult:
        return cls.from_json(json.loads(Path(path).read_text()))


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash mid-write leaves the previous file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes the file private; a report is meant to be shared
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

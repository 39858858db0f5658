"""Which declarations a run used, and which explained nothing: a stale declaration is reported, never kept quiet.

A declaration (a known difference or a library defect) that the run's cases could meet (its library, backend and
properties) but that explained no example of any of them is *stale* for that run: the library may have fixed the
defect, or the strategies no longer reach its trigger. The ci profile draws few examples and may miss a rare
trigger; the thorough profile's list is the one to act on (each declaration's witness, in
``suites/test_declarations.py``, shows whether the library still does what it says)."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.catalogue import CATALOGUE, KnownDifference
from conformance.results import RunResult

LAYOUTS = (("flat", "flat"), ("flat", "column"), ("column", "flat"), ("column", "column"))


@dataclass(frozen=True)
class Stale:
    """A declaration that explained nothing, with the cases that could have met it."""

    library: str
    what: str
    kind: str
    cases: tuple[str, ...]  # "metric · property" of each run case in its scope

    def to_json(self) -> dict:
        return {"library": self.library, "what": self.what, "kind": self.kind, "cases": list(self.cases)}


def stale_declarations(result: RunResult) -> list[Stale]:
    """The declarations of the run's metrics that its cases could meet and that explained none of their examples."""
    specs = {spec.id: spec for spec in CATALOGUE}
    reachable: dict[tuple[str, str], tuple[KnownDifference, list[str]]] = {}
    used: set[tuple[str, str]] = set()
    for finding in result.findings:
        spec = specs.get(finding.metric)
        if spec is None or finding.outcome == "skip" or not finding.examples_run:
            continue
        used.update((finding.library, what) for what in finding.explained_by or ())
        # Only shape_conventions presents the inputs in layouts other than the binding's.
        layouts = LAYOUTS if finding.property == "shape_conventions" else (None,)
        meets = {id(k): k for layout in layouts
                 for k in spec.known_for(finding.library, finding.property, finding.backend, layout)}
        for known in meets.values():
            entry = reachable.setdefault((known.library, known.what), (known, []))
            entry[1].append(f"{finding.metric} · {finding.property}")
    return [Stale(known.library, known.what, known.kind, tuple(dict.fromkeys(cases)))
            for key, (known, cases) in reachable.items() if key not in used]

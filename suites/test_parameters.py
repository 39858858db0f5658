"""Parameters drawn with the inputs: they reach the library and the reference, shrink to the catalogue's value,
and a failure names them (in its example and its snippet) and replays."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance import reference as ref
from conformance.catalogue import CATALOGUE, LIBRARIES, by_id
from conformance.engine import Case, run_case
from conformance.profiles import PROFILES
from conformance.registry import by_name

pytest.importorskip("sklearn")


def _precision_ignoring_zero_division(y_true, y_score, *, zero_division: float = 0.0, **params) -> float:
    """A reference that forgets its zero_division: 0 for an undefined precision whatever is asked."""
    return ref.precision(y_true, y_score, **params)


def test_a_drawn_parameter_reaches_the_library_and_a_failure_names_it_and_replays() -> None:
    """scikit-learn is given the drawn zero_division=1.0 and the broken reference ignores it: the disagreement
    shows only at 1.0 on a batch that predicts no positive, and the minimal example says so."""
    spec = replace(by_id()["Precision"], reference=_precision_ignoring_zero_division, known=())
    finding = run_case(Case(spec, "sklearn", by_name()["agreement"]), PROFILES["ci"])
    assert finding.outcome == "fail", finding.message
    assert finding.example["details"]["parameters"] == {"zero_division": 1.0}
    assert (finding.library_value, finding.reference_value) == (1.0, 0.0)
    assert "zero_division=1.0" in finding.snippet
    again = run_case(Case(spec, "sklearn", by_name()["agreement"]), PROFILES["ci"], replay=finding.replay)
    assert (again.outcome, again.example) == ("fail", finding.example)


def test_a_correct_pair_agrees_at_every_drawn_value() -> None:
    """The catalogue's own Precision draws both values and nothing unexpected shows at either."""
    for prop in ("agreement", "sample_weights"):
        finding = run_case(Case(by_id()["Precision"], "sklearn", by_name()[prop]), PROFILES["ci"])
        assert finding.outcome in ("pass", "known") and finding.examples_run > 0, finding.message


def test_every_parameter_is_spelled_or_says_why_a_library_lacks_it() -> None:
    for spec in CATALOGUE:
        for parameter in spec.space:
            assert parameter.values and parameter.values[0] == spec.params.get(parameter.name, parameter.values[0])
            for library in LIBRARIES:
                if library in spec.bindings and library not in parameter.spellings:
                    assert parameter.absent.get(library), (spec.id, parameter.name, library)


def test_a_drawn_ignore_index_reaches_torchmetrics_and_its_samples_count_for_nothing() -> None:
    """torchmetrics is given the drawn ignore_index; a reference that counts the ignored samples disagrees, and only
    where the example holds a sample with that target."""
    pytest.importorskip("torchmetrics")
    spec = by_id()["Precision"]

    def counting_ignored(y_true, y_score, *, ignore_index=None, **params):
        return spec.reference.__wrapped__(y_true, y_score, **params)

    finding = run_case(Case(replace(spec, reference=counting_ignored), "torchmetrics", by_name()["agreement"]),
                       PROFILES["ci"])
    assert finding.outcome == "fail", finding.message
    ignored = finding.example["details"]["parameters"]["ignore_index"]
    assert ignored is not None and f"ignore_index={ignored}" in finding.snippet
    assert any(ignored in b["y_true"] for b in finding.example["batches"])
    for prop in ("agreement", "batch_accumulation", "batch_average_pitfall"):
        right = run_case(Case(spec, "torchmetrics", by_name()[prop]), PROFILES["ci"])
        assert right.outcome in ("pass", "known"), right.message

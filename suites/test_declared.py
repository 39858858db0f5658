"""A declaration that explained nothing in a run is reported as stale, and one that explained something is not."""

from __future__ import annotations

from conformance.catalogue import by_id
from conformance.declared import stale_declarations
from conformance.report import render
from conformance.results import Finding, RunResult


def _declaration(metric: str, library: str, words: str) -> str:
    return next(k.what for k in by_id()[metric].known if k.library == library and words in k.what)


def test_a_declaration_that_explained_nothing_is_listed_and_one_that_explained_is_not() -> None:
    one_class = _declaration("Hinge", "sklearn", "every target is one class")
    zero_weights = _declaration("Hinge", "sklearn", "every sample weight is zero")
    result = RunResult(profile="thorough", findings=[
        Finding("Hinge", "sklearn", "agreement", "known", examples_run=300, explained_by=[one_class]),
        Finding("Hinge", "sklearn", "sample_weights", "pass", examples_run=300),
        Finding("Hinge", "keras", "agreement", "skip"),  # a skipped case could meet nothing
    ])
    stale = {s.what: s for s in stale_declarations(result)}
    assert one_class not in stale
    assert stale[zero_weights].cases == ("Hinge · agreement", "Hinge · sample_weights")
    assert not any(s.library == "keras" for s in stale.values())
    page = render(result, plots=False)
    assert 'id="stale"' in page and "every sample weight is zero" in page.split('id="stale"')[1]


def test_a_layout_declaration_is_met_only_where_the_layout_is_presented() -> None:
    """Keras' rank-1 loss layouts are presented by shape_conventions alone: agreement cannot make them stale."""
    rank_1 = _declaration("MeanSquaredError", "keras", "rank-1 (n,) y_true and y_pred")
    agreement = RunResult(findings=[Finding("MeanSquaredError", "keras", "agreement", "pass", examples_run=25)])
    layouts = RunResult(findings=[Finding("MeanSquaredError", "keras", "shape_conventions", "pass", examples_run=25)])
    assert rank_1 not in {s.what for s in stale_declarations(agreement)}
    assert rank_1 in {s.what for s in stale_declarations(layouts)}

"""Parameters drawn with the inputs: they reach the library and the reference, shrink to the catalogue's value,
and a failure names them (in its example and its snippet) and replays."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance import reference as ref
from conformance.catalogue import CATALOGUE, LIBRARIES, by_id, same_value
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
    spec = by_id()["Precision"]
    # zero_division 0 and 1 only: at NaN the broken reference's 0 is another failure (a NaN where 0 is expected)
    space = tuple(replace(p, values=(0.0, 1.0)) if p.name == "zero_division" else p for p in spec.space)
    # No declaration may explain the broken reference's values; those of errors stay (all-zero weights raise).
    errors = tuple(known for known in spec.known if known.raises)
    spec = replace(spec, reference=_precision_ignoring_zero_division, known=errors, space=space)
    finding = run_case(Case(spec, "sklearn", by_name()["agreement"]), PROFILES["ci"])
    assert finding.outcome == "fail", finding.message
    # Shrunk: the other drawn parameters at the catalogue's values, zero_division at the one that shows the bug.
    assert finding.example["details"]["parameters"] == {"threshold": 0.5, "zero_division": 1.0, "pos_label": 1}
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
            assert parameter.values and same_value(parameter.values[0],
                                                   spec.params.get(parameter.name, parameter.values[0])), (
                spec.id, parameter.name)
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


def test_a_value_a_library_lacks_is_not_drawn_for_it_and_is_for_the_others() -> None:
    """zero_division=NaN is scikit-learn's: drawn for it, never for torchmetrics (Unsupported, with the reason)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from conformance.adapters import get_adapter
    from conformance.context import Context

    spec = by_id()["F1Score[average=macro]"]
    seen: dict[str, set] = {"sklearn": set(), "torchmetrics": set()}

    def drawn_by(library: str) -> None:
        ctx = Context(spec, get_adapter(library), spec.bindings[library], "agreement", PROFILES["ci"])

        @settings(max_examples=60, database=None, derandomize=True)
        @given(st.data())
        def draw(data) -> None:
            ctx.draw_parameters(data)
            seen[library].add(repr(ctx.subject.parameters["zero_division"]))

        draw()

    for library in seen:
        drawn_by(library)
    assert "nan" in seen["sklearn"] and "nan" not in seen["torchmetrics"], seen
    assert {"0.0", "1.0"} <= seen["torchmetrics"]


def test_a_value_valid_only_for_some_data_is_resolved_with_it() -> None:
    """top_k=3 on data of two classes is 2 for the library (its constructor) and the reference alike; the example
    records the value drawn."""
    from conformance.adapters.base import resolve_init
    from conformance.catalogue import batch

    spec = by_id()["F1Score[average=macro]"]
    drawn, binding = spec.with_parameters("torchmetrics", {"top_k": 3, "average": "macro", "zero_division": 0.0})
    assert resolve_init(binding, 2)["top_k"] == 2 and resolve_init(binding, 4)["top_k"] == 3
    two_classes = batch([0, 1], [[0.2, 0.8], [0.6, 0.4]], num_classes=2)
    assert drawn.reference_value(two_classes) == spec.reference_value(two_classes, overrides={"top_k": 2})
    assert drawn.drawn["top_k"].value == 3


def test_a_declaration_holds_only_for_the_drawn_values_it_names() -> None:
    """Keras' (n, 1)-weight defect of the F-scores is average='micro''s: in scope there, not for 'macro'."""
    spec = by_id()["F1Score[average=macro]"]
    layout = ("flat", "flat", "column")

    def column_weight_defects(average: str) -> list:
        drawn, _ = spec.with_parameters("keras", {"average": average})
        return [k for k in drawn.known_for("keras", "shape_conventions", layout=layout) if "(n, 1) sample" in k.what]

    assert column_weight_defects("micro") and not column_weight_defects("macro")


def test_every_declared_reference_value_is_accepted_by_conformance_check() -> None:
    """Each value of each parameter the reference takes reaches a built-in reference through `conformance check`'s
    --reference-args, and changes its value where the definition says (scikit-learn's zero_division=1 with a class
    never true nor predicted)."""
    import numpy as np

    from conformance import reference as builtins
    from conformance.catalogue import Limited
    from conformance.usercheck.references import NOT_SCORES, resolve_reference

    checked = 0
    for spec in CATALOGUE:
        function = spec.reference
        while hasattr(function, "__wrapped__"):
            function = function.__wrapped__
        if (function.__name__ not in builtins.__all__ or getattr(builtins, function.__name__) is not function
                or function.__name__ in NOT_SCORES):
            continue
        for parameter in (p for p in spec.space if p.reference):
            for value in parameter.values:
                value = value.value if isinstance(value, Limited) else value
                reference = resolve_reference(function.__name__, {parameter.name: value})
                assert reference.args == {parameter.name: value}
                checked += 1
    assert checked > 50
    args = {"average": "weighted", "zero_division": 1.0}
    f1 = resolve_reference("f1_score", args)
    labels, scores = np.array([0, 1]), np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1]])
    assert f1.function(labels, scores, **f1.args) == 1.0
    assert resolve_reference("f1_score", {"average": "macro", "zero_division": 1.0}).function(
        labels, scores, average="macro", zero_division=1.0) == 1.0
    assert builtins.f1_score(labels, scores, average="macro", zero_division=0.0) == 2 / 3


def test_conformance_list_shows_what_each_binding_draws_and_what_it_does_not() -> None:
    """`conformance list --json`: per binding, the keywords drawn and the others with why no example draws them; per
    parameter, its values, the values a library lacks (with the reason) and why a library without it is not drawn it."""
    from conformance.cli import coverage

    rows = {row["metric"]: row for row in coverage()}
    f1 = rows["F1Score[average=macro]"]
    assert f1["libraries"]["torchmetrics"]["drawn"]["top_k"] == "top_k"
    assert f1["libraries"]["sklearn"]["drawn"]["zero_division"] == "zero_division"
    zero_division = next(p for p in f1["parameters"] if p["name"] == "zero_division")
    assert zero_division["unsupported"][0]["library"] == "torchmetrics" and zero_division["not_drawn"]["keras"]
    kappa = rows["CohenKappa[task=binary]"]["libraries"]["torchmetrics"]
    assert "two classes" in kappa["not_drawn"]["weights"]


def test_a_multilabel_samplewise_stream_of_single_samples_reads_each_drawn_average() -> None:
    """The declared value of torchmetrics' multilabel samplewise metrics fed one sample per update (each (sample,
    label) cell read as a label) follows every average the spec draws, however the spec spells it: per cell for
    "none" and None (k·L values), their mean for "macro"; a spelling it misread fell through to the mean."""
    import numpy as np

    from conformance.catalogue import batch

    stream = batch([[[1, 0]], [[0, 1]]], [[[0.9, 0.2]], [[0.1, 0.3]]], num_classes=2)  # 2 samples, 1 element, 2 labels
    checked = 0
    for spec in CATALOGUE:
        binding = spec.bindings.get("torchmetrics")
        drawn = {p.name: p.choices("torchmetrics") for p in spec.drawn_for("torchmetrics")}
        if binding is None or not binding.target.rsplit(".", 1)[-1].startswith("Multilabel") \
                or "samplewise" not in drawn.get("multidim_average", ()):
            continue
        for average in (a for a in drawn.get("average", ()) if a in (None, "none", "macro")):
            on, _ = spec.with_parameters("torchmetrics", {"average": average, "multidim_average": "samplewise"})
            cells = next(k for k in on.known_for("torchmetrics", "agreement") if "one sample per update" in k.what)
            value = on.reference_value(stream, function=cells.reference, overrides=cells.overrides)
            each = on.reference_value(stream, overrides={"average": None})  # (k, L): each sample's labels
            expected = each.reshape(-1) if average in (None, "none") else each.mean()
            assert np.allclose(value, expected, equal_nan=True), (spec.id, average, value, expected)
            checked += 1
    assert checked >= 10, checked


def test_the_multilabel_one_sample_reading_follows_the_metrics_value_conventions() -> None:
    """torchmetrics' MultilabelNegativePredictiveValue fed one sample per update reads each (sample, label) cell as a
    label and ignores zero_division too: a cell never predicted negative is 0, not the 1.0 asked. The drawn spec
    holds the cells reading under that convention (it alone gives 1.0, the convention alone keeps the sample axis),
    and its value is the library's."""
    import numpy as np

    torch = pytest.importorskip("torch")
    from torchmetrics.classification import MultilabelNegativePredictiveValue

    from conformance.catalogue import batch

    one = batch([[[0, 0, 0]]], [[[0.0, 0.9, 0.0]]], num_classes=3)  # label 1 predicted positive: tn + fn = 0
    parameters = {"average": "none", "zero_division": 1.0, "multidim_average": "samplewise", "threshold": 0.5}
    spec, _ = by_id()["NegativePredictiveValue[task=multilabel]"].with_parameters("torchmetrics", parameters)
    metric = MultilabelNegativePredictiveValue(num_labels=3, threshold=0.5, average="none", zero_division=1.0,
                                               multidim_average="samplewise")
    observed = metric(torch.tensor(np.moveaxis(one.y_pred, -1, 1)), torch.tensor(np.moveaxis(one.y_true, -1, 1)))
    assert observed.tolist() == [1.0, 0.0, 1.0]
    values = [spec.reference_value(one, function=k.reference, overrides=k.overrides)
              for k in spec.known_for("torchmetrics", "agreement") if "one sample per update" in k.what]
    assert any(np.array_equal(v, observed.numpy()) for v in values), values
    assert any(np.array_equal(v, [1.0, 1.0, 1.0]) for v in values), values  # the reading alone


def test_a_samplewise_one_sample_stream_squeezes_every_torchmetrics_convention() -> None:
    """torchmetrics returns one sample's per-sample value without the sample axis: each of its value conventions
    under multidim_average='samplewise' gives that shape, a convention that only transforms the inputs (the sigmoid of
    logits) as well as those with parameters of their own; else a one-sample stream's logits were never explained."""
    from conformance.catalogue import batch

    spec, _ = by_id()["HammingDistance[task=binary]"].with_parameters(
        "torchmetrics", {"threshold": 0.0, "multidim_average": "samplewise"})
    one = batch([[0]], [[-2.0]])  # the logit -2: sigmoid 0.12 > 0, predicted positive, wrong (1.0; the reference 0.0)
    sigmoid = next(k for k in spec.known_for("torchmetrics", "agreement") if k.what.startswith("Scores outside"))
    for side in sigmoid.per_batch:
        value = spec.reference_value(side(one), function=sigmoid.reference, overrides=sigmoid.overrides)
        assert value.shape == () and value == 1.0, value
    assert spec.reference_value(one).shape == (1,)

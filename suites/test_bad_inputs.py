"""The bad_inputs property's rules, kind by kind, on tiny torchmetrics metrics (each hides one bad input one way, or
handles it right); the documented policies (ignore_index, nan_strategy); the report's table and the check's lines."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from conformance import reference
from conformance.bad_input_kinds import KINDS, by_name, label_count
from conformance.bad_inputs import CleanOutcome, judge_kind
from conformance.catalogue import NUM_CLASSES, Binding, MetricSpec, batch, by_id
from conformance.context import Context
from conformance.data import Example
from conformance.domains import BINARY_PROBABILITIES, MULTICLASS, REGRESSION
from conformance.profiles import PROFILES
from conformance.results import Finding, RunResult, behaviour_class
from conformance.tolerance import RATIO

torch = pytest.importorskip("torch")
torchmetrics = pytest.importorskip("torchmetrics")
from torchmetrics import Metric  # noqa: E402

HERE = "suites.test_bad_inputs"


class _Mean(Metric):
    """A mean of per-sample values ``value(preds, target)``, weighted; what the subclasses do with bad inputs
    differs."""

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def values(self, preds, target):
        if preds.numel() != target.numel():
            raise ValueError("preds and target differ in length")
        return (preds.double().reshape(-1) - target.double().reshape(-1)) ** 2

    def weights(self, sample_weight, values):
        return torch.ones_like(values) if sample_weight is None else sample_weight.double().reshape(-1)

    def update(self, preds, target, sample_weight=None):
        values = self.values(preds, target)
        weights = self.weights(sample_weight, values)
        self.total += (values * weights).sum()
        self.count += weights.sum()

    def compute(self):
        return self.total / self.count


class PropagatingMSE(_Mean):
    """Right: a NaN or an infinity propagates; lengths are checked; a negative weight is used as given."""


class NaNToZeroMSE(_Mean):
    def values(self, preds, target):
        return super().values(torch.nan_to_num(preds, nan=0.0), target)


class FiniteOnlyMSE(_Mean):
    """Drops samples whose target is not finite."""

    def update(self, preds, target, sample_weight=None):
        keep = torch.isfinite(target.reshape(-1))
        super().update(preds.reshape(-1)[keep], target.reshape(-1)[keep],
                       None if sample_weight is None else sample_weight.reshape(-1)[keep])


class BroadcastingMSE(_Mean):
    def values(self, preds, target):
        return (preds.double().reshape(-1) - target.double().reshape(-1)) ** 2  # (2,) - (1,) broadcasts


class ClampedWeightMSE(_Mean):
    def weights(self, sample_weight, values):
        return super().weights(sample_weight, values).clamp(min=0.0)


class NaNWeightAsZeroMSE(_Mean):
    def weights(self, sample_weight, values):
        return torch.nan_to_num(super().weights(sample_weight, values), nan=0.0)


class WrappedLabelAccuracy(Metric):
    """Accuracy of argmax predictions, a label taken modulo the number of classes (C reads as 0)."""

    full_state_update = False

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.add_state("hits", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, preds, target):
        if preds.shape[0] != target.shape[0]:
            raise ValueError("preds and target differ in length")
        self.hits += (preds.argmax(dim=1) == target.long() % self.num_classes).sum()
        self.count += target.numel()

    def compute(self):
        return self.hits / self.count


class ClippedBCE(_Mean):
    """Binary cross-entropy with the probabilities clipped into [1e-7, 1 - 1e-7] (no check that they are ones)."""

    def values(self, preds, target):
        p = preds.double().reshape(-1).clamp(1e-7, 1 - 1e-7)
        y = target.double().reshape(-1)
        return -(y * p.log() + (1 - y) * (1 - p).log())


def context(cls: type, *, function=reference.mean_squared_error, domain=REGRESSION, init=None,
            weights: bool = True) -> Context:
    from conformance.adapters import get_adapter

    spec = MetricSpec(name=cls.__name__, reference=function, domain=domain, decomposition="mean", growth=RATIO,
                      scale=1.0, bindings={"torchmetrics": Binding(f"{HERE}.{cls.__name__}", init or {},
                                                                   weights=weights)})
    adapter = get_adapter("torchmetrics")
    if weights:  # these tiny metrics take weights by keyword, as users' do
        adapter = _KeywordWeights()
    return Context(spec, adapter, spec.bindings["torchmetrics"], "bad_inputs", PROFILES["ci"])


def _KeywordWeights():
    from conformance.adapters.torchmetrics import TorchMetric, TorchmetricsAdapter

    class KeywordWeights(TorchmetricsAdapter):
        def wrap(self, metric, binding, params, layout=None):
            return TorchMetric(metric, binding, params, layout, weight_keyword="sample_weight")
    return KeywordWeights()


def behaviour(ctx: Context, kind_name: str, batches: list) -> tuple[str, Exception | None]:
    """What the metric does with ``batches`` (which hold the bad input ``kind_name``): its words and failure."""
    kind = by_name()[kind_name]
    assert kind.applies(ctx.spec, ctx.adapter, ctx.binding, batches[0]) is None, kind_name
    at = kind.locate(batches, label_count(batches[0]))
    assert at is not None
    example = Example(batches, details={"bad_input": kind_name})
    judged = judge_kind(ctx, kind, batches, at, example, CleanOutcome(ctx, [batch([1.0], [1.0])]))
    return judged.behaviour, judged.failure


NAN, INF = math.nan, math.inf
REAL = batch([1.0, 2.0, 0.5], [1.5, NAN, 0.5])


def test_a_nan_prediction_propagated_is_right_and_one_read_as_zero_hides_it() -> None:
    words, failure = behaviour(context(PropagatingMSE), "NaN in y_pred", [REAL])
    assert words == "returns NaN" and failure is None
    words, failure = behaviour(context(NaNToZeroMSE), "NaN in y_pred", [REAL])
    assert words.startswith("hides: returns") and "NaN read as 0" in words, words
    assert failure is not None and failure.kind == "hides (NaN in y_pred)" and "raise, or return NaN" in str(failure)


@pytest.mark.parametrize("value", [INF, -INF])
def test_an_infinite_target_propagated_is_right_and_one_dropped_hides_it(value: float) -> None:
    bad = batch([1.0, value, 0.5], [1.5, 2.0, 0.5])
    name = "+inf in y_true" if value > 0 else "-inf in y_true"
    assert behaviour(context(PropagatingMSE), name, [bad])[0] == "returns inf"
    words, failure = behaviour(context(FiniteOnlyMSE), name, [bad])
    assert "the sample dropped" in words and failure is not None, words


def test_a_nan_target_dropped_hides_it() -> None:
    words, failure = behaviour(context(FiniteOnlyMSE), "NaN in y_true", [batch([1.0, NAN], [1.5, 2.0])])
    assert words.startswith("hides") and "the sample dropped" in words and failure is not None, words


def test_one_prediction_more_raises_where_checked_and_broadcast_hides_it() -> None:
    bad = batch([2.0], [1.0, 1.0])
    words, failure = behaviour(context(PropagatingMSE), "length mismatch", [bad])
    assert words.startswith("raises ValueError: preds and target differ") and failure is None
    words, failure = behaviour(context(BroadcastingMSE), "length mismatch", [bad])
    assert words.startswith("hides") and "broadcast" in words and failure is not None, words


def test_a_negative_weight_used_as_given_is_a_number_and_read_as_zero_hides_it() -> None:
    bad = batch([1.0, 2.0, 0.0], [1.5, 2.0, 2.0], [1.0, 1.0, -1.0])
    expected = (0.25 * 1 + 0 * 1 + 4 * -1) / 1.0
    words, failure = behaviour(context(PropagatingMSE), "weight < 0", [bad])
    assert words == f"returns {expected:.6g} (the weight used as given)" and failure is None, words
    words, failure = behaviour(context(ClampedWeightMSE), "weight < 0", [bad])
    assert words.startswith("hides") and "the weight read as 0" in words and failure is not None, words


def test_a_nan_weight_propagated_is_right_and_read_as_zero_hides_it() -> None:
    bad = batch([1.0, 2.0, 0.0], [1.5, 2.0, 2.0], [1.0, NAN, 2.0])
    assert behaviour(context(PropagatingMSE), "NaN weight", [bad])[0] == "returns NaN"
    words, failure = behaviour(context(NaNWeightAsZeroMSE), "NaN weight", [bad])
    assert "the NaN weight read as 0" in words and failure is not None, words


ROWS = [[0.1, 0.2, 0.7], [0.6, 0.3, 0.1], [0.2, 0.5, 0.3]]


def test_a_label_c_wrapped_to_class_0_and_a_label_minus_1_indexing_the_last_class_hide_them() -> None:
    ctx = context(WrappedLabelAccuracy, function=reference.categorical_accuracy, domain=MULTICLASS,
                  init={"num_classes": NUM_CLASSES}, weights=False)
    words, failure = behaviour(ctx, "label C", [batch([3, 0, 1], ROWS, num_classes=3)])
    assert "the label wrapped to class 0" in words and failure.kind == "hides (label C)", words
    words, failure = behaviour(ctx, "label -1", [batch([-1, 0, 1], ROWS, num_classes=3)])
    assert words.startswith("hides") and "the last class" in words, words


def test_a_probability_above_one_clipped_hides_it() -> None:
    ctx = context(ClippedBCE, function=reference.binary_crossentropy, domain=BINARY_PROBABILITIES, weights=False)
    words, failure = behaviour(ctx, "probability > 1", [batch([1, 0, 1], [1.5, 0.2, 0.9])])
    assert words.startswith("hides") and "the probability clipped to 1" in words and failure is not None, words


def test_a_kind_applies_only_where_the_domain_and_the_binding_make_it_bad() -> None:
    specs = by_id()
    applies = {name: {k.name for k in KINDS if k.applies(spec, _adapter(library), spec.bindings[library],
                                                         _sample(spec)) is None}
               for name, spec, library in [("mse-sklearn", specs["MeanSquaredError"], "sklearn"),
                                           ("acc-sklearn", specs["Accuracy"], "sklearn"),
                                           ("cm-sklearn", specs["ConfusionMatrix[task=multiclass]"], "sklearn"),
                                           ("cat-torch", specs["CategoricalAccuracy"], "torchmetrics"),
                                           ("bce-keras", specs["BinaryCrossentropy"], "keras"),
                                           ("mean-keras", specs["Mean"], "keras")]}
    assert applies["mse-sklearn"] == {"NaN in y_pred", "+inf in y_pred", "-inf in y_pred", "NaN in y_true",
                                      "+inf in y_true", "-inf in y_true", "length mismatch", "weight < 0",
                                      "NaN weight"}
    # labels against labels, the classes taken from the data: nothing but lengths and weights is bad
    assert applies["acc-sklearn"] == {"length mismatch", "weight < 0", "NaN weight"}
    assert {"label C", "label -1"} <= applies["cm-sklearn"]  # labels= tells it the classes
    assert {"NaN in y_pred", "label C", "label -1", "length mismatch", "shape mismatch"} == applies["cat-torch"]
    assert {"probability > 1", "probability < 0", "label C"} <= applies["bce-keras"]
    assert "+inf in y_pred" not in applies["cat-torch"]  # an infinite score is a valid one
    assert applies["mean-keras"] == {"NaN in y_true", "+inf in y_true", "-inf in y_true", "weight < 0",
                                     "NaN weight"}


def _adapter(library: str):
    from conformance.adapters import get_adapter

    return get_adapter(library)


def _sample(spec: MetricSpec):
    """One drawn batch of the spec's domain."""
    from hypothesis import given, settings

    drawn = []

    @settings(max_examples=1, database=None)
    @given(spec.domain.inputs(3))
    def draw(b):
        drawn.append(b)
    draw()
    return drawn[0]


# -- documented policies ------------------------------------------------------------------------------------------

def _library_context(metric_id: str, library: str, parameters: dict) -> Context:
    spec = by_id()[metric_id]
    ctx = Context(spec, _adapter(library), spec.bindings[library], "bad_inputs", PROFILES["ci"],
                  judged_as=("agreement", "batch_accumulation", "sample_weights"))
    ctx.subject.use_parameters(parameters)
    return ctx


def test_an_ignore_index_equal_to_the_injected_label_is_ignored_as_documented() -> None:
    ctx = _library_context("CategoricalAccuracy", "torchmetrics", {"ignore_index": -1})
    words, failure = behaviour(ctx, "label -1", [batch([-1, 0, 1], ROWS, num_classes=3)])
    assert words == "returns 1 (as ignore_index=-1 documents)" and failure is None, words


def test_a_nan_score_of_an_ignored_sample_is_dropped_as_the_ignore_index_documents() -> None:
    """torchmetrics' hinge drops a sample whose target is ignore_index, its NaN score with it: the value is the
    policy's (the sample left out), judged as such; a NaN score in a sample it keeps is a bad input again."""
    ctx = _library_context("Hinge", "torchmetrics", {"ignore_index": -1})
    words, failure = behaviour(ctx, "NaN in y_pred", [batch([-1, 0], [NAN, -1.0])])
    assert words == "returns 1.26894 (as ignore_index=-1 (the sample's target) documents)" and failure is None, words
    words, failure = behaviour(ctx, "NaN in y_pred", [batch([0, -1], [NAN, -1.0])])
    assert "documents" not in words, words


def test_an_error_a_declaration_documents_where_the_policy_gives_a_value_is_explained() -> None:
    """Every target the ignore_index: torchmetrics' Crammer-Singer hinge raises on the update left with no sample
    (the library-wide 'cannot reshape tensor of 0 elements' defect), which explains it."""
    ctx = _library_context("CategoricalHinge", "torchmetrics",
                           {"ignore_index": -1, "multiclass_mode": "crammer-singer"})
    words, failure = behaviour(ctx, "label -1", [batch([-1], [[0.0, 0.0, 0.0]], num_classes=3)])
    assert words.startswith("raises RuntimeError: cannot reshape") and "as documented" in words, words
    assert failure is None


def test_a_value_every_reading_gives_under_a_declared_convention_does_not_depend_on_the_bad_one() -> None:
    """A NaN score in a query with no relevant document: torchmetrics' recall of the other query is 0 by its
    declared convention (a document scored 0 is not retrieved) whatever the NaN is read as, so 0 hides nothing."""
    ctx = _library_context("RetrievalRecall", "torchmetrics", {"empty_target_action": "neg", "top_k": None})
    words, failure = behaviour(ctx, "NaN in y_pred", [batch([[0, 0], [0, 1]], [[NAN, 0.0], [0.0, 0.0]])])
    assert words == "returns 0 (the value does not depend on the bad one)" and failure is None, words


def test_an_ignore_index_that_leaves_no_sample_is_judged_by_the_library_s_conventions_of_no_sample() -> None:
    """Every sample the ignored label: the data the policy leaves is valid and its value undefined (NaN); torchmetrics'
    average precision of no positive is 0 (a declared convention), which the policy's data explains, not a number
    hiding the label."""
    ctx = _library_context("AUC[curve=PR]", "torchmetrics", {"ignore_index": -1, "thresholds": 5})
    words, failure = behaviour(ctx, "label -1", [batch([-1], [0.0])])
    assert (words, failure) == ("returns -0 (as ignore_index=-1 documents)", None), words
    assert any("With no positive" in seen.known.what for seen in ctx.tally.observations)


def test_an_error_the_library_documents_on_the_data_a_policy_leaves_is_explained() -> None:
    """A label C ignored by ignore_index=2 leaves a curve whose declared IndexError (torchmetrics' BinaryAUROC with
    max_fpr and a listed curve none of whose points passes it) is the library's documented error, not a refusal of
    its policy; the same curve with another point past max_fpr gives the policy's value."""
    ctx = _library_context("AUC", "torchmetrics", {"ignore_index": 2, "thresholds": (0.2, 0.5, 1.0), "max_fpr": 0.5})
    words, failure = behaviour(ctx, "label C", [batch([2, 0, 0, 1], [0.0, 0.0, 1.0, 1.0])])
    assert failure is None and words.startswith("raises IndexError: index 3 is out of bounds") and (
        "(as documented: With max_fpr and a listed binned curve" in words), words
    words, failure = behaviour(ctx, "label C", [batch([2, 0, 0, 1], [0.0, 1.0, 1.0, 1.0])])
    assert failure is None and words.endswith("(as ignore_index=2 documents)"), words


def test_an_ignored_label_leaving_an_undefined_value_is_judged_by_the_declarations() -> None:
    # the -1 is ignored as documented; the second query, all relevant, has no ROC AUC (NaN), which torchmetrics
    # scores 0 as declared: no number hides the bad label
    ctx = _library_context("RetrievalAUROC", "torchmetrics", {"ignore_index": -1})
    words, failure = behaviour(ctx, "label -1", [batch([[-1, 0], [1, 1]], [[0.25, 0.5], [0.5, 0.25]],
                                                       num_classes=2)])
    assert failure is None and words == "returns 0 (as ignore_index=-1 documents)", words  # not "hides"


def test_an_ignored_label_leaving_an_empty_batch_raises_as_declared() -> None:
    ctx = _library_context("RetrievalMRR", "torchmetrics", {"ignore_index": -1})
    words, failure = behaviour(ctx, "label -1", [batch([[-1, -1]], [[0.25, 0.5]], num_classes=2)])
    assert failure is None and "as documented: torchmetrics' retrieval metrics reject an empty batch" in words, words
    words, failure = behaviour(ctx, "label -1", [batch([[-1, 0]], [[0.25, 0.5]], num_classes=2)])
    assert failure is None and words == "returns 0 (as ignore_index=-1 documents)", words


@pytest.mark.parametrize(("strategy", "expected"), [("ignore", "returns 2 (as nan_strategy='ignore' documents)"),
                                                    ("warn", "returns 2 (as nan_strategy='warn' documents)"),
                                                    (0.5, "returns 1.5 (as nan_strategy=0.5 documents)")])
def test_an_aggregation_nan_strategy_is_checked_against_its_docs(strategy, expected: str) -> None:
    ctx = _library_context("Mean", "torchmetrics", {"nan_strategy": strategy})
    words, failure = behaviour(ctx, "NaN in y_true", [batch([1.0, NAN, 3.0], [0.0, 0.0, 0.0])])
    assert words == expected and failure is None, words


def test_nan_strategy_error_must_raise() -> None:
    ctx = _library_context("Mean", "torchmetrics", {"nan_strategy": "error"})
    words, failure = behaviour(ctx, "NaN in y_true", [batch([1.0, NAN, 3.0], [0.0, 0.0, 0.0])])
    assert words.startswith("raises RuntimeError: Encountered `nan`") and failure is None, words


class IgnoresItsNaNPolicy(Metric):
    """Takes torchmetrics' nan_strategy but always drops NaN values, whatever the policy says."""

    full_state_update = False

    def __init__(self, nan_strategy="warn", **kwargs):
        super().__init__(**kwargs)
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, value):
        value = value.double()[~value.isnan()]
        self.total += value.sum()
        self.count += value.numel()

    def compute(self):
        return self.total / self.count


def test_a_number_where_the_policy_documents_an_error_fails() -> None:
    from conformance.catalogue.reduction import NAN_STRATEGY, mean_of_values
    from conformance.domains import VALUES

    spec = MetricSpec(name="Mean", reference=mean_of_values, domain=VALUES, decomposition="mean", growth=RATIO,
                      scale=0.0, space=(NAN_STRATEGY,),
                      bindings={"torchmetrics": Binding(f"{HERE}.IgnoresItsNaNPolicy", arguments="values",
                                                        weights=False)})
    ctx = Context(spec, _adapter("torchmetrics"), spec.bindings["torchmetrics"], "bad_inputs", PROFILES["ci"])
    bad = [batch([1.0, NAN, 3.0], [0.0, 0.0, 0.0])]
    ctx.subject.use_parameters({"nan_strategy": "ignore"})
    assert behaviour(ctx, "NaN in y_true", bad) == ("returns 2 (as nan_strategy='ignore' documents)", None)
    ctx.subject.use_parameters({"nan_strategy": "error"})
    words, failure = behaviour(ctx, "NaN in y_true", bad)
    assert words == "wrong: returns 2, where nan_strategy='error' documents an error", words
    assert failure.kind == "does not raise by its policy (NaN in y_true)"
    ctx.subject.use_parameters({"nan_strategy": 0.5})  # imputes 0.5: (1 + 0.5 + 3) / 3
    words, failure = behaviour(ctx, "NaN in y_true", bad)
    assert words.startswith("wrong: returns 2, where nan_strategy=0.5 gives 1.5") and failure is not None, words


# -- where behaviours are shown -----------------------------------------------------------------------------------

BEHAVIOURS = {"NaN in y_pred": "hides: returns 0.5 (NaN read as 0)", "label -1": "raises ValueError: bad <label>",
              "+inf in y_true": "returns inf", "weight < 0": "returns 0.25 (the weight used as given)",
              "length mismatch": "returns 0.75 (as documented: the library's convention)"}


def test_behaviours_are_classed_worst_first() -> None:
    assert [behaviour_class(BEHAVIOURS[k]) for k in BEHAVIOURS] == ["hides", "raises", "nonfinite", "number",
                                                                     "number"]
    from conformance.tally import Tally

    tally = Tally()
    tally.behave("k", "raises ValueError: x")
    tally.behave("k", "returns NaN")
    tally.behave("k", "raises TypeError: y")
    assert tally.behaviours["k"] == "returns NaN"
    tally.behave("k", "hides: returns 1 (NaN read as 0)")
    assert tally.behaviours["k"].startswith("hides")


def test_the_report_has_one_table_of_bad_inputs_escaped() -> None:
    from conformance.report import render

    failing = Finding("Accuracy", "torchmetrics", "bad_inputs", "fail", behaviours=BEHAVIOURS,
                      message="NaN in y_pred: returns 0.5, a number that hides the bad input")
    passing = Finding("MeanSquaredError", "sklearn", "bad_inputs", "pass",
                      behaviours={"NaN in y_pred": "raises ValueError: Input contains NaN."})
    html = render(RunResult(findings=[failing, passing, Finding("AUC", "keras", "agreement", "pass")]), plots=False)
    table = html.split('<table id="bad-inputs">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr data-bad-m=\"([^\"]+)\" data-bad-c=\"([^\"]+)\">", table)
    assert rows == [("Accuracy", "torchmetrics"), ("MeanSquaredError", "sklearn")]  # agreement has no row
    headers = re.findall(r"<th(?: title=\"([^\"]+)\")?>([^<]+)</th>", table)
    assert headers[:2] == [("", "metric"), ("", "library")] and headers[2] == ("NaN in y_pred", "NaN pred")
    assert ("label -1", "label -1") in headers and ("weight &lt; 0", "w &lt; 0") in headers
    assert '<td class="b hides" title="hides: returns 0.5 (NaN read as 0)">hides</td>' in table
    assert '<td class="b raises" title="raises ValueError: bad &lt;label&gt;">raises ValueError</td>' in table
    assert '<td class="b nonfinite" title="returns inf">inf</td>' in table
    assert ">documented</td>" in table and ">as given</td>" in table
    assert '<td class="b none">·</td>' in table  # scikit-learn tried one kind
    assert 'href="#f' in table  # the failing row links to its details


def test_the_check_prints_each_kind_s_behaviour_under_the_property() -> None:
    from conformance.usercheck.output import finding_lines

    lines = finding_lines(Finding("MyMetric", "torchmetrics", "bad_inputs", "fail", behaviours=BEHAVIOURS,
                                  message="NaN in y_pred: returns 0.5, a number that hides the bad input"))
    assert lines[0] == "FAIL bad_inputs: NaN in y_pred: returns 0.5, a number that hides the bad input"
    assert "      NaN in y_pred    hides: returns 0.5 (NaN read as 0)" in lines
    assert "      label -1         raises ValueError: bad <label>" in lines
    assert sum(line.startswith("      ") for line in lines) == len(BEHAVIOURS)


def test_the_catalogue_s_declarations_explain_nothing_without_their_kind() -> None:
    """A bad-input declaration's trigger is its kind's presence: on the same data without the bad value it
    explains no value (the witness tests feed each to the library)."""
    from conformance.catalogue import declarations

    bad = [known for known, _ in declarations() if known.properties == ("bad_inputs",)]
    assert bad and all(known.trigger is not None and known.witness is not None for known in bad)
    for known in bad:
        assert known.trigger(list(known.witness.inside)) and not known.trigger(list(known.witness.outside)), known.what


def test_every_kind_has_a_rule_and_readings() -> None:
    assert len({k.name for k in KINDS}) == len(KINDS) and all(k.rule and k.readings for k in KINDS)
    injected = by_name()["NaN in y_pred"].inject([batch([1.0, 2.0], [0.5, 0.5])], 1, 0, 2)
    assert np.isnan(injected[0].y_pred[1]) and not np.isnan(injected[0].y_pred[0])


def test_a_policy_ignore_index_keeps_the_cells_the_drawn_padding_label_ignored() -> None:
    """Following the ignore_index=C policy replaces a drawn padding label (-1): the cells that held it are relabelled
    C, still ignored; left -1, torchmetrics rejects them as targets outside its labels, an error of the harness's
    making. A drawn ignore_index that is a class (0) is a target like the others under the policy, and stays."""
    from conformance.bad_inputs import _still_ignored

    drawn = [batch([[2, -1], [0, 1]], [[0.2, 0.7], [0.1, 0.9]], num_classes=2)]
    relabelled = _still_ignored(drawn, -1, 2, 2)
    assert relabelled[0].y_true.tolist() == [[2, 2], [0, 1]] and relabelled[0].y_true.dtype == np.int64
    assert _still_ignored(drawn, 0, 2, 2) is drawn and _still_ignored(drawn, None, 2, 2) is drawn
    ctx = _library_context("ConfusionMatrix[task=multilabel]", "torchmetrics", {"ignore_index": 2})
    words, failure = behaviour(ctx, "label C", relabelled)
    assert "as ignore_index=2 documents" in words and failure is None, words
    kind = by_name()["label C"]  # left -1 under the policy: an error where the relabelled stream computes
    judged = judge_kind(ctx, kind, drawn, kind.locate(drawn, 2), Example(drawn), CleanOutcome(ctx, relabelled))
    assert "raises RuntimeError" in judged.behaviour and judged.failure is not None, judged


def test_an_error_the_stream_gives_without_the_bad_value_is_not_the_policy_s() -> None:
    """Under ignore_index=C, MultilabelFBetaScore(multidim_average='samplewise') raises on a stream of a two-sample
    update then a one-sample one, with or without the label C (the one-sample counts squeezed to (L,)): not the
    policy's failure. Where the same stream without the bad value computes, the error is the policy's."""
    from conformance.bad_inputs import CleanOutcome as Clean

    kind = by_name()["label C"]
    ctx = _library_context("FBetaScore[average=weighted,beta=0.5,threshold=0.5]", "torchmetrics",
                           {"ignore_index": 2, "multidim_average": "samplewise"})
    two = batch([[[2, 0]], [[0, 0]]], [[[0.0, 0.0]], [[0.0, 0.0]]], num_classes=2)  # (N, X, L): a label C
    one = batch([[[0, 0]]], [[[0.0, 0.0]]], num_classes=2)
    clean_two = batch([[[0, 0]], [[0, 0]]], two.y_pred, num_classes=2)
    stream = [two, one]
    at = kind.locate(stream, 2)
    # The library's declaration of that error explains it first; without it, the rule alone decides.
    judged = judge_kind(ctx, kind, stream, at, Example(stream), Clean(ctx, [clean_two, one]))
    assert judged.failure is None and "as documented" in judged.behaviour, judged
    ctx.judge.known_differences = list
    judged = judge_kind(ctx, kind, stream, at, Example(stream), Clean(ctx, [clean_two, one]))
    assert judged.failure is None and judged.behaviour is None, judged
    judged = judge_kind(ctx, kind, stream, at, Example(stream), Clean(ctx, [clean_two, clean_two]))
    assert judged.failure is not None and "raises RuntimeError" in judged.behaviour, judged

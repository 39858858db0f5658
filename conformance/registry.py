"""The one registry of properties: each written once, applied to every target its ``targets`` name.

A library's metric and a user's get the same property wherever it makes sense for both: torchmetrics' own
metrics go through ``forward()``, ``merge_state`` and a real two-process sync as a user's torchmetrics metric does,
Keras' own through ``get_config``/``from_config`` and the stateless API. ``conformance run``, ``conformance check``,
the suites, the plugin, ``conformance list``, the report's badges and the docs all read this tuple.
"""

from __future__ import annotations

from conformance.bad_inputs import check_bad_inputs
from conformance.input_dtypes import check_input_dtypes
from conformance.properties import (
    LIBRARY_TARGETS,
    USER_TARGETS,
    Property,
    check_agreement,
    check_batch_accumulation,
    check_batch_average_pitfall,
    check_execution_modes,
    check_order_invariance,
    check_reset,
    check_result_idempotence,
    check_sample_weights,
    check_shape_conventions,
    compiled_modes_to_compare,
    presentations_to_compare,
)
from conformance.usercheck import checks_common as common
from conformance.usercheck import checks_function as function_checks
from conformance.usercheck import checks_keras as keras_checks
from conformance.usercheck import checks_model as model_checks
from conformance.usercheck import checks_torch as torch_checks

STATEFUL = ("keras", "torchmetrics", "user keras", "user torchmetrics", "user function")
KERAS = ("keras", "user keras")
TORCHMETRICS = ("torchmetrics", "user torchmetrics")
COMPILED = ("user keras", "user function")  # what compile() and fit() run: a user's metric or function
TRAINED = ("keras", *COMPILED)  # what a real model.evaluate() and model.fit() run: Keras' own metrics and users'
LONG_STREAMS = ("keras", "torchmetrics", *USER_TARGETS)  # every stateful metric (a function: compile()'s wrapper)
# Judged as batch_accumulation: each of these feeds the metric a stream of batches, as batch_accumulation does, so a
# declaration of what the library does on such a stream (its convention, an error on an empty batch) holds there too.
ACCUMULATES = ("batch_accumulation",)

PROPERTIES: tuple[Property, ...] = (
    Property("agreement", "The library's value on the whole data equals the reference.", check_agreement),
    Property("batch_accumulation", "Fed batch by batch (uneven, single-sample, empty and many batches), the "
             "metric's final value equals the reference on the whole data.", check_batch_accumulation,
             needs_state=True),
    Property("batch_average_pitfall", "Averaging per-batch values (as Keras compile(metrics=[fn]) does) gives "
             "the whole-data value: exact for means of per-sample values; for other metrics the gap is measured.",
             check_batch_average_pitfall),
    # reset and execution_modes compare the library with itself on metric objects built for each example and
    # updated eagerly (for Keras 10-60x the cost of a pooled, compiled update). A reset that leaves state behind,
    # or a compiled update that differs, shows on most streams that fill the state: 10 examples in ci, all in
    # thorough; execution_modes one in smoke (each traces the update anew: 43 s of CPU over the smoke matrix at 3).
    Property("reset", "After reset, the metric behaves as a new one.", check_reset, needs_state=True,
             fresh_metrics=True, examples=(10, 300)),
    Property("result_idempotence", "result() gives the same value twice, and calling it between updates (as "
             "fit() does for its progress bar) does not change the final value.", check_result_idempotence,
             needs_state=True),
    Property("order_invariance", "Shuffling the samples does not change the value.", check_order_invariance),
    Property("sample_weights", "Weights of one equal no weights; an integer weight k equals k copies; weight 0 "
             "equals dropping the sample; scaling all weights scales sums and leaves ratios unchanged.",
             check_sample_weights, needs_weights=True),
    Property("shape_conventions", "Per-sample inputs as (n,) or (n, 1), mixed as model.fit() passes them, give "
             "the same value.", check_shape_conventions, applies=presentations_to_compare),
    # For a user's metric graph_mode compares its update and result compiled with eager ones.
    Property("execution_modes", "Updated eagerly or compiled as model.fit() runs it (tf.function; XLA and jax.jit "
             "in the thorough profile), the metric gives the same value.", check_execution_modes, needs_state=True,
             examples=(10, 300, 1), targets=LIBRARY_TARGETS, applies=compiled_modes_to_compare),
    # One example, presented in each dtype in one go (one update each: the values are the dtype's, accumulation is
    # batch_accumulation's); agreement's declarations (the libraries' conventions) hold in every dtype. Eager: a
    # pooled object per presentation, each compiled update traced anew would cost seconds per Keras metric (whether
    # compiled updates agree with eager ones is execution_modes'). Smoke: 2 examples (each runs every presentation,
    # 7-9 metric runs): 65 s -> 30 s over the smoke matrix; ci and thorough go deeper.
    Property("input_dtypes", "Predictions, real targets and weights as float16, bfloat16, float32 or float64 "
             "(float64 with the metric set to compute in it), labels as int64, int32, booleans or floats, and Keras "
             "metrics under the mixed_float16 policy give the reference within the tolerance of the dtype the "
             "library computes in: a narrower computation, an overflow or a documented dtype refused is a finding.",
             check_input_dtypes, examples=(10, 100, 2), judged_as=("agreement",), mode="eager"),
    Property("empty_batches", "Empty batches before, between and after the data change nothing.",
             common.check_empty_batches, targets=STATEFUL, judged_as=ACCUMULATES),
    # The two long streams feed 131,072 and 2^24 samples (seconds per example): one judged example per library metric
    # in ci (a precision limit shows on any stream that fills the state; counts_past_2_24 draws up to 6 and stops at
    # the first it can judge), updates compiled (Keras' graph mode, the pooled metric); the smoke profile runs them on
    # one metric per state trait (Property.deep).
    Property("long_stream", "131,072 samples in 4096-sample batches, then single samples, give the reference (a "
             "float16 counter stops at 2048 and overflows at 65,504).", common.check_long_stream,
             examples=(3, 10), library_examples=(1, 10), shrink=False, targets=LONG_STREAMS, judged_as=ACCUMULATES,
             must_judge=True, deep=common.state_trait, applies=common.streams_fit),
    Property("counts_past_2_24", "After 2^24 samples, single-sample updates still count (a float32 counter stops "
             "at 2^24).", common.check_counts_past_2_24, examples=(2, 5), shrink=False,
             library_examples=(6, 8), targets=("keras", "torchmetrics", "user keras", "user torchmetrics"),
             judged_as=ACCUMULATES, must_judge=True, deep=common.state_trait, applies=common.counts_fit),
    Property("reset_then_result", "result() right after reset() equals a new metric's (no stale cache).",
             common.check_reset_then_result, targets=(*KERAS, *TORCHMETRICS), fresh_metrics=True,
             judged_as=ACCUMULATES),
    Property("config_round_trip", "from_config(get_config()) mid-stream gives a metric that behaves as a new one.",
             keras_checks.check_config_round_trip, examples=(10, 50), targets=KERAS, judged_as=ACCUMULATES),
    Property("stateless_api", "stateless_update_state / stateless_result agree with the stateful API.",
             keras_checks.check_stateless_api, examples=(10, 50), targets=KERAS, judged_as=ACCUMULATES),
    Property("graph_mode", "update_state and result under tf.function agree with eager.",
             keras_checks.check_graph_mode, examples=(8, 40), targets=COMPILED,
             applies=keras_checks.tensorflow_backend),
    # A real training loop costs a compiled model per metric and input shape (kept on the adapter, shared by the
    # examples and by both properties) and ~0.1 s per call: a few examples each; the smoke profile runs one example
    # on one metric per way the loop presents the inputs.
    Property("model_evaluate", "Inside model.evaluate(x, y, sample_weight=w, batch_size=b) of a model that outputs "
             "its input (weighted examples through weighted_metrics, the last batch short), the metric gives the "
             "reference.", model_checks.check_model_evaluate, examples=(6, 30), library_examples=(3, 30, 1),
             targets=TRAINED, applies=model_checks.compiles, judged_as=(*ACCUMULATES, "shape_conventions"),
             must_judge=True, deep=model_checks.presentation_trait),
    Property("model_fit", "One epoch of model.fit(x, y, batch_size=b, shuffle=False) of a model that outputs its "
             "input: the last batch's logs, History and the progress bar's final value give the reference.",
             model_checks.check_model_fit, examples=(4, 20), library_examples=(2, 20, 1), targets=TRAINED,
             applies=model_checks.compiles,
             judged_as=(*ACCUMULATES, "shape_conventions"), must_judge=True, deep=model_checks.presentation_trait),
    Property("compile_identifiers", "Each string identifier a user gives compile(metrics=[...]) for this metric's "
             "output and loss ('accuracy', 'AUC', 'mse', ...) resolves to it: what it resolved to is noted, its "
             "value in evaluate() judged.", model_checks.check_compile_identifiers, examples=(2, 10, 1),
             targets=("keras",), applies=model_checks.has_identifiers,
             judged_as=("agreement", *ACCUMULATES, "shape_conventions"), must_judge=True,
             deep=model_checks.presentation_trait, draws_parameters=False),
    Property("legacy_reset_name", "A Keras 2 reset_states() override without reset_state() fails where Keras 3's "
             "reset_state() leaves what it would reset.", keras_checks.check_legacy_reset_name, examples=(10, 30),
             targets=("user keras",)),
    Property("forward", "forward() returns the batch's value and accumulates it once (a library's metric on the "
             "path its class declares; a user's with full_state_update True and False); a forward() that raises "
             "keeps the earlier state.", torch_checks.check_forward, targets=TORCHMETRICS,
             judged_as=("agreement", *ACCUMULATES)),  # each batch's value, as agreement; the end, accumulated
    Property("merge_state", "merge_state of metrics fed different parts equals one metric fed all.",
             torch_checks.check_merge_state, targets=TORCHMETRICS, fresh_metrics=True,
             applies=torch_checks.mergeable, judged_as=ACCUMULATES),
    # Two forked ranks an example: one example per library metric in smoke (40 s of CPU over the matrix at 3).
    Property("distributed_sync", "Two torch.distributed (gloo) processes fed uneven parts, or one of them none, "
             "sync to the whole-data value.", torch_checks.check_distributed_sync, examples=(10, 50),
             library_examples=(10, 50, 1), targets=TORCHMETRICS,
             applies=torch_checks.importable, judged_as=ACCUMULATES),
    Property("state_round_trip", "pickle and state_dict round trips mid-stream resume exactly.",
             torch_checks.check_state_round_trip, targets=TORCHMETRICS, judged_as=ACCUMULATES),
    Property("add_state", "update() keeps its state in add_state states, not plain attributes.",
             torch_checks.check_add_state, examples=(5, 20), targets=TORCHMETRICS, judged_as=ACCUMULATES),
    # Every kind of bad input that applies is tried in each example (one stream each), so few examples cover them
    # (one in the smoke pass over the matrix: ~0.3 s per Keras case, ~0.05 s per other): the behaviour is mostly
    # deterministic in the bad value, and the readings that hide it show on any example.
    Property("bad_inputs", "NaN and infinities, labels outside [0, C), probabilities outside [0, 1], mismatched "
             "lengths and shapes, negative and NaN weights: the library raises or returns NaN (recorded), or a "
             "number its definition or a documented policy gives; a number that hides the bad value fails.",
             check_bad_inputs, examples=(3, 30, 1), judged_as=("agreement", *ACCUMULATES, "sample_weights")),
    Property("compile_average", "What compile(metrics=[fn]) reports over drawn batch sizes equals the whole-data "
             "reference (exact for per-sample values, not for per-batch ones).", function_checks.check_compile_average,
             targets=("user function",)),
)


def by_name() -> dict[str, Property]:
    return {p.name: p for p in PROPERTIES}


def applicable(target_kind: str) -> list[Property]:
    """The properties that apply to targets of this kind (see ``Adapter.target_kind``), in registry order."""
    return [p for p in PROPERTIES if target_kind in p.targets]

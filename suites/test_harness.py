"""The harness's own parts: tolerance model, data model, strategies, results, report, CLI."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import strategies as cs
from conformance.catalogue import CATALOGUE, KnownDifference, compile_identifiers
from conformance.data import Example, concatenate
from conformance.results import Finding, RunResult, write_atomically
from conformance.tolerance import RATIO, SUM, UNIT_ROUNDOFF, compare, tolerance_for

ROOT = Path(__file__).resolve().parents[1]


# -- tolerance --------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.floats(0, 1e6, width=32), min_size=1, max_size=300), st.integers(1, 8))
def test_the_bound_of_one_sum_covers_float32_recursive_summation(values: list[float], batches: int) -> None:
    """A count or total summed in float32, batch by batch into a running state, lies within the bound of one sum
    (growth SUM) of the float64 sum of the same (float32-exact) values: the bound follows the arithmetic."""
    terms = np.asarray(values, np.float32)
    state = np.float32(0)
    for part in np.array_split(terms, batches):
        partial = np.float32(0)
        for value in part:
            partial = np.float32(partial + value)
        state = np.float32(state + partial)
    exact = float(np.sum(terms, dtype=np.float64))
    bound = tolerance_for("float32", len(terms), batches, growth=SUM, scale=0.0).bound(np.asarray(exact))
    assert abs(float(state) - exact) <= bound


def test_the_bound_is_tight_enough_to_catch_one_lost_term() -> None:
    """The bound is not loose: a float32 total that lost one term of 1 among 1000 terms of 1 is off by more than
    the bound of a ratio (growth RATIO) on 1000 samples, and a float64 computation is held ~2^29 times tighter."""
    bound = tolerance_for("float32", 1000, growth=RATIO, scale=1.0).bound(np.asarray(1.0))
    assert bound < 1 / 1000
    float64 = tolerance_for("float64", 1000, growth=RATIO, scale=1.0).bound(np.asarray(1.0))
    assert float64 < bound / 2**28


def test_tolerance_never_below_four_ulps() -> None:
    """Even a formula with no accumulated error is allowed its last roundings (4 ulps), no less."""
    assert tolerance_for("float32", 0, 0, growth=0.01, scale=0).rtol == 4 * UNIT_ROUNDOFF["float32"]


def test_compare_treats_nan_and_shape_strictly() -> None:
    bound = tolerance_for("float32", 10, growth=2, scale=1)
    assert compare(np.nan, np.nan, bound)[0]
    assert not compare(np.nan, 0.5, bound)[0]
    assert not compare(np.array([0.5, 0.5]), np.array(0.5), bound)[0]
    assert compare(0.5 + 1e-7, 0.5, bound)[0] and not compare(0.5 + 1e-4, 0.5, bound)[0]


EDGE_NUMBERS = (0.0, -0.0, 0.5, -3.0, 1e300, np.nan, np.inf, -np.inf)


@pytest.mark.parametrize("observed", EDGE_NUMBERS)
@pytest.mark.parametrize("expected", EDGE_NUMBERS)
def test_compare_of_two_numbers_agrees_with_the_array_comparison(observed: float, expected: float) -> None:
    """One number each takes a plain-float path: it must say what the array path says, NaN and infinities too."""
    bound = tolerance_for("float32", 10, growth=2, scale=1)
    numbers = compare(np.float64(observed), np.float64(expected), bound)
    arrays = compare(np.array([observed]), np.array([expected]), bound)
    assert numbers[0] == arrays[0] and numbers[2] == arrays[2]
    assert numbers[1] == arrays[1] or (np.isnan(numbers[1]) and np.isnan(arrays[1]))


# -- data and strategies ----------------------------------------------------------------------

@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.integers(1, 20).flatmap(lambda n: cs.multiclass_inputs(n)), st.data())
def test_batches_cover_every_sample_once_and_round_trip_through_json(batch, data) -> None:
    sizes = data.draw(st.lists(st.integers(0, len(batch)), max_size=4).map(sorted))
    sizes = [b - a for a, b in itertools.pairwise([0, *sizes, len(batch)])]
    batches = batch.split(sizes)
    assert [len(b) for b in batches] == sizes
    whole = concatenate(batches)
    np.testing.assert_array_equal(whole.y_pred, batch.y_pred)
    reloaded = Example.from_json(json.loads(json.dumps(Example(batches).to_json())))
    for original, back in zip(batches, reloaded.batches, strict=True):
        assert back.y_pred.dtype == original.y_pred.dtype
        np.testing.assert_array_equal(back.y_pred, original.y_pred)
        np.testing.assert_array_equal(back.y_true, original.y_true)


def test_strategies_reach_the_edges() -> None:
    """The edges are drawn on purpose, not left to chance: find each one."""
    from hypothesis import find

    find(cs.batch_sizes(10), lambda sizes: 0 in sizes and 1 in sizes and len(sizes) > 3)
    binary = st.integers(1, 10).flatmap(cs.binary_inputs)
    multiclass = st.integers(1, 10).flatmap(cs.multiclass_inputs)
    find(binary, lambda b: (b.y_pred == np.float32(0.5)).any())
    find(binary, lambda b: len(b) > 2 and len(np.unique(b.y_true)) == 1)
    find(st.integers(1, 10).flatmap(lambda n: cs.binary_inputs(n, logits=True)), lambda b: (b.y_pred > 1).any())
    find(multiclass, lambda b: (b.y_pred == b.y_pred.max(1, keepdims=True)).sum(1).max() > 1)
    find(multiclass, lambda b: len(np.unique(b.y_true)) < b.num_classes)
    find(cs.sample_weights(5), lambda w: w is not None and not w.any())
    find(st.integers(1, 5).flatmap(lambda n: cs.regression_inputs(n)), lambda b: np.abs(b.y_true).max() >= 1e15)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(0, 30).flatmap(lambda n: st.tuples(cs.float_arrays(n, -8.0, 8.0), cs.float_arrays(n, 1e-3, 1e3))))
def test_float_arrays_stay_in_their_range(arrays) -> None:
    signed, positive = arrays
    assert signed.dtype == positive.dtype == np.float32
    assert np.all((signed >= -8) & (signed <= 8)) and np.all((positive >= np.float32(1e-3)) & (positive <= 1e3))


def test_arrays_are_one_choice_and_shrink_element_by_element() -> None:
    """A whole array is one drawn byte string, yet a failure shrinks each element on its own: to the fewest,
    smallest values that still fail, and subnormals are reached."""
    from hypothesis import find

    def minimal(strategy, condition):
        return find(strategy, condition, settings=settings(derandomize=True, database=None))

    two_above = minimal(cs.float_arrays(4, 0.0, 1.0), lambda a: (a > 0.5).sum() >= 2)
    assert two_above[:2].tolist() == [0, 0] and np.all((two_above[2:] > 0.5) & (two_above[2:] < 0.5 + 1e-6))
    subnormal = minimal(cs.float_arrays(3, 0.0, 1.0), lambda a: ((a > 0) & (a < 1.2e-38)).any())
    assert sorted(subnormal) == [0, 0, np.float32(1.4e-45)]  # the smallest subnormal, and zeros
    below = minimal(cs.float_arrays(3, -8.0, 8.0), lambda a: (a < -1).any())
    assert -1.00001 < below[0] < -1 and below[1:].tolist() == [0, 0]
    assert minimal(cs.batch_sizes(24), lambda sizes: len(sizes) >= 3 and 0 in sizes) == [0, 0, 1]
    assert sorted(minimal(cs.permutations(5), lambda order: order[0] != 0)) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match=r"high must be in \[0, 255\], got 300"):
        cs.indices(3, 300)


def test_both_classes_are_kept_when_asked() -> None:
    from hypothesis import find

    both = st.integers(2, 10).flatmap(lambda n: cs.binary_inputs(n, both_classes=True))
    with pytest.raises(Exception, match=r"No examples found|Could not find"):
        find(both, lambda b: len(np.unique(b.y_true)) < 2)


def test_a_ranking_domain_meets_one_class_data_in_one_example_of_eight() -> None:
    """The ranking domain keeps both classes in most examples (where its search for wrong values is) and holds one
    class only in the others: all 0, all 1, a single sample; each shrinks to its smallest."""
    from hypothesis import find

    from conformance.domains import BINARY_RANKING

    assert BINARY_RANKING.min_samples == 1 and BINARY_RANKING.both_classes
    drawn = st.integers(1, 10).flatmap(BINARY_RANKING.inputs)
    assert find(drawn, lambda b: len(b) >= 2 and not b.y_true.any()).y_true.tolist() == [0, 0]
    assert find(drawn, lambda b: len(b) >= 2 and b.y_true.all()).y_true.tolist() == [1, 1]
    assert len(find(drawn, lambda b: True)) == 1
    headers = np.arange(256)
    labels = np.array([0, 0, 1])
    one_class = [len(np.unique(cs.decode_binary_targets(h, labels.copy(), True, True))) == 1 for h in headers]
    assert sum(one_class) == 2 * 256 // 8  # headers 6 and 7 of every 8


# -- catalogue --------------------------------------------------------------------------------

# compile_identifiers' declarations are scoped by the identifier they are declared for: the library's message
# names it (``raises`` matches "Could not interpret metric identifier: crossentropy" only for that row).
PER_IDENTIFIER = [known for declared in compile_identifiers.DECLARED.values() for known in declared]


def test_every_known_difference_says_what_why_and_where() -> None:
    for spec in CATALOGUE:
        for known in spec.known:
            assert known.what and known.cause and known.where, (spec.id, known)
            assert known.library in spec.bindings, (spec.id, known.library)
            assert (known.raises is None) or known.trigger is not None or known.layouts or known.dtypes or (
                known.evidence) or known in PER_IDENTIFIER, (
                "a documented exception needs its trigger (or the layouts, dtypes or compile() identifier it is "
                "raised for)")


def test_a_backend_specific_known_difference_applies_on_that_backend_only() -> None:
    """Keras' top-k ties differ on the torch backend alone: TensorFlow and JAX must still match the reference."""
    spec = next(spec for spec in CATALOGUE if spec.id == "Precision[top_k=2]")
    torch_only = [k for k in spec.known if k.library == "keras" and k.backends == ("torch",)]
    assert torch_only and torch_only[0].to_json()["backends"] == "torch"
    assert torch_only[0] in spec.known_for("keras", "agreement", "torch")
    elsewhere = spec.known_for("keras", "agreement", "tensorflow") + spec.known_for("keras", "agreement", "jax")
    assert all(known is not torch_only[0] for known in elsewhere)


def test_a_convention_undefined_explains_nan_and_only_the_declared_infinities(profile) -> None:
    """Keras-on-JAX's PearsonCorrelation of a constant input is inf where the coefficient is NaN: explained only
    by a known difference that declares ±inf for an undefined value, and never where the reference is a number."""
    from conformance.adapters import get_adapter
    from conformance.context import Context
    from conformance.data import Batch

    spec = next(s for s in CATALOGUE if s.id == "PearsonCorrelation")
    ctx = Context(spec, get_adapter("keras"), spec.bindings["keras"], "agreement", profile)
    declared = next(k for k in spec.known if k.undefined_as)
    undeclared = KnownDifference("keras", what="-", cause="-", where="-")
    constant = [Batch(np.full(7, -3.0, np.float32), np.full(7, -3.0, np.float32))]
    varied = [Batch(np.array([1.0, 2.0, 4.0], np.float32), np.array([1.0, 3.0, 2.0], np.float32))]
    tolerance = ctx.judge.tolerance(constant)
    assert ctx.judge.follows(declared, np.asarray(np.inf), constant, tolerance)
    assert ctx.judge.follows(declared, np.asarray(np.nan), constant, tolerance)
    assert ctx.judge.follows(undeclared, np.asarray(np.nan), constant, tolerance)
    assert not ctx.judge.follows(undeclared, np.asarray(np.inf), constant, tolerance)
    assert not ctx.judge.follows(declared, np.asarray(np.inf), varied, tolerance)
    assert not ctx.judge.follows(declared, np.asarray(1.0), constant, tolerance)


def test_metric_ids_are_unique_and_readable() -> None:
    ids = [spec.id for spec in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert "AUC[curve=PR]" in ids and "AUC" in ids


def test_an_unexplained_difference_is_a_failure_not_known(profile) -> None:
    """A known difference whose convention does not match the library must not excuse it."""
    from dataclasses import replace

    from conformance.engine import Case, run_case
    from conformance.registry import by_name

    spec = next(s for s in CATALOGUE if s.id == "AUC")
    wrong = KnownDifference("keras", what="wrong", cause="wrong", where="nowhere",
                            reference=spec.known[0].reference, overrides={"curve": "ROC", "num_thresholds": 3})
    finding = run_case(Case(replace(spec, known=(wrong,)), "keras", by_name()["agreement"]), profile)
    assert finding.outcome == "fail" and finding.example is not None


# -- results and report -----------------------------------------------------------------------

def test_results_round_trip(tmp_path: Path) -> None:
    result = RunResult(findings=[Finding("AUC", "keras", "agreement", "known", cause={"what": "w"})],
                       versions={"keras": "3"}, seed=7)
    result.save(tmp_path / "r.json")
    loaded = RunResult.load(tmp_path / "r.json")
    assert loaded.findings[0].cause == {"what": "w"} and loaded.seed == 7 and loaded.counts()["known"] == 1


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(TypeError):  # the write fails half-way (a non-string)
        write_atomically(target, object())  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_report_escapes_names_messages_and_values() -> None:
    from conformance.report import render

    hostile = Finding("<script>alert(1)</script>", "keras", "agreement", "error",
                      message="<b>boom</b> \"quoted\"", library_value='"><img src=x>')
    html = render(RunResult(findings=[hostile]))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>boom</b>" not in html and "<img src=x>" not in html


def test_merge_keeps_conflicting_duplicates() -> None:
    from conformance.report import merge

    a = RunResult(findings=[Finding("AUC", "keras", "agreement", "pass")])
    b = RunResult(findings=[Finding("AUC", "keras", "agreement", "pass"), Finding("AUC", "keras", "agreement", "fail")])
    assert [f.outcome for f in merge([a, b]).findings] == ["pass", "fail"]


# -- command line -----------------------------------------------------------------------------

def conformance(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True, cwd=cwd)


def test_help_does_not_import_tensorflow_or_torch() -> None:
    code = ("import sys; from conformance.cli import main\n"
            "try: main(['--help'])\nexcept SystemExit: pass\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'torch', 'keras', 'jax')]\n"
            "print('HEAVY', heavy)")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).stdout
    assert "HEAVY []" in output and "run" in output


@pytest.mark.parametrize("args", [
    ("run", "--metrics", "NoSuchMetric"),
    ("run", "--libraries", "caffe"),
    ("run", "--profile", "forever"),
    ("report", "does-not-exist.json"),
    ("frobnicate",),
    ("run", "--shard", "3/2"),
    ("run", "--jobs", "0"),
    ("run", "--profile", "replay"),
    ("run", "--profile", "replay", "--replay-from", "does-not-exist.json"),
])
def test_bad_usage_is_one_line_and_exit_2(args) -> None:
    process = conformance(*args)
    assert process.returncode == 2
    assert len(process.stderr.strip().splitlines()) == 1 and "Traceback" not in process.stderr


def test_list_shows_every_metric_its_bindings_and_what_is_absent() -> None:
    rows = json.loads(conformance("list", "--json").stdout)
    assert {r["metric"] for r in rows} == {s.id for s in CATALOGUE}
    auc = next(r for r in rows if r["metric"] == "AUC")["libraries"]
    assert auc["keras"]["binding"].startswith("keras.metrics.AUC(")
    assert auc["sklearn"]["binding"] == "sklearn.metrics.roc_auc_score(max_fpr=None)"  # a drawn parameter's default
    for row in rows:
        for library, cell in row["libraries"].items():
            assert cell["binding"] or cell["absent"], f"{row['metric']} · {library}: neither bound nor explained"

    table = conformance("list").stdout
    for spec in CATALOGUE:
        assert spec.id in table
        for library, why in spec.absent.items():
            assert f"{spec.id} · {library}: {why}" in table


def test_list_properties_is_the_registry_with_each_property_s_targets() -> None:
    from conformance.registry import PROPERTIES

    rows = json.loads(conformance("list", "--properties", "--json").stdout)
    assert [(r["property"], tuple(r["targets"])) for r in rows] == [(p.name, p.targets) for p in PROPERTIES]
    text = conformance("list", "--properties").stdout
    assert all(p.name in text for p in PROPERTIES)


def test_run_writes_json_and_html_and_exits_by_outcome(tmp_path: Path) -> None:
    process = conformance("run", "--metrics", "BinaryAccuracy,AUC", "--libraries", "sklearn",
                          "--json", str(tmp_path / "r.json"), "--report", str(tmp_path / "r.html"), "--quiet")
    assert process.returncode == 0, process.stdout + process.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert {"versions", "seed", "profile", "findings", "summary"} <= set(result)
    outcomes = [f["outcome"] for f in result["findings"]]
    assert set(outcomes) <= {"pass", "known", "skip"} and "pass" in outcomes  # nothing unexpected, and judged
    assert all(f["examples_run"] > 0 for f in result["findings"] if f["outcome"] != "skip")
    assert sum(result["summary"].values()) == len(outcomes)
    assert "sklearn" in result["versions"]
    assert "<table id=\"matrix\">" in (tmp_path / "r.html").read_text()
    assert "total" in process.stdout

    merged = conformance("report", str(tmp_path / "r.json"), str(tmp_path / "r.json"), "-o", str(tmp_path / "m.html"))
    assert merged.returncode == 0 and (tmp_path / "m.html").exists()


def test_counts_past_2_24_leaves_out_a_value_per_sample_without_feeding_it() -> None:
    """A metric of one value per sample (torchmetrics' CosineSimilarity(reduction='none')) has no count to stop
    growing, and its n samples weighing 2^24 / n give n values where the stream gives 2^24: the property leaves the
    example out, judged none (it once subtracted a value of 4 entries from one of 8: a broadcasting error)."""
    pytest.importorskip("torchmetrics")
    from conformance.adapters import get_adapter
    from conformance.catalogue import by_id
    from conformance.context import Context
    from conformance.profiles import PROFILES
    from conformance.usercheck.checks_common import check_counts_past_2_24

    spec = by_id()["CosineSimilarity"]
    ctx = Context(spec, get_adapter("torchmetrics"), spec.bindings["torchmetrics"], "counts_past_2_24",
                  PROFILES["ci"])
    ctx.subject.use_parameters({"reduction": "none"})

    @settings(max_examples=3, database=None, deadline=None)
    @given(st.data())
    def check(data) -> None:
        check_counts_past_2_24(ctx, data)
        assert ctx.tally.judged == 0 and ("one entry per sample" in ctx.tally.unjudgeable
                                         or "keeps every sample in list states" in ctx.tally.unjudgeable)
    check()


def test_every_padded_curve_class_is_declared_with_its_curve_of_no_sample() -> None:
    """torchmetrics' padding label reaches every curve class drawn with it: each one that takes ``thresholds`` (an
    exact curve where it is None, through _binary_clf_curve) carries the IndexError of a curve left with no sample,
    in its task's form (binary and multiclass: every target ignored; multilabel: a label's every cell)."""
    import inspect

    torchmetrics = pytest.importorskip("torchmetrics.classification")
    from conformance.catalogue.library_wide import (
        EXACT_CURVES,
        PADDING_PER_CELL,
        PADDING_PER_SAMPLE,
        TORCHMETRICS_CURVE_OF_NOTHING,
    )

    padded = PADDING_PER_SAMPLE | PADDING_PER_CELL
    curves = {name for name in padded if hasattr(torchmetrics, name)
              and "thresholds" in inspect.signature(getattr(torchmetrics, name)).parameters}
    assert curves == EXACT_CURVES & padded
    bound = {spec.id: spec.bindings["torchmetrics"].target.rsplit(".", 1)[-1] for spec in CATALOGUE
             if "torchmetrics" in spec.bindings and any(p.name == "ignore_index" for p in spec.space)}
    assert set(bound.values()) >= curves
    for spec in CATALOGUE:
        if bound.get(spec.id) in curves:
            assert TORCHMETRICS_CURVE_OF_NOTHING[bound[spec.id]] in spec.known, spec.id


def test_forward_raising_on_every_batch_is_the_finding_not_compute_on_nothing() -> None:
    """A stream whose every forward() raised leaves a metric that never took data: that error is judged (here the
    declared empty-batch defect: every document ignored), not what compute() does on nothing."""
    pytest.importorskip("torchmetrics")
    from conformance.adapters import get_adapter
    from conformance.catalogue import batch, by_id
    from conformance.context import Context
    from conformance.failures import Explained, LibraryError
    from conformance.profiles import PROFILES
    from conformance.usercheck.checks_torch import forward_stream

    spec = by_id()["RetrievalMAP"]
    ctx = Context(spec, get_adapter("torchmetrics"), spec.bindings["torchmetrics"], "forward", PROFILES["ci"])
    ctx.subject.use_parameters({"ignore_index": -1})
    with pytest.raises(Explained) as explained:
        forward_stream(ctx, [batch([[-1, -1]], [[0.25, 0.5]], num_classes=2)], False)
    assert "reject an empty batch" in explained.value.observation.known.what
    ctx.subject.use_parameters({"ignore_index": None})  # a raise nothing declares: a library error with its message
    with pytest.raises(LibraryError, match="forward\\(\\) raised on every batch: ValueError: `target` must contain"):
        forward_stream(ctx, [batch([[2, 0]], [[0.25, 0.5]], num_classes=2)], False)


def test_a_rank_that_aborts_says_why_in_the_error_and_leaves_no_log() -> None:
    """gloo aborts a rank whose gathered sizes differ (MultilabelRecall samplewise: one rank's one-sample state is
    squeezed to (L,), the other's is (N, L)); what the rank printed as it died is in the error, not on the terminal."""
    pytest.importorskip("torchmetrics")
    import glob
    import tempfile

    from conformance.usercheck.distributed import WorkerError, shared_pool

    one = ((np.zeros((1, 2, 1), np.float32), np.zeros((1, 2, 1), np.int64)), {})  # (N, L, X)
    two = ((np.zeros((2, 2, 1), np.float32), np.zeros((2, 2, 1), np.int64)), {})
    pool = shared_pool()
    pids = [rank.pid for rank in pool.ranks]
    with pytest.raises(WorkerError) as raised:
        pool.compute("torchmetrics.classification:MultilabelRecall",
                     {"num_labels": 2, "multidim_average": "samplewise"}, [[one], [two]])
    assert "worker died" in str(raised.value) and "size" in str(raised.value), raised.value
    assert not [pid for pid in pids if glob.glob(f"{tempfile.gettempdir()}/conformance-rank-{pid}.log")]

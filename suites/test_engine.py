"""The engine's ways of running: shards, processes, and replaying recorded examples."""

from __future__ import annotations

import contextlib

import pytest

from conformance import engine
from conformance.profiles import PROFILES

pytest.importorskip("sklearn")


def test_shards_split_every_case_once_and_the_same_way_each_time() -> None:
    cases = engine.plan()
    shards = [engine.shard(cases, index, 3) for index in (1, 2, 3)]
    ids = [[case.id for case in shard] for shard in shards]
    assert sorted(i for shard in ids for i in shard) == sorted(case.id for case in cases)
    assert ids == [[case.id for case in engine.shard(engine.plan(), index, 3)] for index in (1, 2, 3)]
    for shard in shards:  # a metric x library's properties stay together; every library gets a share
        units = {(case.spec.id, case.library) for case in shard}
        assert all(sum(c.spec.id == m and c.library == lib for c in shard)
                   == sum(lib in p.targets for p in engine.PROPERTIES) for m, lib in units)
        assert {case.library for case in shard} == {case.library for case in cases}


@pytest.mark.parametrize("text", ["0/2", "3/2", "a/b", "2"])
def test_a_bad_shard_is_a_usage_error(text: str) -> None:
    with pytest.raises(engine.UsageError, match="--shard"):
        engine.parse_shard(text)


def sklearn_cases() -> list[engine.Case]:
    return engine.plan(["Precision", "F1Score[average=macro]", "MeanSquaredError"], ["sklearn"],
                       ["agreement", "batch_average_pitfall", "order_invariance"])


def test_two_processes_find_what_one_finds_in_the_same_order() -> None:
    cases = sklearn_cases()
    alone = engine.run(cases, "ci").findings
    shared = engine.run(cases, "ci", jobs=2).findings
    keys = [(c.spec.id, "sklearn", None, c.prop.name) for c in cases]
    assert [f.key for f in shared] == [f.key for f in alone] == keys
    # Fresh processes find the same examples whatever their hash seed; this pytest process has run other
    # Hypothesis tests before, which changes what it draws (not traced yet), so outcomes are compared, not examples.
    assert [f.outcome for f in shared] == [f.outcome for f in alone]
    assert {f.outcome for f in alone} == {"pass", "known"}  # the F-scores' per-batch gaps; MSE's exact mean
    assert all(f.examples_run > 0 for f in alone + shared)
    assert all(f.example is None or f.replay for f in shared)  # every example can be replayed


def test_replay_runs_exactly_the_recorded_example_and_finds_it_again() -> None:
    recorded = engine.run(sklearn_cases(), "ci")
    replayable = [f for f in recorded.findings if f.replay]
    assert {f.outcome for f in replayable} == {"known"}  # F1 and Precision gaps, all-zero weights raising
    cases, replays = engine.replay_plan(recorded, sklearn_cases())
    again = engine.run(cases, "ci", replays=replays)
    assert again.profile == "replay"
    for before, after in zip(replayable, again.findings, strict=True):
        assert after.key == before.key and after.examples_run == 1
        assert (after.outcome, after.example, after.library_value) == (before.outcome, before.example,
                                                                       before.library_value)


def test_replay_refuses_a_merged_result() -> None:
    recorded = engine.run(sklearn_cases()[:1], "ci")
    recorded.profile = "ci,thorough"
    with pytest.raises(engine.UsageError, match="cannot replay"):
        engine.replay_plan(recorded, sklearn_cases())


def test_a_spent_shrink_budget_reports_the_smallest_failure_seen_and_it_replays() -> None:
    """The failure Hypothesis had shrunk to when the budget ran out is reported, and its choices replay it."""
    from dataclasses import replace

    from conformance.registry import by_name
    from suites.test_gallery import KERAS, gallery_spec

    pytest.importorskip("keras")
    case = engine.Case(gallery_spec("keras", f"{KERAS}.AssignInsteadOfAccumulate"), "keras",
                       by_name()["batch_accumulation"])
    bounded, unbounded = (engine.run_case(case, replace(PROFILES["ci"], shrink_budget=budget), reuse_metrics=False)
                          for budget in (5, None))
    assert bounded.outcome == unbounded.outcome == "fail"
    assert bounded.examples_run < unbounded.examples_run
    assert bounded.examples_run <= PROFILES["ci"].max_examples + 5 + 1
    again = engine.run_case(case, PROFILES["ci"], replay=bounded.replay, reuse_metrics=False)
    assert (again.outcome, again.example, again.examples_run) == ("fail", bounded.example, 1)


def test_thorough_keeps_a_failure_in_the_database_under_its_case_id_and_tries_it_first(tmp_path, monkeypatch) -> None:
    """The example database is keyed by case id (not by the test function's source, which every case shares), and
    a seeded run keeps it (Hypothesis' @seed alone turns it off)."""
    from dataclasses import replace

    from hypothesis.database import DirectoryBasedExampleDatabase

    from conformance.registry import by_name
    from suites.test_gallery import TORCH, gallery_spec

    pytest.importorskip("torchmetrics")
    monkeypatch.setattr(engine, "DATABASE_PATH", str(tmp_path))
    profile = replace(PROFILES["thorough"], max_examples=50, max_samples=24, max_batches=12, jit_compile=False)
    case = engine.Case(gallery_spec("torchmetrics", f"{TORCH}.PlainAttributeCount"), "torchmetrics",
                       by_name()["reset"])
    first = engine.run_case(case, profile, run_seed=1, reuse_metrics=False)
    assert first.outcome == "fail"
    assert list(DirectoryBasedExampleDatabase(str(tmp_path)).fetch(case.id.encode()))
    again = engine.run_case(case, profile, run_seed=2, reuse_metrics=False)  # another seed: found from the database
    assert (again.outcome, again.example) == ("fail", first.example)


@pytest.mark.parametrize("budget", [None, 200], ids=["unbounded shrink", "ci shrink budget"])
def test_each_distinct_failure_is_reported_with_its_own_minimal_example_and_replays(budget) -> None:
    """A second bug of the same metric x property does not hide behind the first: the gallery's TwoDistinctBugs
    raises on an empty batch and miscounts every batch of more than one sample; both are found, each shrunk apart
    (the raise needs an empty batch and a sample, the wrong value one batch of two), and each one's choices replay
    exactly its own failure."""
    from dataclasses import replace

    from conformance.data import Example
    from conformance.registry import by_name
    from suites.test_gallery import TORCH, gallery_spec

    pytest.importorskip("torchmetrics")
    case = engine.Case(gallery_spec("torchmetrics", f"{TORCH}.TwoDistinctBugs"), "torchmetrics",
                       by_name()["batch_accumulation"])
    finding = engine.run_case(case, replace(PROFILES["ci"], shrink_budget=budget), reuse_metrics=False)
    failures = [finding.distinct_json(), *(finding.also or [])]
    kinds = {f["failure_kind"]: f for f in failures}
    assert set(kinds) == {"raises RuntimeError", "wrong value"}, kinds
    raised = Example.from_json(kinds["raises RuntimeError"]["example"]).batches
    wrong = Example.from_json(kinds["wrong value"]["example"]).batches
    assert [len(b) for b in raised] in ([0, 1], [1, 0]) and [len(b) for b in wrong] == [2]
    for failure in failures:
        again = engine.run_case(case, PROFILES["ci"], replay=failure["replay"], reuse_metrics=False)
        assert (again.failure_kind, again.example, again.examples_run) == (failure["failure_kind"],
                                                                           failure["example"], 1)


def test_an_error_on_the_data_fed_before_reset_is_judged_on_that_data() -> None:
    """reset fills the metric with other data first: where that raises, a declaration's trigger is read on the other
    data, not on the batches. BinaryAUROC(thresholds=[0.2, 0.5, 1.0], max_fpr=0.35)'s documented IndexError (a curve
    none of whose points passes max_fpr) holds on the other data [0, 0, 0, 1] (the padding label -1 rotated into 0),
    not on the batches, whose negative scored 1.0 passes it."""
    pytest.importorskip("torchmetrics")
    case = next(c for c in engine.plan(["AUC"], ["torchmetrics"], ["reset"]) if c.spec.id == "AUC")
    example = ('{"num_classes":null,"dtypes":{"y_true":"int64","y_pred":"float32"},"y_pred_columns":null,'
               '"shapes":{"y_true":[],"y_pred":[]},"batches":[{"y_true":[1,-1],"y_pred":[1.0,0.0],'
               '"sample_weight":null},{"y_true":[1,0],"y_pred":[0.0,1.0],"sample_weight":null}],"details":{'
               '"fed_before_reset":{"y_true":[0,0,0,1],"y_pred":[1.0,0.0,0.0,1.0],"sample_weight":null},'
               '"execution_mode":"eager","parameters":{"thresholds":[0.2,0.5,1.0],"ignore_index":-1,'
               '"max_fpr":0.3529126048088074}}}')
    finding = engine.run_case(case, PROFILES["ci"], replay=f"forced:AA==:{example}", reuse_metrics=False)
    assert (finding.outcome, finding.examples_run) == ("known", 1), finding.message


def test_a_worker_killed_mid_case_loses_nothing_and_the_case_that_kills_it_is_named() -> None:
    """The OOM killer ended make report's run with a raw traceback and nothing written. Here every process that runs
    one chosen case is killed (SIGKILL, as the OOM killer does): the other cases' findings all come back, and that case
    is reported as the harness's error naming it, once it has killed a worker running alone too."""
    import glob
    import os
    import signal
    import tempfile
    import threading
    from pathlib import Path

    cases = engine.plan(["MeanSquaredError", "Precision"], ["sklearn"], ["agreement", "sample_weights"])
    doomed = 3  # Precision's sample_weights: ~0.4 s, long beside the killer's 2 ms between looks
    done = threading.Event()

    def kill_whoever_runs_the_doomed_case() -> None:
        while not done.is_set():
            for path in glob.glob(f"{tempfile.gettempdir()}/conformance-progress-*/*.progress"):
                current, _ = engine.read_progress(Path(path))
                if current == doomed:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(Path(path).stem), signal.SIGKILL)
            done.wait(0.002)

    killer = threading.Thread(target=kill_whoever_runs_the_doomed_case, daemon=True)
    killer.start()
    try:
        findings = engine.run(cases, "ci", jobs=2).findings
    finally:
        done.set()
        killer.join()
    assert [f.key[3] for f in findings] == [c.prop.name for c in cases]
    assert findings[doomed].outcome == "error" and "was killed" in findings[doomed].message
    assert "--metrics 'Precision' --libraries sklearn --properties sample_weights" in findings[doomed].message
    assert all(f.outcome in ("pass", "known") for i, f in enumerate(findings) if i != doomed)

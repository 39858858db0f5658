"""The harness pieces the confusion-based and segmentation families added: label-map batches and their
presentation to each library, multilabel reset targets, data-dependent reference parameters, variant ids on
the command line, the new strategies' edges, and a counterpart or a reason for every library."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import find, given, settings
from hypothesis import strategies as st

from conformance import strategies as cs
from conformance.adapters.base import present
from conformance.catalogue import LIBRARIES, NUM_CLASSES, Binding, agreement, by_id, classification, segmentation
from conformance.cli import _names
from conformance.data import Batch, Example, with_other_targets


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(0, 6).flatmap(cs.segmentation_inputs), st.integers(0, 6))
def test_label_maps_round_trip_through_json_even_when_a_batch_is_empty(batch, cut) -> None:
    cut = min(cut, len(batch))
    batches = batch.split([0, cut, len(batch) - cut])
    reloaded = Example.from_json(json.loads(json.dumps(Example(batches).to_json())))
    for original, back in zip(batches, reloaded.batches, strict=True):
        assert back.y_true.shape == original.y_true.shape and back.y_pred.shape == original.y_pred.shape
        np.testing.assert_array_equal(back.y_true, original.y_true)


def test_masks_are_kept_with_weights_per_pixel_or_flattened() -> None:
    batch = Batch(np.array([[[0, 1]], [[1, 1]]]), np.array([[[0, 0]], [[1, 0]]]), np.array([2.0, 3.0], np.float32))
    y_true, y_pred, weight = present(Binding("x", masks="keep"), batch, {})
    assert y_true.shape == (2, 1, 2) and weight.tolist() == [[[2.0, 2.0]], [[3.0, 3.0]]]
    y_true, y_pred, weight = present(Binding("x", masks="flatten"), batch, {})
    assert y_true.tolist() == [0, 1, 1, 1] and y_pred.tolist() == [0, 0, 1, 0] and weight.tolist() == [2, 2, 3, 3]


def test_other_targets_flip_multilabel_rows_and_rotate_label_maps() -> None:
    multilabel = Batch(np.array([[1, 0], [0, 0]]), np.zeros((2, 2), np.float32), num_classes=2)
    assert with_other_targets(multilabel).y_true.tolist() == [[0, 1], [1, 1]]
    maps = Batch(np.array([[[0, 2]]]), np.array([[[0, 0]]]), num_classes=3)
    assert with_other_targets(maps).y_true.tolist() == [[[1, 0]]]


def test_num_classes_placeholder_reaches_the_reference() -> None:
    spec = by_id()["OneHotMeanIoU"]
    assert spec.params["num_classes"] == NUM_CLASSES
    batch = Batch(np.array([0, 0]), np.array([[1, 0, 0], [1, 0, 0]], np.float32), num_classes=3)
    assert float(spec.reference_value(batch)) == 1.0  # classes 1 and 2 never occur: left out of the mean


def test_variant_ids_with_commas_survive_the_command_line() -> None:
    assert _names("MeanIoU,Precision[thresholds=[0.25,0.5,0.75]],FBetaScore[average=macro,beta=2.0]") == [
        "MeanIoU", "Precision[thresholds=[0.25,0.5,0.75]]", "FBetaScore[average=macro,beta=2.0]"]
    assert set(_names(",".join(by_id()))) == set(by_id())


def test_new_strategies_reach_their_edges() -> None:
    thresholds = st.integers(1, 10).flatmap(cs.binary_threshold_inputs)
    for edge in (0.25, 0.75):
        find(thresholds, lambda b, e=edge: (b.y_pred == np.float32(e)).any())
        find(thresholds, lambda b, e=edge: (b.y_pred == np.nextafter(np.float32(e), np.float32(1))).any())
    maps = st.integers(1, 5).flatmap(cs.segmentation_inputs)
    find(maps, lambda b: b.y_true.shape[1:] == (3, 3) and np.array_equal(b.y_true, b.y_pred))
    find(maps, lambda b: len(np.unique(b.y_true)) < b.num_classes and (b.y_true != b.y_pred).any())


def test_every_library_has_a_counterpart_or_a_reason() -> None:
    for module in (classification, segmentation, agreement):
        for spec in module.SPECS:
            missing = set(LIBRARIES) - set(spec.bindings)
            assert missing == set(spec.absent), (spec.id, missing, set(spec.absent))
            assert all(reason.strip() for reason in spec.absent.values())

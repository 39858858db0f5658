"""The per-image segmentation references (reference/segmentation.py) against values computed by hand from their
documented definitions: IoU and Dice per image and class, the generalized Dice of Sudre et al. with MONAI's weight
for an absent class, and the exact match of whole maps."""

from __future__ import annotations

import numpy as np
import pytest

from conformance import reference as ref

# Image A: truth [[0, 1], [1, 1]], prediction [[0, 1], [0, 1]]. Class 0: T 1, P 2, I 1; class 1: T 3, P 2, I 2.
# Image B: truth all 0, prediction [[0, 0], [0, 1]]. Class 0: T 4, P 3, I 3; class 1: T 0, P 1, I 0.
TRUTH = [[[0, 1], [1, 1]], [[0, 0], [0, 0]]]
PREDICTED = [[[0, 1], [0, 1]], [[0, 0], [0, 1]]]
EMPTY = [[[0, 0], [0, 0]]]  # image C: all class 0 in both maps, so class 1 is absent from both


def test_samplewise_iou_by_hand() -> None:
    # IoU: A [1/2, 2/3], B [3/4, 0]. Mean over the four (image, class) pairs; per class over the images.
    assert ref.samplewise_iou(TRUTH, PREDICTED, num_classes=2) == pytest.approx(23 / 48)
    np.testing.assert_allclose(ref.samplewise_iou(TRUTH, PREDICTED, num_classes=2, per_class=True), [5 / 8, 1 / 3])
    assert ref.samplewise_iou(TRUTH, PREDICTED, num_classes=2, include_background=False) == pytest.approx(1 / 3)
    assert ref.samplewise_iou(TRUTH, PREDICTED, num_classes=2, sample_weight=[1.0, 0.0]) == pytest.approx(7 / 12)


def test_samplewise_iou_leaves_out_a_class_absent_from_both_maps() -> None:
    # Image C: class 1's union is empty, so only class 0 (IoU 1) counts; per class, class 1 occurs nowhere: -1.
    assert ref.samplewise_iou(EMPTY, EMPTY, num_classes=2) == 1.0
    np.testing.assert_array_equal(ref.samplewise_iou(EMPTY, EMPTY, num_classes=2, per_class=True), [1.0, -1.0])
    assert np.isnan(ref.samplewise_iou(EMPTY, EMPTY, num_classes=2, include_background=False))
    assert ref.samplewise_iou(TRUTH + EMPTY, PREDICTED + EMPTY, num_classes=2) == pytest.approx((23 / 12 + 1) / 5)


@pytest.mark.parametrize(("average", "aggregation_level", "expected"), [
    ("macro", "samplewise", 61 / 105),  # A (2/3 + 4/5) / 2 = 11/15, B (6/7 + 0) / 2 = 3/7
    ("micro", "samplewise", 3 / 4),  # 2 * 3 / 8 in each image
    ("weighted", "samplewise", 341 / 420),  # A (1 * 2/3 + 3 * 4/5) / 4 = 23/30, B 6/7
    ("macro", "global", 11 / 15),  # counts summed: class 0 8/10, class 1 4/6
    ("micro", "global", 3 / 4),
])
def test_dice_by_hand(average, aggregation_level, expected) -> None:
    assert ref.dice_score(TRUTH, PREDICTED, num_classes=2, average=average,
                          aggregation_level=aggregation_level) == pytest.approx(expected)


def test_dice_per_class_and_undefined_classes() -> None:
    np.testing.assert_allclose(ref.dice_score(TRUTH, PREDICTED, num_classes=2, average="none"), [16 / 21, 2 / 5])
    # Image B without the background: class 1 is predicted but not true. Its Dice is 0; weighted by the true pixels
    # (none) it is undefined, or torchmetrics' 0.
    assert ref.dice_score(TRUTH[1:], PREDICTED[1:], num_classes=2, include_background=False) == 0.0
    assert np.isnan(ref.dice_score(TRUTH[1:], PREDICTED[1:], num_classes=2, include_background=False,
                                   average="weighted"))
    assert ref.dice_score(TRUTH[1:], PREDICTED[1:], num_classes=2, include_background=False, average="weighted",
                          no_support=0.0) == 0.0
    # Image C: class 1 is absent from both, undefined, left out of the macro mean.
    assert ref.dice_score(EMPTY, EMPTY, num_classes=2) == 1.0
    assert np.isnan(ref.dice_score(EMPTY, EMPTY, num_classes=2, include_background=False))


def test_generalized_dice_by_hand() -> None:
    # square: A w = [1, 1/9]: 2 (1 + 2/9) / (3 + 5/9) = 11/16. B: class 1 absent from the truth takes class 0's
    # weight 1/16: 2 (3/16) / (7/16 + 1/16) = 3/4.
    assert ref.generalized_dice_score(TRUTH, PREDICTED, num_classes=2) == pytest.approx(23 / 32)
    # With class 1's weight in B taken as 0: 6/16 / 7/16 = 6/7.
    assert ref.generalized_dice_score(TRUTH, PREDICTED, num_classes=2, absent_weight=0.0) == pytest.approx(
        (11 / 16 + 6 / 7) / 2)
    # simple: A w = [1, 1/3]: 2 (1 + 2/3) / (3 + 5/3) = 5/7; B w = [1/4, 1/4]: 6/8.
    assert ref.generalized_dice_score(TRUTH, PREDICTED, num_classes=2, weight_type="simple") == pytest.approx(
        (5 / 7 + 3 / 4) / 2)
    assert ref.generalized_dice_score(TRUTH, PREDICTED, num_classes=2, weight_type="linear") == pytest.approx(3 / 4)
    # per class, the weights cancel: each class's Dice, averaged over the images.
    np.testing.assert_allclose(ref.generalized_dice_score(TRUTH, PREDICTED, num_classes=2, per_class=True),
                               [16 / 21, 2 / 5])


def test_generalized_dice_with_nothing_to_score() -> None:
    # Image C without the background: class 1 is absent everywhere, every weight 0/0: undefined, or a convention.
    assert np.isnan(ref.generalized_dice_score(EMPTY, EMPTY, num_classes=2, include_background=False))
    assert ref.generalized_dice_score(EMPTY, EMPTY, num_classes=2, include_background=False, undefined=0.0) == 0.0
    both = ref.generalized_dice_score(TRUTH + EMPTY, PREDICTED + EMPTY, num_classes=2, include_background=False,
                                      weight_type="linear", undefined=0.0)
    assert both == pytest.approx((4 / 5 + 0 + 0) / 3)  # A: 4/5; B: class 1 predicted, not true: 0; C: 0


def test_exact_match_counts_whole_maps() -> None:
    assert ref.exact_match(TRUTH + EMPTY, PREDICTED + EMPTY) == pytest.approx(1 / 3)
    assert ref.exact_match(TRUTH + EMPTY, PREDICTED + EMPTY, sample_weight=[0, 0, 2]) == 1.0
    assert ref.exact_match([[1, 0], [1, 1]], [[1, 0], [0, 1]]) == 0.5  # multilabel rows: subset accuracy


def test_exact_match_leaves_ignored_elements_out_of_their_sample() -> None:
    # predicted [[1, 1], [0, 1], [0, 0]]: row 1 right on its kept label, row 2 wrong, row 3 has nothing to compare
    truth, scores = [[1, -1], [1, 1], [-1, -1]], [[0.9, 0.6], [0.2, 0.7], [0.1, 0.4]]
    assert ref.exact_match(truth, scores, threshold=0.5, ignore_index=-1) == pytest.approx(2 / 3)
    assert ref.exact_match(truth, scores, threshold=0.5, sample_weight=[1, 2, 0], ignore_index=-1) == pytest.approx(
        1 / 3)
    assert ref.exact_match(truth, scores, threshold=0.5) == 0.0  # -1 compared: no row matches
    # label maps: the ignored pixel (255) is no mismatch
    assert ref.exact_match([[[0, 255], [1, 1]]], [[[0, 0], [1, 1]]], ignore_index=255) == 1.0


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ref.dice_score(TRUTH, PREDICTED, num_classes=2, average="samples"), "average must be one of"),
    (lambda: ref.samplewise_iou(TRUTH, [[0, 1]], num_classes=2), "label maps of one shape"),
    (lambda: ref.generalized_dice_score(TRUTH, PREDICTED, num_classes=1), r"y_true must hold labels in \[0, 1\)"),
])
def test_validation_messages_say_what_was_expected(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()

"""Coverage of the catalogue: every metric class Keras ships is checked against a reference."""

from __future__ import annotations

import inspect

import pytest

from conformance.catalogue import CATALOGUE

keras = pytest.importorskip("keras")

NOT_A_METRIC = {"Metric"}  # the abstract base class


def keras_metric_classes() -> set[str]:
    return {name for name, value in vars(keras.metrics).items()
            if inspect.isclass(value) and issubclass(value, keras.metrics.Metric) and name not in NOT_A_METRIC}


def test_every_keras_metric_class_is_catalogued() -> None:
    bound = {spec.bindings["keras"].target.rsplit(".", 1)[-1] for spec in CATALOGUE if "keras" in spec.bindings}
    missing = sorted(keras_metric_classes() - bound)
    assert not missing, f"keras.metrics classes with no catalogued spec: {missing}"


def test_keras_ships_the_classes_the_issue_names() -> None:
    # Keras 3.15's 42 concrete metric classes plus the wrappers Mean, Sum and MeanMetricWrapper.
    assert len(keras_metric_classes()) >= 45

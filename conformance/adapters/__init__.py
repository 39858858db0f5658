"""One thin adapter per library: build the metric, present the inputs, read the result.

Adapters import their library only when first used, so listing metrics and ``--help`` stay fast.
"""

from __future__ import annotations

from conformance.adapters.base import Adapter, LibraryUnavailable, MetricInstance

_ADAPTERS = {
    "keras": ("conformance.adapters.keras", "KerasAdapter"),
    "sklearn": ("conformance.adapters.sklearn", "SklearnAdapter"),
    "torchmetrics": ("conformance.adapters.torchmetrics", "TorchmetricsAdapter"),
}
_cache: dict[str, Adapter] = {}


def get_adapter(library: str) -> Adapter:
    """The adapter for ``library`` (one of ``keras``, ``sklearn``, ``torchmetrics``)."""
    if library not in _ADAPTERS:
        raise KeyError(f"unknown library {library!r}; expected one of {', '.join(_ADAPTERS)}")
    if library not in _cache:
        import importlib

        module_name, class_name = _ADAPTERS[library]
        _cache[library] = getattr(importlib.import_module(module_name), class_name)()
    return _cache[library]


__all__ = ["Adapter", "LibraryUnavailable", "MetricInstance", "get_adapter"]

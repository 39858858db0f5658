"""What a property checks at a given moment: one metric spec bound in one library, with the current example's drawn
parameters in place and its inputs presented in a given layout. The drawer, the runner and the judge of a case
share one :class:`Subject`, so that a parameter drawn or a layout chosen holds for all three at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.adapters import Adapter
from conformance.catalogue import Binding, MetricSpec


@dataclass
class Subject:
    """``spec`` and ``binding`` hold the drawn ``parameters`` (the catalogue's own are ``base_spec`` and
    ``base_binding``); ``layout`` is how the inputs are presented now (None: the binding's)."""

    spec: MetricSpec
    adapter: Adapter
    binding: Binding
    layout: tuple[str, ...] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base_spec, self.base_binding = self.spec, self.binding

    def use_parameters(self, values: dict[str, Any]) -> None:
        """Check with these values of the spec's parameters (by reference keyword) until the next call. A list (a
        replayed example's, from JSON) is the tuple it was drawn as: the metric pool keys on the values."""
        self.parameters = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        self.spec, self.binding = self.base_spec.with_parameters(self.adapter.name, self.parameters)

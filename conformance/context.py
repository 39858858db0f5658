"""What a property works with while it runs one case: the subject under check, and four objects with one job each:
``draw`` (a :class:`~conformance.drawing.Drawer`), ``run`` (a :class:`~conformance.running.Runner`), ``judge`` (a
:class:`~conformance.judging.Judge`, returning verdicts) and ``tally`` (a :class:`~conformance.tally.Tally`,
counting them). A property is a small function ``(ctx, data)`` over these; ``expect_reference`` and ``expect_same``
are the one step they all take: judge, count, raise on a failure."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from conformance.adapters import Adapter
from conformance.catalogue import Binding, MetricSpec
from conformance.data import Batch, Example
from conformance.drawing import Drawer
from conformance.judging import Judge
from conformance.profiles import Profile
from conformance.running import PoolKey, Runner
from conformance.subject import Subject
from conformance.tally import Tally


class Context:
    """One case's subject (``spec``, ``binding``, ``adapter``, ``layout``: the subject's, shared by all four) and its
    drawer, runner, judge and tally. ``judged_as``: other properties whose declarations apply too."""

    def __init__(self, spec: MetricSpec, adapter: Adapter, binding: Binding, property_name: str, profile: Profile, *,
                 judged_as: tuple[str, ...] = (), pool: dict[PoolKey, Any] | None = None, mode: str | None = None,
                 layout: tuple[str, ...] | None = None):
        self.subject = Subject(spec, adapter, binding, layout)
        self.property_name, self.profile = property_name, profile
        self.judge = Judge(self.subject, (property_name, *judged_as))
        self.draw = Drawer(self.subject, profile, property_name)
        self.run = Runner(self.subject, on_error=self.judge.library_error, pool=pool, mode=mode)
        self.tally = Tally()

    # -- the subject ---------------------------------------------------------------------------
    @property
    def spec(self) -> MetricSpec:
        return self.subject.spec

    @property
    def adapter(self) -> Adapter:
        return self.subject.adapter

    @property
    def binding(self) -> Binding:
        return self.subject.binding

    @binding.setter
    def binding(self, binding: Binding) -> None:  # a presentation tried for a while (a label dtype)
        self.subject.binding = binding

    @property
    def layout(self) -> tuple[str, ...] | None:
        return self.subject.layout

    @layout.setter
    def layout(self, layout: tuple[str, ...] | None) -> None:  # the declarations of this layout explain its values
        self.subject.layout = layout

    def draw_parameters(self, data: st.DataObject) -> None:
        """Draw this example's parameters and check with them until the next draw."""
        self.subject.use_parameters(self.draw.parameters(data))

    # -- the one step of every property: judge, count, raise ----------------------------------
    def expect_reference(self, observed: np.ndarray, batches: list[Batch], example: Example, what: str, *,
                         whole: Batch | None = None) -> None:
        """``observed`` (from ``batches``) must equal the reference on all their samples (``whole``, if the caller
        holds them already)."""
        verdict = self.judge.against_reference(observed, batches, example, what, whole=whole)
        self.tally.record(verdict)
        verdict.enforce()

    def expect_same(self, observed: np.ndarray, expected: np.ndarray, example: Example, what: str, *,
                    observed_batches: list[Batch], expected_batches: list[Batch]) -> None:
        """Two library values that must agree; a known convention may explain a difference."""
        verdict = self.judge.against(observed, expected, example, what, observed_batches=observed_batches,
                                     expected_batches=expected_batches)
        self.tally.record(verdict)
        verdict.enforce()

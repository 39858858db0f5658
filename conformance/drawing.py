"""Drawing what a property feeds its subject: the spec's parameters, inputs from its domain with sample weights
where the library takes them, and batch splits. While a failing example is being reduced (reduce.py), the drawer
returns that example's batches and parameters instead of drawing."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from conformance import strategies as cs
from conformance.data import Batch, concatenate
from conformance.profiles import Profile
from conformance.subject import Subject


class Drawer:
    """Draws for one case. Each draw is one draw of one composite strategy, built once per case: every top-level
    draw costs Hypothesis ~50 us of its own bookkeeping, a nested one less."""

    def __init__(self, subject: Subject, profile: Profile, property_name: str | None = None):
        self.subject, self.profile, self.property_name = subject, profile, property_name
        self.strategies: dict[tuple[str, bool, int | None], st.SearchStrategy] = {}
        # Batches every draw of inputs returns instead of drawing (a failing example being reduced), and the
        # parameters it uses.
        self.forced: list[Batch] | None = None
        self.forced_parameters: dict[str, Any] = {}

    def parameters(self, data: st.DataObject) -> dict[str, Any]:
        """This example's values of the spec's parameter space (shrinking to the catalogue's), by reference keyword.
        Each parameter draws the values its library takes in this property (``Parameter.choices``), then any float32
        inside its ``span`` (the values hold its edges); a combination the library does not take
        (``MetricSpec.supports``) is not drawn."""
        if self.forced is not None:  # a reduced example: its parameters are fixed with its batches
            return dict(self.forced_parameters)
        spec, library = self.subject.base_spec, self.subject.adapter.name
        space = spec.drawn_for(library)
        if not space:
            return {}
        key = ("parameters", False, None)
        if key not in self.strategies:
            def values(p) -> st.SearchStrategy:
                listed = st.sampled_from(p.choices(library, self.property_name))
                # the span's bounds as float32 (0.05 is none): the open interval between the nearest float32s
                # holds only float32s inside the span itself
                return listed if p.span is None else st.one_of(listed, st.floats(
                    *(float(np.float32(bound)) for bound in p.span), width=32, exclude_min=True, exclude_max=True))
            self.strategies[key] = st.fixed_dictionaries({p.name: values(p) for p in space}).filter(
                lambda drawn: spec.supports(library, drawn, self.property_name))
        return data.draw(self.strategies[key], label="parameters")

    def inputs(self, data: st.DataObject, *, weights: bool | None = None, n: int | None = None) -> Batch:
        """``n`` (default: a drawn number of) inputs from the metric's domain, with drawn sample weights if the
        library takes them (or as ``weights`` says)."""
        if self.forced is not None and (n is None or n == sum(len(b) for b in self.forced)):
            return concatenate(self._forced_batches(weights))
        return data.draw(self._strategy("inputs", self._weighted(weights), n), label="inputs")

    def batches(self, data: st.DataObject, *, weights: bool | None = None) -> list[Batch]:
        """Inputs split into consecutive batches; the sizes are drawn first (see ``cs.batch_sizes``)."""
        if self.forced is not None:
            return self._forced_batches(weights)
        return data.draw(self._strategy("batches", self._weighted(weights), None), label="batches")

    def keep_classes(self, batch: Batch, weights: np.ndarray | None) -> np.ndarray | None:
        """For a ranking metric, give each class present some weight (else it is undefined)."""
        if weights is None or not self.subject.spec.domain.both_classes:
            return weights
        weights = weights.copy()
        for label in (0, 1):
            members = batch.y_true == label
            if members.any() and weights[members].sum() == 0:
                weights[np.argmax(members)] = 1.0
        return weights

    def _forced_batches(self, weights: bool | None) -> list[Batch]:
        """``forced``, without weights where the draw asks for none."""
        return [b.with_weights(None) for b in self.forced] if not self._weighted(weights) else list(self.forced)

    def _weighted(self, weights: bool | None) -> bool:
        return self.subject.binding.weights if weights is None else weights

    def _strategy(self, kind: str, weighted: bool, n: int | None) -> st.SearchStrategy:
        key = (kind, weighted, n)
        if key not in self.strategies:
            self.strategies[key] = batched_inputs(self, weighted) if kind == "batches" else inputs(self, weighted, n)
        return self.strategies[key]


def draw_weighted(draw: st.DrawFn, drawer: Drawer, weighted: bool, n: int) -> Batch:
    """``n`` inputs from the subject's domain, with drawn sample weights if ``weighted``."""
    batch = draw(drawer.subject.spec.domain.inputs(n))
    if weighted:
        batch = batch.with_weights(drawer.keep_classes(batch, draw(cs.sample_weights(len(batch)))))
    return batch


@st.composite
def inputs(draw: st.DrawFn, drawer: Drawer, weighted: bool, n: int | None) -> Batch:
    """``n`` (default: a drawn number of) inputs, weighted if ``weighted`` (see ``draw_weighted``)."""
    if n is None:
        n = draw(st.integers(drawer.subject.spec.domain.min_samples, drawer.profile.max_samples))
    return draw_weighted(draw, drawer, weighted, n)


@st.composite
def batched_inputs(draw: st.DrawFn, drawer: Drawer, weighted: bool) -> list[Batch]:
    """Batch sizes first (see ``cs.batch_sizes``), then that many inputs split into those batches."""
    sizes = draw(cs.batch_sizes(drawer.profile.max_samples, min_total=drawer.subject.spec.domain.min_samples,
                                max_batches=drawer.profile.max_batches))
    return draw_weighted(draw, drawer, weighted, sum(sizes)).split(sizes)

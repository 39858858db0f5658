"""What the catalogue is made of: metrics, their library bindings and their known differences.

A :class:`MetricSpec` names the metric, its NumPy reference and parameters, its input domain, how
it decomposes over batches, its tolerance growth, and one :class:`Binding` per library that has
it, plus any other class or function of a library that computes the same metric (:class:`Counterpart`).
Genuine semantic differences between a library and the reference are :class:`KnownDifference` entries
beside the metric, each with its cause and where in the library's code or docs it comes from, and with the
library's convention as a reference (so the harness verifies that the convention explains each difference it
sees, example by example).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from conformance.data import Batch
from conformance.domains import Domain
from conformance.dtypes import Presented, numpy_dtype

LIBRARIES = ("keras", "sklearn", "torchmetrics")
GROUPED = "grouped"  # a layout: samples of X elements (domains.grouped), the class axis moved second (N, C, X)
NUM_CLASSES = "$num_classes"  # a parameter value filled in from the data: the number of classes
CLASS_RANGE = "$class_range"  # ... the list [0, 1, ..., C - 1]

Decomposition = Literal["mean", "sum", "none"]
# A declaration's ``properties`` that holds whatever property feeds the library the values it explains (a convention
# of the library's arithmetic, an error its trigger alone pins): every property of the registry, present and future.
EVERY_PROPERTY = ("*",)
# Properties EVERY_PROPERTY leaves out: a convention of a library's arithmetic on valid inputs explains nothing a bad
# input makes it return; a declaration that does must name the property.
NAMED_ONLY = ("bad_inputs",)


@dataclass(frozen=True)
class Binding:
    """How one library computes the metric, and how the canonical inputs are presented to it.

    ``target`` is the import path of a class (stateful) or function (stateless). ``init`` holds
    constructor (or call) keyword arguments. ``y_true`` is ``labels`` or ``onehot``; ``y_pred`` is
    ``scores``, ``above-threshold`` (0/1 labels, ``score > threshold``, for functions that take
    labels) or ``argmax``; ``log`` (both) passes the logarithms of probabilities (torchmetrics' ``log_prob=True``);
    ``sorted-ids`` each row's class indices from the best score down (Keras' ``from_sorted_ids=True``).
    ``layout`` is how per-sample arrays are shaped: ``flat`` ``(n,)`` or
    ``column`` ``(n, 1)``. ``output`` picks one entry of an array result (e.g. a confusion cell;
    a tuple result, such as torchmetrics' ``(value, threshold)``, is stacked into an array first).
    ``queries`` (torchmetrics retrieval metrics): each row of ``(n, L)`` inputs is one query; its
    documents are passed flat with ``indexes`` numbering the queries, unique over a stream.
    ``masks`` is for label maps (segmentation, ``(n, H, W)``): ``keep`` passes them as they are, with
    each sample's weight broadcast over its elements; ``flatten`` passes one row per element (``(n*H*W,)``),
    each with its sample's weight.
    ``arguments`` is ``pair`` (the library's usual order), ``swapped`` (y_true goes where the library
    takes predictions: torchmetrics' ``KLDivergence(p, q)`` is KL(p‖q)) or ``values`` (y_true alone,
    the values to aggregate, with the weights: Keras ``Mean``, torchmetrics ``MeanMetric``).
    """

    target: str
    init: Mapping[str, Any] = field(default_factory=dict)
    y_true: Literal["labels", "onehot", "log"] = "labels"
    y_pred: Literal["scores", "above-threshold", "argmax", "log", "sorted-ids"] = "scores"
    weights: bool = True
    layout: tuple[str, str] = ("flat", "flat")
    output: tuple[int, ...] | None = None
    queries: bool = False
    masks: Literal["keep", "flatten"] | None = None
    arguments: Literal["pair", "swapped", "values"] = "pair"
    label_dtype: str | None = None  # the targets cast to this dtype (a user's metric: the dtype its data has)
    dtypes: Presented | None = None  # the arrays' dtypes and the metric's set-up for them (input_dtypes' presentations)

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.init.items())
        return f"{self.target}({args})"


@dataclass(frozen=True)
class Imported:
    """A binding argument that is a library object (e.g. the function a MeanMetricWrapper wraps),
    named by its import path: resolved when the metric is built, printed as the path."""

    path: str

    def __repr__(self) -> str:
        return self.path


def batch(y_true: Any, y_pred: Any, sample_weight: Any = None, num_classes: int | None = None) -> Batch:
    """A batch written out by hand in canonical form: integer lists as int64 labels, the rest as float32."""
    def canonical(values: Any) -> np.ndarray:
        array = np.asarray(values)
        return array.astype(np.int64) if np.issubdtype(array.dtype, np.integer) else array.astype(np.float32)
    weights = None if sample_weight is None else np.asarray(sample_weight, np.float32)
    return Batch(canonical(y_true), canonical(y_pred), weights, num_classes)


def empty(like: Batch) -> Batch:
    """A batch of zero samples shaped like ``like``'s."""
    return like.take(slice(0, 0))


@dataclass(frozen=True)
class Witness:
    """Two inputs that pin a declaration's scope; ``suites/test_declarations.py`` feeds both to the library.

    On ``inside`` the library's value differs from the reference and the declaration explains it (or the error it
    raises). On ``outside``, the nearest input where the declared cause cannot act (its trigger false, its layout
    another, its float32 interval a few ulps wide), the library agrees with the reference and a wrong value there
    is not explained. ``metric`` names the spec to run (default: the first that has the declaration);
    ``layout`` / ``outside_layout`` how the inputs are presented (default: the binding's); ``mode`` the execution
    mode (default: the adapter's); ``parameters`` values of the spec's drawn parameters (default: the catalogue's);
    ``ranks`` / ``outside_ranks`` how the batches are shared among torch.distributed processes."""

    inside: tuple[Batch, ...]
    outside: tuple[Batch, ...]
    metric: str | None = None
    layout: tuple[str, str] | None = None
    outside_layout: tuple[str, str] | None = None
    mode: str | None = None  # the execution mode of ``inside`` (a compiled mode's defect); outside: the default
    parameters: Mapping[str, Any] = field(default_factory=dict)  # drawn parameters both inputs run with
    # Batches per torch.distributed rank, in order (0: a rank with no data): the inputs are fed to real gloo
    # processes and synced (distributed_sync), not to one metric. None: one metric is fed them all.
    ranks: tuple[int, ...] | None = None
    outside_ranks: tuple[int, ...] | None = None
    through: str = "update"  # how one metric is fed the batches: update() each, or "forward" (as Lightning steps)
    # How ``inside`` and ``outside`` are presented (an input_dtypes' presentation: the arrays' dtypes, the metric's
    # set-up); None: the canonical dtypes.
    dtypes: Presented | None = None
    outside_dtypes: Presented | None = None


@dataclass(frozen=True)
class ParameterTrigger:
    """A declaration's trigger that reads the parameters in use too (a class id, a list of thresholds): ``function``
    takes the batches and the values by reference keyword (a ``Limited`` one as it is: resolve it with the batches'
    classes); ``MetricSpec.known_for`` binds the example's values."""

    function: Callable[[list[Batch], Mapping[str, Any]], bool]

    def __call__(self, batches: list[Batch]) -> bool:
        """The trigger with no parameter in use (the catalogue's defaults: a declaration read outside an example)."""
        return bool(self.function(batches, {}))

    def bound(self, values: Mapping[str, Any]) -> Callable[[list[Batch]], bool]:
        def trigger(batches: list[Batch]) -> bool:
            return bool(self.function(batches, values))
        trigger.__doc__ = self.function.__doc__
        return trigger


@dataclass(frozen=True)
class KnownDifference:
    """A documented semantic difference between a library and the reference.

    The library's convention is the reference ``reference`` (default: the metric's own) called
    with the metric's parameters updated by ``overrides``, on each batch as the library received
    it after ``per_batch`` (if given) and then concatenated. A difference counts as ``known`` only
    on examples where the library agrees with that convention; any other difference is unexpected.
    Several ``per_batch`` transforms (or two ``bounds`` overrides) are the convention's sides: the
    library's value lies between the values they give; where they give ``-inf`` and ``+inf`` (see
    ``catalogue.float32``: a cancellation's noise divided by noise) any value is explained, NaN included. A NaN is
    explained where the convention is NaN, and so is any value in ``undefined_as`` (e.g. ±inf: a 0 / 0 the
    library's rounding turned into x / 0).

    A declaration explains nothing outside its scope: ``trigger`` (a predicate on the batches as fed), when given,
    must hold for a value or an error to be explained (``evidence``, what the harness measured, for an error);
    ``backends`` and ``layouts`` (the ``(y_true, y_pred)``
    presentations, as ``Binding.layout``) restrict it further. ``kind="defect"`` marks the library's bug, as
    opposed to a documented convention of its own.
    """

    library: str
    what: str
    cause: str
    where: str
    properties: tuple[str, ...] = ("agreement", "batch_accumulation", "shape_conventions",
                                   "batch_average_pitfall", "sample_weights", "order_invariance", "execution_modes")
    reference: Callable[..., Any] | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    per_batch: Callable[[Batch], Batch] | tuple[Callable[[Batch], Batch], ...] | None = None
    bounds: tuple[Mapping[str, Any], ...] | None = None  # two sides (or more: the value lies between them all)
    raises: str | None = None
    trigger: Callable[[list[Batch]], bool] | ParameterTrigger | None = None
    # A pattern of the harness's own words in an error's message, what it measured where the library failed (a rank
    # idle with states unlike a fed rank's; a batch that raises alone too): a trigger for errors where the batches
    # alone cannot say, which must match for ``raises`` to explain.
    evidence: str | None = None
    kind: Literal["convention", "defect"] = "convention"
    backends: tuple[str, ...] = ()  # only on these backends of the library (Keras'); empty: on every one
    undefined_as: tuple[float, ...] = ()  # what the library may return, besides NaN, where the convention is NaN
    layouts: tuple[tuple[str, str], ...] = ()  # only where the inputs are presented so; empty: in every layout
    # The library reports the plain mean of the convention's value on each batch alone, an empty batch's as NaN
    # (a MeanMetricWrapper fed one scalar per update, with a count of 1).
    batches_averaged: bool = False
    witness: Witness | None = None  # required of a defect (see Witness)
    # Only where the drawn parameters take these values (each named one among its values, or where its predicate holds
    # for a range; the catalogue's value where it is not drawn; a parameter the spec neither draws nor sets does not
    # restrict it): e.g. a convention of average="micro" alone. Empty: whatever they are.
    when: Mapping[str, tuple[Any, ...] | Callable[[Any], bool]] = field(default_factory=dict)
    # Only where the inputs come in these dtypes (a presentation's name, see conformance.dtypes.Presented: float16,
    # bfloat16, float64, mixed_float16, bool labels...); empty: in every one.
    dtypes: tuple[str, ...] = ()
    # The dtype the library computes in there (narrower than the one it documents for those inputs): its convention
    # is judged within that dtype's tolerance (see conformance/tolerance.py), not the documented one's.
    computes_in: str | None = None

    def holds_for(self, values: Mapping[str, Any]) -> bool:
        """Whether the parameters in use (``values``, by reference keyword) are within ``when``."""
        def value(name: str) -> Any:  # a value limited by the data is the one drawn
            found = values.get(name)
            return found.value if isinstance(found, Limited) else found
        return all(name not in values or (options(value(name)) if callable(options) else
                                          any(same_value(value(name), v) for v in options))
                   for name, options in self.when.items())

    def concerns(self, names: tuple[str, ...]) -> bool:
        """Whether the declaration is about one of the properties ``names`` (with EVERY_PROPERTY in its properties:
        every one but those NAMED_ONLY)."""
        if EVERY_PROPERTY[0] in self.properties and any(name not in NAMED_ONLY for name in names):
            return True
        return any(name in self.properties for name in names)

    def in_scope(self, backend: str | None, layout: tuple[str, str] | None, presentation: str | None = None) -> bool:
        """Whether the declaration holds on ``backend`` with inputs presented in ``layout`` and dtypes
        ``presentation`` (a Presented's name; None: the canonical dtypes)."""
        return ((not self.backends or backend in self.backends) and (not self.layouts or layout in self.layouts)
                and (not self.dtypes or presentation in self.dtypes))

    def applies(self, batches: list[Batch]) -> bool:
        """Whether the declaration's trigger (if any) holds on ``batches``."""
        return self.trigger is None or bool(self.trigger(batches))

    @property
    def explains_values(self) -> bool:
        return self.raises is None

    def explains_error(self, message: str, batches: list[Batch]) -> bool:
        return (self.raises is not None and re.search(self.raises, message) is not None and self.applies(batches)
                and (self.evidence is None or re.search(self.evidence, message) is not None))

    def to_json(self) -> dict[str, str]:
        backends = {"backends": ", ".join(self.backends)} if self.backends else {}
        if self.dtypes:
            backends["dtypes"] = ", ".join(self.dtypes)
        layouts = {"layouts": ", ".join("/".join(layout) for layout in self.layouts)} if self.layouts else {}
        when = {"when": ", ".join(f"{name}: {options.__doc__ or options.__name__}" if callable(options) else
                                  f"{name} in {list(options)}" for name, options in self.when.items())} if self.when \
            else {}
        return {"what": self.what, "cause": self.cause, "where": self.where, "kind": self.kind, **backends, **layouts,
                **when}


def same_value(a: Any, b: Any) -> bool:
    """Whether two parameter values are the same: NaN is NaN, a list is the tuple of its items."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if isinstance(a, bool) or isinstance(b, bool):  # True is not the value 1
        return type(a) is type(b) and a == b
    return a == b


@dataclass(frozen=True)
class Unsupported:
    """Values of drawn parameters (one, or several at once: a combination) that ``library`` does not take, with
    the reason: no example draws them for it. E.g. torchmetrics' zero_division is 0 or 1 (NaN: scikit-learn's)."""

    library: str
    values: Mapping[str, tuple[Any, ...]]
    reason: str
    # Only for these properties (the library takes the values, the property cannot use what they give: one value
    # per sample cannot be averaged over batches). Empty: for every property.
    properties: tuple[str, ...] = ()

    def matches(self, drawn: Mapping[str, Any]) -> bool:
        """Whether ``drawn`` holds this combination (every parameter named with one of its values)."""
        return all(name in drawn and any(same_value(drawn[name], v) for v in options)
                   for name, options in self.values.items())


Limit = Literal["classes", "class index", "per class"]


@dataclass(frozen=True)
class Limited:
    """A drawn value valid only for some data, resolved with the data's number of classes C by its parameter's
    ``limit``: ``classes`` at most C (a top-k's k), ``class index`` below C (a class id), ``per class`` a list's
    first C entries (a weight per label). Adapters resolve it where they fill NUM_CLASSES, the reference where it
    reads the batch; the example records the value drawn."""

    value: Any
    limit: Limit

    def resolve(self, num_classes: int | None) -> Any:
        if num_classes is None:
            return list(self.value) if self.limit == "per class" else self.value
        if self.limit == "per class":
            return list(self.value[:num_classes])
        return min(self.value, num_classes if self.limit == "classes" else num_classes - 1)

    def __repr__(self) -> str:
        if self.limit == "per class":
            return f"{list(self.value)}[:C]"
        return f"min({self.value}, C)" if self.limit == "classes" else f"min({self.value}, C - 1)"


@dataclass(frozen=True)
class Transform:
    """A ``Parameter.changes`` value that transforms the spec's field as it is then (``domain`` -> padded ``domain``):
    changes of several drawn values compose, in the order of the space."""

    function: Callable[[Any], Any]


@dataclass(frozen=True)
class Drawn:
    """A declaration's override that is a drawn parameter the reference does not take (``Parameter.reference``
    False: e.g. Keras' num_thresholds, which only its bucketed convention reads): its drawn value, else
    ``default``."""

    name: str
    default: Any
    scale: float = 1.0  # the value times this (a constraint moved by a relative slack)
    within: tuple[float, float] | None = None  # the scaled value kept inside these bounds (a rate stays in [0, 1])
    dtype: str | None = None  # the value as this dtype holds it (a threshold compared in the scores' float16)


OUTPUT = "$output"  # a spelling: the library returns every class's value and the binding picks this one (output)
# A spelling: the harness applies the value when it presents the inputs (a threshold, for a function that takes
# labels: Binding.y_pred "above-threshold"), so the library sees it in its inputs, not as a keyword.
HARNESS = "$harness"


@dataclass(frozen=True)
class Parameter:
    """A parameter drawn with the inputs, example by example, where a library takes it.

    ``name`` is the reference's keyword; ``values`` what is drawn, the first where a failure shrinks to (the
    catalogue's default); ``span`` a range ``(low, high)`` from which any float32 is drawn too (after the values,
    which hold the edges worth hitting). ``spellings`` each library's keyword for it (``OUTPUT``: the entry of its
    array result), and ``translations`` a library's own word for a value (torchmetrics' ``num_outputs=C`` for
    ``multioutput="raw_values"``). A library not named in ``spellings`` keeps its binding's value, and ``absent``
    says why it is not drawn (it lacks the parameter); ``unsupported`` lists values a library lacks, with the
    reason (they are not drawn for it).

    Values that need the data: ``limit`` resolves a drawn integer with the data's number of classes (see
    ``Limited``). Values that change what the metric is: ``changes`` maps a value to the spec's fields under it
    (another input ``domain`` for ``from_logits=True``; ``decomposition``, ``ratio`` and ``growth`` of a sum for
    ``normalize=False``), and ``presentation`` the drawing library's binding under it (another input format).
    ``reference=False``: the reference does not take it (the library's own approximation, e.g. Keras'
    ``num_thresholds``); only a declaration's convention reads it, through ``Drawn``."""

    name: str
    values: tuple[Any, ...]
    spellings: Mapping[str, str]
    absent: Mapping[str, str] = field(default_factory=dict)
    span: tuple[float, float] | None = None
    unsupported: tuple[Unsupported, ...] = ()
    translations: Mapping[str, Mapping[Any, Any]] = field(default_factory=dict)
    limit: Limit | None = None
    changes: Callable[[Any], Mapping[str, Any]] | None = None
    reference: bool = True
    # How the drawing library's binding presents the inputs under a value (Keras' sparse_y_pred: labels or scores;
    # torchmetrics' log_prob: log-probabilities): the binding so presented.
    presentation: Callable[[Binding, Any], Binding] | None = None

    def choices(self, library: str, prop: str | None = None) -> tuple[Any, ...]:
        """The values drawn for ``library`` (in property ``prop``): ``values`` but those it lacks."""
        lacking = [u for u in self.unsupported if u.library == library and set(u.values) == {self.name}
                   and (not u.properties or prop in u.properties)]
        return tuple(v for v in self.values if not any(u.matches({self.name: v}) for u in lacking))

    def spelled(self, library: str, value: Any) -> Any:
        """``value`` as ``library`` takes it (translated, and limited by the data where ``limit`` says)."""
        value = next((v for k, v in self.translations.get(library, {}).items() if same_value(k, value)), value)
        if self.limit and value is not None and not isinstance(value, bool):
            return Limited(value, self.limit)
        if isinstance(value, tuple):  # a list drawn (hashable, for the metric pool) is passed as a list
            return list(value)
        return value


@dataclass(frozen=True)
class Counterpart:
    """Another class or function of ``library`` that computes the same metric on the same inputs as the spec's
    binding: torchmetrics' task wrapper and the class it builds, scikit-learn's ``mean_gamma_deviance`` and
    ``mean_tweedie_deviance(power=2)``. Each is checked as a case of its own, under a spec the catalogue derives
    from the metric's (:meth:`MetricSpec.counterpart_spec`): this binding alone, the same reference, domain and
    tolerance, and an id that names it (``<metric id>/<name>``).

    ``known``: its declarations (None: the spec's declarations of ``library``, for the same code under another
    name; a class of its own states its own, so that no declaration explains a class it was not written for).
    ``space``: its drawn parameters (None: the spec's, which ``library`` spells, the same keywords).
    Library-wide declarations apply to it by its target, as to every binding."""

    library: str
    binding: Binding
    known: tuple[KnownDifference, ...] | None = None
    space: tuple[Parameter, ...] | None = None

    @property
    def name(self) -> str:
        """The class's or function's own name: the last part of the spec id derived from it."""
        return self.binding.target.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class MetricSpec:
    """Everything the harness knows about one metric (one parameter variant of it)."""

    name: str
    reference: Callable[..., Any]
    domain: Domain
    decomposition: Decomposition
    growth: float
    scale: float
    bindings: Mapping[str, Binding]
    params: Mapping[str, Any] = field(default_factory=dict)
    variant: Mapping[str, Any] = field(default_factory=dict)
    ratio: bool = True  # scaling every weight leaves the value unchanged
    known: tuple[KnownDifference, ...] = ()
    # Libraries without a counterpart, each with what it lacks (shown by `conformance list`).
    absent: Mapping[str, str] = field(default_factory=dict)
    # Parameters drawn with the inputs (the variant's own values are the defaults they shrink to), and the
    # combinations of their values a library does not take (a single value a library lacks is its Parameter's).
    space: tuple[Parameter, ...] = ()
    unsupported: tuple[Unsupported, ...] = ()
    # The values in use of the drawn parameters (see with_parameters), those the reference does not take included.
    drawn: Mapping[str, Any] = field(default_factory=dict)
    # Why the reference's value on a batch is a convention rather than a definition (constant targets for R², no
    # weight at all), or None. Where set, a user's metric is not judged on such batches (see Context.expect_reference).
    undefined: Callable[[Batch], str | None] | None = None
    # Other classes or functions of a library that compute this metric, each checked under a spec of its own
    # (see Counterpart): ``bindings`` keeps one binding per library, the one every other part of the harness reads,
    # so a second class of a library is a second spec rather than a second entry there.
    counterparts: tuple[Counterpart, ...] = ()
    via: str | None = None  # on a spec derived from a counterpart: its name, which the id ends with

    def __post_init__(self) -> None:
        if both := set(self.bindings) & set(self.absent):
            raise ValueError(f"{self.name}: {sorted(both)} both bound and declared absent")
        names = [c.name for c in self.counterparts]
        if len(set(names)) < len(names) or any(c.binding == self.bindings.get(c.library) for c in self.counterparts):
            raise ValueError(f"{self.name}: a counterpart is named twice or repeats the spec's own binding")

    def counterpart_spec(self, counterpart: Counterpart) -> MetricSpec:
        """The spec that checks ``counterpart``: this metric with the counterpart's binding alone; every other
        library is absent, pointing to this spec, which checks it."""
        library = counterpart.library
        known = tuple(k for k in self.known if k.library == library) if counterpart.known is None else \
            counterpart.known
        space = tuple(p for p in self.space if library in p.spellings) if counterpart.space is None else \
            counterpart.space
        absent = {other: (f"this row checks {library}'s {counterpart.name} alone; {other}'s counterpart is checked "
                          f"under {self.id}") if other in self.bindings else self.absent.get(other, "no counterpart")
                  for other in LIBRARIES if other != library}
        # a parameter the counterpart fixes (its own space of one value: a named function's power) is its
        # catalogue value, and shows in the variant where that names it
        fixed = {p.name: p.values[0] for p in space if len(p.values) == 1 and p.reference}
        variant = {**self.variant, **{k: v for k, v in fixed.items() if k in self.variant}}
        return replace(self, bindings={library: counterpart.binding}, known=known, space=space, absent=absent,
                       counterparts=(), via=counterpart.name, variant=variant,
                       params={**self.params, **{k: v for k, v in fixed.items() if k in self.params}})

    def drawn_for(self, library: str) -> tuple[Parameter, ...]:
        """The parameters drawn for ``library`` (those it spells)."""
        return tuple(p for p in self.space if library in p.spellings)

    def supports(self, library: str, values: Mapping[str, Any], prop: str | None = None) -> bool:
        """Whether ``library`` takes this combination of drawn values in property ``prop`` (no ``Unsupported`` entry
        matches it)."""
        return not any(u.library == library and u.matches(values) and (not u.properties or prop in u.properties)
                       for u in (*self.unsupported, *(u for p in self.space for u in p.unsupported)))

    def with_parameters(self, library: str, values: Mapping[str, Any]) -> tuple[MetricSpec, Binding]:
        """This spec and ``library``'s binding with the drawn ``values`` (by reference keyword) in place, the
        catalogue's value (the first the library takes) for a parameter not given: each parameter's spec ``changes``
        applied, the reference's keywords in ``params``, the library's spellings in the binding (``OUTPUT``: the entry
        of its result picked)."""
        parameters = {p.name: p for p in self.drawn_for(library)}
        if not parameters:
            return self, self.bindings[library]
        values = {**{name: p.choices(library)[0] for name, p in parameters.items()}, **values}
        spec = self
        ordered = [(p.name, values[p.name]) for p in self.drawn_for(library) if p.name in values]  # the space's order
        for name, value in ordered:
            if parameters[name].changes is not None:
                spec = replace(spec, **{field: change.function(getattr(spec, field)) if isinstance(change, Transform)
                                        else change for field, change in parameters[name].changes(value).items()})
        binding = spec.bindings[library]
        for name, value in ordered:
            if parameters[name].presentation is not None:
                binding = parameters[name].presentation(binding, value)
        init, output = dict(binding.init), binding.output
        for name, value in values.items():
            parameter = parameters[name]
            spelling, spelled = parameter.spellings[library], parameter.spelled(library, value)
            if spelling == OUTPUT:
                output = (*(output or ())[:-1], spelled)
            elif spelling != HARNESS:
                init[spelling] = spelled
        def limited(name: str, value: Any) -> Any:
            return Limited(value, parameters[name].limit) if parameters[name].limit and value is not None else value
        reference = {k: limited(k, v) for k, v in values.items() if parameters[k].reference}
        spec = replace(spec, params={**spec.params, **reference},
                       drawn={**self.drawn, **{k: limited(k, v) for k, v in values.items()}})
        return spec, replace(binding, init=init, output=output)

    @property
    def id(self) -> str:
        """``Name``, ``Name[parameter=value,...]`` for a variant, then ``/Counterpart`` for a counterpart's spec
        (characters a shell and pytest's ``-k`` take as they are)."""
        variant = f"[{','.join(f'{k}={v}' for k, v in self.variant.items())}]" if self.variant else ""
        return f"{self.name}{variant}" + (f"/{self.via}" if self.via else "")

    def reference_value(self, batch: Batch, *, function: Callable[..., Any] | None = None,
                        overrides: Mapping[str, Any] | None = None) -> np.ndarray:
        """The float64 reference on ``batch`` (optionally another function or parameters).

        A parameter given as ``NUM_CLASSES`` takes the batch's number of classes, a ``Limited`` one is resolved
        with it, and a ``Drawn`` one (a declaration's) takes the drawn value of that parameter."""
        def resolve(value: Any) -> Any:
            if isinstance(value, str) and value == NUM_CLASSES:
                return batch.num_classes
            if isinstance(value, Limited):
                return value.resolve(batch.num_classes)
            if isinstance(value, Drawn):
                found = resolve(self.drawn.get(value.name, self.params.get(value.name, value.default)))
                found = found * value.scale if value.scale != 1.0 else found
                found = found if value.within is None else min(max(found, value.within[0]), value.within[1])
                if value.dtype is not None and found is not None:
                    found = float(np.asarray(found).astype(numpy_dtype(value.dtype)))
                return found
            return value
        params = {k: resolve(v) for k, v in {**self.params, **(overrides or {})}.items()}
        value = (function or self.reference)(batch.y_true, batch.y_pred, sample_weight=batch.sample_weight, **params)
        return np.asarray(value, dtype=np.float64)

    def samples_counted(self, batch: Batch) -> int:
        """How many of ``batch``'s samples a mean of per-sample values counts: all but those whose target is the
        ignored label (``ignore_index``), which count for nothing (a row of targets, whose ignored cells are left
        out of it, counts)."""
        ignored = self.params.get("ignore_index")
        if ignored is None or np.ndim(batch.y_true) != 1:
            return len(batch)
        return int(np.sum(np.asarray(batch.y_true) != ignored))

    def known_for(self, library: str, prop: str | tuple[str, ...], backend: str | None = None,
                  layout: tuple[str, str] | None = None, presentation: str | None = None) -> list[KnownDifference]:
        """The known differences of ``library`` (on ``backend``, where it has several; with inputs presented in
        ``layout``, default the binding's, and in the dtypes ``presentation`` names) that ``prop`` (a property, or one
        and those it is judged as) may meet."""
        binding = self.bindings.get(library)
        layout = layout or (binding.layout if binding else None)
        names = (prop,) if isinstance(prop, str) else prop
        values = {**self.params, **self.drawn}
        found = [k for k in self.known if k.library == library and k.concerns(names)
                 and k.in_scope(backend, layout, presentation) and k.holds_for(values)]
        return [replace(k, trigger=k.trigger.bound(values)) if isinstance(k.trigger, ParameterTrigger) else k
                for k in found]

"""The catalogue: every metric's whole description, as data, in one place.

A :class:`MetricSpec` names the metric, its NumPy reference and parameters, its input domain, how
it decomposes over batches, its tolerance growth, and one :class:`Binding` per library that has
it. Genuine semantic differences between a library and the reference are
:class:`KnownDifference` entries beside the metric, each with its cause and where in the
library's code or docs it comes from, and with the library's convention as a reference (so the
harness verifies that the convention explains each difference it sees, example by example).

One module per metric family declares its ``SPECS``; behaviours of a whole library live in
``library_wide``. A spec's counterparts (another class or function of a library computing the same metric) become
specs of their own here, right after it. Importing the catalogue imports NumPy and the references only; libraries load
when a run needs them.
"""

from __future__ import annotations

from dataclasses import replace

from conformance.catalogue import (
    agreement,
    classification,
    compile_identifiers,
    correlation,
    errors,
    multilabel_ranking,
    per_image,
    probabilistic,
    ranking,
    reduction,
    regression,
    retrieval,
    segmentation,
    tasks,
)
from conformance.catalogue.bad_inputs import for_binding as bad_input_declarations
from conformance.catalogue.dtypes import with_dtypes
from conformance.catalogue.library_wide import (
    LIBRARY_INPUTS,
    LIBRARY_WIDE,
    keras_scalar_weight,
    with_ignore_index,
    with_multidim_average,
    with_num_outputs,
    with_padding_ignore,
)
from conformance.catalogue.model import (
    CLASS_RANGE,
    EVERY_PROPERTY,
    GROUPED,
    HARNESS,
    LIBRARIES,
    NUM_CLASSES,
    OUTPUT,
    Binding,
    Counterpart,
    Decomposition,
    Drawn,
    Imported,
    KnownDifference,
    Limited,
    MetricSpec,
    Parameter,
    ParameterTrigger,
    Transform,
    Unsupported,
    Witness,
    batch,
    empty,
    same_value,
)

__all__ = ["CATALOGUE", "CLASS_RANGE", "EVERY_PROPERTY", "GROUPED", "HARNESS", "LIBRARIES", "LIBRARY_INPUTS",
           "NUM_CLASSES", "OUTPUT", "Binding", "Counterpart", "Decomposition", "Drawn", "Imported", "KnownDifference",
           "Limited", "MetricSpec", "Parameter", "ParameterTrigger", "Transform", "Unsupported", "Witness", "batch",
           "by_id", "declarations", "empty", "same_value"]

FAMILIES = (classification, tasks, segmentation, per_image, agreement, ranking, multilabel_ranking, retrieval,
            regression, errors, probabilistic, correlation, reduction)

# Keras classes built on Mean whose value is not the mean itself (RMSE: the root of a Mean of squared errors).
# suites/test_coverage.py checks against Keras' class hierarchy that these and the means are exactly its Means.
KERAS_MEAN_BASED = frozenset({"keras.metrics.RootMeanSquaredError"})


def keras_mean_based(spec: MetricSpec) -> bool:
    """Whether ``spec``'s Keras class accumulates through Mean (every mean of per-sample values is a
    MeanMetricWrapper; a few others derive from Mean too)."""
    keras = spec.bindings.get("keras")
    return keras is not None and (spec.decomposition == "mean" or keras.target in KERAS_MEAN_BASED)


def _by_traits(spec: MetricSpec) -> tuple[KnownDifference, ...]:
    """Declarations a metric has by its traits: every Keras metric that accumulates through Mean and takes weights
    has Mean's rank-0 weight defect."""
    keras = spec.bindings.get("keras")
    if keras_mean_based(spec) and keras.weights and keras.masks is None:
        return (keras_scalar_weight(keras.layout),)
    return ()


def _by_library_traits(spec: MetricSpec) -> MetricSpec:
    """The parameters a spec draws by its bound classes' traits (torchmetrics' ignore_index, padding label,
    multidim_average, num_outputs), in this order: a later one's changes apply to an earlier one's. The dtype
    declarations come before multidim_average and num_outputs, whose drawn values replace the spec's declarations
    with their per-sample and per-output forms (added later, a declaration would vanish where they are drawn)."""
    for add in (with_ignore_index, with_padding_ignore, with_dtypes, with_multidim_average, with_num_outputs):
        spec = add(spec)
    return _with_defaults(spec)


def _with_defaults(spec: MetricSpec) -> MetricSpec:
    """``spec`` whose bindings carry the catalogue's value of each drawn parameter (the first its library takes):
    what runs where nothing is drawn (a declaration's witness, a binding described) is the catalogue's default. A
    declaration shared with specs that bind more libraries (a variant bound in one library) is left out."""
    return replace(spec, bindings={library: spec.with_parameters(library, {})[1] for library in spec.bindings},
                   known=tuple(k for k in spec.known if k.library in spec.bindings))


def _with_counterparts(spec: MetricSpec) -> tuple[MetricSpec, ...]:
    """``spec``, then the spec of each of its counterparts (each its own case, row and id)."""
    return (spec, *(spec.counterpart_spec(counterpart) for counterpart in spec.counterparts))


CATALOGUE: tuple[MetricSpec, ...] = tuple(
    _by_library_traits(replace(spec, known=spec.known + _by_traits(spec) + tuple(
        k for prefix, k in LIBRARY_WIDE if k.library in spec.bindings
        and spec.bindings[k.library].target.startswith(prefix)) + tuple(
        k for library, binding in spec.bindings.items() for k in bad_input_declarations(library, binding.target))
        + compile_identifiers.declared_for(spec.id)))
    for family in FAMILIES for listed in family.SPECS for spec in _with_counterparts(listed)
)


def by_id() -> dict[str, MetricSpec]:
    return {spec.id: spec for spec in CATALOGUE}


def declarations() -> list[tuple[KnownDifference, list[MetricSpec]]]:
    """Each declaration once, with the specs (binding its library) it is on. One declaration may be attached to
    several specs, as one object or as copies built from one definition (the same text, functions and
    parameters)."""
    found: dict[tuple, tuple[KnownDifference, list[MetricSpec]]] = {}
    for spec in CATALOGUE:
        for known in spec.known:
            if known.library not in spec.bindings:
                continue
            key = (known.library, known.what, known.raises, id(known.reference), id(known.per_batch),
                   id(known.trigger), repr(known.overrides), repr(known.bounds), known.layouts, known.backends)
            found.setdefault(key, (known, []))[1].append(spec)
    return list(found.values())

"""Issue drafts: one Markdown text per unexpected finding, ready for the library's issue tracker.

Each says what was called (the versions, the snippet), what came back against what was expected, why the expected
value is right (the property's claim and the reference's definition, with its stated conventions), and the minimal
example. ``conformance report RESULTS.json --issues DIR`` writes them; the report's "Copy as issue" buttons hold them.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

from conformance.results import UNEXPECTED, Finding, RunResult

# The kinds of snippets (library, or a user's target kind; property) whose every instance suites/test_snippets.py runs
# in a fresh interpreter and finds reproducing its finding: only their drafts say the snippet reproduces it.
VERIFIED_SNIPPETS: frozenset[tuple[str, str]] = frozenset({
    ("keras", name) for name in (
        "agreement", "batch_average_pitfall", "config_round_trip", "empty_batches", "execution_modes", "graph_mode",
        "legacy_reset_name", "model_evaluate", "order_invariance", "reset", "reset_then_result", "result_idempotence",
        "sample_weights", "shape_conventions", "stateless_api")
} | {
    ("torchmetrics", name) for name in (
        "add_state", "batch_accumulation", "batch_average_pitfall", "counts_past_2_24", "distributed_sync",
        "empty_batches", "forward", "input_dtypes", "long_stream", "merge_state", "reset", "shape_conventions",
        "state_round_trip")
} | {("sklearn", name) for name in ("agreement", "batch_average_pitfall", "order_invariance", "shape_conventions")}
  | {("function", name) for name in ("compile_average",)})


# keras.io's page of each Keras metric class (the keras-io site's API_MASTER, metrics section).
KERAS_METRIC_PAGES = {
    "accuracy_metrics": ("Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
                         "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy"),
    "probabilistic_metrics": ("BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
                              "KLDivergence", "Poisson"),
    "regression_metrics": ("MeanSquaredError", "RootMeanSquaredError", "MeanAbsoluteError",
                           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "CosineSimilarity",
                           "LogCoshError", "R2Score"),
    "classification_metrics": ("AUC", "Precision", "Recall", "TruePositives", "TrueNegatives", "FalsePositives",
                               "FalseNegatives", "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
                               "SpecificityAtSensitivity", "F1Score", "FBetaScore"),
    "segmentation_metrics": ("IoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "MeanIoU"),
    "hinge_metrics": ("Hinge", "SquaredHinge", "CategoricalHinge"),
    "metrics_wrappers": ("MeanMetricWrapper", "Mean", "Sum"),
}
# torchmetrics' documentation has a page per metric, named by the metric without its task prefix, in snake case; these
# are named otherwise.
TORCHMETRICS_PAGES = {"FBetaScore": "fbeta_score", "RankingAveragePrecision": "label_ranking_average_precision",
                      "RankingLoss": "label_ranking_loss", "RelativeSquaredError": "rse", "MAP": "map", "MRR": "mrr"}


def library_docs(library: str, target: str) -> str | None:
    """The library's own documentation of the bound class or function ``target`` (``keras.metrics.AUC``), where its
    address follows from the name; None for another library or a user's metric."""
    module, _, name = target.rpartition(".")
    if library == "sklearn" and module == "sklearn.metrics":
        return f"https://scikit-learn.org/stable/modules/generated/{target}.html"
    if library == "keras" and module == "keras.metrics":
        page = next((page for page, names in KERAS_METRIC_PAGES.items() if name in names), None)
        return f"https://keras.io/api/metrics/{page}/#{name.lower()}-class" if page else None
    if library == "torchmetrics" and module.startswith("torchmetrics"):
        parts = module.split(".")
        section = parts[1] if len(parts) > 1 else "classification"  # the top-level classes are the task wrappers
        short = re.sub(r"^(Binary|Multiclass|Multilabel|Retrieval)(?=[A-Z])", "", name).removesuffix("Metric")
        page = TORCHMETRICS_PAGES.get(short) or re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_",
                                                       short).lower()
        return f"https://lightning.ai/docs/torchmetrics/stable/{section}/{page}.html#{name.lower()}"
    return None


def _declaration_docs(what: str | None) -> str | None:
    """The address of the declaration named ``what`` (the one closest to explaining a finding), if it is a link."""
    if not what:
        return None
    try:
        from conformance.catalogue import CATALOGUE
    except Exception:  # the catalogue is the harness's own: never let a draft fail on it
        return None
    for spec in CATALOGUE:
        for known in spec.known:
            if known.what == what and known.where.startswith("http"):
                return known.where
    return None


def _property_claims() -> dict[str, str]:
    from conformance.registry import PROPERTIES

    return {p.name: p.title for p in PROPERTIES}


def _reference_definition(metric: str) -> str | None:
    """The reference's signature line and docstring for a catalogued metric id (None for a user's metric)."""
    try:
        from conformance.catalogue import by_id

        spec = by_id().get(metric)
    except Exception:  # the catalogue is the harness's own: never let a draft fail on it
        spec = None
    if spec is None:
        return None
    params = ", ".join(f"{k}={v!r}" for k, v in spec.params.items())
    doc = inspect.cleandoc(spec.reference.__doc__ or "").strip()
    return f"`reference.{spec.reference.__name__}({params})` (NumPy, float64):\n\n" + "\n".join(
        f"> {line}" if line else ">" for line in doc.splitlines())


def _number(value) -> str:
    return "none" if value is None else json.dumps(value, allow_nan=True)


def _example_lines(example: dict) -> list[str]:
    lines = []
    for index, batch in enumerate(example.get("batches", [])):
        weights = batch.get("sample_weight")
        lines.append(f"- batch {index}: y_true `{json.dumps(batch.get('y_true'))}`, y_pred "
                     f"`{json.dumps(batch.get('y_pred'))}`" + (f", sample_weight `{json.dumps(weights)}`"
                                                               if weights is not None else ""))
    extras = {k: v for k, v in example.items() if k not in ("batches",)}
    if extras:
        lines.append(f"- {json.dumps(extras, default=str)}")
    return lines


def draft(finding: Finding, versions: dict[str, str]) -> str:
    """The issue text for one unexpected finding."""
    first_line = (finding.message or finding.failure_kind or finding.outcome).splitlines()[0]
    target = finding.binding or finding.metric
    lines = [f"# {target.split('(', 1)[0]}: {first_line}", ""]
    lines += ["**Versions:** " + ", ".join(f"{name} {version}" for name, version in sorted(versions.items())), ""]
    claim = _property_claims().get(finding.property)
    lines += ["## What happens", "", f"`{target}`" + (f" on {finding.backend}" if finding.backend else "")
              + f", checked for *{finding.property}*" + (f": {claim}" if claim else "."), ""]
    lines += [finding.message.strip() or first_line, ""]
    if finding.reference_value is not None or finding.library_value is not None:
        source = {"reference": "the reference", "library": "the library's own value the other way"}.get(
            finding.against or "", "")
        lines += [f"- observed (the library): `{_number(finding.library_value)}`",
                  f"- expected{f' ({source})' if source else ''}: `{_number(finding.reference_value)}`"]
        if finding.abs_error is not None:
            lines.append(f"- absolute difference {finding.abs_error:.6g}, beyond the tolerance "
                         f"{finding.tolerance:.3g} (the float32 rounding such a computation can accumulate)")
        lines.append("")
    if finding.snippet:
        lines += ["## To reproduce", "", "```python", finding.snippet.rstrip(), "```", ""]
    definition = _reference_definition(finding.metric)
    lines += ["## Why the expected value is right", ""]
    if finding.against == "library":
        lines += ["The expected value is the library's own, computed the other way the check compares (both are "
                  "printed by the snippet): a correct implementation gives the same value both ways.", ""]
    elif definition:
        lines += ["The expected value is the metric's definition, computed in float64 from the same float32 inputs "
                  "by", definition, ""]
    else:
        lines += ["The expected value is the reference given to `conformance check`, computed in float64 from the "
                  "same inputs.", ""]
    if claim and finding.property != "agreement":
        lines += [f"The property holds for any correct implementation whatever the definition's details: {claim}",
                  ""]
    docs = library_docs(finding.library, target.split("(", 1)[0])
    if docs:
        lines += [f"The library's own documentation of `{target.split('(', 1)[0]}`: {docs}", ""]
    if finding.closest:
        cited = _declaration_docs(finding.closest)
        lines += [f"The nearest documented behaviour does not explain it: {finding.closest}"
                  + (f" ({cited})" if cited else ""), ""]
    if finding.example:
        cut = " and ".join(CUT_WORDS.get(stage, stage) for stage in finding.shrink_cut or ())
        how = {"fully": "As Hypothesis shrank it to its end, then reduced until no sample, batch or weight could go "
                        "and no value be simpler",
               "budget": f"Shrunk within the profile's budget ({cut or 'cut short'}): it may not be minimal"}.get(
            finding.shrunk or "", "As Hypothesis shrank it")
        regime = f" (input regime: {finding.regime})" if finding.regime else ""
        lines += ["## Minimal example", "", f"{how}{regime}:", "", *_example_lines(finding.example), ""]
    if (finding.library, finding.property) in VERIFIED_SNIPPETS:
        reproduced = ("the snippet above reproduces it with the library alone (snippets of this kind are run in a "
                      "fresh interpreter by the harness's own tests)")
    else:
        reproduced = ("the snippet above repeats the calls the check made, with the library alone; snippets of this "
                      "kind are not yet run by the harness's own tests, so run it before filing")
    lines += ["---", f"Found by metric-conformance's {finding.property} check; {reproduced}."]
    return "\n".join(lines) + "\n"


CUT_WORDS = {"hypothesis": "Hypothesis' shrink stopped at its example budget",
             "reduction": "the reduction stopped at its candidate budget", "seconds": "its time ran out"}


def file_name(finding: Finding) -> str:
    text = "-".join(part for part in (finding.library, finding.backend, finding.metric, finding.property) if part)
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", text).strip("_") + ".md"


def write_drafts(result: RunResult, directory: Path) -> list[Path]:
    """One Markdown file per unexpected finding of ``result`` in ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for finding in result.findings:
        if finding.outcome not in UNEXPECTED:
            continue
        path = directory / file_name(finding)
        path.write_text(draft(finding, _relevant_versions(result.versions, finding.library)), encoding="utf-8")
        written.append(path)
    return written


def _relevant_versions(versions: dict[str, str], library: str) -> dict[str, str]:
    """The library's versions and what it runs on (Keras: its backend), plus NumPy and Python where recorded."""
    wanted = {"keras": ("keras", "keras_backend", "tensorflow", "jax", "torch"), "torchmetrics":
              ("torchmetrics", "torch"), "sklearn": ("sklearn", "scikit-learn", "scipy")}.get(library, (library,))
    chosen = {k: v for k, v in versions.items() if k in wanted or k in ("numpy", "python")}
    return chosen or versions

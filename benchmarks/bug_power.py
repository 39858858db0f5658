"""Bug-finding power: realistic bugs injected into the libraries' own metric code, and the share the harness finds.

For each target file (a library module behind some of the catalogue's metrics) mutants are made by AST edits of
the kinds real metric bugs take: a comparison flipped (``>`` for ``>=``), ``+``/``-`` swapped, a constant off by
one, a weight dropped (``x * w`` -> ``x``), a reduction changed (``sum`` -> ``mean``, ``max`` <-> ``min``), a guard
removed (a clamp or ``maximum`` reduced to its first argument), the arguments of a division swapped. Each mutant is
written into a copy of the library's package put first on ``PYTHONPATH`` (the installed library is never touched),
and ``conformance run`` (ci profile, every property) runs the catalogue's metrics bound to that file in a fresh
process. A mutant is *detected* when the run's unexpected findings (fail or error, by metric and property) differ
from those of the unmutated library.

Equivalent mutants are judged on a battery: the same metrics, through the harness's own adapters, on the first 40
streams of each metric's derandomized ``batch_accumulation`` strategy (so edges included); a mutant whose every
value there equals the original's (NaN equal to NaN, exceptions equal by type) is counted *equivalent* and left
out of the share, and listed. One that fails to import is *stillborn*, also apart.

    python benchmarks/bug_power.py [--per-file N] [--seed S] [--files PATTERN] [--harness DIR]

``--harness DIR`` runs another checkout of the harness (e.g. an older commit in a git worktree) on the same mutants,
to compare before and after a change. Prints the share detected per library and file, and the survivors.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# library file (inside its package) -> the catalogue's metrics bound to code in it
TARGETS: dict[str, tuple[str, ...]] = {
    "torchmetrics/functional/classification/stat_scores.py": ("BinaryAccuracy", "Precision", "F1Score[average=macro]",
                                                              "TruePositives"),
    "torchmetrics/functional/regression/r2.py": ("R2Score", "R2Score[outputs=1]"),
    "torchmetrics/functional/regression/mse.py": ("MeanSquaredError", "RootMeanSquaredError"),
    "sklearn/metrics/_classification.py": ("Precision", "Recall", "F1Score[average=macro]", "BinaryAccuracy"),
    "sklearn/metrics/_regression.py": ("MeanSquaredError", "MeanAbsoluteError", "R2Score[outputs=1]"),
    "keras/src/metrics/confusion_metrics.py": ("Precision", "Recall", "TruePositives"),
    "keras/src/metrics/regression_metrics.py": ("R2Score[outputs=1]", "RootMeanSquaredError"),
}
LIBRARY_OF = {"torchmetrics": "torchmetrics", "sklearn": "sklearn", "keras": "keras"}

FLIPS = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
REDUCTIONS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max"}
GUARDS = {"clamp", "clip", "maximum", "minimum", "nan_to_num"}
DIVISIONS = {"divide", "_safe_divide", "_prf_divide", "divide_no_nan", "true_divide"}


@dataclass
class Mutant:
    file: str
    index: int  # among the file's candidate points
    kind: str
    line: int
    source: str  # the mutated file


class Points(ast.NodeVisitor):
    """Every place in a file's functions where one of the mutation kinds applies, in source order."""

    def __init__(self) -> None:
        self.points: list[tuple[ast.AST, str]] = []
        self.depth = 0

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Compare(self, node: ast.Compare) -> None:
        if self.depth and type(node.ops[0]) in FLIPS:
            self.points.append((node, "flipped comparison"))
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if self.depth:
            if isinstance(node.op, ast.Add | ast.Sub):
                self.points.append((node, "swapped + and -"))
            if isinstance(node.op, ast.Mult) and "weight" in ast.unparse(node).lower():
                self.points.append((node, "dropped weight"))
            if any(isinstance(side, ast.Constant) and side.value in (0, 1) and type(side.value) is int
                   for side in (node.left, node.right)):
                self.points.append((node, "off by one"))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if self.depth:
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in REDUCTIONS:
                self.points.append((node, "changed reduction"))
            if name in GUARDS and node.args:
                self.points.append((node, "removed guard"))
            if name in DIVISIONS and len(node.args) >= 2:
                self.points.append((node, "swapped arguments"))
        self.generic_visit(node)


def mutate(tree: ast.Module, node: ast.AST, kind: str) -> str:
    """The file's source with ``node`` mutated by ``kind``."""
    class Edit(ast.NodeTransformer):
        def visit(self, current: ast.AST) -> ast.AST:
            if current is not node:
                return self.generic_visit(current)
            if kind == "flipped comparison":
                current.ops = [FLIPS[type(current.ops[0])](), *current.ops[1:]]
            elif kind == "swapped + and -":
                current.op = ast.Sub() if isinstance(current.op, ast.Add) else ast.Add()
            elif kind == "dropped weight":
                weighted = "weight" in ast.unparse(current.right).lower()
                return current.left if weighted else current.right
            elif kind == "off by one":
                side = current.right if isinstance(current.right, ast.Constant) else current.left
                side.value = side.value + 1
            elif kind == "changed reduction":
                if isinstance(current.func, ast.Attribute):
                    current.func.attr = REDUCTIONS[current.func.attr]
                else:
                    current.func.id = REDUCTIONS[current.func.id]
            elif kind == "removed guard":
                return current.args[0]
            elif kind == "swapped arguments":
                current.args[0], current.args[1] = current.args[1], current.args[0]
            return current
    return ast.unparse(ast.fix_missing_locations(Edit().visit(tree)))


def mutants_of(package_root: Path, file: str, count: int, rng: random.Random) -> list[Mutant]:
    """``count`` mutants of ``file``, at points sampled with ``rng``."""
    source = (package_root / file).read_text()
    tree = ast.parse(source)
    points = Points()
    points.visit(tree)
    chosen = sorted(rng.sample(range(len(points.points)), min(count, len(points.points))))
    mutants = []
    for index in chosen:
        fresh = ast.parse(source)  # each mutant edits its own tree
        finder = Points()
        finder.visit(fresh)
        node, kind = finder.points[index]
        mutants.append(Mutant(file, index, kind, getattr(node, "lineno", 0), mutate(fresh, node, kind)))
    return mutants


# -- running ------------------------------------------------------------------------------------

BATTERY = r'''
import json, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
from hypothesis import given, settings, strategies as st, HealthCheck, Phase
from conformance.catalogue import by_id
from conformance.adapters import get_adapter
from conformance.data import Example
from conformance.profiles import PROFILES
from conformance.context import Context
from conformance.drawing import batched_inputs
out = {}
library = sys.argv[1]
for metric in sys.argv[2:]:
    spec = by_id()[metric]
    adapter = get_adapter(library)
    ctx = Context(spec, adapter, spec.bindings[library], "batch_accumulation", PROFILES["ci"])
    values = []
    strategy = batched_inputs(ctx.draw, spec.bindings[library].weights)
    @settings(max_examples=40, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(batches):
        try:
            if adapter.stateful:
                m = adapter.create(spec.bindings[library], spec.params, batches[0].num_classes, None, None)
                for b in batches:
                    m.update(b)
                v = np.asarray(m.result(), np.float64)
            else:
                from conformance.data import concatenate
                v = np.asarray(adapter.compute(spec.bindings[library], spec.params, concatenate(batches), None),
                               np.float64)
            values.append(np.round(v, 9).tolist())
        except Exception as e:
            values.append(type(e).__name__)
    collect()
    out[metric] = values
print("BATTERY" + json.dumps(out, default=str))
'''


def _env(overlay: Path | None, harness: Path) -> dict[str, str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1"}
    paths = ([str(overlay)] if overlay else []) + [str(harness)]
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")])
    return env


def battery(library: str, metrics: tuple[str, ...], overlay: Path | None) -> str | None:
    """The metrics' values on the battery (a JSON string), or None if the library does not import."""
    done = subprocess.run([sys.executable, "-c", BATTERY, library, *metrics], capture_output=True, text=True,
                          env=_env(overlay, ROOT), cwd=ROOT, timeout=900)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BATTERY")), None)
    return line[len("BATTERY"):] if line else None


def unexpected(library: str, metrics: tuple[str, ...], overlay: Path | None, harness: Path) -> set | None:
    """(metric, property, outcome) of every fail / error of a ci run, or None if the run did not complete."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "r.json"
        run = [sys.executable, "-c", "import sys; from conformance.cli import main; sys.exit(main())", "run",
               "--metrics", ",".join(metrics), "--libraries", library, "--quiet", "--json", str(out),
               "--report", str(Path(scratch) / "r.html")]
        subprocess.run(run, capture_output=True, text=True, env=_env(overlay, harness), cwd=harness, timeout=1800)
        if not out.exists():
            return None
        findings = json.loads(out.read_text())["findings"]
    return {(f["metric"], f["property"], f["outcome"]) for f in findings if f["outcome"] in ("fail", "error")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-file", type=int, default=8, help="mutants sampled per target file (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--files", default="", help="only target files containing this text")
    parser.add_argument("--harness", action="append", default=[],
                        help="another harness checkout to run on the same mutants (repeatable)")
    parser.add_argument("--json", help="write every mutant's outcome here")
    args = parser.parse_args(argv)
    harnesses = [ROOT, *(Path(h).resolve() for h in args.harness)]
    rng = random.Random(args.seed)
    site = Path(__import__("numpy").__file__).resolve().parent.parent
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as overlay_dir:
        overlay = Path(overlay_dir)
        for file, metrics in TARGETS.items():
            if args.files not in file:
                continue
            package = file.split("/", 1)[0]
            library = LIBRARY_OF[package]
            if not (site / file).exists():
                print(f"skip {file}: not installed", flush=True)
                continue
            if not (overlay / package).exists():
                shutil.copytree(site / package, overlay / package, ignore=shutil.ignore_patterns("__pycache__"))
                # Wheels vendor shared libraries beside the package (scikit_learn.libs): its extensions load them
                # by a relative path.
                for vendored in site.glob("*.libs"):
                    if not (overlay / vendored.name).exists():
                        shutil.copytree(vendored, overlay / vendored.name)
            original_battery = battery(library, metrics, None)
            baselines = [unexpected(library, metrics, None, h) for h in harnesses]
            for mutant in mutants_of(site, file, args.per_file, rng):
                (overlay / file).write_text(mutant.source)
                try:
                    values = battery(library, metrics, overlay)
                    if values is None:
                        verdicts = ["stillborn"] * len(harnesses)
                    elif values == original_battery:
                        verdicts = ["equivalent"] * len(harnesses)
                    else:
                        verdicts = []
                        for harness, baseline in zip(harnesses, baselines, strict=True):
                            found = unexpected(library, metrics, overlay, harness)
                            verdicts.append("stillborn" if found is None else
                                            "detected" if found != baseline else "survived")
                finally:
                    shutil.copy2(site / file, overlay / file)
                rows.append({"file": file, "library": library, "line": mutant.line, "kind": mutant.kind,
                             "verdicts": verdicts})
                print(f"{file}:{mutant.line} {mutant.kind}: {', '.join(verdicts)}", flush=True)
    _summary(rows, harnesses, time.perf_counter() - started)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


def _summary(rows: list[dict], harnesses: list[Path], seconds: float) -> None:
    print(f"\n{len(rows)} mutants in {seconds:.0f} s")
    for position, harness in enumerate(harnesses):
        print(f"\nharness {harness}:")
        for group in sorted({(r["library"], r["file"]) for r in rows}):
            mine = [r["verdicts"][position] for r in rows if (r["library"], r["file"]) == group]
            live = [v for v in mine if v in ("detected", "survived")]
            share = f"{mine.count('detected')}/{len(live)} ({100 * mine.count('detected') / len(live):.0f} %)" \
                if live else "-"
            print(f"  {group[1]:55} detected {share:>14}   equivalent {mine.count('equivalent')}, "
                  f"stillborn {mine.count('stillborn')}")
        live = [r for r in rows if r["verdicts"][position] in ("detected", "survived")]
        detected = sum(r["verdicts"][position] == "detected" for r in live)
        print(f"  all: {detected}/{len(live)} non-equivalent mutants detected"
              + (f" ({100 * detected / len(live):.0f} %)" if live else ""))
        for r in live:
            if r["verdicts"][position] == "survived":
                print(f"    survivor: {r['file']}:{r['line']} {r['kind']}")


if __name__ == "__main__":
    sys.exit(main())

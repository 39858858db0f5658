"""The ``conformance`` command: ``run``, ``list``, ``report``, ``check`` and ``diff``.

Heavy libraries are imported only by the subcommand that needs them, so ``--help`` is instant.
Exit codes: 0 nothing unexpected, 1 an unexpected failure or error was found, 2 bad usage; ``check`` also
3: the metric passed what ran, but the harness could not run some property (HARNESS).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path
from typing import NoReturn, TextIO

DEFAULT_JSON = "reports/conformance.json"
DEFAULT_REPORT = "reports/conformance.html"


class UsageError(Exception):
    """A bad command line: reported in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        raise UsageError(message)


def _json_object(value: str) -> dict:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON ({error.msg}): {value}") from None
    if not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object such as '{{\"num_classes\": 3}}'; got {value}")
    return parsed


def _names(value: str) -> list[str]:
    """Comma-separated names; a comma inside brackets (a variant such as ``FBetaScore[average=macro,beta=2.0]``
    or ``Precision[thresholds=[0.25,0.5]]``) does not separate."""
    names, depth, current = [], 0, ""
    for char in value:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    return [name.strip() for name in [*names, current] if name.strip()]


def _jobs(value: str) -> int:
    import os

    if value == "auto":
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of processes >= 1 or 'auto', got {value!r}")
    return int(value)


def build_parser() -> Parser:
    parser = Parser(prog="conformance", description="Property-based conformance tests for ML evaluation metrics.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    run = commands.add_parser("run", help="check catalogued metrics against the NumPy references")
    run.add_argument("--metrics", type=_names, help="comma-separated metric ids (see `conformance list`)")
    run.add_argument("--libraries", type=_names, help="comma-separated: keras, sklearn, torchmetrics "
                     "(default: those installed)")
    run.add_argument("--properties", type=_names, help="comma-separated property names (default: all)")
    run.add_argument("--profile", choices=("ci", "smoke", "thorough", "replay"), default="ci",
                     help="Hypothesis profile (default: ci); replay: run exactly the examples of --replay-from")
    run.add_argument("--replay-from", metavar="JSON", help="results whose recorded examples the replay profile runs")
    run.add_argument("--seed", type=int, help="random seed (default: derandomized for ci, random for thorough)")
    run.add_argument("--json", default=DEFAULT_JSON, help=f"where to write the results (default: {DEFAULT_JSON})")
    run.add_argument("--report", default=DEFAULT_REPORT, help=f"where to write the HTML (default: {DEFAULT_REPORT})")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("-j", "--jobs", type=_jobs, default=1,
                     help="processes to run cases in (default 1; 'auto': one per CPU core)")
    run.add_argument("--shard", help="run shard I of N (e.g. 2/4): a deterministic split for a CI matrix; "
                     "merge the shards' JSON with `conformance report`")
    run.add_argument("--baseline", metavar="OLD.json", help="results of an earlier run: print what changed since, "
                     "and exit 1 only for newly unexpected findings")
    run.add_argument("--pitfall-study", choices=("off", "quick", "standard", "full"), default="standard",
                     help="the per-batch-average pitfall measured on realistic data sets of 10,240 samples, for the "
                     "metrics whose batch_average_pitfall case runs (default: standard, the NumPy reference, about "
                     "a minute of CPU; full: every batch, and each library's own values, much longer; quick: fewer "
                     "batches and repetitions; off)")

    diff = commands.add_parser("diff", help="what changed between two runs' results: findings new, gone and changed")
    diff.add_argument("old", help="the baseline's results JSON")
    diff.add_argument("new", help="the later run's results JSON")
    diff.add_argument("--json", help="also write the changes as JSON")

    listing = commands.add_parser("list", help="the catalogue: metrics, their references and library bindings")
    listing.add_argument("--json", action="store_true", help="print the coverage table as JSON")
    listing.add_argument("--unbound", action="store_true",
                         help="list the libraries' public metrics that no spec binds, with the reasons")
    listing.add_argument("--properties", action="store_true",
                         help="list the properties (the registry), each with the targets it applies to")

    check = commands.add_parser("check", help="check your own Keras / torchmetrics metric or compile() function "
                                "against a reference")
    check.add_argument("target", help="path/to/file.py:Name or package.module:Name (a keras.metrics.Metric or "
                       "torchmetrics.Metric subclass, or a function fn(y_true, y_pred))")
    check.add_argument("--reference", required=True, help="a built-in reference (e.g. f1_score, roc_auc, "
                       "mean_squared_error), a library's metric (sklearn.metrics:f1_score, keras.metrics:AUC, "
                       "torchmetrics.classification:BinaryF1Score) or a NumPy callable path.py:fn / module:fn "
                       "(y_true, y_pred, sample_weight=None)")
    check.add_argument("--input", choices=("binary", "multiclass", "multiclass-onehot", "multilabel", "regression"),
                       help="the input kind (default: the reference's)")
    check.add_argument("--num-classes", type=int, help="classes (or labels) for multiclass / multilabel inputs")
    check.add_argument("--init", type=_json_object, default={}, help="constructor keyword arguments, as JSON")
    check.add_argument("--reference-args", type=_json_object, default={},
                       help="keyword arguments for the reference, as JSON (a library's: its own, e.g. "
                       "'{\"average\": \"macro\"}')")
    check.add_argument("--properties", type=_names, help="comma-separated property names (default: every one "
                       "that applies to the target)")
    check.add_argument("--profile", choices=("ci", "thorough"), default="ci", help="Hypothesis profile (default: ci)")
    check.add_argument("--seed", type=int, help="random seed (default: derandomized for ci, random for thorough)")
    check.add_argument("--strict", action="store_true",
                       help="a precision limit (a float32 count stuck at 2^24: outcome LIMIT) fails the check too")
    check.add_argument("--deadline", type=float, metavar="S",
                       help="seconds a property may run before its outcome is TIMEOUT (default: ci 120, thorough 900)")
    check.add_argument("--examples-dir", metavar="DIR", help="where long examples and the failures' reproducing "
                       "snippets are written (default: beside --json, else a folder in the temporary directory)")
    check.add_argument("--json", help="also write the results as JSON")
    check.add_argument("--report", help="also write an HTML report")

    report = commands.add_parser("report", help="render (and merge) JSON results into one HTML report")
    report.add_argument("results", nargs="+", help="JSON results written by `conformance run`")
    report.add_argument("-o", "--output", default=DEFAULT_REPORT, help=f"HTML file (default: {DEFAULT_REPORT})")
    report.add_argument("--issues", metavar="DIR", help="also write one Markdown issue draft per unexpected finding")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        handler = {"run": command_run, "list": command_list, "report": command_report,
                   "check": command_check, "diff": command_diff}[args.command]
        return handler(args, argv)
    except UsageError as error:
        print(f"conformance: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before a run started, or while its results were being written
        print("conformance: interrupted", file=sys.stderr)
        return 130


# -- run --------------------------------------------------------------------------------------

class ProgressBar:
    """One updating line on a terminal; a line per tenth (and per unexpected finding) elsewhere."""

    def __init__(self, stream: TextIO = sys.stderr, quiet: bool = False):
        self.stream, self.quiet = stream, quiet
        self.tty = stream.isatty()
        self.last_tenth = -1

    def __call__(self, done: int, total: int, case, finding) -> None:
        if self.quiet:
            return
        if finding.outcome in ("fail", "error"):
            self._clear()
            print(f"  {finding.outcome.upper():5} {case.id}: {finding.message.splitlines()[0][:120]}",
                  file=self.stream)
        if self.tty:
            width = 30
            filled = width * done // total
            label = f"{case.spec.id} · {case.library} · {case.prop.name}"[:60]
            print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:60}", end="", file=self.stream)
            if done == total:
                print(file=self.stream)
        elif (tenth := 10 * done // total) != self.last_tenth:
            self.last_tenth = tenth
            print(f"[{100 * done // total:3d}%] {done}/{total} cases", file=self.stream)
        self.stream.flush()

    def _clear(self) -> None:
        if self.tty:
            print("\r" + " " * 110 + "\r", end="", file=self.stream)


def command_run(args: argparse.Namespace, argv: list[str]) -> int:
    from conformance import engine
    from conformance.catalogue import LIBRARIES

    try:  # names first: a typo is reported before any library is imported
        engine.plan(args.metrics, args.libraries or LIBRARIES, args.properties)
        shard = engine.parse_shard(args.shard) if args.shard else None
    except engine.UsageError as error:
        raise UsageError(str(error)) from None
    if (args.profile == "replay") != bool(args.replay_from):
        raise UsageError("--profile replay and --replay-from JSON go together")
    recorded = _load_results(args.replay_from) if args.replay_from else None
    baseline = _load_results(args.baseline) if args.baseline else None  # read first: a bad path costs no run
    installed = engine.installed_libraries(args.libraries or LIBRARIES)  # imports only the libraries asked for
    missing = [lib for lib in args.libraries or () if lib not in installed]
    if missing:
        raise UsageError(f"not installed: {', '.join(missing)} (pip install 'metric-conformance[{missing[0]}]')")
    libraries = args.libraries or installed
    if not libraries:
        raise UsageError("none of keras, sklearn, torchmetrics is installed")
    cases = engine.plan(args.metrics, libraries, args.properties)
    if shard:
        cases = engine.shard(cases, *shard)
    profile, replays = args.profile, None
    if recorded:
        try:
            cases, replays = engine.replay_plan(recorded, cases)
        except engine.UsageError as error:
            raise UsageError(str(error)) from None
        profile = recorded.profile
        if not cases:
            raise UsageError(f"{args.replay_from} holds no replayable example for the chosen metrics")

    command = "conformance " + shlex.join(argv)
    result = engine.run(cases, profile, args.seed, command=command,
                        progress=ProgressBar(quiet=args.quiet), jobs=args.jobs, replays=replays)
    if args.pitfall_study != "off" and not replays and not result.interrupted:
        _pitfall_study(result, cases, args)
    changes = None
    if baseline is not None:
        from conformance.baseline import compare_runs

        changes = compare_runs(baseline, result)
        result.baseline = {"path": args.baseline, "changes": [change.to_json() for change in changes]}
    result.save(args.json)
    _write_report(result, Path(args.report))
    print_summary(result, args.json, args.report)
    if changes is not None:
        from conformance.baseline import format_changes

        print("\n" + format_changes(changes, args.baseline))
    if result.interrupted:
        print("interrupted: the findings collected so far were written", file=sys.stderr)
        return 130
    if changes is not None:  # with a baseline, only what is newly unexpected fails the run
        return 1 if any(change.newly_unexpected for change in changes) else 0
    return 1 if result.unexpected else 0


def _pitfall_study(result, cases, args: argparse.Namespace) -> None:
    """The pitfall study for the run's batch_average_pitfall cases, into ``result`` (Ctrl-C keeps what is done)."""
    from conformance.pitfall_study import run_study

    studied = [(case.spec.id, case.library) for case in cases if case.prop.name == "batch_average_pitfall"]
    if not studied:
        return
    if not args.quiet:
        print(f"pitfall study ({args.pitfall_study}) on realistic data sets ...", file=sys.stderr, flush=True)
    result.pitfall_study = run_study(studied, args.pitfall_study, args.seed, jobs=args.jobs)
    result.interrupted = result.pitfall_study["interrupted"]
    if not args.quiet:
        study = result.pitfall_study
        print(f"pitfall study: {len({r['metric'] for r in study['rows']})} metrics measured in "
              f"{study['duration_s']:.1f}s", file=sys.stderr)


def _write_report(result, path: Path) -> None:
    from conformance.report import render
    from conformance.results import write_atomically

    write_atomically(path, render(result))


def print_summary(result, json_path: str, report_path: str, stream: TextIO = sys.stdout) -> None:
    from conformance.results import SHOWN_OUTCOMES, shown_counts

    # measured: the per-batch-average gaps found (a measurement of averaging, not a difference), apart from known
    libraries = sorted({f.library for f in result.findings})
    print(f"\n{'library':14}" + "".join(f"{o:>9}" for o in SHOWN_OUTCOMES), file=stream)
    for library in libraries:
        counts = shown_counts([f for f in result.findings if f.library == library])
        print(f"{library:14}" + "".join(f"{counts[o]:9d}" for o in SHOWN_OUTCOMES), file=stream)
    totals = shown_counts(result.findings)
    print(f"{'total':14}" + "".join(f"{totals[o]:9d}" for o in SHOWN_OUTCOMES), file=stream)
    if result.unexpected:
        print("\nUnexpected:", file=stream)
        for finding in result.unexpected:
            detail = finding.message.splitlines()[0][:100] if finding.message else ""
            print(f"  {finding.outcome.upper():5} {finding.metric} · {finding.library} · {finding.property}: {detail}",
                  file=stream)
            for other in finding.also or []:  # the property's other distinct failures, each shrunk on its own
                detail = other["message"].splitlines()[0][:100] if other["message"] else ""
                print(f"        and {other['outcome']} ({other['failure_kind']}): {detail}", file=stream)
    from conformance.declared import stale_declarations

    stale = stale_declarations(result)
    if stale:
        print(f"\n{len(stale)} declarations explained no example of this run"
              + (" (stale? see the report):" if result.profile == "thorough" else
                 f" (profile {result.profile}: rare triggers are reached in the thorough profile)"), file=stream)
        for declaration in stale if result.profile == "thorough" else ():
            print(f"  {declaration.library}: {declaration.what[:110]}", file=stream)
    print(f"\n{len(result.findings)} findings in {result.duration_s:.1f}s (profile {result.profile}, "
          f"seed {result.seed if result.seed is not None else 'derandomized'})", file=stream)
    print(f"JSON: {json_path}\nHTML: {report_path}", file=stream)


# -- list -------------------------------------------------------------------------------------

NO_COUNTERPART = "-"


def coverage() -> list[dict]:
    """One row per catalogued metric: its reference, domain, and per library the bound class or
    function with its arguments, or why the library has no counterpart."""
    from conformance.catalogue import CATALOGUE, LIBRARIES
    from conformance.catalogue.signatures import not_drawn

    def bound(lib: str, binding, spec) -> dict:
        # fixed: the binding's values; drawn: the keywords drawn per example (by the parameter they spell);
        # not_drawn: the target's other parameters, each with why no example draws it
        return {"binding": binding.describe(), "fixed": {k: repr(v) for k, v in binding.init.items()},
                "drawn": {p.spellings[lib]: p.name for p in spec.drawn_for(lib)},
                "not_drawn": not_drawn(lib, binding.target)}

    rows = []
    for spec in CATALOGUE:
        params = ", ".join(f"{k}={v!r}" for k, v in spec.params.items())
        rows.append({
            "metric": spec.id,
            "reference": f"reference.{spec.reference.__name__}({params})",
            "domain": spec.domain.name,
            "decomposition": spec.decomposition,
            "libraries": {
                lib: (bound(lib, spec.bindings[lib], spec) if lib in spec.bindings
                      else {"binding": None, "absent": spec.absent.get(lib, "no counterpart catalogued")})
                for lib in LIBRARIES
            },
            "known_differences": [{"library": k.library, **k.to_json()} for k in spec.known],
            # Drawn with the inputs: each parameter's values (and range), each library's keyword, the values or
            # combinations a library lacks, and why a library that has no such parameter is not drawn it.
            "parameters": [{"name": p.name, "values": [list(v) if isinstance(v, tuple) else v for v in p.values],
                            **({"range": list(p.span)} if p.span else {}),
                            **({"limited_by_the_data": p.limit} if p.limit else {}),
                            "spellings": dict(p.spellings),
                            "unsupported": [{"library": u.library, "values": {k: [list(v) if isinstance(v, tuple)
                                                                                  else v for v in vs]
                                                                              for k, vs in u.values.items()},
                                             "reason": u.reason, **({"properties": list(u.properties)}
                                                                   if u.properties else {})}
                                            for u in (*p.unsupported, *(u for u in spec.unsupported
                                                                        if p.name in u.values))],
                            "not_drawn": {lib: p.absent.get(lib, "no counterpart catalogued") for lib in LIBRARIES
                                          if lib not in p.spellings}} for p in spec.space],
        })
    return rows


def _short(binding: str | None) -> str:
    """``keras.metrics.AUC(curve='PR')`` -> ``AUC``: the table's cell; the arguments are in --json."""
    return NO_COUNTERPART if binding is None else binding.split("(", 1)[0].rsplit(".", 1)[-1]


def command_list(args: argparse.Namespace, argv: list[str]) -> int:
    from conformance.catalogue import LIBRARIES

    if args.unbound:
        from conformance.catalogue.unbound import UNBOUND

        for lib, entries in UNBOUND.items():
            for path, why in sorted(entries.items()):
                print(f"{path} ({lib}): {why}")
        print(f"\n{sum(map(len, UNBOUND.values()))} public metric classes and functions unbound "
              "(conformance/catalogue/unbound.py)")
        return 0
    if args.properties:
        return _list_properties(args.json)
    rows = coverage()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    columns = ["metric", "reference", *LIBRARIES]
    table = [[row["metric"], row["reference"].split("(", 1)[0].removeprefix("reference."),
              *(_short(row["libraries"][lib]["binding"]) for lib in LIBRARIES)] for row in rows]
    widths = [max(len(str(cell)) for cell in column) + 2 for column in zip(columns, *table, strict=True)]
    for line in [columns, *table]:
        print("".join(f"{cell:{width}}" for cell, width in zip(line, widths, strict=True)).rstrip())
    absent = [(row["metric"], lib, row["libraries"][lib]["absent"]) for row in rows for lib in LIBRARIES
              if row["libraries"][lib]["binding"] is None]
    if absent:
        print(f"\nNo counterpart ({NO_COUNTERPART}):")
        for metric, lib, why in absent:
            print(f"  {metric} · {lib}: {why}")
    bound = sum(row["libraries"][lib]["binding"] is not None for row in rows for lib in LIBRARIES)
    print(f"\n{len(rows)} metrics, {bound} library bindings. "
          "Arguments, domains and known differences: conformance list --json")
    return 0


def _list_properties(as_json: bool) -> int:
    """The registry's properties: name, words, the targets each applies to."""
    from conformance.registry import PROPERTIES

    rows = [{"property": p.name, "title": p.title, "targets": list(p.targets), "judged_as": list(p.judged_as),
             "needs_state": p.needs_state, "needs_weights": p.needs_weights} for p in PROPERTIES]
    if as_json:
        print(json.dumps(rows, indent=1))
        return 0
    width = max(len(p.name) for p in PROPERTIES) + 2
    for row in rows:
        print(f"{row['property']:{width}}{', '.join(row['targets'])}")
    print(f"\n{len(rows)} properties (conformance/registry.py); what each checks: conformance list --properties --json")
    return 0


# -- check ----------------------------------------------------------------------------------

def command_check(args: argparse.Namespace, argv: list[str]) -> int:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before the user's module imports TensorFlow
    from conformance.usercheck import CheckUsageError, check
    from conformance.usercheck.output import ExampleFiles, finding_lines, summary_line

    files = ExampleFiles(_examples_dir(args))
    live = sys.stderr.isatty()

    def starting(name: str) -> None:
        if live:
            print(f"\r\033[K  checking {name} ...", end="", file=sys.stderr, flush=True)

    def show(finding) -> None:
        if live:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
        if not shown:
            print(f"conformance check: {args.target} ({finding.library}) against {args.reference}")
        shown.append(finding)
        print("\n".join(finding_lines(finding, files)), flush=True)

    shown: list = []
    try:
        result = check(args.target, args.reference, input=args.input, num_classes=args.num_classes,
                       init=args.init, reference_args=args.reference_args, profile=args.profile, seed=args.seed,
                       command="conformance " + shlex.join(argv), progress=show, starting=starting,
                       strict=args.strict, deadline_s=args.deadline, properties=args.properties)
    except CheckUsageError as error:
        raise UsageError(str(error)) from None
    except ImportError as error:  # e.g. a function target without Keras installed
        raise UsageError(f"cannot run the check: {error}") from None
    if live:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    print(summary_line(result))
    if result.run.interrupted:
        print("interrupted: the properties checked so far are shown")
    if result.harness_errors:
        print(f"{len(result.harness_errors)} propert{'ies' if len(result.harness_errors) > 1 else 'y'} could not be "
              "run by the harness (HARNESS): that says nothing about your metric; please report it with the JSON")
    if args.json:
        result.run.save(args.json)
        print(f"JSON: {args.json}")
    if args.report:
        _write_report(result.run, Path(args.report))
        print(f"HTML: {args.report}")
    if result.run.interrupted:
        return 130
    if not result.passed:
        return 1
    return 3 if result.harness_errors else 0


def _examples_dir(args: argparse.Namespace) -> Path:
    """--examples-dir; else beside --json; else a folder per target in the temporary directory."""
    if args.examples_dir:
        return Path(args.examples_dir)
    name = re.sub(r"[^\w.-]+", "_", args.target.rpartition(":")[2] or "target")
    if args.json:
        return Path(args.json).with_suffix("").parent / f"{Path(args.json).stem}-examples"
    import tempfile

    return Path(tempfile.gettempdir()) / "conformance-check" / name


# -- report -----------------------------------------------------------------------------------

def _load_results(path: str):
    from conformance.results import RunResult

    try:
        return RunResult.load(path)
    except FileNotFoundError:
        raise UsageError(f"no such results file: {path}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{path} is not a conformance results file: {error}") from None


def command_diff(args: argparse.Namespace, argv: list[str]) -> int:
    """Exit 1 when the later run has newly unexpected findings (as ``run --baseline`` would)."""
    from conformance.baseline import compare_runs, format_changes
    from conformance.results import write_atomically

    old, new = _load_results(args.old), _load_results(args.new)
    changes = compare_runs(old, new)
    print(format_changes(changes, args.old))
    if args.json:
        write_atomically(Path(args.json), json.dumps([change.to_json() for change in changes], indent=1))
        print(f"JSON: {args.json}")
    return 1 if any(change.newly_unexpected for change in changes) else 0


def command_report(args: argparse.Namespace, argv: list[str]) -> int:
    from conformance.report import merge, render
    from conformance.results import write_atomically

    results = [_load_results(path) for path in args.results]
    merged = merge(results)
    write_atomically(Path(args.output), render(merged))
    print(f"{len(merged.findings)} findings from {len(results)} file(s) -> {args.output}")
    if args.issues:
        from conformance.issue_drafts import write_drafts

        drafts = write_drafts(merged, Path(args.issues))
        print(f"{len(drafts)} issue drafts (one per unexpected finding) -> {args.issues}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

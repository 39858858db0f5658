"""The ``conformance`` command: ``run``, ``list`` and ``report``.

Heavy libraries are imported only by the subcommand that needs them, so ``--help`` is instant.
Exit codes: 0 nothing unexpected, 1 an unexpected failure or error was found, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
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


def _names(value: str) -> list[str]:
    """Comma-separated names; a comma inside brackets (a variant such as ``F1Score[average=macro,beta=2.0]``)
    does not separate."""
    names, depth, current = [], 0, ""
    for char in value:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    return [name.strip() for name in [*names, current] if name.strip()]


def build_parser() -> Parser:
    parser = Parser(prog="conformance", description="Property-based conformance tests for ML evaluation metrics.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    run = commands.add_parser("run", help="check catalogued metrics against the NumPy references")
    run.add_argument("--metrics", type=_names, help="comma-separated metric ids (see `conformance list`)")
    run.add_argument("--libraries", type=_names, help="comma-separated: keras, sklearn, torchmetrics "
                     "(default: those installed)")
    run.add_argument("--properties", type=_names, help="comma-separated property names (default: all)")
    run.add_argument("--profile", choices=("ci", "thorough"), default="ci", help="Hypothesis profile (default: ci)")
    run.add_argument("--seed", type=int, help="random seed (default: derandomized for ci, random for thorough)")
    run.add_argument("--json", default=DEFAULT_JSON, help=f"where to write the results (default: {DEFAULT_JSON})")
    run.add_argument("--report", default=DEFAULT_REPORT, help=f"where to write the HTML (default: {DEFAULT_REPORT})")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    listing = commands.add_parser("list", help="the catalogue: metrics, their references and library bindings")
    listing.add_argument("--json", action="store_true", help="print the coverage table as JSON")

    report = commands.add_parser("report", help="render (and merge) JSON results into one HTML report")
    report.add_argument("results", nargs="+", help="JSON results written by `conformance run`")
    report.add_argument("-o", "--output", default=DEFAULT_REPORT, help=f"HTML file (default: {DEFAULT_REPORT})")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        handler = {"run": command_run, "list": command_list, "report": command_report}[args.command]
        return handler(args, argv)
    except UsageError as error:
        print(f"conformance: error: {error}", file=sys.stderr)
        return 2


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
    except engine.UsageError as error:
        raise UsageError(str(error)) from None
    installed = engine.installed_libraries()
    missing = [lib for lib in args.libraries or () if lib not in installed]
    if missing:
        raise UsageError(f"not installed: {', '.join(missing)} (pip install 'metric-conformance[{missing[0]}]')")
    libraries = args.libraries or installed
    if not libraries:
        raise UsageError("none of keras, sklearn, torchmetrics is installed")
    cases = engine.plan(args.metrics, libraries, args.properties)

    command = "conformance " + shlex.join(argv)
    result = engine.run(cases, args.profile, args.seed, command=command,
                        progress=ProgressBar(quiet=args.quiet))
    result.save(args.json)
    _write_report(result, Path(args.report))
    print_summary(result, args.json, args.report)
    if result.interrupted:
        print("interrupted: the findings collected so far were written", file=sys.stderr)
        return 130
    return 1 if result.unexpected else 0


def _write_report(result, path: Path) -> None:
    from conformance.report import render
    from conformance.results import write_atomically

    write_atomically(path, render(result))


def print_summary(result, json_path: str, report_path: str, stream: TextIO = sys.stdout) -> None:
    from conformance.results import OUTCOMES

    libraries = sorted({f.library for f in result.findings})
    print(f"\n{'library':14}" + "".join(f"{o:>7}" for o in OUTCOMES), file=stream)
    for library in libraries:
        counts = {o: 0 for o in OUTCOMES}
        for finding in result.findings:
            if finding.library == library:
                counts[finding.outcome] += 1
        print(f"{library:14}" + "".join(f"{counts[o]:7d}" for o in OUTCOMES), file=stream)
    totals = result.counts()
    print(f"{'total':14}" + "".join(f"{totals[o]:7d}" for o in OUTCOMES), file=stream)
    if result.unexpected:
        print("\nUnexpected:", file=stream)
        for finding in result.unexpected:
            detail = finding.message.splitlines()[0][:100] if finding.message else ""
            print(f"  {finding.outcome.upper():5} {finding.metric} · {finding.library} · {finding.property}: {detail}",
                  file=stream)
    print(f"\n{len(result.findings)} findings in {result.duration_s:.1f}s (profile {result.profile}, "
          f"seed {result.seed if result.seed is not None else 'derandomized'})", file=stream)
    print(f"JSON: {json_path}\nHTML: {report_path}", file=stream)


# -- list -------------------------------------------------------------------------------------

def coverage() -> list[dict]:
    from conformance.catalogue import CATALOGUE, LIBRARIES

    rows = []
    for spec in CATALOGUE:
        bindings = spec.bindings
        rows.append({
            "metric": spec.id,
            "reference": f"reference.{spec.reference.__name__}",
            "domain": spec.domain.name,
            **{lib: (bindings[lib].describe() if lib in bindings else None) for lib in LIBRARIES},
            "known_differences": len(spec.known),
        })
    return rows


def command_list(args: argparse.Namespace, argv: list[str]) -> int:
    from conformance.catalogue import LIBRARIES

    rows = coverage()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    width = max(len(r["metric"]) for r in rows) + 2
    print(f"{'metric':{width}}{'reference':32}" + "".join(f"{lib:14}" for lib in LIBRARIES))
    for row in rows:
        cells = "".join(f"{('yes' if row[lib] else 'no counterpart'):14}" for lib in LIBRARIES)
        print(f"{row['metric']:{width}}{row['reference']:32}{cells}")
    print(f"\n{len(rows)} metrics. Bindings (class or function, with arguments): conformance list --json")
    return 0


# -- report -----------------------------------------------------------------------------------

def command_report(args: argparse.Namespace, argv: list[str]) -> int:
    from conformance.report import merge, render
    from conformance.results import RunResult, write_atomically

    results = []
    for path in args.results:
        try:
            results.append(RunResult.load(path))
        except FileNotFoundError:
            raise UsageError(f"no such results file: {path}") from None
        except (ValueError, KeyError, TypeError) as error:
            raise UsageError(f"{path} is not a conformance results file: {error}") from None
    merged = merge(results)
    write_atomically(Path(args.output), render(merged))
    print(f"{len(merged.findings)} findings from {len(results)} file(s) -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

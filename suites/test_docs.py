"""The documentation cannot drift: the README stays short, the generated pages equal what the catalogue and the
property registries give now, every link into docs/ resolves, and every code block runs unless marked
``not-runnable``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.docs import DOCS, pages

ROOT = DOCS.parent
MARKDOWN = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.S | re.M)
RUNNABLE = {"python"}


def _blocks() -> list[tuple[str, str, str]]:
    found = []
    for path in MARKDOWN:
        for number, match in enumerate(FENCE.finditer(path.read_text(encoding="utf-8"))):
            found.append((f"{path.relative_to(ROOT)}#{number}", match.group(1).strip(), match.group(2)))
    return found


BLOCKS = _blocks()


def test_the_readme_is_at_most_12_kb() -> None:
    assert len((ROOT / "README.md").read_bytes()) <= 12 * 1024


@pytest.mark.parametrize("path", sorted(pages()), ids=lambda p: p.name)
def test_generated_pages_are_current(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == pages()[path], f"{path.name} is stale: run `make docs`"


def test_links_into_the_docs_resolve() -> None:
    for page in MARKDOWN:
        for target in re.findall(r"\]\(([^)#]+\.(?:md|png))\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


@pytest.mark.parametrize(("where", "info"), [(w, i) for w, i, _ in BLOCKS], ids=[w for w, _, _ in BLOCKS])
def test_every_block_is_runnable_or_marked_not(where: str, info: str) -> None:
    language = info.split()[0] if info else ""
    assert language in RUNNABLE or "not-runnable" in info.split(), (
        f"{where}: a code block must be ```python (it runs here) or carry 'not-runnable' in its info string")


RUN = [(w, code) for w, info, code in BLOCKS if info.split()[:1] == ["python"] and "not-runnable" not in info]


@pytest.mark.parametrize(("where", "code"), RUN, ids=[w for w, _ in RUN])
def test_runnable_blocks_run(where: str, code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{where} failed:\n{done.stderr[-3000:]}"


def test_some_block_runs() -> None:
    assert RUN, "no runnable code block: the docs' examples are checked by nothing"


def test_the_user_guide_details_exactly_the_properties_check_runs() -> None:
    """Its table is generated from the registry; its details name only properties check runs, and every one that
    applies to some kinds of target only (the others, every metric's, are described in properties.md)."""
    from conformance.docs import user_properties
    from conformance.properties import ALL_TARGETS

    page = (DOCS / "checking-your-own-metric.md").read_text(encoding="utf-8")
    detailed = re.findall(r"^- \*\*`([a-z_0-9]+)`\*\*: ", page, flags=re.MULTILINE)
    names = {prop.name for prop in user_properties()}
    assert len(detailed) == len(set(detailed)), "a property detailed twice"
    assert not set(detailed) - names, f"detailed, but conformance check does not run: {set(detailed) - names}"
    partial = {prop.name for prop in user_properties() if set(prop.targets) != set(ALL_TARGETS)}
    assert not partial - set(detailed), f"run on some users' targets only, and not detailed: {partial - set(detailed)}"


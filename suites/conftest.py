"""Shared set-up for the suites: the conformance pytest plugin (its options: ``--conformance-profile``, the
Hypothesis profile the conformance cases run under; ``--conformance-json`` / ``--conformance-report``, where
the findings the suites record are written), the ``profile`` fixture, and a small real run for the report tests."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Loaded here too so the suites have it from a source checkout; when the package is installed the pytest11
# entry point (named like the module, so this is not a second registration) has loaded it already.
pytest_plugins = ["conformance.pytest_plugin"]


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest):
    from conformance.profiles import PROFILES

    return PROFILES[request.config.getoption("--conformance-profile")]


@pytest.fixture(scope="session")
def matrix_profile(request: pytest.FixtureRequest, profile):
    """The profile of the library matrix: `make test` gives every case the smoke budget (the full ci budget is
    `make report`, or `pytest suites/test_libraries.py`)."""
    from conformance.profiles import PROFILES

    name = request.config.getoption("--conformance-matrix-profile")
    return PROFILES[name] if name else profile


@pytest.fixture(scope="session")
def small_run():
    """A real conformance run, small: AUC and Precision in scikit-learn, every property (a few seconds).
    It has passes, skips, known differences, per-batch-average gaps and error histograms."""
    from conformance.engine import plan, run

    return run(plan(["AUC", "Precision"], ["sklearn"]), command="conformance run --metrics AUC,Precision "
               "--libraries sklearn")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep ``xdist_group`` modules on one worker under pytest 9. xdist (3.8) groups by a ``@group`` suffix it writes
    to ``item._nodeid``, which pytest 9 no longer reads (the id lives in ``item._id``): every group was silently split,
    and each module-scoped fixture (test_snippets' run: 95 s) was computed on both workers. Written as xdist would;
    nothing is done where xdist's own suffix took effect or where xdist does not distribute by group."""
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import coerce_node_id
    except ImportError:  # pytest < 9: xdist's own suffix works
        return
    for item in items:
        names = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                        for mark in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid.rpartition("]")[2]:
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")

"""Shared set-up for the suites: the conformance pytest plugin (its options: ``--conformance-profile``, the
Hypothesis profile the conformance cases run under; ``--conformance-json`` / ``--conformance-report``, where
the findings the suites record are written) and the ``profile`` fixture."""

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

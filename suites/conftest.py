"""Shared options for the suites: the Hypothesis profile the conformance cases run under."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--conformance-profile", default="ci", choices=("ci", "thorough"),
                     help="Hypothesis profile for the conformance cases (default: ci)")


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest):
    from conformance.profiles import PROFILES

    return PROFILES[request.config.getoption("--conformance-profile")]

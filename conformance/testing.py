"""A pytest helper for users' own test suites: ``assert_conforms(MyMetric, reference="f1_score")``.

    from conformance.testing import assert_conforms

    def test_my_f1_conforms():
        assert_conforms(MyF1, reference="f1_score", input="multiclass", init={"num_classes": 3})

It fails with each failing property's minimal example, the target's and the reference's values.
"""

from __future__ import annotations

from typing import Any

try:  # the pytest plugin, when installed, collects findings into its JSON/HTML report
    from conformance.pytest_plugin import in_baseline, record
except ImportError:
    record = in_baseline = None


def assert_conforms(target: Any, reference: Any, **options: Any):
    """Run ``conformance.check(target, reference, **options)``; raise AssertionError if any property fails.

    Returns the CheckResult when every property passes (or is skipped).
    """
    from conformance.usercheck import check

    result = check(target, reference, **options)
    if record is not None:
        record(result.findings)
    if result.failures and in_baseline is not None and all(in_baseline(f) for f in result.failures):
        import pytest  # under --conformance-baseline: every failure was unexpected in the baseline too

        pytest.xfail(f"{len(result.failures)} failing properties, each unexpected in the baseline too")
    if not result.passed:
        raise AssertionError(f"{len(result.failures)} propert{'ies' if len(result.failures) > 1 else 'y'} failed\n"
                             + result.format(failures_only=True))
    return result

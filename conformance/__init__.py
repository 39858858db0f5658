"""metric-conformance: property-based conformance tests for ML evaluation metrics.

``conformance run`` checks the catalogued Keras, scikit-learn and torchmetrics metrics against the
NumPy references in ``reference``; the results are JSON and a self-contained HTML report.
"""

__version__ = "0.1.0"


def check(target, reference, **options):
    """Check a user's metric against a reference: see :func:`conformance.usercheck.check`.

    Imported lazily, so ``import conformance`` stays light.
    """
    from conformance.usercheck import check as run_check

    return run_check(target, reference, **options)

"""metric-conformance: property-based conformance tests for ML evaluation metrics.

``conformance run`` checks the catalogued Keras, scikit-learn and torchmetrics metrics against the
NumPy references in ``reference``; the results are JSON and a self-contained HTML report.
"""

__version__ = "0.1.0"

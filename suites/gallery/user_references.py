"""NumPy references for the gallery that the built-in ones do not cover (imports NumPy alone)."""

from __future__ import annotations

import numpy as np


def max_absolute_error(y_true, y_pred):
    """NumPy reference: the largest |y_pred - y_true| (0.0 with no sample). No sample_weight parameter."""
    errors = np.abs(np.asarray(y_pred, np.float64).reshape(-1) - np.asarray(y_true, np.float64).reshape(-1))
    return float(errors.max()) if errors.size else 0.0

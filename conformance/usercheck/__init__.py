"""Check a user's own metric: a Keras Metric subclass, a torchmetrics Metric subclass, or a function
given to Keras ``compile(metrics=[...])``, against a reference; ``conformance check`` on the command line.

The names load lazily, so that a torch.distributed worker importing ``loading`` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CheckResult", "CheckUsageError", "check", "properties_for"]


def __getattr__(name: str) -> Any:
    if name == "CheckUsageError":
        from conformance.usercheck.loading import CheckUsageError

        return CheckUsageError
    if name in __all__:
        from conformance.usercheck import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'conformance.usercheck' has no attribute {name!r}")

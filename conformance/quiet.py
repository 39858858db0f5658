"""TensorFlow's start-up lines, kept off the user's terminal.

Importing TensorFlow writes, from C++, "WARNING: All log messages before absl::InitializeLog() is called are written
to STDERR" and "oneDNN custom operations are on ..." to file descriptor 2, before any Python logging setting or
``TF_CPP_MIN_LOG_LEVEL`` applies. During an import that may load TensorFlow, descriptor 2 goes to a temporary
file; afterwards everything but those lines is written to stderr, in order (a real error is never lost).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

START_UP_NOISE = ("All log messages before absl::InitializeLog() is called", "oneDNN custom operations are on")


@contextmanager
def tensorflow_start_up_quieted() -> Iterator[None]:
    """Drop TensorFlow's start-up lines written to descriptor 2 while the block runs (a no-op once TensorFlow is
    loaded, or where descriptor 2 cannot be redirected)."""
    if "tensorflow" in sys.modules:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines(keepends=True)
                    if not any(noise in line for noise in START_UP_NOISE)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()

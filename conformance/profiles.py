"""Hypothesis profiles: ``ci`` (derandomized, bounded, fast), ``thorough`` (many examples, longer data),
``smoke`` (a few examples per case: every case runs, for the test suite's pass over the whole library
matrix) and ``replay`` (exactly the examples of a previous result, under the profile that found them).

Hypothesis refuses an example database with ``derandomize`` (the same examples every run make one
pointless), so only ``thorough`` keeps one under ``.hypothesis/``: a failure it finds once is tried
first on the next thorough run. A failure found by ``ci`` is replayed from its JSON instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    max_examples: int  # Hypothesis examples per metric x library x property
    max_samples: int  # samples in one drawn data set
    max_batches: int  # batches in one drawn stream
    derandomize: bool  # a fixed example sequence: the same findings on every run
    use_database: bool  # keep failing examples under .hypothesis/ and try them first next time
    jit_compile: bool = False  # also check Keras updates under XLA (slow: one compile per batch shape)
    shrink: bool = True  # shrink a failure to a minimal example (off for checks whose every example is costly)


REPLAY = "replay"  # not a Profile: it reuses the recorded run's profile, one recorded example per case

PROFILES = {
    "ci": Profile("ci", max_examples=25, max_samples=24, max_batches=12, derandomize=True, use_database=False),
    "smoke": Profile("smoke", max_examples=5, max_samples=12, max_batches=6, derandomize=True, use_database=False),
    "thorough": Profile("thorough", max_examples=300, max_samples=200, max_batches=60, derandomize=False,
                        use_database=True, jit_compile=True),
}

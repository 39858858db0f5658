"""Hypothesis profiles: ``ci`` (derandomized, bounded, fast), ``thorough`` (many examples, longer data),
``smoke`` (a few examples per case: every case runs, for the test suite's pass over the whole library
matrix) and ``replay`` (exactly the examples of a previous result, under the profile that found them).

Only ``thorough`` keeps an example database under ``.hypothesis/``: a failure it finds once is tried
first on the next thorough run. ``ci`` keeps none, so that its findings do not depend on what ran
before on the machine; a failure it found is replayed from its JSON instead.
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
    # Examples a failing case may run while shrinking (None: Hypothesis' own limits). Shrinking a failure
    # of a slow library to the last sample can take a thousand examples; a bounded shrink stops with the
    # smallest failure seen within the budget (in Hypothesis' own order): still a failure, often already
    # minimal, and the same on every run (derandomized examples; the budget counts examples, not seconds).
    shrink_budget: int | None = None
    # Smaller variants of an unexpected failure's example tried after Hypothesis' shrink (samples deleted from
    # inside batches, weights dropped, values made simpler: see reduce.py); 0: none. Known differences are not reduced.
    reduce_budget: int = 0
    # Seconds an unexpected failure may take to shrink (Hypothesis' shrink of the case's failures together, then each
    # failure's reduction). A safety cap for a slow or loaded machine: the counts above bind first on an unloaded
    # one, so that a derandomized profile gives the same minimal example on every machine (a finding cut by the
    # seconds says so: ``Finding.shrink_cut``). Known differences are never shrunk: nothing is spent on them.
    shrink_seconds: float = 120.0
    # conformance check: seconds one property may run on a user's metric before its outcome is ``timeout``.
    deadline_s: float = 120.0
    # Deep properties (seconds per case: long streams, training loops; see Property.deep) run on one representative
    # metric per trait only: the smoke profile's pass over the whole matrix (make test); make report runs them all.
    deep_on_representatives: bool = False
    # Library metrics' updates run eagerly rather than compiled as model.fit() runs them (a Keras metric's
    # tf.function is traced anew for each object and batch shape: 0.05-1 s a trace, most of make test's matrix time).
    # The execution_modes property still compares compiled with eager updates.
    eager_updates: bool = False


REPLAY = "replay"  # not a Profile: it reuses the recorded run's profile, one recorded example per case

PROFILES = {
    "ci": Profile("ci", max_examples=25, max_samples=24, max_batches=12, derandomize=True, use_database=False,
                  shrink_budget=200, reduce_budget=120, shrink_seconds=120.0),
    "smoke": Profile("smoke", max_examples=3, max_samples=12, max_batches=6, derandomize=True, use_database=False,
                     shrink_budget=25, reduce_budget=40, shrink_seconds=30.0, eager_updates=True,
                     deep_on_representatives=True),
    "thorough": Profile("thorough", max_examples=300, max_samples=200, max_batches=60, derandomize=False,
                        use_database=True, jit_compile=True, reduce_budget=400, shrink_seconds=600.0,
                        deadline_s=900.0),
}

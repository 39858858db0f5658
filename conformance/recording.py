"""Every call the harness makes into a library, recorded as it is made, and rendered as a script that makes it again.

The one place of each library call path records its calls: the adapters' constructors (:func:`make`), the wrappers
``KerasMetric``, ``JaxJitMetric`` and ``TorchMetric`` and scikit-learn's ``compute`` (:func:`call`), the distributed
check's parent (what each rank is given, under :func:`rank`), and the properties that drive a metric's own API
(:func:`invoke`, :func:`make`). A step holds the object it is made on (a variable of the script), the arguments as
they were given (references to the arrays already built, no copies; :class:`Tensor` for an array given as a torch
tensor), and for a value the harness reads, how it is read and the value. An execution mode is an object too: the
``tf.function`` or ``jax.jit`` function made from the metric's method, and called instead of it.

A property labels the sides of a comparison with :func:`side` ("shuffled" / "original order"), and a value it
computes from library values (a mean of per-batch values, a scaled value) with :func:`mean` or :func:`scaled`. The
judge attaches the record of the example so far to each failure and explained difference (:func:`snapshot`), and
:func:`render` turns it into a script: imports, each object made, each call in order with its arrays as literals
(float32 values exact), each value read printed with its label, repeated calls as loops, and the two values compared
printed last (a distributed record: a file that spawns the ranks). No property needs rendering code of its own.

Recording is on only while an example runs (the engine's test and reduce.py's candidates :func:`start` it); outside
one, every function here returns at once.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

# -- what a record holds ------------------------------------------------------------------------


@dataclass(frozen=True)
class Tensor:
    """An array the library was given as a torch tensor: the script passes ``torch.from_numpy(array)``."""

    array: np.ndarray


@dataclass(frozen=True)
class Var:
    """An object of the script: a metric, a compiled function, a value a call returned and a later one takes."""

    name: str


@dataclass(frozen=True)
class Opaque:
    """An argument the record cannot write as source (an object made outside the record)."""

    kind: str


@dataclass
class Read:
    """How a value the harness read is read: ``key`` (an entry of a returned dict: model.evaluate's logs),
    ``parts`` (a tuple of tensors stacked: torchmetrics' ``(value, threshold)``), ``output`` (one entry of it)."""

    output: tuple[int, ...] | None = None
    parts: bool = False
    key: str | None = None


@dataclass
class Step:
    """One statement: ``make`` (an object), ``call`` (a method or function) or ``code`` (source of a template)."""

    kind: str
    side: str | None = None
    rank: int | None = None
    var: str | None = None  # make: the variable made; call: the variable its returned object is kept in
    template: str = ""  # make / code: source, {0}, {1}... the variables of ``refs``, {var} this step's own
    refs: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    receiver: str | None = None
    method: str | None = None  # None: the receiver itself is called (a function, a compiled function)
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    read: Read | None = None
    value: Any = None  # what the harness read (float64), for a read
    raised: str | None = None  # the exception type, where the call raised
    label: str | None = None  # what the value read is, where the side's label does not say
    optional: bool = False  # shown only where it is one of the values compared


@dataclass(frozen=True)
class Derived:
    """A value a property computed from values it read: their (weighted) mean, or one of them scaled."""

    value: np.ndarray
    label: str
    parts: tuple[np.ndarray, ...]
    weights: tuple[float, ...] | None = None
    factor: float | None = None


@dataclass(frozen=True)
class Record:
    """The steps of an example up to a verdict, and what the two values compared were: ``against`` is
    ``reference`` (the expected value is the NumPy reference), ``library`` (another library value) or None."""

    steps: tuple[Step, ...]
    derived: tuple[Derived, ...] = ()
    against: str | None = None


@dataclass(frozen=True)
class Source:
    """How an object was made: its template over the objects ``refs``, the imports it needs, its variable's name."""

    template: str
    refs: tuple[Any, ...]
    imports: tuple[str, ...]
    name: str


class _Ignored:
    """The step handed out while nothing is recorded: whatever is set on it is dropped."""

    def __setattr__(self, name: str, value: Any) -> None:
        pass


_IGNORED: Any = _Ignored()


class Recorder:
    """The steps of the example running now."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.live: dict[int, tuple[Any, str]] = {}  # id -> (the object, held while the example runs; its variable)
        self.returned: dict[int, tuple[Any, Step]] = {}  # id of an object a call returned -> (it, that call)
        self.names: Counter[str] = Counter()
        self.derived: list[Derived] = []
        self.side: str | None = None
        self.label: str | None = None
        self.rank: int | None = None
        self.paused = 0

    def name(self, base: str) -> str:
        self.names[base] += 1
        return base if self.names[base] == 1 else f"{base}_{self.names[base]}"

    def step(self, **fields: Any) -> Step:
        fields["label"] = fields.get("label") or self.label
        step = Step(side=self.side, rank=self.rank, **fields)
        self.steps.append(step)
        return step

    def var_of(self, obj: Any) -> str | None:
        """The variable of ``obj``: made in this example, made before (a pooled metric: made again here), or
        returned by a call of this example; None for an object the record never saw."""
        key = id(obj)
        if key in self.live:
            return self.live[key][1]
        source = _sources.get(key)
        if source is not None:
            return self.bind(obj, self.make_step(source))
        if key in self.returned:
            held, step = self.returned[key]
            if step.var is None:
                step.var = self.name(_returned_name(step.method))
            return self.bind(held, step)
        return None

    def bind(self, obj: Any, step: Step) -> str:
        self.live[id(obj)] = (obj, step.var)
        return step.var

    def make_step(self, source: Source) -> Step:
        refs = tuple(self.var_of(ref) or "None" for ref in source.refs)
        return self.step(kind="make", var=self.name(source.name), template=source.template, refs=refs,
                         imports=source.imports)

    def shown(self, value: Any) -> Any:
        """``value`` as the record keeps it (arrays by reference, objects as variables)."""
        if isinstance(value, (np.ndarray, Tensor, Var)) or value is None or isinstance(
                value, (bool, int, float, str, np.generic)):
            return value
        var = self.var_of(value)  # an object of the record (a list or dict a call returned too)
        if var:
            return Var(var)
        if isinstance(value, (list, tuple)):
            return (list if isinstance(value, list) else tuple)(self.shown(v) for v in value)
        if isinstance(value, dict):
            return {k: self.shown(v) for k, v in value.items()}
        if type(value).__module__.startswith("torch") and hasattr(value, "numpy"):
            return Tensor(value.detach().cpu().numpy().copy())  # the library's own tensor: it may change later
        return Opaque(type(value).__name__)


_current: Recorder | None = None
# How each library object still alive was made (by id; dropped when it dies), so that a pooled metric reused in a later
# example is made again in that example's script.
_sources: dict[int, Source] = {}


def _active() -> Recorder | None:
    return _current if _current is not None and not _current.paused else None


def start() -> None:
    """Record the calls of a new example (those of the previous one are dropped)."""
    global _current
    _current = Recorder()


def stop() -> None:
    """Record nothing until the next :func:`start`."""
    global _current
    _current = None


def snapshot(against: str | None = None) -> Record | None:
    """The example's steps so far (None while nothing is recorded)."""
    if _current is None:
        return None
    return Record(tuple(_current.steps), tuple(_current.derived), against)


@contextlib.contextmanager
def _recording_with(attribute: str, value: Any) -> Iterator[None]:
    """The current recorder's ``attribute`` set to ``value`` inside (nothing where nothing is recorded)."""
    recorder = _current
    if recorder is None or value is None:
        yield
        return
    before = getattr(recorder, attribute)
    setattr(recorder, attribute, value)
    try:
        yield
    finally:
        setattr(recorder, attribute, before)


def side(label: str | None) -> contextlib.AbstractContextManager[None]:
    """Label the steps made inside: one side of a comparison ("shuffled", "each batch alone", "eager")."""
    return _recording_with("side", label)


def labelled(label: str) -> contextlib.AbstractContextManager[None]:
    """Label the values read inside (without starting a new side): "after 2,112 samples"."""
    return _recording_with("label", label)


def rank(number: int) -> contextlib.AbstractContextManager[None]:
    """The steps inside are made by process ``number`` of a torch.distributed group."""
    return _recording_with("rank", number)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Record nothing inside (a pooled metric's reset, evidence gathered for a message)."""
    recorder = _current
    if recorder is None:
        yield
        return
    recorder.paused += 1
    try:
        yield
    finally:
        recorder.paused -= 1


def renew(obj: Any) -> None:
    """``obj`` (a pooled metric, just reset) is a new metric to the script from now on: made again where next used,
    with the functions compiled from it."""
    recorder = _current
    if recorder is None:
        return
    recorder.live.pop(id(obj), None)
    for key in [key for key in recorder.live if any(ref is obj for ref in getattr(_sources.get(key), "refs", ()))]:
        del recorder.live[key]


def _remember(obj: Any, source: Source) -> None:
    """Keep how ``obj`` was made while it lives (objects that take no weak reference are not kept)."""
    key = id(obj)
    try:
        weakref.finalize(obj, _sources.pop, key, None)
    except TypeError:
        return
    _sources[key] = source


def make(build: Callable[[], Any], template: str, *refs: Any, imports: Sequence[str] = (),
         name: str = "metric") -> Any:
    """``build()`` (which makes a library object), recorded as ``name = template`` (``{0}``... the variables of
    ``refs``; a template with ``{var}`` is a block that assigns the variable itself)."""
    source = Source(template, refs, tuple(imports), name)
    recorder = _active()
    step = recorder.make_step(source) if recorder else None
    try:
        obj = build()
    except BaseException as error:
        if step is not None:
            step.raised = type(error).__name__
        raise
    _remember(obj, source)
    if recorder is not None:
        recorder.bind(obj, step)
    return obj


def imported(obj: Any, name: str, *imports: str) -> Any:
    """``obj`` (a library's function), which a script names ``name`` once imported."""
    if id(obj) not in _sources:
        _remember(obj, Source(name, (), imports, name))
    return obj


@contextlib.contextmanager
def call(receiver: Any, method: str | None, *args: Any, read: Read | None = None, label: str | None = None,
         **kwargs: Any) -> Iterator[Step]:
    """Record ``receiver.method(*args, **kwargs)`` (``receiver(...)`` where ``method`` is None) made inside the
    block; set ``value`` on the step yielded for a value read. A raise inside marks the step."""
    recorder = _active()
    if recorder is None:
        yield _IGNORED
        return
    step = recorder.step(kind="call", receiver=recorder.var_of(receiver) or "unrecorded", method=method,
                         args=recorder.shown(args), kwargs=recorder.shown(kwargs), read=read, label=label)
    try:
        yield step
    except BaseException as error:
        step.raised = type(error).__name__
        raise


def invoke(receiver: Any, method: str | None, *args: Any, read: Read | None = None, label: str | None = None,
           **kwargs: Any) -> Any:
    """``receiver.method(*args, **kwargs)`` (``receiver(...)`` where ``method`` is None), made and recorded (a property
    driving a metric's own API). A value read (``read``) is returned as the harness reads it (float64, see
    :func:`read_value`), the very array the record keeps; an object returned is kept for a later call that takes it."""
    with call(receiver, method, *args, read=read, label=label, **kwargs) as step:
        value = (getattr(receiver, method) if method else receiver)(*args, **kwargs)
    if read is not None:  # the very array recorded: a failure holding it names this read
        step.value = value = read_value(value, read)
        return value
    recorder = _active()
    if recorder is not None and value is not None and not isinstance(
            value, (bool, int, float, str, np.ndarray, np.generic)):
        recorder.returned[id(value)] = (value, step)
    return value


def read_value(raw: Any, read: Read) -> np.ndarray:
    """A value as the harness reads it: the entry, the parts stacked, as float64, the output picked."""
    if read.key is not None:
        raw = raw[read.key]
    if read.parts:
        raw = np.stack([np.asarray(part) for part in raw])
    value = np.asarray(raw, np.float64)
    return value[read.output] if read.output is not None else value


def show(obj: Any, attribute: str, value: Any, label: str | None = None, optional: bool = False,
         output: tuple[int, ...] | None = None) -> None:
    """Record that the harness read ``obj.attribute`` (a value it judged; ``output``: the entry of it it judged), and
    the value (``optional``: the script prints it only where it is one of the values compared)."""
    recorder = _active()
    if recorder is None:
        return
    var = recorder.var_of(obj) or "unrecorded"
    try:
        number = np.asarray(value, np.float64)
    except (TypeError, ValueError):
        number = None
    recorder.step(kind="code", template=f"{{0}}.{attribute}", refs=(var,), read=Read(output), value=number,
                  label=label or attribute, optional=optional)


def code(template: str, *refs: Any) -> None:
    """Record a statement the harness ran itself (``{0}``... the variables of ``refs``)."""
    recorder = _active()
    if recorder is not None:
        recorder.step(kind="code", template=template, refs=tuple(recorder.var_of(r) or "None" for r in refs))


def mean(values: Sequence[np.ndarray], weights: Sequence[float] | None = None, label: str = "their mean"
         ) -> np.ndarray:
    """The (weighted) mean of values read, over the first axis; the script computes it from them too."""
    stacked = np.stack([np.asarray(v, np.float64) for v in values])
    value = np.average(stacked, axis=0, weights=None if weights is None else np.asarray(weights, np.float64))
    if _current is not None:
        _current.derived.append(Derived(value, label, tuple(values),
                                        None if weights is None else tuple(float(w) for w in weights)))
    return value


def scaled(value: np.ndarray, factor: float, label: str) -> np.ndarray:
    """``factor * value`` (a value read); the script computes it too."""
    result = np.asarray(factor * np.asarray(value, np.float64))
    if _current is not None and factor != 1:
        _current.derived.append(Derived(result, label, (value,), factor=factor))
    return result if factor != 1 else np.asarray(value, np.float64)


def _returned_name(method: str | None) -> str:
    if method == "fit":
        return "history"  # what Keras' documentation names fit()'s History
    return (method or "value").removeprefix("get_").removeprefix("stateless_update_") or "value"


# -- rendering ------------------------------------------------------------------------------------

INLINE = 64  # arrays of more elements are named once (a tiled one as np.resize of its period), not written inline
MAX_PERIOD = 64


def render(record: Record | None, observed: Any = None, expected: Any = None, *, title: str = "",
           raises: bool = False) -> str | None:
    """A script that makes ``record``'s calls again and prints what they read: ``observed`` (the value the finding
    reports) and ``expected`` (the other side's, or the reference's) last, each with its label. ``raises``: the
    finding is an exception the library raised (no value compared), which the script shows."""
    if record is None or not record.steps:
        return None
    try:
        return _Script(record, observed, expected, title, raises).text()
    except Exception as error:  # the finding stands without its snippet; the harness's own fault, said so
        return f"# the harness could not write this finding's snippet ({type(error).__name__}: {error})\n"


def _same(a: Any, b: Any) -> bool:
    try:
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


class _Script:
    def __init__(self, record: Record, observed: Any, expected: Any, title: str, raises: bool = False):
        self.record, self.title = record, title
        self.steps = _live_steps(record.steps)
        self.arrays = _Arrays()
        self.failing_raise = False
        self.special: dict[int, tuple[str, str]] = {}  # step index -> (variable, label)
        self.ending: list[str] = []
        if raises:  # the exception of the last call, if it raised (else one the harness caught, shown where it was)
            self.failing_raise = bool(self.steps) and self.steps[-1].raised is not None
        else:
            self.identify(observed, expected)
        self.prune()
        self.steps = _renamed(self.steps)

    # -- which reads are the values compared ------------------------------------------------------
    def find(self, value: Any, taken: set[int], kind: str | None = None) -> int | None:
        """The read that gave ``value``: the one that recorded this very array, else the latest (of ``kind``, if one
        of that kind has it) whose value is ``value``."""
        same = next((i for i, s in enumerate(self.steps) if s.value is value and i not in taken), None)
        if same is not None:
            return same
        found = [index for index in range(len(self.steps) - 1, -1, -1)
                 if index not in taken and self.steps[index].read is not None
                 and self.steps[index].value is not None and _same(self.steps[index].value, value)]
        return next((i for i in found if self.steps[i].kind == kind), found[0] if found else None)

    def derived_of(self, value: Any) -> Derived | None:
        same = [d for d in self.record.derived if d.value is value]
        return same[0] if same else next((d for d in reversed(self.record.derived) if _same(d.value, value)), None)

    def label(self, index: int) -> str:
        step = self.steps[index]
        label = step.label or step.side or f"{step.method or re.sub(r'_[0-9]+$', '', step.receiver or '')}()"
        return f"{label} (rank {step.rank})" if step.rank is not None and step.label is None else label

    def mark(self, value: Any, role: str, taken: set[int], kind: str | None = None) -> str | None:
        """Mark the read (or the values a derived one comes from) that gave ``value``; its label, or None."""
        derived = self.derived_of(value)
        if derived is not None:
            names = []
            for part in derived.parts:
                index = self.find(part, taken)
                if index is None:
                    return None
                taken.add(index)
                names.append(f"value_{len(names) + 1}")
                self.special[index] = (names[-1], self.label(index))
            if derived.factor is not None:
                self.ending.append(f"{role} = {derived.factor!r} * {names[0]}")
            else:
                weights = "" if derived.weights is None else f", weights={list(derived.weights)!r}"
                self.ending.append(f"{role} = np.average(np.array([{', '.join(names)}], dtype=np.float64), "
                                   f"axis=0{weights})")
            return derived.label
        index = self.find(value, taken, kind)
        if index is None:
            return None
        taken.add(index)
        self.special[index] = (role, self.label(index))
        return self.special[index][1]

    def identify(self, observed: Any, expected: Any) -> None:
        taken: set[int] = set()
        prints = []
        observed_label = None
        finite = observed is not None and not np.isnan(np.asarray(observed, np.float64)).all()
        last_raised = bool(self.steps) and self.steps[-1].raised is not None
        if finite or (observed is not None and not last_raised):
            observed_label = self.mark(observed, "observed", taken)
        elif not last_raised:  # the failure is a value the harness rejected: the last value read
            reads = [i for i, s in enumerate(self.steps) if s.read is not None]
            if reads:
                taken.add(reads[-1])
                self.special[reads[-1]] = ("observed", observed_label := self.label(reads[-1]))
        # The failure is the exception of the last call (the script ends with it), unless a value was judged.
        self.failing_raise = last_raised and observed_label is None
        if observed_label is not None:
            prints.append(f"print({f'observed ({observed_label}):'!r}, observed)")
        elif observed is not None and not self.failing_raise:
            self.ending.append(f"# the library value the finding reports: {_value(observed)}")
        if expected is not None and not self.failing_raise:
            # Of the kind the observed value was read by (a call, an attribute), where one such read has it.
            kind = next((self.steps[i].kind for i, (name, _) in self.special.items() if name == "observed"), None)
            expected_label = (None if self.record.against == "reference" else
                              self.mark(expected, "expected", taken, kind))
            if expected_label is not None:
                prints.append(f"print({f'expected ({expected_label}):'!r}, expected)")
            elif not np.isnan(np.asarray(expected, np.float64)).all():
                self.ending.append(f"# expected (the reference, float64): {_value(expected)}")
        self.ending += prints

    def prune(self) -> None:
        """Leave out the sides of other comparisons (an earlier check of the same example that agreed), where none
        of their objects is used by the values compared."""
        if not self.special:
            return
        wanted = {self.steps[i].side for i in self.special} | {None}
        if self.failing_raise:
            wanted.add(self.steps[-1].side)
        others = {s.side for s in self.steps} - wanted
        if not others:
            return
        kept_vars = set().union(*(_vars(s) for s in self.steps if s.side in wanted))
        dropped = {side for side in others
                   if not kept_vars & set().union(*(_vars(s) for s in self.steps if s.side == side))}
        if not dropped:
            return
        keep = [i for i, s in enumerate(self.steps) if s.side not in dropped]
        position = {old: new for new, old in enumerate(keep)}
        self.steps = [self.steps[i] for i in keep]
        self.special = {position[i]: v for i, v in self.special.items()}

    # -- the script -------------------------------------------------------------------------------
    def text(self) -> str:
        distributed = any(step.rank is not None for step in self.steps)
        imports = ["import numpy as np"]
        for step in self.steps:
            imports += [line for line in step.imports if line not in imports]
        if any(isinstance(a, Tensor) for step in self.steps for a in _flat(step.args, step.kwargs)):
            imports += [] if "import torch" in imports else ["import torch"]
        head = [f"# {line}" for line in self.title.splitlines()[:3] if line.strip()]
        if distributed:
            return self.distributed(head, imports)
        body = _compressed(self.units(range(len(self.steps))))
        if any("ml_dtypes." in line for line in body):  # a bfloat16 array's literal (NumPy has no bfloat16)
            imports.append("import ml_dtypes")
        return "\n".join([*head, *imports, "", *body, *(["", *self.ending] if self.ending else [])]) + "\n"

    def distributed(self, head: list[str], imports: list[str]) -> str:
        ranks = sorted({step.rank for step in self.steps if step.rank is not None})
        lines = [*head, "# torch.multiprocessing spawns the ranks: run it as a file (python snippet.py)",
                 "import datetime", "import os", "import socket", "import sys", *imports,
                 "import torch.distributed as dist",
                 "import torch.multiprocessing as mp", *(["import torch"] if "import torch" not in imports else []),
                 "", "", "def print(*parts):  # one write per line: the ranks print at the same time",
                 '    sys.stdout.write(" ".join(map(str, parts)) + "\\n")',
                 "", "", "def run(rank, port):",
                 '    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))',
                 # a sync that never completes (a declared hang) ends the script with gloo's timeout error
                 f"    dist.init_process_group('gloo', rank=rank, world_size={len(ranks)}, "
                 "timeout=datetime.timedelta(seconds=30))"]
        for number in ranks:
            lines.append(f"    if rank == {number}:")
            units = _compressed(self.units([i for i, s in enumerate(self.steps) if s.rank == number], inline=True))
            lines += ["        " + line if line else "" for unit in units for line in unit.splitlines()]
        lines += ["    dist.destroy_process_group()", "", "", 'if __name__ == "__main__":',
                  "    with socket.socket() as probe:  # a free port for the group",
                  '        probe.bind(("127.0.0.1", 0))',
                  "        port = probe.getsockname()[1]",
                  f"    mp.spawn(run, args=(port,), nprocs={len(ranks)})"]
        return "\n".join(lines) + "\n"

    def units(self, indices: Sequence[int], inline: bool = False) -> list[_Unit]:
        """One unit per statement (array definitions first where first needed); ``inline``: the values compared are
        printed where they are read (a rank's block), not at the end."""
        units: list[_Unit] = []
        side: str | None = None
        last = len(self.steps) - 1
        for index in indices:
            step = self.steps[index]
            if step.side != side and step.side is not None and not inline:
                units.append(_Unit(f"\n# {step.side}", loop=False))
            side = step.side
            source = None if step.optional and index not in self.special else self.statement(step, index)
            if source is None:
                continue
            units += [_Unit(line, loop=False) for line in self.arrays.definitions()]
            if step.raised and not (index == last and self.failing_raise):  # the harness caught it and went on
                label = self.label(index) if step.read else f"{step.method or step.var or 'the call'}"
                source = (f"try:\n{_indent(source)}\nexcept Exception as error:  # the harness went on without it\n"
                          f"    print({f'{label} raised'!r}, type(error).__name__, error)")
                units.append(_Unit(source, loop=False))
                continue
            if inline and index in self.special:
                name, label = self.special[index]
                role = name if name in ("observed", "expected") else label
                source += f"\nprint({f'{role} ({label}):' if role != label else f'{label}:'!r}, {name})"
            units.append(_Unit(source, loop=index not in self.special))
        return units

    def statement(self, step: Step, index: int) -> str | None:
        if step.kind == "make":
            if step.template == step.var:  # an imported function: its import is the statement
                return None
            text = step.template.format(*step.refs, var=step.var)
            return text if "{var}" in step.template else f"{step.var} = {text}"
        expression = (step.template.format(*step.refs) if step.kind == "code" else
                      f"{step.receiver}{'.' + step.method if step.method else ''}({self.arguments(step)})")
        if step.read is None:
            return f"{step.var} = {expression}" if step.var else expression
        read = _read_source(expression, step.read)
        if index in self.special:
            name, label = self.special[index]
            assigned = f"{name} = {read}"
            return assigned if name in ("observed", "expected") else f"{assigned}\nprint({f'{label}:'!r}, {name})"
        return f"print({f'{self.label(index)}:'!r}, {read})"

    def arguments(self, step: Step) -> str:
        return ", ".join([*(self.arrays.source(a) for a in step.args),
                          *(f"{k}={self.arrays.source(v)}" for k, v in step.kwargs.items())])


def _live_steps(steps: Sequence[Step]) -> list[Step]:
    """``steps`` without the objects made and never used (the parent's metric that only presented a rank's arrays),
    and, in a distributed record, without the parent's own steps."""
    distributed = any(step.rank is not None for step in steps)
    kept = [s for s in steps if not distributed or s.rank is not None]
    while True:
        used: set[str] = set()
        for step in kept:
            used.update(step.refs)
            if step.receiver:
                used.add(step.receiver)
            used.update(a.name for a in _flat(step.args, step.kwargs) if isinstance(a, Var))
        live = [s for s in kept if s.kind != "make" or s.var in used or s.raised]
        if len(live) == len(kept):
            return live
        kept = live


def _renamed(steps: list[Step]) -> list[Step]:
    """``steps`` (copies) with their variables numbered anew in the order the script meets them (``metric``,
    ``metric_2``...: the objects of other examples and of the sides left out no longer count)."""
    names: dict[str, str] = {}
    counts: Counter[str] = Counter()

    def name(old: str | None) -> str | None:
        if old is None or old == "unrecorded":
            return old
        if old not in names:
            base = re.sub(r"_\d+$", "", old)
            counts[base] += 1
            names[old] = base if counts[base] == 1 else f"{base}_{counts[base]}"
        return names[old]

    def renamed(value: Any) -> Any:
        if isinstance(value, Var):
            return Var(name(value.name))
        if isinstance(value, (list, tuple)):
            return type(value)(renamed(v) for v in value)
        if isinstance(value, dict):
            return {k: renamed(v) for k, v in value.items()}
        return value

    out = []
    for step in steps:
        refs = tuple(name(ref) for ref in step.refs)
        out.append(replace(step, refs=refs, receiver=name(step.receiver), args=renamed(step.args),
                           kwargs=renamed(step.kwargs), var=name(step.var)))
    return out


def _vars(step: Step) -> set[str]:
    """The variables ``step`` makes or uses."""
    used = {step.var, step.receiver, *step.refs} - {None}
    return used | {a.name for a in _flat(step.args, step.kwargs) if isinstance(a, Var)}


def _flat(args: Any, kwargs: dict | None = None) -> Iterator[Any]:
    for value in [*(args or ()), *((kwargs or {}).values())]:
        if isinstance(value, (list, tuple)):
            yield from _flat(value)
        elif isinstance(value, dict):
            yield from _flat((), value)
        else:
            yield value


def _read_source(expression: str, read: Read) -> str:
    if read.key is not None:
        expression = f"{expression}[{read.key!r}]"
    source = f"np.stack([np.asarray(part) for part in {expression}])" if read.parts else f"np.asarray({expression})"
    if read.output is not None:
        source += "[" + ", ".join(map(str, read.output)) + "]"
    return source


def _value(value: Any) -> str:
    array = np.asarray(value, np.float64)
    return repr(array.item()) if array.ndim == 0 else repr(array.tolist())


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else line for line in text.splitlines())


# -- arrays ---------------------------------------------------------------------------------------------


class _Arrays:
    """The arrays of a script: small ones as literals where used; large ones (and those a large one's slices come
    from) named once, a tiled one as ``np.resize`` of its period; a slice of a named one as ``name[start:stop]``."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.held: list[np.ndarray] = []  # keeps the ids valid
        self.pending: list[str] = []
        self.patterns: dict[str, str] = {}  # a long period's literal -> its variable
        self.defined: dict[str, str] = {}  # a definition's source -> its variable

    def definitions(self) -> list[str]:
        pending, self.pending = self.pending, []
        return pending

    def source(self, value: Any) -> str:
        if isinstance(value, Tensor):
            if value.array.dtype.name == "bfloat16":  # torch.from_numpy takes no ml_dtypes array: its float32 values
                return f"torch.from_numpy({self.source(value.array.astype(np.float32))}).to(torch.bfloat16)"
            return f"torch.from_numpy({self.source(value.array)})"
        if isinstance(value, np.ndarray):
            return self.array(value)
        if isinstance(value, Var):
            return value.name
        if isinstance(value, Opaque):  # a name the script lacks: running it says what the record could not write
            return f"unrecorded_{re.sub(r'[^A-Za-z0-9_]', '_', value.kind)}"
        if isinstance(value, np.generic):
            return f"np.{value.dtype}({_scalar(np.asarray(value))})"
        if isinstance(value, float):
            return _scalar(np.asarray(value))
        if isinstance(value, tuple):
            inner = ", ".join(self.source(v) for v in value)
            return f"({inner}{',' if len(value) == 1 else ''})"
        if isinstance(value, list):
            return "[" + ", ".join(self.source(v) for v in value) + "]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {self.source(v)}" for k, v in value.items()) + "}"
        return repr(value)

    def array(self, array: np.ndarray) -> str:
        from conformance.adapters.base import literal

        if array.size == 0:
            return literal(array)
        view = _slice_of(array)
        if view is not None:
            base, index = view
            return f"{self.named(base)}{index}"
        if array.size > INLINE:
            return self.named(array)
        return literal(array)

    def named(self, array: np.ndarray) -> str:
        """The variable of a large array: defined where first used, once for equal arrays (each update given a
        copy of the same samples uses one variable)."""
        from conformance.adapters.base import literal

        if id(array) in self.names:
            return self.names[id(array)]
        self.held.append(array)
        period = _period(array)
        if period is None:
            definition = literal(array)
        else:
            pattern = literal(array[:period])
            if len(pattern) > 200:  # the same samples tiled to other lengths: written once
                if pattern not in self.patterns:
                    self.patterns[pattern] = f"pattern_{len(self.patterns) + 1}"
                    self.pending.append(f"{self.patterns[pattern]} = {pattern}")
                pattern = self.patterns[pattern]
            definition = f"np.resize({pattern}, {array.shape})  # {period} sample{'s' if period > 1 else ''}, tiled"
        if definition not in self.defined:
            self.defined[definition] = f"array_{len(self.defined) + 1}"
            self.pending.append(f"{self.defined[definition]} = {definition}")
        self.names[id(array)] = self.defined[definition]
        return self.names[id(array)]


def _scalar(value: np.ndarray) -> str:
    from conformance.adapters.base import _source

    return _source(value)


def _slice_of(array: np.ndarray) -> tuple[np.ndarray, str] | None:
    """``(base, "[start:stop]")`` where ``array`` is consecutive samples of a large array (a stream's batch)."""
    base = array.base
    if (not isinstance(base, np.ndarray) or base.size <= INLINE or base.dtype != array.dtype
            or not (array.flags.c_contiguous and base.flags.c_contiguous)):
        return None
    offset, remainder = divmod(array.ctypes.data - base.ctypes.data, array.itemsize)
    if remainder or offset < 0 or offset + array.size > base.size:
        return None
    if base.ndim == 1:
        if array.ndim == 1:
            return base, f"[{offset}:{offset + array.size}]"
        if array.ndim == 2 and array.shape[1] == 1:
            return base, f"[{offset}:{offset + array.size}, None]"
        return None
    row = int(np.prod(base.shape[1:]))
    if array.shape[1:] == base.shape[1:] and offset % row == 0:
        return base, f"[{offset // row}:{offset // row + array.shape[0]}]"
    return None


def _period(array: np.ndarray) -> int | None:
    """The fewest leading samples that ``array`` repeats (tiled), if at most MAX_PERIOD."""
    n = len(array)
    floating = array.dtype.kind == "f"
    for period in range(1, min(MAX_PERIOD, n // 2) + 1):
        head = min(16, n - period)
        if not np.array_equal(array[period:period + head], array[:head], equal_nan=floating):
            continue
        if np.array_equal(array[period:], array[:-period], equal_nan=floating):
            return period
    return None


# -- loops ------------------------------------------------------------------------------------------


@dataclass
class _Unit:
    text: str
    loop: bool = True  # may be folded into a loop with its neighbours


_SLICE = re.compile(r"\[(\d+):(\d+)(, None)?\]")
MIN_RUN = 3
MAX_BLOCK = 8


def _compressed(units: list[_Unit]) -> list[str]:
    """Runs of calls on consecutive slices as ``for start in range(...)``, repeated blocks as ``for _ in range(k)``."""
    return [unit.text for unit in _repeated_blocks(_slice_runs(units))]


def _slice_runs(units: list[_Unit]) -> list[_Unit]:
    out: list[_Unit] = []
    index = 0
    while index < len(units):
        unit, end = units[index], index + 1
        slices = _SLICE.findall(unit.text) if unit.loop else []
        starts = [int(s[0]) for s in slices]
        lengths = [int(s[1]) - int(s[0]) for s in slices]
        key = _SLICE.sub("[]", unit.text)
        step = 0
        while slices and end < len(units) and units[end].loop and _SLICE.sub("[]", units[end].text) == key:
            found = _SLICE.findall(units[end].text)
            if [int(f[1]) - int(f[0]) for f in found] != lengths:
                break
            if step == 0:
                deltas = {int(f[0]) - s for f, s in zip(found, starts, strict=True)}
                if len(deltas) != 1 or min(deltas) <= 0:
                    break
                step = deltas.pop()
            if [int(f[0]) for f in found] != [s + (end - index) * step for s in starts]:
                break
            end += 1
        if end - index < MIN_RUN:
            out.append(unit)
            index += 1
            continue
        first = starts[0]
        slots = iter(zip(starts, lengths, strict=True))

        def slot(match: re.Match, slots=slots, first=first) -> str:
            start, length = next(slots)
            offset = f"start + {start - first}" if start != first else "start"
            return f"[{offset}:{offset} + {length}{match.group(3) or ''}]"

        out.append(_Unit(f"for start in range({first}, {first + step * (end - index)}, {step}):\n"
                         f"{_indent(_SLICE.sub(slot, unit.text))}"))
        index = end
    return out


def _repeated_blocks(units: list[_Unit]) -> list[_Unit]:
    out: list[_Unit] = []
    index = 0
    while index < len(units):
        best = (0, 1, 1)  # (lines saved, block length, repeats)
        for length in range(1, MAX_BLOCK + 1):
            block = units[index:index + length]
            if len(block) < length or not all(u.loop for u in block):
                break
            repeats = 1
            while [u.text for u in units[index + repeats * length:index + (repeats + 1) * length]] == [
                    u.text for u in block]:
                repeats += 1
            if repeats >= MIN_RUN and (repeats - 1) * length > best[0]:
                best = ((repeats - 1) * length, length, repeats)
        _, length, repeats = best
        if repeats >= MIN_RUN:
            body = "\n".join(_indent(u.text) for u in units[index:index + length])
            out.append(_Unit(f"for _ in range({repeats}):\n{body}"))
            index += length * repeats
            continue
        out.append(units[index])
        index += 1
    return out

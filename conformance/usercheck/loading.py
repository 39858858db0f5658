"""Finding the user's target and reference: ``path/to/file.py:Name`` or ``package.module:Name``.

Loading imports only what the user's module imports; the kind of a class is read from its base
classes' modules (``keras...Metric`` or ``torchmetrics...Metric``) before any library is imported here.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from conformance.quiet import tensorflow_start_up_quieted

TargetKind = Literal["keras", "torchmetrics", "function"]
LIBRARY_PACKAGES = ("keras", "torchmetrics", "torch", "builtins")


class CheckUsageError(ValueError):
    """A check that cannot start: a bad option, or a target or reference that cannot be loaded (exit 2)."""


def load_object(spec: str, what: str) -> Any:
    """The object ``spec`` names: ``file.py:Name`` (a file) or ``package.module:Name`` (an import)."""
    location, colon, attribute = spec.rpartition(":")
    if not colon or not location or not attribute:
        raise CheckUsageError(f"{what} {spec!r} must be path/to/file.py:Name or package.module:Name")
    module = _load_module(location, what)
    obj = module
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise CheckUsageError(f"{what} {spec!r}: {location} has no attribute {attribute!r}") from None
    return obj


def _load_module(location: str, what: str) -> Any:
    try:
        with tensorflow_start_up_quieted():  # a user's module that imports Keras loads TensorFlow here
            if location.endswith(".py") or "/" in location or "\\" in location:
                return _load_file(Path(location), what)
            return importlib.import_module(location)
    except CheckUsageError:
        raise
    except Exception as error:  # the user's module failed to import: say why, in one line
        raise CheckUsageError(f"{what}: cannot import {location}: {type(error).__name__}: {error}") from None


def _load_file(path: Path, what: str) -> Any:
    path = path.resolve()
    if not path.is_file():
        raise CheckUsageError(f"{what}: no such file: {path}")
    module_name = f"conformance_user_{abs(hash(str(path))):x}_{path.stem}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))  # the file's siblings import as they would for the user
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise CheckUsageError(f"{what}: {path} is not a Python module")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module  # pickle and worker processes find classes by module name
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _base_modules(cls: type) -> list[tuple[str, str]]:
    return [(base.__module__ or "", base.__name__) for base in inspect.getmro(cls)]


def detect_kind(obj: Any) -> TargetKind:
    """A Keras Metric subclass, a torchmetrics Metric subclass, or a function ``fn(y_true, y_pred)``."""
    if inspect.isclass(obj):
        bases = _base_modules(obj)
        if any(module.startswith("keras") and name == "Metric" for module, name in bases):
            return "keras"
        if any(module.startswith("torchmetrics") and name == "Metric" for module, name in bases):
            return "torchmetrics"
        raise CheckUsageError(f"{obj.__qualname__} is neither a keras.metrics.Metric nor a torchmetrics.Metric "
                              "subclass (nor a function fn(y_true, y_pred))")
    if callable(obj) and not isinstance(obj, type):
        bases = _base_modules(type(obj))
        if any(module.startswith(("keras", "torchmetrics")) and name == "Metric" for module, name in bases):
            raise CheckUsageError(f"the target is a metric instance ({type(obj).__qualname__}); name its class "
                                  "and pass constructor arguments with --init / init=")
        return "function"
    raise CheckUsageError(f"the target {obj!r} is not a class or a function")


@dataclass
class Target:
    """The metric under check: what it is, how to make one, and how a worker process finds it again."""

    obj: Any
    kind: TargetKind
    init: dict[str, Any] = field(default_factory=dict)
    spec: str | None = None  # "file.py:Name" / "module:Name", when known

    @property
    def name(self) -> str:
        return getattr(self.obj, "__qualname__", None) or getattr(self.obj, "__name__", repr(self.obj))

    def new(self) -> Any:
        """A new instance (Keras / torchmetrics) constructed with ``init``."""
        return self.obj(**self.init)

    def takes(self, method: str, parameter: str) -> bool:
        try:
            return parameter in inspect.signature(getattr(self.obj, method)).parameters
        except (TypeError, ValueError, AttributeError):
            return False

    def defines(self, method: str) -> bool:
        """Whether the user's own classes (not the library's) define ``method``."""
        for cls in inspect.getmro(self.obj):
            if (cls.__module__ or "").split(".")[0] in LIBRARY_PACKAGES:
                continue
            if method in vars(cls):
                return True
        return False

    def importable_spec(self) -> str | None:
        """How a worker process can import the target: its spec, or module:qualname if importable."""
        if self.spec:
            return self.spec
        module = getattr(self.obj, "__module__", None)
        qualname = getattr(self.obj, "__qualname__", "")
        if not module or "<locals>" in qualname:
            return None
        if module.startswith("conformance_user_") or module == "__main__":
            try:
                return f"{inspect.getfile(self.obj)}:{qualname}"
            except (TypeError, OSError):
                return None
        return f"{module}:{qualname}"


CLASS_COUNT_PARAMETERS = ("num_classes", "num_labels")  # what --num-classes fills in a constructor that takes it


def make_target(target: Any, init: dict[str, Any] | None = None, num_classes: int | None = None) -> Target:
    """Load (if a string) and inspect the target, and check that it can be instantiated. ``num_classes`` (from
    ``--num-classes``) is passed to a constructor that takes ``num_classes`` or ``num_labels`` and has no value."""
    spec = target if isinstance(target, str) else None
    obj = load_object(target, "target") if spec else target
    kind = detect_kind(obj)
    made = Target(obj, kind, dict(init or {}), spec)
    if kind != "function":
        if num_classes is not None:
            for name in CLASS_COUNT_PARAMETERS:
                if made.takes("__init__", name) and name not in made.init:
                    made.init[name] = num_classes
        try:
            made.new()
        except Exception as error:
            raise CheckUsageError(_construction_error(made, error)) from None
    elif made.init:
        raise CheckUsageError("--init / init= gives constructor arguments; a function target has none")
    return made


def _construction_error(made: Target, error: Exception) -> str:
    """One line: the constructor's error, and for a missing argument the flag that passes it."""
    message = f"cannot instantiate {made.name}({_arguments(made.init)}): {type(error).__name__}: {error}"
    missing = re.findall(r"'(\w+)'", str(error)) if "missing" in str(error) and "argument" in str(error) else []
    if missing:
        given = {**made.init, **{name: "..." for name in missing}}
        how = " or ".join(["--num-classes N"] if set(missing) <= set(CLASS_COUNT_PARAMETERS) else [])
        example = "{" + ", ".join(f'"{k}": {json.dumps(v) if v != "..." else "..."}' for k, v in given.items()) + "}"
        message += f"; pass {', '.join(missing)} with " + (f"{how} or " if how else "") + f"--init '{example}'"
    return " ".join(message.split())  # one line, however the library wrapped its message


def _arguments(init: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in init.items())


def load_callable(spec: str | Callable[..., Any], what: str) -> Callable[..., Any]:
    obj = load_object(spec, what) if isinstance(spec, str) else spec
    if not callable(obj):
        raise CheckUsageError(f"{what} {spec!r} is not callable")
    return obj


def reason_of(error: BaseException) -> str:
    """One line saying why ``error`` was raised: its first line, or for TensorFlow's "in user code:" tracebacks the
    last one (where the reason is)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1] if lines[0].endswith(":") and len(lines) > 1 else lines[0]

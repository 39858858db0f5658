"""bug_power's mutation operators: one realistic bug at a time in a library's metric code, as a source edit.

Each operator finds its *points* in a file's functions (module-level code and class bodies run at import, not in a
metric's computation) and says what replaces the point's source text; the rest of the file is left byte for byte,
so a mutant's line numbers are the original's. The kinds, as issue 14 names them:

- ``flipped comparison``: ``>`` <-> ``>=``, ``<`` <-> ``<=``, ``==`` <-> ``!=``.
- ``dropped weight``: ``x * w`` or ``x / w`` -> ``x`` where ``w`` names a weight; a ``sample_weight=`` /
  ``weights=`` / ``weight=`` keyword argument dropped from a call.
- ``off by one``: an integer constant in arithmetic, a comparison, an index or a ``range`` moved by one (0 -> 1,
  n -> n - 1).
- ``wrong reduction``: ``sum`` <-> ``mean``, ``max`` <-> ``min`` (and ``amax``, ``argmax``, ``reduce_*``,
  ``nansum``); an ``axis=`` / ``dim=`` constant changed (0 -> 1, else -> 0).
- ``removed guard``: a clamp (``clip``, ``clamp``, ``maximum``, ``minimum``, ``nan_to_num``, ...) reduced to the
  value it guards; a safe division (``_safe_divide``, ``divide_no_nan``, ``_prf_divide``, ...) made a plain
  ``/``; an epsilon added to a denominator dropped; an ``if`` without ``else`` whose body returns or assigns
  (a special case's fallback) removed.
- ``swapped arguments``: the operands of a ``/`` or the first two arguments of a division function swapped;
  two positional arguments that are a target and a prediction (``y_true, y_pred``, ``preds, target``) swapped.
- ``dropped accumulation``: Keras' ``v.assign_add(x)`` -> ``v.assign(x)``; ``state += x`` -> ``state = x``.
"""

from __future__ import annotations

import ast
import copy
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

FLIPS = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
REDUCTIONS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "amax": "amin", "amin": "amax",
              "nansum": "nanmean", "nanmean": "nansum", "argmax": "argmin", "argmin": "argmax",
              "reduce_sum": "reduce_mean", "reduce_mean": "reduce_sum", "reduce_max": "reduce_min",
              "reduce_min": "reduce_max"}
AXIS_KEYWORDS = {"axis", "dim"}
CLAMPS = {"clip", "clamp", "clip_by_value", "clamp_min", "clamp_max", "maximum", "minimum", "fmax", "fmin",
          "nan_to_num"}
SAFE_DIVISIONS = {"_safe_divide", "safe_divide", "divide_no_nan", "_prf_divide", "_safe_div", "div_no_nan"}
DIVISIONS = SAFE_DIVISIONS | {"divide", "true_divide", "div"}
WEIGHT_KEYWORDS = {"sample_weight", "sample_weights", "weights", "weight"}
TRUE_NAMES = {"y_true", "target", "targets", "true", "labels", "label", "y"}
PRED_NAMES = {"y_pred", "preds", "pred", "y_score", "y_prob", "probas_pred", "scores", "predictions", "logits",
              "y_proba"}
KINDS = ("flipped comparison", "dropped weight", "off by one", "wrong reduction", "removed guard",
         "swapped arguments", "dropped accumulation")


@dataclass(frozen=True)
class Point:
    """One edit: the source from (line, col) to (end_line, end_col) (1-based lines, UTF-8 byte columns, as the
    ast gives them) becomes ``replacement``."""

    kind: str
    line: int
    col: int
    end_line: int
    end_col: int
    replacement: str
    original: str

    def describe(self) -> str:
        return f"{self.kind}: {_short(self.original)} -> {_short(self.replacement)}"

    def apply(self, source: str) -> str:
        """``source`` with this edit made."""
        lines = source.encode().splitlines(keepends=True)
        head = b"".join(lines[:self.line - 1]) + lines[self.line - 1][:self.col]
        tail = lines[self.end_line - 1][self.end_col:] + b"".join(lines[self.end_line:])
        return (head + self.replacement.encode() + tail).decode()


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _name(node: ast.AST) -> str:
    """The called name of a call's function (``np.sum`` -> ``sum``)."""
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _mentions(node: ast.AST, words: Iterable[str]) -> bool:
    text = ast.unparse(node).lower()
    return any(word in text for word in words)


def _role(node: ast.AST) -> str | None:
    """``true`` or ``pred`` for an argument named like a target or a prediction."""
    name = _name(node) if isinstance(node, ast.Name | ast.Attribute) else ""
    return "true" if name in TRUE_NAMES else "pred" if name in PRED_NAMES else None


MODULES = {"np", "numpy", "torch", "tf", "ops", "xp", "jnp", "backend", "K", "keras", "math", "F", "scipy", "sp",
           "special"}


def _is_method(func: ast.AST) -> bool:
    """Whether a call's function is a method of a value (``x.clip``), not a module's function (``np.clip``,
    ``keras.ops.clip``)."""
    if not isinstance(func, ast.Attribute):
        return False
    root = func.value
    while isinstance(root, ast.Attribute):
        root = root.value
    return not (isinstance(root, ast.Name) and root.id in MODULES)


def _is_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


class _Finder(ast.NodeVisitor):
    """Every point in the functions of a module, in source order."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.points: list[Point] = []
        self.depth = 0
        self.in_fstring = 0

    # -- where points may be -------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for default in [*node.args.defaults, *node.args.kw_defaults]:  # evaluated at definition, not per call
            if default is not None:
                self.visit(default)
        self.depth += 1
        for statement in node.body:
            self.visit(statement)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.depth += 1
        self.visit(node.body)
        self.depth -= 1

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:  # f-strings: messages, and odd offsets in 3.11
        pass

    def _add(self, kind: str, node: ast.AST, replacement: str, *, expression: bool = True) -> None:
        if not self.depth:
            return
        original = ast.get_source_segment(self.source, node) or ast.unparse(node)
        text = f"({replacement})" if expression else replacement
        self.points.append(Point(kind, node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, text,
                                 original))

    def _edited(self, node: ast.AST, edit: Callable[[ast.AST], ast.AST | None]) -> str:
        fresh = copy.deepcopy(node)
        return ast.unparse(edit(fresh) or fresh)

    # -- operators ------------------------------------------------------------------------------
    def visit_Compare(self, node: ast.Compare) -> None:
        if type(node.ops[0]) in FLIPS:
            def flip(n: ast.Compare) -> None:
                n.ops = [FLIPS[type(n.ops[0])](), *n.ops[1:]]
            self._add("flipped comparison", node, self._edited(node, flip))
        for comparator in [node.left, *node.comparators]:
            if _is_int(comparator):
                self._off_by_one(comparator)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Mult | ast.Div):
            for kept, dropped in ((node.left, node.right), (node.right, node.left)):
                if dropped is node.left and isinstance(node.op, ast.Div):
                    continue  # w / x is not a weighting of x
                if _mentions(dropped, ("weight",)) and not _mentions(kept, ("weight",)):
                    self._add("dropped weight", node, ast.unparse(kept))
        if isinstance(node.op, ast.Div):
            self._add("swapped arguments", node, ast.unparse(ast.BinOp(node.right, ast.Div(), node.left)))
        if isinstance(node.op, ast.Add):
            for kept, dropped in ((node.left, node.right), (node.right, node.left)):
                if _mentions(dropped, ("eps",)) and not _mentions(kept, ("eps",)):
                    self._add("removed guard", node, ast.unparse(kept))
        for side in (node.left, node.right):
            if _is_int(side):
                self._off_by_one(side)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        indexes = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for index in indexes:
            bounds = [index.lower, index.upper, index.step] if isinstance(index, ast.Slice) else [index]
            for bound in bounds:
                if isinstance(bound, ast.UnaryOp) and isinstance(bound.op, ast.USub):
                    bound = bound.operand
                if bound is not None and _is_int(bound):
                    self._off_by_one(bound)
        self.generic_visit(node)

    def _off_by_one(self, node: ast.Constant) -> None:
        self._add("off by one", node, repr(node.value + 1 if node.value == 0 else node.value - 1))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if _is_int(node.value):  # a count: n += 1
            self._off_by_one(node.value)
        if isinstance(node.op, ast.Add):
            self._add("dropped accumulation", node, f"{ast.unparse(node.target)} = {ast.unparse(node.value)}",
                      expression=False)
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        fallback = any(isinstance(s, ast.Return | ast.Assign | ast.AugAssign) for s in node.body)
        if not node.orelse and fallback:
            self._add("removed guard", node, "pass", expression=False)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        if name in REDUCTIONS:
            def rename(n: ast.Call) -> None:
                if isinstance(n.func, ast.Attribute):
                    n.func.attr = REDUCTIONS[name]
                else:
                    n.func.id = REDUCTIONS[name]
            self._add("wrong reduction", node, self._edited(node, rename))
        for keyword in node.keywords:
            if keyword.arg in AXIS_KEYWORDS and _is_int(keyword.value):
                self._add("wrong reduction", keyword, f"{keyword.arg}={0 if keyword.value.value != 0 else 1}",
                          expression=False)
            if keyword.arg in WEIGHT_KEYWORDS and not (isinstance(keyword.value, ast.Constant)
                                                       and keyword.value.value is None):
                def drop(n: ast.Call, arg: str = keyword.arg) -> None:
                    n.keywords = [k for k in n.keywords if k.arg != arg]
                self._add("dropped weight", node, self._edited(node, drop))
        guarded = self._guarded(node, name)
        if guarded is not None:
            self._add("removed guard", node, ast.unparse(guarded))
        if name in SAFE_DIVISIONS and len(node.args) >= 2:
            self._add("removed guard", node, f"({ast.unparse(node.args[0])}) / ({ast.unparse(node.args[1])})")
        if name in DIVISIONS and len(node.args) >= 2:
            def swap(n: ast.Call) -> None:
                n.args[0], n.args[1] = n.args[1], n.args[0]
            self._add("swapped arguments", node, self._edited(node, swap))
        for position, (first, second) in enumerate(zip(node.args, node.args[1:], strict=False)):
            if {_role(first), _role(second)} == {"true", "pred"}:
                def swap_pair(n: ast.Call, i: int = position) -> None:
                    n.args[i], n.args[i + 1] = n.args[i + 1], n.args[i]
                self._add("swapped arguments", node, self._edited(node, swap_pair))
        if name == "assign_add" and isinstance(node.func, ast.Attribute):
            def assign(n: ast.Call) -> None:
                n.func.attr = "assign"
            self._add("dropped accumulation", node, self._edited(node, assign))
        if name in ("range", "arange"):
            for argument in node.args:
                if _is_int(argument):
                    self._off_by_one(argument)
        self.generic_visit(node)

    @staticmethod
    def _guarded(node: ast.Call, name: str) -> ast.AST | None:
        """What a clamp call guards: the value it clamps (``x.clamp(min=0)`` -> ``x``, ``clip(x, 0, 1)`` -> ``x``,
        ``maximum(eps, x)`` -> ``x``), or None for a call that is no clamp."""
        if name not in CLAMPS:
            return None
        if _is_method(node.func):  # x.clamp(min=0), x.clip(0, 1)
            return node.func.value
        if not node.args:
            return None
        if name in ("maximum", "minimum", "fmax", "fmin") and len(node.args) == 2:
            first, second = node.args
            first_is_guard = isinstance(first, ast.Constant) or _mentions(first, ("eps", "tiny"))
            return second if first_is_guard else first
        return node.args[0]


def points(source: str) -> list[Point]:
    """Every mutation point of ``source`` (a module) whose mutant still compiles, in source order."""
    finder = _Finder(source)
    finder.visit(ast.parse(source))
    found = []
    for point in finder.points:
        try:
            mutated = point.apply(source)
            compile(mutated, "<mutant>", "exec")
        except (SyntaxError, ValueError, UnicodeDecodeError):
            continue
        if mutated != source:
            found.append(point)
    return found


def reached(point: Point, lines: set[int]) -> bool:
    """Whether the point's code ran: a line of its span is among the executed ``lines``."""
    return any(line in lines for line in range(point.line, point.end_line + 1))


def sample(candidates: list[Point], count: int, rng: random.Random) -> list[Point]:
    """``count`` of ``candidates`` (all where fewer), every kind in turn: the kinds in an order drawn from ``rng``,
    within each kind points drawn from ``rng``, so that frequent kinds (comparisons, constants) do not crowd out
    the rest. Returned in source order."""
    by_kind: dict[str, list[Point]] = {}
    for point in candidates:
        by_kind.setdefault(point.kind, []).append(point)
    order = sorted(by_kind)
    rng.shuffle(order)
    for kind in order:
        rng.shuffle(by_kind[kind])
    chosen: list[Point] = []
    while len(chosen) < min(count, len(candidates)):
        for kind in order:
            if by_kind[kind] and len(chosen) < count:
                chosen.append(by_kind[kind].pop())
    return sorted(chosen, key=lambda p: (p.line, p.col, p.kind, p.replacement))

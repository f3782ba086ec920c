"""A script environment BPMN files cannot escape, and service-task dispatch to Duban's operations.

SpiffWorkflow's default environment is plain eval/exec. Ours compiles every expression with
RestrictedPython (no dunder names, no imports, guarded attribute access), keeps task data from
shadowing the guards, and refuses script tasks outright: BPMN decides *when*, Python does *what*.
"""
from __future__ import annotations

import ast
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from RestrictedPython import compile_restricted, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, safer_getattr
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from engine.domain.errors import ProcessDefinitionError

_GUARDS = {
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_write_": full_write_guard,
}
_BUILTINS = {**safe_builtins, "min": min, "max": max, "any": any, "all": all, "len": len}

# (operation name, evaluated params, the task) -> JSON-able result
ServiceHandler = Callable[[str, dict[str, Any], Any], Mapping[str, Any]]
_handler: ContextVar[ServiceHandler | None] = ContextVar("duban_service_handler", default=None)
# Case facts (is the order closed? was progress reported?) read live from the database by the engine; they
# override task data of the same name, so a condition always sees the current fact, not a copy taken when
# the token arrived.
_facts: ContextVar[Mapping[str, Any]] = ContextVar("duban_case_facts", default={})


# What a rule's expression may be made of: names, literals, comparisons, and/or/not, + - / // %, subscripts,
# conditional expressions, literal collections and calls of the few builtins by name. Nothing that can make a
# value explode in one operation (** * <<), loop (comprehensions) or reach methods, so every evaluation is
# bounded by the size of its text and its data.
_ALLOWED_NODES = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
                  ast.BinOp, ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Compare, ast.Eq, ast.NotEq,
                  ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn, ast.IfExp, ast.Name,
                  ast.Load, ast.Constant, ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.Dict, ast.Set,
                  ast.Call, ast.Attribute)
_CALLABLE = frozenset({"min", "max", "len", "abs", "bool", "int", "float", "str", "round"})
_INT_LIMIT = 10 ** 9


def _check_shape(source: str) -> None:
    tree = ast.parse(source, "<bpmn>", "eval")  # SyntaxError as it is
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise SyntaxError(f"{type(node).__name__} is not allowed in a rule's expression")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _CALLABLE
                                               and not node.keywords):
            raise SyntaxError(f"only {', '.join(sorted(_CALLABLE))} may be called in a rule's expression")
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and abs(node.value) > _INT_LIMIT:
            raise SyntaxError(f"number {node.value} is out of range (±{_INT_LIMIT})")


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> Any:
    """Compile a BPMN expression; SyntaxError for anything outside the allowed shape or RestrictedPython forbids."""
    _check_shape(source)
    return compile_restricted(source, "<bpmn>", "eval")


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    def _globals(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
        scope: dict[str, Any] = {"__builtins__": _BUILTINS, **_GUARDS, **(external or {})}
        scope.update({k: v for k, v in context.items() if not k.startswith("_")})
        scope.update(_facts.get())
        return scope

    def evaluate(self, expression: str, context: Mapping[str, Any], external_context: Any = None) -> Any:
        return eval(compile_expression(expression), self._globals(context, external_context))  # noqa: S307

    def execute(self, script: str, context: Any, external_context: Any = None) -> bool:
        raise ProcessDefinitionError("script tasks are not allowed in Duban processes")

    def call_service(self, context: Any, **kwargs: Any) -> str:  # pragma: no cover - routed below
        raise ProcessDefinitionError("service calls go through DubanScriptEngine")


class DubanScriptEngine(PythonScriptEngine):
    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def call_service(self, task: Any, operation_name: str = "", operation_params: Any = None, **_: Any) -> str:
        handler = _handler.get()
        if handler is None:
            raise ProcessDefinitionError(f"operation {operation_name!r} ran outside an engine step")
        params = {k: v["value"] for k, v in (operation_params or {}).items()}
        return json.dumps(handler(operation_name, params, task))


SCRIPT_ENGINE = DubanScriptEngine()


@contextmanager
def engine_step(handler: ServiceHandler, facts: Mapping[str, Any]) -> Iterator[None]:
    """Run a workflow step with this service handler and these case facts in scope."""
    handler_token, facts_token = _handler.set(handler), _facts.set(facts)
    try:
        yield
    finally:
        _handler.reset(handler_token)
        _facts.reset(facts_token)

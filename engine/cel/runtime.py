"""The one adapter over cel-expr-python (Google's cel-cpp bindings).

Nothing else in pykyverno imports ``cel_expr_python``. This module builds environments (declared variables, the
cel-go/Kubernetes/Kyverno libraries), compiles expressions once through a cache keyed by environment and source,
binds an activation per object under evaluation, and turns results into Python values or :class:`CelEvalError`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cel_expr_python import cel

from . import frontend
from .decl import Library
from .errors import CelCompileError, CelEvalError
from .frontend.cost import DEFAULT_COST_MODEL, CostModel
from .providers import begin_evaluation

_T = cel.Type
_TYPES: dict[str, Any] = {
    "dyn": _T.DYN,
    "bool": _T.BOOL,
    "int": _T.INT,
    "uint": _T.UINT,
    "double": _T.DOUBLE,
    "string": _T.STRING,
    "bytes": _T.BYTES,
    "null": _T.NULL,
    "timestamp": _T.TIMESTAMP,
    "duration": _T.DURATION,
    "list": _T.List(_T.DYN),
    "map": _T.Map(_T.DYN, _T.DYN),
}

# Extensions cel-cpp ships natively; cel-go's names (Kyverno's base env enables all of them).
_NATIVE_EXTENSIONS = (
    "bindings",
    "encoders",
    "lists",
    "math",
    "optional",
    "regex",
    "sets",
    "strings",
    "two-var-comprehensions",
)
_CONFIG_YAML = "extensions:\n" + "".join(f'  - name: "{name}"\n' for name in _NATIVE_EXTENSIONS)

_STATUS_PREFIX = re.compile(r"^[A-Z_]+: ")
_STATUS_SUFFIX = re.compile(r"\s*\[[A-Z_]+\]\s*$")
_MISSING_KEY = re.compile(r'Key not found in map : "?(.*?)"?$')


def _clean_status(message: str) -> str:
    """Strip absl status decorations (``INVALID_ARGUMENT: ... [INVALID_ARGUMENT]``) from a cel-cpp message."""
    message = _STATUS_SUFFIX.sub("", message.strip())
    message = _STATUS_PREFIX.sub("", message)
    return message


def error_message(raw: str) -> str:
    """Translate a cel-cpp runtime error into the wording Kubernetes (cel-go) uses."""
    message = _clean_status(raw)
    missing = _MISSING_KEY.search(message)
    if missing:
        return f"no such key: {missing.group(1)}"
    if message.startswith("No matching overloads found"):
        return message.replace("No matching overloads found", "no such overload", 1)
    if "Iteration budget exceeded" in message:
        return "operation cancelled: actual cost limit exceeded (iteration budget)"
    return message


def _to_python(value: Any) -> Any:
    """Convert a plain value from cel-expr-python into ordinary Python values.

    Only a top-level ``bytearray`` becomes ``bytes``: walking large lists and maps (variables holding every
    container of a Pod) cost more than the evaluation itself, and nested bytes do not occur in Kubernetes objects.
    """
    if isinstance(value, bytearray):
        return bytes(value)
    return value


@dataclass(frozen=True)
class Program:
    """A compiled expression, bound to the environment that compiled it."""

    source: str
    path: str
    _expression: Any
    _environment: CelEnvironment
    #: The front end could not rule out an optional inside the value (see ``frontend.may_hold_optional``).
    _may_hold_optional: bool = True

    def evaluate(self, activation: Activation | Mapping[str, Any]) -> Any:
        """Evaluate and return a Python value; raise :class:`CelEvalError` on a CEL error."""
        if not isinstance(activation, Activation):
            activation = self._environment.activation(activation)
        begin_evaluation()  # the distinct lookups of one evaluation are capped
        try:
            value = self._expression.eval(activation._native)
        except RuntimeError as exc:
            raise CelEvalError(error_message(str(exc)), expression=self.source, path=self.path) from None
        kind = value.type()
        if kind == _T.ERROR:
            try:
                message = str(value.value())
            except TypeError:  # an optional: cel-expr-python reports its type as ERROR and cannot convert it
                raise self._no_plain_form("an optional") from None
            raise CelEvalError(error_message(message), expression=self.source, path=self.path)
        if self._may_hold_optional and _holds_optional(value):
            # cel-expr-python crashes the process converting a map that holds an optional.
            raise self._no_plain_form(f"a {kind.name()} holding an optional")
        try:
            return _to_python(value.plain_value())
        except (TypeError, SystemError):
            raise self._no_plain_form(f"a value of type {kind.name()}") from None

    def _no_plain_form(self, what: str) -> CelEvalError:
        return CelEvalError(
            f"expression returned {what}, which has no plain form (use .orValue(default) or .value())",
            expression=self.source,
            path=self.path,
        )


def _holds_optional(value: Any) -> bool:
    """True if a list or map value holds an optional at any depth (its type reads ERROR there)."""
    stack = [value]
    while stack:
        current = stack.pop()
        name = current.type().name()
        if name == "ERROR":
            return True
        if name.startswith("LIST"):
            stack.extend(current.value())
        elif name.startswith("MAP"):
            stack.extend(current.value().values())
    return False


class Activation:
    """The variables of one evaluation. Build one per object and reuse it for all of a policy's expressions."""

    __slots__ = ("_native", "data")

    def __init__(self, native: Any, data: Mapping[str, Any]) -> None:
        self._native = native
        self.data = data


class CelEnvironment:
    """A CEL environment: declared variables plus libraries, with a compile cache."""

    def __init__(
        self, variables: Iterable[str], libraries: Iterable[Library] = (), cost_model: CostModel = DEFAULT_COST_MODEL
    ) -> None:
        self.cost_model = cost_model
        self.libraries = tuple(libraries)
        self.variable_names = tuple(variables)
        self._globals: dict[str, Any] = {}
        declared: dict[str, Any] = {name: _T.DYN for name in self.variable_names}
        decls = []
        for library in self.libraries:
            for name, value in library.variables.items():
                declared[name] = _T.DYN
                self._globals[name] = value
            for fn in library.functions:
                overloads = [
                    cel.Overload(ov.id, _TYPES[ov.result], [_TYPES[p] for p in ov.params], ov.member, ov.impl)
                    for ov in fn.overloads
                ]
                decls.append(cel.FunctionDecl(fn.name, overloads))
        extensions = [cel.CelExtension("pykyverno", decls)] if decls else []
        self._env = cel.NewEnv(config=cel.NewEnvConfigFromYaml(_CONFIG_YAML), variables=declared, extensions=extensions)
        self._cache: dict[str, tuple[Any, bool]] = {}
        self._lock = threading.Lock()

    def compile(self, source: str, path: str = "") -> Program:
        """Compile ``source`` (once; later calls hit the cache). Raise :class:`CelCompileError` with carets."""
        if not isinstance(source, str) or not source.strip():
            raise CelCompileError("expression is empty", expression=str(source or ""), path=path)
        cached = self._cache.get(source)
        if cached is None:
            prepared = frontend.prepare(source, path=path, cost_model=self.cost_model)
            try:
                native = self._env.compile(prepared)
            except RuntimeError as exc:
                native = self._compile_without_compat(source, path, prepared, exc)
            cached = (native, frontend.may_hold_optional(source))
            with self._lock:
                self._cache[source] = cached
        return Program(source, path, cached[0], self, cached[1])

    def _compile_without_compat(self, source: str, path: str, prepared: str, error: RuntimeError) -> Any:
        """Retry without the cel-go compatibility rewrites (a plain chain that does hold optionals); report the
        error of the variant closest to what the user wrote."""
        plain = frontend.prepare(source, path=path, cost_model=self.cost_model, compat=False)
        if plain != prepared:
            try:
                return self._env.compile(plain)
            except RuntimeError as exc:
                error = exc
        raise CelCompileError(_clean_status(str(error)), expression=source, path=path) from None

    def activation(self, data: Mapping[str, Any]) -> Activation:
        """Bind ``data`` (variable name -> plain value) plus the libraries' globals for evaluation."""
        merged = {name: None for name in self.variable_names}
        merged.update(self._globals)
        merged.update(data)
        for name, value in merged.items():
            # cel-expr-python truncates `bytes` at the first NUL byte; `bytearray` passes intact. Kubernetes
            # objects decoded from JSON/YAML hold no bytes, so only top-level values need the conversion.
            if isinstance(value, bytes):
                merged[name] = bytearray(value)
        return Activation(self._env.Activation(merged), merged)


_environments: dict[tuple[tuple[str, ...], tuple[str, ...], CostModel], CelEnvironment] = {}
_env_lock = threading.Lock()


def environment(
    variables: Iterable[str], libraries: Iterable[Library] = (), cost_model: CostModel = DEFAULT_COST_MODEL
) -> CelEnvironment:
    """Return the shared environment for these variables, libraries and cost model (built once per process)."""
    libs = tuple(libraries)
    key = (tuple(variables), tuple(lib.name for lib in libs), cost_model)
    with _env_lock:
        env = _environments.get(key)
        if env is None:
            env = CelEnvironment(key[0], libs, cost_model)
            _environments[key] = env
        return env

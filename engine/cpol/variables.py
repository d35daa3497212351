"""``{{ }}`` variables and ``$( )`` references in ClusterPolicy rules (Kyverno's ``pkg/engine/variables/vars.go``).

:func:`substitute_all` walks every string leaf and map key of a document:

- ``$(path)`` references (validate patterns) are replaced first by the value at ``path`` in the same document,
  relative to the current leaf (``$(./../../limits/memory)``), anchors ignored; an operator prefix (``<=$(...)``)
  is kept in front of the value (:mod:`.references`).
- ``{{ expr }}`` (JMESPath on the :class:`~.context.JsonContext`) is then resolved: a string that is exactly one
  variable takes the value with its JSON type; a variable inside a longer string is replaced by the value as text
  (strings as they are, anything else as compact Go JSON). Passes repeat until no variable is left, so inner
  variables resolve first (``{{ add('{{a}}', '{{b}}') }}``). ``{{- expr }}`` substitutes without rescanning the
  inserted text. ``{{@}}`` is the path of the current leaf in the resource (``request.object.spec...``, or
  ``target...`` when a mutate target is set). On DELETE requests ``request.object`` reads ``request.oldObject``.
- ``\\{{ }}`` and ``\\$( )`` are escapes: left alone, and the backslash is dropped at the end.

A variable that cannot be resolved is an error (never an empty value): an unknown key raises
:class:`~..jmespath.NotFoundError` (``Unknown key "k" in path``), other failures :class:`SubstitutionError`
(``failed to resolve <var> at path <path>: <why>``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ..jmespath import JMESPathError, NotFoundError
from ..jmespath.gotext import go_json
from .anchors import remove_anchor
from .context import ContextLoadError, JsonContext
from .references import PatternReferenceError, resolve_references

__all__ = [
    "MAX_PASSES",
    "MAX_RESOLUTIONS",
    "MAX_TEXT",
    "Resolver",
    "SubstitutionError",
    "UnresolvedReferenceError",
    "default_resolver",
    "empty_on_error_resolver",
    "has_variables",
    "pointer_to_jmespath",
    "substitute_all",
    "substitute_references",
    "substitute_variables",
    "substitute_variables_in",
    "variable_expressions",
]

_VARIABLE = re.compile(r"(^|[^\\])(\{\{(?:\{[^{}]*\}|[^{}])*\}\})")
_ESCAPED_VARIABLE = re.compile(r"\\\{\{(?:\{[^{}]*\}|[^{}])*\}\}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Bounds on nested substitution: a value that keeps producing variables (``a = "{{a}}x"``) stops with an error.
MAX_PASSES = 64
MAX_TEXT = 1024 * 1024
MAX_RESOLUTIONS = 10_000

Resolver = Callable[[JsonContext, str], Any]


class SubstitutionError(JMESPathError):
    """A variable or reference could not be resolved; the message names it and the path."""


class UnresolvedReferenceError(SubstitutionError):
    """A ``$( )`` reference did not resolve to a usable value."""


def default_resolver(ctx: JsonContext, variable: str) -> Any:
    """Kyverno's default resolver: the JMESPath query on the context."""
    return ctx.query(variable)


def empty_on_error_resolver(ctx: JsonContext, variable: str) -> Any:
    """A resolver giving ``""`` for variables that fail (Kyverno's pre-1.10 behaviour in preconditions)."""
    try:
        return ctx.query(variable)
    except JMESPathError:
        return ""


def has_variables(value: Any) -> bool:
    """Whether a document holds ``{{ }}`` anywhere in its strings or keys."""
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, dict):
        return any(has_variables(k) or has_variables(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_variables(item) for item in value)
    return False


def pointer_to_jmespath(pointer: Sequence[str | int]) -> str:
    """A JSON-pointer path as JMESPath (``spec.containers[0]."app.kubernetes.io/name"``); anchors are removed."""
    out = ""
    for element in pointer:
        text = str(element)
        if isinstance(element, int) or text.isdigit():
            out += f"[{text}]"
            continue
        text = remove_anchor(text)
        part = text if _IDENTIFIER.fullmatch(text) else go_json(text)
        out += ("." if out else "") + part
    return out


def _at_path(ctx: JsonContext, pointer: Sequence[str | int]) -> str:
    parts = [str(p) for p in pointer]
    if "foreach" in parts:
        parts = parts[len(parts) - parts[::-1].index("foreach"):]
    parts = parts[2:]
    prefix = "target" if "target" in ctx.data else "request.object"
    rest = pointer_to_jmespath(parts)
    return prefix + ("" if not rest else rest if rest.startswith("[") else "." + rest)


def _is_delete(ctx: JsonContext) -> bool:
    request = ctx.data.get("request")
    return isinstance(request, dict) and request.get("operation") == "DELETE"


def _path_text(pointer: Sequence[str | int]) -> str:
    return "/" + "/".join(str(p) for p in pointer)


def _resolve(ctx: JsonContext, variable: str, pointer: Sequence[str | int], resolver: Resolver) -> Any:
    if variable == "@":
        variable = _at_path(ctx, pointer)
    if _is_delete(ctx):
        variable = variable.replace("request.object", "request.oldObject")
    try:
        return resolver(ctx, variable)
    except (NotFoundError, ContextLoadError):
        raise
    except JMESPathError as exc:
        raise SubstitutionError(f"failed to resolve {variable} at path {_path_text(pointer)}: {exc}") from None


def _variable_text(token: str) -> tuple[str, bool]:
    """The expression inside ``{{ }}`` (Kyverno removes every ``{{``/``}}`` and trims) and whether it is shallow."""
    inner = token.replace("{{", "").replace("}}", "").strip()
    if inner.startswith("-"):
        return inner[1:].strip(), True
    return inner, False


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else go_json(value)


def variable_expressions(text: str) -> list[str]:
    """The expressions of the (unescaped) ``{{ }}`` variables written in ``text``, without the braces."""
    return [_variable_text(match.group(2))[0] for match in _VARIABLE.finditer(text)]


def substitute_variables(text: str, ctx: JsonContext, pointer: Sequence[str | int] = (),
                         resolver: Resolver = default_resolver) -> Any:
    """Resolve the ``{{ }}`` variables of one string (see the module doc)."""
    if "{{" not in text:
        return _unescape(text)
    value = text
    resolutions = 0
    for _ in range(MAX_PASSES):
        matches = list(_VARIABLE.finditer(value))
        resolutions += len(matches)
        if resolutions > MAX_RESOLUTIONS:
            raise SubstitutionError(f"variables at path {_path_text(pointer)}: more than {MAX_RESOLUTIONS} "
                                    "substitutions")
        if not matches:
            return _unescape(value)
        if len(matches) == 1 and matches[0].group(2) == value:
            variable, _shallow = _variable_text(value)
            return _resolve(ctx, variable, pointer, resolver)
        pieces: list[str] = []
        size, last = 0, 0
        for match in matches:
            variable, shallow = _variable_text(match.group(2))
            replacement = _as_text(_resolve(ctx, variable, pointer, resolver))
            if shallow:
                replacement = replacement.replace("{{", "\\{{")
            pieces.extend((value[last:match.start(2)], replacement))
            size += match.start(2) - last + len(replacement)
            last = match.end(2)
            if size > MAX_TEXT:
                raise SubstitutionError(f"failed to resolve {variable} at path {_path_text(pointer)}: "
                                        f"substituted text exceeds {MAX_TEXT} characters")
        pieces.append(value[last:])
        value = "".join(pieces)
    raise SubstitutionError(f"variables at path {_path_text(pointer)} still unresolved after {MAX_PASSES} "
                            "nested substitutions")


def _unescape(value: str) -> str:
    if "\\" not in value:
        return value
    return _ESCAPED_VARIABLE.sub(lambda m: m.group(0)[1:], value)


# --- $( ) references -----------------------------------------------------------------------------------------------

def substitute_references(document: Any) -> Any:
    """Resolve the ``$( )`` references of a document (:func:`.references.resolve_references`), with errors as
    :class:`UnresolvedReferenceError`."""
    try:
        return resolve_references(document)
    except PatternReferenceError as exc:
        raise UnresolvedReferenceError(str(exc)) from None


def _walk(document: Any, pointer: tuple[str | int, ...], action: Callable[[str, tuple[str | int, ...]], Any]) -> Any:
    if isinstance(document, str):
        return action(document, pointer)
    if isinstance(document, dict):
        result: dict[str, Any] = {}
        for key, item in document.items():
            new_key = action(key, pointer) if isinstance(key, str) else key
            if not isinstance(new_key, str):
                raise SubstitutionError(f"key {key!r} at path {_path_text(pointer)} did not resolve to a string")
            result[new_key] = _walk(item, (*pointer, key), action)
        return result
    if isinstance(document, list):
        return [_walk(item, (*pointer, index), action) for index, item in enumerate(document)]
    return document


def substitute_all(document: Any, ctx: JsonContext, pointer: Sequence[str | int] = (),
                   resolver: Resolver = default_resolver) -> Any:
    """References, then variables, in every string leaf and key of ``document`` (a new document is returned).

    ``pointer`` is where ``document`` sits in the rule (e.g. ``("mutate", "patchStrategicMerge")``): ``{{@}}``
    skips its first two elements (and anything up to a ``foreach``), as Kyverno does for the rule it substitutes.
    """
    document = substitute_references(document)

    def action(text: str, at: tuple[str | int, ...]) -> Any:
        return substitute_variables(text, ctx, at, resolver)

    return _walk(document, tuple(pointer), action)


def substitute_variables_in(document: Any, ctx: JsonContext, pointer: Sequence[str | int] = (),
                            resolver: Resolver = default_resolver) -> Any:
    """Only the ``{{ }}`` variables of every string leaf and key (for documents whose ``$( )`` references are
    resolved by their own code, such as validate patterns)."""

    def action(text: str, at: tuple[str | int, ...]) -> Any:
        return substitute_variables(text, ctx, at, resolver)

    return _walk(document, tuple(pointer), action)

"""Applying compiled ``mutations[]`` to an object: each mutation sees the object as left by the previous one.

Shared by MutatingPolicy and Kubernetes' MutatingAdmissionPolicy. Variables are evaluated again for every mutation,
against the object as it is at that point (the API server builds one activation per mutation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..cel import CelEnvironment, CelEvalError, Program
from ..cel.names import OBJECT
from ..common.expressions import CompiledVariables, Scope
from .jsonpatch import JsonPatchError, apply_patch
from .merge import MergeError, apply_configuration
from .model import APPLY_CONFIGURATION

#: Where an autogen variant's pod template lives, per autogen config.
TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "defaults": ("spec", "template"),
    "cronjobs": ("spec", "jobTemplate", "spec", "template"),
}


@dataclass(frozen=True)
class CompiledMutation:
    """One compiled mutation: its index in ``mutations[]``, patch type and expression."""

    index: int
    patch_type: str
    program: Program


class MutationError(Exception):
    """A mutation failed to evaluate or to apply; ``index`` is its position in ``mutations[]``."""

    def __init__(self, index: int, message: str, expression: str = "") -> None:
        super().__init__(message)
        self.index = index
        self.message = message
        self.expression = expression


def _template_patch(patch: Mapping[str, Any], autogen: str) -> dict[str, Any]:
    """Nest a Pod-shaped apply configuration under the controller's pod template."""
    inner: dict[str, Any] = {key: patch[key] for key in ("metadata", "spec") if key in patch}
    for key in reversed(TEMPLATE_PATHS[autogen]):
        inner = {key: inner}
    return inner


def _template_pointer(pointer: Any, autogen: str) -> Any:
    """Move a Pod JSON pointer (``/spec/...``, ``/metadata/...``) under the controller's pod template."""
    if not isinstance(pointer, str):
        return pointer
    head = pointer.split("/", 2)[1] if pointer.startswith("/") else ""
    if head not in ("spec", "metadata"):
        return pointer
    return "/" + "/".join(TEMPLATE_PATHS[autogen]) + pointer


def _template_operations(operations: list[Any], autogen: str) -> list[Any]:
    out = []
    for operation in operations:
        if isinstance(operation, Mapping):
            moved = dict(operation)
            for key in ("path", "from"):
                if key in moved:
                    moved[key] = _template_pointer(moved[key], autogen)
            out.append(moved)
        else:
            out.append(operation)
    return out


def apply_mutation(obj: dict[str, Any], mutation: CompiledMutation, value: Any, autogen: str = "") -> dict[str, Any]:
    """Apply the value one mutation evaluated to; raise :class:`MutationError` when it does not fit."""
    if mutation.patch_type == APPLY_CONFIGURATION:
        if not isinstance(value, Mapping):
            raise MutationError(
                mutation.index,
                f"applyConfiguration must evaluate to an object (Object{{...}}), got {type(value).__name__}",
                mutation.program.source,
            )
        patch = _template_patch(value, autogen) if autogen else value
        try:
            return apply_configuration(obj, patch)
        except MergeError as exc:
            raise MutationError(mutation.index, f"apply configuration: {exc}", mutation.program.source) from None
    if value is None:
        value = []
    if not isinstance(value, list):
        raise MutationError(
            mutation.index,
            f"jsonPatch must evaluate to a list of JSONPatch, got {type(value).__name__}",
            mutation.program.source,
        )
    operations = _template_operations(value, autogen) if autogen else value
    try:
        result = apply_patch(obj, operations)
    except JsonPatchError as exc:
        raise MutationError(mutation.index, f"JSON Patch: {exc}", mutation.program.source) from None
    if not isinstance(result, dict):
        raise MutationError(mutation.index, "JSON Patch: the result is not an object", mutation.program.source)
    return result


def run_mutations(
    env: CelEnvironment,
    data: Mapping[str, Any],
    variables: CompiledVariables,
    mutations: tuple[CompiledMutation, ...],
    obj: dict[str, Any],
    autogen: str = "",
) -> dict[str, Any]:
    """Apply every mutation in order to ``obj`` (not modified) and return the mutated object.

    ``data`` holds the CEL variables other than ``object`` and ``variables``. Raises :class:`MutationError`.
    """
    current = obj
    for mutation in mutations:
        scope = Scope(env, {**data, OBJECT: current}, variables)
        try:
            value = scope.evaluate(mutation.program)
        except CelEvalError as exc:
            raise MutationError(mutation.index, exc.message, mutation.program.source) from None
        current = apply_mutation(current, mutation, value, autogen)
    return current

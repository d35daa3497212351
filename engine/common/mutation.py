"""``mutations[]``, shared by MutatingPolicy and Kubernetes' MutatingAdmissionPolicy: the model, compiling, and
applying them to an object, each mutation seeing the object as left by the previous one.

Variables are evaluated again for every mutation, against the object as it is at that point (the API server builds
one activation per mutation). ``reinvocationPolicy: IfNeeded`` runs the mutations once more on a changed object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..cel import CelEnvironment, CelEvalError, Program
from ..cel.names import OBJECT
from ..errors import EvaluationError, PolicyValidationError
from .autogen import POD_TEMPLATES
from .expressions import BoundProgram, CompiledVariables, Compiler, Scope
from .jsonpatch import JsonPatchError, apply_patch
from .merge import MergeError, apply_configuration
from .model import Model

APPLY_CONFIGURATION = "ApplyConfiguration"
JSON_PATCH = "JSONPatch"


class ExpressionHolder(Model):
    expression: str


class Mutation(Model):
    """``mutations[]``: an ApplyConfiguration or a JSONPatch expression."""

    patch_type: Literal["ApplyConfiguration", "JSONPatch"]
    apply_configuration: ExpressionHolder | None = None
    json_patch: ExpressionHolder | None = None

    @property
    def expression(self) -> str:
        """The expression of the chosen patch type ("" when it is missing)."""
        holder = self.apply_configuration if self.patch_type == APPLY_CONFIGURATION else self.json_patch
        return holder.expression if holder is not None else ""

    @property
    def field(self) -> str:
        """The field holding the expression (``applyConfiguration`` or ``jsonPatch``)."""
        return "applyConfiguration" if self.patch_type == APPLY_CONFIGURATION else "jsonPatch"


def check_mutations(spec: Any, prefix: str = "spec.mutations") -> None:
    """At least one mutation, each carrying the expression of its patch type; raise :class:`PolicyValidationError`."""
    mutations: Sequence[Mutation] = spec.mutations
    if not mutations:
        raise PolicyValidationError("at least one mutation is required", path=prefix)
    for i, mutation in enumerate(mutations):
        if not mutation.expression.strip():
            path = f"{prefix}[{i}].{mutation.field}.expression"
            raise PolicyValidationError(f"required for {mutation.patch_type}", path=path)



@dataclass(frozen=True)
class CompiledMutation:
    """One compiled mutation: its index in ``mutations[]``, patch type and expression."""

    index: int
    patch_type: str
    program: Program | BoundProgram


def mutation_checks(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``mutations[]`` of a spec mapping as (patch type, expression) pairs (what ``describe`` lists)."""
    checks = []
    for mutation in spec.get("mutations") or []:
        if isinstance(mutation, Mapping):
            holder = mutation.get("applyConfiguration") or mutation.get("jsonPatch") or {}
            expression = holder.get("expression") if isinstance(holder, Mapping) else ""
            checks.append((f"mutation ({mutation.get('patchType', '')})", str(expression or "")))
    return checks


def compile_mutations(compiler: Compiler, mutations: Sequence[Mutation], prefix: str) -> tuple[CompiledMutation, ...]:
    """Compile ``mutations[]`` (paths ``{prefix}[i].applyConfiguration.expression`` / ``.jsonPatch.expression``)."""
    compiled = []
    for i, mutation in enumerate(mutations):
        program = compiler.compile_expression(mutation.expression, f"{prefix}[{i}].{mutation.field}.expression")
        if program is not None:
            compiled.append(CompiledMutation(i, mutation.patch_type, program))
    return tuple(compiled)


class MutationError(EvaluationError):
    """A mutation failed to evaluate or to apply; ``index`` is its position in ``mutations[]``."""

    def __init__(self, index: int, message: str, expression: str = "") -> None:
        super().__init__(message)
        self.index = index
        self.message = message
        self.expression = expression


def _template_patch(patch: Mapping[str, Any], autogen: str) -> dict[str, Any]:
    """Nest a Pod-shaped apply configuration under the controller's pod template."""
    inner: dict[str, Any] = {key: patch[key] for key in ("metadata", "spec") if key in patch}
    for key in reversed(POD_TEMPLATES[autogen]):
        inner = {key: inner}
    return inner


def _template_pointer(pointer: Any, autogen: str) -> Any:
    """Move a Pod JSON pointer (``/spec/...``, ``/metadata/...``) under the controller's pod template."""
    if not isinstance(pointer, str):
        return pointer
    head = pointer.split("/", 2)[1] if pointer.startswith("/") else ""
    if head not in ("spec", "metadata"):
        return pointer
    return "/" + "/".join(POD_TEMPLATES[autogen]) + pointer


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

    def failed(message: str) -> MutationError:
        return MutationError(mutation.index, message, mutation.program.source)

    if mutation.patch_type == APPLY_CONFIGURATION:
        if not isinstance(value, Mapping):
            raise failed(f"applyConfiguration must evaluate to an object (Object{{...}}), got {type(value).__name__}")
        patch = _template_patch(value, autogen) if autogen else value
        try:
            return apply_configuration(obj, patch)
        except MergeError as exc:
            raise failed(f"apply configuration: {exc}") from None
    if value is None:
        value = []
    if not isinstance(value, list):
        raise failed(f"jsonPatch must evaluate to a list of JSONPatch, got {type(value).__name__}")
    operations = _template_operations(value, autogen) if autogen else value
    try:
        result = apply_patch(obj, operations)
    except JsonPatchError as exc:
        raise failed(f"JSON Patch: {exc}") from None
    if not isinstance(result, dict):
        raise failed("JSON Patch: the result is not an object")
    return result


def mutate(
    env: CelEnvironment,
    data: Mapping[str, Any],
    variables: CompiledVariables,
    mutations: tuple[CompiledMutation, ...],
    obj: dict[str, Any],
    *,
    reinvocation_policy: str = "Never",
    autogen: str = "",
) -> dict[str, Any]:
    """Apply every mutation in order to ``obj`` (not modified), each on the object the previous one left, and return
    the mutated object; under ``reinvocationPolicy: IfNeeded`` they run once more on a changed object.

    ``data`` holds the CEL variables other than ``object`` and ``variables``. Raises :class:`MutationError`.
    """

    def run_all(current: dict[str, Any]) -> dict[str, Any]:
        for mutation in mutations:
            scope = Scope(env, {**data, OBJECT: current}, variables)
            try:
                value = scope.evaluate(mutation.program)
            except CelEvalError as exc:
                raise MutationError(mutation.index, exc.message, mutation.program.source) from None
            current = apply_mutation(current, mutation, value, autogen)
        return current

    patched = run_all(obj)
    if reinvocation_policy == "IfNeeded" and patched != obj:
        patched = run_all(patched)
    return patched

"""Evaluating many policies on one object at once, for scans: one CEL program per group of policies gives every
policy's verdict, and only what the program cannot decide takes the per-policy pipeline.

A scan evaluates every object of a type against the same policies. Through :meth:`PolicyPipeline.evaluate` each
(object, policy) pair pays for matching, a scope, one CEL evaluation per validation and a result object. A
:class:`TypeBatch` instead

- decides ``matchConstraints`` once per (namespace, kind, operation) group (resource rules, namespaceSelector, the
  policy's own namespace) and only the objectSelector per object;
- evaluates one compiled program per group of batchable policies on the activation the policies share, returning
  per policy ``-1`` (every validation passed), ``-2`` (a match condition is false: no result) or the position of the
  first validation that returned false (``!`` accepts nothing but a bool: any other value fails the program),
  paired with the value of its ``messageExpression`` when it has one (``[position, value]``);
  The policies' variables are bound once at the top of the program (identical definitions once), which keeps
  cel-cpp's bindings lazy and clear of its stale-slot problem (see ``cel/frontend/binds.py``), and each policy's
  validations keep their order and stop at the first that fails;
- takes from that program what it decides: a pass (the policy's shared pass result, no per-object allocation),
  "no match", and a validation that returned false after the ones before it returned true (the result is then made
  by :meth:`ValidatingPipeline.failure_at`, with the message exactly as per-pair evaluation makes it from that
  value). The activation holds of ``object`` only the fields the policies' expressions can read when that is proven
  for every policy of the type (see :func:`read_fields_of`: cel-cpp converts a variable whole on first read). A program
  that fails on an object (an error, a value that is not a bool) gives way to programs of one policy each, and a
  policy whose own program fails too goes through its own :meth:`evaluate`, so errors, ``failurePolicy`` and
  unanswered lookups are exactly what per-pair evaluation gives.

Which policies can join a batch is decided by :func:`batch_blocker` (see its docstring); the others are evaluated
per pair, in their place, so results keep the policies' order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, Protocol, cast

from ..cel import Activation, CelEnvironment, CelError, CelEvalError, Program, libs
from ..cel.frontend.calls import called_functions
from ..cel.frontend.fields import ReadFields, read_fields
from ..cel.frontend.inline import rename_variables
from ..cel.names import OBJECT, OLD_OBJECT
from ..request import AdmissionContext, Resource
from ..results import ResourceRef, RuleResult
from .expressions import BoundProgram, CompiledVariables
from .kind import CompiledPolicy
from .labels import MalformedLabels, labels_of, selector_matches
from .match import namespace_selects, resource_rules_match, type_level
from .model import LabelSelector, MatchResources
from .options import EvaluationOptions
from .pipeline import PolicyPipeline
from .policy_exception import PolicyException
from .validations import NOT_EVALUATED, CompiledValidation, ValidatingPipeline

#: Verdicts of a batch program: every validation passed; a match condition is false (the policy does not apply).
PASSED = -1
NOT_MATCHED = -2
#: Libraries whose functions answer from the world outside the object (lookups, the clock, randomness,
#: generation; ``jwt.Decode`` reads the clock): a policy calling one is evaluated per pair, where unanswered lookups
#: are recorded.
_WORLD_LIBRARIES = (
    libs.kyverno_resource.LIBRARY, libs.kyverno_http.LIBRARY, libs.kyverno_globalcontext.LIBRARY,
    libs.kyverno_imagedata.LIBRARY, libs.kyverno_generator.LIBRARY, libs.kyverno_time.LIBRARY,
    libs.kyverno_random.LIBRARY, libs.kyverno_authz.LIBRARY,
)
#: The names their functions are called by (``resource.Get``, ``random``; ``Get`` too: a member call on a client).
_WORLD_FUNCTIONS = frozenset(fn.name for lib in _WORLD_LIBRARIES for fn in lib.functions)
#: The ``resource`` of a policy's shared pass result (:attr:`TypeBatch.templates`): a result holding this very
#: object stands for the pass of the object under evaluation.
SHARED_RESOURCE = ResourceRef("", "", "", "")
#: How many different sets of policies a type compiles programs for (one per group of namespaces, kinds and
#: operations that select different policies); groups beyond share the program of every batchable policy.
MAX_PROGRAM_SETS = 4
#: The prefix of the identifiers a batch program binds variables to (a source using it cannot join).
_BIND_PREFIX = "pkv_b"


class BatchablePolicy(Protocol):
    """What a policy of a kind that declares ``batches`` offers (see :class:`~.kind.KindSpec`)."""

    def shared_activation(
        self, ctx: AdmissionContext, data: dict[str, Any] | None = None, fields: ReadFields | None = None
    ) -> Activation:
        """The activation the kind's policies share for the request, holding of ``object`` and ``oldObject`` only
        the ``fields`` that can be read (None: whole)."""

    def batch_blocker(self) -> str:
        """Why the policy cannot join a batch for reasons of its kind (``""``: none)."""


def batch_blocker(policy: CompiledPolicy, exceptions: Sequence[PolicyException] = ()) -> str:
    """Why ``policy`` cannot join a batch (``""`` when it can). Conservative by design: a policy joins only when a
    pass computed by the batch program is the result its own pipeline gives. It must

    - be of a kind that declares ``batches`` (ValidatingPolicy), be a validating pipeline that runs no evaluation
      context and handles every request, and have no kind-specific blocker (payload and authorization modes);
    - have matchConstraints whose resource rules are decided per type (no ``resourceNames``, no ``scope``);
    - have no PolicyException in the scan that refers to it (exceptions decide results per object);
    - have no auditAnnotations (a pass carries their values);
    - have variables that all compiled, read only as ``variables.x`` / ``variables['x']``, and match conditions and
      validations that its own pipeline evaluates with the variables bound inline (as the batch program does: a
      variable holding an optional has no plain form when read as written);
    - call no function that reads the world (``resource.*``, ``http.*``, ``globalContext.*``, ``image.GetMetadata``,
      ``generator.*``, ``time.*``, ``random``, ``jwt.Decode``...: :data:`_WORLD_LIBRARIES`) in a variable, match
      condition, validation or message expression: their lookups may go unanswered, which only per-pair evaluation
      records; and use no identifier starting with ``pkv_b`` (the batch program's own).
    """
    if not policy.spec.batches or not isinstance(policy, ValidatingPipeline):
        return f"{policy.kind} policies are evaluated one by one"
    if type(policy).handles is not PolicyPipeline.handles or policy.evaluating() is not None:
        return "its kind decides per request whether it evaluates"
    blocker = getattr(policy, "batch_blocker", None)
    if blocker is None or not hasattr(policy, "shared_activation"):
        return f"{policy.kind} offers no batch hooks"
    reason: str = blocker()
    if reason:
        return reason
    constraints = policy.match_constraints
    if constraints is None or not type_level(constraints):
        return "its matchConstraints name resources or scopes"
    name = policy.policy.metadata.name
    if any(e.refers_to(name, policy.kind) for e in exceptions):
        return "a PolicyException refers to it"
    if policy.audit_annotations:
        return "it has auditAnnotations"
    if policy.variables.broken:
        return "a variable did not compile"
    programs = [program for _, program in policy.match_conditions] + [v.program for v in policy.validations]
    if any(isinstance(program, BoundProgram) and program.inlined is None for program in programs):
        return "an expression reads its variables as written, not bound inline"
    declared = {var: var for var in policy.variables.order}
    for source in _sources(policy):
        if rename_variables(source, declared) is None:  # parsed: the word in a string literal is no read
            return "an expression reads variables dynamically"
        calls = called_functions(source)
        if calls is None:
            return "an expression does not parse"
        if calls & _WORLD_FUNCTIONS:
            return "an expression may read the world outside the object"
        if _BIND_PREFIX in source:
            return f"an expression uses an identifier starting with {_BIND_PREFIX}"
    return ""


def read_fields_of(policies: Sequence[CompiledPolicy], batchable: set[int]) -> ReadFields | None:
    """What the expressions of ``policies`` can read of ``object`` and ``oldObject``, when all of them are batchable
    (the request's shared activation then serves only their expressions: batch programs, and per pair their
    variables, match conditions, validations and messages); None when that cannot be proven or prunes nothing."""
    if not policies or any(id(p) not in batchable or not isinstance(p, ValidatingPipeline) for p in policies):
        return None
    fields = read_fields(
        (source for p in policies if isinstance(p, ValidatingPipeline) for source in _sources(p)), (OBJECT, OLD_OBJECT)
    )
    return None if all(tree is None for tree in fields.values()) else fields


def _sources(policy: ValidatingPipeline[Any]) -> Iterable[str]:
    yield from policy.variables.sources.values()
    yield from (program.source for _, program in policy.match_conditions)
    yield from (v.program.source for v in policy.validations)
    yield from (v.message_program.source for v in policy.validations if v.message_program is not None)


class _Entry(NamedTuple):
    """One policy of a (namespace, kind) group: its shared pass when the batch decides its verdicts (``None``: its
    own :meth:`evaluate` does), its objectSelector, and its position in the group's verdicts."""

    policy: CompiledPolicy
    template: RuleResult | None
    selector: dict[str, Any] | None
    position: int


@dataclass
class _Group:
    """The policies whose matchConstraints select a (namespace, kind) group, and the programs of the batched."""

    entries: tuple[_Entry, ...]
    #: The policies the programs give verdicts of, in verdict order (may include some outside the group).
    batched: tuple[CompiledPolicy, ...]
    #: (program, number of verdicts it gives) in verdict order.
    programs: tuple[tuple[Program, int], ...]
    namespace_object: dict[str, Any] | None


class TypeBatch:
    """Evaluates the policies that may match one resource type, in a scan with fixed PolicyExceptions."""

    def __init__(self, policies: Sequence[CompiledPolicy], exceptions: list[PolicyException]) -> None:
        self.policies = list(policies)
        self.exceptions = exceptions
        self.batchable = {id(p) for p in self.policies if not batch_blocker(p, exceptions)}
        #: The shared pass result of each batchable policy (its ``resource`` is a placeholder).
        self.templates: dict[int, RuleResult] = {}
        for policy in self.policies:
            if id(policy) in self.batchable:
                assert isinstance(policy, PolicyPipeline)
                template = policy.make_result(None, "pass", "", subject={}, properties={})
                self.templates[id(policy)] = replace(template, resource=SHARED_RESOURCE)
        self._groups: dict[tuple[str, ...], _Group] = {}
        self._programs: dict[tuple[int, ...], tuple[tuple[Program, int], ...]] = {}
        self._singles: dict[int, Program] = {}
        self.fields = read_fields_of(self.policies, self.batchable)

    def evaluate(self, ctx: AdmissionContext, options: EvaluationOptions) -> list[tuple[CompiledPolicy, RuleResult]]:
        """Every result of the request, in policy order, as ``(policy, result)``; a result whose ``resource`` is
        :data:`SHARED_RESOURCE` is the policy's shared pass (:attr:`templates`), to be read with the request's
        resource in its place."""
        res = ctx.resource()
        group = self._group(ctx, res)
        verdicts = self._verdicts(group, ctx) if group.programs else []
        out: list[tuple[CompiledPolicy, RuleResult]] = []
        obj_labels: list[dict[str, str]] | None = None
        labels_read = False
        for policy, template, selector, position in group.entries:
            if template is not None and selector is not None:
                if not labels_read:
                    obj_labels, labels_read = _labels_of(ctx), True
                if obj_labels is None:  # labels that are not a map: its own evaluate gives the error
                    template = None
                elif not any(selector_matches(selector, labels) for labels in obj_labels):
                    continue
            if template is not None:
                verdict = verdicts[position]
                if verdict == PASSED:
                    out.append((policy, template))
                    continue
                if verdict == NOT_MATCHED:
                    continue
                message = NOT_EVALUATED
                if isinstance(verdict, list) and len(verdict) == 2:
                    verdict, message = verdict
                if isinstance(verdict, int) and isinstance(policy, ValidatingPipeline) and \
                        0 <= verdict < len(policy.validations):
                    # That validation returned false (`!` refuses anything but a bool), the ones before true.
                    out.append((policy, policy.failure_at(ctx, verdict, options, message)))
                    continue
            result = policy.evaluate(ctx, self.exceptions, options)
            if result is not None:
                out.append((policy, result))
        return out

    # ------------------------------------------------------------------ matching per group
    def _group(self, ctx: AdmissionContext, res: Resource) -> _Group:
        """The group of the request: policies whose resource rules, namespaceSelector and namespace select it."""
        per_object = res.kind == "Namespace" and res.group == ""  # its own labels meet the namespaceSelector
        key = (res.namespace, res.api_version, res.kind, ctx.operation, ctx.subresource)
        group = None if per_object else self._groups.get(key)
        if group is not None and group.namespace_object is ctx.namespace_object:
            return group
        selected: list[tuple[CompiledPolicy, dict[str, Any] | None]] = []
        per_pair: set[int] = set()  # batchable, but the namespace's labels are not a map: its evaluate errs
        for policy in self.policies:
            if id(policy) not in self.batchable:
                selected.append((policy, None))  # its own evaluate matches it
                continue
            assert isinstance(policy, ValidatingPipeline)
            constraints = policy.match_constraints
            assert constraints is not None
            try:
                selects = _namespace_selects(policy, constraints, ctx, res)
            except MalformedLabels:
                selects = True
                per_pair.add(id(policy))
            if selects:
                selected.append((policy, _selector(constraints.object_selector)))
        batched = [p for p, _ in selected if id(p) in self.batchable]
        if tuple(map(id, batched)) not in self._programs and len(self._programs) >= MAX_PROGRAM_SETS:
            # Many different groups (namespaced policies, namespace selectors): the type's program serves them all.
            batched = [p for p in self.policies if id(p) in self.batchable]
        positions = {id(p): i for i, p in enumerate(batched)}
        entries = tuple(_Entry(p, self.templates[id(p)] if id(p) in positions and id(p) not in per_pair else None,
                               selector,
                               positions.get(id(p), -1)) for p, selector in selected)
        group = _Group(entries, tuple(batched), self._compiled(batched), ctx.namespace_object)
        if not per_object:
            self._groups[key] = group
        return group

    # ------------------------------------------------------------------ programs
    def _compiled(self, policies: list[CompiledPolicy]) -> tuple[tuple[Program, int], ...]:
        key = tuple(id(p) for p in policies)
        programs = self._programs.get(key)
        if programs is None:
            programs = self._programs[key] = tuple(_compile_groups(policies))
        return programs

    def _verdicts(self, group: _Group, ctx: AdmissionContext) -> list[Any]:
        """Each batched policy's verdict; when a program fails, the verdicts of its policies come from programs of
        one policy each, and ``None`` for a policy whose own program fails too."""
        activation = cast(BatchablePolicy, group.batched[0]).shared_activation(ctx, fields=self.fields)
        verdicts: list[Any] = []
        for program, count in group.programs:
            values = _run(program, activation, count)
            if values is None:
                start = len(verdicts)
                values = []
                for policy in group.batched[start:start + count]:
                    single = self._singles.get(id(policy))
                    if single is None:
                        single = self._singles[id(policy)] = next(iter(_compile_groups([policy])))[0]
                    own = _run(single, activation, 1)
                    values.append(None if own is None else own[0])
            verdicts.extend(values)
        return verdicts


def _run(program: Program, activation: Activation, count: int) -> list[Any] | None:
    """The ``count`` verdicts of a batch program (a verdict: see :func:`batch_source`), or None when it fails."""
    try:
        values = program.evaluate(activation)
    except CelEvalError:
        return None
    return values if isinstance(values, list) and len(values) == count else None


def _namespace_selects(
    policy: ValidatingPipeline[Any], constraints: MatchResources, ctx: AdmissionContext, res: Resource
) -> bool:
    """What :meth:`PolicyPipeline.applies_to` decides before the objectSelector: the policy's namespace, the
    resource rules and the namespaceSelector."""
    if policy.policy.namespaced and res.namespace != policy.policy.metadata.namespace:
        return False
    return resource_rules_match(constraints, res, ctx.operation, ctx.subresource) and namespace_selects(
        constraints, ctx, res)


def _selector(selector: LabelSelector | None) -> dict[str, Any] | None:
    return None if selector is None else selector.as_dict()


def _labels_of(ctx: AdmissionContext) -> list[dict[str, str]] | None:
    """The labels of the request's object and old object (the objectSelector selects either); None when either has
    labels that are not a map (no selector can be decided on it)."""
    try:
        return [labels_of(o) for o in (ctx.object, ctx.old_object) if o is not None]
    except MalformedLabels:
        return None


def _compile_groups(policies: list[CompiledPolicy]) -> Iterable[tuple[Program, int]]:
    """Programs giving the verdicts of ``policies`` in order: one for all when it compiles, else the halves (a
    program too deep or too costly for the runtime), down to a policy that does not compile on its own, which gives
    no verdict (a program that always errs, so that the policy is evaluated per pair)."""
    if not policies:
        return
    validating = [p for p in policies if isinstance(p, ValidatingPipeline)]
    env: CelEnvironment | None = validating[0].env if validating else None
    if len(validating) == len(policies) and all(p.env is env for p in validating) and env is not None:
        source = batch_source(validating)
        if source is not None:
            try:
                yield env.compile(source, f"batch of {len(policies)} policies"), len(policies)
                return
            except CelError:
                pass
    if len(policies) == 1:
        yield _NEVER, 1
        return
    half = len(policies) // 2
    yield from _compile_groups(policies[:half])
    yield from _compile_groups(policies[half:])


class _Never:
    """A program that gives no verdict (its policy is evaluated per pair)."""

    def evaluate(self, activation: Activation) -> None:
        return None


_NEVER: Program = _Never()  # type: ignore[assignment]


def batch_source(policies: Sequence[ValidatingPipeline[Any]]) -> str | None:
    """The CEL text of one program giving each policy's verdict (see the module docstring), or None when a source
    cannot be rewritten. Variables are bound once, outermost, in an order where each follows the ones it reads;
    identical definitions (after renaming) share one binding."""
    bindings: dict[str, str] = {}  # renamed definition -> identifier
    verdicts: list[str] = []
    for policy in policies:
        names = _bind_variables(policy.variables, _needed(policy), bindings)
        if names is None:
            return None
        conditions = []
        for _, program in policy.match_conditions:
            renamed = rename_variables(program.source, names)
            if renamed is None:
                return None
            conditions.append(f"({renamed})")
        chain = []
        for position, validation in enumerate(policy.validations):
            renamed = rename_variables(validation.program.source, names)
            if renamed is None:
                return None
            chain.append(f"!({renamed}) ? {_failure(position, validation, names)} : ")
        verdict = "".join(chain) + str(PASSED)
        if conditions:
            verdict = f"!({' && '.join(conditions)}) ? {NOT_MATCHED} : {verdict}"
        verdicts.append(verdict)
    text = "[" + ", ".join(verdicts) + "]"
    for definition, identifier in reversed(list(bindings.items())):
        text = f"cel.bind({identifier}, {definition}, {text})"
    return text


def _failure(position: int, validation: CompiledValidation, names: dict[str, str]) -> str:
    """What the program gives when ``validation`` returns false: its position, or ``[position, message value]``
    when it has a ``messageExpression`` the program can evaluate (an error there fails the program, and per-pair
    evaluation then gives the message)."""
    if validation.message_program is None:
        return str(position)
    message = rename_variables(validation.message_program.source, names)
    return str(position) if message is None else f"dyn([{position}, ({message})])"


def _needed(policy: ValidatingPipeline[Any]) -> set[str]:
    needed: set[str] = set()
    for _, program in policy.match_conditions:
        needed |= policy.variables.closure(program.source)
    for validation in policy.validations:
        needed |= policy.variables.closure(validation.program.source)
        if validation.message_program is not None:
            needed |= policy.variables.closure(validation.message_program.source)
    return needed


def _bind_variables(variables: CompiledVariables, needed: set[str], bindings: dict[str, str]) -> dict[str, str] | None:
    """Add the ``needed`` variables to ``bindings`` (declaration order: a variable reads only earlier ones) and
    return the identifier of each, or None when one cannot be rewritten."""
    names: dict[str, str] = {}
    for name in variables.order:
        if name not in needed:
            continue
        source = variables.sources.get(name)
        if source is None:
            return None
        renamed = rename_variables(source, names)
        if renamed is None:
            return None
        definition = f"({renamed})"
        identifier = bindings.get(definition)
        if identifier is None:
            identifier = bindings[definition] = f"{_BIND_PREFIX}{len(bindings)}"
        names[name] = identifier
    return names

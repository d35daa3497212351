"""The ``generate`` handler of kyverno.io/v1 rules: the objects a trigger makes Kyverno create.

Sources of ``clone``/``cloneList`` are read from the evaluation's resource provider (the cluster in scans, the
Test's resources otherwise); ``foreach`` entries generate once per element of their ``list``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..cel.providers import current_providers
from ..jmespath import JMESPathError
from ..request import AdmissionContext
from ..resources import plural_for
from .context import JsonContext
from .generate import GenerateOutcome, Origin, generate
from .outcome import ERROR, PASS, SKIP, RuleOutcome
from .rules import RuleRequest, RuleRun
from .variables import substitute_all


def _fetch(api_version: str, kind: str, namespace: str, name: str) -> Mapping[str, Any] | None:
    provider = current_providers().resource
    if provider is None:
        return None
    try:
        found = provider.get(api_version or "v1", plural_for(api_version or "v1", kind), namespace, name)
    except (LookupError, OSError, ValueError):
        return None
    return found or None


def _list(api_version: str, kind: str, namespace: str) -> Sequence[Mapping[str, Any]]:
    provider = current_providers().resource
    if provider is None:
        return []
    try:
        found: Any = provider.list(api_version or "v1", plural_for(api_version or "v1", kind), namespace)
    except (LookupError, OSError, ValueError, TypeError):
        return []
    items = found.get("items") if isinstance(found, Mapping) else found
    return [item for item in items or [] if isinstance(item, Mapping)]


def _one(origin: Origin, block: Mapping[str, Any], ctx: JsonContext, pointer: tuple[str | int, ...]
         ) -> GenerateOutcome:
    def substitute(document: Any) -> Any:
        return substitute_all(document, ctx, pointer)

    return generate(origin, block, substitute=substitute, fetch=_fetch, list_objects=_list)


def generate_handler(request: RuleRequest, admission: AdmissionContext, ctx: JsonContext,
                     resource: Mapping[str, Any]) -> RuleRun | None:
    """The objects the rule generates for the trigger ``resource``."""
    block = request.rule.get("generate")
    if not isinstance(block, Mapping):
        return RuleRun(RuleOutcome(ERROR, "generate must be a mapping"))
    origin = Origin(request.policy, request.name, resource, request.policy_namespace)
    outcomes: list[GenerateOutcome] = []
    if block.get("foreach") is not None:
        for index, entry in enumerate(block.get("foreach") or []):
            try:
                elements = ctx.query(str(entry.get("list") or "").strip().removeprefix("{{").removesuffix("}}"))
            except JMESPathError as exc:
                return RuleRun(RuleOutcome(ERROR, f"failed to evaluate list {entry.get('list')}: {exc}"))
            ctx.checkpoint()
            try:
                for position, element in enumerate(elements if isinstance(elements, list) else [elements]):
                    ctx.reset()
                    ctx.add_element(element, position, 0)
                    merged = {**{k: v for k, v in block.items() if k != "foreach"}, **entry}
                    outcomes.append(_one(origin, merged, ctx, ("generate", "foreach", index)))
            finally:
                ctx.restore()
    else:
        outcomes.append(_one(origin, block, ctx, ("generate",)))
    errors = [o for o in outcomes if o.status == ERROR]
    if errors:
        return RuleRun(RuleOutcome(ERROR, errors[0].message))
    produced = tuple(obj for o in outcomes for obj in o.resources)
    if not produced:
        return RuleRun(RuleOutcome(SKIP, outcomes[0].message if outcomes else "nothing to generate"))
    return RuleRun(RuleOutcome(PASS, "; ".join(o.message for o in outcomes if o.resources)), generated=produced)

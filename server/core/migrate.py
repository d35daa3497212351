"""``pykyverno migrate``: kyverno.io/v1 ClusterPolicy/Policy rules rewritten as CEL policies.

Each validate rule becomes one ValidatingPolicy (named after the policy when it has a single rule, else
``<policy>-<rule>``) keeping the policy's annotations, its failure action (``validationActions``), background
setting, match/exclude (``matchConstraints`` plus readable ``matchConditions``), preconditions (more match
conditions), ``variable`` context entries (``variables``) and pod-controller autogen. The rule's check becomes one
validation: a pattern or anyPattern through :mod:`.migrate_pattern`, ``deny`` conditions negated, ``foreach`` as
``all`` over the list, ``validate.cel`` as written. Mutate rules become MutatingPolicies and generate rules with
``data`` GeneratingPolicies (:mod:`.migrate_mutate`); kyverno.io/v2 PolicyExceptions become CEL PolicyExceptions.
What has no faithful translation (podSecurity, apiCall context, roles, anchors in patches, durations, ``applyRules:
One`` with several rules...) is listed
per rule with the reason and nothing is emitted for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from pykyverno.engine.cpol import SPEC as CLUSTER_POLICY
from pykyverno.engine.cpol.autogen import POD_CONTROLLERS, can_autogen, requested_controllers
from pykyverno.engine.cpol.match import KindSelector
from pykyverno.engine.gpol import SPEC as GENERATING_POLICY
from pykyverno.engine.mpol import SPEC as MUTATING_POLICY
from pykyverno.engine.resources import DEFAULT_CATALOG, guess_plural
from pykyverno.engine.vpol import SPEC as VALIDATING_POLICY

from .migrate_conditions import conditions_block
from .migrate_jmespath import (
    Scope,
    Unconvertible,
    cel_literal,
    cel_string,
    has_variables,
    matches,
    translate,
    translate_on,
    translate_optional,
    translate_value,
    variable_name,
)
from .migrate_jmespath import wildcard_regex as regex_of
from .migrate_mutate import generation, mutations
from .migrate_pattern import node, translate_pattern

KEPT_ANNOTATIONS = (
    "policies.kyverno.io/title", "policies.kyverno.io/category", "policies.kyverno.io/severity",
    "policies.kyverno.io/subject", "policies.kyverno.io/description", "policies.kyverno.io/minversion",
    "kyverno.io/kubernetes-version",
)
MIGRATED_FROM = "pykyverno.io/migrated-from"
_AUTOGEN_ANNOTATION = "pod-policies.kyverno.io/autogen-controllers"
_NAME = re.compile(r"[^a-z0-9.-]+")
_LAST_FIELD = re.compile(r"^(.+)\.([A-Za-z_][A-Za-z0-9_]*)$")


@dataclass
class RuleConversion:
    """One rule of a source policy: what it became (``converted_to``) or why it was not converted."""

    policy: str
    rule: str
    rule_type: str
    converted_to: str = ""
    reason: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"policy": self.policy, "rule": self.rule, "type": self.rule_type, "convertedTo": self.converted_to,
                "reason": self.reason}


@dataclass
class Migration:
    """The converted documents and the per-rule record."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    rules: list[RuleConversion] = field(default_factory=list)
    #: The kyverno.io/v2 PolicyExceptions: converted (to the same name) or why not.
    exceptions: list[RuleConversion] = field(default_factory=list)

    def name_map(self) -> dict[str, dict[str, str]]:
        """(policy -> rule -> new policy name) for the converted rules."""
        out: dict[str, dict[str, str]] = {}
        for rule in self.rules:
            if rule.converted_to:
                out.setdefault(rule.policy, {})[rule.rule] = rule.converted_to
        return out


def is_legacy_policy(doc: Mapping[str, Any]) -> bool:
    """Whether a document is a kyverno.io/v1 ClusterPolicy or Policy."""
    return doc.get("kind") in CLUSTER_POLICY.kinds and doc.get("apiVersion") in CLUSTER_POLICY.api_versions


def _rule_type(rule: Mapping[str, Any]) -> str:
    for key in ("mutate", "generate", "verifyImages"):
        if rule.get(key):
            return key
    validate = rule.get("validate") or {}
    for key in ("pattern", "anyPattern", "deny", "foreach", "podSecurity", "cel", "manifests", "assert"):
        if isinstance(validate, Mapping) and validate.get(key) is not None:
            return f"validate.{key}"
    return "unknown"


def _policy_key(doc: Mapping[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    name = str(meta.get("name") or "")
    namespaced = doc.get("kind") != CLUSTER_POLICY.kinds[0] and meta.get("namespace")
    return f"{meta.get('namespace')}/{name}" if namespaced else name


# --- match ---------------------------------------------------------------------------------------------------------

def _resource_rule(kind_text: str, operations: list[str]) -> tuple[str, str, str]:
    selector = KindSelector.parse(kind_text)
    if "*" in kind_text or "?" in kind_text:
        raise Unconvertible(f"the wildcard kind {kind_text!r} is not translated")
    for resource_type in DEFAULT_CATALOG.types():
        if resource_type.kind != selector.kind:
            continue
        if selector.group not in ("*", resource_type.group) or selector.version not in ("*", resource_type.version):
            continue
        plural = resource_type.plural + (f"/{selector.subresource}" if selector.subresource else "")
        return resource_type.group, resource_type.version, plural
    # a custom resource: its group and version as written (any when not), Kubernetes' conventional plural
    plural = guess_plural(selector.kind) + (f"/{selector.subresource}" if selector.subresource else "")
    return selector.group, selector.version, plural


def _text_in(expression: str, values: list[str]) -> str:
    if any("*" in v or "?" in v for v in values):
        alternatives = "|".join(regex_of(v)[1:-1] for v in values)
        return matches(expression, f"^({alternatives})$")
    return f"{expression} in {cel_literal(values)}" if len(values) > 1 else f"{expression} == {cel_string(values[0])}"


def _selector(selector: Mapping[str, Any], labels: str) -> list[str]:
    out = []
    for key, value in (selector.get("matchLabels") or {}).items():
        if "*" in str(key) or "?" in str(key):
            raise Unconvertible(f"the wildcard label key {key!r} is not translated")
        out.append(f"{labels}[?{cel_string(str(key))}].orValue('') == {cel_string(str(value))}"
                   if not ("*" in str(value) or "?" in str(value)) else
                   matches(f"{labels}[?{cel_string(str(key))}].orValue('')", regex_of(str(value))))
    for expr in selector.get("matchExpressions") or []:
        key, op, values = str(expr.get("key")), str(expr.get("operator")), list(expr.get("values") or [])
        if op == "In":
            out.append(f"{labels}[?{cel_string(key)}].orValue('') in {cel_literal(values)}")
        elif op == "NotIn":
            out.append(f"!({cel_string(key)} in {labels}) || !({labels}[{cel_string(key)}] in {cel_literal(values)})")
        elif op == "Exists":
            out.append(f"{cel_string(key)} in {labels}")
        elif op == "DoesNotExist":
            out.append(f"!({cel_string(key)} in {labels})")
        else:
            raise Unconvertible(f"selector operator {op!r}")
    return out


def _subject(subject: Mapping[str, Any]) -> str:
    kind, name = str(subject.get("kind") or ""), str(subject.get("name") or "")
    if kind == "ServiceAccount":
        account = f"system:serviceaccount:{subject.get('namespace') or ''}:{name}"
        return _text_in("request.userInfo.username", [account])
    if kind == "User":
        return _text_in("request.userInfo.username", [name])
    if kind == "Group":
        return f"request.userInfo.?groups.orValue([]).exists(g, {_text_in('g', [name])})"
    raise Unconvertible(f"the subject kind {kind!r} is not translated")


def _filter_conditions(item: Mapping[str, Any], excluding: bool = False) -> list[str]:
    """The CEL conditions of one resource filter besides its kinds."""
    if item.get("roles") or item.get("clusterRoles"):
        raise Unconvertible("matching on roles or clusterRoles is not translated (a ValidatingPolicy sees no roles)")
    desc = item.get("resources") or {}
    out = []
    if item.get("subjects"):
        subjects = " || ".join(_subject(s) for s in item["subjects"])
        # as Kyverno, a request without user information (a background scan, the CLI) is matched on resources only
        out.append(f"request.userInfo.username != '' && ({subjects})" if excluding
                   else f"(request.userInfo.username == '' || {subjects})")
    names = list(desc.get("names") or []) + ([desc["name"]] if desc.get("name") else [])
    if names:
        out.append(_text_in("object.metadata.name", [str(n) for n in names]))
    if desc.get("namespaces"):
        out.append(_text_in("object.metadata.?namespace.orValue('')", [str(n) for n in desc["namespaces"]]))
    for key, value in (desc.get("annotations") or {}).items():
        out.append(_text_in(f"object.metadata.?annotations[?{cel_string(str(key))}].orValue('')", [str(value)]))
    if desc.get("selector"):
        out.extend(_selector(desc["selector"], "object.metadata.?labels.orValue({})"))
    if desc.get("namespaceSelector"):
        out.extend(_selector(desc["namespaceSelector"], "namespaceObject.metadata.?labels.orValue({})"))
    return out


def _kinds_condition(kinds: list[str]) -> str:
    names = sorted({KindSelector.parse(k).kind for k in kinds})
    return _text_in("object.kind", names)


def _filters(block: Mapping[str, Any] | None) -> tuple[str, list[Mapping[str, Any]]]:
    if not block:
        return "any", []
    if block.get("any"):
        return "any", list(block["any"])
    if block.get("all"):
        return "all", list(block["all"])
    inline = {"resources": block.get("resources") or {}, "subjects": block.get("subjects"),
              "roles": block.get("roles"), "clusterRoles": block.get("clusterRoles")}
    return "all", [inline]


def _match(rule: Mapping[str, Any], operations: list[str]) -> tuple[dict[str, Any], list[str], str]:
    """``matchConstraints``, extra match conditions of the rule's match, and the condition of its exclude."""
    mode, filters = _filters(rule.get("match"))
    if not filters:
        raise Unconvertible("a rule without match is not translated")
    resource_rules: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    per_filter: list[tuple[list[str], list[str]]] = []
    for item in filters:
        kinds = [str(k) for k in (item.get("resources") or {}).get("kinds") or []]
        if not kinds:
            raise Unconvertible("a match filter without kinds is not translated")
        for kind in kinds:
            key = _resource_rule(kind, operations)
            if key not in seen:
                seen.add(key)
                resource_rules.append({"apiGroups": [key[0]], "apiVersions": [key[1]], "resources": [key[2]],
                                       "operations": list(operations)})
        per_filter.append((kinds, _filter_conditions(item)))
    conditions: list[str] = []
    if mode == "all" and len(per_filter) > 1:
        raise Unconvertible("match.all with several filters is not translated")
    if len(per_filter) == 1:
        conditions.extend(per_filter[0][1])
    elif any(extra for _, extra in per_filter):
        alternatives = [" && ".join([_kinds_condition(kinds), *extra]) for kinds, extra in per_filter]
        conditions.append(" || ".join(f"({a})" for a in alternatives))
    ex_mode, excluded = _filters(rule.get("exclude"))
    ex_terms = []
    for item in excluded:
        kinds = [str(k) for k in (item.get("resources") or {}).get("kinds") or []]
        terms = ([_kinds_condition(kinds)] if kinds else []) + _filter_conditions(item, excluding=True)
        if terms:
            ex_terms.append(" && ".join(terms))
    if ex_terms:
        joined = (" || " if ex_mode == "any" else " && ").join(f"({t})" if len(ex_terms) > 1 else t
                                                                   for t in ex_terms)
        exclusion = f"!({joined})"
    else:
        exclusion = ""
    return {"resourceRules": _merge_rules(resource_rules)}, conditions, exclusion


def _merge_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for rule in rules:
        key = (rule["apiGroups"][0], rule["apiVersions"][0])
        if key in merged:
            merged[key]["resources"].extend(r for r in rule["resources"] if r not in merged[key]["resources"])
        else:
            merged[key] = {**rule, "resources": list(rule["resources"])}
    return list(merged.values())


# --- rule bodies ---------------------------------------------------------------------------------------------------

def _variables(rule: Mapping[str, Any], scope: Scope) -> list[dict[str, str]]:
    out = []
    for entry in rule.get("context") or []:
        name = str(entry.get("name") or "")
        variable = entry.get("variable")
        if entry.get("configMap") is not None:
            config_map = entry["configMap"] or {}
            namespace = translate_value(config_map.get("namespace") or "default", scope).text
            map_name = translate_value(config_map.get("name") or "", scope).text
            scope.variables.add(name)
            out.append({"name": variable_name(name),
                        "expression": f"resource.Get('v1', 'configmaps', {namespace}, {map_name})"})
            continue
        if variable is None:
            kinds = [k for k in ("configMap", "apiCall", "globalReference", "imageRegistry") if entry.get(k)]
            raise Unconvertible(f"the {kinds[0] if kinds else 'unknown'} context entry {name!r} is not translated")
        if "." in name:
            raise Unconvertible(f"the context variable {name!r} (dotted name) is not translated")
        scope.variables.add(name)
        out.append({"name": variable_name(name), "expression": _variable_expression(name, variable, scope)})
    return out


def _variable_expression(name: str, variable: Mapping[str, Any], scope: Scope) -> str:
    if variable.get("default") is not None:
        if "value" in variable or not variable.get("jmesPath"):
            raise Unconvertible(f"the context variable {name!r} (value with a default) is not translated")
        path = translate_optional(str(variable["jmesPath"]), scope)
        if "?" not in path:
            raise Unconvertible(f"the context variable {name!r} (default on a root variable) is not translated")
        return f"{path}.orValue({translate_value(variable['default'], scope).text})"
    if "value" in variable:
        value = translate_value(variable["value"], scope)
        if variable.get("jmesPath"):
            return translate_on(str(variable["jmesPath"]), scope, value.text).text
        return value.text
    return translate(str(variable.get("jmesPath") or ""), scope).text


def _bound(entries: Any, scope: Scope, body: Any) -> str:
    """A foreach body with the entry's ``variable`` context entries bound (``cel.bind``) around it."""
    names = []
    for entry in entries or []:
        name = str(entry.get("name") or "")
        variable = entry.get("variable")
        if variable is None or "." in name or variable.get("default") is not None:
            raise Unconvertible(f"the foreach context entry {name!r} is not translated (only plain variables are)")
        expression = _variable_expression(name, variable, scope)
        identifier = variable_name(name)
        scope.locals[name] = identifier
        names.append((identifier, expression))
    text: str = body()
    for identifier, expression in reversed(names):
        text = f"cel.bind({identifier}, {expression}, {text})"
    return text


def _foreach_list(expression: str, scope: Scope) -> str:
    text = expression.strip().removeprefix("{{").removesuffix("}}").strip()
    translated = translate(text, scope)
    last_field = _LAST_FIELD.match(translated.text)
    if last_field and not translated.is_list:  # Kyverno skips a foreach whose list is missing
        return f"{last_field.group(1)}.?{last_field.group(2)}.orValue([])"
    return translated.text


def _foreach(entries: Any, scope: Scope, lists: list[str], depth: int = 0) -> str:
    """``all`` over each entry's list; ``lists`` collects the lists (Kyverno reports nothing when all are empty).
    A nested foreach iterates with ``element<depth>`` (``element0`` is the outermost, as in Kyverno)."""
    if not isinstance(entries, list) or not entries:
        raise Unconvertible("foreach must be a non-empty list")
    parts = []
    variable = "element" if depth == 0 else f"element{depth}"
    for entry in entries:
        items = _foreach_list(str(entry.get("list") or ""), scope)
        lists.append(items)
        inner = Scope(scope.variables, variable, list(scope.loops), scope.object_name, dict(scope.locals))

        def body(entry: Mapping[str, Any] = entry, inner: Scope = inner) -> str:
            if entry.get("foreach") is not None:
                text = _foreach(entry["foreach"], inner, [], depth + 1)
            else:
                text = _check(entry, inner, base=variable if entry.get("elementScope") is not False else "")
            if entry.get("preconditions") is not None:
                text = f"!({conditions_block(entry['preconditions'], inner)}) || ({text})"
            return text

        parts.append(f"{items}.all({variable}, {_bound(entry.get('context'), inner, body)})")
    return " && ".join(parts)


def _check(validate: Mapping[str, Any], scope: Scope, base: str = "") -> str:
    base = base or scope.object_name
    if validate.get("pattern") is not None:
        return node(validate["pattern"], base, scope)
    if validate.get("anyPattern") is not None:
        patterns = validate["anyPattern"]
        if not isinstance(patterns, list) or not patterns:
            raise Unconvertible("anyPattern must be a non-empty list")
        return " || ".join(f"({node(p, base, scope)})" for p in patterns)
    if validate.get("deny") is not None:
        return f"!({conditions_block((validate.get('deny') or {}).get('conditions'), scope)})"
    if validate.get("foreach") is not None:
        return _foreach(validate["foreach"], scope, [])
    raise Unconvertible(f"validate.{next(iter(validate), 'empty')} is not translated")


def _message(validate: Mapping[str, Any], scope: Scope) -> dict[str, str]:
    message = validate.get("message")
    if not isinstance(message, str) or not message:
        return {}
    if not has_variables(message):
        return {"message": message}
    try:
        return {"messageExpression": translate_value(message, scope).text}
    except Unconvertible:
        return {"message": message}


def _validation(rule: Mapping[str, Any], scope: Scope) -> tuple[list[dict[str, str]], list[str]]:
    """(validations, extra match conditions) of a validate rule."""
    validate = rule.get("validate") or {}
    if validate.get("cel") is not None:
        cel = validate["cel"]
        if cel.get("paramKind") or cel.get("paramRef"):
            raise Unconvertible("validate.cel with parameters is not translated")
        validations = [dict(e) for e in cel.get("expressions") or []]
        return validations, []
    if validate.get("podSecurity") is not None:
        raise Unconvertible("podSecurity profiles have no ValidatingPolicy counterpart")
    guards: list[str] = []
    if validate.get("pattern") is not None:
        guards, expression = translate_pattern(validate["pattern"], scope.object_name, scope)
    elif validate.get("foreach") is not None:
        lists: list[str] = []
        expression = _foreach(validate["foreach"], scope, lists)
        guards = [" || ".join(f"size({items}) > 0" for items in lists)]
    else:
        expression = _check(validate, scope)
    return [{"expression": expression, **_message(validate, scope)}], guards


def _preconditions(rule: Mapping[str, Any], scope: Scope) -> list[str]:
    block = rule.get("preconditions")
    if block is None:
        return []
    if isinstance(block, Mapping) and block.get("any") is None:
        return [conditions_block([c], scope) for c in block.get("all") or []]
    if isinstance(block, list):
        return [conditions_block([c], scope) for c in block]
    return [conditions_block(block, scope)]


def _operations(rule: Mapping[str, Any]) -> list[str]:
    listed: list[str] = []
    _, filters = _filters(rule.get("match"))
    for item in filters:
        listed.extend(str(o) for o in (item.get("resources") or {}).get("operations") or [])
    if listed:
        return sorted(set(listed), key=["CREATE", "UPDATE", "DELETE", "CONNECT"].index)
    text = str(rule)
    return ["CREATE", "UPDATE"] + [op for op in ("DELETE", "CONNECT") if op in text]


def _autogen(policy: Mapping[str, Any], rule: Mapping[str, Any]) -> dict[str, Any] | None:
    annotations = (policy.get("metadata") or {}).get("annotations") or {}
    rules = (policy.get("spec") or {}).get("rules") or []
    requested = requested_controllers(annotations)
    if not can_autogen(rules):
        controllers: list[str] = []
    elif requested is None:
        return None
    else:
        controllers = [c for c in POD_CONTROLLERS if c in requested]
    plurals = [DEFAULT_CATALOG_PLURALS.get(kind, kind.lower() + "s") for kind in controllers]
    return {"podControllers": {"controllers": plurals}}


DEFAULT_CATALOG_PLURALS = {t.kind: t.plural for t in DEFAULT_CATALOG.types() if t.kind in POD_CONTROLLERS}


def _action(policy: Mapping[str, Any], rule: Mapping[str, Any]) -> list[str]:
    spec = policy.get("spec") or {}
    validate = rule.get("validate") or {}
    if validate.get("failureActionOverrides") or spec.get("validationFailureActionOverrides"):
        raise Unconvertible("per-namespace failure action overrides have no ValidatingPolicy counterpart")
    action = str(validate.get("failureAction") or spec.get("validationFailureAction") or "Audit")
    return ["Deny"] if action.lower() == "enforce" else ["Audit"]


def _new_name(policy_name: str, rule_name: str, single: bool) -> str:
    if single:
        return policy_name
    return _NAME.sub("-", f"{policy_name}-{rule_name}".lower()).strip("-")[:253]


def convert_rule(policy: Mapping[str, Any], rule: Mapping[str, Any], name: str) -> dict[str, Any]:
    """One validate rule as a ValidatingPolicy document; :class:`Unconvertible` says why it cannot be."""
    rule_type = _rule_type(rule)
    if rule_type == "mutate":
        return _mutating_policy(policy, rule, name)
    if rule_type == "generate":
        return _generating_policy(policy, rule, name)
    if not rule_type.startswith("validate."):
        raise Unconvertible(f"{rule_type} rules are not converted")
    operations = _operations(rule)
    scope = Scope(object_name="oldObject" if operations == ["DELETE"] else "object")
    variables = _variables(rule, scope)
    constraints, named = _match_conditions(rule, operations, scope)
    validations, guards = _validation(rule, scope)
    named.extend((f"applies-{i + 1}", text) for i, text in enumerate(guards))
    cel_pre = (rule.get("celPreconditions") or [])
    meta = policy.get("metadata") or {}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k in KEPT_ANNOTATIONS}
    annotations[MIGRATED_FROM] = f"{policy.get('kind')}/{_policy_key(policy)}/{rule.get('name')}"
    metadata: dict[str, Any] = {"name": name, "annotations": annotations}
    kind = VALIDATING_POLICY.kinds[0]
    if policy.get("kind") != CLUSTER_POLICY.kinds[0] and meta.get("namespace"):
        kind = VALIDATING_POLICY.kinds[1]
        metadata["namespace"] = meta["namespace"]
    spec: dict[str, Any] = {
        "validationActions": _action(policy, rule),
        "matchConstraints": constraints,
    }
    conditions = [{"name": name, "expression": text} for name, text in named]
    conditions.extend(dict(c) for c in cel_pre)
    if conditions:
        spec["matchConditions"] = conditions
    if variables:
        spec["variables"] = variables
    spec["validations"] = validations
    if (policy.get("spec") or {}).get("background") is False:
        spec["evaluation"] = {"background": {"enabled": False}}
    autogen = _autogen(policy, rule)
    if autogen is not None:
        spec["autogen"] = autogen
    return {"apiVersion": VALIDATING_POLICY.api_versions[-1], "kind": kind, "metadata": metadata, "spec": spec}


EXCEPTION_KIND = "PolicyException"
LEGACY_EXCEPTION_VERSIONS = ("kyverno.io/v2", "kyverno.io/v2beta1")


def _exception_conditions(exception: Mapping[str, Any]) -> list[dict[str, str]]:
    spec = exception.get("spec") or {}
    if spec.get("podSecurity"):
        raise Unconvertible("podSecurity exemptions have no counterpart for ValidatingPolicies")
    mode, filters = _filters(spec.get("match"))
    terms = []
    for item in filters:
        kinds = [str(k) for k in (item.get("resources") or {}).get("kinds") or []]
        parts = ([_kinds_condition(kinds)] if kinds else []) + _filter_conditions(item)
        terms.append(" && ".join(parts) if parts else "true")
    if not terms:
        raise Unconvertible("an exception without match is not translated")
    joined = (" || " if mode == "any" else " && ").join(f"({t})" if len(terms) > 1 else t for t in terms)
    conditions = [{"name": "match", "expression": joined}]
    if spec.get("conditions") is not None:
        conditions.append({"name": "conditions", "expression": conditions_block(spec["conditions"], Scope())})
    return conditions


def convert_exception(exception: Mapping[str, Any], names: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """A kyverno.io/v2 PolicyException as a policies.kyverno.io PolicyException for the converted policies its
    ``exceptions`` name (rules through the migration map, wildcards included)."""
    refs = []
    for entry in (exception.get("spec") or {}).get("exceptions") or []:
        rules = names.get(str(entry.get("policyName") or "")) or {}
        patterns = [str(r) for r in entry.get("ruleNames") or []]
        for rule, new_name in rules.items():
            if any(_matches_rule(p, rule) for p in patterns):
                refs.append({"name": new_name, "kind": VALIDATING_POLICY.kinds[0]})
    if not refs:
        raise Unconvertible("none of the rules it names was converted")
    meta = exception.get("metadata") or {}
    metadata = {k: meta[k] for k in ("name", "namespace") if meta.get(k)}
    return {"apiVersion": VALIDATING_POLICY.api_versions[-1], "kind": EXCEPTION_KIND, "metadata": metadata,
            "spec": {"policyRefs": refs, "matchConditions": _exception_conditions(exception)}}


def _matches_rule(pattern: str, rule: str) -> bool:
    return re.fullmatch(regex_of(pattern), rule) is not None or re.fullmatch(
        regex_of(pattern), f"autogen-{rule}") is not None


def is_legacy_exception(doc: Mapping[str, Any]) -> bool:
    """Whether a document is a kyverno.io/v2 (or v2beta1) PolicyException."""
    return doc.get("kind") == EXCEPTION_KIND and doc.get("apiVersion") in LEGACY_EXCEPTION_VERSIONS


def _metadata(policy: Mapping[str, Any], rule: Mapping[str, Any], name: str) -> dict[str, Any]:
    meta = policy.get("metadata") or {}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k in KEPT_ANNOTATIONS}
    annotations[MIGRATED_FROM] = f"{policy.get('kind')}/{_policy_key(policy)}/{rule.get('name')}"
    metadata: dict[str, Any] = {"name": name, "annotations": annotations}
    if policy.get("kind") != CLUSTER_POLICY.kinds[0] and meta.get("namespace"):
        metadata["namespace"] = meta["namespace"]
    return metadata


def _match_conditions(rule: Mapping[str, Any], operations: list[str],
                      scope: Scope) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A rule's match constraints, and its match / exclude / precondition expressions as named match conditions."""
    constraints, matching, exclusion = _match(rule, operations)
    named = [(f"match-{i + 1}", text) for i, text in enumerate(matching)]
    if exclusion:
        named.append(("exclude", exclusion))
    named.extend((f"precondition-{i + 1}", text) for i, text in enumerate(_preconditions(rule, scope)))
    return constraints, named


def _mutating_policy(policy: Mapping[str, Any], rule: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A mutate rule as a MutatingPolicy (match, preconditions, variables, one mutation)."""
    operations = _operations(rule)
    scope = Scope()
    variables = _variables(rule, scope)
    constraints, named = _match_conditions(rule, operations, scope)
    spec: dict[str, Any] = {"matchConstraints": constraints}
    if named:
        spec["matchConditions"] = [{"name": n, "expression": text} for n, text in named]
    if variables:
        spec["variables"] = variables
    spec["mutations"] = mutations(rule.get("mutate") or {}, scope)
    autogen = _autogen(policy, rule)
    if autogen is not None:
        spec["autogen"] = autogen
    metadata = _metadata(policy, rule, name)
    kind = MUTATING_POLICY.kinds[1] if "namespace" in metadata else MUTATING_POLICY.kinds[0]
    return {"apiVersion": MUTATING_POLICY.api_versions[-1], "kind": kind, "metadata": metadata, "spec": spec}


def _generating_policy(policy: Mapping[str, Any], rule: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A generate rule with ``data`` as a GeneratingPolicy (match, preconditions, variables, one generation)."""
    scope = Scope()
    variables = _variables(rule, scope)
    constraints, matching, exclusion = _match(rule, _operations(rule))
    named = [(f"match-{i + 1}", text) for i, text in enumerate(matching)]
    if exclusion:
        named.append(("exclude", exclusion))
    named.extend((f"precondition-{i + 1}", text) for i, text in enumerate(_preconditions(rule, scope)))
    generate, synchronize = generation(rule.get("generate") or {}, scope)
    spec: dict[str, Any] = {"matchConstraints": constraints}
    if named:
        spec["matchConditions"] = [{"name": n, "expression": text} for n, text in named]
    if variables:
        spec["variables"] = variables
    spec["generate"] = generate
    if synchronize:
        spec["evaluation"] = {"synchronize": {"enabled": True}}
    metadata = _metadata(policy, rule, name)
    kind = GENERATING_POLICY.kinds[1] if "namespace" in metadata else GENERATING_POLICY.kinds[0]
    return {"apiVersion": GENERATING_POLICY.api_versions[-1], "kind": kind, "metadata": metadata, "spec": spec}


def migrate_documents(documents: Sequence[Mapping[str, Any]]) -> Migration:
    """Convert every ClusterPolicy/Policy among ``documents``, then the kyverno.io/v2 PolicyExceptions for them
    (other documents are left out)."""
    migration = _migrate_policies(documents)
    names = migration.name_map()
    for exception in documents:
        if not is_legacy_exception(exception):
            continue
        meta = exception.get("metadata") or {}
        key = f"{meta.get('namespace')}/{meta.get('name')}" if meta.get("namespace") else str(meta.get("name"))
        record = RuleConversion(key, "", EXCEPTION_KIND)
        try:
            migration.documents.append(convert_exception(exception, names))
            record.converted_to = str(meta.get("name") or "")
        except Unconvertible as exc:
            record.reason = str(exc)
        migration.exceptions.append(record)
    return migration


def _migrate_policies(documents: Sequence[Mapping[str, Any]]) -> Migration:
    migration = Migration()
    for policy in documents:
        if not is_legacy_policy(policy):
            continue
        rules = [r for r in (policy.get("spec") or {}).get("rules") or [] if isinstance(r, Mapping)]
        policy_name = str((policy.get("metadata") or {}).get("name") or "")
        # applyRules One: only the first rule that applies runs. Separate CEL policies all run, so the choice cannot
        # be kept (a single rule is the same either way).
        apply_one = str((policy.get("spec") or {}).get("applyRules") or "All") == "One" and len(rules) > 1
        for rule in rules:
            record = RuleConversion(_policy_key(policy), str(rule.get("name") or ""), _rule_type(rule))
            name = _new_name(policy_name, record.rule, len(rules) == 1)
            try:
                if apply_one:
                    raise Unconvertible("spec.applyRules: One (only the first rule that applies runs) has no "
                                        "equivalent: each rule would become its own CEL policy and all of them "
                                        "would run")
                document = convert_rule(policy, rule, name)
            except Unconvertible as exc:
                record.reason = str(exc)
            else:
                record.converted_to = name
                migration.documents.append(document)
            migration.rules.append(record)
    return migration


class _Dumper(yaml.SafeDumper):
    """YAML for people: CEL with single quotes in double-quoted scalars, long expressions folded."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if "'" in value and '"' not in value and "\\" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def dump_policies(documents: Sequence[Mapping[str, Any]]) -> str:
    """The converted policies as multi-document YAML."""
    return yaml.dump_all([dict(d) for d in documents], Dumper=_Dumper, sort_keys=False, width=120)

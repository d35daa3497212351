"""``pykyverno policies``: list the bundled policy sets and their policies, and show one policy or set."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

import yaml

from pykyverno.engine.reader import load_yaml_all
from pykyverno.engine.registry import REGISTRY

from ..core.names import require_known
from ..exit_codes import EXIT_OK, EXIT_USAGE
from ..output import text_table
from ..policysets import PolicyDescription, PolicySetError, available_sets, describe_policy, get_set, resolve_set
from ..policysets.catalog import policy_locations
from ..policysets.describe import describe_document
from ..redaction import mask_data
from .inputs import check_policy_sets


def add_parser(sub: Any) -> None:
    """Register the ``policies`` subcommand with ``list`` and ``show``."""
    p = sub.add_parser("policies", help="list and describe the bundled policy sets")
    actions = p.add_subparsers(dest="policies_action", metavar="ACTION")
    ls = actions.add_parser("list", help="list the sets, or the policies of one set (with its includes)")
    ls.add_argument("set", nargs="?", metavar="SET", help="a set name: list its policies")
    ls.add_argument("-o", "--output", choices=["json", "yaml"], help="structured output instead of a table")
    show = actions.add_parser("show", help="describe a bundled policy (or a set)")
    show.add_argument("name", metavar="NAME", help="a policy name, or a set name")
    show.add_argument("-o", "--output", choices=["json", "yaml"], help="structured output instead of text")
    p.set_defaults(run=run, policies_parser=p)


def _dump(data: Any, fmt: str) -> str:
    data = mask_data(data)
    return json.dumps(data, indent=2) if fmt == "json" else yaml.safe_dump(data, sort_keys=False).rstrip()


def _short(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _set_policies(name: str) -> list[PolicyDescription]:
    descriptions = []
    for path in resolve_set(name):
        for doc in load_yaml_all(path.read_text(encoding="utf-8"), str(path)):
            if isinstance(doc, dict):
                descriptions.append(describe_document(doc, path.parent.name, path))
    return descriptions


def _list_sets(fmt: str | None) -> str:
    sets = [info.to_dict() for info in available_sets().values()]
    if fmt:
        return _dump({"sets": sets}, fmt)
    rows = [
        (
            s["name"],
            str(s["policies"]) + (f" (+{s['policiesWithIncludes'] - s['policies']} included)" if s["includes"] else ""),
            "yes" if s["experimental"] else "",
            _short(s["description"], 70),
        )
        for s in sets
    ]
    return text_table(("SET", "POLICIES", "EXPERIMENTAL", "DESCRIPTION"), rows)


def _list_policies(name: str, fmt: str | None) -> str:
    policies = _set_policies(name)
    if fmt:
        items = [
            {"name": p.name, "kind": p.kind, "set": p.set_name, "severity": p.severity, "category": p.category,
             "title": p.title}
            for p in policies
        ]
        return _dump({"set": name, "policies": items}, fmt)
    rows = [(p.name, p.set_name, p.severity, p.kind, p.title) for p in policies]
    return text_table(("POLICY", "SET", "SEVERITY", "KIND", "TITLE"), rows)


def _wrap(label: str, text: str) -> list[str]:
    if not text:
        return []
    return [f"{label}:", *textwrap.wrap(text, 100, initial_indent="  ", subsequent_indent="  ")]


def render_policy(policy: PolicyDescription) -> str:
    """A policy description as readable text."""
    lines = [
        f"{policy.name} ({policy.kind}, set {policy.set_name})",
        f"Title:    {policy.title}",
        f"Category: {policy.category}",
        f"Severity: {policy.severity}",
        f"Actions:  {', '.join(policy.validation_actions) or '-'}; background scans: "
        + ("yes" if policy.background else "no"),
    ]
    lines += _wrap("Description", policy.description)
    lines += _wrap("Remediation", policy.remediation)
    lines.append("Matches:")
    lines += [f"  - {m}" for m in policy.matches]
    if policy.autogen:
        lines.append(f"  - through autogen: {', '.join(policy.autogen)}")
    if policy.match_conditions:
        lines.append("Only when:")
        lines += [f"  - {c.message}: {c.expression}" for c in policy.match_conditions]
    if policy.variables:
        lines.append("Variables:")
        lines += [f"  - {v.message} = {_short(v.expression, 110)}" for v in policy.variables]
    validates = (spec := REGISTRY.for_kind(policy.kind)) is not None and spec.validation_actions
    lines.append("Checks (in order, the first failing one decides):" if validates else "Actions:")
    for i, check in enumerate(policy.checks):
        lines.append(f"  {i}. {check.message}")
        lines += textwrap.wrap(check.expression, 100, initial_indent="     cel: ", subsequent_indent="          ")
    lines.append(f"File: {policy.path}")
    return "\n".join(lines)


def _show(name: str, fmt: str | None) -> str:
    sets = available_sets()
    if name in sets:
        info = get_set(name)
        data = {**info.to_dict(), "policyNames": [p.name for p in _set_policies(name)]}
        if fmt:
            return _dump(data, fmt)
        lines = [f"{info.name}{' (experimental)' if info.experimental else ''}"]
        lines += textwrap.wrap(info.description, 100, initial_indent="  ", subsequent_indent="  ")
        if info.includes:
            lines.append(f"Includes: {', '.join(info.includes)}")
        lines.append(f"Policies ({len(data['policyNames'])}): {', '.join(data['policyNames'])}")
        return "\n".join(lines)
    require_known("policy or policy set", name, [*sets, *policy_locations()])
    policy = describe_policy(name)
    return _dump(policy.to_dict(), fmt) if fmt else render_policy(policy)


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno policies list|show``."""
    action = getattr(args, "policies_action", None)
    if action is None:
        args.policies_parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        if action == "list":
            if args.set:
                check_policy_sets([args.set])
            text = _list_policies(args.set, args.output) if args.set else _list_sets(args.output)
        else:
            text = _show(args.name, args.output)
    except PolicySetError as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_USAGE
    print(text)
    return EXIT_OK

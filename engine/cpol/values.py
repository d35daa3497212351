"""The Kyverno CLI's Values for ClusterPolicy rules: variables a values file presets instead of a cluster.

A ``cli.kyverno.io`` Values document sets ``globalValues`` (every rule), ``policies[].resources[].values`` (one
policy on one resource), ``policies[].rules[].values`` (one rule; their names also switch off context entries of the
same name) and ``policies[].rules[].foreachValues`` (the n-th value for the n-th foreach element). The runner that
read them makes them current with :func:`using_values` (they travel in the evaluation's providers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..cel.providers import Providers, current_providers

_KEY = "cpol.values"


@dataclass
class CliValues:
    """Values by scope; policy names are as written in the Values file (no namespace prefix)."""

    global_values: dict[str, Any] = field(default_factory=dict)
    rules: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    foreach: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def add_document(self, data: Mapping[str, Any]) -> None:
        """Merge one Values document (the same policy listed twice merges both entries, as the CLI does)."""
        self.global_values.update(data.get("globalValues") or {})
        for policy in data.get("policies") or []:
            if not isinstance(policy, Mapping):
                continue
            name = str(policy.get("name") or "")
            for rule in policy.get("rules") or []:
                if isinstance(rule, Mapping):
                    key = (name, str(rule.get("name") or ""))
                    self.rules.setdefault(key, {}).update(rule.get("values") or {})
                    self.foreach.setdefault(key, {}).update(rule.get("foreachValues") or {})
            for resource in policy.get("resources") or []:
                if isinstance(resource, Mapping):
                    key = (name, str(resource.get("name") or ""))
                    self.resources.setdefault(key, {}).update(resource.get("values") or {})

    def for_rule(self, policy: str, rule: str) -> dict[str, Any]:
        """The rule's values (an autogen rule reads the values of the rule it was generated from)."""
        found = self.rules.get((policy, rule))
        if found is None:
            for prefix in ("autogen-cronjob-", "autogen-"):
                if rule.startswith(prefix):
                    found = self.rules.get((policy, rule.removeprefix(prefix)))
                    break
        return found or {}

    def foreach_for(self, policy: str, rule: str) -> dict[str, Any]:
        """The rule's ``foreachValues``."""
        return self.foreach.get((policy, rule)) or {}

    def for_resource(self, policy: str, resource: str) -> dict[str, Any]:
        """Global values overlaid with the values of ``policy`` on the resource named ``resource``."""
        return {**self.global_values, **(self.resources.get((policy, resource)) or {})}


def values_of(providers: Providers) -> CliValues:
    """The Values kept in ``providers`` (created empty on first use, so a runner can fill them)."""
    found = providers.extra.get(_KEY)
    if not isinstance(found, CliValues):
        found = CliValues()
        providers.extra[_KEY] = found
    return found


def current_values() -> CliValues:
    """The Values of the evaluation in progress (empty when none were given)."""
    found = current_providers().extra.get(_KEY)
    return found if isinstance(found, CliValues) else CliValues()

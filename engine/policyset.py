"""What loading produces: a :class:`PolicySet` of compiled policies (each following
:class:`~pykyverno.engine.common.kind.CompiledPolicy`), PolicyExceptions and diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .diagnostics import Diagnostic

if TYPE_CHECKING:
    from .common.kind import CompiledPolicy
    from .common.policy_exception import PolicyException


@dataclass
class PolicySet:
    """Everything loaded from a set of paths or documents."""

    policies: list[CompiledPolicy] = field(default_factory=list)
    exceptions: list[PolicyException] = field(default_factory=list)
    #: Problems met while loading, one per document, field or expression (a bad document never stops the others).
    issues: list[Diagnostic] = field(default_factory=list)
    #: Source documents of the loaded policies, by qualified name (for describe/explain).
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def extend(self, other: PolicySet) -> None:
        """Merge another set into this one."""
        self.policies.extend(other.policies)
        self.exceptions.extend(other.exceptions)
        self.issues.extend(other.issues)
        self.sources.update(other.sources)

    def names(self) -> list[str]:
        """Distinct policy names, in load order."""
        return list(dict.fromkeys(p.name for p in self.policies))

    @property
    def errors(self) -> list[Diagnostic]:
        """The issues of severity ``error`` (a set with any is not fully usable)."""
        return [issue for issue in self.issues if issue.severity == "error"]

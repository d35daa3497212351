"""What loading produces: a :class:`PolicySet` of compiled policies, PolicyExceptions and diagnostics, and the
:class:`CompiledPolicy` protocol every compiled policy kind follows (checked by mypy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .diagnostics import Diagnostic

if TYPE_CHECKING:
    from .common.expressions import CompiledVariables
    from .common.kind import KindSpec
    from .common.options import EvaluationOptions
    from .common.policy_exception import PolicyException
    from .request import AdmissionContext
    from .results import RuleResult


class CompiledPolicy(Protocol):
    """What every compiled policy kind offers the index and the runners."""

    @property
    def spec(self) -> KindSpec:
        """The declaration of the policy's kind (report source, whether it mutates, whether scans run it...)."""

    @property
    def name(self) -> str:
        """The name reports use (``namespace/name`` for namespaced policies)."""

    @property
    def kind(self) -> str:
        """The document kind (``ValidatingPolicy``, ``NamespacedValidatingPolicy``...)."""

    @property
    def autogen(self) -> str:
        """The autogen variant this object is (``defaults``, ``cronjobs``...), ``""`` for the policy as written."""

    @property
    def background(self) -> bool:
        """Whether background scans evaluate the policy (``evaluation.background.enabled``, ``spec.background``)."""

    @property
    def variables(self) -> CompiledVariables:
        """The policy's compiled ``variables`` (their sources explain what an expression reads)."""

    def index_keys(self) -> set[tuple[str, str, str]]:
        """(group, version, plural) keys of the resources the policy can match (``*`` for wildcards)."""

    def evaluate(
        self,
        ctx: AdmissionContext,
        exceptions: list[PolicyException] | None = ...,
        options: EvaluationOptions | None = ...,
    ) -> RuleResult | None:
        """The result on one request, or ``None`` when the policy does not apply."""


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

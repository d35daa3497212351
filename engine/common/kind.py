"""The declaration of a policy kind (:class:`KindSpec`), written once in the kind's own package.

Everything that differs by kind outside the kind's package derives from its spec: which documents the loader hands
it, its CEL environment, the ``source`` of its report results, whether ``apply`` chains its mutations, whether scans
run it, what ``describe`` lists as its checks and which lint rules advise on it. The registry
(``engine/registry.py``) lists the specs; adding a kind means adding its package and one line there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..cel import CelProfile
from ..diagnostics import Diagnostic

if TYPE_CHECKING:
    from ..documents import Document
    from ..request import AdmissionContext
    from ..results import RuleResult
    from .expressions import CompiledVariables
    from .model import Model
    from .options import EvaluationOptions
    from .policy_exception import PolicyException


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


class LoadTarget(Protocol):
    """Where a kind's loader puts what it loads (the loader's :class:`~pykyverno.engine.policyset.PolicySet`)."""

    policies: list[CompiledPolicy]
    #: One diagnostic per document, field or expression that failed.
    issues: list[Diagnostic]
    #: Source documents of the loaded policies, by qualified name.
    sources: dict[str, dict[str, Any]]


#: Loads every document of the kind's document kinds at once (so that policies can be paired with bindings), adding
#: compiled policies and diagnostics to the target.
Loader = Callable[["KindSpec", "Sequence[Document]", LoadTarget], None]
#: A piece of advice on a policy document (``lint``): the diagnostics it finds, located by field path.
LintRule = Callable[["Document"], list[Diagnostic]]
#: What a policy checks, in words: (label, expression) pairs read from its spec mapping (``describe``).
ChecksReader = Callable[[Mapping[str, Any]], list[tuple[str, str]]]
#: The pod controller kinds autogen adds to a policy spec mapping (``describe``); empty when it does not apply.
AutogenReader = Callable[[Mapping[str, Any]], list[str]]


def _no_autogen(spec: Mapping[str, Any]) -> list[str]:
    return []


def validation_checks(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``validations[]`` as (message, expression) pairs: what validating kinds check."""
    return [
        (str(v.get("message") or v.get("messageExpression") or ""), str(v.get("expression") or ""))
        for v in spec.get("validations") or []
        if isinstance(v, Mapping)
    ]


@dataclass(frozen=True)
class KindSpec:
    """One policy kind, declared once in its package."""

    #: The policy kind reports and Test files name (``isValidatingPolicy: true``).
    name: str
    #: Every document kind the package loads: the kind, its Namespaced variant, its bindings.
    kinds: tuple[str, ...]
    api_versions: tuple[str, ...]
    #: The ``source`` Kyverno writes in PolicyReport results of this kind.
    report_source: str
    loader: Loader
    cel: CelProfile
    #: Its results carry a mutated object that the following policies see (``apply`` chains them first).
    mutates: bool = False
    #: Its results carry generated objects.
    generates: bool = False
    #: Compliance scans evaluate it (mutations and generations are previews, not findings).
    scanned: bool = False
    #: Its policies carry ``validationActions`` (Audit, Deny, Warn) and stop at the first failing validation:
    #: installing a set sets their mode, and drafted PolicyExceptions excuse their findings.
    validation_actions: bool = False
    #: Its compiled policies can join a batch (``engine/common/batch.py``): they are :class:`ValidatingPipeline`
    #: objects offering ``batch_blocker()`` and ``shared_activation(ctx)``, and a pass needs no per-object data.
    batches: bool = False
    #: The Kyverno release that first served each document kind (which API version a write may use); empty for
    #: kinds Kubernetes itself serves.
    introduced_in: Mapping[str, str] = field(default_factory=dict)
    checks: ChecksReader = validation_checks
    autogen: AutogenReader = _no_autogen
    lint: tuple[LintRule, ...] = ()
    #: The model of the whole ``spec`` (every field Kubernetes or Kyverno defines) per document kind, for ``lint``'s
    #: unknown-field check; a kind whose models cover only what the engine evaluates leaves it empty.
    schemas: Mapping[str, type[Model]] = field(default_factory=dict)

    def load(self, documents: Sequence[Document], into: LoadTarget) -> None:
        """Load documents of this kind into ``into`` (diagnostics for the ones that fail)."""
        self.loader(self, documents, into)

    @property
    def group(self) -> str:
        """The API group of the kind (``policies.kyverno.io``)."""
        return self.api_versions[0].split("/", 1)[0] if "/" in self.api_versions[0] else ""

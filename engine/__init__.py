"""pykyverno's policy engine: pure evaluation of Kyverno CEL policies on plain dicts.

Nothing in this package performs I/O towards a cluster or imports the kubernetes client; the outside world
(cluster reads, HTTP calls, image metadata) reaches it through provider interfaces injected by the caller
(:mod:`pykyverno.engine.cel.providers`). The public surface is small:

- load: :func:`load_policies` (files and folders), :func:`load_documents` (parsed documents),
  :func:`parse_documents` (YAML text) -> :class:`PolicySet`;
- evaluate: :class:`PolicyIndex` selects the compiled policies for an object, each compiled policy's ``evaluate``
  takes an :class:`AdmissionContext` and returns a :class:`RuleResult` (or ``None`` when it does not apply);
- errors: :class:`EngineError` and its subclasses.
"""

from .documents import Document, parse_documents, read_documents
from .errors import EngineError, LoadError, PolicyCompileError, PolicyValidationError, ResourceError
from .index import PolicyIndex
from .loader import CompiledPolicy, LoadIssue, PolicySet, load_documents, load_policies
from .request import AdmissionContext
from .results import ResourceRef, RuleResult, summarize

__all__ = [
    "AdmissionContext",
    "CompiledPolicy",
    "Document",
    "EngineError",
    "LoadError",
    "LoadIssue",
    "PolicyCompileError",
    "PolicyIndex",
    "PolicySet",
    "PolicyValidationError",
    "ResourceError",
    "ResourceRef",
    "RuleResult",
    "load_documents",
    "load_policies",
    "parse_documents",
    "read_documents",
    "summarize",
]

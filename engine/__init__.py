"""pykyverno's policy engine: pure evaluation of Kyverno policies on plain dicts.

Nothing in this package performs I/O towards a cluster or imports the kubernetes client; the outside world
(cluster reads, HTTP calls, image metadata) reaches it through provider interfaces injected by the caller
(:mod:`pykyverno.engine.cel.providers`). The public surface is small:

- load: :func:`load_policies` (files and folders), :func:`load_documents` (parsed documents),
  :func:`parse_documents` (YAML text) -> :class:`PolicySet` (compiled policies, exceptions, :class:`Diagnostic`\\ s);
- evaluate: :class:`PolicyIndex` selects the compiled policies for an object, :func:`admission_request` builds the
  request, each compiled policy's ``evaluate`` returns a :class:`RuleResult` (or ``None`` when it does not apply);
- kinds: ``registry.REGISTRY`` (a :class:`KindRegistry`) lists the :class:`KindSpec` of every policy kind;
- errors: :class:`EngineError` and its subclasses (the tree is drawn in ``engine/errors.py``).

Layout: ``cel/`` (the CEL adapter, libraries, front end), ``common/`` (the one evaluation pipeline and the parts
every kind shares), one package per kind (``vpol``, ``ivpol``, ``mpol``, ``gpol``, ``dpol``, ``vap``, ``map``,
``cpol``), ``registry`` (the kinds), ``loader`` (documents -> policy set), and root modules for documents, requests,
results, diagnostics and errors. Kind packages never import each other; nothing here imports ``server``.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from .common.kind import CompiledPolicy, KindSpec
    from .common.options import EvaluationOptions
    from .diagnostics import Diagnostic
    from .documents import Document, parse_documents, read_documents
    from .errors import EngineError, EvaluationError, LoadError, PolicyCompileError, PolicyValidationError
    from .index import PolicyIndex
    from .loader import load_documents, load_policies
    from .policyset import PolicySet
    from .registry import KindRegistry
    from .request import AdmissionContext, admission_request
    from .results import ResourceRef, RuleResult, summarize

#: Where each public name lives: imported on first use, so that ``import pykyverno.engine.errors`` (which every
#: command does, through the redaction layer) does not load every policy kind and its models.
_PUBLIC = {
    "CompiledPolicy": ".common.kind", "KindSpec": ".common.kind", "EvaluationOptions": ".common.options",
    "Diagnostic": ".diagnostics", "Document": ".documents", "parse_documents": ".documents",
    "read_documents": ".documents", "EngineError": ".errors", "EvaluationError": ".errors", "LoadError": ".errors",
    "PolicyCompileError": ".errors", "PolicyValidationError": ".errors", "PolicyIndex": ".index",
    "load_documents": ".loader", "load_policies": ".loader", "PolicySet": ".policyset", "KindRegistry": ".registry",
    "AdmissionContext": ".request", "admission_request": ".request", "ResourceRef": ".results",
    "RuleResult": ".results", "summarize": ".results",
}


def __getattr__(name: str) -> _typing.Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_importlib.import_module(module, __name__), name)


__all__ = [
    "AdmissionContext",
    "CompiledPolicy",
    "Diagnostic",
    "Document",
    "EngineError",
    "EvaluationError",
    "EvaluationOptions",
    "KindRegistry",
    "KindSpec",
    "LoadError",
    "PolicyCompileError",
    "PolicyIndex",
    "PolicySet",
    "PolicyValidationError",
    "ResourceRef",
    "RuleResult",
    "admission_request",
    "load_documents",
    "load_policies",
    "parse_documents",
    "read_documents",
    "summarize",
]

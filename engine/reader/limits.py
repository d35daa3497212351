"""The bounds every reader of YAML and JSON text applies, so that a small input cannot become a huge value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on one text and on each document in it.

    ``max_bytes`` bounds the text; ``max_depth`` the nesting of mappings and lists (deeper values would exhaust the
    recursion of the code that walks them); ``max_int_digits`` the length of an integer literal (Python refuses to
    convert longer ones). Alias expansion is bounded by :meth:`aliasing_allowed`.
    """

    max_bytes: int = 64 * 1024 * 1024
    max_depth: int = 200
    max_int_digits: int = 4300
    #: Kubernetes' YAML decoder refuses "excessive aliasing" by the share of a document's nodes that come from
    #: aliases: up to 99% while the document is small (400,000 nodes), falling linearly to 10% at 4,000,000 nodes.
    #: The same thresholds apply here to the nodes aliases expand to.
    alias_share_small: float = 0.99
    alias_share_large: float = 0.10
    small_document_nodes: int = 400_000
    large_document_nodes: int = 4_000_000

    def aliasing_allowed(self, nodes: int, aliased: int) -> bool:
        """Whether a document of ``nodes`` nodes, ``aliased`` of them produced by expanding aliases, is acceptable."""
        if aliased <= 100 or nodes <= 1000:
            return True
        if nodes <= self.small_document_nodes:
            share = self.alias_share_small
        elif nodes >= self.large_document_nodes:
            share = self.alias_share_large
        else:
            fraction = (nodes - self.small_document_nodes) / (self.large_document_nodes - self.small_document_nodes)
            share = self.alias_share_small - (self.alias_share_small - self.alias_share_large) * fraction
        return aliased <= share * nodes


#: Deeper values would exhaust the recursion limit of the Python code that walks them.
MAX_NESTING_CEILING = 400


def limits_from_environment(environ: Mapping[str, str]) -> ReadLimits:
    """The default limits, with ``PYKYVERNO_MAX_DOCUMENT_BYTES`` and ``PYKYVERNO_MAX_NESTING`` applied when they are
    positive integers (nesting at most :data:`MAX_NESTING_CEILING`); other values are ignored."""
    changes: dict[str, int] = {}
    for variable, field_name, ceiling in (("PYKYVERNO_MAX_DOCUMENT_BYTES", "max_bytes", None),
                                          ("PYKYVERNO_MAX_NESTING", "max_depth", MAX_NESTING_CEILING)):
        text = environ.get(variable, "").strip()
        if text.isdigit() and int(text) > 0:
            changes[field_name] = min(int(text), ceiling) if ceiling else int(text)
    return replace(ReadLimits(), **changes)


#: The limits used unless a caller passes others.
DEFAULT_LIMITS = limits_from_environment(os.environ)

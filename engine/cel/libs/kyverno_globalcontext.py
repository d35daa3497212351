"""Kyverno's ``globalContext`` library: ``globalContext.Get(entryName[, projection])`` (alias ``get``).

Delegates to the global-context provider; an unknown entry or projection is a CEL error. Answers are cached for the
evaluation run and count against the evaluation's lookup limit, as ``resource.Get`` does.
"""

from __future__ import annotations

from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ..providers import LookupLimitExceeded, cached_lookup, current_providers, note_unanswered
from .kyverno_common import require_str


def get_entry(name: Any, projection: Any = "") -> Any:
    """The data of a global context entry, or of one of its projections."""
    entry = require_str(name, "globalContext.Get", "entry name")
    which = require_str(projection, "globalContext.Get", "projection")
    provider = current_providers().global_context
    if provider is None:
        raise CelFunctionError(note_unanswered(
            "globalContext.Get: no global context provider is configured"
            " (offline: supply globalContextEntries in the test)"
        ))
    try:
        return cached_lookup(("globalContext.Get", entry, which), lambda: provider.get(entry, which))
    except LookupLimitExceeded as exc:
        raise CelFunctionError(f"globalContext.Get: {exc}") from None
    except LookupError as exc:
        reason = exc.args[0] if exc.args else exc
        raise CelFunctionError(f"failed to get global context entry {entry!r}: {reason}") from None


LIBRARY = Library(
    "kyverno.globalcontext",
    tuple(
        function(
            f"globalContext.{name}",
            overload(f"kyverno_globalContext_{name}_string", ["string"], "dyn", get_entry),
            overload(f"kyverno_globalContext_{name}_string_string", ["string", "string"], "dyn", get_entry),
        )
        for name in ("Get", "get")
    ),
)

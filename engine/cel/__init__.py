"""The CEL layer: one adapter over cel-expr-python (``runtime``), the libraries (``libs``), and the front end.

A policy kind declares a :class:`CelProfile` (the variables it declares and the libraries it includes) in its own
package; :func:`environment_for` returns the (cached) environment of a profile, then ``compile`` and ``evaluate``.

May import: nothing of the engine outside ``engine/cel`` except ``engine/errors``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .decl import Library
from .errors import CelCompileError, CelCostError, CelError, CelEvalError
from .frontend.cost import CostModel
from .providers import (
    LookupUnavailable,
    Providers,
    current_providers,
    lookup_limit,
    set_lookup_limit,
    using_providers,
)
from .runtime import Activation, CelEnvironment, Program, environment

_cost_model = CostModel()


def set_cost_limit(limit: int | None) -> None:
    """Refuse, in policies compiled from now on, expressions whose estimated cost (lists of unknown size counted as
    25 elements, strings as 64 characters) exceeds ``limit``; ``None`` (the default, as in Kyverno and the API server
    for admission policies) refuses only what could never complete within the runtime limit."""
    global _cost_model
    if limit is not None and limit <= 0:
        raise ValueError("the CEL cost limit must be a positive number")
    _cost_model = replace(_cost_model, limit=limit)


def cost_limit() -> int | None:
    """The opt-in estimated-cost limit in force (``None``: none)."""
    return _cost_model.limit


@dataclass(frozen=True)
class CelProfile:
    """The CEL environment of a policy kind: the variables it declares and the libraries it includes."""

    variables: tuple[str, ...]
    libraries: tuple[Library, ...]


def environment_for(profile: CelProfile, extra_variables: Iterable[str] = ()) -> CelEnvironment:
    """The (shared) environment of a profile, plus any ``extra_variables`` (e.g. ``ref`` for image matching), under
    the cost limit in force."""
    variables = tuple(dict.fromkeys((*profile.variables, *extra_variables)))
    return environment(variables, profile.libraries, _cost_model)


__all__ = [
    "Activation",
    "CelCompileError",
    "CelCostError",
    "CelEnvironment",
    "CelError",
    "CelEvalError",
    "CelProfile",
    "LookupUnavailable",
    "Program",
    "Providers",
    "cost_limit",
    "current_providers",
    "environment_for",
    "lookup_limit",
    "set_cost_limit",
    "set_lookup_limit",
    "using_providers",
]

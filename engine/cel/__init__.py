"""The CEL layer: one adapter over cel-expr-python, the libraries, and the front end.

Use :func:`environment_for` to get the (cached) environment of a policy kind, then ``compile`` and ``evaluate``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from . import names
from .errors import CelCompileError, CelCostError, CelError, CelEvalError
from .frontend.cost import CostModel
from .libs import libraries_for
from .providers import Providers, current_providers, lookup_limit, set_lookup_limit, using_providers
from .runtime import Activation, CelEnvironment, Program, environment

_KIND_VARIABLES: dict[str, tuple[str, ...]] = {
    "vpol": names.POLICY_VARIABLES,
    "mpol": names.POLICY_VARIABLES,
    "gpol": names.POLICY_VARIABLES,
    "dpol": (*names.POLICY_VARIABLES, names.RESOURCE),
    "ivpol": names.IMAGE_POLICY_VARIABLES,
    "vap": names.ADMISSION_POLICY_VARIABLES,
    "map": names.ADMISSION_POLICY_VARIABLES,
    "cpol": names.ADMISSION_POLICY_VARIABLES,
}


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


def environment_for(kind: str, extra_variables: Iterable[str] = ()) -> CelEnvironment:
    """The environment Kyverno builds for a policy kind (``vpol``, ``mpol``, ``gpol``, ``dpol``, ``ivpol``,
    ``vap``, ``map``, ``cpol``), plus any ``extra_variables`` (e.g. ``ref`` for image matching)."""
    base = _KIND_VARIABLES.get(kind)
    if base is None:
        raise ValueError(f"unknown policy kind key {kind!r}; expected one of {sorted(_KIND_VARIABLES)}")
    variables = tuple(dict.fromkeys((*base, *extra_variables)))
    return environment(variables, libraries_for(kind), _cost_model)


__all__ = [
    "Activation",
    "CelCompileError",
    "CelCostError",
    "CelEnvironment",
    "CelError",
    "CelEvalError",
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

"""The CEL environment of a policy kind by its short key (``vpol``, ``map``...), for tests that name kinds."""

from __future__ import annotations

from collections.abc import Iterable

from pykyverno.engine.cel import CelEnvironment, CelProfile
from pykyverno.engine.cel import environment_for as profile_environment
from pykyverno.engine.cpol import SPEC as CPOL
from pykyverno.engine.dpol import SPEC as DPOL
from pykyverno.engine.gpol import SPEC as GPOL
from pykyverno.engine.ivpol import SPEC as IVPOL
from pykyverno.engine.map import SPEC as MAP
from pykyverno.engine.mpol import SPEC as MPOL
from pykyverno.engine.vap import SPEC as VAP
from pykyverno.engine.vpol import SPEC as VPOL

PROFILES: dict[str, CelProfile] = {
    "vpol": VPOL.cel,
    "ivpol": IVPOL.cel,
    "mpol": MPOL.cel,
    "gpol": GPOL.cel,
    "dpol": DPOL.cel,
    "vap": VAP.cel,
    "map": MAP.cel,
    "cpol": CPOL.cel,
}


def environment_for(kind: str, extra_variables: Iterable[str] = ()) -> CelEnvironment:
    """The environment of the kind ``kind`` (a short key of :data:`PROFILES`)."""
    return profile_environment(PROFILES[kind], extra_variables)

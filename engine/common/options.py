"""Knobs of an evaluation that are not part of the admission request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class EvaluationOptions:
    """How to evaluate: ``audit_warn`` reports failures of Audit-only policies as ``warn`` (``--audit-warn``);
    ``now`` fixes the clock (PolicyException expiry, DeletingPolicy schedules)."""

    audit_warn: bool = False
    now: datetime | None = None

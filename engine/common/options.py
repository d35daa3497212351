"""Knobs of an evaluation that are not part of the admission request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class EvaluationOptions:
    """How to evaluate: ``audit_warn`` reports failures of Audit-only policies as ``warn`` (``--audit-warn``);
    ``now`` fixes the clock (PolicyException expiry, DeletingPolicy schedules); ``report_unanswered`` makes an
    evaluation that a lookup the source could not answer left without a result an ``error`` (scans: never silence),
    where admission semantics (``failurePolicy: Ignore``) would give none."""

    audit_warn: bool = False
    now: datetime | None = None
    report_unanswered: bool = False

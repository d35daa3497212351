"""Kept for existing imports: redaction lives in :mod:`pykyverno.server.redaction` (the project's one module)."""

from __future__ import annotations

from ..redaction import REDACTED, redact

__all__ = ["REDACTED", "redact"]

"""Short-lived confirmation tokens for planned writes.

A token is a random, unguessable string naming one pending write held in memory: the context, the tool, a digest
of the call's arguments, the caller (an MCP session id, when there is one), the digest of the plan shown, and the
objects to write. It can be redeemed once, before it expires, by the same call (same context, tool, arguments and
caller). A restarted server knows no tokens: the caller gets a fresh plan instead.

Why a lifetime of 5 minutes by default: long enough for a person to read a plan in an MCP client and confirm it,
short enough that the cluster rarely drifts in between; and the plan is dry-run again at confirmation, so a cluster
that did change is caught whatever the lifetime (``plan-changed``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

DEFAULT_TTL = 300.0
DEFAULT_CAPACITY = 64
#: Argument names that steer the confirmation itself and so are not part of what is confirmed.
CONFIRMATION_ARGUMENTS = frozenset({"confirm", "dry_run", "dryRun", "yes"})

Redemption = Literal["ok", "unknown", "expired", "mismatch"]


def arguments_digest(arguments: Mapping[str, Any]) -> str:
    """SHA-256 of the arguments as canonical JSON, without the confirmation arguments."""
    kept = {k: v for k, v in arguments.items() if k not in CONFIRMATION_ARGUMENTS}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class PendingWrite:
    """A plan waiting for its confirmation."""

    token: str
    context: str
    tool: str
    arguments: str  # digest
    subject: str
    plan_digest: str
    payload: Any  # what to execute (the flow's change set)
    expires_at: float  # wall-clock seconds since the epoch
    #: One line saying what the plan does (shown when the user is asked to confirm in the client).
    summary: str = ""


class ConfirmationTokens:
    """Issues and redeems confirmation tokens (thread-safe; at most ``capacity`` pending, oldest dropped first)."""

    def __init__(self, ttl: float = DEFAULT_TTL, *, capacity: int = DEFAULT_CAPACITY,
                 clock: Callable[[], float] = time.time) -> None:
        if ttl <= 0:
            raise ValueError("the confirmation token lifetime must be positive")
        self.ttl = ttl
        self.capacity = max(1, capacity)
        self.clock = clock
        self._pending: OrderedDict[str, PendingWrite] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self, *, context: str, tool: str, arguments: Mapping[str, Any], plan_digest: str, payload: Any,
              subject: str = "", summary: str = "") -> PendingWrite:
        """Remember a plan and return its pending write (its ``token`` goes to the caller)."""
        now = self.clock()
        pending = PendingWrite(secrets.token_urlsafe(24), context, tool, arguments_digest(arguments), subject,
                               plan_digest, payload, now + self.ttl, summary)
        with self._lock:
            self._prune(now)
            self._pending[pending.token] = pending
            while len(self._pending) > self.capacity:
                self._pending.popitem(last=False)
        return pending

    def redeem(self, token: str, *, context: str, tool: str, arguments: Mapping[str, Any],
               subject: str = "") -> tuple[Redemption, PendingWrite | None]:
        """Check a token against the call presenting it; ``ok`` consumes it (a token works once)."""
        now = self.clock()
        with self._lock:
            pending = self._pending.get(token)
            if pending is None:
                return "unknown", None
            if now >= pending.expires_at:
                del self._pending[token]
                return "expired", pending
            if (pending.context, pending.tool, pending.arguments, pending.subject) != (
                    context, tool, arguments_digest(arguments), subject):
                return "mismatch", pending
            del self._pending[token]
            return "ok", pending

    def peek(self, token: str) -> PendingWrite | None:
        """The pending write of ``token`` while it is valid, without redeeming it (None otherwise)."""
        with self._lock:
            pending = self._pending.get(token)
        return pending if pending is not None and self.clock() < pending.expires_at else None

    def pending(self) -> int:
        """How many tokens wait for confirmation."""
        with self._lock:
            self._prune(self.clock())
            return len(self._pending)

    def _prune(self, now: float) -> None:
        for token in [t for t, p in self._pending.items() if now >= p.expires_at]:
            del self._pending[token]


__all__ = ["CONFIRMATION_ARGUMENTS", "DEFAULT_TTL", "ConfirmationTokens", "PendingWrite", "arguments_digest"]

"""The result of one kyverno.io/v1 rule handler on one resource: a status and Kyverno's message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PASS = "pass"
FAIL = "fail"
SKIP = "skip"
ERROR = "error"

#: Kyverno's ``{{ }}`` variable substitution of a value (a string, a map, a list...), supplied by the caller.
#: It returns the substituted copy and raises an exception whose text says what could not be resolved.
Substitute = Callable[[Any], Any]


@dataclass(frozen=True)
class RuleOutcome:
    """``status`` is one of ``pass``, ``fail``, ``skip``, ``error``; ``message`` is the text Kyverno reports."""

    status: str
    message: str

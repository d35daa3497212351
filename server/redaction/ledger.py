"""The last line of defence: secret values seen during a request are remembered and masked in its every output.

Objects lose their secret values when they enter from a cluster (:mod:`.objects`); what they lose is remembered here,
per request (:func:`secret_scope`: one MCP tool call, one CLI run), so that a value that reached an output by any
other path is still masked there. Credentials of the kubeconfig are remembered for the whole process; outside a
request nothing else is remembered.

Matching: a value is masked wherever it occurs, and so is any prefix of it of :data:`ANCHOR` characters or more (an
output that cut the value short). Besides the value itself, its whitespace-collapsed form, its lines and its
JSON-escaped form are remembered (outputs re-wrap and escape text). Values shorter than :data:`MIN_LENGTH`
characters are not remembered: masking them would garble unrelated text (they are still removed at entry).
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

import ahocorasick

from .text import REDACTED

#: Shortest value remembered.
MIN_LENGTH = 6
#: Length of the prefix that identifies a longer value (a cut-off value is masked from this many characters on).
ANCHOR = 16
#: Most values one ledger keeps; the oldest are forgotten beyond it (entry redaction still applies).
MAX_VALUES = 50_000

P = ParamSpec("P")
R = TypeVar("R")


def _forms(value: str) -> set[str]:
    forms = {value}
    collapsed = " ".join(value.split())
    forms.add(collapsed)
    escaped = json.dumps(value, ensure_ascii=False)[1:-1]
    forms.add(escaped)
    if "\n" in value:
        forms.update(line.strip() for line in value.splitlines() if len(line.strip()) >= 8)
    return {f for f in forms if len(f) >= MIN_LENGTH and f != REDACTED}


class SecretLedger:
    """Secret values to mask in outputs. Thread-safe; matching uses one Aho-Corasick automaton, rebuilt lazily."""

    def __init__(self, max_values: int = MAX_VALUES) -> None:
        self.max_values = max_values
        self._values: dict[str, None] = {}
        self._lock = threading.Lock()
        self._automaton: Any = None

    def __len__(self) -> int:
        return len(self._values)

    def remember(self, value: object) -> None:
        """Remember a secret value (a ``str``; ``bytes`` are decoded when they are text)."""
        if isinstance(value, bytes | bytearray):
            try:
                value = bytes(value).decode()
            except UnicodeDecodeError:
                return
        if not isinstance(value, str) or len(value.strip()) < MIN_LENGTH:
            return
        forms = _forms(value.strip()) | _forms(value)
        with self._lock:
            new = [f for f in forms if f not in self._values]
            if not new:
                return
            for form in new:
                self._values[form] = None
            while len(self._values) > self.max_values:
                del self._values[next(iter(self._values))]
            self._automaton = None

    def remember_base64(self, encoded: object) -> None:
        """Remember a base64 value (a Secret's ``data``) and what it decodes to."""
        if not isinstance(encoded, str):
            return
        self.remember(encoded)
        try:
            self.remember(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            return

    def _matcher(self) -> Any:
        with self._lock:
            if self._automaton is None and self._values:
                automaton = ahocorasick.Automaton()
                by_anchor: dict[str, list[str]] = {}
                for form in self._values:
                    by_anchor.setdefault(form[:ANCHOR], []).append(form)
                for anchor, forms in by_anchor.items():
                    automaton.add_word(anchor, (len(anchor), sorted(forms, key=len, reverse=True)))
                automaton.make_automaton()
                self._automaton = automaton
            return self._automaton

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where remembered values (or their cut-off prefixes) occur in ``text``, merged."""
        automaton = self._matcher()
        if automaton is None or not text:
            return []
        found: list[tuple[int, int]] = []
        for end, (size, forms) in automaton.iter(text):
            start = end - size + 1
            longest = start + size
            for form in forms:
                j = size
                while j < len(form) and start + j < len(text) and text[start + j] == form[j]:
                    j += 1
                longest = max(longest, start + j)
            found.append((start, longest))
        return _merge(found)

    def mask(self, text: str) -> str:
        """``text`` with every remembered value replaced by ``<redacted>``."""
        spans = self.spans(text)
        if not spans:
            return text
        out, done = [], 0
        for start, end in spans:
            out.append(text[done:start])
            out.append(REDACTED)
            done = end
        out.append(text[done:])
        return "".join(out)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


#: Values remembered for the life of the process: the kubeconfig's credentials.
PROCESS = SecretLedger()
_current: ContextVar[SecretLedger | None] = ContextVar("pykyverno_secret_ledger", default=None)


def current_ledger() -> SecretLedger | None:
    """The ledger of the request in progress (None outside any :func:`secret_scope`: there is no output to protect
    then, and remembering would only grow the process's memory)."""
    return _current.get()


def ledgers() -> Iterable[SecretLedger]:
    """The ledgers whose values outputs must not show now: the request's and the process's."""
    request = _current.get()
    return (request, PROCESS) if request is not None else (PROCESS,)


@contextmanager
def secret_scope() -> Iterator[SecretLedger]:
    """One request: values remembered inside are masked in its outputs, then forgotten. Nested scopes share the
    outer ledger (a CLI run that calls a tool stays one request)."""
    existing = _current.get()
    if existing is not None:
        yield existing
        return
    ledger = SecretLedger()
    token = _current.set(ledger)
    try:
        yield ledger
    finally:
        _current.reset(token)


def remember(value: object) -> None:
    """Remember a secret value in the current request (nothing happens outside a request)."""
    request = _current.get()
    if request is not None:
        request.remember(value)


def remember_process(value: object) -> None:
    """Remember a value for the whole process (kubeconfig credentials)."""
    PROCESS.remember(value)


def in_current_context(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` bound to the caller's context, for worker threads (``ThreadPoolExecutor`` does not carry context
    variables): values they remember land in the request's ledger. Each call runs in its own copy."""
    context = contextvars.copy_context()

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return context.copy().run(fn, *args, **kwargs)

    return run


__all__ = ["ANCHOR", "MAX_VALUES", "MIN_LENGTH", "PROCESS", "SecretLedger", "current_ledger", "in_current_context",
           "ledgers", "remember", "remember_process", "secret_scope"]

"""What Kyverno's JMESPath functions need from outside the engine, injected by the caller.

Only ``is_external_url`` reaches outside (it resolves host names). The server may set a resolver with
:func:`using_jmespath_providers`; without one, a URL whose host is a name rather than an IP address is an error that
says so. ``clock`` replaces the current time for ``time_now``/``time_since`` (tests pin it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from .gotime import GoTime

__all__ = ["JMESPathProviders", "current_jmespath_providers", "using_jmespath_providers"]


@dataclass(frozen=True)
class JMESPathProviders:
    """Host-name resolution (``name -> IP address strings``, raising ``LookupError``) and the clock."""

    resolve_host: Callable[[str], list[str]] | None = None
    clock: Callable[[], GoTime] | None = None


_current: ContextVar[JMESPathProviders | None] = ContextVar("pykyverno_jmespath_providers", default=None)
_EMPTY = JMESPathProviders()


def current_jmespath_providers() -> JMESPathProviders:
    """The providers of the evaluation in progress (empty ones when none were set)."""
    return _current.get() or _EMPTY


@contextmanager
def using_jmespath_providers(providers: JMESPathProviders) -> Iterator[JMESPathProviders]:
    """Make ``providers`` answer JMESPath function needs for the duration of the ``with`` block."""
    token = _current.set(providers)
    try:
        yield providers
    finally:
        _current.reset(token)

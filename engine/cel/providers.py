"""The outside world as the CEL libraries see it: provider interfaces injected by callers.

Kyverno's ``resource.*``, ``http.*``, ``globalContext.Get``, ``image.GetMetadata`` and ``generator.Apply`` reach
outside the engine. The engine declares them and delegates to the providers of the evaluation in progress, set with
:func:`using_providers`. The CLI builds offline providers from a ``kyverno-test.yaml`` (``offline.py`` in this
package); the server builds cluster-backed ones. With no provider set, calls fail with a CEL error that says so.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Distinct lookups (``resource.Get``/``List``, ``globalContext.Get``) one CEL evaluation may make.
DEFAULT_MAX_LOOKUPS = 64
#: Answers a :class:`LookupCache` keeps (objects: one per ``Get``, one per item of a ``List``).
DEFAULT_CACHE_OBJECTS = 100_000


class ResourceProvider(Protocol):
    """Reads (and, for previews, records posts of) Kubernetes objects."""

    def get(self, api_version: str, resource: str, namespace: str, name: str) -> dict[str, Any]:
        """Return one object; raise ``LookupError`` when it does not exist."""
        ...

    def list(
        self, api_version: str, resource: str, namespace: str, labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Return a list object (``{"apiVersion", "kind": "...List", "items": [...]}``)."""
        ...

    def post(self, api_version: str, resource: str, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Record (never send) a create; return the object as it would be created."""
        ...


class HttpProvider(Protocol):
    """Answers ``http.Get`` / ``http.Post``."""

    def request(self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        """Return the decoded response body; raise ``LookupError`` when no response is known."""
        ...


class GlobalContextProvider(Protocol):
    """Answers ``globalContext.Get(entry, projection)``."""

    def get(self, entry: str, projection: str = "") -> Any:
        """Return the entry (or one of its projections); raise ``LookupError`` when unknown."""
        ...


class ImageDataProvider(Protocol):
    """Answers ``image.GetMetadata(ref)`` with manifest/config data."""

    def get_metadata(self, image: str) -> dict[str, Any]:
        """Return image metadata; raise ``LookupError`` when unknown."""
        ...


class GeneratorSink(Protocol):
    """Collects the objects ``generator.Apply(namespace, objects)`` would create."""

    def apply(self, namespace: str, objects: list[dict[str, Any]]) -> None:
        """Record the objects to be created in ``namespace``."""
        ...


class LookupUnavailable(LookupError):
    """The source cannot answer a lookup (it does not hold that type, it refused, it ran out of time, or there is
    no source), as opposed to answering that the object does not exist. Evaluations record these (see
    :func:`unanswered_count`) so that a scan never reports an object clean on a lookup it could not make."""


class LookupLimitExceeded(Exception):
    """One evaluation asked for more distinct lookups than allowed."""


class LookupCache:
    """Answers of lookups already made during one evaluation run (a request: a scan, an explanation, an apply), so
    that the same ``resource.List`` asked for every object, or a hundred times in one expression, reaches the
    cluster once. Failures (``LookupError``) are cached too. Bounded: the least recently used answers go first when
    more than ``max_objects`` objects are held."""

    def __init__(self, max_objects: int = DEFAULT_CACHE_OBJECTS) -> None:
        self.max_objects = max_objects
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[int, Any, LookupError | None]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The cached answer for ``key``, else ``load()`` (whose answer or ``LookupError`` is cached)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None:
            self.misses += 1
            error: LookupError | None = None
            value: Any = None
            try:
                value = load()
            except LookupError as exc:
                error = exc
            items = value.get("items") if isinstance(value, dict) else None
            entry = (len(items) if isinstance(items, list) else 1, value, error)
            with self._lock:
                self._entries[key] = entry
                self._held += entry[0]
                while self._held > self.max_objects and len(self._entries) > 1:
                    self._held -= self._entries.popitem(last=False)[1][0]
        if entry[2] is not None:
            raise entry[2]
        return entry[1]


class _Evaluations(threading.local):
    """Per thread: a serial number bumped by every CEL evaluation, and the distinct lookups of the current one.
    (A counter costs a tenth of a context variable set per evaluation; evaluations never interleave in a thread.)"""

    def __init__(self) -> None:
        self.serial = 0
        self.keys_serial = 0
        self.keys: set[Hashable] = set()
        #: Reasons of the lookups no source could answer, since :func:`begin_unanswered`.
        self.unanswered: list[str] = []


_evaluations = _Evaluations()
_max_lookups = DEFAULT_MAX_LOOKUPS


def set_lookup_limit(limit: int) -> None:
    """Set how many distinct lookups one CEL evaluation may make (default :data:`DEFAULT_MAX_LOOKUPS`)."""
    global _max_lookups
    if limit <= 0:
        raise ValueError("the lookup limit must be a positive number")
    _max_lookups = limit


def lookup_limit() -> int:
    """How many distinct lookups one CEL evaluation may make."""
    return _max_lookups


def begin_evaluation() -> None:
    """Start one CEL evaluation: the distinct lookups made from now on are counted against :func:`lookup_limit`."""
    _evaluations.serial += 1


def note_unanswered(reason: str) -> str:
    """Record that a lookup could not be answered (no provider, or :class:`LookupUnavailable`); return ``reason``."""
    unanswered = _evaluations.unanswered
    if len(unanswered) < 100:  # the first reasons say enough
        unanswered.append(reason)
    return reason


def begin_unanswered() -> list[str]:
    """Start recording the lookups this thread cannot answer; pass the returned value to :func:`end_unanswered`."""
    outer = _evaluations.unanswered
    _evaluations.unanswered = []
    return outer


def end_unanswered(outer: list[str]) -> list[str]:
    """Stop recording: the distinct reasons recorded since :func:`begin_unanswered` (also kept for ``outer``)."""
    recorded = _evaluations.unanswered
    _evaluations.unanswered = outer
    if recorded:
        outer.extend(recorded[: max(0, 100 - len(outer))])
    return list(dict.fromkeys(recorded))


def cached_lookup(key: Hashable, load: Callable[[], Any]) -> Any:
    """Answer a lookup through the providers' cache, counting it against the evaluation's budget.

    :raises LookupLimitExceeded: when this is a new distinct lookup beyond :func:`lookup_limit`.
    :raises LookupError: from ``load`` (cached); a :class:`LookupUnavailable` is recorded as unanswered.
    """
    state = _evaluations
    if state.serial:
        if state.keys_serial != state.serial:
            state.keys, state.keys_serial = set(), state.serial
        if key not in state.keys:
            if len(state.keys) >= _max_lookups:
                raise LookupLimitExceeded(
                    f"this evaluation already made {_max_lookups} distinct lookups (resource.Get/List, "
                    "globalContext.Get), the limit (PYKYVERNO_MAX_LOOKUPS); look up fewer objects, e.g. one "
                    "resource.List instead of a resource.Get per item")
            state.keys.add(key)
    try:
        return current_providers().lookups.get(key, load)
    except LookupUnavailable as exc:
        note_unanswered(str(exc.args[0]) if exc.args else str(exc))
        raise


@dataclass
class Providers:
    """The providers of one evaluation; any of them may be absent."""

    resource: ResourceProvider | None = None
    http: HttpProvider | None = None
    global_context: GlobalContextProvider | None = None
    image_data: ImageDataProvider | None = None
    generator: GeneratorSink | None = None
    #: Namespace the Namespaced* policy kinds pin ``resource.*`` calls to ("" for cluster policies).
    policy_namespace: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: Answers of ``resource.Get``/``List`` and ``globalContext.Get`` already made with these providers.
    lookups: LookupCache = field(default_factory=LookupCache)


_current: ContextVar[Providers | None] = ContextVar("pykyverno_cel_providers", default=None)
_EMPTY = Providers()


def current_providers() -> Providers:
    """The providers of the evaluation in progress (empty ones when none were set)."""
    return _current.get() or _EMPTY


@contextmanager
def using_providers(providers: Providers) -> Iterator[Providers]:
    """Make ``providers`` answer library calls for the duration of the ``with`` block."""
    token = _current.set(providers)
    try:
        yield providers
    finally:
        _current.reset(token)

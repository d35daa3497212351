"""The outside world as the CEL libraries see it: provider interfaces injected by callers.

Kyverno's ``resource.*``, ``http.*``, ``globalContext.Get``, ``image.GetMetadata`` and ``generator.Apply`` reach
outside the engine. The engine declares them and delegates to the providers of the evaluation in progress, set with
:func:`using_providers`. The CLI builds offline providers from a ``kyverno-test.yaml`` (``offline.py`` in this
package); the server builds cluster-backed ones. With no provider set, calls fail with a CEL error that says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol


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

"""Errors raised by :mod:`pykyverno.server.kube`. Every message is written by us: it names the context, the
resource and what went wrong, and never carries a traceback, a token, a key or a password.

::

    KubeError                      anything below; .context is the kubeconfig context name (or None)
    ├── KubeconfigError            a kubeconfig file is missing/unreadable/invalid, or a context cannot be loaded
    ├── InvalidName                a name, namespace, resource, group or version that Kubernetes never accepts
    │                              (refused before any request: ``.`` would turn a GET into a LIST)
    ├── ContextError               the requested context cannot be used; .available lists the usable ones
    │   ├── ContextNotFound        no such context
    │   └── ContextNotAllowed      excluded by the allow-list / deny-list
    └── ClusterError               a request to a cluster failed; .resource, .status (HTTP, 0 if none), .reason
        ├── ApiError               the API server answered with an error Status (.reason is the Status reason)
        │   ├── Unauthorized       401
        │   ├── Forbidden          403
        │   ├── NotFound           404
        │   ├── Expired            410 (a stale continue token)
        │   ├── TooManyRequests    429 (.retry_after seconds, if the server sent one)
        │   └── ServerError        5xx
        └── TransportError         no usable answer
            ├── Unreachable        connection refused, DNS failure, dropped connection
            ├── RequestTimeout     no answer within the configured timeout
            │   └── DeadlineExceeded   not asked, or cut short, because the caller's overall deadline passed
            └── TLSError           certificate verification or handshake failure
"""

from __future__ import annotations

from collections.abc import Sequence


class KubeError(Exception):
    """Base class of every error of this package."""

    def __init__(self, message: str, *, context: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message


class KubeconfigError(KubeError):
    """A kubeconfig file cannot be read or a context cannot be turned into a client configuration."""


class InvalidName(KubeError):
    """A name that cannot go into a request path. ``field`` says which (name, namespace, resource, group, version)."""

    def __init__(self, message: str, *, field: str, value: str, context: str | None = None) -> None:
        super().__init__(message, context=context)
        self.field = field
        self.value = value


class ContextError(KubeError):
    """The requested context cannot be used. ``available`` lists the contexts that can."""

    def __init__(self, message: str, *, context: str | None, available: Sequence[str]) -> None:
        avail = ", ".join(available) if available else "(none)"
        super().__init__(f"{message}; available contexts: {avail}", context=context)
        self.available = list(available)


class ContextNotFound(ContextError):
    """No context of that name."""


class ContextNotAllowed(ContextError):
    """The context exists but the allow-list / deny-list excludes it."""


class ClusterError(KubeError):
    """A request to a cluster failed.

    :ivar resource: what was requested, e.g. ``"list deployments.apps/v1 in namespace 'prod'"``.
    :ivar status: the HTTP status, ``0`` when there was no HTTP answer.
    :ivar reason: the API server's ``Status.reason`` (``Forbidden``, ``NotFound``, ``Expired``...), or ours for
        transport failures (``Unreachable``, ``Timeout``, ``TLSError``).
    """

    default_reason = "Unknown"

    def __init__(self, message: str, *, context: str | None, resource: str = "", status: int = 0,
                 reason: str | None = None) -> None:
        super().__init__(message, context=context)
        self.resource = resource
        self.status = status
        self.reason = reason or self.default_reason


class ApiError(ClusterError):
    """The API server answered with an error ``Status``."""


class Unauthorized(ApiError):
    """401: the credentials were rejected."""

    default_reason = "Unauthorized"


class Forbidden(ApiError):
    """403: RBAC denied the request."""

    default_reason = "Forbidden"


class NotFound(ApiError):
    """404: no such object, or no such resource type / API version on this cluster."""

    default_reason = "NotFound"


class Expired(ApiError):
    """410: the continue token expired (the list must be restarted)."""

    default_reason = "Expired"


class TooManyRequests(ApiError):
    """429: throttled by the API server (priority and fairness)."""

    default_reason = "TooManyRequests"

    def __init__(self, message: str, *, context: str | None, resource: str = "", status: int = 429,
                 reason: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, context=context, resource=resource, status=status, reason=reason)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the API server (or an aggregated API behind it) failed."""

    default_reason = "InternalError"


class TransportError(ClusterError):
    """No usable HTTP answer."""


class Unreachable(TransportError):
    """Connection refused, name resolution failure, or the connection was dropped."""

    default_reason = "Unreachable"


class RequestTimeout(TransportError):
    """No answer within the configured timeout."""

    default_reason = "Timeout"


class DeadlineExceeded(RequestTimeout):
    """The caller's overall deadline (e.g. a scan's ``--scan-timeout``) passed before the request could finish."""

    default_reason = "DeadlineExceeded"


class TLSError(TransportError):
    """The TLS handshake failed, typically a certificate not signed by the configured CA."""

    default_reason = "TLSError"


__all__ = [
    "ApiError",
    "ClusterError",
    "ContextError",
    "ContextNotAllowed",
    "ContextNotFound",
    "DeadlineExceeded",
    "Expired",
    "Forbidden",
    "InvalidName",
    "KubeError",
    "KubeconfigError",
    "NotFound",
    "RequestTimeout",
    "ServerError",
    "TLSError",
    "TooManyRequests",
    "TransportError",
    "Unauthorized",
    "Unreachable",
]

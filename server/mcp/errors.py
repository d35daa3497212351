"""The two error channels of the MCP tools.

- Expected failures (bad input, unknown context, namespace or policy set, RBAC denial, unreachable cluster, invalid
  policy YAML or CEL) become ``isError`` results whose text we wrote and which tell the agent what to do next.
- Anything else is logged on stderr with its traceback and replaced by a safe message: ``str(exc)`` of an
  unexpected exception never reaches the client.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ToolError

from pykyverno.engine.errors import EngineError

from ..core.errors import InputError
from ..core.names import UnknownNameError
from ..kube.errors import (
    ClusterError,
    ContextError,
    Forbidden,
    KubeconfigError,
    KubeError,
    NotFound,
    TransportError,
    Unauthorized,
)
from ..policysets import PolicySetError
from ..redaction import mask_text, secret_scope

log = logging.getLogger("pykyverno.mcp")

P = ParamSpec("P")
R = TypeVar("R")


class ToolInputError(InputError):
    """Input the tool cannot use; the message says what is wrong and what to do instead."""


#: What an agent can do about each cluster failure (the first class that matches, most specific first).
_KUBE_HINTS: tuple[tuple[type[KubeError], str], ...] = (
    (ContextError, "Call list_contexts to see the usable contexts, then pass one as `context` or call switch_context."),
    (KubeconfigError, "Fix the kubeconfig the server was started with (--kubeconfig or KUBECONFIG), or use another "
                      "context."),
    (Forbidden, "The context's credentials lack RBAC permission for this read; ask for read access or use another "
                "context."),
    (Unauthorized, "The credentials of this context were rejected; refresh them (for example log in again) and retry."),
    (NotFound, "Check the kind, namespace and name (the object or resource type does not exist on this cluster)."),
    (TransportError, "The cluster could not be reached; check that it is up, or try another context."),
    (ClusterError, "Retry later or use another context."),
)


def _kube_hint(exc: KubeError) -> str:
    return next((hint for cls, hint in _KUBE_HINTS if isinstance(exc, cls)), "")


#: What an agent can do about a name that does not exist, by what it names.
_NAME_HINTS = {
    "context": "Call list_contexts to see the usable contexts.",
    "namespace": "Pick an existing namespace, or use scan_cluster to scan every namespace.",
    "policy set": "Call list_policy_sets to see the sets.",
    "policy": "Call list_policy_sets to see the policy names.",
}


def describe_expected(exc: BaseException) -> str | None:
    """The message for an expected failure, or None when ``exc`` is unexpected."""
    if isinstance(exc, UnknownNameError):
        text = str(exc)
        return f"{text}{'' if text.endswith('?') else '.'} {_NAME_HINTS.get(exc.what, '')}".strip()
    if isinstance(exc, InputError):
        return str(exc)
    if isinstance(exc, KubeError):
        hint = _kube_hint(exc)
        return f"{exc.message}. {hint}".strip()
    if isinstance(exc, PolicySetError):
        return f"{exc.args[0] if exc.args else exc}. Call list_policy_sets to see the available sets and policies."
    if isinstance(exc, EngineError):
        return f"{exc}"
    return None


def tool_errors(name: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorate a tool so that expected failures become ``isError`` results with our message, and unexpected ones
    are logged and replaced by a safe message. The signature (and so the input schema) is kept. Each call is one
    request for redaction: secret values it reads are masked in its answer and in its error text."""

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with secret_scope():
                return await _call(fn, *args, **kwargs)

        async def _call(fn: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await fn(*args, **kwargs)
            except ToolError as exc:
                raise ToolError(mask_text(str(exc))) from None
            except Exception as exc:
                message = describe_expected(exc)
                if message is not None:
                    message = mask_text(message)
                    log.info("tool %s: %s", name, message.splitlines()[0] if message else "")
                    raise ToolError(message) from None
                log.exception("tool %s failed unexpectedly", name)
                raise ToolError(
                    f"internal error in {name} (details are in the server log). Retry once; if it fails again, "
                    "try narrower arguments or another tool."
                ) from None

        return wrapper

    return decorate

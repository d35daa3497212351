"""Agent-supplied policies are untrusted code: :func:`run_untrusted` evaluates them in a worker process of the
sandbox (:mod:`pykyverno.server.sandbox`), bounded in wall-clock time and memory, so that a runaway evaluation ends
with an error naming the limit and the server process neither stalls nor grows.

A worker holds none of the server's state. What an evaluation needs of it travels with the call: the process-wide CEL
settings (the opt-in cost limit, the lookup limit), and ``resource.Get``/``List``/``Post`` are answered by the
caller's resource provider in the server process (its cluster client, name validation and redaction), so that Secret
values read during the request land in the request's ledger as they would without isolation. Everything that reads
the agent's manifests or a cluster object for output (and remembers its secret values) stays with the caller; the
worker gets plain objects and policy text, and returns plain results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pykyverno.engine.cel import cost_limit, lookup_limit, set_cost_limit, set_lookup_limit
from pykyverno.engine.cel.providers import ResourceProvider

from ..sandbox import (
    EvaluationMemoryError,
    EvaluationTimeout,
    RemoteError,
    ResultTooLarge,
    SandboxError,
    call_host,
    run_isolated,
)
from .errors import InputError

T = TypeVar("T")


class EvaluationLimitError(InputError):
    """An isolated evaluation broke a limit (time, memory, result size) or crashed its worker; the message names the
    limit and how to raise it."""


@dataclass(frozen=True)
class EvaluationSettings:
    """The process-wide CEL settings a worker must evaluate under (set by CLI flags and the environment)."""

    cost_limit: int | None
    lookup_limit: int

    @classmethod
    def current(cls) -> EvaluationSettings:
        """The settings in force in this process."""
        return cls(cost_limit(), lookup_limit())

    def apply(self) -> None:
        """Put these settings in force (in a worker, before each call: workers outlive calls)."""
        if cost_limit() != self.cost_limit:
            set_cost_limit(self.cost_limit)
        if lookup_limit() != self.lookup_limit:
            set_lookup_limit(self.lookup_limit)


_GET, _LIST, _POST = "resource.get", "resource.list", "resource.post"
#: What the author of a policy that broke a limit can do (the limits themselves are the server operator's).
_ADVICE = ("Look for loops over large lists or strings built by repetition in the policy, or evaluate fewer "
           "resources per call")


def _ask_host(name: str, *args: Any) -> Any:
    try:
        return call_host(name, *args)
    except RemoteError as exc:  # the caller's provider failed in a way that cannot travel: a failed lookup
        raise LookupError(str(exc)) from None


class HostResources:
    """``resource.*`` in a worker, answered by the caller's resource provider in the server process."""

    def get(self, api_version: str, resource: str, namespace: str, name: str) -> dict[str, Any]:
        """One object (``LookupError`` when it cannot be read)."""
        result: dict[str, Any] = _ask_host(_GET, api_version, resource, namespace, name)
        return result

    def list(
        self, api_version: str, resource: str, namespace: str, labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A list object."""
        result: dict[str, Any] = _ask_host(_LIST, api_version, resource, namespace, labels)
        return result

    def post(self, api_version: str, resource: str, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Recorded by the caller's provider, never sent."""
        result: dict[str, Any] = _ask_host(_POST, api_version, resource, namespace, obj)
        return result


def _in_worker(settings: EvaluationSettings, func: Callable[..., T], args: tuple[Any, ...], with_resources: bool) -> T:
    """Runs in the worker: the caller's settings, then ``func`` (given the host's resources when it has some)."""
    settings.apply()
    if with_resources:
        return func(*args, resources=HostResources())
    return func(*args)


def run_untrusted(func: Callable[..., T], *args: Any, resources: ResourceProvider | None = None) -> T:
    """``func(*args)`` evaluated in a sandbox worker under the configured time and memory limits.

    ``func`` is a top-level function of plain arguments (policy text, objects, options) that returns a picklable
    result; with ``resources``, it is called with a ``resources=`` keyword: a provider whose lookups ``resources``
    answers here. What ``func`` raises is raised here. A broken limit or a crashed worker raises
    :class:`EvaluationLimitError` (an :class:`InputError`: the tools answer it as an ``isError`` naming the limit).
    """
    host: dict[str, Callable[..., Any]] | None = None
    if resources is not None:
        host = {_GET: resources.get, _LIST: resources.list, _POST: resources.post}
    try:
        result: T = run_isolated(_in_worker, EvaluationSettings.current(), func, args, resources is not None,
                                 host=host)
        return result
    except RemoteError as exc:  # the function failed with an exception that could not travel: a bug, not a limit
        raise RuntimeError(f"isolated evaluation failed: {exc}") from None
    except (EvaluationTimeout, EvaluationMemoryError, ResultTooLarge) as exc:
        raise EvaluationLimitError(f"{exc}. {_ADVICE}") from None
    except SandboxError as exc:
        raise EvaluationLimitError(str(exc)) from None


__all__ = ["EvaluationLimitError", "EvaluationSettings", "HostResources", "run_untrusted"]

"""Top-level functions the sandbox tests run in worker processes (they must be importable by name there)."""

from __future__ import annotations

import os
import time
from typing import Any

from pykyverno.engine.documents import parse_documents
from pykyverno.engine.index import PolicyIndex
from pykyverno.engine.loader import load_documents
from pykyverno.engine.request import AdmissionContext
from pykyverno.server.sandbox import call_host
from tests.engine.cel.kind_envs import environment_for


def evaluate_cel(expression: str, data: dict[str, Any] | None = None) -> Any:
    """Compile ``expression`` in the ValidatingPolicy environment and evaluate it on ``data``."""
    program = environment_for("vpol").compile(expression)
    return program.evaluate({"object": {}, **(data or {})})


def evaluate_policy(policy_yaml: str, resource_yaml: str) -> list[tuple[str, str]]:
    """Load policies from YAML text and evaluate them on the resources of ``resource_yaml``: (policy, result)."""
    loaded = load_documents(parse_documents(policy_yaml, "policy.yaml"))
    if loaded.issues:
        raise ValueError("; ".join(issue.message for issue in loaded.issues))
    index = PolicyIndex(loaded.policies)
    outcomes = []
    for document in parse_documents(resource_yaml, "resource.yaml"):
        context = AdmissionContext(object=document.data)
        for policy in index.candidates(document.data):
            result = policy.evaluate(context)
            if result is not None:
                outcomes.append((result.policy, result.result))
    return outcomes


def sleep_then(seconds: float, value: Any) -> Any:
    """Sleep, then return ``value``."""
    time.sleep(seconds)
    return value


def allocate(megabytes: int) -> int:
    """Hold ``megabytes`` of touched memory; return how many were allocated."""
    block = bytearray(megabytes * 1024 * 1024)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    return len(block) // (1024 * 1024)


def recurse(depth: int) -> int:
    """Plain Python recursion (RecursionError past the interpreter's limit)."""
    return 0 if depth == 0 else 1 + recurse(depth - 1)


def crash() -> None:
    """Kill the worker with SIGSEGV, as a native crash would."""
    os.kill(os.getpid(), 11)


def big_result(megabytes: int) -> bytes:
    """A result of ``megabytes``."""
    return b"x" * (megabytes * 1024 * 1024)


def process_id() -> int:
    """The worker's process id."""
    return os.getpid()


def fail(message: str) -> None:
    """Raise ValueError(message)."""
    raise ValueError(message)


class NeedsTwoArguments(Exception):
    """An exception that pickles but cannot be rebuilt from its args."""

    def __init__(self, policy: str, problems: list[str]) -> None:
        super().__init__(f"{policy}: {'; '.join(problems)}")


def fail_unrebuildable() -> None:
    """Raise an exception that cannot travel back as itself."""
    raise NeedsTwoArguments("p", ["bad", "worse"])


def ask_host(name: str, *args: Any) -> Any:
    """Call the parent's host handler ``name``; return its answer, or the type and message of what it raised."""
    try:
        return call_host(name, *args)
    except Exception as exc:
        return (type(exc).__name__, str(exc))


def ask_host_then_burn(name: str) -> None:
    """A host call, then CPU until the time limit."""
    call_host(name)
    evaluate_cel("lists.range(9999).all(x, !((-1 - x) in object.big))", {"object": {"big": list(range(60_000))}})

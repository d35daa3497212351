"""What the commands read besides flags: files, folders, and ``-`` for standard input (as kubectl and the Kyverno
CLI accept it), and the checks that turn a load problem into an error instead of a silently smaller run."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from pykyverno.engine.documents import MAX_FILE_BYTES, Document, expand_lists, parse_documents
from pykyverno.engine.errors import LoadError
from pykyverno.engine.loader import load_documents
from pykyverno.engine.objects import kubernetes_objects, normalize_manifest, read_manifests
from pykyverno.engine.policyset import PolicySet

from ..core.errors import InputError
from ..core.names import UnknownNameError, require_known
from ..policysets import available_sets

#: The path that means standard input.
STDIN = "-"
#: How standard input is named in messages.
STDIN_NAME = "<stdin>"


def read_stdin() -> str:
    """Standard input as text, at most the engine's file size limit (:class:`InputError` when larger or not UTF-8)."""
    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{STDIN_NAME}: more than {MAX_FILE_BYTES} bytes; pass a file or folder instead")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{STDIN_NAME}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def split_stdin(paths: Sequence[str], flag: str) -> tuple[list[str], bool]:
    """The file paths of ``paths`` and whether ``-`` was among them (at most once: standard input is read once)."""
    count = sum(1 for p in paths if p == STDIN)
    if count > 1:
        raise InputError(f"{flag}: '-' (standard input) can be given only once")
    return [p for p in paths if p != STDIN], count == 1


def stdin_documents(problems: list[str], *, positions: bool = False) -> list[Document]:
    """The documents of standard input; a document that cannot be read adds its error to ``problems``."""
    errors: list[LoadError] = []
    try:
        documents = list(expand_lists(parse_documents(read_stdin(), STDIN_NAME, positions=positions, errors=errors)))
    except LoadError as exc:
        problems.append(str(exc))
        return []
    problems.extend(str(error) for error in errors)
    return documents


def manifests(paths: Sequence[str], problems: list[str], flag: str = "--resource") -> list[dict[str, Any]]:
    """Every object of the files, folders and standard input (``-``) in ``paths``, normalised as Kyverno's CLI
    reads them; unreadable files and documents add their error to ``problems``."""
    files, with_stdin = split_stdin(paths, flag)
    objects = read_manifests(files, problems)
    if with_stdin:
        objects.extend(normalize_manifest(d) for d in kubernetes_objects(stdin_documents(problems), problems))
    return objects


def stdin_policies() -> PolicySet:
    """The policies and exceptions of standard input; documents that cannot be read are the set's issues (each
    naming ``<stdin>``, the document and the line), as they are for files."""
    loaded = PolicySet()
    errors: list[LoadError] = []
    try:
        documents = parse_documents(read_stdin(), STDIN_NAME, positions=True, errors=errors)
    except LoadError as exc:
        errors, documents = [exc], []
    for error in errors:
        loaded.issues.extend(error.diagnostics())
    load_documents(documents, loaded)
    return loaded


def check_policy_sets(names: Sequence[str]) -> None:
    """:class:`~pykyverno.server.core.names.UnknownNameError` for the first name that is not a bundled set (with the
    close matches, or every set when none is close)."""
    known = list(available_sets())
    for name in names:
        try:
            require_known("policy set", name, known)
        except UnknownNameError as exc:
            if not exc.suggestions:  # nothing close: list them all
                exc.args = (f"{exc}; available sets: {', '.join(known)}",)
            raise


def load_errors(policies: PolicySet) -> list[str]:
    """The problems that left a policy or exception out of ``policies`` (errors, not advice), each naming its file,
    document and field."""
    return [str(issue) for issue in policies.errors]


def unsupported_rules(policies: PolicySet) -> list[str]:
    """Rules that loaded but that pykyverno cannot evaluate (a ClusterPolicy rule type it does not implement)."""
    found = []
    for policy in policies.policies:
        reason = str(getattr(policy, "unsupported", "") or "")
        if reason and not policy.autogen:
            rule = str(getattr(policy, "rule_name", "") or "")
            origin = str(getattr(getattr(policy, "policy", None), "origin", "") or "")
            found.append(f"{origin + ': ' if origin else ''}{policy.kind} {policy.name!r} rule {rule!r}: {reason} is "
                         "not supported; every resource it matches gets an error result")
    return found

"""Normalising resource manifests read from files the way the API server (and Kyverno's CLI) would see them."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .documents import Document, expand_lists, iter_files, read_documents
from .errors import EngineError, LoadError
from .resources import is_namespaced

DEFAULT_NAMESPACE = "default"


def prune_nulls(value: Any) -> Any:
    """Drop ``null`` map entries recursively (the API server never stores them)."""
    if isinstance(value, dict):
        return {k: prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune_nulls(v) for v in value]
    return value


def normalize_manifest(obj: dict[str, Any], default_namespace: str = DEFAULT_NAMESPACE) -> dict[str, Any]:
    """A copy with the default namespace set on namespaced kinds that have none, as Kyverno's CLI does.

    ``null`` fields are kept: Kyverno evaluates manifests as written (``rules: null`` reads as null).
    """
    out: dict[str, Any] = copy.deepcopy(obj)
    metadata = out.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        return out
    if not metadata.get("namespace"):
        namespaced = is_namespaced(str(out.get("apiVersion") or ""), str(out.get("kind") or ""))
        if namespaced:
            metadata["namespace"] = default_namespace
    return out


def object_key(obj: dict[str, Any]) -> tuple[str, str, str]:
    """(kind, namespace, name) of a plain object."""
    meta = obj.get("metadata") or {}
    return str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or "")


def object_identity(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    """(apiVersion, kind, namespace, name) of a plain object."""
    return (str(obj.get("apiVersion") or ""), *object_key(obj))


def manifest_error(doc: Document) -> LoadError | None:
    """Why ``doc`` is not a Kubernetes object (no ``apiVersion`` or ``kind``, as the API server and Kyverno's CLI
    refuse it), naming the document; None when it is one."""
    missing = [f for f in ("apiVersion", "kind") if not isinstance(doc.data.get(f), str) or not doc.data.get(f)]
    if not missing:
        return None
    return LoadError(f"not a Kubernetes object: no {' and no '.join(missing)}; the document is not evaluated",
                     source=doc.source, document=doc.index)


def kubernetes_objects(documents: Iterable[Document], problems: list[str]) -> list[dict[str, Any]]:
    """The data of the documents that are Kubernetes objects; each other one adds its error to ``problems``."""
    objects = []
    for doc in documents:
        error = manifest_error(doc)
        if error is None:
            objects.append(doc.data)
        else:
            problems.append(str(error))
    return objects


def read_manifests(
    paths: Iterable[str | Path], problems: list[str], *, normalize: bool = True
) -> list[dict[str, Any]]:
    """Every object of the files and folders (``List`` documents expanded), normalised as the CLI sees them
    unless ``normalize`` is false (data read as written, not Kubernetes objects); a document or file that cannot be
    read, or a document that is not a Kubernetes object (when normalised), adds its error to ``problems`` and the
    rest go on."""
    objects: list[dict[str, Any]] = []
    for file in iter_files(paths):
        errors: list[LoadError] = []
        try:
            read = list(expand_lists(read_documents(file, positions=False, errors=errors)))
        except EngineError as exc:
            problems.append(str(exc))
            continue
        finally:
            problems.extend(str(error) for error in errors)
        if normalize:
            objects.extend(normalize_manifest(d) for d in kubernetes_objects(read, problems))
        else:
            objects.extend(doc.data for doc in read)
    return objects

"""Where each resource of a set of manifest files is written: file and line of its document, for SARIF.

Lines come from ``Document.line`` (the engine's document reader records where each document starts) and, for the
items of a ``kind: List`` document, ``Document.position(("items", i))``. Until the reader offers them
(interfaces.md #1), :func:`_composed_lines` reads the start lines from the YAML node tree instead; it is the only
place to delete when it does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pykyverno.engine.documents import Document, iter_files, read_documents
from pykyverno.engine.errors import EngineError
from pykyverno.engine.objects import normalize_manifest, object_key

Key = tuple[str, str, str]  # (kind, namespace, name)


@dataclass(frozen=True)
class Location:
    """A file and the 1-based line where a resource's document starts."""

    path: Path
    line: int


def _composed_lines(file: Path) -> dict[int, tuple[int, list[int]]]:
    """Document index to (start line, start lines of its ``items``), read from the YAML node tree."""
    try:
        nodes = list(yaml.compose_all(file.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    if file.suffix == ".json" and len(nodes) == 1 and isinstance(nodes[0], yaml.SequenceNode):
        nodes = list(nodes[0].value)  # a JSON array: one document per element
    out: dict[int, tuple[int, list[int]]] = {}
    for index, node in enumerate(nodes):
        items: list[int] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == "items" and isinstance(value, yaml.SequenceNode):
                    items = [item.start_mark.line + 1 for item in value.value]
        out[index] = (node.start_mark.line + 1, items)
    return out


def _entries(doc: Document, composed: dict[int, tuple[int, list[int]]]) -> Iterable[tuple[dict[str, Any], int]]:
    """Each resource of a document with its line (a List's items each with their own)."""
    line = getattr(doc, "line", None)
    position = getattr(doc, "position", None)
    start, item_lines = composed.get(doc.index, (1, []))
    kind = doc.data.get("kind")
    items = doc.data.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            found = position(("items", index)) if callable(position) else None
            if found:
                yield item, found[0]
            else:
                yield item, item_lines[index] if index < len(item_lines) else start
    else:
        yield doc.data, line if isinstance(line, int) and line > 0 else start


def locate(paths: Iterable[str | Path], normalize: bool = True) -> dict[Key, Location]:
    """(kind, namespace, name) of every resource in the files and folders to where it is written; namespaced kinds
    without a namespace get ``default`` when ``normalize`` is true (as ``apply`` sees them). Unreadable files are
    skipped here: the command that reads the resources reports them."""
    found: dict[Key, Location] = {}
    for file in iter_files(paths):
        try:
            documents = read_documents(file)
        except EngineError:
            continue
        composed = {} if all(isinstance(getattr(d, "line", None), int) for d in documents) else \
            _composed_lines(file)
        for doc in documents:
            for obj, line in _entries(doc, composed):
                key = object_key(normalize_manifest(obj) if normalize else obj)
                found.setdefault(key, Location(file, line))
    return found

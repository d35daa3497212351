"""Bounded, strict reading of YAML and JSON text: the one place the project turns such text into values.

Every reader of text from users, files, snapshots or tool arguments goes through here, so every one of them
refuses, with the line and column: recursive aliases, excessive alias expansion (billion laughs), nesting deeper
than the limit, over-long integers and duplicate keys; and the text size is bounded. See :mod:`.build` for the value
semantics and :class:`ReadLimits` for the bounds.

- :func:`yaml_documents` / :func:`json_documents`: document by document, each parsed or refused, for readers that
  keep going after a bad document (:mod:`pykyverno.engine.documents` builds on them);
- :func:`load_yaml`, :func:`load_yaml_all`, :func:`load_json`: whole texts, raising :class:`~..errors.LoadError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import LoadError
from .gcpause import gc_paused
from .limits import DEFAULT_LIMITS, ReadLimits
from .positions import Locator
from .streams import ParsedDocument, RefusedDocument, json_documents, yaml_documents


def check_size(text: str, source: str, limits: ReadLimits = DEFAULT_LIMITS) -> None:
    """:class:`LoadError` when ``text`` is longer than ``limits.max_bytes`` (counted in characters)."""
    if len(text) > limits.max_bytes:
        raise LoadError(f"text is {len(text)} characters, over the {limits.max_bytes} limit", source=source)


def _values(documents: Iterable[ParsedDocument | RefusedDocument], source: str) -> list[Any]:
    values = []
    with gc_paused():
        parsed = list(documents)
    for document in parsed:
        if isinstance(document, RefusedDocument):
            raise LoadError(document.message, source=source, document=document.index,
                            line=document.line, column=document.column)
        values.append(document.data)
    return values


def load_yaml_all(text: str, source: str = "<string>", *, limits: ReadLimits = DEFAULT_LIMITS,
                  unique_keys: bool = True) -> list[Any]:
    """The value of every document of a YAML stream (``None`` for empty ones); :class:`LoadError` on the first
    problem."""
    check_size(text, source, limits)
    return _values(yaml_documents(text, limits, positions=False, unique_keys=unique_keys), source)


def load_yaml(text: str, source: str = "<string>", *, limits: ReadLimits = DEFAULT_LIMITS, unique_keys: bool = True,
              first_only: bool = False) -> Any:
    """The value of a one-document YAML text (``None`` when empty). With ``first_only`` later documents are not
    read (as Go's ``yaml.Unmarshal`` does); otherwise more than one document is an error."""
    check_size(text, source, limits)
    documents = yaml_documents(text, limits, positions=False, unique_keys=unique_keys)
    if first_only:
        first = next(documents, None)
        documents.close()
        return _values([first], source)[0] if first is not None else None
    values = _values(documents, source)
    if len(values) > 1:
        raise LoadError(f"expected one YAML document, found {len(values)}", source=source)
    return values[0] if values else None


def load_json(text: str, source: str = "<string>", *, limits: ReadLimits = DEFAULT_LIMITS,
              unique_keys: bool = True) -> Any:
    """The value of a JSON text holding exactly one value; :class:`LoadError` naming line and column otherwise.
    ``unique_keys=False`` keeps the last of duplicate keys (Go's ``json.Unmarshal``)."""
    check_size(text, source, limits)
    values = _values(json_documents(text, limits, positions=False, unique_keys=unique_keys, split_lists=False),
                     source)
    if len(values) != 1:
        raise LoadError("expected one JSON value" + (f", found {len(values)}" if values else ", found none"),
                        source=source)
    return values[0]


__all__ = [
    "DEFAULT_LIMITS",
    "Locator",
    "ParsedDocument",
    "ReadLimits",
    "RefusedDocument",
    "check_size",
    "gc_paused",
    "json_documents",
    "load_json",
    "load_yaml",
    "load_yaml_all",
    "yaml_documents",
]

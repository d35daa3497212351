"""Holding a report page to its scan document: every element tagged ``data-figure`` shows the value at that path."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any


def resolve(doc: Any, path: list[Any]) -> Any:
    """The value at ``path`` in the document: ``"#len"`` is a list's length, ``"#sum"`` the sum of a mapping's
    values, ``"*"`` sums the rest of the path over every item."""
    if not path:
        return doc
    step, rest = path[0], path[1:]
    if step == "#len":
        return len(doc)
    if step == "#sum":
        return sum(doc.values())
    if step == "*":
        items = doc.values() if isinstance(doc, dict) else doc
        return sum(resolve(item, rest) for item in items)
    return resolve(doc[step], rest)


def shown(value: Any) -> str:
    """How the page prints a document value."""
    if value is None:
        return "\u2013"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def mismatches(doc: dict[str, Any], tagged: list[tuple[str, str]]) -> list[str]:
    """Figures whose text differs from the document: ``tagged`` holds (data-figure, text) pairs."""
    wrong = []
    for attribute, text in tagged:
        path = json.loads(attribute)
        expected = shown(resolve(doc, path))
        if text.strip() != expected:
            wrong.append(f"{path}: page shows {text.strip()!r}, the document has {expected!r}")
    return wrong


class _Tagged(HTMLParser):
    """Collects (data-figure, shown text) of every tagged element of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str, list[str], str | None]] = []
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        figure = values.get("data-figure")
        if figure is not None:
            self.open.append((tag, figure, [], values.get("data-value")))
        elif self.open and tag == "title":
            self.open.append((tag, "", [], None))  # a tooltip is not the figure's text

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1][0] == tag:
            _, figure, text, value = self.open.pop()
            if figure:
                self.found.append((figure, value if value is not None else "".join(text)))

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1][2].append(data)


def tagged_figures(page: str) -> list[tuple[str, str]]:
    """(data-figure, text) of every tagged element of an HTML page."""
    parser = _Tagged()
    parser.feed(page)
    return parser.found

"""Masking structured outputs as data, before they are serialised (JSON, YAML, SARIF, PolicyReports, JUnit, the HTML
report's data, MCP structured content): masking the serialised text could break its syntax, and escaping or folding
can hide a pattern from a text mask (``\\"password\\": …`` in JSON, a folded YAML line).

:func:`mask_data` masks, in a copy of a JSON-like value:

- every string (keys too) as :func:`~.output.mask_text` masks free text: credential patterns and remembered values;
- the string value of every key that names a credential (``{"password": "x"}``, ``{"DB_PASS": "x"}``; a bare
  ``key`` or ``auth``, as in a label selector, does not), unless it is a number, a boolean or masked already;
- numbers that are remembered values (JSON shows a numeric secret without quotes).

It is cheap when there is nothing to mask, which is nearly always: the distinct strings are joined (with ``\\x00``,
which no pattern crosses) and searched once; only the strings where something was found are masked one by one, and
only the containers that hold a changed value are copied. The input is never modified; unchanged, it is returned
as is.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from .ledger import ledgers
from .names import has_credential_stem, is_credential_name, words
from .output import findings, mask_text
from .spans import REDACTED

#: String values under a credential key that are not secrets: masked already, a number, a boolean, null.
_NOT_SECRET = re.compile(r"\s*(?:<redacted>.*|-?\d+(?:\.\d+)?|true|false|null|~)?\s*", re.I | re.S)


def credential_key(name: str) -> bool:
    """Whether a mapping key names a credential strongly enough to mask its value (:func:`is_credential_name`, but a
    single weak word such as ``key``, ``auth`` or ``pass`` is not enough: selectors and summaries use them)."""
    return is_credential_name(name) and (has_credential_stem(name) or len(words(name)) > 1)


def _collect(value: Any, strings: set[str], keys: set[Any], string_keys: set[Any], numbers: list[Any] | None) -> None:
    """The strings, keys, keys of string values and numbers (when ``numbers`` is a list) in ``value``."""
    if isinstance(value, str):
        strings.add(value)
    elif isinstance(value, dict):
        keys.update(value)
        for key, item in value.items():
            if isinstance(item, str):
                strings.add(item)
                string_keys.add(key)
            else:
                _collect(item, strings, keys, string_keys, numbers)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, strings, keys, string_keys, numbers)
    elif numbers is not None and isinstance(value, int | float) and not isinstance(value, bool):
        numbers.append(value)


def masked_strings(strings: list[str]) -> dict[str, str]:
    """The strings that masking changes, with their masked form (each masked as :func:`~.output.mask_text` masks a
    value, not markup): one search over all of them joined, then a mask of each string something was found in."""
    joined = "\x00".join(strings)
    found = findings(joined)
    if not found:
        return {}
    starts = list(accumulate((len(s) + 1 for s in strings[:-1]), initial=0))
    flagged: set[int] = set()
    for finding in found:
        first = bisect_right(starts, finding.context) - 1
        last = bisect_right(starts, max(finding.end - 1, finding.context)) - 1
        flagged.update(range(first, last + 1))
    masked = {}
    for index in flagged:
        text = strings[index]
        result = mask_text(text, markup=False)  # a value, whatever it holds; its writer escapes it
        if result != text:
            masked[text] = result
    return masked


def _rebuild(value: Any, string: Callable[[str], str], credential_keys: set[str], numbers: frozenset[str]) -> Any:
    if isinstance(value, str):
        return string(value)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        changed = False
        for key, item in value.items():
            new_key = string(key) if isinstance(key, str) else key
            if key in credential_keys and isinstance(item, str) and not _NOT_SECRET.fullmatch(item):
                new_item: Any = REDACTED
            else:
                new_item = _rebuild(item, string, credential_keys, numbers)
            changed = changed or new_key is not key or new_item is not item
            while new_key in out:  # two keys masked alike: keep both values
                new_key = f"{new_key}'"
            out[new_key] = new_item
        return out if changed else value
    if isinstance(value, list | tuple):
        items = [_rebuild(item, string, credential_keys, numbers) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else type(value)(items)
    if numbers and isinstance(value, int | float) and not isinstance(value, bool) and str(value) in numbers:
        return REDACTED
    return value


def mask_data(value: Any) -> Any:
    """``value`` (dicts, lists, tuples, strings, numbers...) with every secret masked (see the module docstring);
    ``value`` itself when nothing is."""
    if isinstance(value, str):
        return mask_text(value, markup=False)
    return _mask(value, masked_strings)


def _mask(value: Any, masker: Callable[[list[str]], dict[str, str]]) -> Any:
    numbers = frozenset().union(*(ledger.numbers() for ledger in ledgers()))
    strings: set[str] = set()
    keys: set[Any] = set()
    string_keys: set[Any] = set()
    found_numbers: list[Any] | None = [] if numbers else None
    _collect(value, strings, keys, string_keys, found_numbers)
    strings.update(key for key in keys if isinstance(key, str))
    # Only a credential key that holds a string somewhere can mask a value (``passWeight: 3`` masks nothing).
    credential_keys = {k for k in string_keys if isinstance(k, str) and credential_key(k)}
    masked = masker(list(strings)) if strings else {}
    if not (masked or credential_keys or any(str(n) in numbers for n in found_numbers or ())):
        return value
    return _rebuild(value, lambda s: masked.get(s, s), credential_keys, numbers)


class DataMasker:
    """:func:`mask_data` for many values in turn (the chunks of a long output), remembering the strings it has
    checked, so that a string the values repeat (a message, a policy, a namespace) is searched once. Remembers at
    most ``limit`` strings (then starts again), so that its memory stays bounded however long the output."""

    def __init__(self, limit: int = 8192) -> None:
        self.limit = limit
        self._checked: dict[str, str | None] = {}  # string -> its masked form (None: masking leaves it)

    def masked_strings(self, strings: list[str]) -> dict[str, str]:
        """The strings that masking changes, with their masked form (see :func:`masked_strings`)."""
        checked = self._checked
        new = [s for s in strings if s not in checked]
        if new:
            if len(checked) + len(new) > self.limit:
                checked.clear()
                new = strings
            found = masked_strings(new)
            for text in new:
                checked[text] = found.get(text)
        return {s: masked for s in strings if (masked := checked[s]) is not None}

    def mask(self, value: Any) -> Any:
        """``mask_data(value)``."""
        if isinstance(value, str):
            return self.masked_strings([value]).get(value, value) if value else value
        return _mask(value, self.masked_strings)


__all__ = ["DataMasker", "credential_key", "mask_data", "masked_strings"]

"""A scan's results, with passing results kept compact.

Most results of a scan pass, and a pass differs from the policy's other passes only by the object it is about. So a
:class:`ResultStore` keeps such a result as ``(template number, ResourceRef)`` (the reference is shared by every
result of one object) and rebuilds an equal :class:`RuleResult` each time it is read; other results are kept as they
are. Reading it gives the same results, in the same order, as the plain list; its memory is a small fraction of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableSequence
from dataclasses import fields, replace
from typing import Any, overload

from pykyverno.engine.results import ResourceRef, RuleResult

#: The fields a compact pass keeps per policy (the template); ``resource`` is kept per result. Every other field of
#: :class:`RuleResult` must hold its empty default for a result to be kept compact.
TEMPLATE_FIELDS = ("policy", "policy_kind", "source", "rule", "severity", "category", "scored", "actions", "result")
EMPTY_FIELDS = ("message", "properties", "validation_index", "expression", "patched", "generated", "unanswered")
#: (namespace, policy, result, severity, category) of a result: what scan summaries count.
CountKey = tuple[str, str, str, str, str]

_Item = RuleResult | tuple[int, ResourceRef]

#: Fields of RuleResult this module does not know (a field added later): while there are any, no result is kept
#: compact, so that none is lost (tests/perf/test_result_store.py fails until the field is placed above).
UNKNOWN_FIELDS = frozenset(f.name for f in fields(RuleResult)) - {*TEMPLATE_FIELDS, *EMPTY_FIELDS, "resource"}


def _compactable(result: RuleResult) -> bool:
    return (not UNKNOWN_FIELDS and result.result == "pass" and type(result) is RuleResult and not result.message
            and not result.properties and result.validation_index is None and not result.expression
            and result.patched is None and not result.generated and not result.unanswered)


class ResultStore(MutableSequence[RuleResult]):
    """A list of results whose passes are stored compactly (see the module docstring)."""

    def __init__(self, results: Iterable[RuleResult] = ()) -> None:
        self._items: list[_Item] = []
        self._templates: list[RuleResult] = []
        self._numbers: dict[tuple[Any, ...], int] = {}
        #: Template number (-1: not compactable) of each pass template :meth:`append_pass` was given, by ``id``.
        self._by_template: dict[int, tuple[int, RuleResult]] = {}
        self.extend(results)

    def _pack(self, result: RuleResult) -> _Item:
        if not _compactable(result):
            return result
        return (self._template(result), result.resource)

    def _template(self, result: RuleResult) -> int:
        key = tuple(getattr(result, name) for name in TEMPLATE_FIELDS)
        number = self._numbers.get(key)
        if number is None:
            number = self._numbers[key] = len(self._templates)
            self._templates.append(result)
        return number

    def _unpack(self, item: _Item) -> RuleResult:
        if isinstance(item, RuleResult):
            return item
        t = self._templates[item[0]]
        return RuleResult(policy=t.policy, policy_kind=t.policy_kind, result=t.result, resource=item[1],
                          source=t.source, rule=t.rule, severity=t.severity, category=t.category, scored=t.scored,
                          actions=t.actions)

    # ------------------------------------------------------------------ MutableSequence
    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> RuleResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[RuleResult]: ...

    def __getitem__(self, index: int | slice) -> RuleResult | list[RuleResult]:
        if isinstance(index, slice):
            return [self._unpack(item) for item in self._items[index]]
        return self._unpack(self._items[index])

    @overload
    def __setitem__(self, index: int, value: RuleResult) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[RuleResult]) -> None: ...

    def __setitem__(self, index: int | slice, value: Any) -> None:
        if isinstance(index, slice):
            self._items[index] = [self._pack(r) for r in value]
        else:
            self._items[index] = self._pack(value)

    def __delitem__(self, index: int | slice) -> None:
        del self._items[index]

    def insert(self, index: int, value: RuleResult) -> None:
        """Insert ``value`` before ``index``."""
        self._items.insert(index, self._pack(value))

    def append(self, value: RuleResult) -> None:
        """Add ``value`` at the end."""
        self._items.append(self._pack(value))

    def append_pass(self, template: RuleResult, resource: ResourceRef) -> None:
        """Add the result ``template`` (a compactable pass, shared by many objects) gives for ``resource``, without
        building it: equal to ``append(replace(template, resource=resource))``."""
        known = self._by_template.get(id(template))
        if known is None:
            number = self._template(template) if _compactable(template) else -1
            known = self._by_template[id(template)] = (number, template)  # the template is kept: its id stays valid
        if known[0] < 0:
            self._items.append(replace(template, resource=resource))
        else:
            self._items.append((known[0], resource))

    def extend(self, values: Iterable[RuleResult]) -> None:
        """Add ``values`` at the end."""
        if values is self:
            values = list(values)
        elif isinstance(values, ResultStore):  # compact items stay compact: only their template numbers change
            numbers = [self._template(t) for t in values._templates]
            self._items.extend(i if isinstance(i, RuleResult) else (numbers[i[0]], i[1]) for i in values._items)
            return
        self._items.extend(self._pack(r) for r in values)

    def __iter__(self) -> Iterator[RuleResult]:
        unpack = self._unpack
        for item in self._items:
            yield unpack(item)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ResultStore | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ResultStore({len(self._items)} results, {len(self._templates)} pass templates)"

    # ------------------------------------------------------------------ reading without rebuilding
    def compact_items(self) -> Iterator[RuleResult | tuple[int, RuleResult, ResourceRef]]:
        """Each result, in order: as itself, or, when it is kept compact, as ``(template number, template,
        resource)`` (the result is the template's with ``resource`` in place of the template's own)."""
        templates = self._templates
        for item in self._items:
            yield item if isinstance(item, RuleResult) else (item[0], templates[item[0]], item[1])

    def outcomes(self) -> Iterator[str]:
        """The ``result`` of each result, in order."""
        templates = self._templates
        for item in self._items:
            yield item.result if isinstance(item, RuleResult) else templates[item[0]].result

    def count_keys(self) -> Iterator[CountKey]:
        """(namespace, policy, result, severity, category) of each result, in order."""
        templates = self._templates
        for item in self._items:
            r = item if isinstance(item, RuleResult) else templates[item[0]]
            ref = r.resource if isinstance(item, RuleResult) else item[1]
            yield (ref.namespace, r.policy, r.result, r.severity, r.category)

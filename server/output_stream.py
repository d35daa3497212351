"""Writing large structured outputs (a scan's JSON and YAML, PolicyReports) as a stream.

The document around the results (summaries, posture, failures) is built and masked whole (JSON: written an item at
a time); the results, which are most of it, are masked (:func:`~pykyverno.server.redaction.mask_data`, as every
structured output is, before it is serialised) and encoded a chunk at a time, and written where the document has
them. A result's report is its *head* (all but its resources: a policy's passes share one, and so do most of its
failures) and its resource reference; each distinct head is masked and encoded once, and each resource once per
chunk, which is what masking and encoding every result gives (masking is per string, per key and per number). So
the memory an output needs does not grow with the number of results, and the text is the same as serialising the
whole document at once would give (JSON: two-space indentation, as ``json.dumps(indent=2)``, through ``orjson``).
On the CLI's standard output, which masks all text once more, each distinct piece of the results' text is masked
as text once instead (:meth:`~pykyverno.server.redaction.MaskingWriter.write_masked`).
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from itertools import islice
from typing import Any, TextIO

import orjson
import yaml

from pykyverno.engine.results import ResourceRef, RuleResult

from .output_files import open_output
from .redaction import mask_data
from .redaction.data import DataMasker
from .scan.gc_tuning import scan_gc
from .scan.result_store import ResultStore

#: Results turned into dicts, masked and encoded together.
CHUNK = 1000
#: Characters of the document around the results written at a time.
PIECE = 1 << 18

_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS

# libyaml's emitter when PyYAML was built with it (the same YAML, several times faster).
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _YamlDumper(_BaseDumper):  # type: ignore[misc]
    """Safe YAML without anchors and aliases: the parts of one stream are dumped apart, so anchor names would repeat
    (and a value shared by several results is written out in each)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(value: Any) -> str:
    """``value`` as JSON indented by two spaces, ASCII only: what ``json.dumps(value, indent=2)`` writes, through
    ``orjson`` (Python's encoder for what ``orjson`` refuses, such as integers beyond 64 bits)."""
    try:
        text = orjson.dumps(value, option=_JSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError derives from TypeError
        return json.dumps(value, indent=2)
    # Outside strings JSON is ASCII, so every other character is in a string, where its escape means the same.
    return text if text.isascii() else _NON_ASCII.sub(_escape, text)


def yaml_text(value: Any, column: int = 0) -> str:
    """``value`` as block-style YAML, keys in their order, with long scalars folded as where it starts at
    ``column`` (as ``yaml.safe_dump`` folds them, 80 columns)."""
    return str(yaml.dump(value, Dumper=_YamlDumper, sort_keys=False, width=80 - column))


_MARKER = "PYKYVERNO-RESOURCES-" + uuid.uuid4().hex
#: Distinct result heads (a result without its resource) one output remembers; past this it starts again.
HEADS = 4096

_UNKNOWN: Any = object()
#: What a head is remembered by: a template's number (compact passes), or what the result's report is made of.
_HeadKey = int | tuple[Any, ...]
#: A result to write: (its head's key, a result the head is made from, its resource), or a result written whole.
_Part = tuple[_HeadKey, RuleResult, ResourceRef] | RuleResult


def _head_key(result: RuleResult) -> _HeadKey | None:
    """What :meth:`RuleResult.to_report` reads of ``result`` besides its resource (None when it cannot be a key: a
    subclass, or properties that are not strings)."""
    if type(result) is not RuleResult:
        return None
    properties = tuple(result.properties.items())
    if not all(type(v) is str for _, v in properties):
        return None
    return (result.source, result.policy_kind, result.policy, result.rule, result.result, result.message,
            result.scored, result.severity, result.category, properties)


def _parts(items: list[Any]) -> list[_Part]:
    """The results of a chunk (of :meth:`ResultStore.compact_items`, or plain results) as heads and resources."""
    parts: list[_Part] = []
    for item in items:
        if type(item) is tuple:  # a compact pass: (template number, template, resource)
            parts.append(item)
        elif (key := _head_key(item)) is not None:
            parts.append((key, item, item.resource))
        else:
            parts.append(item)
    return parts


class _MaskedParts:
    """Masked PolicyReport results as a head (the report without its ``resources``) and a resource reference, each
    masked once: masking is per string, per key and per number, so masking the parts gives what masking the whole
    would. A head is remembered by what it is made of (the passes of a policy share one, and so do most of its
    failures); a chunk's resources are masked together."""

    def __init__(self) -> None:
        self.masker = DataMasker()
        self.heads: dict[_HeadKey, dict[str, Any] | None] = {}

    def head(self, key: _HeadKey, result: RuleResult) -> dict[str, Any] | None:
        """The masked report of ``result`` with the marker for its ``resources`` (None: the key was masked)."""
        if key in self.heads:
            return self.heads[key]
        if len(self.heads) >= HEADS:
            self.heads.clear()
        head: dict[str, Any] = dict(self.masker.mask(result.to_report()))
        if "resources" in head:
            head["resources"] = _MARKER
            found: dict[str, Any] | None = head
        else:
            found = None
        self.heads[key] = found
        return found

    def resources(self, parts: list[_Part]) -> dict[int, list[dict[str, str]]]:
        """The masked ``resources`` of each distinct resource of ``parts``, by ``id()`` of the reference."""
        refs = {id(part[2]): part[2] for part in parts if type(part) is tuple}
        masked = self.masker.mask([[ref.to_dict()] for ref in refs.values()])
        return dict(zip(refs, masked, strict=True))


def _whole(part: _Part) -> RuleResult:
    """The result ``part`` stands for."""
    if isinstance(part, RuleResult):
        return part
    return part[1] if part[1].resource is part[2] else replace(part[1], resource=part[2])


def _chunks(results: Iterable[RuleResult]) -> Iterator[list[_Part]]:
    """``results`` a chunk at a time, as :func:`_parts`."""
    items: Iterator[Any] = results.compact_items() if isinstance(results, ResultStore) else iter(results)
    while chunk := list(islice(items, CHUNK)):
        yield _parts(chunk)


def _reports(results: Iterable[RuleResult]) -> Iterator[list[dict[str, Any]]]:
    """Masked PolicyReport results of ``results``, a chunk at a time."""
    masked = _MaskedParts()
    for parts in _chunks(results):
        resources = masked.resources(parts)
        out = []
        for part in parts:
            head = masked.head(part[0], part[1]) if isinstance(part, tuple) else None
            if head is not None:
                out.append({**head, "resources": resources[id(part[2])]})  # type: ignore[index]
            else:
                out.append(masked.masker.mask(_whole(part).to_report()))
        yield out


def _indented(text: str, spaces: int) -> str:
    """Every line of ``text`` indented by ``spaces`` more (JSON and YAML strings never hold a raw line break that
    the indentation would change: JSON escapes it, and YAML's scalars are indented relative to their parent)."""
    pad = " " * spaces
    return pad + text.replace("\n", "\n" + pad)


class _JsonItems:
    """The JSON text of masked results as items of an array whose bracket is at column ``indent`` (each item as
    ``json_text`` writes it inside that array). A head is encoded once, split where its resources go; a resource
    once per chunk. With ``text_mask``, every piece is also masked as text, once (see :func:`write_scan_json`)."""

    def __init__(self, indent: int, text_mask: bool) -> None:
        self.masked = _MaskedParts()
        self.indent = indent
        self.text_mask = text_mask
        self.texts: dict[_HeadKey, tuple[str, str] | None] = {}

    def _texts(self, texts: list[str]) -> list[str]:
        if not self.text_mask:
            return texts
        changed = self.masked.masker.masked_strings(texts)
        return [changed.get(t, t) for t in texts]

    def _head_texts(self, key: _HeadKey, result: RuleResult) -> tuple[str, str] | None:
        if key in self.texts:
            return self.texts[key]
        if len(self.texts) >= HEADS:
            self.texts.clear()
        head = self.masked.head(key, result)
        found = None
        if head is not None:
            text = self._texts([_indented(json_text(head), self.indent + 2)])[0]
            pre, marker, post = text.partition(f'"{_MARKER}"')
            found = (pre, post) if marker else None
        self.texts[key] = found
        return found

    def chunk(self, parts: list[_Part]) -> str:
        """The items of ``parts``, separated by commas and line breaks."""
        refs = self.masked.resources(parts)
        pad = "\n" + " " * (self.indent + 4)
        encoded = self._texts([json_text(value).replace("\n", pad) for value in refs.values()])
        ref_texts = dict(zip(refs, encoded, strict=True))
        texts = self.texts
        items: list[str] = []
        append = items.append
        for part in parts:
            if type(part) is tuple:
                pieces = texts.get(part[0], _UNKNOWN)
                if pieces is _UNKNOWN:
                    pieces = self._head_texts(part[0], part[1])
                if pieces is not None:
                    append(pieces[0] + ref_texts[id(part[2])] + pieces[1])
                    continue
            text = _indented(json_text(self.masked.masker.mask(_whole(part).to_report())), self.indent + 2)
            append(self._texts([text])[0])
        return ",\n".join(items)


def _json_results(results: Iterable[RuleResult], indent: int, out: TextIO) -> None:
    """A JSON array of ``results`` whose opening bracket is on a line indented by ``indent``. Written to a
    :class:`~pykyverno.server.redaction.MaskingWriter` (the CLI's standard output), which would mask the whole
    text once more, each distinct piece of it is masked as text once instead, and the text passed on as it is."""
    write_masked = getattr(out, "write_masked", None)
    write = out.write if write_masked is None else write_masked
    items = _JsonItems(indent, text_mask=write_masked is not None)
    first = True
    for parts in _chunks(results):
        write(("[\n" if first else ",\n") + items.chunk(parts))
        first = False
    write("[]" if first else "\n" + " " * indent + "]")


def _yaml_results(results: Iterable[RuleResult], indent: int, out: TextIO) -> None:
    """A YAML block sequence of ``results`` under a mapping key at column ``indent`` (as PyYAML writes it: the dashes
    in the key's column)."""
    first = True
    for chunk in _reports(results):
        text = yaml_text(chunk, indent)
        out.write(("\n" if first else "") + _indented(text.rstrip("\n"), indent) + "\n")
        first = False
    out.write(" []\n" if first else "")


def _write_with_results(
    text: str,
    markers: dict[str, Iterable[RuleResult]],
    out: TextIO,
    write_results: Callable[[Iterable[RuleResult], int, TextIO], None],
    quote: Callable[[str], str],
) -> None:
    """``text`` with each (quoted) marker replaced by its results, written by ``write_results`` at the indentation of
    the marker's line."""
    position = 0
    for marker, results in markers.items():
        token = quote(marker)
        at = text.index(token, position)
        line_start = text.rfind("\n", 0, at) + 1
        indent = at - line_start - len(text[line_start:at].lstrip(" "))
        _write_lines(text, position, at, out)
        write_results(results, indent, out)
        position = at + len(token)
    _write_lines(text, position, len(text), out)


def _write_lines(text: str, start: int, end: int, out: TextIO) -> None:
    """``text[start:end]``, in pieces of whole lines of about :data:`PIECE` characters (a writer that masks text
    then holds a piece at a time, not a copy of the whole document)."""
    while end - start > PIECE:
        cut = text.find("\n", start + PIECE, end) + 1
        if cut <= 0:
            break
        out.write(text[start:cut])
        start = cut
    out.write(text[start:end])


def _marked(documents: Sequence[dict[str, Any]], results: Sequence[Iterable[RuleResult]]) -> dict[str, Any]:
    """Put a unique marker where each document's results go (its ``results`` key); the markers' results."""
    nonce = uuid.uuid4().hex
    markers: dict[str, Any] = {}
    for i, (document, items) in enumerate(zip(documents, results, strict=True)):
        marker = f"PYKYVERNO-RESULTS-{nonce}-{i}"
        document["results"] = marker
        markers[marker] = items
    return markers


def _masked_explanations(explanations: dict[str, Any]) -> Any:
    """``mask_data(explanations)`` (a posture cluster's result index -> fields read), masking each distinct list of
    fields once: thousands of findings share a few."""
    masker = DataMasker()
    if masker.masked_strings(list(explanations)):
        return mask_data(explanations)  # an index that masks (a remembered number): as mask_data does it
    distinct = {id(fields): fields for fields in explanations.values()}
    masked = dict(zip(distinct, masker.mask(list(distinct.values())), strict=True))
    return {index: masked[id(fields)] for index, fields in explanations.items()}


def _masked_document(document: dict[str, Any]) -> dict[str, Any]:
    """``mask_data(document)`` of a scan document, its explanations masked apart (they hold no mapping with a string
    value and no number, so no key or number elsewhere changes how they are masked, nor they how the rest is)."""
    clusters = document.get("posture", {}).get("clusters", [])
    explanations = [cluster.pop("explanations") if "explanations" in cluster else None for cluster in clusters]
    head: dict[str, Any] = dict(mask_data(document))
    if any(e is not None for e in explanations):
        head["posture"] = {**head["posture"], "clusters": [
            {**cluster, "explanations": _masked_explanations(e)} if e is not None else cluster
            for cluster, e in zip(head["posture"]["clusters"], explanations, strict=True)]}
    return head


def _scan_head(report: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scan document, masked, with markers where the clusters' results go; the markers' results."""
    head = _masked_document(report.to_dict(results_elsewhere=True))
    head["clusters"] = [dict(cluster) for cluster in head["clusters"]]  # ours to mark, whatever masking returned
    return head, _marked(head["clusters"], [cluster.results for cluster in report.clusters])


class _Pieces:
    """Text gathered and written to ``out`` about :data:`PIECE` characters at a time."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        """Add ``text``."""
        self.parts.append(text)
        self.size += len(text)
        if self.size > PIECE:
            self.flush()

    def flush(self) -> None:
        """Write what was gathered."""
        if self.parts:
            self.out.write("".join(self.parts))
            self.parts, self.size = [], 0


def _write_json(value: Any, indent: int, pieces: _Pieces, markers: dict[str, Iterable[RuleResult]],
                depth: int = 0) -> None:
    """``value`` as :func:`json_text` writes it, its first line at column ``indent`` (not written) and the others
    indented as there, a marker's results in its place: the text of a large mapping or array is made an item at a
    time, so that the document is never all in memory as one text."""
    if isinstance(value, str) and value in markers:
        pieces.flush()
        _json_results(markers[value], indent, pieces.out)
        return
    if not isinstance(value, dict | list) or not value or (depth >= 6 and len(value) <= 64) or (
            isinstance(value, dict) and not all(isinstance(key, str) for key in value)):
        text = json_text(value)
        pieces.write(text.replace("\n", "\n" + " " * indent) if indent and "\n" in text else text)
        return
    pad = "\n" + " " * (indent + 2)
    pieces.write("{" if isinstance(value, dict) else "[")
    parts = value.items() if isinstance(value, dict) else enumerate(value)
    for i, (key, item) in enumerate(parts):
        pieces.write(("," if i else "") + pad + (json_text(key) + ": " if isinstance(value, dict) else ""))
        _write_json(item, indent + 2, pieces, markers, depth + 1)
    pieces.write("\n" + " " * indent + ("}" if isinstance(value, dict) else "]"))


def write_scan_json(report: Any, out: TextIO) -> None:
    """A scan report (:class:`~pykyverno.server.scan.ScanReport`) as ``-o json`` writes it, streamed."""
    with scan_gc():  # the report's objects are not walked again and again by collections of the young generation
        head, markers = _scan_head(report)
        pieces = _Pieces(out)
        _write_json(head, 0, pieces, markers)
        pieces.write("\n")
        pieces.flush()


def write_scan_yaml(report: Any, out: TextIO) -> None:
    """A scan report as ``-o yaml`` writes it, streamed."""
    with scan_gc():
        head, markers = _scan_head(report)
        _write_with_results(yaml_text(head), markers, out, _yaml_results, lambda m: f" {m}\n")


def write_yaml_documents(parts: Iterable[tuple[dict[str, Any], Sequence[RuleResult]]], out: TextIO) -> None:
    """Documents (each with the results that go under its ``results`` key, which it does not hold) as a
    multi-document YAML stream."""
    with scan_gc():
        for i, (document, results) in enumerate(parts):
            head: dict[str, Any] = dict(mask_data(document))
            markers = _marked([head], [results])
            if i:
                out.write("---\n")
            _write_with_results(yaml_text(head), markers, out, _yaml_results, lambda m: f" {m}\n")


@contextmanager
def output_target(output_file: str | None) -> Iterator[TextIO]:
    """Standard output (which the CLI masks as text too), or ``output_file`` (said on stderr once written)."""
    if not output_file:
        yield sys.stdout
        sys.stdout.flush()
        return
    with open_output(output_file) as handle:
        yield handle
    print(f"wrote {output_file}", file=sys.stderr)

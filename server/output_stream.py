"""Writing large structured outputs (a scan's JSON and YAML, PolicyReports) as a stream.

The document around the results (summaries, posture, failures) is built and serialised whole; the results, which
are most of it, are turned into dicts, masked (:func:`~pykyverno.server.redaction.mask_data`, as every structured
output is, before it is serialised) and encoded a chunk at a time, and written where the document has them. So the
memory an output needs does not grow with the number of results, and the text is the same as serialising the whole
document at once would give (JSON: two-space indentation, as ``json.dumps(indent=2)``, through ``orjson``).
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any, TextIO

import orjson
import yaml

from pykyverno.engine.results import ResourceRef, RuleResult

from .output_files import open_output
from .redaction import mask_data
from .scan.result_store import ResultStore

#: Results turned into dicts, masked and encoded together.
CHUNK = 1000

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


class _MaskedReports:
    """Masked PolicyReport results of a :class:`ResultStore`, where a compact pass is its template's masked report
    with its resource's masked reference (masking is per string, per key and per number, so masking the parts gives
    what masking the whole would); the template's part is masked once, a resource's once per run of its results."""

    def __init__(self) -> None:
        self.templates: dict[int, dict[str, Any]] = {}
        self.last_ref: tuple[ResourceRef | None, list[dict[str, str]]] = (None, [])

    def report(self, number: int, template: RuleResult, ref: ResourceRef) -> dict[str, Any]:
        head = self.templates.get(number)
        if head is None:
            head = self.templates[number] = mask_data(template.to_report())
        if self.last_ref[0] is not ref:
            self.last_ref = (ref, mask_data([ref.to_dict()]))
        return {**head, "resources": self.last_ref[1]}


def _chunks(results: Iterable[RuleResult]) -> Iterator[list[dict[str, Any]]]:
    """Masked PolicyReport results of ``results``, a chunk at a time."""
    if isinstance(results, ResultStore):
        reports = _MaskedReports()
        items = results.compact_items()
        while chunk := list(islice(items, CHUNK)):
            plain = [r for r in chunk if isinstance(r, RuleResult)]
            masked = iter(mask_data([r.to_report() for r in plain])) if plain else iter(())
            yield [next(masked) if isinstance(r, RuleResult) else reports.report(*r) for r in chunk]
        return
    plain_results = iter(results)
    while whole := list(islice(plain_results, CHUNK)):
        yield mask_data([r.to_report() for r in whole])


def _indented(text: str, spaces: int) -> str:
    """Every line of ``text`` indented by ``spaces`` more (JSON and YAML strings never hold a raw line break that
    the indentation would change: JSON escapes it, and YAML's scalars are indented relative to their parent)."""
    pad = " " * spaces
    return pad + text.replace("\n", "\n" + pad)


def _json_results(results: Iterable[RuleResult], indent: int, out: TextIO) -> None:
    """A JSON array of ``results`` whose opening bracket is on a line indented by ``indent``."""
    first = True
    for chunk in _chunks(results):
        body = json_text(chunk)  # "[\n  {...},\n  {...}\n]": the items, two spaces in
        out.write(("[\n" if first else ",\n") + _indented(body[2:-2], indent))
        first = False
    out.write("[]" if first else "\n" + " " * indent + "]")


def _yaml_results(results: Iterable[RuleResult], indent: int, out: TextIO) -> None:
    """A YAML block sequence of ``results`` under a mapping key at column ``indent`` (as PyYAML writes it: the dashes
    in the key's column)."""
    first = True
    for chunk in _chunks(results):
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
        indent = len(text[line_start:]) - len(text[line_start:].lstrip(" "))
        out.write(text[position:at])
        write_results(results, indent, out)
        position = at + len(token)
    out.write(text[position:])


def _marked(documents: Sequence[dict[str, Any]], results: Sequence[Iterable[RuleResult]]) -> dict[str, Any]:
    """Put a unique marker where each document's results go (its ``results`` key); the markers' results."""
    nonce = uuid.uuid4().hex
    markers: dict[str, Any] = {}
    for i, (document, items) in enumerate(zip(documents, results, strict=True)):
        marker = f"PYKYVERNO-RESULTS-{nonce}-{i}"
        document["results"] = marker
        markers[marker] = items
    return markers


def _scan_head(report: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scan document, masked, with markers where the clusters' results go; the markers' results."""
    head: dict[str, Any] = dict(mask_data(report.to_dict(results_elsewhere=True)))
    head["clusters"] = [dict(cluster) for cluster in head["clusters"]]  # ours to mark, whatever masking returned
    return head, _marked(head["clusters"], [cluster.results for cluster in report.clusters])


def write_scan_json(report: Any, out: TextIO) -> None:
    """A scan report (:class:`~pykyverno.server.scan.ScanReport`) as ``-o json`` writes it, streamed."""
    head, markers = _scan_head(report)
    _write_with_results(json_text(head), markers, out, _json_results, lambda m: f'"{m}"')
    out.write("\n")


def write_scan_yaml(report: Any, out: TextIO) -> None:
    """A scan report as ``-o yaml`` writes it, streamed."""
    head, markers = _scan_head(report)
    _write_with_results(yaml_text(head), markers, out, _yaml_results, lambda m: f" {m}\n")


def write_yaml_documents(parts: Iterable[tuple[dict[str, Any], Sequence[RuleResult]]], out: TextIO) -> None:
    """Documents (each with the results that go under its ``results`` key, which it does not hold) as a
    multi-document YAML stream."""
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

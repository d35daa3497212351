"""Writing a scan's results fast gives what the plain way gives: the whole document masked as data and serialised at
once (and, on the CLI's standard output, that text masked once more as a whole by its masking writer); tables built
row by row as they were before; figures computed from every result rebuilt."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pytest
import yaml

from pykyverno.engine.results import ResourceRef, RuleResult
from pykyverno.server.output import FindingFilter, one_line, render_scan, text_table
from pykyverno.server.output_stream import HEADS, write_scan_json, write_scan_yaml
from pykyverno.server.redaction import MaskingWriter, mask_data, remember, secret_scope
from pykyverno.server.redaction.data import DataMasker
from pykyverno.server.scan import ScanReport
from pykyverno.server.scan.model import ClusterScan
from pykyverno.server.scan.result_store import ResultStore

REMEMBERED = "s3cr3t-remembered-value"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25lZA"
#: Messages and properties as policies could write them from object values: credential patterns, remembered values.
MESSAGES = ["", "container must not run as root", f"env DB_URL holds {REMEMBERED}", "DB_PASS=hunter2 in args",
            "image from https://user:pa55w0rd@registry.example/app", f"token {JWT}", "caf\u00e9 \U0001f600 non-ASCII",
            "line one\nline   two", 'quoted "password": "hunter3" inside']
PROPERTIES: list[dict[str, Any]] = [{}, {"db_password": "hunter4"}, {"key": "abc123"}, {"count": "3", "x": REMEMBERED},
                                    {"token": "a\u00e9b"}]


@dataclass
class _Labelled(RuleResult):
    """A result of another type (written whole, never from a shared head)."""


def _results(pods: int, seed: int) -> ResultStore:
    out = ResultStore()
    for i in range(pods):
        namespace = ("prod", "dev", "", REMEMBERED)[i % 4]
        ref = ResourceRef("v1", "Pod", namespace, f"pod-{seed}-{i}", uid=f"uid-{i}" if i % 3 else "")
        for p in range(6):
            policy = f"policy-{p}" if p != 5 else REMEMBERED
            severity = ("high", "medium", "", "low")[p % 4]
            if (i + p) % 5:
                out.append(RuleResult(policy=policy, policy_kind="ValidatingPolicy", result="pass", resource=ref,
                                      severity=severity, category="Pod Security"))
                continue
            kind = i % 7
            result = RuleResult(policy=policy, policy_kind="ValidatingPolicy", result=("fail", "warn", "error")[i % 3],
                                resource=ref, severity=severity, message=MESSAGES[(i + p) % len(MESSAGES)],
                                properties=dict(PROPERTIES[(i // 2 + p) % len(PROPERTIES)]), rule=f"rule-{p}")
            if kind == 1:
                result = _Labelled(**{f: getattr(result, f) for f in result.__dataclass_fields__})
            elif kind == 2:
                result.properties = {"number": 12345678901234567890}  # type: ignore[dict-item]  # written whole
            elif kind == 3:
                result = replace(result, result="pass", message="", properties={}, unanswered=("http",))
            out.append(result)
    return out


def _report(pods: int = 120) -> ScanReport:
    clusters = [ClusterScan(context="one", results=_results(pods, 1)),
                ClusterScan(context=f"two-{REMEMBERED}", results=_results(pods // 2, 2))]
    return ScanReport(clusters=clusters, policies=["policy-0", REMEMBERED], started_at="2026-01-01T00:00:00Z")


def test_json_is_the_masked_document_serialised_whole() -> None:
    with secret_scope():
        remember(REMEMBERED)
        report = _report()
        expected = json.dumps(mask_data(report.to_dict()), indent=2) + "\n"
        out = io.StringIO()
        write_scan_json(report, out)
    assert out.getvalue() == expected
    for secret in (REMEMBERED, "hunter2", "hunter3", "hunter4", "pa55w0rd", JWT):
        assert secret not in out.getvalue()


def test_json_on_a_masking_writer_is_the_whole_text_masked_once_more() -> None:
    """On the CLI's standard output each distinct piece is masked as text once, and what comes out is what masking
    the whole text did (``"key": "abc123"``, which masking as data leaves, is masked as text)."""
    with secret_scope():
        remember(REMEMBERED)
        report = _report()
        reference_target, streamed_target = io.StringIO(), io.StringIO()
        reference = MaskingWriter(reference_target)
        reference.write(json.dumps(mask_data(report.to_dict()), indent=2) + "\n")
        reference.flush()
        streamed = MaskingWriter(streamed_target)
        write_scan_json(report, streamed)  # type: ignore[arg-type]
        streamed.flush()
    text = streamed_target.getvalue()
    assert text == reference_target.getvalue()
    assert '"key": "<redacted>"' in text and "abc123" not in text
    assert json.loads(text)["clusters"][0]["results"]


def test_json_is_the_same_when_heads_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    report = _report(60)
    whole = io.StringIO()
    write_scan_json(report, whole)
    monkeypatch.setattr("pykyverno.server.output_stream.HEADS", 2)
    forgetful = io.StringIO()
    write_scan_json(report, forgetful)
    assert forgetful.getvalue() == whole.getvalue()
    assert HEADS > 2


def test_yaml_results_are_the_masked_results() -> None:
    with secret_scope():
        remember(REMEMBERED)
        report = _report(40)
        expected = mask_data(report.to_dict())
        out = io.StringIO()
        write_scan_yaml(report, out)
    assert yaml.safe_load(out.getvalue()) == json.loads(json.dumps(expected))


def test_the_document_of_compact_results_is_the_document_of_plain_ones() -> None:
    """Counts, posture figures and explanation indices read from compact passes equal those of every result
    rebuilt (a plain list goes through the per-result code)."""
    report = _report()
    plain = replace(report, clusters=[replace(c, results=list(c.results)) for c in report.clusters])
    assert report.to_dict() == plain.to_dict()
    assert [c.summary() for c in report.clusters] == [c.summary() for c in plain.clusters]


def test_data_masker_masks_as_mask_data() -> None:
    with secret_scope():
        remember(REMEMBERED)
        values: list[Any] = [r.to_report() for r in _results(30, 3)] + [{"db_password": "x", "passWeight": 3},
                                                                           [REMEMBERED, ("DB_PASS=y", 1)]]
        masker = DataMasker(limit=40)  # small: it forgets and starts again along the way
        for value in values * 2:
            assert masker.mask(value) == mask_data(value)
        assert masker.mask(REMEMBERED) == mask_data(REMEMBERED)


# ----------------------------------------------------------------------------------------------------------- tables
_SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4, "": 5}


def _reference_rows(report: ScanReport, keep: FindingFilter) -> list[tuple[str, ...]]:
    """The findings table's rows as they were made before: every result read, sorted by (severity, policy, context,
    resource text)."""
    found = [(c.context, r) for c in report.clusters for r in c.results
             if r.result in ("fail", "warn", "error") and keep.keeps(r)]
    found.sort(key=lambda item: (_SEVERITY.get(item[1].severity, 5), item[1].policy, item[0], str(item[1].resource)))
    return [(context, r.policy, str(r.resource), r.severity or "-", r.result, one_line(r.message))
            for context, r in found]


def _reference_table(header: tuple[str, ...], rows: Sequence[Sequence[str]]) -> str:
    all_rows = [list(header), *[list(map(str, r)) for r in rows]]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in all_rows)


@pytest.mark.parametrize("keep", [FindingFilter(), FindingFilter(fail_only=True), FindingFilter(min_severity="high")])
def test_findings_table_is_the_rows_sorted_as_before(keep: FindingFilter) -> None:
    report = _report()
    header = ("CONTEXT", "POLICY", "RESOURCE", "SEVERITY", "RESULT", "MESSAGE")
    text = render_scan(report, "table", keep=keep)
    rows = _reference_rows(report, keep)
    assert rows and _reference_table(header, rows) in text
    limited = render_scan(report, "table", limit=7, keep=keep)
    assert _reference_table(header, rows[:7]) in limited
    assert f"({len(rows) - 7} more not shown)" in limited


def test_text_table_pads_as_ljust() -> None:
    rows = [("a", "caf\u00e9", ""), ("longer cell", "x", "trailing  ")]
    assert text_table(("H1", "H2", "H3"), rows) == _reference_table(("H1", "H2", "H3"), rows)
    assert text_table(("ONLY",), []) == "ONLY"


def test_summary_counts_every_result() -> None:
    report = _report()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for cluster in report.clusters:
        for r in cluster.results:
            counts[cluster.context][r.result] += 1
    for cluster in report.clusters:
        assert {k: v for k, v in cluster.summary().items() if v} == dict(counts[cluster.context])

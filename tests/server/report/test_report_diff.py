"""`pykyverno report diff` and `report html` on saved scans: fixed, new and unchanged findings, scores before and
after, exit codes, and clear errors for files that are not scans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykyverno.server.cli import main
from pykyverno.server.commands.scan_cmd import DEMO_SNAPSHOT

from .figures import mismatches, tagged_figures


def scan(capsys: pytest.CaptureFixture[str], snapshot: Path, out: Path) -> dict[str, Any]:
    main(["scan", "--snapshot", str(snapshot), "-o", "json", "--output-file", str(out)])
    capsys.readouterr()
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


@pytest.fixture
def scans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, dict[str, Any], dict[str, Any]]:
    """The demo scan, and a scan of the demo after a fix (cache no longer privileged nor on the host network), a
    removal (the debug-shell Pod) and a regression (storefront adds SYS_ADMIN)."""
    items = yaml.safe_load(DEMO_SNAPSHOT.read_text())["items"]
    changed = []
    for item in items:
        name = item["metadata"]["name"]
        if item["kind"] == "Pod" and name == "debug-shell":
            continue
        if item["kind"] == "Deployment" and name == "cache":
            spec = item["spec"]["template"]["spec"]
            spec.pop("hostNetwork")
            spec["containers"][0]["securityContext"] = {"privileged": False}
        if item["kind"] == "Deployment" and name == "storefront":
            item["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {
                "capabilities": {"add": ["SYS_ADMIN"]}}
        changed.append(item)
    (tmp_path / "after").mkdir()
    after_snapshot = tmp_path / "after" / "cluster.yaml"
    after_snapshot.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": changed}))
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    return old, new, scan(capsys, DEMO_SNAPSHOT, old), scan(capsys, after_snapshot, new)


def keys(found: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(f["policy"], f["resource"]["name"]) for f in found}


def test_diff_json_fixed_new_unchanged(scans: Any, capsys: pytest.CaptureFixture[str]) -> None:
    old_path, new_path, old, new = scans
    code = main(["report", "diff", str(old_path), str(new_path), "-o", "json"])
    diff = json.loads(capsys.readouterr().out)
    assert code == 1, "new findings: exit 1"
    assert ("disallow-privileged-containers", "cache") in keys(diff["fixed"])
    assert ("disallow-host-namespaces", "cache") in keys(diff["fixed"])
    assert ("disallow-capabilities", "storefront") in keys(diff["new"])
    assert ("disallow-latest-tag", "storefront") in keys(diff["unchanged"])
    why = {(f["policy"], f["resource"]["name"]): f["why"] for f in diff["fixed"]}
    assert why[("disallow-privileged-containers", "cache")] == "passes"
    assert why[("disallow-latest-tag", "debug-shell")] == "gone"
    # Every finding of either scan is in exactly one list.
    def findings(doc: dict[str, Any]) -> set[tuple[str, str]]:
        return {(r["policy"], r["resources"][0]["name"]) for r in doc["clusters"][0]["results"]
                if r["result"] in ("fail", "warn", "error")}
    assert keys(diff["fixed"]) | keys(diff["unchanged"]) == findings(old)
    assert keys(diff["new"]) | keys(diff["unchanged"]) == findings(new)
    assert diff["counts"] == {"fixed": len(diff["fixed"]), "new": len(diff["new"]),
                              "unchanged": len(diff["unchanged"])}
    [cluster] = diff["clusters"]
    assert cluster["oldScore"] == old["posture"]["clusters"][0]["score"]
    assert cluster["newScore"] == new["posture"]["clusters"][0]["score"]
    assert cluster["oldContext"] != cluster["newContext"], "two single-cluster scans pair whatever their names"


def test_diff_text_and_html(scans: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old_path, new_path, _, _ = scans
    main(["report", "diff", str(old_path), str(new_path)])
    text = capsys.readouterr().out
    assert "NEW (1)" in text and "FIXED (" in text and "UNCHANGED (" in text
    assert "disallow-capabilities" in text and "resource no longer scanned" in text
    out = tmp_path / "diff.html"
    assert main(["report", "diff", str(old_path), str(new_path), "-o", "html", "--output-file", str(out)]) == 1
    page = out.read_text()
    main(["report", "diff", str(old_path), str(new_path), "-o", "json"])
    diff = json.loads(capsys.readouterr().out)
    assert mismatches(diff, tagged_figures(page)) == []
    assert 'id="new"' in page and 'id="fixed"' in page and "Deployment/shop/storefront" in page
    assert "Content-Security-Policy" in page and "<script src" not in page


def test_same_scan_has_no_new_findings(scans: Any, capsys: pytest.CaptureFixture[str]) -> None:
    old_path, _, _, _ = scans
    assert main(["report", "diff", str(old_path), str(old_path), "-o", "json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["counts"]["new"] == 0 and diff["counts"]["fixed"] == 0 and diff["counts"]["unchanged"] > 0


def test_report_html_of_a_saved_scan(scans: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old_path, _, old, _ = scans
    out = tmp_path / "report.html"
    assert main(["report", "html", str(old_path), "--output-file", str(out)]) == 0
    assert mismatches(old, tagged_figures(out.read_text())) == []


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "invalid JSON at line 1"),
    ('{"apiVersion": "v1"}', "is not a pykyverno scan document"),
    ('{"clusters": [{"context": "a"}]}', "has no 'results'"),
    ('{"clusters": [{"context": "a", "results": [42]}]}', "results[0] is not a policy result"),
])
def test_bad_inputs_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
                                     message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["report", "diff", str(bad), str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert main(["report", "diff", str(tmp_path / "missing.json"), str(bad)]) == 2
    assert "cannot read file" in capsys.readouterr().err


def test_diff_with_an_incomplete_scan_says_so_and_exits_3(scans: Any, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A finding missing from an incomplete scan may only be unevaluated: the diff says so in every format, exit 3."""
    old_path, new_path, _, new = scans
    new["incomplete"] = True
    new["clusters"][0]["error"] = "connection refused"
    broken = tmp_path / "incomplete.json"
    broken.write_text(json.dumps(new))
    for old_file, new_file, label in ((old_path, broken, "the new scan"), (broken, new_path, "the old scan")):
        assert main(["report", "diff", str(old_file), str(new_file), "-o", "json"]) == 3
        captured = capsys.readouterr()
        reasons = json.loads(captured.out)["incomplete"]
        assert len(reasons) == 1 and reasons[0].startswith(f"{label} is incomplete (") and "not scanned" in reasons[0]
        assert f"error: {label} is incomplete" in captured.err
    assert main(["report", "diff", str(old_path), str(broken)]) == 3
    assert "INCOMPLETE: the new scan is incomplete" in capsys.readouterr().out
    assert main(["report", "diff", str(old_path), str(broken), "-o", "html"]) == 3
    page = capsys.readouterr().out
    assert 'class="banner incomplete"' in page and "the new scan is incomplete" in page

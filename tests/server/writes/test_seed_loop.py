"""The seed's loop end to end on a fake cluster over HTTPS, through the real MCP server and through the CLI:
check_kyverno -> scan a namespace -> install pod-security-baseline in Audit -> publish reports -> read them back
with get_policy_reports -> draft an exception for one workload (7 days) and create it -> rescan showing the
exception applied -> uninstall, which removes only what pykyverno installed. Writes disabled refuse first."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykyverno.server.cli import main
from tests.fakeapi import ContextSpec, write_kubeconfig
from tests.server.writes.conftest import Cluster, MakeWriteCluster, workloads
from tests.server.writes.test_mcp_tools import answering, session, settings

pytestmark = pytest.mark.anyio

G, P = "policies.kyverno.io", "validatingpolicies"
BASELINE = "pod-security-baseline"
LOGGER = {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "team-b", "name": "logger"}
EXCEPTION = {"policy": "disallow-host-path", "resources": ["Deployment/team-b/logger"], "reason": "ships node logs",
             "expires_in": "7d"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _logger_results(scan: dict[str, Any]) -> set[str]:
    return {f["result"] for f in scan["results"] if f["policy"] == "disallow-host-path"
            and f["resource"]["name"] == "logger" and f["resource"]["kind"] == "Deployment"}


async def _confirmed(call: Any, tool: str, **arguments: Any) -> dict[str, Any]:
    error, planned, text = await call(tool, **arguments)
    assert not error and planned["status"] == "planned", text
    error, done, text = await call(tool, **arguments, confirm=planned["confirm"])
    assert not error and done["status"] == "applied", text
    return dict(done)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_the_loop_through_mcp(cluster: Cluster, mode: str) -> None:
    # writes disabled: the write tools do not exist, nothing is written
    async with session(settings(cluster, writes=False), mode=mode) as call:
        error, _, text = await call("install_policy_set", set=BASELINE)
        assert error and "install_policy_set" in text
    assert cluster.writes() == []

    approve, asked = answering(True)
    async with session(settings(cluster), mode=mode, elicit=approve) as call:
        error, kyverno, _ = await call("check_kyverno")
        assert not error and kyverno["installed"] is True
        assert all(s["installed"] == 0 for s in kyverno["status"]["policy_sets"])

        error, scan, _ = await call("scan_namespace", namespace="team-b", policy_sets=[BASELINE])
        assert not error and _logger_results(scan) == {"fail"}

        await _confirmed(call, "install_policy_set", set=BASELINE)
        _, kyverno, _ = await call("check_kyverno")
        [baseline] = [s for s in kyverno["status"]["policy_sets"] if s["name"] == BASELINE]
        assert baseline["complete"] and baseline["modes"] == {"Audit": baseline["total"]}

        await _confirmed(call, "publish_reports", namespaces=["team-b"], sets=[BASELINE])
        error, reports, _ = await call("get_policy_reports", namespace="team-b")
        assert not error and reports["available"] and reports["reports"] == 1
        assert any(r["policy"] == "disallow-host-path" and r["result"] == "fail"
                   and r["resources"][0]["name"] == "logger" for r in reports["results"])

        error, draft, text = await call("draft_policy_exception", **EXCEPTION)
        assert not error and "```yaml" in text
        document = yaml.safe_load(draft["yaml"])
        expires = datetime.strptime(document["spec"]["expiresAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=5)
        assert draft["covers"] == ["Deployment/team-b/logger"]
        await _confirmed(call, "create_policy_exception", **EXCEPTION)
        assert cluster.stored(G, "policyexceptions", "disallow-host-path-logger", "team-b") is not None

        error, rescan, _ = await call("scan_namespace", namespace="team-b", policy_sets=[BASELINE],
                                      include_passing=True)
        assert not error and _logger_results(rescan) == {"skip"}
        assert rescan["totals"]["fail"] == scan["totals"]["fail"] - 1

        await _confirmed(call, "uninstall_policy_set", set=BASELINE)
        assert cluster.stored(G, P, "disallow-host-path") is None
        assert cluster.stored(G, "policyexceptions", "disallow-host-path-logger", "team-b") is not None
    assert len(asked) == 4  # every confirmed write was approved in the client, once


def test_the_loop_through_the_cli(cluster: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--kubeconfig", str(cluster.kubeconfig), "--context", "admin"]
    assert main(["install", BASELINE, *base]) == 0
    out = capsys.readouterr().out
    assert "Dry run only: nothing was written. Run again with --yes" in out and "CREATE" in out
    assert [w for w in cluster.writes() if w[2] != "All"] == []

    assert main(["install", BASELINE, *base, "--yes", "-o", "json"]) == 0
    assert '"status": "applied"' in capsys.readouterr().out
    assert cluster.stored(G, P, "disallow-host-path") is not None
    assert main(["install", BASELINE, *base, "--yes"]) == 0
    assert "Nothing to do" in capsys.readouterr().out

    # a scan with findings exits 1 also when it publishes them; without --yes it only plans
    assert main(["scan", *base, "-n", "team-b", "--policy-set", BASELINE, "--publish-reports", "-o", "json"]) == 1
    assert "Dry run only" in capsys.readouterr().err
    assert cluster.stored("wgpolicyk8s.io", "policyreports", "pykyverno-team-b", "team-b") is None
    assert main(["scan", *base, "-n", "team-b", "--policy-set", BASELINE, "--publish-reports", "--yes",
                 "-o", "json"]) == 1
    assert "APPLIED" in capsys.readouterr().err
    report = cluster.stored("wgpolicyk8s.io", "policyreports", "pykyverno-team-b", "team-b")
    assert report is not None and report["summary"]["fail"] >= 1

    assert main(["exception", "disallow-host-path", "Deployment/team-b/logger", "--reason", "ships node logs",
                 *base]) == 0
    captured = capsys.readouterr()
    assert yaml.safe_load(captured.out)["kind"] == "PolicyException" and "Dry run only" in captured.err
    assert main(["exception", "disallow-host-path", "Deployment/team-b/logger", "--reason", "ships node logs",
                 "--expires-in", "7d", *base, "--yes"]) == 0
    capsys.readouterr()
    assert cluster.stored(G, "policyexceptions", "disallow-host-path-logger", "team-b") is not None

    # the rescan honours the exception in the cluster, and the published report follows
    assert main(["scan", *base, "-n", "team-b", "--policy-set", BASELINE, "--publish-reports", "--yes",
                 "-o", "json"]) in (0, 1)
    scanned = capsys.readouterr().out
    results = [r for r in json.loads(scanned)["clusters"][0]["results"]
               if r["policy"] == "disallow-host-path" and r["resources"][0]["name"] == "logger"]
    assert {r["result"] for r in results} == {"skip"}
    report = cluster.stored("wgpolicyk8s.io", "policyreports", "pykyverno-team-b", "team-b")
    assert report is not None and any(r["policy"] == "disallow-host-path" and r["result"] == "skip"
                                      for r in report["results"])

    assert main(["uninstall", BASELINE, *base, "--yes"]) == 0
    assert "DELETED" in capsys.readouterr().out
    assert cluster.stored(G, P, "disallow-host-path") is None


def test_cli_refusals(cluster: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--kubeconfig", str(cluster.kubeconfig), "--context", "admin"]
    assert main(["scan", "--demo", "--publish-reports"]) == 2
    assert main(["scan", *base, "--yes"]) == 2
    assert main(["install", *base]) == 2
    assert main(["install", "no-such-set", *base]) == 2
    assert main(["exception", "disallow-host-path", "Deployment/team-b/nope", "--reason", "r", *base]) == 2
    assert main(["install", BASELINE, *base, "--context-deny", "admin", "--yes"]) == 2
    errors = capsys.readouterr().err
    assert "--publish-reports" in errors and "no-such-set" in errors and "nope" in errors and "admin" in errors
    cluster.fake.deny(user="bob", verb="create|patch", resource=f"{P}.{G}")
    assert main(["install", BASELINE, "--kubeconfig", str(cluster.kubeconfig), "--context", "bob", "--yes"]) == 3
    assert "forbidden by the API server (403)" in capsys.readouterr().out
    assert [w for w in cluster.writes() if w[2] != "All"] == []


def test_cli_write_errors_say_what_is_wrong(cluster_with: MakeWriteCluster, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A missing kubeconfig is named as such; argument errors come before the cluster is contacted; an unreachable
    cluster exits 3; uninstall on a cluster without Kyverno's policy API says so (never "Nothing to do")."""
    monkeypatch.setenv("KUBECONFIG", "/nonexistent")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["install", BASELINE]) == 2
    assert "$KUBECONFIG (/nonexistent) names no existing file" in capsys.readouterr().err
    assert main(["install", BASELINE, "--kubeconfig", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    down = write_kubeconfig(tmp_path / "down", {"down": ContextSpec("https://127.0.0.1:1", token="t")})
    base = ["--kubeconfig", str(down), "--timeout", "2"]
    assert main(["install", "nosuchset", *base]) == 2
    assert "nosuchset" in capsys.readouterr().err
    assert main(["uninstall", "nosuchset", *base]) == 2
    assert main(["exception", "disallow-host-path", "Deployment/a/b", "--reason", "r", "--expires-in", "forever",
                 *base]) == 2
    assert "invalid duration 'forever'" in capsys.readouterr().err
    assert main(["install", BASELINE, *base]) == 3
    assert main(["uninstall", BASELINE, *base]) == 3
    assert main(["exception", "disallow-host-path", "Deployment/a/b", "--reason", "r", *base]) == 3
    capsys.readouterr()
    bare = cluster_with(workloads())
    assert main(["uninstall", BASELINE, "--kubeconfig", str(bare.kubeconfig), "--context", "admin"]) == 2
    err = capsys.readouterr().err
    assert "does not serve Kyverno's policy API (policies.kyverno.io)" in err

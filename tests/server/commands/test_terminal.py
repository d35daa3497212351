"""The terminal habits of the CLI (issue 16): the rich view in a real pseudo-terminal, plain text (no escape codes)
in pipes and with NO_COLOR, progress on stderr, values never cut, ``--version``, ``-`` for standard input, filters,
and ``apply --output-dir`` never overwriting one object with another."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pykyverno.server.cli import main
from pykyverno.server.terminal import colour_wanted

ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
LONG_MESSAGE = "containers must set securityContext.readOnlyRootFilesystemAndSomeMoreVeryLongWordsToo to true " * 3
POLICY = f"""
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: read-only-root
  annotations: {{policies.kyverno.io/severity: critical}}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules: [{{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}}]
  validations:
  - expression: "false"
    message: "{LONG_MESSAGE.strip()}"
"""
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
       "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}


def in_terminal(args: list[str], columns: int = 100, env: dict[str, str] | None = None,
                stdin: bytes | None = None) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal of ``columns``; its exit code and what it showed."""
    controller, terminal = pty.openpty()
    os.set_blocking(controller, False)
    environment = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color", **(env or {})}
    environment.pop("NO_COLOR", None) if "NO_COLOR" not in (env or {}) else None
    process = subprocess.Popen([sys.executable, "-m", "pykyverno.server.cli", *args], stdout=terminal,
                               stderr=terminal, stdin=subprocess.PIPE, env=environment)
    os.close(terminal)
    assert process.stdin is not None
    process.stdin.write(stdin or b"")
    process.stdin.close()
    chunks = []
    while True:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                data = os.read(controller, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    code = process.wait(timeout=120)
    os.close(controller)
    return code, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(POD))
    return tmp_path


def test_colour_only_on_a_terminal_without_no_color() -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    assert colour_wanted(Tty(), {}) is True  # type: ignore[arg-type]
    assert colour_wanted(Tty(), {"NO_COLOR": "1"}) is False  # type: ignore[arg-type]
    assert colour_wanted(Tty(), {"TERM": "dumb"}) is False  # type: ignore[arg-type]
    assert colour_wanted(sys.stdout, {}) is False or sys.stdout.isatty()


def test_scan_in_a_terminal_has_colour_groups_and_whole_values(files: Path) -> None:
    code, shown = in_terminal(["scan", "--snapshot", str(files / "pod.yaml"), "--policy", str(files / "policy.yaml")],
                              columns=100)
    assert code == 1
    assert "\x1b[" in shown, "colour on a terminal"
    text = ESCAPE.sub("", shown)
    assert "█" in text and "1 fail" in text, "a summary bar"
    assert "Findings (1), grouped by policy" in text
    # every word of the message is on the screen whole, however the column wraps
    words = set(re.findall(r"[\w.:/-]+", text))
    assert "securityContext.readOnlyRootFilesystemAndSomeMoreVeryLongWordsToo" in words
    assert "Pod/shop/web" in words and "read-only-root" in words


def test_narrow_terminal_prints_blocks_instead_of_cropping(files: Path) -> None:
    code, shown = in_terminal(["apply", str(files / "policy.yaml"), "-r", str(files / "pod.yaml")], columns=72)
    text = ESCAPE.sub("", shown)
    assert code == 1
    assert "read-only-root  Pod/shop/web  FAIL" in text
    assert "securityContext.readOnlyRootFilesystemAndSomeMoreVeryLongWordsToo" in text


def test_no_color_in_a_terminal_is_the_plain_text(files: Path) -> None:
    args = ["scan", "--snapshot", str(files / "pod.yaml"), "--policy", str(files / "policy.yaml")]
    code, shown = in_terminal([*args, "-o", "table"], env={"NO_COLOR": "1"})
    piped = subprocess.run([sys.executable, "-m", "pykyverno.server.cli", *args], capture_output=True, text=True,
                           check=False)
    assert code == piped.returncode == 1
    assert "\x1b" not in piped.stdout and "\x1b" not in piped.stderr, "no escape codes in pipes"
    assert piped.stdout.splitlines()[0] == "COMPLIANCE SUMMARY"
    assert LONG_MESSAGE.strip() in piped.stdout, "plain tables never cut a message"
    assert "COMPLIANCE SUMMARY" in shown and "█" not in shown


def test_progress_lines_without_escape_codes_when_stderr_is_not_a_terminal(files: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "pykyverno.server.cli", "scan", "--snapshot", str(files / "pod.yaml"),
                          "--policy", str(files / "policy.yaml"), "--progress", "-o", "json"],
                         capture_output=True, text=True, check=False)
    assert "[1/1] snapshot:pod.yaml" in run.stderr and "\x1b" not in run.stderr
    json.loads(run.stdout)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and re.match(r"pykyverno \S+", capsys.readouterr().out)


@pytest.mark.parametrize("args", [
    ["apply", "{policy}", "-r", "-"],
    ["scan", "--snapshot", "-", "--policy", "{policy}"],
    ["apply", "-", "-r", "{pod}"],
])
def test_standard_input(files: Path, args: list[str]) -> None:
    feeds = {"-r": POD, "--snapshot": POD}
    flag = args[args.index("-") - 1]
    stdin = yaml.safe_dump(feeds[flag]) if flag in feeds else POLICY
    argv = [a.format(policy=files / "policy.yaml", pod=files / "pod.yaml") for a in args]
    run = subprocess.run([sys.executable, "-m", "pykyverno.server.cli", *argv, "-o", "json" if "scan" in argv
                          else "yaml"], input=stdin, capture_output=True, text=True, check=False)
    assert run.returncode == 1, run.stderr
    assert "read-only-root" in run.stdout and "web" in run.stdout


def test_lint_reads_standard_input() -> None:
    run = subprocess.run([sys.executable, "-m", "pykyverno.server.cli", "lint", "-"],
                         input=POLICY.replace('"false"', '"object.spec.containers.all(c,"'),
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1 and run.stdout.startswith("<stdin>: 1 error(s)") and "(line 12, column" in run.stdout


def test_scan_filters_say_what_they_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--demo", "-n", "shop", "--severity", "critical"]) == 1
    out = capsys.readouterr().out
    assert "disallow-privileged-containers" in out and "require-labels" not in out
    assert re.search(r"\(\d+ finding\(s\) not listed because of --severity critical; the counts include them\)", out)
    assert main(["scan", "--demo", "-n", "shop", "--summary"]) == 1
    out = capsys.readouterr().out
    assert "FAILING POLICIES" in out and "FINDINGS" not in out and "require-labels" in out


def test_output_dir_never_overwrites_one_object_with_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mutate = """
apiVersion: policies.kyverno.io/v1
kind: MutatingPolicy
metadata: {name: add-label}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: "Object{metadata: Object.metadata{labels: {'seen': 'yes'}}}"
"""
    (tmp_path / "mutate.yaml").write_text(mutate)
    # 'a/b' is not a valid name, but a manifest may say so; both map to the same safe file name
    maps = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "ns"}}
            for name in ("a_b", "a/b")]
    (tmp_path / "maps.yaml").write_text(yaml.safe_dump_all(maps))
    out_dir = tmp_path / "out"
    main(["apply", str(tmp_path / "mutate.yaml"), "-r", str(tmp_path / "maps.yaml"), "--output-dir", str(out_dir)])
    capsys.readouterr()
    written = sorted(out_dir.iterdir())
    assert len(written) == 2, written
    names = {yaml.safe_load(p.read_text())["metadata"]["name"] for p in written}
    assert names == {"a_b", "a/b"}


def test_terminal_view_lists_a_bounded_number_of_findings_and_says_how_many_are_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from rich.console import Console

    from pykyverno.engine.results import ResourceRef, RuleResult
    from pykyverno.server.output import FindingFilter
    from pykyverno.server.scan.model import ClusterScan, ScanReport
    from pykyverno.server.terminal import views

    results = [RuleResult(policy="p", policy_kind="ValidatingPolicy", result="fail", severity="high",
                          resource=ResourceRef("v1", "Pod", "ns", f"pod-{i}"), message="m") for i in range(5)]
    report = ScanReport(policies=["p"], clusters=[ClusterScan(context="alpha", results=results)])
    sink = io.StringIO()
    monkeypatch.setattr(views, "MAX_TERMINAL_FINDINGS", 3)
    monkeypatch.setattr(views, "colour_wanted", lambda stream: True)
    monkeypatch.setattr(views, "stdout_console", lambda: Console(file=sink, force_terminal=True, width=200))
    assert views.print_scan(report, FindingFilter()) is None
    text = ESCAPE.sub("", sink.getvalue())
    assert "Findings (5), grouped by policy" in text and "pod-2" in text and "pod-3" not in text
    assert "(2 more finding(s) not shown: a terminal lists the 3 most severe;" in text

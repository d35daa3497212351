"""Scale benchmark of issue 15: a snapshot of generated Pods scanned against ``pod-security-restricted`` (17
policies) through the real CLI process, set against the same controls hand-written in Python, plus start-up times
and the size of the MCP ``tools/list`` answer.

Run from the repository root: ``python bench/bench_scale.py [--pods 10000] [--repeat 3]``. ``--python`` picks the
interpreter whose ``pykyverno`` is measured (another worktree's venv, to compare commits); the benchmark itself
imports nothing of pykyverno. Prints figures (medians of repeated runs, with min-max, for wall time and for the CPU
seconds of the measured process, which a busy machine disturbs far less), and how many (Pod, policy) verdicts of the
engine the hand-written controls agree with.

Rows, as in the issue's table:

- end-to-end cost per (Pod, policy) of ``scan --snapshot FILE --policy-set pod-security-restricted -o json``
  (process start to exit, divided by Pods x 17), the hand-written controls' cost per (Pod, control) measured in the
  same run, and their ratio;
- ``-o table`` and ``-o json`` of the whole snapshot: seconds and peak RSS of the CLI process (with its default
  ``--workers``: CPU seconds are those of the process and of the workers it reaps; peak RSS is the CLI process's
  own, and the peak of its whole process tree is printed beside it, in proportional set size);
- ``--workers 1`` against ``--workers N`` (the cores this process may use), alternated, for ``-o json`` and
  ``-o table``: wall, CPU of the process tree and peak memory of the tree;
- ``pykyverno policies list``: process start to exit;
- ``pykyverno serve`` (stdio): process start to the first ``tools/list`` answer, raw JSON-RPC and SDK client;
- the ``tools/list`` answer's size in characters.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import (
    ChildRun,
    Summary,
    cpu_load,
    mcp_raw_first_tools_list,
    mcp_sdk_first_tools_list,
    run_child,
    summarize,
)
from bench.pss_python import CONTROLS, verdicts
from bench.workload import generate_pods, write_snapshot

POLICY_SET = "pod-security-restricted"
ROWS = ("ratio", "table", "json", "workers", "policies", "mcp")
MB = 1024 * 1024

#: A kubeconfig with one context on a loopback port nothing listens on: the MCP server offers its cluster tools
#: without any cluster being contacted while it starts.
KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: bench
  cluster: {server: "https://127.0.0.1:9"}
users:
- name: bench
  user: {token: bench-token}
contexts:
- name: bench
  context: {cluster: bench, user: bench}
current-context: bench
"""


def child_env(kubeconfig: Path) -> dict[str, str]:
    """A minimal environment: no developer kubeconfig, proxies or Python path leaks into the measured process."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env["KUBECONFIG"] = str(kubeconfig)
    return env


def time_controls(pods: list[dict[str, Any]]) -> tuple[float, float]:
    """Wall and CPU seconds the hand-written controls take over every Pod (all 17 controls per Pod)."""
    controls = list(CONTROLS.values())
    started, cpu_started = time.perf_counter(), time.process_time()
    for pod in pods:
        for control in controls:
            control(pod)
    return time.perf_counter() - started, time.process_time() - cpu_started


def time_python_end_to_end(snapshot: Path, out: Path) -> float:
    """Seconds for an in-process hand-written scan: parse the snapshot, run the controls, write every result as
    JSON. The floor a Python tool could reach, without process start."""
    started = time.perf_counter()
    pods = json.loads(snapshot.read_text())["items"]
    results = []
    for pod in pods:
        meta = pod["metadata"]
        for policy, control in CONTROLS.items():
            message = control(pod)
            results.append({"policy": policy, "result": "pass" if message is None else "fail",
                            "message": message or "", "namespace": meta["namespace"], "name": meta["name"]})
    with open(out, "w") as handle:
        json.dump({"results": results}, handle)
    return time.perf_counter() - started


def scan_results(output: Path) -> Iterator[dict[str, Any]]:
    """Results of a ``scan -o json`` output: one JSON document (``clusters[].results[]``) or JSON lines."""
    text = output.read_text()
    try:
        documents: list[Any] = [json.loads(text)]
    except json.JSONDecodeError:
        documents = [json.loads(line) for line in text.splitlines() if line.strip()]
    for doc in documents:
        if isinstance(doc, dict) and "clusters" in doc:
            for cluster in doc["clusters"]:
                yield from cluster.get("results", [])
        elif isinstance(doc, dict) and "policy" in doc:
            yield doc


def agreement(output: Path, expected: dict[tuple[str, str, str], str]) -> tuple[int, int, list[str]]:
    """(agreeing pairs, expected pairs, a few disagreements) between the CLI's JSON results and the controls."""
    seen: dict[tuple[str, str, str], str] = {}
    for result in scan_results(output):
        for resource in result.get("resources", [result]):
            seen[(resource.get("namespace", ""), resource.get("name", ""), result["policy"])] = result["result"]
    agree = sum(seen.get(key) == value for key, value in expected.items())
    wrong = [f"{key}: engine {seen.get(key)!r}, Python {value!r}" for key, value in expected.items()
             if seen.get(key) != value]
    return agree, len(expected), wrong[:5]


def cli(python: str, *args: str) -> list[str]:
    """The command line of the pykyverno CLI under test."""
    return [python, "-m", "pykyverno.server.cli", *args]


def checked(run: ChildRun, what: str, ok: tuple[int, ...] = (0,)) -> ChildRun:
    """``run``, or an error naming the command and its stderr."""
    if run.code not in ok:
        raise SystemExit(f"{what} exited {run.code}:\n{run.stderr[-3000:]}")
    return run


def tree_pss(runs: list[ChildRun]) -> Summary:
    """Peak proportional set size of each run's process tree (the CLI and its workers)."""
    return summarize([float(r.tree_peak_pss) for r in runs])


def row(what: str, wall: str, cpu: str) -> str:
    """One line of the printed table."""
    return f"| {what} | {wall} | {cpu} |"


def fmt(summary: Summary, unit: str = "s", scale: float = 1.0, digits: int = 2) -> str:
    """``median unit (min-max, n=N)``."""
    m, lo, hi = summary.median * scale, summary.low * scale, summary.high * scale
    return f"{m:.{digits}f} {unit} ({lo:.{digits}f}-{hi:.{digits}f}, n={summary.count})"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print its table; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=10_000, help="Pods in the snapshot (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each scan (default 3)")
    parser.add_argument("--repeat-startup", type=int, default=5, help="runs of each start-up measure (default 5)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--python", default=sys.executable, help="interpreter whose pykyverno is measured")
    parser.add_argument("--snapshot-format", choices=("json", "yaml"), default="json",
                        help="json: kubectl get pods -A -o json (default); yaml: multi-document YAML")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"rows to measure (default {','.join(ROWS)})")
    parser.add_argument("--json-out", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                        help="workers of the 'workers' row, set against one (default: the usable cores)")
    args = parser.parse_args(argv)
    rows = {r.strip() for r in args.rows.split(",") if r.strip()}
    if rows - set(ROWS):
        parser.error(f"unknown rows: {', '.join(sorted(rows - set(ROWS)))}")

    figures: dict[str, Any] = {"pods": args.pods, "policies": len(CONTROLS), "python": args.python,
                               "load_before": os.getloadavg()}
    print(f"# {args.pods} Pods x {len(CONTROLS)} policies ({POLICY_SET}); CLI: {args.python}")
    print(f"# {cpu_load()}")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp_name:
        tmp = Path(tmp_name)
        kubeconfig = tmp / "kubeconfig"
        kubeconfig.write_text(KUBECONFIG)
        env = child_env(kubeconfig)
        pods = generate_pods(args.pods, args.seed)
        snapshot = write_snapshot(pods, tmp / f"pods.{args.snapshot_format}", args.snapshot_format)
        expected = verdicts(pods)
        fails = sum(v == "fail" for v in expected.values())
        print(f"# snapshot {snapshot.stat().st_size / MB:.1f} MB ({args.snapshot_format}); hand-written verdicts: "
              f"{fails} fail / {len(expected)} pairs; {sum(1 for p in pods if all(expected[(p['metadata']['namespace'], p['metadata']['name'], c)] == 'pass' for c in CONTROLS))} Pods pass everything")
        scan = ("scan", "--snapshot", str(snapshot), "--policy-set", POLICY_SET)
        pairs = args.pods * len(CONTROLS)
        lines: list[str] = []

        if rows & {"ratio", "json"}:
            json_runs: list[ChildRun] = []
            py_wall: list[float] = []
            py_cpu: list[float] = []
            for i in range(args.repeat):
                wall, cpu = time_controls(pods)
                run = checked(run_child(cli(args.python, *scan, "-o", "json"), env, tmp / "out.json"), "scan -o json",
                              (0, 1))
                json_runs.append(run)
                py_wall.append(wall)
                py_cpu.append(cpu)
                if i == 0:
                    agree, total, wrong = agreement(tmp / "out.json", expected)
                    figures["agreement"] = [agree, total]
                    print(f"# verdicts: engine and hand-written controls agree on {agree}/{total} (Pod, policy) pairs")
                    for line in wrong:
                        print(f"#   differs: {line}")
            floor = summarize([time_python_end_to_end(snapshot, tmp / "py.json") for _ in range(args.repeat)])
            cli_wall = summarize([r.seconds for r in json_runs])
            cli_cpu = summarize([r.cpu_seconds for r in json_runs])
            ratio_wall = summarize([r.seconds / py for r, py in zip(json_runs, py_wall, strict=True)])
            ratio_cpu = summarize([r.cpu_seconds / py for r, py in zip(json_runs, py_cpu, strict=True)])
            json_rss = summarize([float(r.peak_rss) for r in json_runs])
            figures["json"] = {"seconds": cli_wall.to_dict(), "cpu_seconds": cli_cpu.to_dict(),
                               "peak_rss": json_rss.to_dict()}
            figures["python_controls"] = {"seconds": summarize(py_wall).to_dict(),
                                          "cpu_seconds": summarize(py_cpu).to_dict()}
            figures["python_end_to_end_seconds"] = floor.to_dict()
            figures["ratio"] = {"wall": ratio_wall.to_dict(), "cpu": ratio_cpu.to_dict()}
            if "ratio" in rows:
                lines.append(row("end-to-end scan cost per (Pod, policy), -o json",
                                 fmt(cli_wall, "us", 1e6 / pairs, 1), fmt(cli_cpu, "us", 1e6 / pairs, 1)))
                lines.append(row("hand-written Python per (Pod, control), same run",
                                 fmt(summarize(py_wall), "us", 1e6 / pairs, 2),
                                 fmt(summarize(py_cpu), "us", 1e6 / pairs, 2)))
                lines.append(row("ratio (per repeat, then median)", fmt(ratio_wall, "x", 1, 0),
                                 fmt(ratio_cpu, "x", 1, 0)))
                lines.append(row("(floor) hand-written Python in-process: parse + controls + JSON out, per pair",
                                 f"{fmt(floor, 'us', 1e6 / pairs, 2)}; CLI/floor {cli_wall.median / floor.median:.0f}x",
                                 ""))
            if "json" in rows:
                lines.append(row(f"{args.pods} Pods, -o json: time", fmt(cli_wall), fmt(cli_cpu)))
                lines.append(row(f"{args.pods} Pods, -o json: peak RSS", fmt(json_rss, "MB", 1 / MB, 0),
                                 "process tree (PSS): " + fmt(tree_pss(json_runs), "MB", 1 / MB, 0)))

        if "table" in rows:
            table_runs = [checked(run_child(cli(args.python, *scan, "-o", "table"), env), "scan -o table", (0, 1))
                          for _ in range(args.repeat)]
            table_wall = summarize([r.seconds for r in table_runs])
            table_cpu = summarize([r.cpu_seconds for r in table_runs])
            table_rss = summarize([float(r.peak_rss) for r in table_runs])
            figures["table"] = {"seconds": table_wall.to_dict(), "cpu_seconds": table_cpu.to_dict(),
                                "peak_rss": table_rss.to_dict()}
            lines.append(row(f"{args.pods} Pods, -o table: time", fmt(table_wall), fmt(table_cpu)))
            lines.append(row(f"{args.pods} Pods, -o table: peak RSS", fmt(table_rss, "MB", 1 / MB, 0),
                             "process tree (PSS): " + fmt(tree_pss(table_runs), "MB", 1 / MB, 0)))

        if "workers" in rows:
            for output in ("json", "table"):
                by_count: dict[int, list[ChildRun]] = {1: [], args.workers: []}
                for _ in range(args.repeat):  # alternated: a busy spell of the machine hits both
                    for count in by_count:
                        by_count[count].append(checked(run_child(
                            cli(args.python, *scan, "-o", output, "--workers", str(count)), env, tmp / "w.out"),
                            f"scan -o {output} --workers {count}", (0, 1)))
                figures[f"workers_{output}"] = {}
                for count, runs in by_count.items():
                    seconds, cpu_seconds = summarize([r.seconds for r in runs]), summarize([r.cpu_seconds for r in runs])
                    pss, rss = tree_pss(runs), summarize([float(r.tree_peak_rss) for r in runs])
                    figures[f"workers_{output}"][count] = {"seconds": seconds.to_dict(),
                                                           "cpu_seconds": cpu_seconds.to_dict(),
                                                           "tree_peak_pss": pss.to_dict(),
                                                           "tree_peak_rss": rss.to_dict()}
                    lines.append(row(f"{args.pods} Pods, -o {output}, --workers {count}: time (CPU of the tree)",
                                     fmt(seconds), fmt(cpu_seconds)))
                    lines.append(row(f"{args.pods} Pods, -o {output}, --workers {count}: peak memory of the tree",
                                     "PSS " + fmt(pss, "MB", 1 / MB, 0),
                                     "sum of RSS " + fmt(rss, "MB", 1 / MB, 0)))

        if "policies" in rows:
            runs = [checked(run_child(cli(args.python, "policies", "list"), env), "policies list")
                    for _ in range(args.repeat_startup)]
            listing_wall = summarize([r.seconds for r in runs])
            listing_cpu = summarize([r.cpu_seconds for r in runs])
            figures["policies_list"] = {"seconds": listing_wall.to_dict(), "cpu_seconds": listing_cpu.to_dict()}
            lines.append(row("pykyverno policies list, start to exit", fmt(listing_wall), fmt(listing_cpu)))

        if "mcp" in rows:
            serve = cli(args.python, "serve")
            raw = [mcp_raw_first_tools_list(serve, env) for _ in range(args.repeat_startup)]
            sdk = [mcp_sdk_first_tools_list(serve, env) for _ in range(args.repeat_startup)]
            raw_wall, raw_cpu = summarize([a.seconds for a in raw]), summarize([a.cpu_seconds for a in raw])
            sdk_wall, sdk_cpu = summarize([s for s, _ in sdk]), summarize([c for _, c in sdk])
            figures["mcp"] = {"raw_seconds": raw_wall.to_dict(), "raw_cpu_seconds": raw_cpu.to_dict(),
                              "sdk_seconds": sdk_wall.to_dict(), "sdk_cpu_seconds": sdk_cpu.to_dict(),
                              "tools": raw[0].tools, "wire_chars": raw[0].wire_chars,
                              "result_chars": raw[0].result_chars}
            lines.append(row("MCP stdio: start to first tools/list answer, raw JSON-RPC", fmt(raw_wall),
                             fmt(raw_cpu) + " (to exit)"))
            lines.append(row("MCP stdio: start to first tools/list answer, SDK client", fmt(sdk_wall),
                             fmt(sdk_cpu) + " (to exit)"))
            lines.append(row(f"tools/list answer ({raw[0].tools} tools)",
                             f"{raw[0].wire_chars} characters on the wire ({raw[0].result_chars} as "
                             "json.dumps(result) writes it)", ""))

    figures["load_after"] = os.getloadavg()
    print("| what | wall: median (min-max, n) | CPU of the process: median (min-max) |")
    print("|---|---|---|")
    for line in lines:
        print(line)
    print(f"# {cpu_load()}")
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    main()

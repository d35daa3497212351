"""``pykyverno scan``: scan clusters (kubeconfig contexts, in-cluster) or offline snapshots against policy sets."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import Any

from pykyverno.engine.policyset import PolicySet

from ..arguments import add_context_filters, seconds_arg
from ..core.policies import resolve_policies
from ..exit_codes import EXIT_FAILURES, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from ..kube import ClientRegistry, ClientSettings
from ..kube.errors import KubeError
from ..output import policy_report_parts, render_scan
from ..output_stream import output_target, write_scan_json, write_scan_yaml, write_yaml_documents
from ..policysets import PolicySetError, default_sets
from ..redaction import mask_data
from ..report.html import render_html
from ..scan import Scanner, ScanReport, ScanRequest, source_factories
from .report_cmd import sarif_text, write_output

DEFAULT_SCAN_TIMEOUT = 600.0

DEMO_SNAPSHOT = Path(__file__).resolve().parent.parent / "demo" / "snapshot.yaml"


def add_parser(sub: Any) -> None:
    """Register the ``scan`` subcommand."""
    p = sub.add_parser("scan", help="scan clusters or snapshots against policy sets")
    p.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    p.add_argument("--context", action="append", default=[], help="context to scan (repeatable)")
    p.add_argument("--all-contexts", action="store_true", help="scan every context of the kubeconfig")
    p.add_argument("-n", "--namespace", action="append", default=[], help="namespace to scan (repeatable)")
    p.add_argument("-A", "--all-namespaces", action="store_true", help="scan every namespace (the default)")
    p.add_argument("--exclude-namespace", action="append", default=[], help="namespace to leave out (repeatable)")
    p.add_argument("--policy-set", action="append", default=[], help="bundled policy set (repeatable)")
    p.add_argument("--policy", action="append", default=[], help="policy file or folder (repeatable)")
    p.add_argument("--snapshot", help="scan manifests (a file or folder, e.g. kubectl get -A -o yaml) offline")
    p.add_argument("--demo", action="store_true", help="scan the bundled demo snapshot")
    p.add_argument(
        "-o",
        "--output",
        default="table",
        choices=["table", "markdown", "json", "yaml", "policyreport", "html", "sarif"],
    )
    p.add_argument("--output-file", metavar="FILE", help="write the output to FILE instead of standard output")
    p.add_argument("--timeout", type=float, default=10.0, help="per-request timeout in seconds (default 10)")
    p.add_argument("--scan-timeout", type=seconds_arg, default=DEFAULT_SCAN_TIMEOUT, metavar="SECONDS",
                   help=f"the whole scan's deadline (default {DEFAULT_SCAN_TIMEOUT:g}; 0: none); what is not scanned "
                        "by then is listed as not scanned and the exit code is 3")
    add_context_filters(p)
    p.add_argument("--progress", action="store_true", help="print progress on stderr even when not a terminal")
    p.set_defaults(run=run)


def _progress_printer(enabled: bool) -> Any:
    if not enabled:
        return None

    def show(done: float, total: float, message: str) -> None:
        print(f"\r[{done:.0f}/{total:.0f}] {message}\x1b[K", end="", file=sys.stderr, flush=True)

    return show


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno scan``."""
    snapshot = str(DEMO_SNAPSHOT) if args.demo else (args.snapshot or "")
    if snapshot and (args.context or args.all_contexts):
        print("error: --snapshot/--demo cannot be combined with --context/--all-contexts", file=sys.stderr)
        return EXIT_USAGE
    if args.output == "sarif" and not snapshot:
        print("error: -o sarif locates findings in files: scan manifests with --snapshot (or use apply)",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        policies = resolve_policies(args.policy_set, args.policy)
    except PolicySetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    request = ScanRequest(
        contexts=tuple(args.context),
        all_contexts=args.all_contexts,
        namespaces=tuple(args.namespace),
        exclude_namespaces=tuple(args.exclude_namespace),
        snapshot=snapshot,
        # Like `kubectl get -n NS`: a namespace scan is about namespaced objects (and the Namespace itself).
        include_cluster_scoped=not args.namespace,
        policy_sets=tuple(args.policy_set or (() if args.policy else default_sets())),
        timeout=args.scan_timeout if args.scan_timeout > 0 else None,
    )
    registry = None
    if not snapshot:
        try:
            settings = ClientSettings(
                timeout=args.timeout,
                allow=frozenset(args.context_allow) if args.context_allow else None,
                deny=frozenset(args.context_deny),
            )
            registry = ClientRegistry.from_kubeconfig(args.kubeconfig, settings=settings)
        except KubeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        sources = source_factories(request, registry)
    except (KubeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    scanner = Scanner(policies.policies, policies.exceptions)
    show = _progress_printer(args.progress or sys.stderr.isatty())
    try:
        report = scanner.scan(sources, request, progress=show, cancel=threading.Event())
    finally:
        if show is not None:
            print("", file=sys.stderr)
        if registry is not None:
            registry.close()
    report.policy_issues = [str(i) for i in policies.issues]
    _print(report, args.output, args.output_file, policies, snapshot)
    if report.has_errors:
        return EXIT_INCOMPLETE
    return EXIT_FAILURES if report.has_failures else EXIT_OK


def _print(report: ScanReport, fmt: str, output_file: str | None, policies: PolicySet, snapshot: str) -> None:
    # Structured outputs are masked as data, before they are serialised (escaping and folding hide patterns from a
    # text mask); tables as text. Standard output is masked as text once more by the CLI.
    if fmt in ("json", "yaml", "policyreport"):  # streamed: the results are masked and encoded a chunk at a time
        with output_target(output_file) as out:
            if fmt == "json":
                write_scan_json(report, out)
            elif fmt == "yaml":
                write_scan_yaml(report, out)
            else:
                write_yaml_documents(policy_report_parts(report.results), out)
        return
    if fmt == "html":
        text = render_html(mask_data(report.to_dict()))
    elif fmt == "sarif":
        problems = [*report.policy_issues, *(f.message for c in report.clusters for f in c.failures)]
        text = sarif_text(report.results, [snapshot], policies.sources, problems, normalize=False)
    else:
        write_output(render_scan(report, fmt), output_file, masked=False)
        return
    write_output(text, output_file, masked=True)

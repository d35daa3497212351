"""``pykyverno scan``: scan clusters (kubeconfig contexts, in-cluster) or offline snapshots against policy sets."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import threading
from pathlib import Path
from typing import Any

from pykyverno.engine.policyset import PolicySet

from ..arguments import add_context_filters, add_exit_flags, seconds_arg
from ..core.errors import InputError
from ..core.names import UnknownNameError
from ..core.namespaces import require_cluster_namespaces, require_snapshot_namespaces, snapshot_namespaces
from ..core.policies import resolve_policies
from ..exit_codes import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, results_exit_code
from ..kube import ClientRegistry, ClientSettings
from ..kube.errors import KubeError
from ..output import SEVERITY_ORDER, FindingFilter, policy_report_parts, render_scan
from ..output_stream import output_target, write_scan_json, write_scan_yaml, write_yaml_documents
from ..policysets import PolicySetError, default_sets
from ..redaction import mask_data
from ..report.html import render_html
from ..scan import (
    Scanner,
    ScanReport,
    ScanRequest,
    ScanSource,
    SnapshotSource,
    SourceFactory,
    left_out_of_scans,
    scannable,
    source_factories,
)
from ..scan.result_store import ResultStore
from ..scan.workers import MIN_OBJECTS, default_workers
from ..terminal import ScanProgress, print_scan
from .inputs import (
    STDIN,
    STDIN_NAME,
    check_policy_sets,
    load_errors,
    split_stdin,
    stdin_documents,
    stdin_policies,
    unsupported_rules,
)
from .report_cmd import sarif_text, write_output
from .write_support import publish_scan_reports

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
    p.add_argument("--policy", action="append", default=[],
                   help="policy file or folder (repeatable; '-' for standard input)")
    p.add_argument("--snapshot", help="scan manifests (a file or folder, e.g. kubectl get -A -o yaml, or '-' for "
                   "standard input) offline")
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
    p.add_argument("--workers", type=_workers_arg, metavar="N",
                   help="processes that evaluate a large scan (default 1: evaluate in this process; 0: the cores this "
                        f"process may use; scans of fewer than {MIN_OBJECTS} snapshot objects always use one)")
    add_context_filters(p)
    p.add_argument("--progress", action="store_true",
                   help="print progress lines on stderr when it is not a terminal (a terminal always gets a bar)")
    p.add_argument("--fail-only", action="store_true",
                   help="list only failing findings in tables (errors are always listed; counts include everything)")
    p.add_argument("--severity", choices=[s for s in SEVERITY_ORDER if s], metavar="LEVEL",
                   help="list only findings of this severity or worse in tables (critical, high, medium, low, info)")
    p.add_argument("--summary", action="store_true",
                   help="tables show the summary and the failing policies, not each finding (for large scans)")
    add_exit_flags(p)
    p.add_argument("--publish-reports", action="store_true",
                   help="write the results as PolicyReports in each scanned cluster (dry run unless --yes)")
    p.add_argument("--yes", action="store_true", help="with --publish-reports: write the reports")
    p.set_defaults(run=run)


def _workers_arg(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if count < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (the usable cores) or more, not {count}")
    return count


def _workers(started: int, snapshot: SnapshotSource | None) -> int:
    """How many processes evaluate the scan: the workers started, but one for a small snapshot, whose scan would
    not gain what handing objects to workers costs."""
    if snapshot is not None and sum(len(items) for items in snapshot.objects.values()) < MIN_OBJECTS:
        return 1
    return max(1, started)


def _snapshot_source(path: str) -> SnapshotSource:
    """The snapshot to scan (``-``: standard input); :class:`InputError` when the path does not exist."""
    if path == STDIN:
        problems: list[str] = []
        objects = [doc.data for doc in stdin_documents(problems)]
        source = SnapshotSource(STDIN_NAME, objects)
        source.problems.extend(problems)
        return source
    if not Path(path).exists():
        raise InputError(f"snapshot {path} does not exist")
    return SnapshotSource(path)


def _fixed(source: ScanSource) -> SourceFactory:
    """A factory of an already opened source."""
    return source.name, lambda: source


def _check_names(args: argparse.Namespace, registry: ClientRegistry | None, snapshot: SnapshotSource | None) -> None:
    """Contexts and namespaces that do not exist are errors naming them (with close matches), before any scan."""
    if snapshot is not None:
        objects = [o for items in snapshot.objects.values() for o in items]
        require_snapshot_namespaces(args.namespace, objects, where=snapshot.name)
        known = snapshot_namespaces(objects)
        for name in args.exclude_namespace:
            if name not in known:
                _note_unknown_exclusion(UnknownNameError("namespace", name, known, where=snapshot.name))
        return
    if registry is None:
        return
    existing = registry.kubeconfig.names()
    for name in args.context:
        if name not in existing:
            raise UnknownNameError("context", name, registry.available(), where="the kubeconfig")
    if not args.namespace and not args.exclude_namespace:
        return
    clients = []
    for name in args.context or (registry.available() if args.all_contexts else [registry.resolve(None)]):
        try:
            clients.append(registry.client(name))
        except KubeError:
            continue  # the scan reports the context as not scanned, with the reason
    partial = require_cluster_namespaces(clients, args.namespace)
    for namespace, contexts in partial.items():
        print(f"note: namespace {namespace!r} does not exist in {', '.join(map(repr, contexts))}", file=sys.stderr)
    for name in args.exclude_namespace:
        try:
            require_cluster_namespaces(clients, [name])
        except UnknownNameError as exc:  # excluding what is not there changes nothing, but may be a typo
            _note_unknown_exclusion(exc)


def _note_unknown_exclusion(exc: UnknownNameError) -> None:
    """A note on stderr: an ``--exclude-namespace`` name that does not exist (with its close matches)."""
    print(f"note: --exclude-namespace {exc.name!r} excludes nothing: {exc}", file=sys.stderr)


def _audit_as_warn(report: ScanReport) -> None:
    """``--audit-warn``: failures of policies without the Deny action become warnings, as in ``kyverno apply``."""
    for cluster in report.clusters:
        cluster.results = ResultStore(
            dataclasses.replace(r, result="warn") if r.result == "fail" and "Deny" not in r.actions else r
            for r in cluster.results
        )


def _load_policies(args: argparse.Namespace) -> tuple[PolicySet, list[str]]:
    check_policy_sets(args.policy_set)
    paths, with_stdin = split_stdin(args.policy, "--policy")
    if with_stdin and args.snapshot == STDIN:
        raise InputError("--policy - and --snapshot - cannot both read standard input")
    # `--policy -` is a policy given: the default sets apply only when no policy at all was named.
    policies = resolve_policies(args.policy_set, paths, defaults=not with_stdin)
    if with_stdin:
        policies.extend(stdin_policies())
    return policies, [*load_errors(policies), *unsupported_rules(policies)]


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno scan``."""
    snapshot = str(DEMO_SNAPSHOT) if args.demo else (args.snapshot or "")
    if snapshot and (args.context or args.all_contexts):
        print("error: --snapshot/--demo cannot be combined with --context/--all-contexts", file=sys.stderr)
        return EXIT_USAGE
    if (args.yes and not args.publish_reports) or (args.publish_reports and snapshot):
        print("error: --publish-reports writes to the scanned clusters (not with --snapshot/--demo); --yes goes "
              "with it", file=sys.stderr)
        return EXIT_USAGE
    if args.output == "sarif" and not snapshot:
        print("error: -o sarif locates findings in files: scan manifests with --snapshot (or use apply)",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        policies, problems = _load_policies(args)
    except PolicySetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not policies.policies:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print("error: no policy to scan with: every policy given failed to load", file=sys.stderr)
        return EXIT_INCOMPLETE
    left_out = left_out_of_scans(policies.policies)
    if not scannable(policies.policies):
        for reason in left_out:
            print(f"error: {reason}", file=sys.stderr)
        print("error: no policy to scan with: none of the policies given runs in scans (use apply to evaluate them "
              "on manifests)", file=sys.stderr)
        return EXIT_INCOMPLETE
    if args.policy:
        for reason in left_out:
            print(f"note: not scanned: {reason}", file=sys.stderr)
    scanner = Scanner(policies.policies, policies.exceptions)
    # The workers are forked now: after the policies are compiled (they cannot be sent), before the snapshot is read
    # (they never hold it: what they evaluate is sent to them) and before the scan starts any thread.
    # One process by default: measured on 2 cores, handing objects to workers and merging their results cost more
    # CPU than evaluation (a third of a 10k-Pod scan once batched) can save (README, "Large scans").
    asked = default_workers() if args.workers == 0 else (args.workers or 1)
    if asked > 1:
        scanner.start_workers(asked)
    try:
        return _scan(args, scanner, policies, problems, snapshot)
    finally:
        scanner.stop_workers()


def _scan(args: argparse.Namespace, scanner: Scanner, policies: PolicySet, problems: list[str], snapshot: str) -> int:
    """The scan itself, once the policies are loaded."""
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
    source = _snapshot_source(snapshot) if snapshot else None
    if source is not None and not source.objects and not source.problems:  # nothing to evaluate is not clean
        source.problems.append(f"no resources found in {STDIN_NAME if snapshot == STDIN else snapshot}: nothing was "
                               "scanned")
    try:
        if source is None:
            settings = ClientSettings(
                timeout=args.timeout,
                allow=frozenset(args.context_allow) if args.context_allow else None,
                deny=frozenset(args.context_deny),
            )
            registry = ClientRegistry.from_kubeconfig(args.kubeconfig, settings=settings)
        _check_names(args, registry, source)
        sources = [_fixed(source)] if source is not None else source_factories(request, registry)
    except (KubeError, ValueError) as exc:
        if registry is not None:
            registry.close()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InputError:
        if registry is not None:
            registry.close()
        raise
    request = dataclasses.replace(request, workers=_workers(scanner.workers, source))
    if request.workers == 1:
        scanner.stop_workers()
    progress = ScanProgress(terminal=sys.stderr.isatty(), plain=args.progress)
    try:
        with progress:
            report = scanner.scan(sources, request, progress=progress.callback, cancel=threading.Event())
        report.policy_issues = problems
        # Published PolicyReports carry the results as evaluated (--audit-warn is about this run's output and exit).
        published = publish_scan_reports(registry, report, request, yes=args.yes) \
            if args.publish_reports and registry is not None else EXIT_OK
    finally:
        if registry is not None:
            registry.close()
    if args.output not in ("table", "markdown"):  # tables list them; other formats carry them as data, and stderr
        for problem in problems:                  # says so to whoever reads only the exit code and the log
            print(f"error: {problem}", file=sys.stderr)
    if args.audit_warn:
        _audit_as_warn(report)
    keep = FindingFilter(fail_only=args.fail_only, min_severity=args.severity or "", summary=args.summary)
    _print(report, args.output, args.output_file, policies, snapshot, keep)
    incomplete = report.incomplete or bool(problems) or published != EXIT_OK
    return results_exit_code(report.summary(), incomplete=incomplete, warn_exit_code=args.warn_exit_code,
                             warn_no_pass=args.warn_no_pass)


def _print(report: ScanReport, fmt: str, output_file: str | None, policies: PolicySet, snapshot: str,
           keep: FindingFilter) -> None:
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
    elif fmt == "table" and not output_file:
        plain = print_scan(report, keep)
        if plain is not None:
            write_output(plain, None, masked=False)
        return
    else:
        write_output(render_scan(report, fmt, keep=keep), output_file, masked=False)
        return
    write_output(text, output_file, masked=True)

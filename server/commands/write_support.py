"""What the write commands share (``install``, ``uninstall``, ``exception``, ``scan --publish-reports``): their
cluster flags, and running a change set through the dry run, then, with ``--yes``, applying it.

Without ``--yes`` a command only plans: every object is dry-run by the API server and the plan is printed; nothing is
written. With ``--yes`` the dry run still comes first and a plan the API server refuses writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

import yaml

from ..arguments import add_context_filters
from ..exit_codes import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from ..kube import ClientRegistry, ClientSettings, KubeClient, kubeconfig_paths
from ..kube.errors import ClusterError, KubeconfigError, KubeError, NotFound
from ..redaction import mask_data
from ..scan import ScanReport, ScanRequest
from ..writes import Changeset, ReportError, WriteFlow, WriteOutcome, WriteRequest, publish_changeset
from ..writes.operations import publishable


def add_write_arguments(p: Any, *, context: bool = True) -> None:
    """``--kubeconfig``, ``--context``, the context filters, ``--timeout``, ``--yes`` and ``-o``."""
    p.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    if context:
        p.add_argument("--context", help="context to write to (default: the kubeconfig's current context)")
        add_context_filters(p)
        p.add_argument("--timeout", type=float, default=10.0, help="per-request timeout in seconds (default 10)")
    p.add_argument("--yes", action="store_true",
                   help="apply the plan (default: dry run only, nothing is written); the API server's dry run "
                   "still comes first and a refused plan writes nothing")
    p.add_argument("-o", "--output", default="text", choices=["text", "json", "yaml"], help="default: text")


def open_registry(args: argparse.Namespace) -> ClientRegistry:
    """The client registry of the command's kubeconfig and context filters (:class:`KubeError` when unusable, e.g.
    when no kubeconfig file exists: said as such rather than as a missing current context)."""
    settings = ClientSettings(
        timeout=args.timeout,
        allow=frozenset(args.context_allow) if args.context_allow else None,
        deny=frozenset(args.context_deny),
    )
    found = kubeconfig_paths(args.kubeconfig)  # raises for a --kubeconfig that does not exist
    registry = ClientRegistry.from_kubeconfig(args.kubeconfig, settings=settings)
    if not found and not registry.available():
        registry.close()
        env = os.environ.get("KUBECONFIG", "")
        where = f"$KUBECONFIG ({env}) names no existing file" if env else "~/.kube/config does not exist"
        raise KubeconfigError(f"no kubeconfig: {where} and this is not a pod with a service account; use "
                              "--kubeconfig or set KUBECONFIG")
    return registry


def error_exit(exc: Exception) -> int:
    """The exit code of a write command that stopped on ``exc``: 3 when the cluster could not be reached or
    refused a request (nothing was checked or written), 2 for bad arguments, kubeconfig or input."""
    if isinstance(exc, ClusterError) and not isinstance(exc, NotFound):
        return EXIT_INCOMPLETE
    return EXIT_USAGE


def plan_or_apply(registry: ClientRegistry, context: str | None, tool: str, changeset: Changeset, *,
                  yes: bool) -> WriteOutcome:
    """Dry-run ``changeset`` in ``context``; with ``yes``, execute it when the API server allows every object."""
    client = registry.client(context)
    flow = WriteFlow()
    request = WriteRequest(tool, {})
    if yes:
        return flow.apply_now(client, request, changeset)
    plan = flow.plan(client, tool, changeset)
    if not plan.allowed:
        names = "; ".join(f"{c.ref}: {c.verdict}" for c in plan.blocked)
        return WriteOutcome("blocked", plan, message=f"The API server's dry run refused some objects ({names}); "
                                                     "nothing can be applied until that is resolved.")
    if not plan.has_writes:
        return WriteOutcome("unchanged", plan, message="Nothing to do: the cluster already matches.")
    return WriteOutcome("planned", plan, message="Dry run only: nothing was written. Run again with --yes to apply "
                                                 "this plan.")


def exit_code(outcome: WriteOutcome) -> int:
    """0 for a plan, an applied or an unchanged write; 3 when the API server refused or a write failed."""
    return EXIT_OK if outcome.ok else EXIT_INCOMPLETE


def print_outcome(outcome: WriteOutcome, fmt: str, stream: TextIO | None = None) -> None:
    """The outcome as text (plan table and diffs, or results), JSON or YAML."""
    out = stream or sys.stdout
    if fmt == "json":
        print(json.dumps(mask_data(outcome.to_dict()), indent=2), file=out)
    elif fmt == "yaml":
        print(yaml.safe_dump(mask_data(outcome.to_dict()), sort_keys=False), end="", file=out)
    else:
        print(outcome.render(), file=out)


def run_write(args: argparse.Namespace, tool: str, changeset_of: Callable[[KubeClient], Changeset],
              errors: tuple[type[Exception], ...]) -> int:
    """Plan (or, with ``--yes``, apply) the change set ``changeset_of`` builds for the command's context and print
    the outcome; an exception of ``errors`` (or :class:`KubeError`) is said on standard error with its exit code."""
    caught: tuple[type[Exception], ...] = (*errors, KubeError)
    try:
        with open_registry(args) as registry:
            client = registry.client(args.context)
            changeset = changeset_of(client)
            outcome = plan_or_apply(registry, client.context, tool, changeset, yes=args.yes)
    except caught as exc:
        print(f"error: {exc}", file=sys.stderr)
        return error_exit(exc)
    print_outcome(outcome, args.output)
    return exit_code(outcome)


def publish_scan_reports(registry: ClientRegistry, report: ScanReport, request: ScanRequest, *, yes: bool) -> int:
    """``scan --publish-reports``: each scanned context's results as PolicyReports in that context (a dry run
    unless ``yes``), reported on standard error. 3 when a scan was incomplete (never published: its reports would
    show what was not scanned as clean) or the API server refused a report; else 0."""
    code = EXIT_OK
    refused = publishable(ScanReport(cancelled=report.cancelled))
    for cluster in report.clusters:
        problems = refused or publishable(ScanReport(clusters=[cluster]))
        if problems:
            print(f"error: context {cluster.context!r}: the scan was incomplete, so no report is published: "
                  f"{'; '.join(problems[:5])}", file=sys.stderr)
            code = EXIT_INCOMPLETE
            continue
        try:
            client = registry.client(cluster.context)
            changeset = publish_changeset(client, cluster.results, namespaces=list(request.namespaces) or None,
                                          include_cluster=request.include_cluster_scoped,
                                          exclude=request.exclude_namespaces)
            outcome = plan_or_apply(registry, cluster.context, "publish_reports", changeset, yes=yes)
        except (ReportError, KubeError) as exc:
            print(f"error: context {cluster.context!r}: reports not published: {exc}", file=sys.stderr)
            code = EXIT_INCOMPLETE
            continue
        for change in outcome.plan.changes:
            change.diff = ""  # a report's diff is every result: the table says enough
        print(f"Reports for context {cluster.context!r}:", file=sys.stderr)
        print_outcome(outcome, "text", sys.stderr)
        code = max(code, exit_code(outcome))
    return code


__all__ = ["add_write_arguments", "error_exit", "exit_code", "open_registry", "plan_or_apply", "print_outcome",
           "publish_scan_reports", "run_write"]

"""``pykyverno install``: install a bundled policy set (or ``--policy`` files) in a cluster. A dry run unless
``--yes``: the plan shows each policy with its server-side-apply diff and the API server's verdict."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from pykyverno.engine.loader import load_policies

from ..exit_codes import EXIT_USAGE
from ..kube import KubeClient
from ..policysets import PolicySetError, load_set
from ..writes import Changeset, InstallError, VersionError, install_changeset
from ..writes.operations import enforce_denials
from .write_support import add_write_arguments, run_write

DEFAULT_SCAN_TIMEOUT = 600.0


def add_parser(sub: Any) -> None:
    """Register the ``install`` subcommand."""
    p = sub.add_parser("install", help="install a policy set in a cluster (dry run unless --yes)")
    p.add_argument("set", nargs="?", help="bundled policy set, e.g. pod-security-baseline")
    p.add_argument("--policy", action="append", default=[], metavar="PATH",
                   help="policies.kyverno.io policy file or folder to install as set 'custom' (repeatable)")
    p.add_argument("--mode", choices=["Audit", "Enforce"], default="Audit",
                   help="Audit (default): report violations; Enforce: deny them (the cluster is scanned first to "
                   "show how many existing objects would be denied)")
    p.add_argument("--force", action="store_true", help="take over fields another field manager owns")
    p.add_argument("--scan-timeout", type=float, default=DEFAULT_SCAN_TIMEOUT, metavar="SECONDS",
                   help=f"deadline of the scan Enforce needs (default {DEFAULT_SCAN_TIMEOUT:g})")
    add_write_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno install``."""
    if not args.set and not args.policy:
        print("error: name a policy set or give --policy paths", file=sys.stderr)
        return EXIT_USAGE
    documents: list[dict[str, Any]] = []
    if args.policy:
        loaded = load_policies(args.policy)
        if loaded.errors:
            print("\n".join(f"error: {issue}" for issue in loaded.errors), file=sys.stderr)
            return EXIT_USAGE
        documents = [dict(doc) for doc in loaded.sources.values()]
    try:
        if args.set:
            load_set(args.set)  # an unknown set is an argument error, found before contacting the cluster
    except PolicySetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def changeset_of(client: KubeClient) -> Changeset:
        denials = None
        if args.mode == "Enforce":
            policies = load_set(args.set) if args.set else load_policies(args.policy)
            if args.set and args.policy:
                policies.extend(load_policies(args.policy))
            denials = enforce_denials(client, policies, timeout=args.scan_timeout or None, cancel=threading.Event())
        changeset = install_changeset(client, args.set, mode=args.mode, denials=denials, documents=documents)
        changeset.force = args.force
        return changeset

    return run_write(args, "install_policy_set", changeset_of, (InstallError, VersionError, PolicySetError))

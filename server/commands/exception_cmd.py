"""``pykyverno exception``: draft a PolicyException for resources in a cluster that fail a bundled policy, scoped
as narrowly as possible and expiring; print it, dry-run it, and with ``--yes`` create it.

Standard output gets the exception as YAML (``-o text``, the default) or the draft and the outcome (``-o json``/
``yaml``); the plan or the result of the write goes to standard error in text mode.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import yaml

from ..core.errors import InputError
from ..kube.errors import KubeError
from ..policysets import PolicySetError
from ..redaction import mask_data
from ..writes import ExceptionError, draft_policy_exception
from ..writes.exceptions import parse_duration
from ..writes.operations import TargetRef, bundled_policy, fetch_targets
from .write_support import add_write_arguments, error_exit, exit_code, open_registry, plan_or_apply, print_outcome


def add_parser(sub: Any) -> None:
    """Register the ``exception`` subcommand."""
    p = sub.add_parser("exception", help="draft a PolicyException for failing resources (created with --yes)")
    p.add_argument("policy", help="the bundled policy, e.g. disallow-host-path")
    p.add_argument("resource", nargs="+", help="Kind/namespace/name (Kind/name when cluster-scoped), e.g. "
                   "Deployment/team-b/logger; a pod controller also covers its Pods")
    p.add_argument("--reason", required=True, help="why the exception is needed (recorded in it)")
    p.add_argument("--expires-in", default="7d", metavar="DURATION", help="lifetime, e.g. 7d, 12h, 1w (default 7d)")
    add_write_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno exception``."""
    try:
        refs = [TargetRef.parse(r) for r in args.resource]
        policy = bundled_policy(args.policy)
        parse_duration(args.expires_in)  # argument errors are found before contacting the cluster
        if not args.reason.strip():
            raise ExceptionError("a reason is required: it is recorded in the exception")
        with open_registry(args) as registry:
            client = registry.client(args.context)
            targets, others = fetch_targets(client, refs)
            draft = draft_policy_exception(policy, targets, reason=args.reason, expires_in=args.expires_in,
                                           others=others)
            outcome = plan_or_apply(registry, client.context, "create_policy_exception", draft.changeset(),
                                    yes=args.yes)
    except (InputError, ExceptionError, PolicySetError, KubeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return error_exit(exc)
    if args.output == "text":
        print(draft.yaml, end="")
        for warning in draft.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print_outcome(outcome, "text", sys.stderr)
    else:
        data = mask_data({"draft": draft.to_dict(), "outcome": outcome.to_dict()})
        print(json.dumps(data, indent=2) if args.output == "json" else yaml.safe_dump(data, sort_keys=False),
              end="\n" if args.output == "json" else "")
    return exit_code(outcome)

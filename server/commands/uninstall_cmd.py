"""``pykyverno uninstall``: remove the policies of a set that pykyverno installed (found by their labels; nothing
else is deleted). A dry run unless ``--yes``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..exit_codes import EXIT_USAGE
from ..kube.errors import KubeError
from ..policysets import PolicySetError, get_set
from ..writes import InstallError, uninstall_changeset
from ..writes.policysets import CUSTOM_SET
from .write_support import add_write_arguments, error_exit, exit_code, open_registry, plan_or_apply, print_outcome


def add_parser(sub: Any) -> None:
    """Register the ``uninstall`` subcommand."""
    p = sub.add_parser("uninstall", help="remove a policy set pykyverno installed (dry run unless --yes)")
    p.add_argument("set", help="the policy set (or 'custom' for policies installed with --policy)")
    add_write_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno uninstall``."""
    if args.set != CUSTOM_SET:
        try:
            get_set(args.set)  # an unknown set is an argument error, found before contacting the cluster
        except PolicySetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        with open_registry(args) as registry:
            client = registry.client(args.context)
            changeset = uninstall_changeset(client, args.set)
            outcome = plan_or_apply(registry, client.context, "uninstall_policy_set", changeset, yes=args.yes)
    except (PolicySetError, InstallError, KubeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return error_exit(exc)
    print_outcome(outcome, args.output)
    return exit_code(outcome)

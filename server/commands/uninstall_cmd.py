"""``pykyverno uninstall``: remove the policies of a set that pykyverno installed (found by their labels; nothing
else is deleted). A dry run unless ``--yes``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..exit_codes import EXIT_USAGE
from ..policysets import PolicySetError, get_set
from ..writes import InstallError, uninstall_changeset
from ..writes.policysets import CUSTOM_SET
from .write_support import add_write_arguments, run_write


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
    return run_write(args, "uninstall_policy_set", lambda client: uninstall_changeset(client, args.set),
                     (PolicySetError, InstallError))

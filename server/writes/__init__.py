"""The write half of pykyverno (off unless writes are enabled): plan, confirm and execute changes to a cluster.

- :mod:`.flow`: the dry-run / confirm flow every write goes through (:class:`WriteFlow`, :class:`Changeset`,
  :class:`WriteRequest`);
- :mod:`.tokens`: short-lived, single-use confirmation tokens;
- :mod:`.model`: plans, verdicts, results, and the ``app.kubernetes.io/managed-by: pykyverno`` label;
- :mod:`.diff`: live-versus-planned differences;
- :mod:`.versions`: the ``policies.kyverno.io`` version a cluster serves, and conversion to it;
- :mod:`.policysets`: install / uninstall of bundled policy sets (``install_changeset``, ``uninstall_changeset``);
- :mod:`.kyverno`: ``check_kyverno`` (installation, health, installed sets, install commands);
- :mod:`.exceptions`: ``draft_policy_exception``;
- :mod:`.reports`: ``publish_changeset`` (``publish_reports``) and ``read_reports`` (both report APIs).

The cluster-facing write requests live in :mod:`pykyverno.server.kube.writes`.
"""

from .exceptions import ExceptionDraft, ExceptionError, draft_policy_exception
from .flow import Changeset, WriteFlow, WriteRequest, mark_managed
from .kyverno import KyvernoStatus, check_kyverno, install_commands
from .model import MANAGED_BY, MANAGED_BY_LABEL, ObjectRef, Plan, PlannedChange, WriteOutcome, is_managed
from .policysets import InstallError, denial_counts, install_changeset, uninstall_changeset
from .reports import ReportError, ReportListing, publish_changeset, read_reports
from .tokens import ConfirmationTokens, arguments_digest
from .versions import VersionError

__all__ = [
    "MANAGED_BY",
    "MANAGED_BY_LABEL",
    "Changeset",
    "ConfirmationTokens",
    "ExceptionDraft",
    "ExceptionError",
    "InstallError",
    "KyvernoStatus",
    "ObjectRef",
    "Plan",
    "PlannedChange",
    "ReportError",
    "ReportListing",
    "VersionError",
    "WriteFlow",
    "WriteOutcome",
    "WriteRequest",
    "arguments_digest",
    "check_kyverno",
    "denial_counts",
    "draft_policy_exception",
    "install_changeset",
    "install_commands",
    "is_managed",
    "mark_managed",
    "publish_changeset",
    "read_reports",
    "uninstall_changeset",
]

"""The write half of pykyverno (off unless writes are enabled): plan, confirm and execute changes to a cluster.

- :mod:`.flow`: the dry-run / confirm flow (:class:`WriteFlow`, :class:`Changeset`, :class:`WriteRequest`);
- :mod:`.tokens`: short-lived confirmation tokens;
- :mod:`.model`: plans, verdicts, results, and the ``app.kubernetes.io/managed-by: pykyverno`` label;
- :mod:`.diff`: live-versus-planned differences.
"""

from .flow import Changeset, WriteFlow, WriteRequest, mark_managed
from .model import MANAGED_BY, MANAGED_BY_LABEL, ObjectRef, Plan, PlannedChange, WriteOutcome, is_managed
from .tokens import ConfirmationTokens, arguments_digest

__all__ = [
    "MANAGED_BY",
    "MANAGED_BY_LABEL",
    "Changeset",
    "ConfirmationTokens",
    "ObjectRef",
    "Plan",
    "PlannedChange",
    "WriteFlow",
    "WriteOutcome",
    "WriteRequest",
    "arguments_digest",
    "is_managed",
    "mark_managed",
]

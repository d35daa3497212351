"""The annotations policies carry that pykyverno reads (Kyverno's, and pykyverno's own remediation text)."""

TITLE = "policies.kyverno.io/title"
CATEGORY = "policies.kyverno.io/category"
SEVERITY = "policies.kyverno.io/severity"
DESCRIPTION = "policies.kyverno.io/description"
#: ``"false"`` turns a failure into a warning in reports.
SCORED = "policies.kyverno.io/scored"
#: How to fix a violation, shown by ``explain_violation`` and ``describe``.
REMEDIATION = "pykyverno.io/remediation"

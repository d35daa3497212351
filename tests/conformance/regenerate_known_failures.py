"""Rewrite known_failures.py from the current engine: ``python -m tests.conformance.regenerate_known_failures``
(``--legacy``: known_failures_legacy.py, for ``../shared/conformance-legacy``).

Reasons are the runner's own explanation of each mismatch, so they always describe the current behaviour.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._suite import find_legacy_suite, find_suite, run_suite

HEADER = '''"""Conformance pairs pykyverno does not yet agree with Kyverno on, by stable case id, with the reason.

A listed pair still counts as a failure in the pass rates; a listed pair that starts passing fails
``test_known_failures_are_exact`` until it is removed. Regenerate with
``python -m tests.conformance.regenerate_known_failures`` (``--legacy`` for the kyverno.io/v1 suites).
"""
'''


def main() -> int:
    legacy = "--legacy" in sys.argv[1:]
    root = find_legacy_suite() if legacy else find_suite()
    if root is None:
        print("conformance suite not found", file=sys.stderr)
        return 2
    failing = {}
    for case in run_suite(Path(root)):
        if not case.outcome.passed:
            reason = " ".join(case.outcome.reason.split())[:300]
            failing[case.id] = reason or f"expected {case.outcome.expected}, got {case.outcome.actual}"
    name = "known_failures_legacy.py" if legacy else "known_failures.py"
    variable = "LEGACY_KNOWN_FAILURES" if legacy else "KNOWN_FAILURES"
    target = Path(__file__).with_name(name)
    lines = [f"    {case_id!r}: {reason!r}," for case_id, reason in sorted(failing.items())]
    body = "{\n" + "\n".join(lines) + ("\n" if lines else "") + "}\n"
    target.write_text(HEADER + f"\n{variable}: dict[str, str] = " + body)
    print(f"{len(failing)} known failures written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

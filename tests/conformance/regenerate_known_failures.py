"""Rewrite known_failures.py from the current engine: ``python -m tests.conformance.regenerate_known_failures``.

Reasons are the runner's own explanation of each mismatch, so they always describe the current behaviour.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._suite import find_suite, run_suite

HEADER = '''"""Conformance pairs pykyverno does not yet agree with Kyverno on, by stable case id, with the reason.

A listed pair still counts as a failure in the pass rates; a listed pair that starts passing fails
``test_known_failures_are_exact`` until it is removed. Regenerate with
``python -m tests.conformance.regenerate_known_failures``.
"""

KNOWN_FAILURES: dict[str, str] = '''


def main() -> int:
    root = find_suite()
    if root is None:
        print("conformance suite not found", file=sys.stderr)
        return 2
    failing = {}
    for case in run_suite(Path(root)):
        if not case.outcome.passed:
            reason = " ".join(case.outcome.reason.split())[:300]
            failing[case.id] = reason or f"expected {case.outcome.expected}, got {case.outcome.actual}"
    target = Path(__file__).with_name("known_failures.py")
    lines = [f"    {case_id!r}: {reason!r}," for case_id, reason in sorted(failing.items())]
    target.write_text(HEADER + "{\n" + "\n".join(lines) + ("\n" if lines else "") + "}\n")
    print(f"{len(failing)} known failures written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

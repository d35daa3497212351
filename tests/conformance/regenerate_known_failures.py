"""Rewrite known_failures.py from the current engine: ``python -m tests.conformance.regenerate_known_failures``.

Reasons are the runner's own explanation of each mismatch; edit a reason by hand when you know the missing feature
better than the runner does (the tool keeps hand-written reasons of entries that still fail).
"""

from __future__ import annotations

import sys
from pathlib import Path
from pprint import pformat

from ._suite import find_suite, run_suite
from .known_failures import KNOWN_FAILURES

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
            reason = KNOWN_FAILURES.get(case.id) or " ".join(case.outcome.reason.split())[:300]
            failing[case.id] = reason or f"expected {case.outcome.expected}, got {case.outcome.actual}"
    target = Path(__file__).with_name("known_failures.py")
    target.write_text(HEADER + pformat(dict(sorted(failing.items())), width=118, sort_dicts=False) + "\n")
    print(f"{len(failing)} known failures written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

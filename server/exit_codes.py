"""The exit codes of every ``pykyverno`` command, in one place, and the one rule ``apply`` and ``scan`` share.

==  ==========================================================================================================
0   clean: everything that was asked was evaluated and nothing failed
1   findings: a policy result is ``fail`` (any action) or ``error`` (apply, scan, as ``kyverno apply``); a case
    did not match (test); a file has errors (lint)
2   usage: bad arguments or inputs the command cannot use (unknown set, namespace, context or policy; no resources)
3   incomplete: something could not be evaluated (a policy, exception or document that does not load, a type not
    listed, a deadline reached); wins over 1, because a partial answer must not look like a complete one
70  internal error (a bug; details with ``-v``)
==  ==========================================================================================================

``--audit-warn`` reports failures of Audit-only policies as ``warn``; ``--warn-exit-code N`` exits N when warnings
are the worst there is; ``--warn-no-pass`` also exits N when no result passed (as ``kyverno apply``).
"""

from __future__ import annotations

from collections.abc import Mapping

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70


def results_exit_code(
    counts: Mapping[str, int], *, incomplete: bool = False, warn_exit_code: int = 0, warn_no_pass: bool = False
) -> int:
    """The exit code of a run with result ``counts`` (``pass``, ``fail``, ``warn``, ``error``...), as ``kyverno
    apply`` decides it, with :data:`EXIT_INCOMPLETE` first when some input could not be evaluated."""
    if incomplete:
        return EXIT_INCOMPLETE
    if counts.get("fail", 0) or counts.get("error", 0):
        return EXIT_FAILURES
    if counts.get("warn", 0) and warn_exit_code:
        return warn_exit_code
    if warn_no_pass and not counts.get("pass", 0):
        return warn_exit_code  # Kyverno exits with the warning code, 0 unless --warn-exit-code is given
    return EXIT_OK

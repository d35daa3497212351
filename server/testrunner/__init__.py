"""The ``kyverno test`` runner: Test files (``kyverno-test.yaml``) parsed, run, and each expected row compared with
what the engine produced (patched and generated resources included). Product code behind ``pykyverno test``.

May import the engine, ``server/core`` (inputs and requests) and ``server/redaction``.
"""

from .runner import CaseOutcome, TestRun, run_test
from .testfile import DEFAULT_FILE_NAME, ExpectedRow, TestFile, discover, parse_test_file

__all__ = [
    "DEFAULT_FILE_NAME",
    "CaseOutcome",
    "ExpectedRow",
    "TestFile",
    "TestRun",
    "discover",
    "parse_test_file",
    "run_test",
]

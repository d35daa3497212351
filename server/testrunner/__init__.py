"""Kyverno CLI Test files (``kyverno-test.yaml``): parsing, running, comparing."""

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

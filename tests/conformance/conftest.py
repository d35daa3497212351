"""Prints the conformance pass rates per folder and per policy kind at the end of the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._suite import find_suite, rates, run_suite


def pytest_terminal_summary(terminalreporter: Any) -> None:
    root = find_suite()
    if root is None or not Path(root).is_dir() or run_suite.cache_info().currsize == 0:
        return
    cases = run_suite(Path(root))
    terminalreporter.section("conformance pass rates")
    for key in ("kind", "folder"):
        for name, (passed, total) in rates(cases, key).items():
            terminalreporter.write_line(f"{key:6} {name:60} {passed:5}/{total:<5} {passed / total:7.1%}")

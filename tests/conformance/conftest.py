"""Prints the conformance pass rates per folder and per policy kind at the end of the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._suite import find_legacy_suite, find_suite, rates, run_suite


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if run_suite.cache_info().currsize == 0:
        return
    for title, root in (("conformance", find_suite()), ("conformance-legacy", find_legacy_suite())):
        if root is None or not Path(root).is_dir():
            continue
        cases = run_suite(Path(root))
        terminalreporter.section(f"{title} pass rates")
        for key in ("kind", "folder"):
            for name, (passed, total) in rates(cases, key).items():
                terminalreporter.write_line(f"{key:6} {name:60} {passed:5}/{total:<5} {passed / total:7.1%}")

"""Prints the conformance pass rates per folder and per policy kind at the end of the run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ._suite import RAN, find_legacy_suite, find_suite, rates, run_suite
from .test_migration_legacy import figures


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for title, root in (("conformance", find_suite()), ("conformance-legacy", find_legacy_suite())):
        if root is None or Path(root) not in RAN:
            continue
        cases = run_suite(Path(root))
        terminalreporter.section(f"{title} pass rates")
        for key in ("kind", "folder"):
            for name, (passed, total) in rates(cases, key).items():
                terminalreporter.write_line(f"{key:6} {name:60} {passed:5}/{total:<5} {passed / total:7.1%}")
    root = find_legacy_suite()
    if root is not None and figures.cache_info().currsize:
        measured = figures(Path(root))
        terminalreporter.section("migrate --check on validate-only kyverno.io/v1 policies")
        rules: Counter[str] = Counter()
        converted: Counter[str] = Counter()
        for folder, rule in measured.rules.values():
            rules[folder] += 1
            converted[folder] += bool(rule.converted_to)
        for folder in sorted(rules):
            terminalreporter.write_line(f"{folder:50} rules {converted[folder]:4}/{rules[folder]:<4} "
                                        f"pairs {measured.agree[folder]:5}/{measured.pairs[folder]:<5}")

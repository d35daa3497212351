"""Kyverno's own test suites as the oracle: pass rates per policy kind, and an exact list of known failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from pykyverno.engine.registry import REGISTRY

from ._suite import ENV_VAR, Case, find_suite, folders_below, known_failure_problems, rates, run_suite
from .known_failures import KNOWN_FAILURES

#: Minimum share of (policy, resource) pairs that must match Kyverno, for every registered kind the suites cover;
#: ValidatingPolicy, the bulk of the suites, is held higher.
KIND_FLOOR = 0.95
STRICTER_FLOORS = {"ValidatingPolicy": 0.98}
#: Registered kinds the suites have no pair of (no floor to hold them to).
NOT_IN_SUITES = {"ImageValidatingPolicy"}
FAMILY_FLOOR = 0.95
FOLDER_FLOOR = 0.95
#: Folders allowed under the folder floor, and why (their failures are listed one by one in known_failures.py).
FOLDER_EXCEPTIONS = {
    "kyverno-cli/test": "2 of its 14 pairs (one ClusterPolicy, one ValidatingPolicy) read a globalContextEntries "
    "resourceFiles file that the suite does not ship",
}


@pytest.fixture(scope="module")
def cases() -> tuple[Case, ...]:
    root = find_suite()
    if root is None or not root.is_dir():
        pytest.skip(f"conformance suites not found: set {ENV_VAR} or place them at ../shared/conformance")
    return run_suite(Path(root))


def test_suite_is_not_empty(cases: tuple[Case, ...]) -> None:
    assert len(cases) > 1000


@pytest.mark.parametrize("kind", sorted(set(REGISTRY.names()) - NOT_IN_SUITES))
def test_pass_rate_floor(cases: tuple[Case, ...], kind: str) -> None:
    passed, total = rates(cases, "kind").get(kind, (0, 0))
    floor = STRICTER_FLOORS.get(kind, KIND_FLOOR)
    assert total > 0, f"no {kind} pairs in the suite"
    assert passed / total >= floor, f"{kind}: {passed}/{total} = {passed / total:.1%} < {floor:.0%}"


@pytest.mark.parametrize("family", ["kyverno-cli", "kyverno-policies"])
def test_family_floor(cases: tuple[Case, ...], family: str) -> None:
    passed, total = rates(cases, "family").get(family, (0, 0))
    assert total > 0 and passed / total >= FAMILY_FLOOR, f"{family}: {passed}/{total}"


def test_folder_floor(cases: tuple[Case, ...]) -> None:
    low = folders_below(cases, FOLDER_FLOOR, FOLDER_EXCEPTIONS)
    assert not low, f"folders under {FOLDER_FLOOR:.0%}: {low}"


def test_known_failures_are_exact(cases: tuple[Case, ...]) -> None:
    """Every failing pair is listed with a reason, and every listed pair still fails (strict)."""
    message = known_failure_problems(cases, KNOWN_FAILURES, "known_failures.py")
    assert not message, "\n".join(message)

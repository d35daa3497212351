"""``pykyverno serve --allow-writes`` / ``PYKYVERNO_ALLOW_WRITES``: parsed strictly, off by default."""

from __future__ import annotations

import pytest

from pykyverno.server.cli import build_parser, main
from pykyverno.server.mcp import ServerSettings
from pykyverno.server.serve import env_flag


def test_writes_are_off_by_default() -> None:
    assert build_parser().parse_args(["serve"]).allow_writes is False
    assert build_parser().parse_args(["serve", "--allow-writes"]).allow_writes is True
    assert ServerSettings().allow_writes is False


@pytest.mark.parametrize(("value", "expected"), [("", False), ("0", False), ("false", False), ("No", False),
                                                 ("1", True), ("true", True), (" YES ", True), ("on", True)])
def test_the_environment_variable(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("PYKYVERNO_ALLOW_WRITES", value)
    assert env_flag("PYKYVERNO_ALLOW_WRITES") is expected


def test_an_unclear_value_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PYKYVERNO_ALLOW_WRITES", "maybe")
    assert main(["serve"]) == 2
    assert "PYKYVERNO_ALLOW_WRITES='maybe': expected true or false" in capsys.readouterr().err

"""The CLI imports only the module of the command it runs: `policies list` never loads the MCP SDK or the Kubernetes
client, and every command still parses as with the full parser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pykyverno.server import cli


def _modules_after(argv: list[str]) -> set[str]:
    code = ("import sys, contextlib, io\nfrom pykyverno.server import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    cli.main({argv!r})\n"
            "print(' '.join(m for m in ('mcp', 'kubernetes', 'pykyverno.server.mcp') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(run.stdout.split())


def test_policies_list_imports_neither_mcp_nor_kubernetes() -> None:
    assert _modules_after(["policies", "list"]) == set()
    assert _modules_after(["-v", "--cel-cost-limit", "100000", "policies", "list"]) == set()


@pytest.mark.parametrize("name", sorted(cli._COMMAND_MODULES))
def test_each_command_module_registers_its_command(name: str) -> None:
    parser = cli.build_parser(name)
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {name}  # type: ignore[arg-type]


def test_full_parser_has_every_command() -> None:
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == set(cli._COMMAND_MODULES)  # type: ignore[arg-type]


@pytest.mark.parametrize("argv,named", [
    (["scan", "--snapshot", "x"], "scan"),
    (["-vv", "scan"], "scan"),
    (["--cel-cost-limit", "5", "lint", "p.yaml"], "lint"),
    (["--cel-cost-limit=5", "serve"], "serve"),
    (["--help"], None),
    (["bogus"], None),
    ([], None),
])
def test_the_named_command(argv: list[str], named: str | None) -> None:
    assert cli._named_command(argv) == named


def test_unknown_command_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["bogus"])
    err = capsys.readouterr().err
    assert all(name in err for name in cli._COMMAND_MODULES)

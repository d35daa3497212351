"""The stdio front end of ``pykyverno serve`` (``server/stdio_front``): opening requests answered from the SDK's
earlier answers while the SDK loads, byte for byte what the SDK answers, and everything else passed to the SDK.

Each conversation is a real ``pykyverno -vv serve`` process fed raw JSON-RPC lines at once (so that they all arrive
before the SDK is ready); the debug log says which requests the front end answered and when the SDK took over. The
reference is the same conversation with ``--no-start-cache``: the SDK's own stdio transport.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pykyverno.server.stdio_front.cache import AnswerCache, cache_dir, context_digest, valid_answer

SERVE = [sys.executable, "-m", "pykyverno.server.cli", "-vv", "serve"]
LEGACY = "2025-06-18"
MODERN = "2026-07-28"
ENVELOPE = {"io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientInfo": {"name": "front-test", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {}}


def request(rid: int, method: str, params: dict[str, Any] | None = None) -> str:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        message["params"] = params
    return json.dumps(message)


def notification(method: str, params: dict[str, Any] | None = None) -> str:
    return json.dumps({"jsonrpc": "2.0", "method": method, **({"params": params} if params is not None else {})})


def initialize(rid: int = 1, version: str = LEGACY) -> str:
    return request(rid, "initialize", {"protocolVersion": version, "capabilities": {"roots": {}},
                                       "clientInfo": {"name": "front-test", "version": "1"}})


OPENING = [initialize(), notification("notifications/initialized"), request(2, "tools/list", {})]
CALL_SETS = request(3, "tools/call", {"name": "list_policy_sets", "arguments": {}})


@dataclass
class Run:
    """The lines a server wrote, and its log."""

    lines: list[str]
    log: str
    code: int

    def answer(self, rid: Any) -> str:
        found = [line for line in self.lines if json.loads(line).get("id") == rid]
        assert len(found) == 1, f"expected one answer to {rid!r}, got {found} (log: {self.log[-3000:]})"
        return found[0]

    def from_cache(self, method: str, rid: Any) -> bool:
        return f"answered {method} (id {rid!r}) from the start-up cache" in self.log

    def answered_before_sdk(self, method: str, rid: Any) -> bool:
        marker = f"answered {method} (id {rid!r}) from the start-up cache"
        return marker in self.log and self.log.index(marker) < self.log.index("MCP SDK ready")


def converse(lines: list[str], cache: Path, *flags: str, expect: int) -> Run:
    """Start a server, write ``lines`` at once, read ``expect`` lines, close stdin and wait for the exit."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PYKYVERNO_CACHE_DIR=str(cache), KUBECONFIG=str(cache / "no-kubeconfig"))
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*SERVE, *flags], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env)
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("".join(line + "\n" for line in lines).encode())
        proc.stdin.flush()
        out = []
        try:
            for _ in range(expect):
                line = proc.stdout.readline()
                if not line:
                    break
                out.append(line.decode().rstrip("\n"))
        finally:
            proc.stdin.close()
            rest = proc.stdout.read()
            proc.stdout.close()
            code = proc.wait(timeout=120)
        out.extend(line for line in rest.decode().splitlines() if line)
        err.seek(0)
        return Run(out, err.read().decode(), code)


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """A cache holding the SDK's answers to :data:`OPENING` with default options (and that first, cold run)."""
    cache = tmp_path_factory.mktemp("start-cache")
    cold = converse(OPENING, cache, expect=2)
    assert cold.code == 0 and not cold.from_cache("initialize", 1), cold.log
    return cache, cold


@pytest.mark.parametrize("flags", [(), ("--toolsets", "all"), ("--toolsets", "manifests,reports", "--allow-writes")])
def test_opening_answered_before_the_sdk_is_ready_as_the_sdk_answers(flags: tuple[str, ...],
                                                                      tmp_path: Path) -> None:
    reference = converse(OPENING, tmp_path / "none", "--no-start-cache", *flags, expect=2)
    cold = converse(OPENING, tmp_path, *flags, expect=2)
    warm = converse(OPENING, tmp_path, *flags, expect=2)
    assert warm.answered_before_sdk("initialize", 1) and warm.answered_before_sdk("tools/list", 2), warm.log
    for rid in (1, 2):
        assert warm.answer(rid) == cold.answer(rid) == reference.answer(rid), "byte for byte the SDK's answer"
    assert "otherwise than the MCP SDK" not in warm.log  # the SDK's own answers, swallowed, were the same
    assert len(warm.lines) == 2


def test_each_flag_set_has_its_own_answers(tmp_path: Path) -> None:
    converse(OPENING, tmp_path, expect=2)
    writes = converse(OPENING, tmp_path, "--allow-writes", expect=2)
    assert not writes.from_cache("initialize", 1) and "Writes are enabled" in writes.answer(1)


def test_tool_call_queued_during_hand_off_gets_the_sdk_answer(warm_cache: tuple[Path, Run], tmp_path: Path) -> None:
    cache, _ = warm_cache
    reference = converse([*OPENING, CALL_SETS], tmp_path, "--no-start-cache", expect=3)
    warm = converse([*OPENING, CALL_SETS], cache, expect=3)
    assert warm.answered_before_sdk("tools/list", 2), warm.log
    assert json.loads(warm.answer(3)) == json.loads(reference.answer(3))
    assert json.loads(warm.answer(3))["result"]["isError"] is False
    assert [json.loads(line)["id"] for line in warm.lines] == [1, 2, 3]


def test_cancel_and_ping_during_hand_off(warm_cache: tuple[Path, Run]) -> None:
    cache, cold = warm_cache
    lines = [*OPENING, notification("notifications/cancelled", {"requestId": 2, "reason": "late"}),
             request(4, "ping"), CALL_SETS]
    warm = converse(lines, cache, expect=4)
    assert warm.answered_before_sdk("tools/list", 2)
    assert warm.answer(2) == cold.answer(2)  # answered once, not again by the SDK after the cancel
    assert json.loads(warm.answer(4)) == {"jsonrpc": "2.0", "id": 4, "result": {}}
    assert json.loads(warm.answer(3))["result"]["isError"] is False
    assert len(warm.lines) == 4


def test_stateless_era_requests(tmp_path: Path) -> None:
    lines = [request(1, "server/discover", {"_meta": ENVELOPE}), request(2, "tools/list", {"_meta": ENVELOPE}),
             request(3, "tools/call", {"name": "list_policy_sets", "arguments": {}, "_meta": ENVELOPE})]
    reference = converse(lines, tmp_path / "none", "--no-start-cache", expect=3)
    cold = converse(lines, tmp_path, expect=3)
    warm = converse(lines, tmp_path, expect=3)
    assert warm.answered_before_sdk("server/discover", 1) and warm.answered_before_sdk("tools/list", 2), warm.log
    for rid in (1, 2):
        assert warm.answer(rid) == cold.answer(rid) == reference.answer(rid)
    assert json.loads(reference.answer(2))["result"]["resultType"] == "complete"
    assert json.loads(warm.answer(3))["result"]["isError"] is False


def test_a_stateless_tools_list_alone_opens_the_session(tmp_path: Path) -> None:
    lines = [request(7, "tools/list", {"_meta": ENVELOPE})]
    cold = converse(lines, tmp_path, expect=1)
    warm = converse(lines, tmp_path, expect=1)
    assert warm.answered_before_sdk("tools/list", 7) and warm.answer(7) == cold.answer(7)


def test_protocol_versions_are_negotiated_by_the_sdk(tmp_path: Path) -> None:
    unknown = [initialize(1, "1999-01-01"), notification("notifications/initialized"), request(2, "tools/list")]
    cold = converse(unknown, tmp_path, expect=2)
    warm = converse(unknown, tmp_path, expect=2)
    assert warm.answered_before_sdk("initialize", 1) and warm.answer(1) == cold.answer(1)
    assert json.loads(cold.answer(1))["result"]["protocolVersion"] != "1999-01-01"  # the SDK's latest handshake
    # an envelope naming a version the SDK does not serve is an error: never cached, always the SDK's answer
    odd = [request(1, "tools/list", {"_meta": {**ENVELOPE, "io.modelcontextprotocol/protocolVersion": "2099-01-01"}})]
    first = converse(odd, tmp_path, expect=1)
    again = converse(odd, tmp_path, expect=1)
    assert "error" in json.loads(first.answer(1)) and not again.from_cache("tools/list", 1)
    assert again.answer(1) == first.answer(1)


def test_malformed_lines_behave_as_with_the_sdk(warm_cache: tuple[Path, Run], tmp_path: Path) -> None:
    cache, _ = warm_cache
    bad = ["not json", "{}", "", '{"jsonrpc": "2.0", "id": 9, "method": "tools/list", "id": 9}', "[1, 2]"]
    # the SDK drops unparsable lines silently and answers the rest: 3 answers, then 4
    for lines, answers in (([*bad, *OPENING], 3), ([*OPENING, *bad, request(4, "ping")], 4)):
        reference = converse(lines, tmp_path, "--no-start-cache", expect=answers)
        served = converse(lines, cache, expect=answers)
        assert served.code == reference.code == 0
        assert sorted(served.lines) == sorted(reference.lines), (served.lines, reference.lines)
    assert served.answered_before_sdk("tools/list", 2)  # the garbage came after the opening


def test_a_changed_entry_is_replaced_by_the_sdk_answer(tmp_path: Path) -> None:
    cold = converse(OPENING, tmp_path, expect=2)
    entries = sorted((tmp_path / "mcp-start").iterdir(), key=lambda p: p.stat().st_size)
    assert len(entries) == 2
    init_entry = entries[0]
    stale = init_entry.read_text().replace("pykyverno checks", "pykyverno checked")
    init_entry.write_text(stale)
    drifted = converse(OPENING, tmp_path, expect=2)
    assert "otherwise than the MCP SDK does now; entry replaced" in drifted.log
    assert init_entry.read_text() == cold.answer(1)
    init_entry.write_text("garbage")  # a broken entry is ignored: the SDK answers
    broken = converse(OPENING, tmp_path, expect=2)
    assert not broken.from_cache("initialize", 1) and broken.answer(1) == cold.answer(1)
    assert init_entry.read_text() == cold.answer(1)


def test_reused_ids_end_the_cacheable_opening(tmp_path: Path) -> None:
    lines = [initialize(), notification("notifications/initialized"), request(1, "tools/list")]
    first = converse(lines, tmp_path, expect=2)
    second = converse(lines, tmp_path, expect=2)
    # neither answer is kept: the SDK's answers to the two requests with id 1 cannot be told apart
    assert not second.from_cache("initialize", 1) and not second.from_cache("tools/list", 1)
    assert sorted(second.lines) == sorted(first.lines)


# ----------------------------------------------------------------------------- the key, in-process
def test_the_context_digest_covers_code_settings_and_packages(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "a.py").write_text("x = 1\n")
    site = tmp_path / "site"
    site.mkdir()
    (site / "mcp-2.3.0.dist-info").mkdir()
    base = context_digest([code], {"toolsets": ""}, [str(site)])
    assert base == context_digest([code], {"toolsets": ""}, [str(site)])
    assert base != context_digest([code], {"toolsets": "all"}, [str(site)])
    (site / "mcp-2.4.0.dist-info").mkdir()
    assert base != context_digest([code], {"toolsets": ""}, [str(site)])
    (site / "mcp-2.4.0.dist-info").rmdir()
    (code / "a.py").write_text("x = 22\n")
    assert base != context_digest([code], {"toolsets": ""}, [str(site)])


def test_entries_must_answer_the_request(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    line = '{"jsonrpc":"2.0","id":5,"result":{}}'
    cache.store("k", line)
    assert cache.load("k", 5) == line
    assert cache.load("k", "5") is None and cache.load("k", 6) is None and cache.load("other", 5) is None
    assert not valid_answer('{"jsonrpc":"2.0","id":5,"error":{"code":1,"message":"x"}}', 5)
    assert oct((tmp_path / "k").stat().st_mode & 0o777) == "0o600"


def test_the_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache_dir({"PYKYVERNO_CACHE_DIR": "/c"}) == Path("/c/mcp-start")
    assert cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/pykyverno/mcp-start")
    monkeypatch.setenv("HOME", "/h")
    assert cache_dir({}) == Path("/h/.cache/pykyverno/mcp-start")
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # no home folder: no cache (and no front end)
    assert cache_dir({}) is None


def test_answers_are_kept_and_served_only_in_a_private_folder(tmp_path: Path) -> None:
    line = '{"jsonrpc":"2.0","id":1,"result":{}}'
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # others could plant answers here: never read, never written
    planted = AnswerCache(shared)
    (shared / "k").write_text(line)
    assert planted.load("k", 1) is None
    planted.store("j", line)
    assert not (shared / "j").exists()
    linked = tmp_path / "linked"
    linked.symlink_to(shared)
    assert AnswerCache(linked).load("k", 1) is None  # a folder reached through a link
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (private / "k").symlink_to(shared / "k")  # an entry that is a link
    assert AnswerCache(private).load("k", 1) is None
    (private / "w").write_text(line)
    (private / "w").chmod(0o666)  # an entry others may change
    assert AnswerCache(private).load("w", 1) is None
    AnswerCache(private).store("ok", line)
    assert AnswerCache(private).load("ok", 1) == line
    assert not [p for p in private.iterdir() if p.name.endswith(".tmp")]

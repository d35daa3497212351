"""The Agent Skills in skills/: valid frontmatter, tools and arguments that the MCP server really has, and
reference material that stays true (catalogues complete, examples that evaluate as documented)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykyverno.server.cli import main as cli_main
from tests.skills.servertools import call_tool, server_catalog
from tests.skills.skillcheck import (
    MAX_BODY_LINES,
    Skill,
    frontmatter_problems,
    read_skill,
    relative_links,
    tool_references,
)

REPO = Path(__file__).resolve().parents[2]
SKILLS_DIR = REPO / "skills"
POLICYSETS_DIR = REPO / "server" / "policysets"
SKILL_FOLDERS = sorted(p for p in SKILLS_DIR.iterdir() if p.is_dir())
SKILL_IDS = [p.name for p in SKILL_FOLDERS]


def _skill(name: str) -> Skill:
    return read_skill(SKILLS_DIR / name)


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _dump(documents: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False)


def _bundled_sets() -> dict[str, list[str]]:
    """Bundled set name -> policy names, read from the YAML files."""
    sets: dict[str, list[str]] = {}
    for folder in sorted(p for p in POLICYSETS_DIR.iterdir() if (p / "set.yaml").is_file()):
        names = [d["metadata"]["name"] for f in sorted(folder.glob("*.yaml")) if f.name != "set.yaml"
                 for d in _documents(f)]
        sets[yaml.safe_load((folder / "set.yaml").read_text(encoding="utf-8"))["name"]] = names
    return sets


# ----------------------------------------------------------------------------- the skills themselves
def test_there_are_four_to_six_skills() -> None:
    assert 4 <= len(SKILL_FOLDERS) <= 6, SKILL_IDS
    assert all((folder / "SKILL.md").is_file() for folder in SKILL_FOLDERS)


@pytest.mark.parametrize("name", SKILL_IDS)
def test_frontmatter_follows_the_rules(name: str) -> None:
    skill = _skill(name)
    assert frontmatter_problems(skill.frontmatter, name) == []
    assert "Use when" in skill.frontmatter["description"], "the description must say when to use the skill"


@pytest.mark.parametrize("name", SKILL_IDS)
def test_body_is_concise_and_links_resolve(name: str) -> None:
    skill = _skill(name)
    assert len(skill.body.splitlines()) < MAX_BODY_LINES
    for relative, text in skill.texts.items():
        base = (skill.folder / relative).parent
        for target in relative_links(text):
            assert (base / target).is_file(), f"{name}/{relative} links to missing {target}"


@pytest.mark.parametrize("name", SKILL_IDS)
def test_named_tools_and_arguments_exist_in_the_server(name: str) -> None:
    catalog = server_catalog()
    skill = _skill(name)
    declared = set(skill.frontmatter.get("metadata", {}).get("tools", "").split())
    assert declared, f"{name}: metadata.tools must list the MCP tools the skill uses"
    assert declared <= set(catalog.tools), f"{name}: unknown tools in metadata.tools: {declared - set(catalog.tools)}"
    mentioned: set[str] = set()
    for relative, text in skill.texts.items():
        refs = tool_references(text)
        assert refs.unreadable == [], f"{name}/{relative}"
        for tool, arguments in refs.calls.items():
            assert tool in catalog.tools, f"{name}/{relative}: `{tool}(...)` is not a tool of the server"
            unknown = arguments - catalog.tools[tool]
            assert not unknown, f"{name}/{relative}: {tool} has no argument(s) {sorted(unknown)}"
        stray = refs.identifiers - set(catalog.tools) - catalog.parameters
        assert not stray, f"{name}/{relative}: {sorted(stray)} are neither tools nor tool arguments"
        mentioned |= refs.tools(set(catalog.tools))
    assert mentioned == declared, f"{name}: metadata.tools {sorted(declared)} != tools in the text {sorted(mentioned)}"


@pytest.mark.parametrize("name", SKILL_IDS)
def test_resource_uris_exist_in_the_server(name: str) -> None:
    catalog = server_catalog()
    patterns = [re.escape(t).replace(r"\{name\}", "[^/]+") for t in catalog.resource_templates]
    for text in _skill(name).texts.values():
        for uri in re.findall(r"pykyverno://[\w/<>{}.-]+", text):
            concrete = re.sub(r"<[^>]+>", "x", uri)
            assert concrete in catalog.resources or any(re.fullmatch(p, concrete) for p in patterns), uri


def test_every_server_tool_is_covered_by_some_skill() -> None:
    covered = set().union(*(set(_skill(n).frontmatter["metadata"]["tools"].split()) for n in SKILL_IDS))
    assert covered == set(server_catalog().tools)


# ----------------------------------------------------------------------------- the validator can fail
#: (frontmatter, folder name, expected problem); every other rule holds in each case.
BAD_FRONTMATTERS: list[tuple[dict[str, Any], str, str]] = [
    ({"description": "Does x. Use when y."}, "x", "name is required"),
    ({"name": "Audit", "description": "d"}, "Audit", "lower-case"),
    ({"name": "audit--x", "description": "d"}, "audit--x", "single inner hyphens"),
    ({"name": "-audit", "description": "d"}, "-audit", "single inner hyphens"),
    ({"name": "a" * 65, "description": "d"}, "a" * 65, "at most 64"),
    ({"name": "other", "description": "d"}, "x", "differs from the folder"),
    ({"name": "claude-helper", "description": "d"}, "claude-helper", "reserved word 'claude'"),
    ({"name": "anthropic-x", "description": "d"}, "anthropic-x", "reserved word 'anthropic'"),
    ({"name": "x", "description": ""}, "x", "description is required"),
    ({"name": "x", "description": "d" * 1025}, "x", "at most 1024"),
    ({"name": "x", "description": "use <b>"}, "x", "'<' or '>'"),
    ({"name": "x", "description": "d", "version": "1"}, "x", "unexpected key 'version'"),
    ({"name": "x", "description": "d", "metadata": {"version": 1}}, "x", "strings to strings"),
    ({"name": "x", "description": "d", "compatibility": "c" * 501}, "x", "1 to 500"),
    ({"name": "x", "description": "d", "allowed-tools": ["a"]}, "x", "space-separated"),
]


@pytest.mark.parametrize(("frontmatter", "folder", "expected"), BAD_FRONTMATTERS)
def test_validator_rejects_bad_frontmatter(frontmatter: dict[str, Any], folder: str, expected: str) -> None:
    problems = frontmatter_problems(frontmatter, folder)
    assert len(problems) == 1 and expected in problems[0], problems


def test_validator_accepts_a_minimal_and_a_full_frontmatter() -> None:
    assert frontmatter_problems({"name": "a1-b", "description": "Does x. Use when y."}, "a1-b") == []
    full = {"name": "a", "description": "d", "license": "MIT", "compatibility": "c", "metadata": {"v": "1"},
            "allowed-tools": "Bash Read"}
    assert frontmatter_problems(full, "a") == []


def test_reference_scanner_reports_unknown_calls_and_arguments() -> None:
    refs = tool_references("Call `scan_namespaces(namespace=\"a\")`, then `explain_violation(policy=p, pod=\"x\")` "
                           "with `include_pasing=true` and `list.exists_one(c, x)`.\n```\n`not_scanned()`\n```")
    assert refs.calls == {"scan_namespaces": {"namespace"}, "explain_violation": {"policy", "pod"}}
    assert refs.identifiers == {"include_pasing"}
    assert tool_references("`lint_policy(\"draft\")`").unreadable


# ----------------------------------------------------------------------------- reference material stays true
def test_policy_set_catalogue_names_every_bundled_set_and_policy() -> None:
    text = (SKILLS_DIR / "audit-cluster-policies" / "references" / "policy-sets.md").read_text(encoding="utf-8")
    for set_name, policies in _bundled_sets().items():
        assert f"## {set_name}" in text
        for policy in policies:
            assert f"| {policy} |" in text, f"{policy} ({set_name}) is missing from the catalogue"


def test_safeguards_reference_covers_the_whole_set() -> None:
    text = (SKILLS_DIR / "safeguard-ai-agents" / "references" / "ai-agent-safeguards.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^## ([a-z0-9-]+) \(", text, re.M))
    assert documented == set(_bundled_sets()["ai-agent-safeguards"])


def test_cel_cheatsheet_examples_hold_on_the_engine() -> None:
    policy, pod = _documents(SKILLS_DIR / "author-kyverno-policy" / "references" / "cel-examples.yaml")
    assert len(policy["spec"]["validations"]) >= 30
    lint = call_tool("lint_policy", {"policy_yaml": _dump([policy])})
    assert lint["valid"] is True, lint["errors"]
    # One policy per example, so that a false example is reported by itself (validations stop at the first false).
    single = [{**policy, "metadata": {"name": f"example-{i}"}, "spec": {**policy["spec"], "validations": [v]}}
              for i, v in enumerate(policy["spec"]["validations"])]
    answer = call_tool("evaluate_policy", {"policy_yaml": _dump(single), "resources_yaml": _dump([pod])})
    failing = [(r["policy"], r["result"], r["message"]) for r in answer["results"] if r["result"] != "pass"]
    assert len(answer["results"]) == len(single)
    assert failing == []


def test_policy_template_lints_clean_and_evaluates_as_documented() -> None:
    policy, *samples = _documents(SKILLS_DIR / "author-kyverno-policy" / "references" /
                                  "validatingpolicy-template.yaml")
    lint = call_tool("lint_policy", {"policy_yaml": _dump([policy])})
    assert lint["valid"] is True and lint["errors"] == []
    answer = call_tool("evaluate_policy", {"policy_yaml": _dump([policy]), "resources_yaml": _dump(samples)})
    outcome = {r["resource"]["name"]: (r["result"], r.get("validationIndex")) for r in answer["results"]}
    assert outcome == {"good": ("pass", None), "no-limit": ("fail", 0), "too-big": ("fail", 1)}


def test_kyverno_test_template_passes_with_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy, *samples = _documents(SKILLS_DIR / "author-kyverno-policy" / "references" /
                                  "validatingpolicy-template.yaml")
    (tmp_path / "policy.yaml").write_text(_dump([policy]), encoding="utf-8")
    (tmp_path / "resources.yaml").write_text(_dump(samples), encoding="utf-8")
    template = SKILLS_DIR / "author-kyverno-policy" / "references" / "kyverno-test-template.yaml"
    (tmp_path / "kyverno-test.yaml").write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
    assert cli_main(["test", str(tmp_path), "-o", "json"]) == 0, capsys.readouterr().out
    assert '"passed": false' not in capsys.readouterr().out


def test_hardened_mcp_server_example_passes_every_relevant_set(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    text = (SKILLS_DIR / "safeguard-ai-agents" / "references" / "hardened-mcp-server.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```yaml\n(.*?)```", text, re.S)
    snapshot = tmp_path / "hardened.yaml"
    snapshot.write_text(block, encoding="utf-8")
    sets = ["ai-agent-safeguards", "pod-security-baseline", "pod-security-restricted", "best-practices",
            "rbac-best-practices"]
    code = cli_main(["scan", "--snapshot", str(snapshot), *[a for s in sets for a in ("--policy-set", s)],
                     "-o", "json"])
    report = yaml.safe_load(capsys.readouterr().out)
    failing = [(r["policy"], r["resources"][0]["name"], r["message"]) for c in report["clusters"]
               for r in c["results"] if r["result"] in ("fail", "error")]
    assert failing == [] and code == 0
    evaluated = {r["policy"] for c in report["clusters"] for r in c["results"] if r["result"] == "pass"}
    kagent_only = {"ai-kagent-deployment-spec", "ai-remote-mcp-endpoint"}  # match kagent.dev resources only
    assert set(_bundled_sets()["ai-agent-safeguards"]) - kagent_only <= evaluated, "a safeguard did not apply"

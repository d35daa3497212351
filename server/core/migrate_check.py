"""``pykyverno migrate --check``: do the converted policies behave like the originals?

Given Test files, each Test that uses a converted policy runs twice: as written, and with the converted
ValidatingPolicies in place of the ClusterPolicies (rows renamed through the migration's name map, Values entries
copied to the new names). Every (resource, rule) pair of a converted rule is compared: the converted verdict with
the original one (``differences``) and with the Test's expected result (``agree``). Given resources, both sets of
policies are evaluated on them and the verdicts compared.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pykyverno.engine.cpol.context import split_name
from pykyverno.engine.cpol.values import CliValues
from pykyverno.engine.documents import iter_files, parse_documents, read_documents
from pykyverno.engine.errors import EngineError
from pykyverno.engine.loader import load_documents
from pykyverno.engine.objects import read_manifests
from pykyverno.engine.request import admission_request

from ..testrunner import CaseOutcome, discover, parse_test_file, run_test
from ..testrunner.runner import EXCLUDED
from ..testrunner.testfile import ExpectedRow, TestFile
from .migrate import Migration, is_legacy_exception, is_legacy_policy, migrate_documents


@dataclass
class PairCheck:
    """One (resource, rule) pair of a converted rule."""

    source: str
    policy: str
    rule: str
    resource: str
    original: str
    converted: str
    expected: str = ""

    @property
    def same(self) -> bool:
        """Both policies give the same verdict (a rule Kyverno excluded and a policy that did not match agree)."""
        return self.converted == self.original or (self.original == EXCLUDED and self.converted == "skip")

    @property
    def agrees(self) -> bool:
        """The converted verdict is the expected one (or, without an expectation, the original one)."""
        if self.original == EXCLUDED and self.converted == "skip":
            return True
        return self.converted == (self.expected or self.original)

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"source": self.source, "policy": self.policy, "rule": self.rule, "resource": self.resource,
                "original": self.original, "converted": self.converted, "expected": self.expected}


@dataclass
class CheckResult:
    """Every pair checked, and the inputs that could not be used."""

    pairs: list[PairCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def differences(self) -> list[PairCheck]:
        """Pairs where the converted policy's verdict differs from the original's."""
        return [p for p in self.pairs if not p.same]


def _policy_documents(paths: list[Path], problems: list[str]) -> list[tuple[Path, list[dict[str, Any]]]]:
    out = []
    for path in iter_files(paths):
        try:
            out.append((path, [d.data for d in read_documents(path)]))
        except EngineError as exc:
            problems.append(str(exc))
    return out


def _renamed_values(values: Mapping[str, Any], names: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """A Values document whose per-policy entries are also given under the converted policies' names."""
    renamed = copy.deepcopy(dict(values))
    extra = []
    for entry in renamed.get("policies") or []:
        for rule, new_name in (names.get(str(entry.get("name") or "")) or {}).items():
            copied = copy.deepcopy(entry)
            copied["name"] = new_name
            copied["rules"] = [r for r in copied.get("rules") or [] if r.get("name") == rule]
            extra.append(copied)
    renamed["policies"] = [*(renamed.get("policies") or []), *extra]
    return renamed


def _converted_test(test: TestFile, migration: Migration, workdir: Path, legacy_files: set[Path]
                    ) -> tuple[TestFile, list[tuple[ExpectedRow, ExpectedRow]]] | None:
    names = migration.name_map()
    short = {policy.rsplit("/", 1)[-1]: rules for policy, rules in names.items()}

    def converted_name(row: ExpectedRow) -> str | None:
        rules = short.get(row.policy.rsplit("/", 1)[-1]) or {}
        rule = row.rule
        for prefix in ("autogen-cronjob-", "autogen-"):  # a row may name an autogen rule
            if rule not in rules and rule.startswith(prefix):
                rule = rule.removeprefix(prefix)
        return rules.get(rule)

    pairs: list[tuple[ExpectedRow, ExpectedRow]] = []
    rows = []
    for row in test.rows:
        new_name = converted_name(row)
        if not new_name:
            continue
        raw = {k: v for k, v in row.raw.items() if str(k).lower() != "rule"}
        raw["policy"] = new_name
        rows.append(raw)
    if not rows:
        return None
    converted_file = workdir / f"converted-{abs(hash(test.path))}-{test.document}.yaml"
    converted_file.write_text(yaml.safe_dump_all(migration.documents, sort_keys=False))
    data = copy.deepcopy(test.data)
    data["policies"] = [str(p) for p in test.paths("policies") if p not in legacy_files] + [str(converted_file)]
    for key in [k for k in data if str(k).lower() == "exceptions"]:  # the converted ones travel with the policies
        data[key] = [str(p) for p in test.paths("exceptions")
                     if not any(is_legacy_exception(d.data) for d in read_documents(p))]
    data["results"] = rows
    for key in list(data):
        if str(key).lower() == "variables":
            values_files = test.paths("variables")
            if values_files:
                renamed = _renamed_values(read_documents(values_files[0])[0].data, names)
                values_file = workdir / f"values-{abs(hash(test.path))}-{test.document}.yaml"
                values_file.write_text(yaml.safe_dump(renamed, sort_keys=False))
                data[key] = str(values_file)
        elif str(key).lower() == "values" and isinstance(data[key], Mapping):
            data[key] = _renamed_values(data[key], names)
    mocks = _config_map_mocks(test, legacy_files, names)
    if mocks:
        context_files = test.paths("context")
        existing = read_documents(context_files[0])[0].data if context_files else {}
        context = {"apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Context",
                   "spec": {**(existing.get("spec") or {}),
                            "resources": [*((existing.get("spec") or {}).get("resources") or []), *mocks]}}
        context_file = workdir / f"context-{abs(hash(test.path))}-{test.document}.yaml"
        context_file.write_text(yaml.safe_dump(context, sort_keys=False))
        for key in [k for k in data if str(k).lower() == "context"]:
            del data[key]
        data["context"] = str(context_file)
    new_rows = tuple(ExpectedRow.parse(i, r) for i, r in enumerate(rows))
    originals = [row for row in test.rows if converted_name(row)]
    pairs = list(zip(originals, new_rows, strict=True))
    return TestFile(test.path, test.document, test.name, data, new_rows), pairs


def _nested(values: Mapping[str, Any], entry: str) -> dict[str, Any]:
    """The object a Values file gives a context entry (``dictionary.data.env: x`` -> ``{data: {env: x}}``)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        parts = split_name(str(key))
        if parts[0] != entry:
            continue
        if len(parts) == 1:
            if isinstance(value, Mapping):
                out.update(copy.deepcopy(dict(value)))
            continue
        target = out
        for part in parts[1:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


def _config_map_mocks(test: TestFile, legacy_files: set[Path], names: Mapping[str, Mapping[str, str]]
                      ) -> list[dict[str, Any]]:
    """The ConfigMaps a converted policy reads with ``resource.Get``, built from the Values that stood in for the
    original's ``configMap`` context entries (the converted test's mocks of the same data)."""
    values = CliValues()
    for path in test.paths("variables"):
        values.add_document(read_documents(path)[0].data)
    inline = test.value("values")
    if isinstance(inline, Mapping):
        values.add_document(inline)
    mocks = []
    for path in legacy_files:
        for policy in (d.data for d in read_documents(path)):
            if not is_legacy_policy(policy):
                continue
            policy_name = str((policy.get("metadata") or {}).get("name") or "")
            for rule in (policy.get("spec") or {}).get("rules") or []:
                if str(rule.get("name")) not in (names.get(policy_name) or {}):
                    continue
                rule_values = values.for_rule(policy_name, str(rule.get("name")))
                for entry in rule.get("context") or []:
                    config_map = entry.get("configMap")
                    given = _nested(rule_values, str(entry.get("name"))) if config_map else {}
                    if not given or "{{" in str(config_map):
                        continue
                    mocks.append({"apiVersion": "v1", "kind": "ConfigMap",
                                  "metadata": {"name": config_map.get("name"),
                                               "namespace": config_map.get("namespace") or "default"},
                                  "data": given.get("data") or {}})
    return mocks


def _outcome_key(outcome: CaseOutcome) -> tuple[str, str, str]:
    return outcome.policy, outcome.resource, outcome.kind


def check_tests(paths: list[Path], migration_for: Any) -> CheckResult:
    """Run every Test under ``paths`` as written and converted; ``migration_for(documents)`` converts a Test's
    policy documents (a :class:`Migration`)."""
    result = CheckResult()
    with tempfile.TemporaryDirectory(prefix="pykyverno-migrate-") as tmp:
        workdir = Path(tmp)
        for path in discover(paths):
            for test in parse_test_file(path):
                files = _policy_documents(test.paths("policies"), result.problems)
                legacy_files = {p for p, docs in files if any(is_legacy_policy(d) for d in docs)}
                exception_files = _policy_documents(test.paths("exceptions"), result.problems)
                migration: Migration = migration_for([d for _, docs in (*files, *exception_files) for d in docs])
                built = _converted_test(test, migration, workdir, legacy_files)
                if built is None:
                    continue
                converted_test, rows = built
                original = run_test(test)
                converted = run_test(converted_test)
                by_original = {(o.policy, o.rule, o.resource, o.kind): o for o in original.outcomes}
                by_converted = {_outcome_key(o): o for o in converted.outcomes}
                for old_row, new_row in rows:
                    for ref in old_row.resources or ("",):
                        before = by_original.get((old_row.policy, old_row.rule, ref, old_row.kind))
                        after = by_converted.get((new_row.policy, ref, new_row.kind))
                        if before is None or after is None:
                            continue
                        result.pairs.append(PairCheck(str(path), old_row.policy, old_row.rule, ref, before.actual,
                                                      after.actual, old_row.result))
    return result


def check_resources(original_documents: list[dict[str, Any]], migration: Migration, resource_paths: list[Path]
                    ) -> CheckResult:
    """Evaluate the original and converted policies on resources and compare every converted rule's verdict."""
    problems: list[str] = []
    resources = read_manifests(resource_paths, problems)
    result = check_objects(original_documents, migration, resources)
    result.problems[:0] = problems
    return result


def check_objects(original_documents: list[dict[str, Any]], migration: Migration, resources: list[dict[str, Any]]
                  ) -> CheckResult:
    """:func:`check_resources` on objects already read."""
    result = CheckResult()
    original = load_documents(parse_documents(yaml.safe_dump_all(original_documents)))
    converted = load_documents(parse_documents(yaml.safe_dump_all(migration.documents)))
    result.problems.extend(str(i) for i in (*original.issues, *converted.issues))
    sources = {r.converted_to: (r.policy, r.rule) for r in migration.rules if r.converted_to}
    for obj in resources:
        ctx = admission_request(obj)
        before: dict[tuple[str, str], str] = {}
        for compiled in original.policies:
            outcome = compiled.evaluate(ctx, original.exceptions)
            if outcome is not None:
                rule = outcome.rule.removeprefix("autogen-cronjob-").removeprefix("autogen-")
                before[(outcome.policy, rule)] = outcome.result
        after: dict[str, str] = {}
        for compiled in converted.policies:  # a policy and its autogen variants share a name: one verdict
            outcome = compiled.evaluate(ctx, converted.exceptions)
            if outcome is not None:
                after[compiled.name] = outcome.result
            else:
                after.setdefault(compiled.name, "skip")
        for name, verdict in after.items():
            policy, rule = sources.get(name, (name, ""))
            old = before.pop((policy, rule), "skip")
            if verdict != "skip" or old != "skip":
                ref = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
                result.pairs.append(PairCheck("", policy, rule, ref, old, verdict))
        for (policy, rule), old in before.items():
            if any(r.policy == policy and r.rule == rule and r.converted_to for r in migration.rules):
                ref = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
                result.pairs.append(PairCheck("", policy, rule, ref, old, "skip"))
    return result


@dataclass
class MigrationReport:
    """A migration of some policy files, and its check when one was asked for."""

    migration: Migration
    check: CheckResult | None = None
    problems: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """``rules`` seen, ``converted``, ``pairs`` checked for converted rules and pairs that ``agree``."""
        pairs = self.check.pairs if self.check else []
        return {"rules": len(self.migration.rules),
                "converted": sum(1 for r in self.migration.rules if r.converted_to),
                "pairs": len(pairs), "agree": sum(1 for p in pairs if p.agrees)}

    @property
    def clean(self) -> bool:
        """Every rule converted, and every checked pair agreeing."""
        summary = self.summary()
        return summary["rules"] == summary["converted"] and summary["pairs"] == summary["agree"]

    def to_dict(self, with_documents: bool = True) -> dict[str, Any]:
        """The JSON answer of ``pykyverno migrate -o json`` and of the MCP tool."""
        out: dict[str, Any] = {"summary": self.summary(), "rules": [r.to_dict() for r in self.migration.rules],
                               "exceptions": [r.to_dict() for r in self.migration.exceptions],
                               "map": self.migration.name_map()}
        if self.check is not None:
            out["differences"] = [p.to_dict() for p in self.check.differences]
            out["disagreements"] = [p.to_dict() for p in self.check.pairs if not p.agrees]
        if with_documents:
            out["documents"] = self.migration.documents
        out["problems"] = [*self.problems, *(self.check.problems if self.check else [])]
        return out


def is_test_path(path: Path) -> bool:
    """Whether ``path`` is a Test file or a folder holding Test files."""
    if path.is_file():
        return path.name == "kyverno-test.yaml"
    return path.is_dir() and any(path.rglob("kyverno-test.yaml"))


def migrate_sources(sources: list[tuple[str, list[dict[str, Any]]]], check_paths: list[Path] | None = None
                    ) -> MigrationReport:
    """Convert the policies of ``sources`` ((origin, documents) pairs) and check them on ``check_paths`` (Test
    files or folders: the Tests' own policies are converted and compared; other paths: resources)."""
    documents = [d for _, docs in sources for d in docs]
    report = MigrationReport(migrate_documents(documents))
    if not check_paths:
        return report
    tests = [p for p in check_paths if is_test_path(p)]
    resources = [p for p in check_paths if p not in tests]
    report.check = CheckResult()
    if tests:
        found = check_tests(tests, migrate_documents)
        report.check.pairs.extend(found.pairs)
        report.check.problems.extend(found.problems)
    if resources:
        found = check_resources(documents, report.migration, resources)
        report.check.pairs.extend(found.pairs)
        report.check.problems.extend(found.problems)
    return report


def read_policy_files(paths: list[Path]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(file, documents) of every policy file under ``paths``; :class:`EngineError` names an unreadable file."""
    return [(str(path), [d.data for d in read_documents(path)]) for path in iter_files(paths)]

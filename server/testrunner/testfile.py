"""The ``kyverno-test.yaml`` format (cli.kyverno.io/v1alpha1 ``Test``): discovery and parsing.

The Kyverno CLI ignores apiVersion/kind of these files and loads every document of files with the test file name;
keys are matched case-insensitively (four rows of the public suites spell ``isMUtatingPolicy``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pykyverno.engine.documents import read_documents
from pykyverno.engine.errors import LoadError
from pykyverno.engine.registry import REGISTRY

DEFAULT_FILE_NAME = "kyverno-test.yaml"

#: Top-level fields of ``cli.kyverno.io/v1alpha1`` Test that the runner reads (lower-cased; ``jsonPayload`` and a
#: top-level ``name`` are the deprecated spellings).
TEST_FIELDS = frozenset({
    "apiversion", "kind", "metadata", "name", "policies", "resources", "jsonpayloads", "jsonpayload", "httppayloads",
    "envoypayloads", "targetresources", "paramresources", "clusterresources", "variables", "values", "userinfo",
    "exceptions", "context", "apicallresponses", "globalcontextentries", "results",
})
#: Fields of a ``results[]`` row that the runner reads, besides the ``is<Kind>`` flags (``status``, ``resource`` and
#: ``namespace`` are the deprecated spellings of ``result`` and ``resources``; a missing resource always fails the
#: case, which is what ``failOnMissingResources`` asks for).
ROW_FIELDS = frozenset({
    "policy", "rule", "kind", "result", "resources", "resourcespecs", "operation", "patchedresources",
    "patchedresource", "generatedresource", "generatedresources", "clonesourceresource", "failonmissingresources",
    "status", "resource", "namespace",
})


def kind_flag(row: dict[str, Any]) -> str:
    """The policy kind a result row announces with ``is<Kind>: true`` (``isValidatingPolicy``), keys lower-cased."""
    return next((name for name in REGISTRY.names() if row.get(f"is{name.lower()}") is True), "")


def _lower_keys(data: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in data.items()}


@dataclass(frozen=True)
class ExpectedRow:
    """One ``results[]`` row: a policy (and rule), a kind, resources and the expected result."""

    index: int
    policy: str
    rule: str
    kind: str
    resources: tuple[str, ...]
    result: str
    operation: str
    policy_kind_flag: str
    patched_resources: str = ""
    generated_resources: tuple[str, ...] = ()
    clone_source: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def parse(cls, index: int, data: dict[str, Any]) -> ExpectedRow:
        """Parse a row with case-insensitive keys."""
        low = _lower_keys(data)
        flag = kind_flag(low)
        resources: list[str] = [str(r) for r in low.get("resources") or []]
        if low.get("resource") and not resources:  # deprecated: one resource, its namespace apart
            namespace = str(low.get("namespace") or "")
            resources.append(f"{namespace}/{low['resource']}" if namespace else str(low["resource"]))
        for spec in low.get("resourcespecs") or []:
            spec_low = _lower_keys(spec)
            name = str(spec_low.get("name", ""))
            ns = str(spec_low.get("namespace", ""))
            resources.append(f"{ns}/{name}" if ns else name)
        generated = low.get("generatedresources") or []
        if low.get("generatedresource"):
            generated = [low["generatedresource"], *generated]
        return cls(
            index=index,
            policy=str(low.get("policy", "")),
            rule=str(low.get("rule", "") or ""),
            kind=str(low.get("kind", "") or ""),
            resources=tuple(resources),
            result=str(low.get("result") or low.get("status") or ""),
            operation=str(low.get("operation", "") or "CREATE").upper(),
            policy_kind_flag=flag,
            patched_resources=str(low.get("patchedresources", "") or low.get("patchedresource", "") or ""),
            generated_resources=tuple(str(g) for g in generated),
            clone_source=str(low.get("clonesourceresource") or ""),
            raw=data,
        )


@dataclass(frozen=True)
class TestFile:
    """One Test document and the folder its relative paths resolve against."""

    path: Path
    document: int
    name: str
    data: dict[str, Any]
    rows: tuple[ExpectedRow, ...]

    @property
    def folder(self) -> Path:
        """The folder holding the test file."""
        return self.path.parent

    def paths(self, key: str) -> list[Path]:
        """Resolved paths listed under ``key`` (a list or a single string)."""
        value = _lower_keys(self.data).get(key.lower())
        if not value:
            return []
        items = value if isinstance(value, list) else [value]
        return [(self.folder / str(item)).resolve() for item in items]

    def value(self, key: str) -> Any:
        """A top-level field, case-insensitively."""
        return _lower_keys(self.data).get(key.lower())

    def unsupported_fields(self) -> list[str]:
        """A warning for each field of the Test (top level and ``results[]`` rows) that the runner does not read."""
        warnings = [
            f"unsupported Test field {key!r} (ignored)" for key in self.data if str(key).lower() not in TEST_FIELDS
        ]
        flags = {f"is{name.lower()}" for name in REGISTRY.names()}
        for row in self.rows:
            for key in row.raw:
                if str(key).lower() not in ROW_FIELDS and str(key).lower() not in flags:
                    warnings.append(f"unsupported field {key!r} in results[{row.index}] (ignored)")
        return warnings

    @property
    def label(self) -> str:
        """A short name for reports: the folder path and test name."""
        return f"{self.folder}::{self.name}" if self.name else str(self.folder)


def parse_test_file(path: Path) -> list[TestFile]:
    """Parse every Test document of a file."""
    tests = []
    for doc in read_documents(path):
        data = doc.data
        rows = tuple(
            ExpectedRow.parse(i, row)
            for i, row in enumerate(_lower_keys(data).get("results") or [])
            if isinstance(row, dict)
        )
        name = str((data.get("metadata") or {}).get("name") or data.get("name") or "")
        tests.append(TestFile(path, doc.index, name, data, rows))
    return tests


def discover(paths: Iterable[str | Path], file_name: str = DEFAULT_FILE_NAME) -> Iterator[Path]:
    """Test files under the given paths (a file path is taken as it is), sorted."""
    for item in paths:
        p = Path(item)
        if p.is_file():
            yield p
        elif p.is_dir():
            yield from sorted(f for f in p.rglob(file_name) if f.is_file())
        else:
            raise LoadError("no such file or directory", source=str(p))

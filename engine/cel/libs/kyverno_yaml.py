"""Kyverno's ``yaml`` library: ``yaml.parse(string) -> dyn``.

Kyverno parses with ``sigs.k8s.io/yaml`` (YAML converted to JSON, then decoded into ``any``): numbers become
doubles, map keys become strings, timestamps stay strings, and only the first document counts.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..decl import CelFunctionError, Library, function, overload
from .kyverno_common import go_json_numbers, require_str


class _JsonishLoader(yaml.SafeLoader):
    """A safe loader that keeps timestamps as strings (as sigs.k8s.io/yaml does)."""


_JsonishLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _json_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {_key_text(key): _json_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_keys(item) for item in value]
    return value


def _key_text(key: Any) -> str:
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    return str(key)


def parse(text: Any) -> Any:
    """Parse the first YAML document of ``text`` into plain values (numbers as doubles)."""
    source = require_str(text, "yaml.parse")
    try:
        documents = yaml.load_all(source, Loader=_JsonishLoader)
        document = next(iter(documents), None)
    except yaml.YAMLError as exc:
        raise CelFunctionError(f"yaml.parse: {exc}") from None
    return go_json_numbers(_json_keys(document))


LIBRARY = Library(
    "kyverno.yaml", (function("yaml.parse", overload("kyverno_yaml_parse_string", ["string"], "dyn", parse)),)
)

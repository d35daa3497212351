"""Kyverno's ``yaml`` library: ``yaml.parse(string) -> dyn``.

Kyverno parses with ``sigs.k8s.io/yaml`` (YAML converted to JSON, then decoded into ``any``): numbers become
doubles, map keys become strings, timestamps stay strings, and only the first document counts.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..decl import CelFunctionError, Library, function, overload
from ._limits import check_text_size
from ._safe_yaml import YamlBomb, load_first
from .kyverno_common import go_json_numbers, require_str, yaml_key_text


class _JsonishLoader(yaml.SafeLoader):
    """A safe loader that keeps timestamps as strings (as sigs.k8s.io/yaml does)."""


_JsonishLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _json_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {yaml_key_text(key): _json_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_keys(item) for item in value]
    return value


def parse(text: Any) -> Any:
    """Parse the first YAML document of ``text`` into plain values (numbers as doubles).

    Refuses documents over the size limit, anchors that contain themselves and excessive aliasing (see
    :mod:`._safe_yaml`), as Kubernetes' YAML decoder does.
    """
    source = require_str(text, "yaml.parse")
    check_text_size("yaml.parse", source, "document")
    try:
        document = load_first(source, _JsonishLoader)
        return go_json_numbers(_json_keys(document))
    except (yaml.YAMLError, YamlBomb) as exc:
        raise CelFunctionError(f"yaml.parse: {exc}") from None
    except RecursionError:
        raise CelFunctionError("yaml.parse: the document nests too deeply") from None


LIBRARY = Library(
    "kyverno.yaml", (function("yaml.parse", overload("kyverno_yaml_parse_string", ["string"], "dyn", parse)),)
)

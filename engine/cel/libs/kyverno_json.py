"""Kyverno's ``json`` library: ``json.unmarshal(string) -> dyn`` and ``json.marshal(dyn) -> string``.

Kyverno decodes with Go's ``encoding/json`` into ``any``, so every JSON number comes back as a double, and encodes
with ``json.Marshal`` (sorted keys, no whitespace, HTML characters escaped).
"""

from __future__ import annotations

from typing import Any

from ..decl import Library, function, overload
from ._limits import check_text_size
from .kyverno_common import KYVERNO_KINDS, go_json_decode, go_json_encode, require_str

KINDS = KYVERNO_KINDS


def unmarshal(text: Any) -> Any:
    """Decode a JSON document (numbers become doubles, as in Go)."""
    source = require_str(text, "json.unmarshal")
    check_text_size("json.unmarshal", source, "document")
    return go_json_decode(source, "json.unmarshal")


def marshal(value: Any) -> str:
    """Encode a value as Go's ``json.Marshal`` would."""
    return go_json_encode(value)


LIBRARY = Library(
    "kyverno.json",
    (
        function("json.unmarshal", overload("kyverno_json_unmarshal_string", ["string"], "dyn", unmarshal)),
        function("json.marshal", overload("kyverno_json_marshal_dyn", ["dyn"], "string", marshal)),
    ),
)

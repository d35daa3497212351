"""GeneratingPolicy templates: YAML text with ``(( expr ))`` CEL placeholders, rendered then parsed.

Placeholders are replaced before the YAML is parsed: a string result is inserted as it is (so
``name: (( variables.ns ))-config`` works), any other value as JSON (valid YAML flow syntax), ``null`` as ``null``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..cel import Program
from ..common.expressions import BoundProgram, Compiler
from ..documents import parse_documents
from ..errors import EvaluationError, LoadError

PLACEHOLDER = re.compile(r"\(\((.*?)\)\)", re.S)


class TemplateError(EvaluationError):
    """A template cannot be rendered or parsed."""


@dataclass(frozen=True)
class CompiledTemplate:
    """A template and the compiled programs of its placeholders (in order of appearance)."""

    text: str
    programs: tuple[Program | BoundProgram, ...]

    @classmethod
    def compile(cls, compiler: Compiler, text: str, interpolate: str, path: str) -> CompiledTemplate:
        """Compile the placeholders (none when ``interpolate`` is not ``cel``)."""
        if interpolate != "cel":
            return cls(text, ())
        programs = []
        for i, match in enumerate(PLACEHOLDER.finditer(text)):
            program = compiler.compile_expression(match.group(1).strip(), f"{path}.value(( #{i} ))")
            if program is not None:
                programs.append(program)
        return cls(text, tuple(programs))

    def render(self, evaluate: Callable[[Program | BoundProgram], Any]) -> list[dict[str, Any]]:
        """Evaluate the placeholders with ``evaluate`` and parse the resulting YAML into objects."""
        values = iter(self.programs)
        if self.programs:
            def substitute(_: re.Match[str]) -> str:
                value = evaluate(next(values))
                return value if isinstance(value, str) else json.dumps(value)

            text = PLACEHOLDER.sub(substitute, self.text)
        else:
            text = self.text
        try:
            return [doc.data for doc in parse_documents(text, "template")]
        except LoadError as exc:
            raise TemplateError(f"rendered template is not valid YAML: {exc}") from None

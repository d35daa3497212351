"""Checks for Agent Skills folders: the SKILL.md frontmatter rules and the tool references in the text.

The frontmatter rules follow the Agent Skills specification (agentskills.io): ``name`` 1-64 characters of
lower-case letters, digits and single hyphens, equal to the folder name, without the reserved words; a
``description`` of 1-1024 characters without angle brackets; only the optional keys ``license``,
``compatibility`` (1-500 characters), ``metadata`` (a string-to-string map) and ``allowed-tools``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ALLOWED_KEYS = frozenset({"name", "description", "license", "compatibility", "metadata", "allowed-tools"})
RESERVED_WORDS = ("anthropic", "claude")
NAME_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_BODY_LINES = 500

#: A snake_case identifier with at least one underscore: the shape of our tool and argument names.
SNAKE = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+"
_TOOL_CALL = re.compile(rf"({SNAKE})\((.*)\)", re.S)
_IDENTIFIER = re.compile(SNAKE)
_NAMED_ARGUMENT = re.compile(r"([a-z_][a-z0-9_]*)\s*=(?!=)")
_BARE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_ASSIGNMENT = re.compile(rf"({SNAKE}|[a-z][a-z0-9]*)=.*", re.S)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_FENCED = re.compile(r"^```.*?^```", re.S | re.M)
_LINK = re.compile(r"\]\(([^)#\s]+)\)")


@dataclass
class Skill:
    """One skill folder, read."""

    folder: Path
    frontmatter: dict[str, Any]
    body: str

    @property
    def texts(self) -> dict[str, str]:
        """The Markdown texts of the skill: SKILL.md's body and every references/*.md file, by relative path."""
        out = {"SKILL.md": self.body}
        for path in sorted(self.folder.glob("references/*.md")):
            out[str(path.relative_to(self.folder))] = path.read_text(encoding="utf-8")
        return out


def read_skill(folder: Path) -> Skill:
    """Read ``folder/SKILL.md``; :class:`ValueError` when it has no YAML frontmatter mapping."""
    text = (folder / "SKILL.md").read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError(f"{folder.name}/SKILL.md must start with a '---' line")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ValueError(f"{folder.name}/SKILL.md: the frontmatter is not closed by a '---' line")
    data = yaml.safe_load(text[4:end])
    if not isinstance(data, dict):
        raise ValueError(f"{folder.name}/SKILL.md: the frontmatter must be a YAML mapping")
    return Skill(folder, data, text[end + 5:])


def frontmatter_problems(frontmatter: dict[str, Any], folder_name: str) -> list[str]:
    """Every violation of the frontmatter rules (empty when the frontmatter is valid)."""
    problems = [f"unexpected key {key!r}" for key in sorted(set(frontmatter) - ALLOWED_KEYS, key=str)]
    name = frontmatter.get("name")
    if not isinstance(name, str) or not name:
        problems.append("name is required and must be a non-empty string")
    else:
        if len(name) > 64:
            problems.append(f"name is {len(name)} characters long (at most 64)")
        if not NAME_PATTERN.fullmatch(name):
            problems.append(f"name {name!r} must be lower-case letters, digits and single inner hyphens")
        if name != folder_name:
            problems.append(f"name {name!r} differs from the folder name {folder_name!r}")
        problems += [f"name contains the reserved word {word!r}" for word in RESERVED_WORDS if word in name]
    description = frontmatter.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append("description is required and must be a non-empty string")
    else:
        if len(description) > 1024:
            problems.append(f"description is {len(description)} characters long (at most 1024)")
        if "<" in description or ">" in description:
            problems.append("description must not contain '<' or '>'")
    if "license" in frontmatter and not (isinstance(frontmatter["license"], str) and frontmatter["license"]):
        problems.append("license must be a non-empty string")
    if "compatibility" in frontmatter:
        compatibility = frontmatter["compatibility"]
        if not isinstance(compatibility, str) or not 1 <= len(compatibility) <= 500:
            problems.append("compatibility must be a string of 1 to 500 characters")
    if "metadata" in frontmatter:
        metadata = frontmatter["metadata"]
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            problems.append("metadata must map strings to strings (quote numbers such as version)")
    if "allowed-tools" in frontmatter and not isinstance(frontmatter["allowed-tools"], str):
        problems.append("allowed-tools must be a space-separated string")
    return problems


@dataclass
class ToolReferences:
    """The tools and arguments a text refers to, and the references that could not be read."""

    calls: dict[str, set[str]] = field(default_factory=dict)
    identifiers: set[str] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)

    def tools(self, known_tools: set[str]) -> set[str]:
        """Every tool named, called or not."""
        return set(self.calls) | (self.identifiers & known_tools)


def split_arguments(text: str) -> list[str]:
    """Split a call's argument text at top-level commas (brackets and quotes nest)."""
    parts: list[str] = []
    depth = 0
    quote = ""
    current: list[str] = []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def tool_references(markdown: str) -> ToolReferences:
    """Tool calls (``tool(arg=value, ...)``), bare snake_case identifiers and ``arg=value`` spans in inline code."""
    refs = ToolReferences()
    for span in _INLINE_CODE.findall(_FENCED.sub("", markdown)):
        span = span.strip()
        call = _TOOL_CALL.fullmatch(span)
        if call:
            keys = refs.calls.setdefault(call.group(1), set())
            for argument in split_arguments(call.group(2)):
                named = _NAMED_ARGUMENT.match(argument)
                if named:
                    keys.add(named.group(1))
                elif _BARE_NAME.fullmatch(argument):
                    keys.add(argument)
                else:
                    refs.unreadable.append(f"{span}: argument {argument!r} is neither `name=value` nor a name")
        elif _IDENTIFIER.fullmatch(span):
            refs.identifiers.add(span)
        elif (assignment := _ASSIGNMENT.fullmatch(span)) and "_" in assignment.group(1):
            refs.identifiers.add(assignment.group(1))
    return refs


def relative_links(markdown: str) -> list[str]:
    """Targets of Markdown links that are not URLs."""
    return [t for t in _LINK.findall(markdown) if "://" not in t and not t.startswith("mailto:")]

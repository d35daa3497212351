"""File names built from object fields (kind, namespace, name): always one plain segment inside the target folder.

Objects come from policies and manifests that may be hostile (a generated object of kind ``../../escaped``), so a
field never reaches the file system as written: separators, dots at the start and every other character outside
``[A-Za-z0-9._-]`` are replaced, and over-long names are shortened with a digest that keeps them distinct.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: File systems allow 255 bytes per name; leave room for a suffix.
MAX_NAME = 200


def safe_segment(value: str) -> str:
    """``value`` as a string that is safe inside one path segment (never empty, ``.``, ``..`` or hidden)."""
    cleaned = _UNSAFE.sub("_", value).lstrip(".")
    return cleaned or "_"


def safe_file_name(parts: Iterable[str], suffix: str = "") -> str:
    """The non-empty ``parts`` made safe and joined with ``-``, plus ``suffix`` (a constant such as ``.yaml``): one
    file name, no directories."""
    stem = "-".join(safe_segment(part) for part in parts if part) or "_"
    if len(stem) > MAX_NAME:
        digest = hashlib.sha256(stem.encode()).hexdigest()[:12]
        stem = f"{stem[:MAX_NAME - 13]}-{digest}"
    return stem + suffix

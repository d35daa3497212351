"""Image references as Kyverno's ``GetImageInfo`` reads them (``pkg/utils/image/infos.go``).

A reference whose first path component is not a registry (no ``.`` or ``:``, not ``localhost``, lowercase) gets
the default registry ``docker.io`` prepended, then it is parsed with the distribution/reference grammar (no
``library/`` normalisation). Without tag and digest the tag is ``latest``. :func:`image_info` gives the fields of
``images.<containers|initContainers|ephemeralContainers>.<name>``; :meth:`ImageInfo.reference` is what
``image_normalize`` returns (``docker.io/nginx:latest``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import re2

__all__ = ["DEFAULT_REGISTRY", "ImageInfo", "ImageReferenceError", "image_info"]

DEFAULT_REGISTRY = "docker.io"
DEFAULT_TAG = "latest"
_NAME_LIMIT = 255

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[(?:[a-fA-F0-9:]+)\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re2.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", _OPTIONS)
_SPLIT_NAME = re2.compile(rf"(?:({_DOMAIN})/)?({_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)", _OPTIONS)
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


class ImageReferenceError(ValueError):
    """The string is not an image reference."""


@dataclass(frozen=True)
class ImageInfo:
    """Kyverno's ImageInfo: registry, path, name, tag, digest, and the JSON pointer of the field it came from."""

    registry: str
    path: str
    name: str
    tag: str = ""
    digest: str = ""
    pointer: str = ""

    def reference(self) -> str:
        """``ImageInfo.String()``: ``registry/path@digest`` or ``registry/path:tag``."""
        image = f"{self.registry}/{self.path}" if self.registry else self.path
        return f"{image}@{self.digest}" if self.digest else f"{image}:{self.tag}"

    def reference_with_tag(self) -> str:
        """``registry/path:tag`` (empty when the reference has no tag)."""
        if not self.tag:
            return ""
        image = f"{self.registry}/{self.path}" if self.registry else self.path
        return f"{image}:{self.tag}"

    def to_context(self) -> dict[str, Any]:
        """The JSON object the ``images`` variable holds (empty fields omitted as Go's ``omitempty`` does)."""
        data: dict[str, Any] = {"registry": self.registry, "name": self.name, "path": self.path, "tag": self.tag,
                                "digest": self.digest, "reference": self.reference(),
                                "referenceWithTag": self.reference_with_tag()}
        data = {key: value for key, value in data.items() if value or key in ("name", "path")}
        data["jsonPointer"] = self.pointer
        return data


def _with_default_registry(image: str) -> str:
    slash = image.find("/")
    if slash == -1:
        return f"{DEFAULT_REGISTRY}/{image}"
    first = image[:slash]
    if not any(c in first for c in ".:") and first != "localhost" and first.lower() == first:
        return f"{DEFAULT_REGISTRY}/{image}"
    return image


def image_info(image: str, pointer: str = "") -> ImageInfo:
    """Parse a container image as Kyverno does; raise :class:`ImageReferenceError` with its message."""
    info = _parse(image)
    return replace(info, pointer=pointer) if pointer else info


@lru_cache(maxsize=4096)
def _parse(image: str) -> ImageInfo:
    full = _with_default_registry(image)
    bad = f"bad image: {full}, defaultRegistry: {DEFAULT_REGISTRY}, enableDefaultRegistryMutation: true"
    match = _REFERENCE.fullmatch(full)
    if match is None:
        if full and _REFERENCE.fullmatch(full.lower()) is not None:
            raise ImageReferenceError(f"{bad}: invalid reference format: repository name must be lowercase")
        raise ImageReferenceError(f"{bad}: invalid reference format")
    name, tag, digest = match.group(1), match.group(2) or "", match.group(3) or ""
    if len(name) > _NAME_LIMIT:
        raise ImageReferenceError(f"{bad}: repository name must not be more than 255 characters")
    if digest:
        algorithm, _, encoded = digest.partition(":")
        expected = _DIGEST_LENGTHS.get(algorithm)
        if expected is None:
            raise ImageReferenceError(f"{bad}: unsupported digest algorithm")
        if len(encoded) != expected:
            raise ImageReferenceError(f"{bad}: invalid checksum digest length")
    parts = _SPLIT_NAME.fullmatch(name)
    assert parts is not None
    registry, path = parts.group(1) or "", parts.group(2)
    if not tag and not digest:
        tag = DEFAULT_TAG
    return ImageInfo(registry, path, path.rsplit("/", 1)[-1], tag, digest)

"""Kyverno's ``image`` library: image references parsed as go-containerregistry's ``name.ParseReference`` does.

``parseImageReference(s)`` (and the deprecated ``image(s)``) return an Image, ``isImage(s)`` says whether ``s``
parses. Methods: ``registry()``, ``repository()``, ``identifier()``, ``tag()``, ``digest()``, ``containsDigest()``.

Normalisation follows go-containerregistry (the library Kyverno wraps): the first path component is a registry only
if it contains ``.`` or ``:``; Docker Hub's registry is ``index.docker.io`` (``docker.io`` is rewritten to it) and
single-name Docker Hub repositories get ``library/``; a reference with neither tag nor digest gets tag ``latest``.
A reference with a digest is a digest reference: ``tag()`` is then empty even if a tag was written
(``nginx:1.2@sha256:...``). Tags are 1-128 characters of ``[A-Za-z0-9_.-]`` in any order (no rule on the first
character, unlike Docker's grammar). An unparsable string is the error ``could not parse reference: <s>``. An Image
is a tagged map; two Images are equal when parsed from the same string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..decl import CelFunctionError, Function, Library, function, overload
from .kyverno_common import KYVERNO_KINDS, require_str, require_tagged, tagged

KINDS = KYVERNO_KINDS

IMAGE_TYPE = "kyverno.Image"
DEFAULT_REGISTRY = "index.docker.io"
DOCKER_HUB_ALIAS = "docker.io"
DEFAULT_TAG = "latest"

_REPOSITORY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-./")
_TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
_SHA256_HEX = re.compile(r"^[a-f0-9]{64}$")
_REGISTRY = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(:[0-9]*)?$")


class ImageReferenceError(CelFunctionError):
    """The string is not a valid image reference."""


@dataclass(frozen=True)
class ImageReference:
    """A parsed reference: exactly one of ``tag`` / ``digest`` is set."""

    original: str
    registry: str
    repository: str
    tag: str = ""
    digest: str = ""

    @property
    def identifier(self) -> str:
        """The tag of a tag reference, the digest of a digest reference."""
        return self.digest or self.tag

    def to_cel(self) -> dict[str, Any]:
        """The tagged map the CEL layer carries."""
        return tagged(
            IMAGE_TYPE,
            reference=self.original,
            registry=self.registry,
            repository=self.repository,
            tag=self.tag,
            digest=self.digest,
        )


def _check_repository(repository: str) -> None:
    if not 2 <= len(repository) <= 255:
        raise ImageReferenceError(f"repository must be between 2 and 255 characters in length: {repository}")
    bad = sorted(set(repository) - _REPOSITORY_CHARS)
    if bad:
        raise ImageReferenceError(f"repository can only contain the characters `{''.join(sorted(_REPOSITORY_CHARS))}`:"
                                  f" {repository}")


def _check_registry(registry: str) -> None:
    if registry and not _REGISTRY.match(registry):
        raise ImageReferenceError(f"registries must be valid RFC 3986 URI authorities: {registry}")


def _repository(name: str) -> tuple[str, str]:
    """Split ``name`` into (registry, repository-as-written) like ``name.NewRepository``."""
    if not name:
        raise ImageReferenceError("a repository name must be specified")
    registry = ""
    repository = name
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first):
        registry, repository = first, rest
    _check_repository(repository)
    _check_registry(registry)
    if not registry or registry == DOCKER_HUB_ALIAS:
        registry = DEFAULT_REGISTRY
    if registry == DEFAULT_REGISTRY and "/" not in repository:
        repository = f"library/{repository}"
    return registry, repository


def _tag_reference(text: str) -> ImageReference:
    base, tag = text, ""
    parts = text.split(":")
    if len(parts) > 1 and "/" not in parts[-1]:
        base, tag = ":".join(parts[:-1]), parts[-1]
        if not tag:
            raise ImageReferenceError(f"{text} must specify a tag name after the colon")
    if tag and (len(tag) > 128 or set(tag) - _TAG_CHARS):
        raise ImageReferenceError(f"tag can only contain the characters `{''.join(sorted(_TAG_CHARS))}`: {tag}")
    registry, repository = _repository(base)
    return ImageReference(text, registry, repository, tag=tag or DEFAULT_TAG)


def _digest_reference(text: str) -> ImageReference:
    parts = text.split("@")
    if len(parts) != 2:
        raise ImageReferenceError(
            f"a digest must contain exactly one '@' separator (e.g. registry/repository@digest) saw: {text}"
        )
    base, digest = parts
    if not digest.startswith("sha256:"):
        raise ImageReferenceError(f"unsupported digest algorithm: {digest}")
    if not _SHA256_HEX.match(digest[len("sha256:") :]):
        raise ImageReferenceError(f"invalid checksum digest format: {digest}")
    try:
        written = _tag_reference(base)
    except ImageReferenceError:
        registry, repository = _repository(base)
    else:
        registry, repository = written.registry, written.repository
    return ImageReference(text, registry, repository, digest=digest)


def parse_reference(text: str) -> ImageReference:
    """Parse an image reference (tag form first, then digest form); raise :class:`ImageReferenceError` with
    ``name.ParseReference``'s message."""
    try:
        return _tag_reference(text)
    except ImageReferenceError:
        pass
    try:
        return _digest_reference(text)
    except ImageReferenceError:
        raise ImageReferenceError(f"could not parse reference: {text}") from None


def parse_image_reference(text: Any) -> dict[str, Any]:
    """CEL ``parseImageReference(s)``: the Image of ``s`` or a CEL error."""
    return parse_reference(require_str(text, "parseImageReference")).to_cel()


def is_image(text: Any) -> bool:
    """CEL ``isImage(s)``: whether ``s`` is a valid image reference."""
    try:
        parse_reference(require_str(text, "isImage"))
    except ImageReferenceError:
        return False
    return True


def _field(name: str, method: str) -> Any:
    def read(image: Any) -> Any:
        return require_tagged(image, IMAGE_TYPE, method)[name]

    read.__doc__ = f"CEL ``<Image>.{method}()``."
    return read


def _identifier(image: Any) -> str:
    value = require_tagged(image, IMAGE_TYPE, "identifier")
    return str(value["digest"] or value["tag"])


def _contains_digest(image: Any) -> bool:
    return bool(require_tagged(image, IMAGE_TYPE, "containsDigest")["digest"])


def _functions() -> tuple[Function, ...]:
    methods = {
        "registry": _field("registry", "registry"),
        "repository": _field("repository", "repository"),
        "tag": _field("tag", "tag"),
        "digest": _field("digest", "digest"),
        "identifier": _identifier,
    }
    functions = [
        function("parseImageReference", overload("kyverno_parseImageReference_string", ["string"], "map",
                                                 parse_image_reference)),
        function("image", overload("kyverno_image_string", ["string"], "map", parse_image_reference)),
        function("isImage", overload("kyverno_isImage_string", ["string"], "bool", is_image)),
        function("containsDigest",
                 overload("kyverno_image_containsDigest", ["map"], "bool", _contains_digest, member=True)),
    ]
    for name, impl in methods.items():
        functions.append(function(name, overload(f"kyverno_image_{name}", ["map"], "string", impl, member=True)))
    return tuple(functions)


LIBRARY = Library("kyverno.image", _functions())

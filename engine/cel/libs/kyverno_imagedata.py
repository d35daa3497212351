"""Kyverno's ``imagedata`` library: ``image.GetMetadata(ref) -> dyn`` (alias ``image.getMetadata``).

Returns the image's data (``image``, ``resolvedImage``, ``registry``, ``repository``, ``identifier``, ``manifest``,
``config``, ...) from the image-data provider; an unknown image is a CEL error.
"""

from __future__ import annotations

from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ..providers import LookupUnavailable, current_providers, note_unanswered
from .kyverno_common import require_str


def get_metadata(reference: Any) -> Any:
    """Metadata (manifest, config, ...) of an image reference."""
    image = require_str(reference, "image.GetMetadata", "image reference")
    return fetch_image_data(
        image, "image.GetMetadata: no image data provider is configured (offline: supply a Context with spec.images)"
    )


def fetch_image_data(image: str, unconfigured: str) -> Any:
    """The image-data provider's metadata of ``image``; an unanswered :class:`CelFunctionError` (``unconfigured``
    when there is no provider) when it cannot say."""
    provider = current_providers().image_data
    if provider is None:
        raise CelFunctionError(note_unanswered(unconfigured))
    try:
        return provider.get_metadata(image)
    except LookupError as exc:
        reason = f"failed to get image data for {image}: {exc.args[0] if exc.args else exc}"
        raise CelFunctionError(note_unanswered(reason) if isinstance(exc, LookupUnavailable) else reason) from None


LIBRARY = Library(
    "kyverno.imagedata",
    tuple(
        function(f"image.{name}", overload(f"kyverno_image_{name}_string", ["string"], "dyn", get_metadata))
        for name in ("GetMetadata", "getMetadata")
    ),
)

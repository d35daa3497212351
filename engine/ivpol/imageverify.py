"""Kyverno's ``imageverify`` functions (ImageValidatingPolicy only), offline.

``getImageData(image)`` reads the image-data provider (a Context's ``spec.images`` offline). Signature and
attestation checks (``verifyImageSignatures``, ``verifyAttestationSignatures``, ``extractPayload``) need the
registry: offline they raise a CEL error and record the call, so that the policy reports an ``error`` result even
when an expression such as ``... || true`` would absorb the error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ..cel.decl import CelFunctionError, Library, function, overload
from ..cel.libs.kyverno_imagedata import fetch_image_data
from ..cel.providers import note_unanswered

REGISTRY_NEEDED = "image signature verification needs registry access, which is not available offline"

_calls: ContextVar[list[str] | None] = ContextVar("pykyverno_ivpol_registry_calls", default=None)


@contextmanager
def recording_registry_calls() -> Iterator[list[str]]:
    """Collect the names of registry-bound functions called within the block."""
    calls: list[str] = []
    token = _calls.set(calls)
    try:
        yield calls
    finally:
        _calls.reset(token)


def _needs_registry(name: str) -> Any:
    calls = _calls.get()
    if calls is not None:
        calls.append(name)
    raise CelFunctionError(note_unanswered(f"{name}: {REGISTRY_NEEDED}"))


def verify_image_signatures(image: Any, attestors: Any) -> Any:
    """Offline: always an error (needs the registry)."""
    return _needs_registry("verifyImageSignatures")


def verify_attestation_signatures(image: Any, attestation: Any, attestors: Any) -> Any:
    """Offline: always an error (needs the registry)."""
    return _needs_registry("verifyAttestationSignatures")


def extract_payload(image: Any, attestation: Any) -> Any:
    """Offline: always an error (needs the registry)."""
    return _needs_registry("extractPayload")


def get_image_data(image: Any) -> Any:
    """Image metadata from the image-data provider."""
    if not isinstance(image, str):
        raise CelFunctionError("getImageData: image must be a string")
    return fetch_image_data(image, "getImageData: no image data provider is configured (supply a Context spec.images)")


LIBRARY = Library(
    "kyverno.imageverify",
    (
        function(
            "verifyImageSignatures",
            overload("ivpol_verify_image_signatures", ["string", "list"], "int", verify_image_signatures),
        ),
        function(
            "verifyAttestationSignatures",
            overload(
                "ivpol_verify_attestation_signatures", ["string", "dyn", "list"], "int", verify_attestation_signatures
            ),
        ),
        function("extractPayload", overload("ivpol_extract_payload", ["string", "dyn"], "dyn", extract_payload)),
        function("getImageData", overload("ivpol_get_image_data", ["string"], "dyn", get_image_data)),
    ),
)

"""Kyverno's ``x509`` library: ``x509.decode(pem) -> dyn`` (the decoding is in :mod:`.x509_certificates`, imported
on first use: :mod:`cryptography` costs ~15 MB and 60 ms that scans without certificates never need)."""

from __future__ import annotations

from typing import Any

from ..decl import Library, function, overload


def decode(pem: Any) -> Any:
    """Decode the first PEM block (``CERTIFICATE`` or ``CERTIFICATE REQUEST``) of ``pem`` as Kyverno renders it."""
    from .x509_certificates import decode as decode_pem

    return decode_pem(pem)


LIBRARY = Library("kyverno.x509", (function("x509.decode", overload("kyverno_x509_decode_string", ["string"], "dyn",
                                                                      decode)),))

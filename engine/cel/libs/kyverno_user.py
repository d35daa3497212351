"""Kyverno's ``user`` library: ``parseServiceAccount(username) -> ServiceAccount``.

``system:serviceaccount:<namespace>:<name>`` gives ``{Namespace, Name}`` (Go field names, as policies read them:
``parseServiceAccount(request.userInfo.username).Namespace``); any other username gives empty strings. Also
registered as ``user.parseServiceAccount``. Wired in vpol, mpol and ivpol only.
"""

from __future__ import annotations

from typing import Any

from ..decl import Library, function, overload
from .kyverno_common import require_str

_PREFIX = "system:serviceaccount:"


def parse_service_account(username: Any) -> dict[str, str]:
    """Split a service-account username into namespace and name."""
    text = require_str(username, "parseServiceAccount")
    namespace = name = ""
    if text.startswith(_PREFIX):
        parts = text[len(_PREFIX) :].split(":")
        if len(parts) == 2:
            namespace, name = parts
    return {"Namespace": namespace, "Name": name}


LIBRARY = Library(
    "kyverno.user",
    (
        function(
            "parseServiceAccount",
            overload("kyverno_parseServiceAccount_string", ["string"], "map", parse_service_account),
        ),
        function(
            "user.parseServiceAccount",
            overload("kyverno_user_parseServiceAccount_string", ["string"], "map", parse_service_account),
        ),
    ),
)

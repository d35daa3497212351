"""The project's one redaction module: what must never leave the process, and where it is stopped.

- **Entry** (:mod:`.objects`): objects from a cluster, a snapshot or an agent's manifest lose Secret values and
  credential-like values before anything evaluates, stores or shows them; the cluster client applies it to every
  answer (:func:`redact_body`), by resource type.
- **Memory** (:mod:`.ledger`): every value removed at entry (and every kubeconfig credential) is remembered for the
  request (:func:`secret_scope`).
- **Exit** (:mod:`.output`): MCP answers, CLI output and log records are masked (:func:`mask_text`,
  :func:`mask_data`, :func:`masked_stdio`, :func:`install_log_masking`): credential patterns (:mod:`.text`: URL user
  info, credential query parameters and assignments, bearer tokens, JWTs, private keys) and remembered values.
- **Names** (:mod:`.names`): which names hold credentials (:func:`is_credential_name`).

URLs shown as such (kubeconfig servers) go through :func:`safe_url`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .ledger import SecretLedger, current_ledger, in_current_context, remember, remember_process, secret_scope
from .names import is_credential_name
from .objects import LAST_APPLIED, redact, redact_body, remember_sensitive
from .output import MaskingWriter, install_log_masking, mask_data, mask_text, masked_stdio
from .text import REDACTED, mask_patterns


def safe_url(url: str) -> str:
    """A URL to show: without user info and fragment, every query value masked (a server URL needs neither)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    query = urlencode([(k, REDACTED) for k, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="<>")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


__all__ = [
    "LAST_APPLIED",
    "REDACTED",
    "MaskingWriter",
    "SecretLedger",
    "current_ledger",
    "in_current_context",
    "install_log_masking",
    "is_credential_name",
    "mask_data",
    "mask_patterns",
    "mask_text",
    "masked_stdio",
    "redact",
    "redact_body",
    "remember",
    "remember_process",
    "remember_sensitive",
    "safe_url",
    "secret_scope",
]

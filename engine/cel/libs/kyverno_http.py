"""Kyverno's ``http`` library: ``http.Get(url[, headers])``, ``http.Post(url, body[, headers])`` and
``http.Client(caBundle)``, delegated to the HTTP provider.

The response body is decoded as Go's ``encoding/json`` does (numbers become doubles). ``http.Client(caBundle)``
returns a client value whose ``.Get`` / ``.Post`` members behave like the global ones (the CA bundle is recorded in
the request headers as ``X-Kyverno-CA-Bundle`` length only for providers that care; offline providers ignore it).
camelCase aliases (``get``, ``post``, ``client``) are registered too.
"""

from __future__ import annotations

from typing import Any

from ..decl import CelFunctionError, Function, Library, function, overload
from ..providers import HttpProvider, LookupUnavailable, current_providers, note_unanswered
from .kyverno_common import go_json_numbers, require_str, require_tagged, string_map, tagged

CLIENT_TYPE = "kyverno.http.Client"


def _provider(call: str) -> HttpProvider:
    provider = current_providers().http
    if provider is None:
        raise CelFunctionError(note_unanswered(
            f"http.{call}: no http provider is configured (offline: supply apiCallResponses in the test)"
        ))
    return provider


def _request(method: str, url: Any, body: Any = None, headers: Any = None) -> Any:
    call = "Get" if method == "GET" else "Post"
    target = require_str(url, f"http.{call}", "url")
    header_map = string_map(headers, f"http.{call}") if headers is not None else None
    try:
        response = _provider(call).request(method, target, body, header_map)
    except LookupError as exc:
        reason = f"http.{call}: request to {target} failed: {exc.args[0] if exc.args else exc}"
        raise CelFunctionError(note_unanswered(reason) if isinstance(exc, LookupUnavailable) else reason) from None
    return go_json_numbers(response)


def http_get(url: Any, headers: Any = None) -> Any:
    """GET ``url`` and return the decoded body."""
    return _request("GET", url, None, headers)


def http_post(url: Any, body: Any, headers: Any = None) -> Any:
    """POST ``body`` (JSON-encoded) to ``url`` and return the decoded body."""
    return _request("POST", url, body, headers)


def http_client(ca_bundle: Any) -> dict[str, Any]:
    """A client trusting ``ca_bundle``; call ``.Get`` / ``.Post`` on it."""
    return tagged(CLIENT_TYPE, caBundle=require_str(ca_bundle, "http.Client", "caBundle"))


def _client_get(client: Any, url: Any, headers: Any = None) -> Any:
    require_tagged(client, CLIENT_TYPE, "http client Get")
    return http_get(url, headers)


def _client_post(client: Any, url: Any, body: Any, headers: Any = None) -> Any:
    require_tagged(client, CLIENT_TYPE, "http client Post")
    return http_post(url, body, headers)


def _functions() -> tuple[Function, ...]:
    functions = []
    for get_name, post_name, client_name in (("Get", "Post", "Client"), ("get", "post", "client")):
        functions.append(function(
            f"http.{get_name}",
            overload(f"kyverno_http_{get_name}_string", ["string"], "dyn", http_get),
            overload(f"kyverno_http_{get_name}_string_map", ["string", "map"], "dyn", http_get),
        ))
        functions.append(function(
            f"http.{post_name}",
            overload(f"kyverno_http_{post_name}_string_dyn", ["string", "dyn"], "dyn", http_post),
            overload(f"kyverno_http_{post_name}_string_dyn_map", ["string", "dyn", "map"], "dyn", http_post),
        ))
        functions.append(function(
            f"http.{client_name}",
            overload(f"kyverno_http_{client_name}_string", ["string"], "map", http_client),
        ))
        functions.append(function(
            get_name,
            overload(f"kyverno_httpclient_{get_name}_string", ["map", "string"], "dyn",
                     _client_get, member=True),
            overload(f"kyverno_httpclient_{get_name}_string_map", ["map", "string", "map"], "dyn",
                     _client_get, member=True),
        ))
        functions.append(function(
            post_name,
            overload(f"kyverno_httpclient_{post_name}_string_dyn", ["map", "string", "dyn"], "dyn",
                     _client_post, member=True),
            overload(f"kyverno_httpclient_{post_name}_string_dyn_map", ["map", "string", "dyn", "map"], "dyn",
                     _client_post, member=True),
        ))
    return tuple(functions)


LIBRARY = Library("kyverno.http", _functions())

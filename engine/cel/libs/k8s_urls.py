"""Kubernetes' CEL URL library (k8s.io/apiserver/pkg/cel/library/urls.go).

``url(s)`` accepts what Go's ``url.ParseRequestURI`` accepts (an absolute URI or an absolute path) and keeps what
``url.Parse`` makes of it; ``isURL(s)`` tells whether ``url(s)`` would succeed. Accessors: ``getScheme()``,
``getHost()``, ``getHostname()``, ``getPort()``, ``getEscapedPath()``, ``getQuery()`` (map of string to list of
strings). The parser below follows Go's net/url rules (scheme, authority, port and host characters, percent escapes,
path re-escaping, query splitting on ``&`` with ``+`` as space and ``;`` pairs dropped).

A URL value is the tagged map ``{"@type": "kubernetes.URL", "scheme", "opaque", "userinfo", "host", "path",
"query", "fragment"}`` (``path`` escaped), so two URLs are ``==`` when Go would print them the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ._k8s_types import URL, expect, tagged

_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_HOST_OK = frozenset(b"-_.~!$&'()*+,;=:[]<>\"")
_PATH_OK = frozenset(b"-_.~$&+,/:;=@")
_VALID_ENCODED_EXTRA = frozenset(b"!$&'()*+,;=:@[]%")
_USERINFO_OK = frozenset(b"-._:~!$&'()*+,;=%@")
_HEX = "0123456789ABCDEF"


class _UrlError(ValueError):
    """A Go net/url parse error (``parse "<url>": <reason>``)."""


def _is_hex(char: str) -> bool:
    return char in "0123456789abcdefABCDEF"


def _unescape(text: str, mode: str) -> bytes:
    """Go's ``unescape`` for the path, host, userinfo and query modes (``+`` is a space in a query only)."""
    raw = text.encode()
    out = bytearray()
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte == ord("%"):
            chunk = raw[i : i + 3].decode(errors="replace")
            if len(chunk) < 3 or not (_is_hex(chunk[1]) and _is_hex(chunk[2])):
                raise _UrlError(f'invalid URL escape "{chunk}"')
            if mode == "host" and int(chunk[1], 16) < 8 and chunk != "%25":
                raise _UrlError(f'invalid URL escape "{chunk}"')
            out.append(int(chunk[1:], 16))
            i += 3
            continue
        if mode == "host" and byte < 0x80 and byte not in _ALNUM and byte not in _HOST_OK:
            raise _UrlError(f'invalid character "{chr(byte)}" in host name')
        out.append(ord(" ") if mode == "query" and byte == ord("+") else byte)
        i += 1
    return bytes(out)


def _escape_path(path: bytes) -> str:
    """Go's ``escape(path, encodePath)``."""
    return "".join(chr(b) if b in _ALNUM or b in _PATH_OK else f"%{_HEX[b >> 4]}{_HEX[b & 15]}" for b in path)


def _valid_encoded_path(raw: str) -> bool:
    return all(b in _ALNUM or b in _PATH_OK or b in _VALID_ENCODED_EXTRA for b in raw.encode())


def _escaped_path(raw_path: str) -> str:
    """Go's ``EscapedPath``: the path as written when that is a valid encoding, else re-escaped."""
    path = _unescape(raw_path, "path")
    if raw_path and _valid_encoded_path(raw_path):
        return raw_path
    if path == b"*":
        return "*"
    return _escape_path(path)


def _valid_optional_port(port: str) -> bool:
    return port == "" or (port.startswith(":") and all(c in "0123456789" for c in port[1:]))


def _split_scheme(raw: str) -> tuple[str, str]:
    for i, char in enumerate(raw):
        if char.isascii() and char.isalpha():
            continue
        if char.isascii() and (char.isdigit() or char in "+-."):
            if i == 0:
                return "", raw
            continue
        if char == ":":
            if i == 0:
                raise _UrlError("missing protocol scheme")
            return raw[:i], raw[i + 1 :]
        return "", raw
    return "", raw


def _parse_host(host: str) -> str:
    if host.startswith("["):
        close = host.rfind("]")
        if close < 0:
            raise _UrlError("missing ']' in host")
        port = host[close + 1 :]
        if not _valid_optional_port(port):
            raise _UrlError(f'invalid port "{port}" after host')
    elif ":" in host:
        port = host[host.rfind(":") :]
        if not _valid_optional_port(port):
            raise _UrlError(f'invalid port "{port}" after host')
    return _unescape(host, "host").decode(errors="replace")


@dataclass(frozen=True)
class _ParsedUrl:
    scheme: str = ""
    opaque: str = ""
    userinfo: str = ""
    host: str = ""
    path: str = ""
    query: str = ""
    fragment: str = ""


def _parse(raw: str, via_request: bool) -> _ParsedUrl:
    """Go's ``url.parse(rawURL, viaRequest)`` (fragment already removed by the caller when not via request)."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise _UrlError("net/url: invalid control character in URL")
    if raw == "" and via_request:
        raise _UrlError("empty url")
    if raw == "*":
        return _ParsedUrl(path="*")
    scheme, rest = _split_scheme(raw)
    scheme = scheme.lower()
    query = ""
    if rest.endswith("?") and rest.count("?") == 1:
        rest = rest[:-1]
    else:
        rest, _, query = rest.partition("?")
    if not rest.startswith("/"):
        if scheme:
            return _ParsedUrl(scheme=scheme, opaque=rest, query=query)
        if via_request:
            raise _UrlError("invalid URI for request")
        if ":" in rest.partition("/")[0]:
            raise _UrlError("first path segment in URL cannot contain colon")
    userinfo = host = ""
    if (scheme or (not via_request and not rest.startswith("///"))) and rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        rest = slash + tail
        at = authority.rfind("@")
        host = _parse_host(authority[at + 1 :] if at >= 0 else authority)
        if at >= 0:
            userinfo = authority[:at]
            if not all(b in _ALNUM or b in _USERINFO_OK or b >= 0x80 for b in userinfo.encode()):
                raise _UrlError("net/url: invalid userinfo")
            for part in userinfo.split(":", 1):
                _unescape(part, "userinfo")
    return _ParsedUrl(scheme=scheme, userinfo=userinfo, host=host, path=_escaped_path(rest), query=query)


@lru_cache(maxsize=1024)
def parse_url(raw: str) -> _ParsedUrl:
    """Parse as Kubernetes does: validate with ParseRequestURI, then keep ``url.Parse``'s result."""
    try:
        _parse(raw, via_request=True)
        without_fragment, _, fragment = raw.partition("#")
        parsed = _parse(without_fragment, via_request=False)
        _unescape(fragment, "fragment")
    except _UrlError as exc:
        raise CelFunctionError(f'URL parse error during conversion from string: parse "{raw}": {exc}') from None
    return _ParsedUrl(
        parsed.scheme, parsed.opaque, parsed.userinfo, parsed.host, parsed.path, parsed.query, fragment
    )


def url(raw: str) -> dict[str, Any]:
    """``url(string)``: the URL value, or an error when Kubernetes' parser rejects the string."""
    parsed = parse_url(raw)
    return tagged(
        URL,
        scheme=parsed.scheme,
        opaque=parsed.opaque,
        userinfo=parsed.userinfo,
        host=parsed.host,
        path=parsed.path,
        query=parsed.query,
        fragment=parsed.fragment,
    )


def is_url(raw: str) -> bool:
    """``isURL(string)``: whether ``url(string)`` would succeed."""
    try:
        parse_url(raw)
    except CelFunctionError:
        return False
    return True


def request_uri_error(raw: str) -> str | None:
    """The Go error text of ``url.ParseRequestURI(raw)`` (used by the ``uri`` format), or ``None`` if valid."""
    try:
        _parse(raw, via_request=True)
    except _UrlError as exc:
        return f'parse "{raw}": {exc}'
    return None


def _split_host_port(host_port: str) -> tuple[str, str]:
    host, port = host_port, ""
    colon = host.rfind(":")
    if colon >= 0 and _valid_optional_port(host[colon:]):
        host, port = host[:colon], host[colon + 1 :]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, port


def get_scheme(value: dict[str, Any]) -> str:
    """``<URL>.getScheme()``: the scheme, or ``''``."""
    return str(expect(value, URL, "getScheme")["scheme"])


def get_host(value: dict[str, Any]) -> str:
    """``<URL>.getHost()``: host with port and IPv6 brackets, or ``''``."""
    return str(expect(value, URL, "getHost")["host"])


def get_hostname(value: dict[str, Any]) -> str:
    """``<URL>.getHostname()``: host without port or brackets."""
    return _split_host_port(str(expect(value, URL, "getHostname")["host"]))[0]


def get_port(value: dict[str, Any]) -> str:
    """``<URL>.getPort()``: the port as a string, or ``''``."""
    return _split_host_port(str(expect(value, URL, "getPort")["host"]))[1]


def get_escaped_path(value: dict[str, Any]) -> str:
    """``<URL>.getEscapedPath()``: the path, percent-escaped as Go prints it."""
    return str(expect(value, URL, "getEscapedPath")["path"])


def get_query(value: dict[str, Any]) -> dict[str, list[str]]:
    """``<URL>.getQuery()``: query parameters, each name mapped to the list of its values (Go's ``Query()``)."""
    result: dict[str, list[str]] = {}
    for pair in str(expect(value, URL, "getQuery")["query"]).split("&"):
        if not pair or ";" in pair:
            continue
        key, _, val = pair.partition("=")
        try:
            key, val = (_unescape(key, "query").decode(errors="replace"),
                            _unescape(val, "query").decode(errors="replace"))
        except _UrlError:
            continue
        result.setdefault(key, []).append(val)
    return result


def _member(name: str, impl: Any, result: str = "string") -> Any:
    return function(name, overload(f"k8s_url_{name}", ("map",), result, impl, member=True))


LIBRARY = Library(
    "k8s_urls",
    (
        function("url", overload("k8s_string_to_url", ("string",), "map", url)),
        function("isURL", overload("k8s_is_url_string", ("string",), "bool", is_url)),
        _member("getScheme", get_scheme),
        _member("getHost", get_host),
        _member("getHostname", get_hostname),
        _member("getPort", get_port),
        _member("getEscapedPath", get_escaped_path),
        _member("getQuery", get_query, "map"),
    ),
)

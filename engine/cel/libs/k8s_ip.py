"""Kubernetes' CEL IP and CIDR libraries (k8s.io/apiserver/pkg/cel/library/ip.go and cidr.go).

``ip(s)``, ``isIP(s)``, ``ip.isCanonical(s)``, ``<IP>.family()``, ``isUnspecified()``, ``isLoopback()``,
``isLinkLocalMulticast()``, ``isLinkLocalUnicast()``, ``isGlobalUnicast()``; ``cidr(s)``, ``isCIDR(s)``,
``<CIDR>.containsIP(ip|string)``, ``containsCIDR(cidr|string)``, ``ip()``, ``masked()``, ``prefixLength()``.
Parsing follows Go's ``netip`` as Kubernetes uses it: no zones, no IPv4-mapped IPv6, no leading zeros in IPv4
octets or prefix lengths. ``string(ip)`` and ``string(cidr)`` live in ``k8s_values`` (one ``string(map)`` overload).

An IP is ``{"@type": "net.IP", "ip": <canonical text>}``; a CIDR is ``{"@type": "net.CIDR", "cidr": "<ip>/<bits>"}``
(the address is kept unmasked, as Kubernetes keeps it, so ``cidr('10.0.0.1/8') != cidr('10.0.0.0/8')``).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ._k8s_types import CIDR, IP, expect, no_overload, tagged, type_of

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4_LINK_LOCAL_MULTICAST = ipaddress.ip_network("224.0.0.0/24")
_V4_LINK_LOCAL_UNICAST = ipaddress.ip_network("169.254.0.0/16")
_V6_LINK_LOCAL_UNICAST = ipaddress.ip_network("fe80::/10")


def _address_error(raw: str) -> str | None:
    if "%" in raw:
        return f"IP address {raw!r} with zone value is not allowed"
    return None


@lru_cache(maxsize=1024)
def parse_address(raw: str) -> Address:
    """Parse an IP address as Kubernetes' ``ip()`` does."""
    problem = _address_error(raw)
    if problem is None:
        try:
            address = ipaddress.ip_address(raw)
        except ValueError as exc:
            problem = f"IP Address {raw!r} parse error during conversion from string: {exc}"
        else:
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
                problem = f"IPv4-mapped IPv6 address {raw!r} is not allowed"
            else:
                return address
    raise CelFunctionError(problem)


def _prefix_bits(raw_bits: str, limit: int, raw: str) -> int:
    digits_ok = raw_bits.isascii() and raw_bits.isdigit()
    if not digits_ok or (len(raw_bits) > 1 and raw_bits[0] == "0") or int(raw_bits) > limit:
        raise CelFunctionError(
            f"network address parse error during conversion from string: netip.ParsePrefix({raw!r}): "
            f"bad bits after slash: {raw_bits!r}"
        )
    return int(raw_bits)


@lru_cache(maxsize=1024)
def parse_prefix(raw: str) -> tuple[Address, int]:
    """Parse a CIDR as Kubernetes' ``cidr()`` does: an address (not necessarily masked) and a prefix length."""
    address_text, slash, bits_text = raw.rpartition("/")
    if not slash:
        raise CelFunctionError(
            f"network address parse error during conversion from string: netip.ParsePrefix({raw!r}): no '/'"
        )
    if "%" in address_text:
        raise CelFunctionError(
            f"network address parse error during conversion from string: netip.ParsePrefix({raw!r}): "
            "IPv6 zones cannot be present in a prefix"
        )
    try:
        address = ipaddress.ip_address(address_text)
    except ValueError as exc:
        raise CelFunctionError(
            f"network address parse error during conversion from string: netip.ParsePrefix({raw!r}): {exc}"
        ) from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise CelFunctionError(f"IPv4-mapped IPv6 address {raw!r} is not allowed")
    return address, _prefix_bits(bits_text, address.max_prefixlen, raw)


def _ip_value(address: Address) -> dict[str, Any]:
    return tagged(IP, ip=str(address))


def _cidr_value(address: Address, bits: int) -> dict[str, Any]:
    return tagged(CIDR, cidr=f"{address}/{bits}")


def ip(raw: str) -> dict[str, Any]:
    """``ip(string)``: an IP value, or an error."""
    return _ip_value(parse_address(raw))


def is_ip(raw: str) -> bool:
    """``isIP(string)``: whether ``ip(string)`` would succeed."""
    try:
        parse_address(raw)
    except CelFunctionError:
        return False
    return True


def is_canonical(raw: str) -> bool:
    """``ip.isCanonical(string)``: whether the text is the address's one canonical spelling (error if not an IP)."""
    return str(parse_address(raw)) == raw


def _address_of(value: dict[str, Any], function_name: str) -> Address:
    return parse_address(str(expect(value, IP, function_name)["ip"]))


def family(value: dict[str, Any]) -> int:
    """``<IP>.family()``: 4 or 6."""
    return _address_of(value, "family").version


def is_unspecified(value: dict[str, Any]) -> bool:
    """``<IP>.isUnspecified()``: ``0.0.0.0`` or ``::``."""
    return _address_of(value, "isUnspecified").is_unspecified


def is_loopback(value: dict[str, Any]) -> bool:
    """``<IP>.isLoopback()``: ``127.0.0.0/8`` or ``::1``."""
    return _address_of(value, "isLoopback").is_loopback


def is_link_local_multicast(value: dict[str, Any]) -> bool:
    """``<IP>.isLinkLocalMulticast()``: ``224.0.0.0/24`` or ``ff02::/16`` (any flags nibble, as Go)."""
    address = _address_of(value, "isLinkLocalMulticast")
    if isinstance(address, ipaddress.IPv4Address):
        return address in _V4_LINK_LOCAL_MULTICAST
    return (int(address) >> 112) & 0xFF0F == 0xFF02


def is_link_local_unicast(value: dict[str, Any]) -> bool:
    """``<IP>.isLinkLocalUnicast()``: ``169.254.0.0/16`` or ``fe80::/10``."""
    address = _address_of(value, "isLinkLocalUnicast")
    network = _V4_LINK_LOCAL_UNICAST if isinstance(address, ipaddress.IPv4Address) else _V6_LINK_LOCAL_UNICAST
    return address in network


def is_global_unicast(value: dict[str, Any]) -> bool:
    """``<IP>.isGlobalUnicast()`` with Go's meaning: not unspecified, broadcast, loopback, multicast or link-local
    unicast (private and ULA addresses *are* global unicast)."""
    address = _address_of(value, "isGlobalUnicast")
    if isinstance(address, ipaddress.IPv4Address) and address == ipaddress.IPv4Address("255.255.255.255"):
        return False
    network = _V4_LINK_LOCAL_UNICAST if isinstance(address, ipaddress.IPv4Address) else _V6_LINK_LOCAL_UNICAST
    return not (address.is_unspecified or address.is_loopback or address.is_multicast or address in network)


def cidr(raw: str) -> dict[str, Any]:
    """``cidr(string)``: a CIDR value, or an error."""
    return _cidr_value(*parse_prefix(raw))


def is_cidr(raw: str) -> bool:
    """``isCIDR(string)``: whether ``cidr(string)`` would succeed."""
    try:
        parse_prefix(raw)
    except CelFunctionError:
        return False
    return True


def _prefix_of(value: dict[str, Any], function_name: str) -> tuple[Address, int]:
    return parse_prefix(str(expect(value, CIDR, function_name)["cidr"]))


def _network(address: Address, bits: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(f"{address}/{bits}", strict=False)


def contains_ip(value: dict[str, Any], other: Any) -> bool:
    """``<CIDR>.containsIP(ip | string)``: whether the masked prefix contains the address."""
    address, bits = _prefix_of(value, "containsIP")
    if isinstance(other, str):
        candidate = parse_address(other)
    elif type_of(other) == IP:
        candidate = parse_address(str(other["ip"]))
    else:
        raise no_overload("containsIP", value, other)
    return candidate.version == address.version and candidate in _network(address, bits)


def contains_cidr(value: dict[str, Any], other: Any) -> bool:
    """``<CIDR>.containsCIDR(cidr | string)``: whether the other prefix lies entirely inside this one."""
    address, bits = _prefix_of(value, "containsCIDR")
    if isinstance(other, str):
        other_address, other_bits = parse_prefix(other)
    elif type_of(other) == CIDR:
        other_address, other_bits = parse_prefix(str(other["cidr"]))
    else:
        raise no_overload("containsCIDR", value, other)
    if other_address.version != address.version or other_bits < bits:
        return False
    return _network(other_address, bits) == _network(address, bits)


def cidr_ip(value: dict[str, Any]) -> dict[str, Any]:
    """``<CIDR>.ip()``: the address as written (not masked)."""
    return _ip_value(_prefix_of(value, "ip")[0])


def masked(value: dict[str, Any]) -> dict[str, Any]:
    """``<CIDR>.masked()``: the prefix with the host bits cleared."""
    address, bits = _prefix_of(value, "masked")
    return _cidr_value(_network(address, bits).network_address, bits)


def prefix_length(value: dict[str, Any]) -> int:
    """``<CIDR>.prefixLength()``: the number of prefix bits."""
    return _prefix_of(value, "prefixLength")[1]


def ip_string(value: dict[str, Any]) -> str:
    """``string(<IP>)``: the canonical text."""
    return str(_address_of(value, "string"))


def cidr_string(value: dict[str, Any]) -> str:
    """``string(<CIDR>)``: ``<ip>/<bits>``."""
    address, bits = _prefix_of(value, "string")
    return f"{address}/{bits}"


def _ip_member(name: str, impl: Any, result: str = "bool") -> Any:
    return function(name, overload(f"k8s_ip_{name}", ("map",), result, impl, member=True))


LIBRARY = Library(
    "k8s_ip",
    (
        function(
            "ip",
            overload("k8s_string_to_ip", ("string",), "map", ip),
            overload("k8s_cidr_ip", ("map",), "map", cidr_ip, member=True),
        ),
        function("isIP", overload("k8s_is_ip", ("string",), "bool", is_ip)),
        function("ip.isCanonical", overload("k8s_ip_is_canonical", ("string",), "bool", is_canonical)),
        _ip_member("family", family, "int"),
        _ip_member("isUnspecified", is_unspecified),
        _ip_member("isLoopback", is_loopback),
        _ip_member("isLinkLocalMulticast", is_link_local_multicast),
        _ip_member("isLinkLocalUnicast", is_link_local_unicast),
        _ip_member("isGlobalUnicast", is_global_unicast),
        function("cidr", overload("k8s_string_to_cidr", ("string",), "map", cidr)),
        function("isCIDR", overload("k8s_is_cidr", ("string",), "bool", is_cidr)),
        function(
            "containsIP",
            overload("k8s_cidr_contains_ip_string", ("map", "string"), "bool", contains_ip, member=True),
            overload("k8s_cidr_contains_ip_ip", ("map", "map"), "bool", contains_ip, member=True),
        ),
        function(
            "containsCIDR",
            overload("k8s_cidr_contains_cidr_string", ("map", "string"), "bool", contains_cidr, member=True),
            overload("k8s_cidr_contains_cidr", ("map", "map"), "bool", contains_cidr, member=True),
        ),
        function("masked", overload("k8s_cidr_masked", ("map",), "map", masked, member=True)),
        function("prefixLength", overload("k8s_cidr_prefix_length", ("map",), "int", prefix_length, member=True)),
    ),
)

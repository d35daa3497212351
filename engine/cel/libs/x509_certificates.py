"""What Kyverno's ``x509.decode(pem)`` returns, decoded with :mod:`cryptography`.

Returns the certificate (or certificate request) as Go's ``encoding/json`` renders ``crypto/x509.Certificate``
after a JSON round trip: Go field names (``Subject.CommonName``, ``NotAfter``, ``DNSNames``, ``IsCA`` ...), byte
fields base64, times RFC 3339, numbers as doubles, absent lists ``null``. An RSA public key reads
``{"N": "<decimal modulus>", "E": 65537.0}``, as in Kyverno's ``x509_decode``.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from ..decl import CelFunctionError
from .kyverno_common import go_json_numbers, require_str

_SIGNATURE_ALGORITHMS = {
    "md2WithRSAEncryption": 1, "md5WithRSAEncryption": 2, "sha1WithRSAEncryption": 3,
    "sha256WithRSAEncryption": 4, "sha384WithRSAEncryption": 5, "sha512WithRSAEncryption": 6,
    "dsa-with-sha1": 7, "dsa-with-sha256": 8, "ecdsa-with-SHA1": 9, "ecdsa-with-SHA256": 10,
    "ecdsa-with-SHA384": 11, "ecdsa-with-SHA512": 12, "RSASSA-PSS": 13, "ed25519": 16,
}
_EXT_KEY_USAGES = {
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: 0, ExtendedKeyUsageOID.SERVER_AUTH: 1,
    ExtendedKeyUsageOID.CLIENT_AUTH: 2, ExtendedKeyUsageOID.CODE_SIGNING: 3,
    ExtendedKeyUsageOID.EMAIL_PROTECTION: 4, ExtendedKeyUsageOID.TIME_STAMPING: 8,
    ExtendedKeyUsageOID.OCSP_SIGNING: 9,
}
_NAME_FIELDS = (
    ("Country", NameOID.COUNTRY_NAME), ("Organization", NameOID.ORGANIZATION_NAME),
    ("OrganizationalUnit", NameOID.ORGANIZATIONAL_UNIT_NAME), ("Locality", NameOID.LOCALITY_NAME),
    ("Province", NameOID.STATE_OR_PROVINCE_NAME), ("StreetAddress", NameOID.STREET_ADDRESS),
    ("PostalCode", NameOID.POSTAL_CODE),
)


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _oid(dotted: str) -> list[int]:
    return [int(part) for part in dotted.split(".")]


def _or_null(items: list[Any]) -> list[Any] | None:
    return items or None


def _name(name: x509.Name) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for field, oid in _NAME_FIELDS:
        result[field] = _or_null([str(a.value) for a in name.get_attributes_for_oid(oid)])
    serials = name.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    common_names = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    result["SerialNumber"] = str(serials[0].value) if serials else ""
    result["CommonName"] = str(common_names[0].value) if common_names else ""
    result["Names"] = _or_null([{"Type": _oid(a.oid.dotted_string), "Value": str(a.value)} for a in name])
    result["ExtraNames"] = None
    return result


def _public_key(key: Any) -> tuple[int, Any]:
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        return 1, {"N": str(numbers.n), "E": numbers.e}
    if isinstance(key, dsa.DSAPublicKey):
        return 2, {"Y": float(key.public_numbers().y)}
    if isinstance(key, ec.EllipticCurvePublicKey):
        point = key.public_numbers()
        return 3, {"Curve": {}, "X": float(point.x), "Y": float(point.y)}
    if isinstance(key, ed25519.Ed25519PublicKey):
        return 4, _b64(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    return 0, None


def _signature_algorithm(oid_name: str) -> int:
    return _SIGNATURE_ALGORITHMS.get(oid_name, 0)


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _extension(extensions: x509.Extensions, oid: x509.ObjectIdentifier) -> Any:
    try:
        return extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def _san(extensions: x509.Extensions) -> dict[str, Any]:
    san = _extension(extensions, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if san is None:
        return {"DNSNames": None, "EmailAddresses": None, "IPAddresses": None, "URIs": None}
    return {
        "DNSNames": _or_null(san.get_values_for_type(x509.DNSName)),
        "EmailAddresses": _or_null(san.get_values_for_type(x509.RFC822Name)),
        "IPAddresses": _or_null([str(ip) for ip in san.get_values_for_type(x509.IPAddress)]),
        "URIs": _or_null([{"Scheme": uri.partition(":")[0], "Opaque": "", "User": None, "Host": "", "Path": "",
                           "RawPath": "", "OmitHost": False, "ForceQuery": False, "RawQuery": "", "Fragment": "",
                           "RawFragment": "", "String": uri}
                          for uri in san.get_values_for_type(x509.UniformResourceIdentifier)]),
    }


def _key_usage(extensions: x509.Extensions) -> int:
    usage = _extension(extensions, ExtensionOID.KEY_USAGE)
    if usage is None:
        return 0
    bits = 0
    flags = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
             "key_cert_sign", "crl_sign")
    for index, flag in enumerate(flags):
        if getattr(usage, flag):
            bits |= 1 << index
    if usage.key_agreement:
        bits |= 128 if usage.encipher_only else 0
        bits |= 256 if usage.decipher_only else 0
    return bits


def _certificate(cert: x509.Certificate) -> dict[str, Any]:
    extensions = cert.extensions
    algorithm, public_key = _public_key(cert.public_key())
    constraints = _extension(extensions, ExtensionOID.BASIC_CONSTRAINTS)
    eku = _extension(extensions, ExtensionOID.EXTENDED_KEY_USAGE)
    ski = _extension(extensions, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    aki = _extension(extensions, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    path_len = -1 if constraints is None or constraints.path_length is None else constraints.path_length
    if constraints is None:
        path_len = 0
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "Raw": _b64(cert.public_bytes(serialization.Encoding.DER)),
        "RawTBSCertificate": _b64(cert.tbs_certificate_bytes),
        "RawSubjectPublicKeyInfo": _b64(spki),
        "RawSubject": _b64(cert.subject.public_bytes()),
        "RawIssuer": _b64(cert.issuer.public_bytes()),
        "Signature": _b64(cert.signature),
        "SignatureAlgorithm": _signature_algorithm(cert.signature_algorithm_oid._name),
        "PublicKeyAlgorithm": algorithm,
        "PublicKey": public_key,
        "Version": cert.version.value + 1,
        "SerialNumber": cert.serial_number,
        "Issuer": _name(cert.issuer),
        "Subject": _name(cert.subject),
        "NotBefore": _utc_text(cert.not_valid_before_utc),
        "NotAfter": _utc_text(cert.not_valid_after_utc),
        "KeyUsage": _key_usage(extensions),
        "Extensions": _or_null([{"Id": _oid(e.oid.dotted_string), "Critical": e.critical,
                                 "Value": _b64(e.value.public_bytes())} for e in extensions]),
        "ExtraExtensions": None,
        "UnhandledCriticalExtensions": None,
        "ExtKeyUsage": _or_null([_EXT_KEY_USAGES[u] for u in eku if u in _EXT_KEY_USAGES]) if eku else None,
        "UnknownExtKeyUsage": _or_null([_oid(u.dotted_string) for u in eku if u not in _EXT_KEY_USAGES])
        if eku else None,
        "BasicConstraintsValid": constraints is not None,
        "IsCA": bool(constraints and constraints.ca),
        "MaxPathLen": path_len,
        "MaxPathLenZero": path_len == 0 and constraints is not None,
        "SubjectKeyId": _b64(ski.digest) if ski else None,
        "AuthorityKeyId": _b64(aki.key_identifier) if aki and aki.key_identifier else None,
        "OCSPServer": None,
        "IssuingCertificateURL": None,
        **_san(extensions),
        "PermittedDNSDomainsCritical": False,
        "PermittedDNSDomains": None,
        "ExcludedDNSDomains": None,
        "PermittedIPRanges": None,
        "ExcludedIPRanges": None,
        "PermittedEmailAddresses": None,
        "ExcludedEmailAddresses": None,
        "PermittedURIDomains": None,
        "ExcludedURIDomains": None,
        "CRLDistributionPoints": None,
        "PolicyIdentifiers": None,
        "Policies": None,
    }


def _certificate_request(csr: x509.CertificateSigningRequest) -> dict[str, Any]:
    algorithm, public_key = _public_key(csr.public_key())
    spki = csr.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "Raw": _b64(csr.public_bytes(serialization.Encoding.DER)),
        "RawTBSCertificateRequest": _b64(csr.tbs_certrequest_bytes),
        "RawSubjectPublicKeyInfo": _b64(spki),
        "RawSubject": _b64(csr.subject.public_bytes()),
        "Version": 0,
        "Signature": _b64(csr.signature),
        "SignatureAlgorithm": _signature_algorithm(csr.signature_algorithm_oid._name),
        "PublicKeyAlgorithm": algorithm,
        "PublicKey": public_key,
        "Subject": _name(csr.subject),
        "Attributes": None,
        "Extensions": _or_null([{"Id": _oid(e.oid.dotted_string), "Critical": e.critical,
                                 "Value": _b64(e.value.public_bytes())} for e in csr.extensions]),
        "ExtraExtensions": None,
        **_san(csr.extensions),
    }


def decode(pem: Any) -> Any:
    """Decode the first PEM block (``CERTIFICATE`` or ``CERTIFICATE REQUEST``) of ``pem``."""
    data = require_str(pem, "x509.decode").encode("utf-8")
    try:
        if b"-----BEGIN CERTIFICATE REQUEST-----" in data or b"-----BEGIN NEW CERTIFICATE REQUEST-----" in data:
            return go_json_numbers(_certificate_request(x509.load_pem_x509_csr(data)))
        if b"-----BEGIN CERTIFICATE-----" not in data:
            raise CelFunctionError("x509.decode: failed to decode PEM block containing the certificate")
        return go_json_numbers(_certificate(x509.load_pem_x509_certificate(data)))
    except ValueError as exc:
        if isinstance(exc, CelFunctionError):
            raise
        raise CelFunctionError(f"x509.decode: {exc}") from None


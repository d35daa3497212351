"""CEL libraries: one module per library, each defining ``LIBRARY`` (a :class:`~pykyverno.engine.cel.decl.Library`).

The libraries are grouped here the way Kubernetes and Kyverno wire them; a policy kind's CEL profile (declared in
its own package) picks the groups and single libraries its environment includes:

- :data:`KUBERNETES`: the Kubernetes CEL libraries every environment has (lists, regex, URLs, IPs, quantities,
  semver, format, JSON patch, values) and the front end's helper functions;
- :data:`KYVERNO`: the libraries Kyverno's own compilers add (globalcontext, resource, image, imagedata, hash, math,
  json, yaml, random, time, transform, gzip, http);
- single libraries some kinds add: :data:`X509`, :data:`USER`, :data:`GENERATOR`, :data:`AUTHZ`.

May import: ``engine/cel`` (``decl``, ``providers``, ``frontend``) only.
"""

from __future__ import annotations

from ..decl import Library
from . import (
    frontend_helpers,
    k8s_format,
    k8s_ip,
    k8s_jsonpatch,
    k8s_lists,
    k8s_quantity,
    k8s_regex,
    k8s_semver,
    k8s_urls,
    k8s_values,
    kyverno_authz,
    kyverno_generator,
    kyverno_globalcontext,
    kyverno_gzip,
    kyverno_hash,
    kyverno_http,
    kyverno_image,
    kyverno_imagedata,
    kyverno_json,
    kyverno_math,
    kyverno_random,
    kyverno_resource,
    kyverno_time,
    kyverno_transform,
    kyverno_user,
    kyverno_x509,
    kyverno_yaml,
)

KUBERNETES: tuple[Library, ...] = (
    frontend_helpers.LIBRARY,
    k8s_format.LIBRARY,
    k8s_ip.LIBRARY,
    k8s_jsonpatch.LIBRARY,
    k8s_lists.LIBRARY,
    k8s_quantity.LIBRARY,
    k8s_regex.LIBRARY,
    k8s_semver.LIBRARY,
    k8s_urls.LIBRARY,
    k8s_values.LIBRARY,
)
KYVERNO: tuple[Library, ...] = (
    kyverno_globalcontext.LIBRARY,
    kyverno_gzip.LIBRARY,
    kyverno_hash.LIBRARY,
    kyverno_http.LIBRARY,
    kyverno_image.LIBRARY,
    kyverno_imagedata.LIBRARY,
    kyverno_json.LIBRARY,
    kyverno_math.LIBRARY,
    kyverno_random.LIBRARY,
    kyverno_resource.LIBRARY,
    kyverno_time.LIBRARY,
    kyverno_transform.LIBRARY,
    kyverno_yaml.LIBRARY,
)
AUTHZ = kyverno_authz.LIBRARY
GENERATOR = kyverno_generator.LIBRARY
USER = kyverno_user.LIBRARY
X509 = kyverno_x509.LIBRARY

__all__ = ["AUTHZ", "GENERATOR", "KUBERNETES", "KYVERNO", "USER", "X509"]

"""Write real kubeconfig files for tests: token users, client-certificate users (certs from ``trustme``),
inline or file CA data, a broken CA and unreachable servers."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
import yaml

from .server import FakeCluster, unused_port


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class ContextSpec:
    """One kubeconfig context, with its cluster and user.

    ``ca``: a ``trustme.CA`` or PEM bytes, written inline as ``certificate-authority-data`` (or to a file next to the
    kubeconfig, referenced by a *relative* path, when ``ca_file`` is true). ``client_cert``: a ``trustme.LeafCert``
    written inline as ``client-certificate-data``/``client-key-data``.
    """

    server: str
    token: str | None = None
    ca: trustme.CA | bytes | None = None
    ca_file: bool = False
    client_cert: trustme.LeafCert | None = None
    insecure: bool = False
    namespace: str | None = "default"
    cluster_name: str | None = None
    user_name: str | None = None
    user_extra: dict[str, Any] = field(default_factory=dict)


def _ca_pem(ca: trustme.CA | bytes) -> bytes:
    return ca if isinstance(ca, bytes) else ca.cert_pem.bytes()


def kubeconfig_dict(contexts: Mapping[str, ContextSpec], current_context: str | None = None,
                    base_dir: Path | None = None) -> dict[str, Any]:
    """The kubeconfig as a dict. ``base_dir`` is where ``ca_file`` CAs are written (required if any is set)."""
    cfg: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [],
        "users": [],
        "contexts": [],
        "current-context": current_context if current_context is not None else next(iter(contexts), ""),
    }
    seen_clusters: set[str] = set()
    seen_users: set[str] = set()
    for name, spec in contexts.items():
        cluster_name = spec.cluster_name or f"{name}-cluster"
        user_name = spec.user_name or f"{name}-user"
        if cluster_name not in seen_clusters:
            seen_clusters.add(cluster_name)
            cl: dict[str, Any] = {"server": spec.server}
            if spec.ca is not None:
                if spec.ca_file:
                    if base_dir is None:
                        raise ValueError("ca_file needs base_dir")
                    (base_dir / f"{cluster_name}-ca.crt").write_bytes(_ca_pem(spec.ca))
                    cl["certificate-authority"] = f"{cluster_name}-ca.crt"  # relative to the kubeconfig
                else:
                    cl["certificate-authority-data"] = _b64(_ca_pem(spec.ca))
            if spec.insecure:
                cl["insecure-skip-tls-verify"] = True
            cfg["clusters"].append({"name": cluster_name, "cluster": cl})
        if user_name not in seen_users:
            seen_users.add(user_name)
            user: dict[str, Any] = dict(spec.user_extra)
            if spec.token:
                user["token"] = spec.token
            if spec.client_cert is not None:
                chain = b"".join(p.bytes() for p in spec.client_cert.cert_chain_pems)
                user["client-certificate-data"] = _b64(chain)
                user["client-key-data"] = _b64(spec.client_cert.private_key_pem.bytes())
            cfg["users"].append({"name": user_name, "user": user})
        ctx: dict[str, Any] = {"cluster": cluster_name, "user": user_name}
        if spec.namespace:
            ctx["namespace"] = spec.namespace
        cfg["contexts"].append({"name": name, "context": ctx})
    return cfg


def write_kubeconfig(path: Path, contexts: Mapping[str, ContextSpec], current_context: str | None = None) -> Path:
    """Write a kubeconfig file (current context: ``current_context`` or the first one) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig_dict(contexts, current_context, base_dir=path.parent), sort_keys=False))
    return path


@dataclass
class StandardKubeconfig:
    """The result of :func:`write_standard_kubeconfig`."""

    path: Path
    token: str
    client_user: str
    contexts: dict[str, ContextSpec]


def write_standard_kubeconfig(path: Path, alpha: FakeCluster, beta: FakeCluster, *, token: str = "alpha-token",
                              client_user: str = "bob") -> StandardKubeconfig:
    """The usual multi-cluster scenario (both clusters started, with ``tls=True``):

    - ``alpha`` (current): token user on cluster ``alpha``, CA inline, namespace ``default``;
      the token is added to ``alpha.tokens`` as user ``alice``;
    - ``beta``: client-certificate user ``client_user`` (mTLS) on cluster ``beta``, namespace ``team-b``;
    - ``broken-ca``: cluster ``alpha`` URL but an unrelated CA (TLS verification fails);
    - ``unreachable``: a closed port on 127.0.0.1.
    """
    alpha.tokens.setdefault(token, "alice")
    contexts = {
        "alpha": ContextSpec(alpha.url, token=token, ca=alpha.ca, cluster_name="alpha", user_name="alice"),
        "beta": ContextSpec(beta.url, client_cert=beta.issue_client_cert(client_user, ["team-b"]), ca=beta.ca,
                            namespace="team-b", cluster_name="beta", user_name=client_user),
        "broken-ca": ContextSpec(alpha.url, token=token, ca=trustme.CA(), cluster_name="broken-ca",
                                 user_name="alice-broken"),
        "unreachable": ContextSpec(f"https://127.0.0.1:{unused_port()}", token="nobody", ca=alpha.ca,
                                   cluster_name="unreachable", user_name="nobody"),
    }
    write_kubeconfig(path, contexts, current_context="alpha")
    return StandardKubeconfig(path, token, client_user, contexts)

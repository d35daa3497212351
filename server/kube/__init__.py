"""Cluster access for pykyverno: kubeconfig contexts, one API client per context, and a small read API.

See :mod:`.contexts` (kubeconfig loading, in-cluster context), :mod:`.client` (``ClientRegistry``, ``KubeClient``)
and :mod:`.errors` (the error hierarchy). May import ``server/redaction`` (every answer is redacted on entry) only.
"""

from .client import APIResourceInfo, ClientRegistry, ClientSettings, Discovery, KubeClient, ListPage, ServerVersion
from .contexts import IN_CLUSTER_CONTEXT, ContextInfo, InClusterSettings, Kubeconfig, kubeconfig_paths
from .errors import (
    ApiError,
    ClusterError,
    ContextError,
    ContextNotAllowed,
    ContextNotFound,
    Expired,
    Forbidden,
    KubeconfigError,
    KubeError,
    NotFound,
    RequestTimeout,
    ServerError,
    TLSError,
    TooManyRequests,
    TransportError,
    Unauthorized,
    Unreachable,
)

__all__ = [
    "IN_CLUSTER_CONTEXT",
    "APIResourceInfo",
    "ApiError",
    "ClientRegistry",
    "ClientSettings",
    "ClusterError",
    "ContextError",
    "ContextInfo",
    "ContextNotAllowed",
    "ContextNotFound",
    "Discovery",
    "Expired",
    "Forbidden",
    "InClusterSettings",
    "KubeClient",
    "KubeError",
    "Kubeconfig",
    "KubeconfigError",
    "ListPage",
    "NotFound",
    "RequestTimeout",
    "ServerError",
    "ServerVersion",
    "TLSError",
    "TooManyRequests",
    "TransportError",
    "Unauthorized",
    "Unreachable",
    "kubeconfig_paths",
]

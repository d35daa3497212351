"""A fake Kubernetes API server (real HTTP/HTTPS on 127.0.0.1) and kubeconfig helpers for tests."""

from .kubeconfig import ContextSpec, write_kubeconfig
from .server import ANONYMOUS, DenyRule, FakeCluster, Fault, RequestRecord, status_body, unused_port

__all__ = [
    "ANONYMOUS",
    "ContextSpec",
    "DenyRule",
    "FakeCluster",
    "Fault",
    "RequestRecord",
    "status_body",
    "unused_port",
    "write_kubeconfig",
]

"""Kubeconfig discovery and merging, as kubectl does it, plus the in-cluster service account as a context.

Precedence (``kubectl`` semantics):

1. an explicit path (``--kubeconfig``): that one file, which must exist;
2. else ``KUBECONFIG``: several files separated by :data:`os.pathsep`, merged in order; missing files are skipped;
   for clusters, users and contexts of the same name the first file wins, and so does the first non-empty
   ``current-context``;
3. else ``~/.kube/config`` if it exists.

Relative paths inside a file (``certificate-authority``, ``client-certificate``, ``client-key``, ``tokenFile``,
an exec ``command`` with a slash) are resolved against that file's directory, in our in-memory copy only: the
user's files are never written.

In-cluster configuration (``KUBERNETES_SERVICE_HOST``/``KUBERNETES_SERVICE_PORT`` plus the service-account token)
appears as a context of its own, named ``in-cluster`` (a kubeconfig context of the same name takes precedence).
It is the current context when no kubeconfig context is.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pykyverno.engine.errors import LoadError
from pykyverno.engine.reader import load_yaml

from ..redaction import is_credential_name, remember_process, safe_url
from .errors import KubeconfigError

if TYPE_CHECKING:  # the kubernetes client is imported when a context is first configured
    from kubernetes.client import Configuration

IN_CLUSTER_CONTEXT = "in-cluster"
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")

_CLUSTER_PATH_KEYS = ("certificate-authority",)
_USER_PATH_KEYS = ("client-certificate", "client-key", "tokenFile")


@dataclass(frozen=True)
class ContextInfo:
    """A context as shown to users: names and URL only, never a credential."""

    name: str
    cluster: str
    server: str
    user: str
    namespace: str
    current: bool
    source: str  # "kubeconfig" or "in-cluster"

    def as_dict(self) -> dict[str, Any]:
        """A plain dict (for JSON/YAML output)."""
        return asdict(self)


@dataclass(frozen=True)
class InClusterSettings:
    """Where the in-cluster configuration is read from (injectable for tests)."""

    token_path: Path = SERVICE_ACCOUNT_DIR / "token"
    ca_path: Path = SERVICE_ACCOUNT_DIR / "ca.crt"
    namespace_path: Path = SERVICE_ACCOUNT_DIR / "namespace"
    environ: Mapping[str, str] | None = None  # None: os.environ at use time
    name: str = IN_CLUSTER_CONTEXT

    def _env(self) -> Mapping[str, str]:
        return os.environ if self.environ is None else self.environ

    def available(self) -> bool:
        """True when the service host/port variables are set and the token file exists."""
        env = self._env()
        return bool(env.get("KUBERNETES_SERVICE_HOST")) and bool(env.get("KUBERNETES_SERVICE_PORT")) \
            and self.token_path.is_file()

    def server(self) -> str:
        """``https://host:port`` (IPv6 hosts bracketed)."""
        env = self._env()
        host = env.get("KUBERNETES_SERVICE_HOST", "")
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"https://{host}:{env.get('KUBERNETES_SERVICE_PORT', '')}"

    def namespace(self) -> str:
        """The pod's namespace, ``default`` if unknown."""
        try:
            return self.namespace_path.read_text().strip() or "default"
        except OSError:
            return "default"


def kubeconfig_paths(explicit: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None,
                     home: Path | None = None) -> list[Path]:
    """The kubeconfig files to merge, in precedence order (see the module docstring).

    :raises KubeconfigError: when ``explicit`` is given but does not exist.
    """
    if explicit is not None and str(explicit) != "":
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise KubeconfigError(f"kubeconfig file {str(path)!r} does not exist")
        return [path]
    env = os.environ if environ is None else environ
    value = env.get("KUBECONFIG", "")
    if value:
        out: list[Path] = []
        for entry in value.split(os.pathsep):
            if not entry:
                continue
            p = Path(entry).expanduser()
            if p.is_file() and p not in out:
                out.append(p)
        return out
    default = (home if home is not None else Path.home()) / ".kube" / "config"
    return [default] if default.is_file() else []


def _resolve_paths(entry: dict[str, Any], keys: Sequence[str], base: Path) -> None:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, str) and value:
            expanded = os.path.expanduser(value)
            if not os.path.isabs(expanded):
                expanded = str((base / expanded).resolve())
            entry[key] = expanded


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = load_yaml(path.read_text(), str(path), unique_keys=False)
    except OSError as e:
        raise KubeconfigError(f"cannot read kubeconfig file {str(path)!r}: {e.strerror or type(e).__name__}") from None
    except LoadError as e:  # the message itself stays out: it could quote a value of the file
        at = f" (line {e.line})" if e.line else ""
        raise KubeconfigError(f"kubeconfig file {str(path)!r} is not valid YAML{at}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KubeconfigError(f"kubeconfig file {str(path)!r} is not a mapping")
    base = path.parent
    for key, sub, path_keys in (("clusters", "cluster", _CLUSTER_PATH_KEYS), ("users", "user", _USER_PATH_KEYS)):
        for item in data.get(key) or []:
            body = item.get(sub) if isinstance(item, dict) else None
            if isinstance(body, dict):
                _resolve_paths(body, path_keys, base)
                exec_cfg = body.get("exec")
                if isinstance(exec_cfg, dict):
                    cmd = exec_cfg.get("command")
                    if isinstance(cmd, str) and os.sep in cmd and not os.path.isabs(cmd):
                        exec_cfg["command"] = str((base / cmd).resolve())
    return data


def merge_kubeconfigs(paths: Sequence[Path]) -> dict[str, Any]:
    """Merge kubeconfig files as kubectl does (first wins) into a new dict; the files are only read."""
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [],
                              "current-context": ""}
    for path in paths:
        data = _read_file(path)
        for key in ("clusters", "users", "contexts"):
            seen = {item["name"] for item in merged[key]}
            for item in data.get(key) or []:
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    raise KubeconfigError(f"kubeconfig file {str(path)!r}: every entry of {key!r} needs a name")
                if item["name"] not in seen:
                    seen.add(item["name"])
                    merged[key].append(copy.deepcopy(item))
        if not merged["current-context"] and data.get("current-context"):
            merged["current-context"] = str(data["current-context"])
    return merged


def _public_url(url: str) -> str:
    """The server URL as shown: no ``user:password@``, query values masked (see :func:`redaction.safe_url`)."""
    return safe_url(url) if url else url


def request_host(url: str) -> str:
    """The server URL requests go to: without user info, query string and fragment, which an API server URL never
    needs and which would otherwise travel in every request line (and in debug logs)."""
    try:
        parts = urlsplit(url)
        if not (parts.username or parts.password or parts.query or parts.fragment or "@" in parts.netloc):
            return url
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url
    if ":" in host:
        host = f"[{host}]"
    return urlunsplit((parts.scheme, f"{host}:{port}" if port else host, parts.path.rstrip("/"), "", ""))


_EXEC_FAILURE = re.compile(r"^(exec: process returned -?\d+)\..*", re.S)


def _first_line(text: str, limit: int = 200) -> str:
    text = _EXEC_FAILURE.sub(r"\1 (its error output is not shown)", text)
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


class _ExecPluginStderr(logging.Filter):
    """The official client logs a failed exec credential plugin as ``exec: process returned N. <its stderr>`` on the
    root logger. A plugin's stderr can hold tokens or prompts: keep it out of every log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("exec: process returned"):
            record.msg, record.args = _first_line(record.getMessage()), None
        return True


_exec_filter = _ExecPluginStderr()
if not any(isinstance(f, _ExecPluginStderr) for f in logging.getLogger().filters):
    logging.getLogger().addFilter(_exec_filter)


def _remember_credentials(config: Mapping[str, Any]) -> None:
    """Remember every credential of a kubeconfig for the process, so that no output can show one."""
    for item in config.get("users") or []:
        user = item.get("user") if isinstance(item, dict) else None
        if not isinstance(user, dict):
            continue
        for key in ("token", "password", "client-key-data"):
            remember_process(user.get(key))
        provider = user.get("auth-provider")
        if isinstance(provider, dict) and isinstance(provider.get("config"), dict):
            for key, value in provider["config"].items():
                if is_credential_name(str(key)) or key in ("id-token", "refresh-token", "access-token"):
                    remember_process(value)
        exec_cfg = user.get("exec")
        if isinstance(exec_cfg, dict):
            for env in exec_cfg.get("env") or []:
                if isinstance(env, dict) and is_credential_name(str(env.get("name") or "")):
                    remember_process(env.get("value"))
    for item in config.get("clusters") or []:
        cluster = item.get("cluster") if isinstance(item, dict) else None
        server = cluster.get("server") if isinstance(cluster, dict) else None
        if isinstance(server, str):
            try:
                parts = urlsplit(server)
                remember_process(parts.password)
                for _, value in parse_qsl(parts.query):
                    remember_process(value)
            except ValueError:
                continue


@dataclass
class Kubeconfig:
    """A merged, read-only view of the user's kubeconfig files plus the optional in-cluster context.

    Build it with :meth:`load`; it never writes any file.
    """

    config: dict[str, Any]
    sources: list[Path] = field(default_factory=list)
    in_cluster: InClusterSettings | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None,
             home: Path | None = None, in_cluster: InClusterSettings | bool | None = True) -> Kubeconfig:
        """Find and merge kubeconfig files (see :func:`kubeconfig_paths`).

        :param in_cluster: ``True`` to detect the pod's service account at the default paths, an
            :class:`InClusterSettings` to read it elsewhere, ``False``/``None`` to ignore it.
        """
        paths = kubeconfig_paths(path, environ=environ, home=home)
        config = merge_kubeconfigs(paths)
        ic: InClusterSettings | None
        if in_cluster is True:
            ic = InClusterSettings(environ=environ)
        elif isinstance(in_cluster, InClusterSettings):
            ic = in_cluster
        else:
            ic = None
        if ic is not None and not ic.available():
            ic = None
        _remember_credentials(config)
        return cls(config=config, sources=paths, in_cluster=ic)

    def _entries(self, key: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for item in self.config.get(key) or []:
            out[item["name"]] = item
        return out

    def _has_in_cluster(self) -> bool:
        return self.in_cluster is not None and self.in_cluster.name not in self._entries("contexts")

    @property
    def current_context(self) -> str | None:
        """The current context: the kubeconfig's ``current-context`` if it names a context, else ``in-cluster``
        when available, else None."""
        cur = self.config.get("current-context") or ""
        if cur and cur in self._entries("contexts"):
            return str(cur)
        if self._has_in_cluster() and self.in_cluster is not None:
            return self.in_cluster.name
        return None

    def names(self) -> list[str]:
        """Every context name, kubeconfig order, then ``in-cluster``."""
        names = list(self._entries("contexts"))
        if self._has_in_cluster() and self.in_cluster is not None:
            names.append(self.in_cluster.name)
        return names

    def contexts(self) -> list[ContextInfo]:
        """Every context with cluster, server URL, user, namespace and ``current`` (never credentials)."""
        current = self.current_context
        clusters = self._entries("clusters")
        out: list[ContextInfo] = []
        for name, item in self._entries("contexts").items():
            ctx = item.get("context") or {}
            cluster_name = str(ctx.get("cluster") or "")
            cluster = (clusters.get(cluster_name) or {}).get("cluster") or {}
            out.append(ContextInfo(
                name=name,
                cluster=cluster_name,
                server=_public_url(str(cluster.get("server") or "")),
                user=str(ctx.get("user") or ""),
                namespace=str(ctx.get("namespace") or "default"),
                current=name == current,
                source="kubeconfig",
            ))
        if self._has_in_cluster() and self.in_cluster is not None:
            ic = self.in_cluster
            out.append(ContextInfo(name=ic.name, cluster=ic.name, server=ic.server(), user="service-account",
                                   namespace=ic.namespace(), current=ic.name == current, source="in-cluster"))
        return out

    def info(self, name: str) -> ContextInfo | None:
        """The :class:`ContextInfo` of one context, or None."""
        return next((c for c in self.contexts() if c.name == name), None)

    def configure(self, name: str, configuration: Configuration) -> None:
        """Load the connection settings of context ``name`` into ``configuration`` (host, TLS, credentials).

        Uses the official loaders (``load_kube_config_from_dict`` with ``persist_config=False``, or
        ``InClusterConfigLoader``), never the process-global default configuration.

        :raises KubeconfigError: when the context is missing or its configuration is invalid.
        """
        from kubernetes.config.config_exception import ConfigException
        from kubernetes.config.incluster_config import InClusterConfigLoader
        from kubernetes.config.kube_config import load_kube_config_from_dict

        if self._has_in_cluster() and self.in_cluster is not None and name == self.in_cluster.name:
            ic = self.in_cluster
            try:
                loader = InClusterConfigLoader(  # type: ignore[no-untyped-call]
                    token_filename=str(ic.token_path), cert_filename=str(ic.ca_path), environ=dict(ic._env()))
                loader.load_and_set(configuration)  # type: ignore[no-untyped-call]
            except ConfigException as e:
                raise KubeconfigError(f"in-cluster configuration is unusable: {_first_line(str(e))}",
                                      context=name) from None
            return
        if name not in self._entries("contexts"):
            raise KubeconfigError(f"context {name!r} is not in the kubeconfig", context=name)
        config = copy.deepcopy(self.config)
        for item in config.get("clusters") or []:
            cluster = item.get("cluster") if isinstance(item, dict) else None
            if isinstance(cluster, dict) and isinstance(cluster.get("server"), str):
                cluster["server"] = request_host(cluster["server"])  # no user info or query string goes out
        try:
            load_kube_config_from_dict(  # type: ignore[no-untyped-call]
                config_dict=config, context=name,
                client_configuration=configuration, persist_config=False)
        except ConfigException as e:
            raise KubeconfigError(f"context {name!r} cannot be loaded: {_first_line(str(e))}", context=name) from None
        except (ValueError, TypeError, KeyError, OSError) as e:
            raise KubeconfigError(f"context {name!r} cannot be loaded: invalid {type(e).__name__}",
                                  context=name) from None


__all__ = [
    "IN_CLUSTER_CONTEXT",
    "ContextInfo",
    "InClusterSettings",
    "Kubeconfig",
    "kubeconfig_paths",
    "merge_kubeconfigs",
]

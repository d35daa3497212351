"""A small fake Kubernetes API server for tests: real HTTP(S) on 127.0.0.1, in a background thread.

It serves what read-only clients (the official ``kubernetes`` client, ``DynamicClient``, ``kubectl``) need:

- ``/version`` and ``/version/`` (every ``VersionInfo`` field), ``/api``, ``/apis``, ``/apis/{g}``,
  ``/api/v1`` and ``/apis/{g}/{v}`` resource lists, built from :data:`kinds.BUILTIN` plus CRDs seeded as objects;
- list and get for cluster-scoped, namespaced and all-namespace paths, with ``labelSelector``, ``fieldSelector``,
  ``limit``/``continue`` (``410 Expired`` on a bad or stale token), and ``kind: XList`` / ``apiVersion`` /
  ``metadata.resourceVersion`` on lists;
- ``Status`` error bodies; bearer tokens and client-certificate CNs mapped to users, optional ``require_auth`` (401);
- deny rules (user, verb, resource, namespace regexes) giving 403;
- faults (path regex → status, delay, ``times``, 429 with ``Retry-After``, dropped connection, malformed body);
- a request log; mutation verbs answer 405, unless ``writable=True``: then POST, PUT, PATCH (merge, strategic,
  JSON and server-side apply with field managers) and DELETE are served by :mod:`.writes`, with ``dryRun=All``.

Example::

    with FakeCluster(objects=[pod], tokens={"t0k3n": "alice"}, tls=True, ca=ca) as fc:
        fc.add_fault(r"/pods$", status=500, times=1)
        ...  # point a kubeconfig at fc.url, trust fc.ca_pem
        assert fc.requests[-1].status == 200
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import re
import socket
import ssl
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import trustme
import yaml

from .kinds import BUILTIN, Resource, resources_from_crd, version_priority
from .selectors import SelectorError, parse_field_selector, parse_label_selector

ANONYMOUS = "system:anonymous"

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def status_body(
    code: int, message: str, reason: str | None = None, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A ``meta/v1 Status`` failure body as the apiserver sends it."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason if reason is not None else _REASONS.get(code, ""),
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def unused_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Fault:
    """An injected failure for requests whose path matches ``path`` (``re.search``)."""

    path: re.Pattern[str]
    status: int | None = None
    delay: float = 0.0
    times: int | None = None  # None: forever
    retry_after: int | None = None
    drop: bool = False
    method: str | None = None
    message: str | None = None
    body: Any = None  # a JSON answer sent as is (with ``status``, default 200) instead of a Status body
    hits: int = 0


@dataclass(frozen=True)
class DenyRule:
    """Requests matching every regex (``re.fullmatch``) are answered 403 Forbidden."""

    user: re.Pattern[str]
    verb: re.Pattern[str]
    resource: re.Pattern[str]
    namespace: re.Pattern[str]


@dataclass
class RequestRecord:
    """One request as the fake server saw it."""

    method: str
    path: str
    query: dict[str, str]
    user: str | None
    headers: dict[str, str]
    status: int = 0  # 0: connection dropped or no response written


@dataclass
class _Route:
    resource: Resource
    namespace: str | None
    name: str | None


def _kind_key(group: str, kind: str) -> tuple[str, str]:
    return (group, kind)


class FakeCluster:
    """A fake Kubernetes API server. Use as a context manager or call :meth:`start`/:meth:`stop`.

    :param objects: seed objects (dicts); CRDs among them register their resources.
    :param tokens: bearer token → user name.
    :param tls: serve HTTPS (server cert for 127.0.0.1/localhost signed by ``ca``) and accept client certs.
    :param ca: the ``trustme.CA`` for TLS; a fresh one is minted when omitted.
    :param require_auth: anonymous requests get 401.
    :param git_version: reported by ``/version``.
    :param writable: serve create/update/patch/apply/delete (see :mod:`.writes`); otherwise they answer 405.
    """

    def __init__(
        self,
        objects: Iterable[Mapping[str, Any]] = (),
        *,
        tokens: Mapping[str, str] | None = None,
        tls: bool = False,
        ca: trustme.CA | None = None,
        require_auth: bool = False,
        git_version: str = "v1.32.0",
        name: str = "fake",
        writable: bool = False,
    ) -> None:
        self.name = name
        self.writable = writable
        self.tokens: dict[str, str] = dict(tokens or {})
        self.tls = tls
        self.ca = ca if ca is not None or not tls else trustme.CA()
        self.require_auth = require_auth
        self.git_version = git_version
        self._lock = threading.RLock()
        self._resources: list[Resource] = list(BUILTIN)
        self._store: dict[tuple[str, str], dict[tuple[str, str], dict[str, Any]]] = {}
        self._rv = 1000
        self._compacted_rv = 0
        self._faults: list[Fault] = []
        self._denies: list[DenyRule] = []
        self._requests: list[RequestRecord] = []
        self.tls_errors: list[str] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._ssl_ctx: ssl.SSLContext | None = None
        self.add_objects(objects)

    # ------------------------------------------------------------------ seeding
    def add_objects(self, objects: Iterable[Mapping[str, Any]]) -> None:
        """Store objects (CRDs first, so their custom resources can follow in the same call)."""
        objs = list(objects)
        for obj in objs:
            if obj.get("kind") == "List":
                objs.extend(obj.get("items") or [])
        objs = [o for o in objs if o and o.get("kind") != "List"]
        objs.sort(key=lambda o: o.get("kind") != "CustomResourceDefinition")
        for obj in objs:
            self.add(obj)

    def add_yaml(self, source: str | Path) -> None:
        """Store every document of a YAML string or file (``List`` documents are flattened)."""
        text = source.read_text() if isinstance(source, Path) else source
        self.add_objects(d for d in yaml.safe_load_all(text) if d)

    def add(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Store one object, filling ``uid``, ``resourceVersion``, ``creationTimestamp`` and the namespace."""
        o = copy.deepcopy(dict(obj))
        group, _, _version = str(o.get("apiVersion", "")).rpartition("/")
        res = self._resource_for_kind(group, str(o.get("kind", "")))
        if res is None:
            raise ValueError(
                f"fake API server: unknown kind {o.get('apiVersion')}/{o.get('kind')} (register a CRD first)"
            )
        meta = o.setdefault("metadata", {})
        if not meta.get("name"):
            raise ValueError("fake API server: object without metadata.name")
        if res.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        ns = meta.get("namespace", "")
        with self._lock:
            self._rv += 1
            meta["resourceVersion"] = str(self._rv)
            uid_key = f"{self.name}/{group}/{res.plural}/{ns}/{meta['name']}"
            meta.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL, uid_key)))
            meta.setdefault("creationTimestamp", "2024-01-01T00:00:00Z")
            self._store.setdefault((group, res.plural), {})[(ns, meta["name"])] = o
            if o.get("kind") == "CustomResourceDefinition" and group == "apiextensions.k8s.io":
                for r in resources_from_crd(o):
                    key = (r.group, r.version, r.plural)
                    self._resources = [x for x in self._resources if (x.group, x.version, x.plural) != key]
                    self._resources.append(r)
        return o

    def remove(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> None:
        """Delete a stored object (bumps the resourceVersion)."""
        group = api_version.rpartition("/")[0]
        res = self._resource_for_kind(group, kind)
        if res is None:
            raise ValueError(kind)
        with self._lock:
            self._rv += 1
            ns = (namespace or "default") if res.namespaced else ""
            self._store.get((group, res.plural), {}).pop((ns, name), None)

    def expire_continue_tokens(self) -> None:
        """Make every continue token issued so far stale (as after an etcd compaction): they now get 410."""
        with self._lock:
            self._rv += 1
            self._compacted_rv = self._rv

    # ------------------------------------------------------------- fault knobs
    def add_fault(
        self,
        path: str,
        *,
        status: int | None = None,
        delay: float = 0.0,
        times: int | None = None,
        retry_after: int | None = None,
        drop: bool = False,
        method: str | None = None,
        message: str | None = None,
        body: Any = None,
    ) -> Fault:
        """Inject a fault for requests whose path matches the regex ``path`` (searched, query string excluded).

        ``delay`` seconds are waited first; then ``drop`` closes the connection without an answer, or ``status``
        answers with a ``Status`` body (``retry_after`` adds a ``Retry-After`` header); a delay-only fault lets the
        request proceed. ``body`` sends that JSON value (with ``status``, default 200) instead: a malformed answer
        (``bytes`` are sent as they are).
        ``times`` limits how many requests the fault applies to. The first matching fault wins.
        """
        f = Fault(re.compile(path), status, delay, times, retry_after, drop, method, message, body)
        with self._lock:
            self._faults.append(f)
        return f

    def clear_faults(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def deny(self, user: str = ".*", verb: str = ".*", resource: str = ".*", namespace: str = ".*") -> DenyRule:
        """Answer 403 to requests whose user, verb (get/list/watch, and create/update/patch/delete on a writable
        cluster), resource (plural, or ``plural.group``) and namespace (``""`` for cluster-wide) all fully match."""
        rule = DenyRule(re.compile(user), re.compile(verb), re.compile(resource), re.compile(namespace))
        with self._lock:
            self._denies.append(rule)
        return rule

    def clear_denies(self) -> None:
        """Remove every deny rule."""
        with self._lock:
            self._denies.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._requests.clear()

    def issue_client_cert(self, user: str, groups: Iterable[str] = ()) -> trustme.LeafCert:
        """A client certificate (CN=user, O=first group) signed by this cluster's CA."""
        if self.ca is None:
            raise RuntimeError("client certificates need tls=True")
        groups = list(groups)
        org = groups[0] if groups else None
        return self.ca.issue_cert(f"{user}.users.invalid", common_name=user, organization_name=org)

    @property
    def ca_pem(self) -> bytes:
        """The PEM of the CA that signed the server certificate."""
        if self.ca is None:
            raise RuntimeError("no CA: tls=False")
        return self.ca.cert_pem.bytes()

    # ------------------------------------------------------------ lifecycle
    def start(self) -> FakeCluster:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self.tls:
            assert self.ca is not None
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
            self.ca.configure_trust(ctx)
            ctx.verify_mode = ssl.CERT_OPTIONAL
            self._ssl_ctx = ctx
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.cluster = self
        self._httpd = httpd
        self._stopping.clear()
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                                        name=f"fakeapi-{self.name}")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (in-flight delays are cut short)."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port."""
        if self._httpd is None:
            raise RuntimeError("not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:PORT``."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    # ------------------------------------------------------------ internals
    def _resource_for_kind(self, group: str, kind: str) -> Resource | None:
        with self._lock:
            cands = [r for r in self._resources if r.group == group and r.kind == kind]
        if not cands:
            return None
        return sorted(cands, key=lambda r: version_priority(r.version))[0]

    def _find_resource(self, group: str, version: str, plural: str) -> Resource | None:
        with self._lock:
            for r in self._resources:
                if (r.group, r.version, r.plural) == (group, version, plural):
                    return r
        return None

    def _group_versions(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        with self._lock:
            for r in self._resources:
                vs = out.setdefault(r.group, [])
                if r.version not in vs:
                    vs.append(r.version)
        for vs in out.values():
            vs.sort(key=version_priority)
        return out

    def _record(self, rec: RequestRecord) -> None:
        with self._lock:
            self._requests.append(rec)

    def _match_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.method and f.method.upper() != method:
                    continue
                if not f.path.search(path):
                    continue
                f.hits += 1
                if f.times is not None:
                    f.times -= 1
                    if f.times <= 0:
                        self._faults.remove(f)
                return f
        return None

    def _denied(self, user: str, verb: str, res: Resource, namespace: str) -> bool:
        names = [res.plural, f"{res.plural}.{res.group}" if res.group else res.plural]
        with self._lock:
            rules = list(self._denies)
        return any(
            r.user.fullmatch(user) and r.verb.fullmatch(verb) and r.namespace.fullmatch(namespace)
            and any(r.resource.fullmatch(n) for n in names)
            for r in rules
        )

    # ----------------------------------------------------------- responses
    def version_info(self) -> dict[str, str]:
        """The ``/version`` body."""
        m = re.match(r"v(\d+)\.(\d+)", self.git_version)
        major, minor = (m.group(1), m.group(2)) if m else ("1", "32")
        return {
            "major": major,
            "minor": minor,
            "gitVersion": self.git_version,
            "gitCommit": "0123456789abcdef0123456789abcdef01234567",
            "gitTreeState": "clean",
            "buildDate": "2024-12-11T00:00:00Z",
            "goVersion": "go1.23.4",
            "compiler": "gc",
            "platform": "linux/amd64",
        }

    def _api_group(self, group: str, versions: list[str]) -> dict[str, Any]:
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}

    def _resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        with self._lock:
            res = [r for r in self._resources if r.group == group and r.version == version]
        if not res:
            return None
        items = []
        for r in sorted(res, key=lambda r: r.plural):
            items.append(r.api_resource())
            if r.plural in ("pods", "deployments"):  # a subresource, as real servers list them
                items.append({"name": f"{r.plural}/status", "singularName": "", "namespaced": r.namespaced,
                              "kind": r.kind, "verbs": ["get", "patch", "update"]})
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": f"{group}/{version}" if group else version, "resources": items}

    def handle_get(self, path: str, query: dict[str, str], user: str) -> tuple[int, dict[str, Any]]:
        """Answer a GET (after faults and authentication)."""
        path = path.rstrip("/") or "/"
        if path == "/version":
            return 200, dict(self.version_info())
        if self.writable and (path == "/openapi/v3" or path.startswith("/openapi/v3/")):
            from .writes import openapi_v3  # what kubectl needs to validate writes on the server side

            return openapi_v3(self, path)
        gv = self._group_versions()
        if path == "/api":
            addr = [{"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.port}"}]
            return 200, {"kind": "APIVersions", "versions": gv.get("", ["v1"]), "serverAddressByClientCIDRs": addr}
        if path == "/apis":
            groups = [self._api_group(g, vs) for g, vs in sorted(gv.items()) if g]
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        parts = path.strip("/").split("/")
        if parts[0] == "apis" and len(parts) == 2:
            if parts[1] not in gv or not parts[1]:
                return 404, status_body(404, "the server could not find the requested resource")
            return 200, {"kind": "APIGroup", "apiVersion": "v1", **self._api_group(parts[1], gv[parts[1]])}
        if parts[0] == "api" and len(parts) >= 2:
            group, version, tail = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 3:
            group, version, tail = parts[1], parts[2], parts[3:]
        else:
            return 404, status_body(404, "the server could not find the requested resource")
        if not tail:
            rl = self._resource_list(group, version)
            if rl is None:
                return 404, status_body(404, "the server could not find the requested resource")
            return 200, rl
        route = self._route(group, version, tail)
        if route is None:
            return 404, status_body(404, "the server could not find the requested resource")
        res = route.resource
        if "watch" in query and query["watch"] not in ("0", "false"):
            return 405, status_body(405, "watch is not supported by the fake API server")
        verb = "get" if route.name is not None else "list"
        if self._denied(user, verb, res, route.namespace or ""):
            gr = f"{res.plural}.{res.group}" if res.group else res.plural
            named = f' "{route.name}"' if route.name else ""
            where = f' in the namespace "{route.namespace}"' if route.namespace else " at the cluster scope"
            msg = (f'{gr}{named} is forbidden: User "{user}" cannot {verb} resource "{res.plural}" '
                   f'in API group "{res.group}"{where}')
            details = {"name": route.name or "", "group": res.group, "kind": res.plural}
            return 403, status_body(403, msg, details=details)
        if route.name is not None:
            return self._get(res, route.namespace or "", route.name)
        return self._list(res, route.namespace, query)

    def _route(self, group: str, version: str, tail: list[str]) -> _Route | None:
        def res_of(plural: str) -> Resource | None:
            return self._find_resource(group, version, plural)

        if tail[0] == "namespaces" and len(tail) in (3, 4):
            r = res_of(tail[2])
            if r is None or not r.namespaced:
                return None
            return _Route(r, tail[1], tail[3] if len(tail) == 4 else None)
        if len(tail) in (1, 2):
            r = res_of(tail[0])
            if r is None or (len(tail) == 2 and r.namespaced):
                return None
            return _Route(r, None, tail[1] if len(tail) == 2 else None)
        return None

    def _serve(self, res: Resource, obj: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(obj)
        out["apiVersion"] = res.group_version
        return out

    def _get(self, res: Resource, namespace: str, name: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            obj = self._store.get((res.group, res.plural), {}).get((namespace, name))
            if obj is not None:
                return 200, self._serve(res, obj)
        gr = f"{res.plural}.{res.group}" if res.group else res.plural
        return 404, status_body(404, f'{gr} "{name}" not found',
                                details={"name": name, "group": res.group, "kind": res.plural})

    def _list(self, res: Resource, namespace: str | None, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            label_pred = parse_label_selector(query["labelSelector"]) if query.get("labelSelector") else None
            field_pred = parse_field_selector(query["fieldSelector"]) if query.get("fieldSelector") else None
        except SelectorError as e:
            return 400, status_body(400, str(e))
        try:
            limit = int(query.get("limit") or 0)
        except ValueError:
            return 400, status_body(400, f"invalid limit {query.get('limit')!r}")
        with self._lock:
            rv = self._rv
            compacted = self._compacted_rv
            stored = self._store.get((res.group, res.plural), {})
            keys = sorted(k for k in stored if namespace is None or k[0] == namespace)
            objs = [self._serve(res, stored[k]) for k in keys]
        start_key: tuple[str, str] | None = None
        if query.get("continue"):
            try:
                tok = json.loads(base64.urlsafe_b64decode(query["continue"].encode()))
                tok_rv, start_key = int(tok["rv"]), (str(tok["start"][0]), str(tok["start"][1]))
            except (ValueError, KeyError, TypeError, IndexError):
                return 410, status_body(410, "continue key is not valid: the provided continue parameter is malformed",
                                        reason="Expired")
            if tok_rv <= compacted:
                return 410, status_body(
                    410,
                    "The provided continue parameter is too old to display a consistent list result. You can start a "
                    "new list without the continue parameter, or use the continue token in this response to retrieve "
                    "the remainder of the results. Continuing with the provided token results in an inconsistent "
                    "list - objects that were created, modified, or deleted between the time the first chunk was "
                    "returned and now may show up in the list.",
                    reason="Expired",
                )
            rv = tok_rv
        pairs = list(zip(keys, objs, strict=True))
        if start_key is not None:
            pairs = [(k, o) for k, o in pairs if k >= start_key]
        pairs = [(k, o) for k, o in pairs
                 if (label_pred is None or label_pred(o)) and (field_pred is None or field_pred(o))]
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if limit > 0 and len(pairs) > limit:
            nxt = pairs[limit][0]
            meta["continue"] = base64.urlsafe_b64encode(json.dumps({"rv": rv, "start": list(nxt)}).encode()).decode()
            meta["remainingItemCount"] = len(pairs) - limit
            pairs = pairs[:limit]
        items = []
        for _, o in pairs:
            o.pop("apiVersion", None)  # like the real apiserver for lists of built-ins: kind/apiVersion on the list
            o.pop("kind", None)
            items.append(o)
        return 200, {"kind": f"{res.kind}List", "apiVersion": res.group_version, "metadata": meta, "items": items}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    cluster: FakeCluster

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet: clients hang up on purpose
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 15

    def setup(self) -> None:
        cluster = self.server.cluster
        with contextlib.suppress(OSError):  # headers and body go out in separate writes: avoid 40 ms delayed ACKs
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if cluster._ssl_ctx is not None:
            self.request.settimeout(self.timeout)
            try:
                self.request = cluster._ssl_ctx.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                with cluster._lock:
                    cluster.tls_errors.append(f"{type(e).__name__}: {e}")
                raise
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if isinstance(self.request, ssl.SSLSocket):  # the wrapped socket is ours to close
                with contextlib.suppress(OSError):
                    self.request.close()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ---------------------------------------------------------------- auth
    def _user(self) -> tuple[str | None, bool]:
        """(user, token_rejected)."""
        cluster = self.server.cluster
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            user = cluster.tokens.get(auth[7:].strip())
            return user, user is None
        if isinstance(self.connection, ssl.SSLSocket):
            cert = self.connection.getpeercert()
            if cert:
                subject: Any = cert.get("subject", ())
                for rdn in subject:
                    for key, value in rdn:
                        if key == "commonName":
                            return str(value), False
        return None, False

    def _send(
        self, code: int, body: Any, rec: RequestRecord, headers: Mapping[str, str] | None = None
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()  # bytes: sent as they are
        rec.status = code
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Audit-Id", str(uuid.uuid4()))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            rec.status = 0

    def _handle(self, method: str) -> None:
        cluster = self.server.cluster
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        user, bad_token = self._user()
        rec = RequestRecord(method, split.path, query, user, {k: v for k, v in self.headers.items()})
        cluster._record(rec)
        fault = cluster._match_fault(method, split.path)
        if fault is not None:
            if fault.delay and cluster._stopping.wait(fault.delay):
                self.close_connection = True
                return
            if fault.drop:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.body is not None:
                self._send(fault.status or 200, fault.body, rec)
                return
            if fault.status is not None:
                hdrs = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                msg = fault.message or f"injected fault: {fault.status}"
                details = {"retryAfterSeconds": fault.retry_after} if fault.retry_after is not None else None
                self._send(fault.status, status_body(fault.status, msg, details=details), rec, hdrs)
                return
        if bad_token or (user is None and cluster.require_auth):
            self._send(401, status_body(401, "Unauthorized"), rec)
            return
        if method != "GET" and cluster.writable:
            from .writes import handle_write  # the write half lives in its own module

            code, answer, extra = handle_write(cluster, method, split.path, query, user or ANONYMOUS, payload,
                                               dict(self.headers.items()))
            self._send(code, answer, rec, extra)
            return
        if method != "GET":
            self._send(405, status_body(405, f"the fake API server is read-only: {method} is not allowed"), rec)
            return
        try:
            code, body = cluster.handle_get(split.path, query, user or ANONYMOUS)
        except Exception as e:  # pragma: no cover - a bug in the fake; answer 500 instead of hanging
            code, body = 500, status_body(500, f"fake API server error: {type(e).__name__}: {e}")
        self._send(code, body, rec)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


__all__ = ["ANONYMOUS", "DenyRule", "FakeCluster", "Fault", "RequestRecord", "status_body", "unused_port"]

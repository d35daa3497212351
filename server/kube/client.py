"""Read-only, multi-cluster Kubernetes access: one API client per kubeconfig context, built on demand.

Design notes
------------
- **Official client, raw calls.** Requests go through ``kubernetes.client.ApiClient`` (its TLS, exec/token auth and
  token refresh), via ``param_serialize`` + ``call_api``, and the JSON is decoded ourselves into plain dicts. We do
  not use ``DynamicClient``: it caches discovery on disk under ``$TMPDIR`` keyed by host (stale across runs that
  reuse a port), wraps every object in ``ResourceInstance`` (costly for thousands of Pods), and hides the HTTP
  status/Status reason we must report. Discovery is cached in memory per client, never on disk.
- **Explicit timeouts and retries.** ``Configuration.retries`` is set before the ``ApiClient`` is created (urllib3
  otherwise retries a timed-out read three times: a 1 s timeout becomes 4 s), and every request passes
  ``_request_timeout``. A 429 with ``Retry-After`` is retried a bounded number of times.
- **Per-request context.** The context is an argument of :meth:`ClientRegistry.client`; there is no process-global
  configuration (``load_kube_config`` is never called).
- **Deadlines.** Discovery and list calls take an optional ``deadline`` (a ``time.monotonic()`` instant): each
  request's timeout is cut to the time left, and nothing is requested once it has passed (:class:`DeadlineExceeded`).
- **Strict answers.** A 2xx answer whose body is not the expected shape (a list without ``items``, a resource list
  without ``resources``) is an error (``InvalidResponse``), never read as empty.
- Every call is blocking; async callers wrap them in worker threads.
"""

from __future__ import annotations

import fnmatch
import ssl
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

import urllib3

from pykyverno.engine.errors import LoadError
from pykyverno.engine.reader import DEFAULT_LIMITS, load_json

from ..redaction import redact_body, remember_process
from .contexts import ContextInfo, Kubeconfig
from .errors import (
    ApiError,
    ClusterError,
    ContextNotAllowed,
    ContextNotFound,
    DeadlineExceeded,
    Expired,
    Forbidden,
    InvalidName,
    KubeconfigError,
    NotFound,
    RequestTimeout,
    ServerError,
    TLSError,
    TooManyRequests,
    Unauthorized,
    Unreachable,
)
from .names import check_group, check_namespace, check_object_name, check_resource, check_version

if TYPE_CHECKING:  # the kubernetes client is imported when a client is first made: snapshot scans never load it
    from kubernetes.client import ApiClient

_MAX_SERVER_MESSAGE = 300


#: API answers are in memory already when they are read, so their size is not bounded here (a list is paged); their
#: nesting and integers are, as for every text the project reads.
_ANSWER_LIMITS = replace(DEFAULT_LIMITS, max_bytes=1 << 62)


def decode_answer(data: bytes) -> Any:
    """The JSON value of an API server's answer, read as Go's ``json.Unmarshal`` reads it (the
    last of duplicate keys wins) through the bounded reader; :class:`ValueError` for anything else (invalid UTF-8 or
    JSON, nesting that would exhaust the recursion of the code that walks it, integers too long to convert)."""
    try:
        return load_json(data.decode("utf-8"), "API answer", limits=_ANSWER_LIMITS, unique_keys=False)
    except (UnicodeDecodeError, LoadError) as exc:
        raise ValueError(str(exc)) from None


@dataclass(frozen=True)
class ClientSettings:
    """How clients talk to clusters.

    :ivar timeout: seconds per HTTP request (connect + read), pinned: a call fails in about this time.
    :ivar retries: urllib3 retries on connection errors and timeouts (0: none; each one can cost ``timeout``).
    :ivar throttle_retries: how many times a 429 answer is retried after its ``Retry-After``.
    :ivar max_retry_after: a longer ``Retry-After`` (seconds) is not waited for: the 429 is raised.
    :ivar allow: context-name patterns (``fnmatch``) that may be used; None allows all.
    :ivar deny: context-name patterns that may not be used (wins over ``allow``).
    :ivar page_size: default ``limit`` of list requests.
    :ivar discovery_ttl: seconds a complete discovery result is reused (one with failed group versions never is).
    :ivar discovery_concurrency: group versions discovered at the same time.
    """

    timeout: float = 10.0
    retries: int = 0
    throttle_retries: int = 2
    max_retry_after: float = 5.0
    allow: frozenset[str] | None = None
    deny: frozenset[str] = frozenset()
    page_size: int = 500
    discovery_ttl: float = 300.0
    discovery_concurrency: int = 4


@dataclass(frozen=True)
class ServerVersion:
    """The ``/version`` answer of a cluster."""

    major: str
    minor: str
    git_version: str
    platform: str
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class APIResourceInfo:
    """One resource type of a cluster, from discovery (subresources excluded)."""

    group: str
    version: str
    resource: str  # plural
    kind: str
    namespaced: bool
    verbs: tuple[str, ...]
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    preferred: bool = False  # this version is the group's preferred version

    @property
    def api_version(self) -> str:
        """``group/version`` (``version`` for the core group)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def listable(self) -> bool:
        """Whether the resource supports ``list``."""
        return "list" in self.verbs


@dataclass(frozen=True)
class Discovery:
    """What a cluster serves. ``errors`` maps a group version that could not be discovered to why: its resource
    types are unknown, not absent."""

    resources: tuple[APIResourceInfo, ...]
    preferred_versions: Mapping[str, str]
    errors: Mapping[str, ClusterError] = field(default_factory=dict)

    @property
    def failed(self) -> Mapping[str, str]:
        """The group versions that could not be discovered, with the error message."""
        return {gv: e.message for gv, e in self.errors.items()}

    def failure_for(self, group: str) -> ClusterError | None:
        """Why a version of API group ``group`` could not be discovered (None when every version was)."""
        return next((e for gv, e in self.errors.items() if (gv.rpartition("/")[0]) == group), None)

    def get(self, group: str, version: str, resource: str) -> APIResourceInfo | None:
        """The resource ``group/version/resource``, or None."""
        for r in self.resources:
            if (r.group, r.version, r.resource) == (group, version, resource):
                return r
        return None

    def by_kind(self, group: str, kind: str, version: str | None = None) -> APIResourceInfo | None:
        """The resource serving ``kind`` in ``group`` (the preferred version unless ``version`` is given)."""
        cands = [r for r in self.resources if r.group == group and r.kind == kind
                 and (version is None or r.version == version)]
        if not cands:
            return None
        return next((r for r in cands if r.preferred), cands[0])

    def preferred(self) -> list[APIResourceInfo]:
        """The resources of every group's preferred version."""
        return [r for r in self.resources if r.preferred]

    def versions(self, group: str) -> list[str]:
        """Every served version of ``group``, in discovery order (preferred first)."""
        out: list[str] = []
        for r in self.resources:
            if r.group == group and r.version not in out:
                out.append(r.version)
        return out


@dataclass(frozen=True)
class ListPage:
    """One page of a paginated list."""

    items: list[dict[str, Any]]
    resource_version: str
    continue_token: str | None
    remaining: int | None


def _gr(group: str, version: str, resource: str) -> str:
    return f"{resource}.{group}/{version}" if group else f"{resource}/{version}"


def _describe(verb: str, group: str, version: str, resource: str, namespace: str | None, name: str | None) -> str:
    what = _gr(group, version, resource)
    if name:
        what += f" {name!r}"
    where = f" in namespace {namespace!r}" if namespace else ""
    return f"{verb} {what}{where}"


def _path(group: str, version: str, resource: str, namespace: str | None = None, name: str | None = None) -> str:
    """The request path; every part is checked first (:mod:`.names`), so no part can change the path's shape."""
    check_group(group)
    check_version(version)
    check_resource(resource)
    if namespace is not None and namespace != "":
        check_namespace(namespace)
    if name is not None:
        check_object_name(name)
    base = f"/apis/{quote(group, safe='')}/{quote(version, safe='')}" if group else f"/api/{quote(version, safe='')}"
    if namespace:
        base += f"/namespaces/{quote(namespace, safe='')}"
    base += f"/{quote(resource, safe='')}"
    if name:
        base += f"/{quote(name, safe='')}"
    return base


def _secrets_path(path: str) -> bool:
    """Whether ``path`` reads the core ``secrets`` resource (one Secret or a list), in any namespace."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if len(parts) < 3 or parts[0] != "api":
        return False
    rest = parts[2:]
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]
    return rest[0] == "secrets"


def _check_segments(path: str) -> None:
    """Refuse dot segments anywhere in a path (an HTTP stack would resolve them into another request)."""
    for segment in path.split("?", 1)[0].split("/")[1:]:
        if segment in (".", "..") or segment.lower() in ("%2e", "%2e%2e", ".%2e", "%2e."):
            raise InvalidName(f"invalid request path {path!r}: dot segments are not allowed", field="path",
                              value=path)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SERVER_MESSAGE else text[: _MAX_SERVER_MESSAGE - 1] + "…"


class KubeClient:
    """Read access to one cluster (one context). Obtain it from :meth:`ClientRegistry.client`."""

    def __init__(self, context: str, api_client: ApiClient, settings: ClientSettings,
                 info: ContextInfo | None = None) -> None:
        self.context = context
        self.api_client = api_client
        self.settings = settings
        self.info = info
        self._discovery: tuple[float, Discovery] | None = None
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- requests
    def _fail(self, exc: BaseException, what: str, timeout: float | None = None,
              deadline: float | None = None) -> NoReturn:
        """Turn a transport exception into our error (no traceback chaining: messages stay clean)."""
        reason: BaseException = exc
        if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
            reason = exc.reason
        server = self.info.server if self.info else ""
        at = f" at {server}" if server else ""
        prefix = f"context {self.context!r}: cannot {what}"
        from kubernetes.client.exceptions import ApiException

        if (isinstance(exc, ApiException) and exc.status == 0) or isinstance(reason, (urllib3.exceptions.SSLError,
                                                                                        ssl.SSLError)):
            detail = ""
            text = str(reason.reason if isinstance(reason, ApiException) else reason)
            for marker in ("certificate verify failed", "CERTIFICATE_VERIFY_FAILED", "handshake", "wrong version",
                           "WRONG_VERSION_NUMBER", "hostname mismatch", "unknown ca"):
                if marker.lower() in text.lower():
                    idx = text.lower().index(marker.lower())
                    detail = ": " + _short(text[idx:].split("(_ssl")[0].rstrip(" )"))[:120]
                    break
            raise TLSError(f"{prefix}: TLS verification with the API server{at} failed{detail} "
                           "(check the cluster's certificate-authority in the kubeconfig)",
                           context=self.context, resource=what, reason="TLSError") from None
        if isinstance(reason, urllib3.exceptions.NameResolutionError):
            raise Unreachable(f"{prefix}: the API server host{at} cannot be resolved",
                              context=self.context, resource=what) from None
        # NewConnectionError subclasses ConnectTimeoutError in urllib3: test it before timeouts
        if isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
            raise Unreachable(f"{prefix}: the API server{at} is unreachable (connection refused or no route)",
                              context=self.context, resource=what) from None
        if isinstance(reason, (urllib3.exceptions.TimeoutError, TimeoutError)):
            if deadline is not None and time.monotonic() >= deadline - 0.05:
                raise DeadlineExceeded(f"{prefix}: no answer from the API server{at} before the deadline",
                                       context=self.context, resource=what) from None
            waited = self.settings.timeout if timeout is None else timeout
            raise RequestTimeout(f"{prefix}: the API server{at} did not answer within {waited:g}s",
                                 context=self.context, resource=what) from None
        if isinstance(reason, (urllib3.exceptions.ProtocolError, ConnectionResetError, ConnectionAbortedError)):
            raise Unreachable(f"{prefix}: the API server{at} closed the connection without answering",
                              context=self.context, resource=what) from None
        raise Unreachable(f"{prefix}: the connection to the API server{at} failed ({type(reason).__name__})",
                          context=self.context, resource=what) from None

    def _decode_object(self, data: bytes, what: str, status: int) -> dict[str, Any]:
        """The JSON object of a successful answer; :class:`ServerError` for invalid JSON or anything but an object."""
        try:
            body = decode_answer(data)
        except ValueError:
            raise ServerError(f"context {self.context!r}: cannot {what}: the API server sent invalid JSON",
                              context=self.context, resource=what, status=status,
                              reason="InvalidResponse") from None
        if not isinstance(body, dict):
            raise ServerError(f"context {self.context!r}: cannot {what}: unexpected answer",
                              context=self.context, resource=what, status=status, reason="InvalidResponse")
        return body

    def _api_error(self, status: int, data: bytes, headers: Mapping[str, str], what: str) -> ApiError:
        reason, message = "", ""
        try:
            body = decode_answer(data or b"{}")
            if isinstance(body, dict) and body.get("kind") == "Status":
                reason = str(body.get("reason") or "")
                message = str(body.get("message") or "")
        except ValueError:
            pass
        cls: type[ApiError]
        if status == 401:
            cls, summary = Unauthorized, "the API server rejected the credentials (401 Unauthorized)"
        elif status == 403:
            cls, summary = Forbidden, "forbidden by the API server (403)"
        elif status == 404:
            cls, summary = NotFound, "not found (404)"
        elif status == 410:
            cls, summary = Expired, "the list continue token expired (410); restart the list"
        elif status == 429:
            cls, summary = TooManyRequests, "throttled by the API server (429 Too Many Requests)"
        elif status >= 500:
            cls, summary = ServerError, f"the API server failed ({status})"
        else:
            cls, summary = ApiError, f"the API server answered {status}"
        text = f"context {self.context!r}: cannot {what}: {summary}"
        if message and status != 401:
            text += f": {_short(message)}"
        if cls is TooManyRequests:
            return TooManyRequests(text, context=self.context, resource=what, status=status, reason=reason or None,
                                   retry_after=_retry_after(headers))
        return cls(text, context=self.context, resource=what, status=status, reason=reason or None)

    def _time_left(self, what: str, deadline: float | None) -> float:
        """The timeout of the next request: the configured one, cut to what is left before ``deadline``."""
        if deadline is None:
            return self.settings.timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded(f"context {self.context!r}: {what}: not requested, the deadline has passed",
                                   context=self.context, resource=what)
        return min(self.settings.timeout, left)

    def request_json(self, path: str, query: Iterable[tuple[str, str]] = (), *, what: str = "",
                     deadline: float | None = None) -> dict[str, Any]:
        """GET ``path`` (with ``query``) and return the decoded JSON object.

        ``deadline`` (a ``time.monotonic()`` instant) bounds the request, its retries and their waits.

        :raises ClusterError: an :class:`ApiError` subclass for an HTTP error, a transport error otherwise
            (:class:`DeadlineExceeded` once ``deadline`` has passed).
        """
        from kubernetes.client.exceptions import ApiException

        what = what or f"get {path}"
        _check_segments(path)
        secrets = _secrets_path(path)
        attempt = 0
        while True:
            timeout = self._time_left(what, deadline)
            try:
                method, url, headers, _, _ = self.api_client.param_serialize(
                    method="GET", resource_path=path, query_params=list(query),
                    header_params={"Accept": "application/json"}, auth_settings=["BearerToken"])
                resp = self.api_client.call_api(method, url, header_params=headers, _request_timeout=timeout)
                data = resp.read()  # type: ignore[no-untyped-call]
            except (ApiException, urllib3.exceptions.HTTPError, OSError) as e:
                self._fail(e, what, timeout, deadline)
            status = int(resp.status)
            if 200 <= status < 300:
                body = self._decode_object(data, what, status)
                return redact_body(body, secrets=secrets)  # the one place objects enter from a cluster
            err = self._api_error(status, data, dict(resp.headers or {}), what)
            if isinstance(err, TooManyRequests) and attempt < self.settings.throttle_retries:
                wait = err.retry_after if err.retry_after is not None else 1.0
                if wait <= self.settings.max_retry_after and (deadline is None
                                                              or time.monotonic() + wait < deadline):
                    attempt += 1
                    time.sleep(wait)
                    continue
            raise err

    # ------------------------------------------------------------------ reads
    def version(self) -> ServerVersion:
        """The cluster's version (``GET /version``)."""
        body = self.request_json("/version", what="get the server version")
        return ServerVersion(major=str(body.get("major", "")), minor=str(body.get("minor", "")),
                             git_version=str(body.get("gitVersion", "")), platform=str(body.get("platform", "")),
                             raw=body)

    def discover(self, *, refresh: bool = False, deadline: float | None = None) -> Discovery:
        """Every resource type of the cluster, per group version, with preferred versions and CRDs.

        A group version that fails (an aggregated API that is down, a 404, a dropped connection, an answer that is
        not an ``APIResourceList``, the ``deadline``) is recorded in ``Discovery.errors`` and the rest is returned;
        such a partial result is not cached. A failure of ``/api`` or ``/apis`` raises.
        """
        with self._lock:
            now = time.monotonic()
            if not refresh and self._discovery and now - self._discovery[0] < self.settings.discovery_ttl:
                return self._discovery[1]
        core = self.request_json("/api", what="discover the core API", deadline=deadline)
        groups = self.request_json("/apis", what="discover API groups", deadline=deadline)
        core_versions = [str(v) for v in _field_list(self, core, "versions", "discover the core API")]
        gvs: list[tuple[str, str, bool]] = [("", v, i == 0) for i, v in enumerate(core_versions)]
        preferred: dict[str, str] = {"": core_versions[0] if core_versions else "v1"}
        for g in _field_list(self, groups, "groups", "discover API groups"):
            if not isinstance(g, dict):
                raise _invalid(self, "discover API groups", "a group is not an object")
            name = str(g.get("name", ""))
            pref = str((g.get("preferredVersion") or {}).get("version", ""))
            versions = [str(v.get("version", "")) for v in g.get("versions") or [] if isinstance(v, dict)]
            if not pref and versions:
                pref = versions[0]
            preferred[name] = pref
            ordered = ([pref] if pref in versions else []) + [v for v in versions if v != pref]
            gvs.extend((name, v, v == pref) for v in ordered)

        def one(gv: tuple[str, str, bool]) -> list[APIResourceInfo] | ClusterError:
            try:
                return self._group_version(*gv, deadline=deadline)
            except ClusterError as e:
                return e

        workers = max(1, min(self.settings.discovery_concurrency, len(gvs)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            answers = list(pool.map(one, gvs))
        resources: list[APIResourceInfo] = []
        errors: dict[str, ClusterError] = {}
        for (group, version, _), answer in zip(gvs, answers, strict=True):
            if isinstance(answer, ClusterError):
                errors[f"{group}/{version}" if group else version] = answer
            else:
                resources.extend(answer)
        disc = Discovery(resources=tuple(resources), preferred_versions=preferred, errors=errors)
        if not errors:
            with self._lock:
                self._discovery = (time.monotonic(), disc)
        return disc

    def _group_version(self, group: str, version: str, is_pref: bool, *,
                       deadline: float | None) -> list[APIResourceInfo]:
        """The resource types of one group version (subresources left out)."""
        gv = f"{group}/{version}" if group else version
        what = f"discover {gv}"
        body = self.request_json(f"/apis/{gv}" if group else f"/api/{version}", what=what, deadline=deadline)
        out: list[APIResourceInfo] = []
        for r in _field_list(self, body, "resources", what, kind="APIResourceList"):
            if not isinstance(r, dict):
                raise _invalid(self, what, "a resource is not an object")
            name = str(r.get("name", ""))
            if not name or "/" in name:
                continue  # subresource
            out.append(APIResourceInfo(
                group=group, version=version, resource=name, kind=str(r.get("kind", "")),
                namespaced=bool(r.get("namespaced", False)), verbs=tuple(r.get("verbs") or ()),
                singular=str(r.get("singularName") or ""), short_names=tuple(r.get("shortNames") or ()),
                categories=tuple(r.get("categories") or ()), preferred=is_pref))
        return out

    def list_pages(self, group: str, version: str, resource: str, *, namespace: str | None = None,
                   label_selector: str | None = None, field_selector: str | None = None,
                   limit: int | None = None, deadline: float | None = None) -> Iterator[ListPage]:
        """Pages of a list, following ``metadata.continue``; items get ``apiVersion`` and ``kind``.

        ``namespace=None`` lists a cluster-scoped resource, or a namespaced one across all namespaces.

        :raises Expired: when a continue token goes stale between pages (the pages already yielded stand).
        :raises ServerError: (``InvalidResponse``) when a 2xx answer is not a list of objects.
        :raises DeadlineExceeded: when ``deadline`` passes (the pages already yielded stand).
        """
        what = _describe("list", group, version, resource, namespace, None)
        path = _path(group, version, resource, namespace)
        page_size = self.settings.page_size if limit is None else limit
        token: str | None = None
        while True:
            query: list[tuple[str, str]] = []
            if label_selector:
                query.append(("labelSelector", label_selector))
            if field_selector:
                query.append(("fieldSelector", field_selector))
            if page_size and page_size > 0:
                query.append(("limit", str(page_size)))
            if token:
                query.append(("continue", token))
            body = self.request_json(path, query, what=what, deadline=deadline)
            meta = body.get("metadata") or {}
            list_kind = str(body.get("kind") or "")
            kind = list_kind[:-4] if list_kind.endswith("List") else ""
            api_version = str(body.get("apiVersion") or (f"{group}/{version}" if group else version))
            items = []
            for item in _field_list(self, body, "items", what, kind="List"):
                if not isinstance(item, dict):
                    raise _invalid(self, what, "an item of the list is not an object")
                item.setdefault("apiVersion", api_version)
                if kind:
                    item.setdefault("kind", kind)
                items.append(item)
            token = meta.get("continue") or None
            remaining = meta.get("remainingItemCount")
            yield ListPage(items=items, resource_version=str(meta.get("resourceVersion") or ""),
                           continue_token=token, remaining=int(remaining) if remaining is not None else None)
            if not token:
                return

    def list(self, group: str, version: str, resource: str, *, namespace: str | None = None,
             label_selector: str | None = None, field_selector: str | None = None,
             limit: int | None = None, deadline: float | None = None) -> Iterator[dict[str, Any]]:
        """Every object of a resource type as plain dicts (``apiVersion``/``kind`` filled), paginating with
        ``limit`` (default :attr:`ClientSettings.page_size`) and ``continue``. See :meth:`list_pages`."""
        for page in self.list_pages(group, version, resource, namespace=namespace, label_selector=label_selector,
                                    field_selector=field_selector, limit=limit, deadline=deadline):
            yield from page.items

    def get(self, group: str, version: str, resource: str, name: str, *,
            namespace: str | None = None) -> dict[str, Any]:
        """One object as a plain dict.

        :raises NotFound: when it does not exist.
        """
        what = _describe("get", group, version, resource, namespace, name)
        body = self.request_json(_path(group, version, resource, namespace, name), what=what)
        if isinstance(body.get("items"), list) or (body.get("metadata") or {}).get("name", name) != name:
            raise ServerError(f"context {self.context!r}: cannot {what}: the API server answered with another "
                              "object or a list", context=self.context, resource=what, reason="InvalidResponse")
        return body

    def close(self) -> None:
        """Release the connection pool."""
        self.api_client.close()  # type: ignore[no-untyped-call]


def _invalid(client: KubeClient, what: str, problem: str) -> ServerError:
    return ServerError(f"context {client.context!r}: cannot {what}: the API server's answer is not usable ({problem})",
                       context=client.context, resource=what, status=200, reason="InvalidResponse")


def _field_list(client: KubeClient, body: Mapping[str, Any], name: str, what: str, *, kind: str = "") -> list[Any]:
    """``body[name]`` when it is a list. A missing or non-list field is an :func:`_invalid` answer, except ``null``
    in an object whose ``kind`` ends with ``kind`` (Go encodes an empty slice of a typed list as ``null``)."""
    value = body.get(name)
    if isinstance(value, list):
        return value
    if value is None and name in body and kind and str(body.get("kind") or "").endswith(kind):
        return []
    found = "missing" if name not in body else f"a {type(value).__name__}"
    raise _invalid(client, what, f"`{name}` is {found}, not a list")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for k, v in headers.items():
        if k.lower() == "retry-after":
            try:
                return max(0.0, float(v))
            except ValueError:
                return None
    return None


class ClientRegistry:
    """One :class:`KubeClient` per context, created lazily under a lock and reused.

    The kubeconfig is read once, when the registry is built, and never written. Contexts are filtered by
    ``settings.allow`` / ``settings.deny``.
    """

    def __init__(self, kubeconfig: Kubeconfig, settings: ClientSettings | None = None) -> None:
        self.kubeconfig = kubeconfig
        self.settings = settings or ClientSettings()
        self._clients: dict[str, KubeClient] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_kubeconfig(cls, path: str | None = None, *, settings: ClientSettings | None = None,
                        **load_kwargs: Any) -> ClientRegistry:
        """Load kubeconfig files (see :meth:`Kubeconfig.load`) and build a registry."""
        return cls(Kubeconfig.load(path, **load_kwargs), settings)

    def allowed(self, name: str) -> bool:
        """Whether the allow-list / deny-list lets ``name`` be used."""
        if any(fnmatch.fnmatchcase(name, p) for p in self.settings.deny):
            return False
        return self.settings.allow is None or any(fnmatch.fnmatchcase(name, p) for p in self.settings.allow)

    def available(self) -> list[str]:
        """The names of the usable contexts."""
        return [n for n in self.kubeconfig.names() if self.allowed(n)]

    def contexts(self) -> list[ContextInfo]:
        """The usable contexts (never credentials)."""
        return [c for c in self.kubeconfig.contexts() if self.allowed(c.name)]

    def resolve(self, context: str | None = None) -> str:
        """The context name to use: ``context``, or the current context when None.

        :raises ContextNotFound: unknown context (or none selected and no current one).
        :raises ContextNotAllowed: excluded by the allow-list / deny-list.
        """
        available = self.available()
        if context is None:
            current = self.kubeconfig.current_context
            if current is None:
                raise ContextNotFound("no context given and the kubeconfig has no current context",
                                      context=None, available=available)
            context = current
        if context not in self.kubeconfig.names():
            raise ContextNotFound(f"unknown context {context!r}", context=context, available=available)
        if not self.allowed(context):
            raise ContextNotAllowed(f"context {context!r} is not allowed by the server configuration",
                                    context=context, available=available)
        return context

    def client(self, context: str | None = None) -> KubeClient:
        """The client of ``context`` (the current context when None), built on first use.

        :raises ContextError: unknown or disallowed context.
        :raises KubeconfigError: the context's configuration is invalid.
        """
        name = self.resolve(context)
        with self._lock:
            existing = self._clients.get(name)
            if existing is not None:
                return existing
            from kubernetes.client import ApiClient, Configuration

            configuration = Configuration()
            configuration.retries = self.settings.retries  # before ApiClient: the pool manager reads it once
            self.kubeconfig.configure(name, configuration)
            if not configuration.host:
                raise KubeconfigError(f"context {name!r} has no server URL", context=name)
            for credential in (*configuration.api_key.values(), configuration.password):
                if isinstance(credential, str):
                    remember_process(credential.removeprefix("Bearer ").strip())
            api = ApiClient(configuration=configuration)
            api.user_agent = "pykyverno"
            kc = KubeClient(name, api, self.settings, self.kubeconfig.info(name))
            self._clients[name] = kc
            return kc

    def close(self) -> None:
        """Close every client built so far."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            c.close()

    def __enter__(self) -> ClientRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "APIResourceInfo",
    "ClientRegistry",
    "ClientSettings",
    "Discovery",
    "KubeClient",
    "ListPage",
    "ServerVersion",
]

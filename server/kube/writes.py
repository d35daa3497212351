"""Writes to one cluster: server-side apply, delete (with preconditions) and their dry runs.

A thin layer over :class:`~.client.KubeClient`: the same ``ApiClient`` (TLS, credentials, token refresh), the same
timeout, and the same error classes and messages (a 403 is :class:`~.errors.Forbidden` naming the context, the
verb and the object). Nothing here decides *whether* to write; :mod:`pykyverno.server.writes` plans, asks for
confirmation and refuses to touch objects pykyverno does not manage.

Every write sends ``fieldValidation=Strict`` so that a field the served API version does not know is an error
rather than silently dropped, and server-side apply uses one field manager (``pykyverno`` by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import urllib3

from .client import APIResourceInfo, KubeClient, _path, decode_answer
from .errors import ApiError

APPLY_PATCH = "application/apply-patch+yaml"
DEFAULT_FIELD_MANAGER = "pykyverno"


class ApplyConflict(ApiError):
    """A server-side apply changed fields another field manager owns (409). ``fields`` lists
    ``(manager, field path)`` pairs from the server's answer."""

    def __init__(self, message: str, *, context: str | None, resource: str, fields: list[tuple[str, str]]) -> None:
        super().__init__(message, context=context, resource=resource, status=409, reason="Conflict")
        self.fields = fields


@dataclass
class WriteAnswer:
    """The object the API server answered with, and the warnings it sent (``Warning`` headers)."""

    object: dict[str, Any]
    status: int
    warnings: list[str] = field(default_factory=list)


def _warnings(headers: Mapping[str, str]) -> list[str]:
    out = []
    for key, value in headers.items():
        if key.lower() == "warning":
            for part in value.split(", 299 "):
                text = part.split('"', 1)[1].rsplit('"', 1)[0] if '"' in part else part
                out.append(text.replace('\\"', '"'))
    return out


def _conflicts(data: bytes) -> list[tuple[str, str]]:
    try:
        body = decode_answer(data or b"{}")
    except ValueError:
        return []
    out = []
    for cause in ((body.get("details") or {}).get("causes") or []) if isinstance(body, dict) else []:
        if isinstance(cause, dict) and cause.get("type") == "FieldManagerConflict":
            message = str(cause.get("message") or "")
            manager = message.split('"')[1] if message.count('"') >= 2 else message
            out.append((manager, str(cause.get("field") or "")))
    return out


class WriteClient:
    """Writes through a :class:`KubeClient` (one context)."""

    def __init__(self, client: KubeClient, field_manager: str = DEFAULT_FIELD_MANAGER) -> None:
        self.client = client
        self.field_manager = field_manager

    @property
    def context(self) -> str:
        """The kubeconfig context written to."""
        return self.client.context

    def send(self, method: str, path: str, *, query: Iterable[tuple[str, str]] = (), body: Any = None,
             content_type: str = "application/json", what: str) -> WriteAnswer:
        """Send one write request and decode the answer.

        :raises ClusterError: :class:`ApplyConflict` for an apply conflict, another :class:`ApiError` subclass for
            an HTTP error (403 is ``Forbidden``), a transport error otherwise.
        """
        from kubernetes.client.exceptions import ApiException  # loaded with the client already

        client = self.client
        try:
            _, url, headers, payload, _ = client.api_client.param_serialize(
                method=method, resource_path=path, query_params=list(query),
                header_params={"Accept": "application/json", "Content-Type": content_type},
                body=body, auth_settings=["BearerToken"])
            resp = client.api_client.call_api(method, url, header_params=headers, body=payload,
                                              _request_timeout=client.settings.timeout)
            data = resp.read()  # type: ignore[no-untyped-call]
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            client._fail(exc, what)
        status = int(resp.status)
        resp_headers = dict(resp.headers or {})
        if status == 409:
            fields = _conflicts(data)
            if fields:
                err = client._api_error(status, data, resp_headers, what)
                raise ApplyConflict(err.message, context=client.context, resource=what, fields=fields)
        if not 200 <= status < 300:
            raise client._api_error(status, data, resp_headers, what)
        answer = client._decode_object(data or b"{}", what, status)
        return WriteAnswer(answer, status, _warnings(resp_headers))

    def apply(self, resource: APIResourceInfo, obj: Mapping[str, Any], *, dry_run: bool,
              force: bool = False) -> WriteAnswer:
        """Server-side apply ``obj`` (created when absent) as this client's field manager."""
        meta = obj.get("metadata") or {}
        name = str(meta.get("name") or "")
        namespace = str(meta.get("namespace") or "") if resource.namespaced else None
        query = [("fieldManager", self.field_manager), ("fieldValidation", "Strict")]
        if force:
            query.append(("force", "true"))
        if dry_run:
            query.append(("dryRun", "All"))
        what = f"{'dry-run ' if dry_run else ''}apply {describe(resource, namespace, name)}"
        return self.send("PATCH", _path(resource.group, resource.version, resource.resource, namespace, name),
                         query=query, body=dict(obj), content_type=APPLY_PATCH, what=what)

    def delete(self, resource: APIResourceInfo, name: str, *, namespace: str | None, dry_run: bool,
               uid: str | None = None) -> WriteAnswer:
        """Delete one object; ``uid`` makes the server refuse (409) when the object was replaced meanwhile."""
        ns = namespace if resource.namespaced else None
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        if uid:
            body["preconditions"] = {"uid": uid}
        query = [("dryRun", "All")] if dry_run else []
        what = f"{'dry-run ' if dry_run else ''}delete {describe(resource, ns, name)}"
        return self.send("DELETE", _path(resource.group, resource.version, resource.resource, ns, name),
                         query=query, body=body, what=what)


def describe(resource: APIResourceInfo, namespace: str | None, name: str) -> str:
    """``validatingpolicies.policies.kyverno.io/v1 'x'`` (``in namespace 'ns'``)."""
    gr = f"{resource.resource}.{resource.group}" if resource.group else resource.resource
    where = f" in namespace {namespace!r}" if namespace else ""
    return f"{gr}/{resource.version} {name!r}{where}"


__all__ = ["APPLY_PATCH", "DEFAULT_FIELD_MANAGER", "ApplyConflict", "WriteAnswer", "WriteClient", "describe"]

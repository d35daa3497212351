"""The write half of the fake API server (``FakeCluster(writable=True)``).

What write clients (the ``kubernetes`` client, kubectl, pykyverno's write tools) need from an API server:

- ``POST`` (create; 409 AlreadyExists), ``PUT`` (update; 409 on a stale ``resourceVersion``), ``DELETE`` (404 when
  absent; ``preconditions`` on ``uid``/``resourceVersion`` answer 409 when they do not hold);
- ``PATCH`` with ``application/merge-patch+json`` (RFC 7386), ``application/json-patch+json`` (RFC 6902),
  ``application/strategic-merge-patch+json`` (built-in kinds only: custom resources answer 415, like the real server)
  and ``application/apply-patch+yaml`` (server-side apply: ``fieldManager`` required, ``force``, creation when absent);
- ``metadata.managedFields`` (``FieldsV1``) per manager and operation; an apply that changes a field another manager
  owns is a 409 Conflict listing the manager and the fields, unless ``force=true`` moves the ownership; fields a
  manager stops applying are removed when nobody else owns them; a no-op write keeps the ``resourceVersion``;
- ``dryRun=All`` on every verb: validated and answered as usual, nothing stored (any other value: 400);
- custom resources checked against their CRD's ``openAPIV3Schema``: unknown fields are refused by apply and with
  ``fieldValidation=Strict``, pruned with a ``Warning`` header otherwise;
- namespaces that must exist, names that must be DNS subdomains, ``apiVersion``/``kind``/namespace of the body that
  must agree with the path;
- RBAC through the cluster's deny rules with the verbs create/update/patch/delete (an apply that creates the object
  needs create as well as patch, as on a real server).

Lists are atomic for field ownership (a list is one field), which is what custom resources without
``x-kubernetes-list-type`` get on a real server; the merge itself uses the project's server-side-apply merge.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import yaml

from pykyverno.engine.cpol.strategic_merge import strategic_merge
from pykyverno.engine.mpol.jsonpatch import JsonPatchError, apply_patch
from pykyverno.engine.mpol.merge import MergeError, apply_configuration

from .kinds import Resource, resources_from_crd
from .server import status_body

if TYPE_CHECKING:
    from .server import FakeCluster

Answer = tuple[int, dict[str, Any], dict[str, str]]
Path = tuple[str, ...]

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"

#: Metadata the server owns: never part of a manager's field set.
_SERVER_METADATA = frozenset({"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                              "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
                              "generateName"})
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_MISSING: Any = object()


class _Refusal(Exception):
    """An error answer (status code and Status body) raised from deep inside a write."""

    def __init__(self, code: int, message: str, reason: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.answer = (code, status_body(code, message, reason, details))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _gr(res: Resource) -> str:
    return f"{res.plural}.{res.group}" if res.group else res.plural


# ----------------------------------------------------------------------------------------------- field sets
def leaf_paths(obj: Mapping[str, Any]) -> set[Path]:
    """The fields a manager owns when it writes ``obj``: every leaf (lists and empty maps count as leaves)."""
    out: set[Path] = set()

    def walk(node: Any, path: Path) -> None:
        if isinstance(node, Mapping) and node:
            for key, value in node.items():
                walk(value, (*path, str(key)))
        else:
            out.add(path)

    for key, value in obj.items():
        if key in ("apiVersion", "kind", "status"):
            continue
        if key == "metadata" and isinstance(value, Mapping):
            for mkey, mvalue in value.items():
                if mkey not in _SERVER_METADATA:
                    walk(mvalue, ("metadata", str(mkey)))
            continue
        walk(value, (str(key),))
    return out


def fields_v1(paths: set[Path]) -> dict[str, Any]:
    """Paths as a ``FieldsV1`` tree (``{"f:spec": {"f:replicas": {}}}``)."""
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for part in path:
            node = node.setdefault(f"f:{part}", {})
    return root


def paths_of(tree: Mapping[str, Any], prefix: Path = ()) -> set[Path]:
    """The leaf paths of a ``FieldsV1`` tree."""
    out: set[Path] = set()
    for key, value in tree.items():
        if not key.startswith("f:"):
            continue
        path = (*prefix, key[2:])
        if isinstance(value, Mapping) and any(k.startswith("f:") for k in value):
            out |= paths_of(value, path)
        else:
            out.add(path)
    return out


def value_at(obj: Any, path: Path) -> Any:
    """The value at ``path``, or a sentinel when absent."""
    node = obj
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _delete_at(obj: dict[str, Any], path: Path) -> None:
    parents: list[tuple[dict[str, Any], str]] = []
    node: Any = obj
    for part in path[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        parents.append((node, part))
        node = node[part]
    if isinstance(node, dict):
        node.pop(path[-1], None)
    for parent, key in reversed(parents):  # drop the maps the removal emptied
        if parent[key] == {}:
            del parent[key]


def _overlap(a: Path, b: Path) -> Path | None:
    """The longer of two paths when one is a prefix of the other (they name the same data), else None."""
    if a[: len(b)] == b:
        return a
    if b[: len(a)] == a:
        return b
    return None


# ------------------------------------------------------------------------------------------- managed fields
class _Managers:
    """``metadata.managedFields`` as sets of paths keyed by (manager, operation)."""

    def __init__(self, obj: Mapping[str, Any] | None, api_version: str) -> None:
        self.api_version = api_version
        self.entries: dict[tuple[str, str], set[Path]] = {}
        self.times: dict[tuple[str, str], str] = {}
        for entry in ((obj or {}).get("metadata") or {}).get("managedFields") or []:
            key = (str(entry.get("manager", "")), str(entry.get("operation", "")))
            self.entries[key] = paths_of(entry.get("fieldsV1") or {})
            self.times[key] = str(entry.get("time") or "")

    def others(self, manager: str) -> Iterator[tuple[tuple[str, str], set[Path]]]:
        for key, paths in self.entries.items():
            if key[0] != manager:
                yield key, paths

    def take(self, key: tuple[str, str], paths: set[Path]) -> None:
        """Give ``paths`` to ``key`` and remove them (and what they cover) from every other manager."""
        for other, owned in self.entries.items():
            if other != key:
                owned -= {p for p in owned if any(_overlap(p, q) for q in paths)}
        self.entries.setdefault(key, set()).update(paths)
        self.times[key] = _now()

    def owned_by_others(self, key: tuple[str, str], path: Path) -> bool:
        return any(any(_overlap(path, q) for q in owned) for k, owned in self.entries.items() if k != key)

    def render(self) -> list[dict[str, Any]]:
        return [{"manager": manager, "operation": operation, "apiVersion": self.api_version,
                 "time": self.times.get((manager, operation)) or _now(), "fieldsType": "FieldsV1",
                 "fieldsV1": fields_v1(paths)}
                for (manager, operation), paths in self.entries.items() if paths]


def _manager(query: Mapping[str, str], headers: Mapping[str, str]) -> str:
    if query.get("fieldManager"):
        return query["fieldManager"]
    agent = next((v for k, v in headers.items() if k.lower() == "user-agent"), "") or "unknown"
    return agent.split("/", 1)[0]


# --------------------------------------------------------------------------------------------- CRD schemas
def _crd_of(cluster: FakeCluster, res: Resource) -> dict[str, Any] | None:
    with cluster._lock:
        stored = cluster._store.get(("apiextensions.k8s.io", "customresourcedefinitions"), {})
        return stored.get(("", f"{res.plural}.{res.group}"))


def _schema_of(cluster: FakeCluster, res: Resource) -> dict[str, Any] | None:
    crd = _crd_of(cluster, res)
    for version in ((crd or {}).get("spec") or {}).get("versions") or []:
        if version.get("name") == res.version:
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            return schema if isinstance(schema, dict) else None
    return None


def unknown_fields(obj: Any, schema: Mapping[str, Any], path: str = "") -> list[str]:
    """Fields of ``obj`` the structural ``schema`` does not declare (``.spec.foo`` style)."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    out: list[str] = []
    if isinstance(obj, Mapping):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is None and extra is None:
            return []
        for key, value in obj.items():
            if not path and key in ("apiVersion", "kind", "metadata"):
                continue
            sub = (props or {}).get(key) if props is not None else None
            if sub is None and isinstance(extra, Mapping):
                sub = extra
            if sub is None:
                if extra is True:
                    continue
                out.append(f"{path}.{key}")
            else:
                out.extend(unknown_fields(value, sub, f"{path}.{key}"))
    elif isinstance(obj, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(obj):
            out.extend(unknown_fields(item, schema["items"], f"{path}[{i}]"))
    return out


def _prune(obj: dict[str, Any], unknown: list[str]) -> None:
    for dotted in unknown:
        if "[" in dotted:
            continue  # fields inside list items stay: pruning them is not needed by any test
        _delete_at(obj, tuple(dotted.lstrip(".").split(".")))


# ------------------------------------------------------------------------------------------------- helpers
def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out


def _drop_nulls(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: _drop_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_drop_nulls(v) for v in node]
    return node


def _decode(payload: bytes) -> Any:
    if not payload.strip():
        raise _Refusal(400, "the request body is empty")
    try:
        return yaml.safe_load(payload.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _Refusal(400, f"the request body cannot be decoded: {exc}") from None


def _content_type(headers: Mapping[str, str]) -> str:
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return value.split(";", 1)[0].strip().lower()


def _spec_part(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


# ---------------------------------------------------------------------------------------------- the writer
class _Writer:
    """One write request against one resource type."""

    def __init__(self, cluster: FakeCluster, res: Resource, namespace: str, name: str | None,
                 query: Mapping[str, str], user: str, headers: Mapping[str, str]) -> None:
        self.cluster = cluster
        self.res = res
        self.namespace = namespace
        self.name = name
        self.query = query
        self.user = user
        self.headers = headers
        self.warnings: list[str] = []
        dry = query.get("dryRun")
        if dry not in (None, "All"):
            raise _Refusal(400, f'dryRun: Unsupported value: "{dry}": supported values: "All"', "BadRequest")
        self.dry_run = dry == "All"
        validation = query.get("fieldValidation", "Warn")
        if validation not in ("Ignore", "Warn", "Strict"):
            raise _Refusal(400, f'fieldValidation: Unsupported value: "{validation}": supported values: '
                                '"Ignore", "Strict", "Warn"', "BadRequest")
        self.field_validation = validation

    # ------------------------------------------------------------------ checks
    def authorize(self, verb: str, name: str | None = None) -> None:
        if not self.cluster._denied(self.user, verb, self.res, self.namespace):
            return
        named = f' "{name}"' if name else ""
        where = f' in the namespace "{self.namespace}"' if self.namespace else " at the cluster scope"
        raise _Refusal(403, f'{_gr(self.res)}{named} is forbidden: User "{self.user}" cannot {verb} resource '
                            f'"{self.res.plural}" in API group "{self.res.group}"{where}',
                       details={"name": name or "", "group": self.res.group, "kind": self.res.plural})

    def live(self, name: str) -> dict[str, Any] | None:
        with self.cluster._lock:
            obj = self.cluster._store.get((self.res.group, self.res.plural), {}).get((self.namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def not_found(self, name: str) -> _Refusal:
        return _Refusal(404, f'{_gr(self.res)} "{name}" not found',
                        details={"name": name, "group": self.res.group, "kind": self.res.plural})

    def check_body(self, obj: Any, *, for_name: str | None) -> dict[str, Any]:
        """The body as an object of this resource, in this namespace, with a valid name."""
        if not isinstance(obj, dict):
            raise _Refusal(400, "the request body must be an object")
        api_version = obj.get("apiVersion")
        if api_version and api_version != self.res.group_version:
            raise _Refusal(400, f"the API version in the data ({api_version}) does not match the expected API "
                                f"version ({self.res.group_version})")
        kind = obj.get("kind")
        if kind and kind != self.res.kind:
            raise _Refusal(400, f"the kind in the data ({kind}) does not match the expected kind ({self.res.kind})")
        obj = copy.deepcopy(obj)
        obj["apiVersion"], obj["kind"] = self.res.group_version, self.res.kind
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise _Refusal(400, "metadata must be an object")
        body_ns = meta.get("namespace")
        if self.res.namespaced:
            if body_ns and body_ns != self.namespace:
                raise _Refusal(400, "the namespace of the provided object does not match the namespace sent on "
                                    "the request")
            meta["namespace"] = self.namespace
        else:
            meta.pop("namespace", None)
        name = meta.get("name")
        if not name and meta.get("generateName") and for_name is None:
            name = meta["name"] = f"{meta['generateName']}{uuid.uuid4().hex[:5]}"
        if for_name is not None:
            if name and name != for_name:
                raise _Refusal(400, f"the name of the object ({name}) does not match the name on the URL "
                                    f"({for_name})")
            name = meta["name"] = for_name
        if not name:
            raise _Refusal(422, f"{self.res.kind}.{self.res.group or 'core'} is invalid: metadata.name: "
                                "Required value: name or generateName is required", "Invalid")
        if len(name) > 253 or not _DNS_SUBDOMAIN.fullmatch(name):
            raise _Refusal(422, f'{self.res.kind}.{self.res.group or "core"} "{name}" is invalid: metadata.name: '
                                f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower '
                                "case alphanumeric characters, '-' or '.', and must start and end with an "
                                "alphanumeric character", "Invalid")
        if self.res.namespaced:
            with self.cluster._lock:
                exists = ("", self.namespace) in self.cluster._store.get(("", "namespaces"), {})
            if not exists:
                raise _Refusal(404, f'namespaces "{self.namespace}" not found',
                               details={"name": self.namespace, "kind": "namespaces"})
        return obj

    def validate_fields(self, obj: dict[str, Any], *, apply: bool) -> None:
        schema = _schema_of(self.cluster, self.res)
        if schema is None:
            return
        unknown = unknown_fields(obj, schema)
        if not unknown:
            return
        if apply and self.field_validation != "Ignore":
            raise _Refusal(400, f"failed to create typed patch object ({self.res.group_version}, "
                                f"Kind={self.res.kind}): {unknown[0]}: field not declared in schema", "BadRequest")
        if self.field_validation == "Strict":
            listed = ", ".join(f'unknown field "{u.lstrip(".")}"' for u in unknown)
            raise _Refusal(400, f'{self.res.kind} in version "{self.res.version}" cannot be handled as a '
                                f"{self.res.kind}: strict decoding error: {listed}", "BadRequest")
        if self.field_validation == "Warn":
            self.warnings.extend(f'unknown field "{u.lstrip(".")}"' for u in unknown)
        _prune(obj, unknown)

    # ----------------------------------------------------------------- storing
    def store(self, obj: dict[str, Any], live: dict[str, Any] | None, managers: _Managers) -> dict[str, Any]:
        """Persist ``obj`` (unless dry run) with server metadata; a no-op keeps the live object as it is."""
        meta = obj.setdefault("metadata", {})
        meta["managedFields"] = managers.render()
        if live is not None:
            live_meta = live.get("metadata") or {}
            for key in ("uid", "creationTimestamp", "resourceVersion", "generation"):
                if key in live_meta:
                    meta[key] = live_meta[key]
            if "status" in live:
                obj["status"] = live["status"]
            else:
                obj.pop("status", None)
            if self._same(obj, live):
                return live
            if _spec_part(obj) != _spec_part(live):
                meta["generation"] = int(live_meta.get("generation") or 1) + 1
        else:
            obj.pop("status", None)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = _now()
            meta["generation"] = 1
        if self.dry_run:
            if live is None:
                meta.setdefault("resourceVersion", "")
            return obj
        stored = self.cluster.add(obj)
        if obj.get("kind") == "CustomResourceDefinition" and self.res.group == "apiextensions.k8s.io":
            _register_crd(self.cluster, stored)
        return stored

    @staticmethod
    def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
        def strip(o: Mapping[str, Any]) -> dict[str, Any]:
            out = copy.deepcopy(dict(o))
            meta = out.get("metadata") or {}
            meta.pop("resourceVersion", None)
            for entry in meta.get("managedFields") or []:
                entry.pop("time", None)
            return out

        return strip(a) == strip(b)

    # ----------------------------------------------------------------- verbs
    def create(self, payload: bytes) -> Answer:
        self.authorize("create")
        obj = self.check_body(_decode(payload), for_name=None)
        name = obj["metadata"]["name"]
        if self.live(name) is not None:
            raise _Refusal(409, f'{_gr(self.res)} "{name}" already exists', "AlreadyExists",
                           {"name": name, "group": self.res.group, "kind": self.res.plural})
        self.validate_fields(obj, apply=False)
        managers = _Managers(None, self.res.group_version)
        managers.take((_manager(self.query, self.headers), "Update"), leaf_paths(obj))
        return 201, self.store(obj, None, managers), {}

    def update(self, payload: bytes) -> Answer:
        assert self.name is not None
        self.authorize("update", self.name)
        obj = self.check_body(_decode(payload), for_name=self.name)
        live = self.live(self.name)
        if live is None:
            raise self.not_found(self.name)
        wanted_rv = obj["metadata"].get("resourceVersion")
        if wanted_rv and wanted_rv != live["metadata"].get("resourceVersion"):
            raise _Refusal(409, f'Operation cannot be fulfilled on {_gr(self.res)} "{self.name}": the object has '
                                "been modified; please apply your changes to the latest version and try again",
                           "Conflict", {"name": self.name, "group": self.res.group, "kind": self.res.plural})
        self.validate_fields(obj, apply=False)
        return 200, self._update_from(live, obj), {}

    def _update_from(self, live: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        """Store ``new`` as an Update by the request's manager, which takes the fields it changed."""
        managers = _Managers(live, self.res.group_version)
        after = leaf_paths(new)
        changed = {p for p in after if value_at(live, p) != value_at(new, p)}
        for entry in managers.entries.values():  # fields that disappeared are nobody's any more
            entry -= {p for p in entry if not any(_overlap(p, q) for q in after)}
        if changed:
            managers.take((_manager(self.query, self.headers), "Update"), changed)
        return self.store(new, live, managers)

    def patch(self, payload: bytes) -> Answer:
        assert self.name is not None
        kind = _content_type(self.headers)
        if kind == APPLY:
            return self.apply(payload)
        self.authorize("patch", self.name)
        live = self.live(self.name)
        if live is None:
            raise self.not_found(self.name)
        patch = _decode(payload)
        base = copy.deepcopy(live)
        base["apiVersion"] = self.res.group_version
        if kind == MERGE:
            new = _merge_patch(base, patch)
        elif kind == JSON_PATCH:
            if not isinstance(patch, list):
                raise _Refusal(400, "a JSON patch must be a list of operations")
            try:
                new = apply_patch(base, patch)
            except JsonPatchError as exc:
                raise _Refusal(422, f"the server rejected our request due to an error in our request: {exc}",
                               "Invalid") from None
        elif kind == STRATEGIC:
            if _crd_of(self.cluster, self.res) is not None:
                raise _Refusal(415, "the body of the request was in an unknown format - accepted media types "
                                    f"include: {JSON_PATCH}, {MERGE}, {APPLY}", "UnsupportedMediaType")
            if not isinstance(patch, Mapping):
                raise _Refusal(400, "a strategic merge patch must be an object")
            new = strategic_merge(base, patch)
        else:
            raise _Refusal(415, f"the body of the request was in an unknown format - accepted media types "
                                f"include: {JSON_PATCH}, {MERGE}, {APPLY}, {STRATEGIC}", "UnsupportedMediaType")
        new = self.check_body(new, for_name=self.name)
        self.validate_fields(new, apply=False)
        return 200, self._update_from(live, new), {}

    def apply(self, payload: bytes) -> Answer:
        """Server-side apply."""
        assert self.name is not None
        manager = self.query.get("fieldManager", "")
        if not manager:
            raise _Refusal(400, "PATCH, fieldManager is required for apply requests", "BadRequest")
        force = self.query.get("force") == "true"
        self.authorize("patch", self.name)
        applied = self.check_body(_drop_nulls(_decode(payload)), for_name=self.name)
        self.validate_fields(applied, apply=True)
        live = self.live(self.name)
        if live is None:
            self.authorize("create", self.name)
        base = copy.deepcopy(live) if live is not None else {"apiVersion": applied["apiVersion"],
                                                              "kind": applied["kind"], "metadata": {}}
        base["apiVersion"] = self.res.group_version
        try:
            merged = apply_configuration(base, applied)
        except MergeError as exc:
            raise _Refusal(422, f"apply failed: {exc}", "Invalid") from None
        managers = _Managers(live, self.res.group_version)
        key = (manager, "Apply")
        mine = leaf_paths(applied)
        conflicts: dict[str, list[str]] = {}
        for other, owned in managers.others(manager):
            for path in mine:
                for q in owned:
                    longer = _overlap(path, q)
                    if longer is not None and value_at(base, longer) != value_at(merged, longer):
                        conflicts.setdefault(other[0], []).append("." + ".".join(longer))
        if conflicts and not force:
            return self._conflict(conflicts)
        if force:
            managers.take(key, mine)
        else:
            managers.entries[key] = set(managers.entries.get(key, set())) | mine
            managers.times[key] = _now()
        for path in managers.entries.get(key, set()) - mine:  # fields this manager stopped applying
            if not managers.owned_by_others(key, path):
                _delete_at(merged, path)
        managers.entries[key] = mine
        merged["metadata"]["name"] = self.name
        if self.res.namespaced:
            merged["metadata"]["namespace"] = self.namespace
        code = 201 if live is None else 200
        return code, self.store(merged, live, managers), {}

    def _conflict(self, conflicts: dict[str, list[str]]) -> Answer:
        count = sum(len(v) for v in conflicts.values())
        parts = []
        causes = []
        for manager, fields in sorted(conflicts.items()):
            fields = sorted(set(fields))
            parts.append(f'conflict with "{manager}" using {self.res.group_version}: ' + ", ".join(fields))
            causes.extend({"type": "FieldManagerConflict", "field": f,
                           "message": f'conflict with "{manager}" using {self.res.group_version}'} for f in fields)
        message = f"Apply failed with {count} conflict{'s' if count != 1 else ''}: " + "; ".join(parts)
        details = {"name": self.name or "", "group": self.res.group, "kind": self.res.plural, "causes": causes}
        return 409, status_body(409, message, "Conflict", details), {}

    def delete(self, payload: bytes) -> Answer:
        assert self.name is not None
        self.authorize("delete", self.name)
        options = _decode(payload) if payload.strip() else {}
        if not isinstance(options, Mapping):
            raise _Refusal(400, "DeleteOptions must be an object")
        if "All" in (options.get("dryRun") or []):
            self.dry_run = True
        live = self.live(self.name)
        if live is None:
            raise self.not_found(self.name)
        pre = options.get("preconditions") or {}
        meta = live.get("metadata") or {}
        for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            if pre.get(field) and pre[field] != meta.get(field):
                raise _Refusal(409, f"Precondition failed: {label} in precondition: {pre[field]}, {label} in "
                                    f"object meta: {meta.get(field)}", "Conflict",
                               {"name": self.name, "group": self.res.group, "kind": self.res.plural})
        if not self.dry_run:
            with self.cluster._lock:
                self.cluster._store.get((self.res.group, self.res.plural), {}).pop((self.namespace, self.name), None)
                self.cluster._rv += 1
            if live.get("kind") == "CustomResourceDefinition" and self.res.group == "apiextensions.k8s.io":
                _unregister_crd(self.cluster, live)
        live["apiVersion"] = self.res.group_version
        return 200, live, {}


def _crd_resources_key(crd: Mapping[str, Any]) -> tuple[str, str]:
    spec = crd.get("spec") or {}
    return str(spec.get("group", "")), str((spec.get("names") or {}).get("plural", ""))


def _unregister_crd(cluster: FakeCluster, crd: Mapping[str, Any]) -> None:
    group, plural = _crd_resources_key(crd)
    with cluster._lock:
        cluster._resources = [r for r in cluster._resources if (r.group, r.plural) != (group, plural)]


def _register_crd(cluster: FakeCluster, crd: Mapping[str, Any]) -> None:
    """Serve exactly the versions the CRD serves now (an update may have dropped some)."""
    _unregister_crd(cluster, crd)
    with cluster._lock:
        cluster._resources.extend(resources_from_crd(dict(crd)))


def handle_write(cluster: FakeCluster, method: str, path: str, query: Mapping[str, str], user: str,
                 payload: bytes, headers: Mapping[str, str]) -> Answer:
    """Answer a POST, PUT, PATCH or DELETE (after faults and authentication): ``(status, body, extra headers)``."""
    parts = path.strip("/").split("/")
    if parts[0] == "api" and len(parts) >= 3:
        group, version, tail = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, version, tail = parts[1], parts[2], parts[3:]
    else:
        return 405, status_body(405, f"{method} is not allowed on {path}"), {}
    route = cluster._route(group, version, tail)
    if route is None:
        return 404, status_body(404, "the server could not find the requested resource"), {}
    verb = _VERBS.get(method)
    if verb is None or (verb == "create") != (route.name is None):
        return 405, status_body(405, f"{method} is not allowed on {path}"), {}
    try:
        writer = _Writer(cluster, route.resource, route.namespace or "", route.name, query, user, headers)
        code, body, extra = {"create": writer.create, "update": writer.update, "patch": writer.patch,
                             "delete": writer.delete}[verb](payload)
    except _Refusal as refusal:
        code, body = refusal.answer
        return code, body, {}
    if writer.warnings:
        extra = {**extra, "Warning": ", ".join(f'299 - "{json.dumps(w)[1:-1]}"' for w in writer.warnings)}
    out = copy.deepcopy(body)
    if out.get("kind") != "Status":
        out["apiVersion"] = route.resource.group_version
    return code, out, extra


__all__ = ["fields_v1", "handle_write", "leaf_paths", "paths_of", "unknown_fields", "value_at"]


def openapi_v3(cluster: FakeCluster, path: str) -> tuple[int, dict[str, Any]]:
    """``/openapi/v3`` (the group-version index) and ``/openapi/v3/{api/v1|apis/g/v}``: one PATCH operation per
    resource, tagged with its group-version-kind and the ``fieldValidation``/``dryRun`` parameters, which is what
    kubectl looks for before it leaves validation to the server (no component schemas are served)."""
    gvs = cluster._group_versions()
    if path == "/openapi/v3":
        paths = {}
        for group, versions in gvs.items():
            for version in versions:
                key = f"apis/{group}/{version}" if group else f"api/{version}"
                paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={uuid.uuid5(uuid.NAMESPACE_URL, key).hex}"}
        return 200, {"paths": paths}
    parts = path.removeprefix("/openapi/v3/").split("/")
    if parts[0] == "api" and len(parts) == 2:
        group, version = "", parts[1]
    elif parts[0] == "apis" and len(parts) == 3:
        group, version = parts[1], parts[2]
    else:
        return 404, status_body(404, "the server could not find the requested resource")
    with cluster._lock:
        resources = [r for r in cluster._resources if (r.group, r.version) == (group, version)]
    if not resources:
        return 404, status_body(404, "the server could not find the requested resource")
    params = [{"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
              for name in ("dryRun", "fieldManager", "fieldValidation", "force")]
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    paths: dict[str, Any] = {}
    for r in resources:
        where = f"{prefix}/namespaces/{{namespace}}/{r.plural}" if r.namespaced else f"{prefix}/{r.plural}"
        gvk = {"group": r.group, "version": r.version, "kind": r.kind}
        paths[f"{where}/{{name}}"] = {"patch": {"x-kubernetes-group-version-kind": gvk,
                                                "x-kubernetes-action": "patch", "parameters": params}}
    return 200, {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": cluster.git_version},
                 "paths": paths, "components": {"schemas": {}}}

"""A small kustomize renderer for the kustomization features ``manifests/`` uses, and nothing more.

Supported keys: ``resources`` (YAML files and directories holding a ``kustomization.yaml``), ``patches`` (inline
JSON 6902 patches with a ``target`` of kind/name/namespace, applied before the other transformers as kustomize's
patch transformer is), ``namespace``, ``labels`` (``pairs`` added to ``metadata.labels`` only), and ``images``
(``newName``/``newTag``/``digest`` for container images). Any other key, or a label option this renderer does not
implement, raises :class:`UnsupportedKustomization`, so the renderer can never silently diverge from
``kubectl kustomize``.
Files outside the kustomization root are refused, as kustomize's default load restrictor does.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

#: Built-in kinds that are cluster-scoped (kustomize's namespace transformer leaves them alone). Like kustomize
#: (without a schema), the renderer treats every other kind, custom resources included, as namespaced; so a
#: kustomization that sets ``namespace`` must not contain cluster-scoped custom resources such as Kyverno's
#: ValidatingPolicy. RoleBinding subjects are not rewritten (kustomize 5.5 leaves them as written).
CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
})

_KNOWN_KEYS = frozenset({"apiVersion", "kind", "resources", "patches", "namespace", "labels", "images"})
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


class UnsupportedKustomization(ValueError):
    """The kustomization uses a feature this renderer does not implement, or breaks a kustomize rule."""


def render(directory: Path) -> list[Obj]:
    """Render the kustomization in ``directory`` into a list of Kubernetes objects."""
    root = directory.resolve()
    kustomization = _read_kustomization(root)
    objects: list[Obj] = []
    for entry in kustomization.get("resources", []):
        target = (root / entry).resolve()
        if target.is_dir():
            objects.extend(render(target))
        elif target.is_relative_to(root):
            objects.extend(_read_objects(target))
        else:
            raise UnsupportedKustomization(f"{root}: file {entry} is not in or below the kustomization root")
    for patch in kustomization.get("patches", []):
        objects = _apply_patch(objects, patch, root)
    namespace = kustomization.get("namespace")
    if namespace:
        objects = [_set_namespace(obj, namespace) for obj in objects]
    for label_set in kustomization.get("labels", []):
        objects = [_add_labels(obj, label_set) for obj in objects]
    for image in kustomization.get("images", []):
        objects = [_set_image(obj, image) for obj in objects]
    return objects


def object_key(obj: Obj) -> tuple[str, str, str, str]:
    """(apiVersion, kind, namespace, name): the identity of an object in a rendered list."""
    meta = obj.get("metadata", {})
    return (obj.get("apiVersion", ""), obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""))


def _read_kustomization(root: Path) -> Obj:
    path = root / "kustomization.yaml"
    if not path.is_file():
        raise UnsupportedKustomization(f"{root} has no kustomization.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise UnsupportedKustomization(f"{path}: not a mapping")
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise UnsupportedKustomization(f"{path}: unsupported keys {unknown}")
    if data.get("kind", "Kustomization") != "Kustomization":
        raise UnsupportedKustomization(f"{path}: kind must be Kustomization")
    return data


def _read_objects(path: Path) -> list[Obj]:
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    for document in documents:
        if not isinstance(document, dict) or "apiVersion" not in document or "kind" not in document:
            raise UnsupportedKustomization(f"{path}: every document must be a Kubernetes object")
    return documents


def _apply_patch(objects: list[Obj], patch: Obj, root: Path) -> list[Obj]:
    """An inline JSON 6902 patch applied to the objects its target selects (at least one must match)."""
    from pykyverno.engine.mpol.jsonpatch import apply_patch

    if set(patch) != {"target", "patch"} or not isinstance(patch["patch"], str):
        raise UnsupportedKustomization(f"{root}: patches: only inline JSON 6902 patches with a target are supported")
    target = patch["target"]
    if not isinstance(target, dict) or set(target) - {"kind", "name", "namespace"}:
        raise UnsupportedKustomization(f"{root}: patches: a target may only name kind, name and namespace")
    operations = yaml.safe_load(patch["patch"])
    if not isinstance(operations, list):
        raise UnsupportedKustomization(f"{root}: patches: only JSON 6902 (a list of operations) is supported")
    out, matched = [], 0
    for obj in objects:
        meta = obj.get("metadata", {})
        selected = all({"kind": obj.get("kind"), "name": meta.get("name"), "namespace": meta.get("namespace")}[k]
                       == v for k, v in target.items())
        matched += selected
        out.append(apply_patch(obj, operations) if selected else obj)
    if not matched:
        raise UnsupportedKustomization(f"{root}: patches: no resource matches the target {target}")
    return out


def _set_namespace(obj: Obj, namespace: str) -> Obj:
    out = copy.deepcopy(obj)
    if out["kind"] not in CLUSTER_SCOPED_KINDS:
        out.setdefault("metadata", {})["namespace"] = namespace
    return out


def _add_labels(obj: Obj, label_set: Obj) -> Obj:
    unknown = sorted(set(label_set) - {"pairs", "includeSelectors", "includeTemplates"})
    if unknown or label_set.get("includeSelectors") or label_set.get("includeTemplates"):
        raise UnsupportedKustomization(f"labels: only plain pairs are supported, got {label_set}")
    out = copy.deepcopy(obj)
    labels = out.setdefault("metadata", {}).setdefault("labels", {})
    labels.update({str(k): str(v) for k, v in label_set.get("pairs", {}).items()})
    return out


def _set_image(obj: Obj, image: Obj) -> Obj:
    unknown = sorted(set(image) - {"name", "newName", "newTag", "digest"})
    if unknown:
        raise UnsupportedKustomization(f"images: unsupported keys {unknown}")
    out = copy.deepcopy(obj)
    _walk_images(out, image)
    return out


def _walk_images(node: Any, image: Obj) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _CONTAINER_LISTS and isinstance(value, list):
                for container in value:
                    if isinstance(container, dict) and isinstance(container.get("image"), str):
                        container["image"] = _replace_image(container["image"], image)
            _walk_images(value, image)
    elif isinstance(node, list):
        for item in node:
            _walk_images(item, image)


def split_image(reference: str) -> tuple[str, str, str]:
    """(name, tag, digest) of an image reference; tag and digest are "" when absent."""
    name, _, digest = reference.partition("@")
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > last_slash:
        name, tag = name[:colon], name[colon + 1:]
    return name, tag, digest


def _replace_image(reference: str, image: Obj) -> str:
    name, tag, digest = split_image(reference)
    if name != image["name"]:
        return reference
    name = str(image.get("newName", name))
    if "newTag" in image:
        tag = str(image["newTag"])
    if "digest" in image:
        digest = str(image["digest"])
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")

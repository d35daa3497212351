"""Server-side-apply merge of ApplyConfiguration patches (engine/mpol/merge.py)."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.common.merge import DEFAULT_ROOT, MergeError, apply_configuration, schema_for


def pod(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}, "spec": spec}


def test_maps_merge_recursively_and_scalars_are_replaced() -> None:
    obj = pod(securityContext={"runAsNonRoot": False, "fsGroup": 1000})
    patched = apply_configuration(obj, {"spec": {"securityContext": {"runAsUser": 1000, "fsGroup": 2000}}})
    assert patched["spec"]["securityContext"] == {"runAsNonRoot": False, "fsGroup": 2000, "runAsUser": 1000}
    assert obj["spec"]["securityContext"] == {"runAsNonRoot": False, "fsGroup": 1000}, "input must not change"


def test_labels_merge_per_key() -> None:
    obj = pod()
    obj["metadata"]["labels"] = {"app": "x"}
    patched = apply_configuration(obj, {"metadata": {"labels": {"team": "y"}}})
    assert patched["metadata"]["labels"] == {"app": "x", "team": "y"}


def test_containers_merge_by_name_keeping_unnamed_fields() -> None:
    obj = pod(containers=[{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}])
    patched = apply_configuration(obj, {"spec": {"containers": [{"name": "b", "imagePullPolicy": "Always"}]}})
    assert patched["spec"]["containers"] == [
        {"name": "a", "image": "a:1"},
        {"name": "b", "image": "b:1", "imagePullPolicy": "Always"},
    ]


def test_new_list_map_items_are_appended() -> None:
    obj = pod(containers=[{"name": "a"}], volumes=[{"name": "v1", "emptyDir": {}}])
    patched = apply_configuration(obj, {"spec": {"volumes": [{"name": "certs", "configMap": {"name": "ca"}}]}})
    assert [v["name"] for v in patched["spec"]["volumes"]] == ["v1", "certs"]


def test_shared_items_follow_patch_order_and_new_items_take_patch_position() -> None:
    obj = pod(containers=[{"name": "a"}, {"name": "b"}])
    patched = apply_configuration(obj, {"spec": {"containers": [{"name": "c"}, {"name": "a", "x": 1}]}})
    assert [c["name"] for c in patched["spec"]["containers"]] == ["c", "a", "b"]
    assert patched["spec"]["containers"][1] == {"name": "a", "x": 1}


def test_env_and_volume_mounts_merge_by_their_keys() -> None:
    obj = pod(
        containers=[
            {
                "name": "a",
                "env": [{"name": "X", "value": "1"}],
                "volumeMounts": [{"name": "v", "mountPath": "/data"}],
            }
        ]
    )
    patch = {
        "spec": {
            "containers": [
                {
                    "name": "a",
                    "env": [{"name": "X", "value": "2"}, {"name": "Y", "value": "3"}],
                    "volumeMounts": [{"name": "w", "mountPath": "/data", "readOnly": True}],
                }
            ]
        }
    }
    container = apply_configuration(obj, patch)["spec"]["containers"][0]
    assert container["env"] == [{"name": "X", "value": "2"}, {"name": "Y", "value": "3"}]
    assert container["volumeMounts"] == [{"name": "w", "mountPath": "/data", "readOnly": True}]


def test_ports_key_on_container_port_and_defaulted_protocol() -> None:
    obj = pod(containers=[{"name": "a", "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]}])
    patch = {
        "spec": {
            "containers": [
                {
                    "name": "a",
                    "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}, {"containerPort": 53}],
                }
            ]
        }
    }
    ports = apply_configuration(obj, patch)["spec"]["containers"][0]["ports"]
    assert ports == [
        {"containerPort": 80, "protocol": "TCP", "name": "http"},
        {"containerPort": 53, "protocol": "UDP"},
        {"containerPort": 53},
    ]


def test_atomic_lists_are_replaced() -> None:
    obj = pod(tolerations=[{"key": "a", "operator": "Exists"}], containers=[{"name": "c", "args": ["x", "y"]}])
    patch = {
        "spec": {"tolerations": [{"key": "b", "operator": "Exists"}], "containers": [{"name": "c", "args": ["z"]}]}
    }
    patched = apply_configuration(obj, patch)
    assert patched["spec"]["tolerations"] == [{"key": "b", "operator": "Exists"}]
    assert patched["spec"]["containers"][0]["args"] == ["z"]


def test_image_pull_secrets_merge_by_name() -> None:
    obj = pod(imagePullSecrets=[{"name": "a"}])
    patched = apply_configuration(obj, {"spec": {"imagePullSecrets": [{"name": "b"}, {"name": "a"}]}})
    assert patched["spec"]["imagePullSecrets"] == [{"name": "b"}, {"name": "a"}]


def test_finalizers_are_a_set() -> None:
    obj = pod()
    obj["metadata"]["finalizers"] = ["a", "b"]
    patched = apply_configuration(obj, {"metadata": {"finalizers": ["c", "a"]}})
    assert patched["metadata"]["finalizers"] == ["c", "a", "b"]


def test_deployment_pod_template_containers_are_list_maps() -> None:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a"}]}}},
    }
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "a", "imagePullPolicy": "Always"}]}}}}
    patched = apply_configuration(deploy, patch)
    containers = patched["spec"]["template"]["spec"]["containers"]
    assert containers == [{"name": "a", "image": "a", "imagePullPolicy": "Always"}]


def test_cronjob_schema_reaches_the_job_template() -> None:
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}}
    schema = schema_for(cron)
    pod_spec = schema.fields["spec"].fields["jobTemplate"].fields["spec"].fields["template"].fields["spec"]  # type: ignore[union-attr]
    assert "containers" in pod_spec.fields  # type: ignore[union-attr]


def test_unknown_kinds_are_deduced_lists_atomic() -> None:
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"items": [{"name": "a"}]},
    }
    assert schema_for(widget) is DEFAULT_ROOT
    patched = apply_configuration(widget, {"spec": {"items": [{"name": "b"}]}, "metadata": {"annotations": {"t": "1"}}})
    assert patched["spec"]["items"] == [{"name": "b"}]
    assert patched["metadata"]["annotations"] == {"t": "1"}


def test_missing_key_field_is_an_error() -> None:
    with pytest.raises(MergeError, match="omits key field 'name'"):
        apply_configuration(pod(containers=[{"name": "a"}]), {"spec": {"containers": [{"image": "x"}]}})


def test_duplicate_keys_in_the_patch_are_an_error() -> None:
    with pytest.raises(MergeError, match="duplicate"):
        apply_configuration(pod(), {"spec": {"containers": [{"name": "a"}, {"name": "a"}]}})


def test_empty_patch_changes_nothing() -> None:
    obj = pod(containers=[{"name": "a"}])
    assert apply_configuration(obj, {}) == obj


def test_run_as_non_root_false_is_kept_when_the_patch_keeps_it() -> None:
    obj = pod(securityContext={"runAsNonRoot": False})
    patched = apply_configuration(obj, {"spec": {"securityContext": {"runAsNonRoot": False}}})
    assert patched["spec"]["securityContext"]["runAsNonRoot"] is False


def test_explicit_null_removes_a_field() -> None:
    obj = pod(priorityClassName="high", containers=[{"name": "a"}])
    patched = apply_configuration(obj, {"spec": {"priorityClassName": None}})
    assert "priorityClassName" not in patched["spec"]

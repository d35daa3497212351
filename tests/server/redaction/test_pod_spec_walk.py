"""The short way through pod specs (server/redaction/objects.py ``_mask_pod_spec``) gives exactly what the walk of
every field gives: the same objects, the same values remembered in the same order, nothing left unmasked. The walk
it replaces for pod specs is kept here as the reference."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

import pytest

from bench import workload
from pykyverno.server.redaction import objects, redact, secret_scope


def reference_mask_spec(value: Any) -> tuple[Any, bool]:
    """The walk as it was: every mapping and list visited and rebuilt, ``env``/``args``/``command`` anywhere."""
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "env" and isinstance(item, list):
                masked, did = objects._mask_env_list(item)
            elif key in ("args", "command") and isinstance(item, list) and any(isinstance(a, str) for a in item):
                masked, did = objects._mask_args(item)
            else:
                masked, did = reference_mask_spec(item)
            out[key] = masked
            changed = changed or did
        return (out, True) if changed else (value, False)
    if isinstance(value, list):
        results = [reference_mask_spec(item) for item in value]
        if any(did for _, did in results):
            return [item for item, _ in results], True
        return value, False
    return value, False


def redacted_both_ways(obj: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, list[str], list[str]]:
    """(fast output, reference output, values remembered by each, in order)."""
    with secret_scope() as ledger:
        fast = redact(obj)
        fast_values = list(ledger._values)
    with monkeypatch.context() as patch:
        patch.setattr(objects, "_mask_pod_spec", lambda value: None)
        patch.setattr(objects, "_mask_spec", reference_mask_spec)
        with secret_scope() as ledger:
            slow = redact(obj)
            slow_values = list(ledger._values)
    return fast, slow, fast_values, slow_values


def secret_env(rng: random.Random) -> list[dict[str, Any]]:
    names = ["DB_PASSWORD", "API_TOKEN", "LOG_LEVEL", "AWS_SECRET_ACCESS_KEY", "PORT"]
    return [{"name": rng.choice(names), "value": f"value-{rng.randrange(10**6)}"} for _ in range(rng.randrange(4))]


def secret_args(rng: random.Random) -> list[Any]:
    return rng.choice([["--password=hunter2-" + str(rng.randrange(999)), "-v"], ["--token", "tok-abcdef"],
                       ["serve", "--port=80"], [1, "--api-key", "k-123456"], []])


def odd_placements(rng: random.Random) -> Iterator[dict[str, Any]]:
    """Pod specs with the masked keys where the short way does not look (it must then defer to the walk)."""
    yield {"volumes": [{"name": "v", "env": [*secret_env(rng), {"name": "PASSWORD", "value": "nested-secret"}]}]}
    yield {"extra": {"deep": {"args": ["--secret=in-extra-field"]}}}
    yield {"containers": [{"name": "c", "env": [{"name": "X_PASSWORD", "value": "v1secret",
                                                  "env": [{"name": "PASSWORD", "value": "inner-secret"}]}]}]}
    yield {"containers": [{"name": "c", "env": {"PASSWORD": {"env": [{"name": "TOKEN", "value": "dict-env-x"}]}}}]}
    yield {"containers": [["not", "a", "mapping", {"env": [{"name": "TOKEN", "value": "in-a-list-x"}]}]]}
    yield {"containers": [{"name": "c", "args": [{"command": ["--token", "nested-cmd-x"]}]}]}
    yield {"containers": [{"name": "c", "image": 'looks like "env": but is text'}]}


def pods(rng: random.Random) -> Iterator[dict[str, Any]]:
    for pod in workload.generate_pods(60):
        pod = copy.deepcopy(pod)
        for list_name in ("containers", "initContainers", "ephemeralContainers"):
            for container in pod["spec"].get(list_name, []):
                if rng.random() < 0.5:
                    container["env"] = secret_env(rng)
                if rng.random() < 0.3:
                    container[rng.choice(["args", "command"])] = secret_args(rng)
        if rng.random() < 0.3:
            pod["spec"]["initContainers"] = [{"name": "init", "command": secret_args(rng), "env": secret_env(rng)}]
        yield pod
    for odd in odd_placements(rng):
        yield {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "odd"}, "spec": odd}


def controllers(rng: random.Random) -> Iterator[dict[str, Any]]:
    for pod in pods(rng):
        spec = pod["spec"]
        yield {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"replicas": 2, "template": {"metadata": {"labels": {"a": "b"}}, "spec": spec}}}
        yield {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
               "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}}}
        yield {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"},
               "spec": {"containers": spec.get("containers"), "template": {"spec": spec}}, "env": secret_env(rng)}


@pytest.mark.parametrize("make", [pods, controllers])
def test_the_short_way_equals_the_whole_walk(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(15)
    changed = short = 0
    for obj in make(rng):
        short += objects._mask_pod_spec({"spec": obj["spec"]}) is not None
        before = copy.deepcopy(obj)
        fast, slow, fast_values, slow_values = redacted_both_ways(obj, monkeypatch)
        assert fast == slow
        assert fast_values == slow_values
        assert obj == before, "the input is not modified"
        changed += fast is not obj
    assert changed > 20
    assert short > 50, "the short way is taken for most objects"


def test_odd_placements_are_masked() -> None:
    rng = random.Random(1)
    ledger_values: list[str] = []
    for odd in odd_placements(rng):
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "odd"}, "spec": odd}
        with secret_scope() as ledger:
            out = redact(obj)
            ledger_values.extend(ledger._values)
        text = repr(out)
        for secret in ("nested-secret", "in-extra-field", "v1secret", "in-a-list-x"):
            assert secret not in text
    assert any("nested-secret" in value for value in ledger_values)


def test_unencodable_values_take_the_whole_walk() -> None:
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
           "spec": {"n": 10**30, "containers": [{"name": "c", "env": [{"name": "PASSWORD", "value": "big-int-pod"}]}],
                    "x": {"env": [{"name": "TOKEN", "value": "beside-a-big-int"}]}}}
    out = redact(obj)
    assert "big-int-pod" not in repr(out) and "beside-a-big-int" not in repr(out)

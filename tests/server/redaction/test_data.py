"""Structured outputs are masked as data before they are serialised (:func:`mask_data`): every string and key as
text, values under credential keys, numeric secrets; cheaply, and without copying what needs nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import yaml

from pykyverno.server.redaction import REDACTED, credential_key, mask_data, remember, secret_scope

R = REDACTED


def report(results: int, message: str = "HostProcess is not allowed: spec.securityContext must be unset") -> Any:
    """A scan report shaped like ``scan -o json``'s."""
    return {"summary": {"pass": results, "fail": 0}, "clusters": [{"context": "prod", "results": [
        {"policy": f"policy-{i % 17}", "rule": "", "result": "fail" if i % 7 == 0 else "pass", "message": message,
         "resources": [{"apiVersion": "v1", "kind": "Pod", "namespace": f"team-{i % 30:02d}", "name": f"web-{i}",
                        "uid": f"00000000-0000-4000-8000-{i:012d}"}], "scored": True, "severity": "high",
         "category": "Pod Security Standards (Baseline)", "properties": {"cel.validationIndex": "0"}}
        for i in range(results)]}]}


def test_nothing_to_mask_returns_the_value_itself() -> None:
    data = report(200)
    with secret_scope():
        remember("unrelated-remembered-value")
        assert mask_data(data) is data


def test_only_containers_holding_a_change_are_copied() -> None:
    data = report(50)
    data["clusters"][0]["results"][3]["message"] = "connect with DB_PASS=hunter22 failed"
    masked = mask_data(data)
    assert masked["clusters"][0]["results"][3]["message"] == f"connect with DB_PASS={R} failed"
    assert masked["clusters"][0]["results"][2] is data["clusters"][0]["results"][2], "untouched results are shared"
    assert masked["summary"] is data["summary"]
    assert data["clusters"][0]["results"][3]["message"] == "connect with DB_PASS=hunter22 failed", "input kept"


def test_values_under_credential_keys_are_masked_as_data() -> None:
    """``{"password": "x"}`` held no pattern in any single string: only the key says that the value is secret."""
    data = {"spec": {"password": "x y", "apiKey": "k", "DB_PASS": "p", "token": 7, "auth_token": None,
                     "key": "app", "auth": "oidc", "secretName": "db-creds", "pass": "count"},
            "selector": [{"key": "app", "operator": "In"}], "flags": {"PASSWORD_ENABLED": "true"}}
    masked = mask_data(data)
    assert masked["spec"] == {"password": R, "apiKey": R, "DB_PASS": R, "token": 7, "auth_token": None,
                              "key": "app", "auth": "oidc", "secretName": "db-creds", "pass": "count"}
    assert masked["selector"] is data["selector"] and masked["flags"] is data["flags"]
    assert [name for name in ("password", "apiKey", "DB_PASS", "clientSecret", "PGPASSWORD") if credential_key(name)]
    assert not [name for name in ("key", "auth", "pass", "secretName", "tokenTTL", "name") if credential_key(name)]


def test_keys_numbers_and_tuples() -> None:
    with secret_scope():
        remember("remembered-key-1234")
        remember("987654321")
        data = {"remembered-key-1234": 1, "x remembered-key-1234": 2, "pin": 987654321, "other": 12,
                "pair": ("remembered-key-1234", 3)}
        masked = mask_data(data)
    assert masked == {R: 1, f"x {R}": 2, "pin": R, "other": 12, "pair": (R, 3)}
    with secret_scope():
        remember("remembered-key-1234")
        both = mask_data({"remembered-key-1234": 1, "<redacted>": 2})
    assert sorted(both.values()) == [1, 2], "two keys masked alike keep both values"


def test_masked_data_serialises_to_valid_json_and_yaml_whatever_it_held() -> None:
    nasty = 'password: "a\\"b" \'c\' \\u003c DB_PASS=x\\ny --token abcdefgh\nBearer abcdefghijklmnop'
    with secret_scope():
        remember('a\\"b" \'c')
        data = mask_data({"message": nasty, "nested": [{"k": nasty}]})
    for text in (json.dumps(data), json.dumps(data, indent=2)):
        assert json.loads(text)["message"] == data["message"]
    assert yaml.safe_load(yaml.safe_dump(data))["nested"][0]["k"] == data["message"]
    assert "abcdefghijklmnop" not in data["message"] and "abcdefgh" not in data["message"]


def test_a_large_report_is_masked_in_a_fraction_of_a_second() -> None:
    """About 10 MB of JSON (20,000 results); nothing to mask, then one secret in one message."""
    data = report(20_000)
    size = len(json.dumps(data))
    with secret_scope():
        for i in range(200):
            remember(f"remembered-value-{i:04d}")
        started = time.process_time()
        assert mask_data(data) is data
        clean = time.process_time() - started
        data["clusters"][0]["results"][-1]["message"] = "value remembered-value-0042 here"
        started = time.process_time()
        masked = mask_data(data)
        dirty = time.process_time() - started
    assert masked["clusters"][0]["results"][-1]["message"] == f"value {R} here"
    print(f"\nmask_data of {size / 1e6:.1f} MB of JSON data: {clean:.2f} s CPU clean, {dirty:.2f} s with one secret")
    assert clean < 3 and dirty < 3, (clean, dirty)

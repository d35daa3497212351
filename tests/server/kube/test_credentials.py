"""Kubeconfig credentials never show: an exec credential plugin's stderr stays out of logs and errors (issue 11,
item 6), and every credential of the kubeconfig is masked in any output of the process."""

from __future__ import annotations

import logging
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pykyverno.server.kube import ClientRegistry, ClientSettings
from pykyverno.server.redaction import REDACTED, mask_text
from tests.fakeapi import ContextSpec, FakeCluster, write_kubeconfig

PLUGIN_STDERR = "plugin-stderr-secret-0451"


def failing_plugin(tmp_path: Path) -> Path:
    script = tmp_path / "credential-plugin"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.stderr.write('login failed: token={PLUGIN_STDERR}\\n')\n"
                      "sys.exit(3)\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_exec_plugin_stderr_is_never_logged(tmp_path: Path, fake_cluster: Callable[..., FakeCluster],
                                            caplog: pytest.LogCaptureFixture) -> None:
    cluster = fake_cluster([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}])
    exec_user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(failing_plugin(tmp_path)),
                          "interactiveMode": "Never", "env": [{"name": "PLUGIN_TOKEN", "value": "exec-env-token-77"}]}}
    path = write_kubeconfig(tmp_path / "kubeconfig",
                            {"c": ContextSpec(cluster.url, ca=cluster.ca, user_extra=exec_user)})
    with caplog.at_level(logging.DEBUG), \
            ClientRegistry.from_kubeconfig(str(path), settings=ClientSettings(timeout=3), in_cluster=False) as reg:
        client = reg.client("c")
        client.version()
    assert "exec: process returned 3" in caplog.text, "the failure itself is logged"
    assert PLUGIN_STDERR not in caplog.text and "login failed" not in caplog.text
    assert mask_text("env exec-env-token-77") == f"env {REDACTED}", "exec env credentials are remembered"


def test_kubeconfig_credentials_are_masked_in_every_output(tmp_path: Path,
                                                           fake_cluster: Callable[..., FakeCluster]) -> None:
    cluster = fake_cluster([], tokens={"kube-token-abcdef-1234": "alice"})
    path = write_kubeconfig(tmp_path / "kubeconfig", {
        "c": ContextSpec(cluster.url, ca=cluster.ca, token="kube-token-abcdef-1234"),
        "p": ContextSpec(cluster.url, ca=cluster.ca, user_extra={"username": "u", "password": "basic-pass-9876"},
                         user_name="pw-user")})
    with ClientRegistry.from_kubeconfig(str(path), settings=ClientSettings(timeout=3), in_cluster=False) as reg:
        reg.client("c").version()
    assert mask_text("token kube-token-abcdef-1234 and basic-pass-9876") == f"token {REDACTED} and {REDACTED}"

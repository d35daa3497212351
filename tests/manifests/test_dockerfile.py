"""Static checks of the Dockerfile and .dockerignore (no Docker engine is needed, none exists on the dev machines)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_two_stages_on_the_same_slim_python_base() -> None:
    args = dict(a.split("=", 1) for k, a in _instructions() if k == "ARG" and "=" in a)
    builder, final = _stages()
    assert builder[0][1] == "${PYTHON_IMAGE} AS builder" and final[0][1] == "${PYTHON_IMAGE}"
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", args["PYTHON_IMAGE"]), args["PYTHON_IMAGE"]


def test_builder_installs_the_wheel_into_a_venv_that_the_final_stage_copies() -> None:
    builder, final = _stages()
    run = " ".join(a for k, a in builder if k == "RUN")
    assert "python -m venv /opt/pykyverno" in run and "pip wheel" in run and "/wheels/pykyverno-" in run
    assert "pip uninstall --yes pip setuptools wheel" in run
    copies = [a for k, a in final if k == "COPY"]
    assert copies == ["--from=builder /opt/pykyverno /opt/pykyverno"]
    assert not any(k == "RUN" for k, _ in final), "the final stage installs nothing (no build tools, no apt)"
    env = " ".join(a for k, a in final if k == "ENV")
    assert "PATH=/opt/pykyverno/bin:$PATH" in env


def test_final_stage_runs_as_a_numeric_non_root_user_with_the_serve_command() -> None:
    _, final = _stages()
    [user] = [a for k, a in final if k == "USER"]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) > 0 and (not gid or gid.isdigit())
    [entrypoint] = [json.loads(a) for k, a in final if k == "ENTRYPOINT"]
    [cmd] = [json.loads(a) for k, a in final if k == "CMD"]
    assert entrypoint == ["pykyverno"]
    assert cmd == ["serve", "--transport", "http", "--host", "0.0.0.0", "--port", "8080"]
    deployment = yaml.safe_load((REPO / "manifests" / "base" / "deployment.yaml").read_text(encoding="utf-8"))
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"][: len(cmd)] == cmd, "the Deployment extends the image's default command"
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(uid)


def test_build_context_holds_only_what_the_wheel_needs() -> None:
    builder, _ = _stages()
    sources = {p for k, a in builder if k == "COPY" for p in a.split()[:-1]}
    assert sources == {"pyproject.toml", "setup.py", "README.md", "engine", "server"}
    ignore = [line.strip() for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    assert ignore[0] == "**", "exclude everything by default"
    assert {"!pyproject.toml", "!setup.py", "!README.md", "!engine/", "!server/"} <= set(ignore)

"""The engine's public surface is explicit, and the engine stays pure (no kubernetes import, no network)."""

from __future__ import annotations

import subprocess
import sys

import pykyverno.engine as engine


def test_all_names_exist_and_are_sorted() -> None:
    assert engine.__all__ == sorted(engine.__all__)
    for name in engine.__all__:
        assert hasattr(engine, name), name


def test_public_names_are_exactly_all() -> None:
    """Public names are imported on first use (``_PUBLIC``); nothing else is public but subpackages."""
    public = {name for name in vars(engine) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(engine, name)).__name__ == "module"}
    assert public - modules <= set(engine.__all__)
    assert set(engine._PUBLIC) == set(engine.__all__)


def test_engine_imports_no_kubernetes_client() -> None:
    code = (
        "import sys, pykyverno.engine, pykyverno.engine.loader, pykyverno.engine.cel;"
        "import pykyverno.engine.vpol;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kubernetes', 'urllib3', 'requests', 'httpx')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

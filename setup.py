"""Package discovery for the two source folders mapped into the ``pykyverno`` namespace (see pyproject.toml)."""

from setuptools import find_packages, setup


def _packages(folder: str, prefix: str) -> list[str]:
    return [prefix] + [f"{prefix}.{name}" for name in find_packages(folder)]


setup(packages=_packages("engine", "pykyverno.engine") + _packages("server", "pykyverno.server"))

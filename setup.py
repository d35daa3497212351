"""Package discovery for the two source folders mapped into the ``pykyverno`` namespace (see pyproject.toml).

Folders holding only data (the demo snapshot, the policy-set YAML) are discovered as namespace packages too, so
that setuptools ships them as the package data that ``pyproject.toml`` declares, without ambiguity warnings.
"""

from setuptools import find_namespace_packages, setup


def _packages(folder: str, prefix: str) -> list[str]:
    found = find_namespace_packages(folder, exclude=["*__pycache__*"])
    return [prefix] + [f"{prefix}.{name}" for name in found]


setup(packages=_packages("engine", "pykyverno.engine") + _packages("server", "pykyverno.server"))

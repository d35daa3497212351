"""ValidatingPolicy and NamespacedValidatingPolicy (policies.kyverno.io)."""

from .compiler import compile_validating_policy
from .model import ValidatingPolicy
from .policy import CompiledValidatingPolicy

__all__ = ["CompiledValidatingPolicy", "ValidatingPolicy", "compile_validating_policy"]

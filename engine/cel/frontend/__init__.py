"""CEL front end: source-level preparation before cel-cpp compiles an expression.

(Passthrough until the parser lands: it is replaced by the AST front end.)
"""

from __future__ import annotations


def prepare(source: str, path: str = "") -> str:
    """Return the source cel-cpp should compile."""
    return source

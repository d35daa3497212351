"""Names a user or an agent gave (namespaces, contexts, policy sets, policies) that do not exist: one error that
names what was asked for and the closest names that do exist, so a typo is never read as "nothing to report"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .errors import InputError

#: How many close matches an error lists.
MAX_SUGGESTIONS = 3


class UnknownNameError(InputError):
    """``what`` named ``name``, which does not exist; ``suggestions`` holds the closest existing names."""

    def __init__(self, what: str, name: str, known: Iterable[str], *, where: str = "") -> None:
        self.what = what
        self.name = name
        self.suggestions = close_matches(name, known)
        place = f" in {where}" if where else ""
        hint = f"; did you mean {_quoted(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"{what} {name!r} does not exist{place}{hint}")


def close_matches(name: str, known: Iterable[str]) -> list[str]:
    """The existing names closest to ``name`` (best first; case differences count as close)."""
    candidates = sorted(set(known))
    by_lower = {c.lower(): c for c in candidates}
    found = difflib.get_close_matches(name.lower(), list(by_lower), n=MAX_SUGGESTIONS, cutoff=0.6)
    matches = [by_lower[f] for f in found]
    matches += [c for c in candidates if name and name.lower() in c.lower() and c not in matches]
    return matches[:MAX_SUGGESTIONS]


def require_known(what: str, name: str, known: Iterable[str], *, where: str = "") -> str:
    """``name`` when it is one of ``known``; :class:`UnknownNameError` otherwise."""
    names = list(known)
    if name in names:
        return name
    raise UnknownNameError(what, name, names, where=where)


def _quoted(names: list[str]) -> str:
    return " or ".join(repr(n) for n in names)

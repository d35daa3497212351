"""Pausing Python's cyclic garbage collector while a large text is turned into values.

Reading allocates millions of small objects that all stay alive (the node tree, then the values). Each of the
collector's passes walks every live object, so on a large snapshot the passes cost several times the reading
itself. Values read from text hold no reference cycles (a refused recursive alias leaves one small cycle of nodes),
and reference counting still frees everything else; cyclic garbage of other threads waits for the end of the pause,
which lasts one read. Nested and concurrent pauses share one counter.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_resume = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block (if it was enabled when the first pause began)."""
    global _pauses, _resume
    with _lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()

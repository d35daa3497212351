"""Pausing Python's cyclic garbage collector while a large text is turned into values.

Reading allocates millions of small objects that all stay alive (the node tree, then the values). Each of the
collector's passes walks every live object, so on a large snapshot the passes cost several times the reading
itself. Values read from text hold no reference cycles (a refused recursive alias leaves one small cycle of nodes),
and reference counting still frees everything else; cyclic garbage of other threads waits for the end of the pause,
which lasts one read. Nested and concurrent pauses share one counter.

What a long pause made is long-lived (a snapshot's objects live as long as its scan), yet the collector would take
it for young: the first collections after the pause would walk all of it, once per generation (at 10,000 Pods, about
0.6 s). So a pause that made many objects ends by moving them to the oldest generation (:func:`gc.freeze` then
:func:`gc.unfreeze`, both O(1)), where the collector looks only in full collections, as at the end of any scan. When
objects are frozen already (a scan is running, see ``server/scan/gc_tuning``), what was made stays frozen with them
until that scan unfreezes everything.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Objects (net) made during a pause beyond which they are moved to the oldest generation at its end.
PROMOTE_AFTER = 100_000

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
            if _pauses == 0:
                if gc.get_count()[0] > PROMOTE_AFTER:
                    _promote()
                if _resume:
                    gc.enable()


def _promote() -> None:
    """Move every tracked object to the oldest generation (or keep it frozen, when a scan froze objects)."""
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    if not frozen_before:
        gc.unfreeze()

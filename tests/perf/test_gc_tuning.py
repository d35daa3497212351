"""The collector settings of a scan: raised and frozen inside, restored after, re-entrant across threads."""

from __future__ import annotations

import gc
import threading
import weakref

from pykyverno.server.scan.gc_tuning import SCAN_THRESHOLD, freeze_loaded, scan_gc


def test_threshold_raised_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    with scan_gc():
        assert gc.get_threshold()[0] >= SCAN_THRESHOLD
        assert gc.get_freeze_count() > frozen_before
        loaded = [{"a": [i]} for i in range(1000)]
        count = gc.get_freeze_count()
        freeze_loaded()
        assert gc.get_freeze_count() >= count + len(loaded)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before


def test_nested_and_concurrent_scans_restore_once_the_last_ends() -> None:
    before = gc.get_threshold()
    inside = threading.Event()
    release = threading.Event()

    def other_scan() -> None:
        with scan_gc():
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=other_scan)
    with scan_gc():
        worker.start()
        assert inside.wait(10)
    assert gc.get_threshold()[0] >= SCAN_THRESHOLD  # the other scan still runs
    release.set()
    worker.join(10)
    assert gc.get_threshold() == before


def test_cycles_made_during_a_scan_are_still_collected() -> None:
    class Node:
        other: object = None

    with scan_gc():
        node = Node()
        node.other = node
        ref = weakref.ref(node)
        del node
    gc.collect()
    assert ref() is None


def test_freeze_outside_a_scan_does_nothing() -> None:
    count = gc.get_freeze_count()
    freeze_loaded()
    assert gc.get_freeze_count() == count

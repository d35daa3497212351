"""Reader benchmark: how fast a large snapshot is read from YAML and JSON files.

Writes generated Pods as a multi-document YAML stream, as one ``kind: List`` (``kubectl get -o yaml`` output) and as a
JSON List, then times :func:`read_documents` plus List expansion on each, with and without positions (when the reader
offers the choice). CPU time is the figure to compare on a shared machine. Run from the repository root: ``python bench/bench_reader.py [--pods 20000]``. Prints figures;
it asserts nothing.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_engine import generate_pod
from pykyverno.engine.documents import expand_lists, read_documents


class _PlainDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Writes shared objects out in full, as kubectl does (no anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_files(folder: Path, pods: int) -> dict[str, Path]:
    rng = random.Random(5)
    objects = [generate_pod(rng, i) for i in range(pods)]
    files = {"multi-document YAML": folder / "pods.yaml", "List YAML": folder / "list.yaml",
             "List JSON": folder / "list.json"}
    files["multi-document YAML"].write_text(yaml.dump_all(objects, Dumper=_PlainDumper, sort_keys=False))
    listed = {"apiVersion": "v1", "kind": "List", "items": objects}
    files["List YAML"].write_text(yaml.dump(listed, Dumper=_PlainDumper, sort_keys=False))
    files["List JSON"].write_text(json.dumps(listed, indent=2))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per file; the best is printed")
    args = parser.parse_args()
    variants: list[dict[str, Any]] = [{}]
    if "positions" in inspect.signature(read_documents).parameters:
        variants = [{"positions": True}, {"positions": False}]
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(Path(tmp), args.pods)
        for label, path in files.items():
            size = path.stat().st_size
            for options in variants:
                best, best_cpu = float("inf"), float("inf")
                for _ in range(args.repeat):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    count = sum(1 for _ in expand_lists(read_documents(path, **options)))
                    best = min(best, time.perf_counter() - started)
                    best_cpu = min(best_cpu, time.process_time() - started_cpu)
                note = ", ".join(f"{k}={v}" for k, v in options.items()) or "default"
                print(f"[{label}, {note}] {count} objects, {size / 1e6:.1f} MB: {best_cpu:.2f} s CPU "
                      f"({size / 1e6 / best_cpu:.1f} MB/s, {best_cpu * 1e6 / count:.0f} us/object), {best:.2f} s wall")


if __name__ == "__main__":
    main()

"""File names built from object fields stay one plain segment (issue 11, item 9)."""

from __future__ import annotations

from pathlib import Path

from pykyverno.server.paths import MAX_NAME, safe_file_name, safe_segment


def test_segments_never_leave_their_folder(tmp_path: Path) -> None:
    for hostile in ("../../escaped", "..", ".", "/etc/passwd", "a/../../b", "\\..\\x", "~root", "", ".hidden",
                    "name\x00", "é/ü"):
        name = safe_file_name(["pod", hostile, "x"], ".yaml")
        path = (tmp_path / name).resolve()
        assert path.parent == tmp_path.resolve() and "/" not in name and not name.startswith("."), hostile
    assert safe_segment("..") == "_" and safe_segment("") == "_" and safe_segment("../a") == "_a"


def test_kubernetes_names_are_kept_and_long_ones_stay_distinct() -> None:
    assert safe_file_name(["configmap", "team-a", "app.config-1"], ".yaml") == "configmap-team-a-app.config-1.yaml"
    first, second = safe_file_name(["x" * 300, "1"]), safe_file_name(["x" * 300, "2"])
    assert len(first) == MAX_NAME and first != second

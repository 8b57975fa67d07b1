"""Output folders are complete or untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracklayer.io.outputs import staged_output


def test_files_appear_only_after_success(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with staged_output(out) as stage:
        (stage / "a.txt").write_text("a")
        (stage / "maps").mkdir()
        (stage / "maps" / "b.png").write_bytes(b"b")
        assert not out.exists()
    assert (out / "a.txt").read_text() == "a"
    assert (out / "maps" / "b.png").read_bytes() == b"b"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_failure_leaves_previous_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "a.txt").write_text("old")
    with pytest.raises(RuntimeError), staged_output(out) as stage:
        (stage / "a.txt").write_text("new")
        raise RuntimeError("stage failed")
    assert (out / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]

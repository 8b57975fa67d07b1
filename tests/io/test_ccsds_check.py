"""The io tests' CCSDS check is live: files are validated, and a bad one fails."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tracklayer.io import tdm
from tracklayer.io.tdm import write_tdm

T0 = np.datetime64("2027-03-01T00:00:00", "ns").astype(np.int64)


def test_written_files_are_checked_and_a_bad_frame_fails(
    tmp_path: Path, ccsds_validated: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TDM written in ITRF2000 is checked; the same in a bare ITRF (not a frame the TDM
    2.0 schema lists) fails as it is written, and no file is left."""
    pytest.importorskip("ccsds_ndm")
    los = np.array([[1.0, 0.0, 0.0]])
    good = write_tdm(tmp_path / "good.tdm", "S", np.array([T0]), los)
    assert ccsds_validated == [good]
    monkeypatch.setattr(tdm, "RADEC_FRAME", "ITRF")
    with pytest.raises(ValueError, match="ITRF"):
        write_tdm(tmp_path / "bad.tdm", "S", np.array([T0]), los)
    assert not (tmp_path / "bad.tdm").exists()

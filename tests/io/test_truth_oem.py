"""Threats' truth as OEM: validated by the CCSDS schema (ccsds-ndm), read back by the ``oem``
package, states back to the table's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tracklayer.frames import utc_timestamps
from tracklayer.io.truth_oem import split_by_object, truth_oem_text, write_truth_oems

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


def truth_table() -> pa.Table:
    """Two objects (a missile and its spent stage), interleaved and out of time order,
    object ids dictionary-encoded as the flyout writes them; one NaN row (after impact)."""
    rng = np.random.default_rng(11)
    n = 9
    ids = ["bm-1", "bm-1-stage", "bm-1", "bm-1", "bm-1-stage", "bm-1", "bm-1", "bm-1-stage", "bm-1"]
    sec = np.array([3.0, 0.0, 0.0, 1.0, 1.0, 2.0, 5.0, 2.0, 4.0])
    state = np.column_stack(
        [
            rng.uniform(6.4e6, 6.9e6, n),
            rng.uniform(-1e6, 1e6, (n, 2)),
            rng.uniform(-3e3, 3e3, (n, 3)),
        ]
    )
    state[6] = np.nan
    columns = dict(zip(("x", "y", "z", "vx", "vy", "vz"), state.T, strict=True))
    return pa.table(
        {
            "object_id": pa.array(ids).dictionary_encode(),
            "kind": pa.array(["ballistic"] * n).dictionary_encode(),
            "time": utc_timestamps(EPOCH, sec),
            **columns,
        }
    )


def test_truth_oems_validate_and_carry_the_states(tmp_path: Path) -> None:
    """Reference: the CCSDS OEM 2.0 schema (ccsds-ndm's object model) and the ``oem``
    package's reader. States back to 1 mm and 1 µm/s (the written precision), epochs to
    the microsecond, time order restored, the NaN row left out."""
    ccsds_io = pytest.importorskip("ccsds_ndm.ndm_io")
    oem_pkg = pytest.importorskip("oem")
    table = truth_table()
    paths = write_truth_oems(table, tmp_path, creation_date=EPOCH)
    assert [p.name for p in paths] == ["bm-1.oem", "bm-1-stage.oem"]
    for path, (name, time_ns, states) in zip(paths, split_by_object(table), strict=True):
        doc = ccsds_io.NdmIo().from_path(path)
        segment = doc.body.segment[0]
        assert segment.metadata.object_name == name
        assert segment.metadata.ref_frame == "ITRF"
        got = np.array([[s.x.value, s.y.value, s.z.value] for s in segment.data.state_vector])
        np.testing.assert_allclose(got * 1e3, states[:, :3], atol=1e-3, rtol=0)
        (seg,) = oem_pkg.OrbitEphemerisMessage.open(path).segments
        vel = np.array([s.velocity for s in seg.states]) * 1e3
        epochs = [s.epoch.to_datetime(timezone=UTC) for s in seg.states]
        assert epochs == [datetime.fromtimestamp(t / 1e9, UTC) for t in time_ns.tolist()]
        np.testing.assert_allclose(vel, states[:, 3:], atol=1e-6, rtol=0)
    (missile, stage) = split_by_object(table)
    assert missile[1].size == 5 and stage[1].size == 3  # the NaN row is dropped
    assert np.all(np.diff(missile[1]) > 0)


def test_bad_truth_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="no finite state"):
        truth_oem_text("x", np.array([], np.int64), np.zeros((0, 6)))
    with pytest.raises(ValueError, match="two states at one epoch"):
        truth_oem_text("x", np.array([1, 1], np.int64), np.zeros((2, 6)))

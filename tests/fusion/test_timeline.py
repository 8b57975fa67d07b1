"""The fused picture over a run: fused-track management and association over histories."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.frames import utc_timestamps
from tracklayer.fusion.t2t import TrackBatch, fuse_tracks
from tracklayer.fusion.timeline import FUSED, fuse_timeline
from tracklayer.tracking.run import TRACKS_SCHEMA

EPOCH = datetime(2030, 1, 1, tzinfo=UTC)
SIGMA = np.array([100.0] * 3 + [2.0] * 3)
START = np.array([7.0e6, 0.0, 0.0, 0.0, 7000.0, 0.0])


def _rows(tracker: str, track_id: str, times: np.ndarray, offset_m: float, last: str) -> pa.Table:
    """One national track moving at constant velocity, ``offset_m`` off along x; its last
    row has status ``last``."""
    n = times.size
    x = START[None, :] + times[:, None] * np.r_[START[3:], 0.0, 0.0, 0.0][None, :]
    x[:, 0] += offset_m
    cov = np.tile(np.diag(SIGMA**2).ravel(), (n, 1))
    status = ["confirmed"] * (n - 1) + [last]
    return pa.Table.from_arrays(
        [
            pa.array([track_id] * n),
            pa.array([tracker] * n),
            utc_timestamps(EPOCH, times),
            *(pa.array(x[:, k]) for k in range(6)),
            pa.FixedSizeListArray.from_arrays(pa.array(cov.ravel()), 36),
            pa.array(status),
        ],
        schema=TRACKS_SCHEMA,
    )


def test_a_deleted_national_track_leaves_the_picture_at_once() -> None:
    """JPN's track, 50 km from USA's (two system tracks), is deleted at 20 s. Before, its
    last state was carried forward for ``max_age_s`` (30 s) after that, a false system
    track until 49 s; now only USA's system track remains after 20 s."""
    times = np.arange(0.0, 61.0, 1.0)
    usa = _rows("USA", "USA-1", times, 0.0, "confirmed")
    jpn = _rows("JPN", "JPN-1", times[times <= 20.0], 50e3, "deleted")
    fused = fuse_timeline(pa.concat_tables([usa, jpn]), EPOCH, interval_s=1.0)
    assert pc_all(fused["tracker"], FUSED)
    ns = fused["time"].cast(pa.int64()).to_numpy()
    per_time = np.bincount(np.round((ns - ns.min()) / 1e9).astype(int))
    assert per_time[:20].tolist() == [2] * 20
    assert set(per_time[20:].tolist()) == {1}


def pc_all(column: pa.ChunkedArray, value: str) -> bool:
    return set(column.to_pylist()) == {value}


def test_a_pair_fused_before_stays_fused_through_a_wider_gate() -> None:
    """Two owners' tracks 5.5 sigma apart in x (d^2 = 30.25 over summed covariances):
    beyond the fresh gate (chi-square 6 dof at 0.9999: 27.9), so fused afresh they make two
    system tracks; fused with the history that they were one before (``keep_with``),
    they stay one (history gate 1 - 1e-9: 55.3)."""
    sep = 5.5 * np.sqrt(2.0) * SIGMA[0]
    batch = TrackBatch(
        owner=np.array(["JPN", "USA"]),
        track_id=np.array(["JPN-1", "USA-1"]),
        time_s=np.zeros(2),
        state=np.stack([START, START + np.r_[sep, 0, 0, 0, 0, 0]]),
        cov=np.tile(np.diag(SIGMA**2), (2, 1, 1)),
    )
    assert len(fuse_tracks(batch)) == 2
    kept = fuse_tracks(batch, keep_with=np.array([-1, 0]))
    assert len(kept) == 1 and sorted(kept.members[0]) == [0, 1]
    far = TrackBatch(
        batch.owner, batch.track_id, batch.time_s, batch.state * np.r_[1, 1, 1, 1, 1, 1], batch.cov
    )
    far.state[1, 0] += 3.0 * sep  # 22 sigma: the history gate lets go
    assert len(fuse_tracks(far, keep_with=np.array([-1, 0]))) == 2


def test_a_one_owner_system_track_is_tentative_until_confirm_after_s() -> None:
    """A system track from one owner's track alone, where another owner's tracker watches
    (a JPN track 50 km away, not the same target), is ``tentative`` for
    ``confirm_after_s``, then ``confirmed``; while no other owner has any live track it is
    confirmed at once, and so is one holding two owners' tracks."""
    times = np.arange(0.0, 41.0, 1.0)
    usa = _rows("USA", "USA-1", times, 0.0, "confirmed")
    jpn_far = _rows("JPN", "JPN-9", times, 50e3, "confirmed")
    watched = fuse_timeline(pa.concat_tables([usa, jpn_far]), EPOCH, interval_s=1.0)
    status = watched.filter(pc.equal(watched["track_id"], "SYS-000002"))["status"]
    assert status.to_pylist()[:30] == ["tentative"] * 30
    assert set(status.to_pylist()[30:]) == {"confirmed"}
    alone = fuse_timeline(usa, EPOCH, interval_s=1.0)
    assert set(alone["status"].to_pylist()) == {"confirmed"}
    jpn = _rows("JPN", "JPN-1", times, 10.0, "confirmed")
    both = fuse_timeline(pa.concat_tables([usa, jpn]), EPOCH, interval_s=1.0)
    assert set(both["status"].to_pylist()) == {"confirmed"}

"""Two targets whose lines of sight cross closely, in clutter: identities through the crossing.

The crossing-targets case of Bar-Shalom and Fortmann, *Tracking and Data Association*
(1988), sec. 9.4 (tracking in clutter, targets whose gates overlap): two targets pass each
other and, for a while, every sensor's two detections fall inside both tracks' gates, with
false alarms around the crossing point. A tracker that swaps the detections between the
tracks swaps identities or loses custody.
"""

from __future__ import annotations

import numpy as np
import pytest

from tracklayer.constants import DEG, EARTH_MEAN_RADIUS_M, KM
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.filters import tangent_basis
from tracklayer.tracking.manager import COASTING, CONFIRMED
from tracklayer.tracking.tracker import BatchTracker, Detections, TrackHistory

SIGMA_RAD = 50e-6
DURATION_S = 60
CROSS_S = 30.0
FA_RATE = 1.0
FA_HALF_RAD = 2e-3


def _crossing(
    seed: int,
    sigma_rad: float = SIGMA_RAD,
    fa_rate: float = FA_RATE,
    offset_m: float = 300.0,
    cross_mps: float = 20.0,
    pd: float = 0.9,
) -> tuple[Detections, np.ndarray, np.ndarray]:
    """Two 3 km/s targets 300 km up near 40 N 127 E, closing at 40 m/s across track and
    300 m apart vertically at closest approach (their lines of sight pass within ~100 urad,
    2 sigma, for every sensor), seen at 1 Hz by three sensors 1,500 km up and 1,500 km
    away at azimuths 0/120/240 deg, Pd 0.9, and a mean ``FA_RATE`` false alarms per sensor
    and frame uniform within +-``FA_HALF_RAD`` of the crossing point (the defaults; the
    arguments vary the noise, false alarm rate, vertical offset, speed across track of each
    and Pd). Returns detections, truth positions ``(2, T, 3)`` and times ``(T,)``."""
    rng = np.random.default_rng(seed)
    lat, lon = 40.0 * DEG, 127.0 * DEG
    up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    east = np.array([-np.sin(lon), np.cos(lon), 0.0])
    north = np.cross(up, east)
    r0 = (EARTH_MEAN_RADIUS_M + 300.0 * KM) * up
    t = np.arange(0.0, DURATION_S + 1.0)
    v = np.array([3000.0 * east + cross_mps * north, 3000.0 * east - cross_mps * north])
    pos = r0 + (t[None, :, None] - CROSS_S) * v[:, None, :]
    pos[1] += offset_m * up
    az = np.array([0.0, 120.0, 240.0]) * DEG
    sens = r0 + 1500.0 * KM * (up + np.cos(az)[:, None] * north + np.sin(az)[:, None] * east)
    # Truth lines of sight (S, 2, T, 3) with noise in each one's tangent plane.
    d = pos[None] - sens[:, None, None, :]
    u = d / np.linalg.norm(d, axis=-1, keepdims=True)
    s_i, j_i, k_i = np.nonzero(rng.random(u.shape[:3]) < pd)
    u_det = u[s_i, j_i, k_i]
    e = tangent_basis(u_det)
    n = rng.normal(0.0, sigma_rad, (u_det.shape[0], 2))
    u_det = u_det + n[:, 0, None] * e[:, 0] + n[:, 1, None] * e[:, 1]
    # False alarms around each sensor's line of sight to the crossing point.
    n_fa = rng.poisson(fa_rate, (3, t.size))
    fs, fk = np.nonzero(n_fa)
    fs, fk = np.repeat(fs, n_fa[fs, fk]), np.repeat(fk, n_fa[fs, fk])
    c = r0 - sens[fs]
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    ec = tangent_basis(c)
    a = rng.uniform(-FA_HALF_RAD, FA_HALF_RAD, (fs.size, 2))
    u_fa = c + a[:, 0, None] * ec[:, 0] + a[:, 1, None] * ec[:, 1]
    los = np.concatenate([u_det, u_fa])
    los /= np.linalg.norm(los, axis=1, keepdims=True)
    sensor = np.concatenate([s_i, fs]).astype(np.int64)
    det = Detections.angles_only(
        np.concatenate([t[k_i], t[fk]]), los, sens[sensor], np.full(sensor.size, sigma_rad), sensor
    )
    return det, pos, t


def _holder(hist: TrackHistory, pos: np.ndarray, t: np.ndarray, k: int) -> list[tuple[int, float]]:
    """For each target at frame ``k``: the nearest confirmed or coasting track and its error."""
    sel = (hist.time_s == t[k]) & np.isin(hist.status, [CONFIRMED, COASTING])
    out = []
    for j in range(2):
        err = np.linalg.norm(hist.x[sel, :3] - pos[j, k], axis=1)
        i = int(np.argmin(err)) if err.size else -1
        out.append((int(hist.track_id[sel][i]), float(err[i])) if i >= 0 else (-1, np.inf))
    return out


@pytest.mark.parametrize(
    ("association", "seed"),
    [(a, s) for a in ("gnn", "jpda") for s in range(4)]
    + [("mfa", 0), pytest.param("mfa", 1, marks=pytest.mark.slow)],
)
def test_identities_held_through_a_close_crossing(seed: int, association: str) -> None:
    """Reference: the crossing-targets case of Bar-Shalom and Fortmann (1988) sec. 9.4, as
    set up in :func:`_crossing` (truth is the straight-line motion; the tracker runs a
    constant-velocity EKF with GNN, JPDA or multi-frame assignment). Asserted, for each:
    10 s before the crossing each target is held by its own confirmed track; 30 s after it
    the same two track
    identities hold the same two targets (no swap, no loss and re-initiation), each within
    300 m (6 sigma of the ~50 m single-frame triangulation error at this range).

    Not asserted: false tracks (clutter this dense, 1 per sensor and frame in a 16 usr
    box, 6e4 per sr, confirms a few ghost triangulations). Neither tracker swaps here (10
    of 10 seeds each), so a case where GNN fails and JPDA holds was not found: with three
    sensors the tracks are 3-D and ~50 m accurate, which separates targets 300 m apart.
    JPDA's weakness shows earlier, not asserted: both targets' new tracks, born 1.2 km apart
    with 3 km/s velocity uncertainty, share both targets' detections and coalesce into one
    (Fitzgerald, "Track biases and coalescence with probabilistic data association", IEEE
    Trans. AES 21(6), 1985); the second target gets a new track within ~20 s."""
    det, pos, t = _crossing(seed)
    cfg = TrackingConfig(motion="cv", process_noise_m2_s3=1.0, association=association)
    hist = BatchTracker(cfg).run(det)
    before = _holder(hist, pos, t, int(CROSS_S) - 10)
    after = _holder(hist, pos, t, t.size - 1)
    assert before[0][0] != before[1][0]
    assert [b[0] for b in before] == [a[0] for a in after]
    assert max(a[1] for a in after) < 300.0


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_targets_whose_positions_meet_keep_their_own_tracks(seed: int) -> None:
    """Cause of lost targets and id switches: duplicate tracks were told apart by position
    alone, so two targets that cross at the same point (no vertical offset, 200 m/s apart
    across track) had their tracks merged there, the younger deleted and re-initiated after
    the crossing (4 of 4 seeds). Reference: the track-to-track association test on the full
    state (Bar-Shalom, Willett and Tian 2011, sec. 9.2): the velocities differ by 200 m/s
    against a mature track's velocity error of a few m/s, so the tracks are distinct.
    Asserted: 10 s before the crossing two distinct tracks hold the targets, and the same
    two hold them 30 s after it, each within 300 m."""
    det, pos, t = _crossing(seed, offset_m=0.0, cross_mps=100.0)
    hist = BatchTracker(TrackingConfig(motion="cv", process_noise_m2_s3=1.0)).run(det)
    before = _holder(hist, pos, t, int(CROSS_S) - 10)
    after = _holder(hist, pos, t, t.size - 1)
    assert before[0][0] != before[1][0]
    assert [b[0] for b in before] == [a[0] for a in after]
    assert max(a[1] for a in after) < 300.0

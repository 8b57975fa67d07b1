"""Why a tracker fed every owner's detections can do worse than one owner's: each cause
reproduced small, and the rule that removes it shown not to swallow a real target."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from tracklayer.frames import enu_basis, geodetic_to_ecef
from tracklayer.metrics.tracking import tracking_metrics
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.detections import Detections, Frame
from tracklayer.tracking.initiation import initiate
from tracklayer.tracking.manager import CONFIRMED, TrackSet, dominated, sharing
from tracklayer.tracking.run import detections_arrays, history_table, strip_truth
from tracklayer.tracking.synthetic import make_raid
from tracklayer.tracking.tracker import BatchTracker

I64 = np.int64


def _two_tracks(sigma_a_m: float = 30.0, sigma_b_m: float = 1000.0) -> TrackSet:
    x = np.zeros((2, 6))
    x[:, 0] = 7.0e6
    p = np.stack([np.diag([s**2] * 3 + [100.0] * 3) for s in (sigma_a_m, sigma_b_m)])
    born = TrackSet.born(0, x, p, 0.0)
    return TrackSet(**{**born.__dict__, "status": np.full(2, CONFIRMED, np.int8)})


SENSORS = np.array([0, 1, 2, 3, 0, 1, 2, 3])  # detections 0-3 and 4-7: sensors 0-3


def _pairs(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    a = np.array(pairs, I64).reshape(-1, 2)
    return a[:, 0], a[:, 1]


def _dominated(
    tracks: TrackSet, gated: list[tuple[int, int]], assigned: list[tuple[int, int]]
) -> list[bool]:
    return dominated(tracks, *_pairs(gated), *_pairs(assigned), SENSORS).tolist()


def test_a_ghost_on_one_sensors_line_of_sight_is_dominated() -> None:
    """Cause: per-sensor assignment. A track wrong in range along sensor 0's line of sight
    (track 1, km-wide) gates only sensor 0's detection of the target and wins it in sensor
    0's assignment, while the real track (0, 30 m) takes sensors 1-3: neither ever misses,
    so M-of-N and coasting keep both. Track 1 is dominated; track 0 is not."""
    tracks = _two_tracks()
    gated = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0)]
    assigned = [(0, 1), (0, 2), (0, 3), (1, 0)]
    assert _dominated(tracks, gated, assigned) == [False, True]


def test_unresolved_closely_spaced_objects_are_not_dominated() -> None:
    """Two objects the sensors do not resolve: one merged detection per sensor, both
    tracks gate all of them and share them out. Neither dominates the other (being one
    object to every sensor, they keep one track through :func:`sharing`, the test of
    duplicates below)."""
    tracks = _two_tracks(30.0, 30.0)
    gated = [(t, d) for t in (0, 1) for d in range(4)]
    assigned = [(0, 0), (0, 1), (1, 2), (1, 3)]
    assert _dominated(tracks, gated, assigned) == [False, False]


def test_resolved_neighbours_and_an_imprecise_dominator_are_not_swallowed() -> None:
    """A resolved neighbour has detections of its own (4-7); a wide track that gates a
    precise track's detections and more sensors does not dominate it."""
    tracks = _two_tracks()
    gated = [(0, d) for d in range(4)] + [(1, d) for d in range(4, 8)] + [(1, 0)]
    assigned = [(0, d) for d in range(4)] + [(1, d) for d in range(4, 8)]
    assert _dominated(tracks, gated, assigned) == [False, False]
    wide_first = _two_tracks(1000.0, 30.0)
    gated = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0)]
    assert _dominated(wide_first, gated, [(0, 1), (1, 0)]) == [False, False]


def _gospa_by_tracker(raid_tables: tuple[pa.Table, pa.Table]) -> dict[str, tuple[float, float]]:
    """Mean GOSPA and the square root of the mean false part (m) of each owner's tracker,
    the joint one, and the joint one without the dominance rule."""
    truth, detections = raid_tables
    det, owner = detections_arrays(strip_truth(detections), EPOCH)
    everyone = np.ones(owner.size, dtype=bool)
    runs = [(o, TrackingConfig(), owner == o) for o in ("USA", "JPN")]
    runs += [("joint", TrackingConfig(), everyone)]
    runs += [("no rule", TrackingConfig(management={"dominated_frames": 0}), everyone)]
    tables = [
        history_table(BatchTracker(cfg).run(det.take(np.nonzero(sel)[0])), name, EPOCH)
        for name, cfg, sel in runs
    ]
    _, gospa = tracking_metrics(truth, pa.concat_tables(tables), None, TrackingConfig())
    tracker = np.asarray(gospa.column("tracker").to_pylist())
    out = {}
    for name, _, _ in runs:
        rows = tracker == name
        g = np.asarray(gospa.column("gospa_m").to_numpy(), float)[rows]
        false_m2 = np.asarray(gospa.column("false").to_numpy(), float)[rows]
        out[name] = (float(g.mean()), float(np.sqrt(false_m2.mean())))
    return out


EPOCH = make_raid(1, 0, threats_only=True).epoch


@pytest.mark.slow
def test_raid_joint_tracker_is_no_worse_than_the_best_owner() -> None:
    """The sanity law on a dense raid (100 ballistic threats launched within 2 min from a
    4 x 4 deg area, 120 satellites of two owners, 300 s, seed 1). Reference (one run):
    mean GOSPA (c = 10 km, p = 2) USA 3.60 km, JPN 3.40 km, joint 3.36 km, no false
    track in any. Before the outlier exclusion the joint tracker scored 9.27 km without
    the dominance rule (false part 8.1 km: ghosts along one satellite's lines of sight)
    and 3.81 km with it; now the tracks that turned into those ghosts keep their targets,
    and the rule changes nothing here."""
    raid = make_raid(100, 120, duration_s=300.0, seed=1, launch_window_s=120.0)
    got = _gospa_by_tracker((raid.truth, raid.detections))
    best_owner = min(got["USA"][0], got["JPN"][0])
    assert got["joint"][0] <= best_owner + 10.0
    assert got["joint"][1] == 0.0
    assert got["no rule"][0] <= best_owner + 10.0


def test_many_lines_of_sight_to_closely_spaced_objects_make_no_initiation_ghosts() -> None:
    """Cause examined: initiation ghosts. Two objects 2 km apart at 300 km altitude seen by
    eight satellites (1,000 km altitude, 1,500-3,000 km away, 20 microradian noise): of
    the 8 x 7 x 4 pairwise intersections, those of lines to different objects miss each
    other by more than the gate or are supported by only their two lines, so multi-sensor
    initiation returns exactly the two objects (each within 100 m), no ghost."""
    rng = np.random.default_rng(7)
    targets = np.array([[0.0, 0.0, 6.678e6], [2000.0, 0.0, 6.678e6]])
    az = np.linspace(0.0, 2.0 * np.pi, 8, endpoint=False)
    dist = rng.uniform(1.5e6, 3.0e6, 8)
    sats = targets[0] + np.stack([dist * np.cos(az), dist * np.sin(az), np.full(8, 7.0e5)], 1)
    sats = sats / np.linalg.norm(sats, axis=1, keepdims=True) * 7.378e6
    los, pos, sensor = [], [], []
    for s, sat in enumerate(sats):
        for target in targets:
            u = target - sat + rng.normal(0.0, 20e-6 * np.linalg.norm(target - sat), 3)
            los.append(u / np.linalg.norm(u))
            pos.append(sat)
            sensor.append(s)
    n = len(los)
    got = initiate(
        np.array(los),
        np.array(pos),
        np.full(n, 20e-6),
        np.array(sensor),
        np.zeros(n),
        TrackingConfig(),
    )
    assert got.r.shape[0] == 2
    err = np.linalg.norm(got.r[:, None, :] - targets[None, :, :], axis=2).min(axis=1)
    assert np.all(err < 100.0)


def _sky(n_sats: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A target at 300 km altitude over 40 N 127 E flying east at 4 km/s, and ``n_sats``
    satellites at 1,000 km altitude 1,500-3,000 km from it, spread in azimuth."""
    rng = np.random.default_rng(seed)
    lat, lon = np.radians(40.0), np.radians(127.0)
    target = geodetic_to_ecef(lat, lon, 300e3)
    east, north, up = enu_basis(lat, lon)
    velocity = 4000.0 * east
    az = np.linspace(0.0, 2.0 * np.pi, n_sats, endpoint=False) + rng.uniform(0, 0.3, n_sats)
    dist = rng.uniform(1.5e6, 3.0e6, n_sats)
    sats = target + dist[:, None] * (np.cos(az)[:, None] * east + np.sin(az)[:, None] * north)
    sats += 700e3 * up
    return target, velocity, sats


def _lines_of_sight(
    points: np.ndarray, sats: np.ndarray, sigma: float, rng: np.random.Generator
) -> np.ndarray:
    u = points - sats
    u = u + rng.normal(0.0, sigma, u.shape) * np.linalg.norm(u, axis=1, keepdims=True)
    out: np.ndarray = u / np.linalg.norm(u, axis=1, keepdims=True)
    return out


def test_a_neighbours_detection_in_a_new_tracks_gate_does_not_ruin_its_velocity() -> None:
    """Cause: a track born without velocity (3 km/s per axis) gates kilometres around its
    prediction, so a sensor that missed its target gives it a neighbour's detection. Eight
    satellites; at the second frame seven see the target and the eighth only a neighbour
    8 km away. Updated with all eight lines of sight (what per-sensor assignment hands it)
    the velocity is off by more than 500 m/s, and the track loses its target within
    seconds (at 300 threats these tracks were most of the joint tracker's false part).
    The tracker drops the line of sight that the updated state does not explain; the
    velocity then comes from the seven others: reference, position errors of ~100 m (20
    microradians at 1,500-3,000 km) over one second, so within 150 m/s."""
    rng = np.random.default_rng(3)
    target, velocity, sats = _sky(8, seed=3)
    cfg = TrackingConfig()
    tracker = BatchTracker(cfg)
    x0 = np.concatenate([target, np.zeros(3)])[None, :]
    p0 = np.diag([100.0**2] * 3 + [cfg.initiation.velocity_sigma_mps**2] * 3)[None]
    tracker.tracks = TrackSet.born(0, x0, p0, 0.0)
    tracker.time_s = 0.0
    now = target + velocity * 1.0
    _, north, _ = enu_basis(np.radians(40.0), np.radians(127.0))
    seen = np.repeat(now[None, :], 8, axis=0)
    seen[7] = now + 8000.0 * north  # the neighbour, seen by the eighth satellite only
    det = Detections.angles_only(
        np.ones(8), _lines_of_sight(seen, sats, 20e-6, rng), sats, np.full(8, 20e-6),
        np.arange(8),
    )  # fmt: skip
    frame = Frame.of(det)
    gated = tracker._gate(tracker.filter.predict(tracker.tracks, 1.0), frame)
    assert 7 in gated.det.tolist(), "the neighbour's detection must be in the new track's gate"
    naive = tracker.filter.update(
        tracker.filter.predict(tracker.tracks, 1.0), frame, np.zeros(8, I64), np.arange(8)
    )
    assert np.linalg.norm(naive.x[0, 3:] - velocity) > 500.0
    tracker.step(det)
    assert np.linalg.norm(tracker.tracks.x[0, 3:] - velocity) < 150.0


def test_two_tracks_sharing_one_objects_detections_keep_the_older() -> None:
    """Cause: duplicate tracks on one object. Per-sensor assignment shares the object's
    detections (one per sensor) between two tracks, so neither misses; both precise, they
    stay hundreds of metres apart, outside the duplicate test. The younger one shares; two
    resolved objects (two detections per sensor in the common gate) do not."""
    tracks = _two_tracks(50.0, 50.0)
    tracks = TrackSet(**{**tracks.__dict__, "age": np.array([30, 10], I64)})
    one = [(t, d) for t in (0, 1) for d in range(4)]
    assert sharing(tracks, *_pairs(one), *_pairs([(0, 0), (0, 1), (1, 2), (1, 3)]), SENSORS)[1], (
        "the younger track shares"
    )
    assert not sharing(tracks, *_pairs(one), *_pairs([(0, 0), (0, 1), (1, 2), (1, 3)]), SENSORS)[0]
    two = [(t, d) for t in (0, 1) for d in range(8)]
    took = [(0, d) for d in range(4)] + [(1, d) for d in range(4, 8)]
    assert sharing(tracks, *_pairs(two), *_pairs(took), SENSORS).tolist() == [False, False]

"""Stone Soup adapter: its measurement models reproduce the detections from the truth, a
Stone Soup tracker runs on adapted detections and holds every threat, tracks go both ways."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("stonesoup")

from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
from stonesoup.deleter.time import UpdateTimeDeleter
from stonesoup.hypothesiser.distance import DistanceHypothesiser
from stonesoup.initiator.simple import MultiMeasurementInitiator
from stonesoup.measures import Mahalanobis
from stonesoup.models.transition.linear import (
    CombinedLinearGaussianTransitionModel,
    ConstantVelocity,
)
from stonesoup.predictor.kalman import ExtendedKalmanPredictor
from stonesoup.tracker.simple import MultiTargetTracker
from stonesoup.types.state import GaussianState, State
from stonesoup.types.update import Update
from stonesoup.updater.kalman import ExtendedKalmanUpdater

from tracklayer.constants import DEG
from tracklayer.frames import geodetic_to_ecef
from tracklayer.io.stone_soup import (
    STONE_SOUP_ORDER,
    from_stonesoup_tracks,
    to_stonesoup_scans,
    to_stonesoup_tracks,
)
from tracklayer.tracking.synthetic import make_raid

RADAR_SITE = geodetic_to_ecef(38.0 * DEG, 131.0 * DEG, 0.0)


def _radar_detections(truth: pa.Table, rng: np.random.Generator) -> pa.Table:
    """A ground radar's detections of the truth every 2 s: 1 mrad angles, 50 m range."""
    time_ns = pa.compute.cast(truth["time"], pa.int64()).to_numpy()
    t = truth.filter(pa.array(time_ns % 2_000_000_000 == 0))
    pos = np.column_stack([t[c].to_numpy() for c in ("x", "y", "z")]) - RADAR_SITE
    rng_m = np.linalg.norm(pos, axis=1)
    los = pos / rng_m[:, None] + rng.normal(0.0, 1e-3, pos.shape)
    los /= np.linalg.norm(los, axis=1, keepdims=True)
    n = t.num_rows
    return pa.table(
        {
            "det_id": np.arange(10_000, 10_000 + n),
            "sensor_id": ["RADAR-1"] * n,
            "sensor_kind": ["radar"] * n,
            "owner": ["JPN"] * n,
            "time": t["time"],
            "los_x": los[:, 0], "los_y": los[:, 1], "los_z": los[:, 2],
            "sensor_x": np.full(n, RADAR_SITE[0]), "sensor_y": np.full(n, RADAR_SITE[1]),
            "sensor_z": np.full(n, RADAR_SITE[2]),
            "sigma_rad": np.full(n, 1e-3), "snr": np.full(n, 20.0),
            "range_m": rng_m + rng.normal(0.0, 50.0, n), "sigma_range_m": np.full(n, 50.0),
            "truth_id": t["object_id"],
        }
    )  # fmt: skip


def _raid() -> tuple[pa.Table, pa.Table]:
    raid = make_raid(3, 5, duration_s=50.0, false_alarms_per_frame=0.0, launch_window_s=5.0, seed=3)
    radar = _radar_detections(raid.truth, np.random.default_rng(1))
    return raid.truth, pa.concat_tables([raid.detections, radar.cast(raid.detections.schema)])


def test_measurement_models_reproduce_the_detections() -> None:
    """Reference: the detections' own lines of sight and ranges. Each adapted detection's
    model, applied to its truth state put in Stone Soup's order, gives the measured angles
    within 5 sigma (the noise drawn) and the range within 5 x 50 m."""
    truth, detections = _raid()
    states = {
        (row["object_id"], row["time"]): np.array(
            [row[c] for c in ("x", "y", "z", "vx", "vy", "vz")]
        )
        for row in truth.to_pylist()
    }
    checked = 0
    for at, scan in to_stonesoup_scans(detections, include_truth=True):
        for det in scan:
            truth_state = states.get((det.metadata["truth_id"], at))
            if truth_state is None:
                continue
            predicted = det.measurement_model.function(
                State(truth_state[STONE_SOUP_ORDER].reshape(6, 1))
            )
            sigma = np.sqrt(np.diag(det.measurement_model.covar()))
            residual = np.asarray(det.state_vector - predicted, dtype=float).ravel()
            assert np.all(np.abs(residual) < 5 * sigma)
            checked += 1
    assert checked > 300


def test_a_stone_soup_tracker_holds_every_threat() -> None:
    """A Stone Soup MultiTargetTracker (EKF on a constant-velocity model, Mahalanobis
    gate, GNN, tracks started from radar detections by its MultiMeasurementInitiator)
    runs on the adapted radar and infrared detections. Every threat has a track within
    2 km of it at the end (its truth at that time), infrared detections update tracks,
    and the tracks come back as a ``tracks`` table."""
    truth, detections = _raid()
    transition = CombinedLinearGaussianTransitionModel([ConstantVelocity(400.0)] * 3)
    predictor = ExtendedKalmanPredictor(transition)
    updater = ExtendedKalmanUpdater(measurement_model=None)
    hypothesiser = DistanceHypothesiser(predictor, updater, Mahalanobis(), missed_distance=4.0)
    associator = GNNWith2DAssignment(hypothesiser)
    deleter = UpdateTimeDeleter(np.timedelta64(20, "s").item())
    prior = GaussianState(np.zeros((6, 1)), np.diag([1e12, 2.5e7] * 3))

    class RadarInitiator(MultiMeasurementInitiator):  # angles alone cannot start a track
        def initiate(self, detections, timestamp, **kwargs):  # type: ignore[no-untyped-def]
            radar = {d for d in detections if d.metadata["sensor_kind"] == "radar"}
            return super().initiate(radar, timestamp, **kwargs)

    initiator = RadarInitiator(prior, deleter, associator, updater, min_points=3)
    scans = list(to_stonesoup_scans(detections))
    tracker = MultiTargetTracker(initiator, deleter, scans, associator, updater)
    for _ in tracker:
        pass
    tracks = tracker.tracks
    used = {
        s.hypothesis.measurement.metadata["sensor_kind"]
        for track in tracks for s in track.states if isinstance(s, Update)
    }  # fmt: skip
    assert used == {"ir", "radar"}
    table = from_stonesoup_tracks(tracks, "stonesoup")
    end = max(t for t, _ in scans)
    last = table.filter(pa.compute.equal(table["time"], pa.scalar(end, pa.timestamp("ns", "UTC"))))
    final = truth.filter(pa.compute.equal(truth["time"], last["time"][0]))
    assert final.num_rows == 3
    ours = np.column_stack([last[c].to_numpy() for c in ("x", "y", "z")])
    for row in final.to_pylist():
        miss = np.linalg.norm(ours - np.array([row["x"], row["y"], row["z"]]), axis=1).min()
        assert miss < 2000.0, (row["object_id"], miss)


def test_tracks_round_trip() -> None:
    """Reference: the table itself. Tracks to Stone Soup and back give the same states and
    covariances (exact: a permutation) and times, one Stone Soup track per track id."""
    rng = np.random.default_rng(0)
    n = 4
    cov = rng.normal(size=(n, 6, 6))
    cov = cov @ cov.transpose(0, 2, 1)
    from tracklayer.vocabulary import TRACKS_SCHEMA

    t0 = np.datetime64("2027-03-01T00:00:00", "ns").astype(np.int64)
    table = pa.table(
        {
            "track_id": ["A", "A", "B", "A"],
            "tracker": ["USA"] * n,
            "time": pa.array(t0 + np.array([0, 1, 0, 2]) * 10**9, pa.timestamp("ns", "UTC")),
            **{c: rng.normal(size=n) * 1e6 for c in ("x", "y", "z", "vx", "vy", "vz")},
            "cov": pa.array(cov.reshape(n, 36).tolist(), pa.list_(pa.float64(), 36)),
            "status": ["tentative", "confirmed", "confirmed", "confirmed"],
        },
        schema=TRACKS_SCHEMA,
    )
    ss = to_stonesoup_tracks(table)
    assert [t.id for t in ss] == ["USA:A", "USA:B"]
    assert ss[0].metadata["status"] == ["tentative", "confirmed", "confirmed"]
    assert float(ss[0].states[0].state_vector[1]) == table["vx"][0].as_py()  # [x, vx, ...]
    back = from_stonesoup_tracks(ss, "USA").sort_by(
        [("track_id", "ascending"), ("time", "ascending")]
    )
    want = table.sort_by([("track_id", "ascending"), ("time", "ascending")])
    for column in ("time", "x", "y", "z", "vx", "vy", "vz", "cov"):
        assert back[column].to_pylist() == want[column].to_pylist()


@pytest.mark.slow
def test_the_documented_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/stone_soup.md's example, run as written on a small synthetic run folder (three
    threats, infrared satellites, a radar): every threat scored, each held by a track
    (custody above one half) within 2 km RMS."""
    truth, detections = _raid()
    run = tmp_path / "out" / "demo"
    run.mkdir(parents=True)
    pq.write_table(truth, run / "truth.parquet")
    pq.write_table(detections, run / "detections.parquet")
    text = (Path(__file__).parents[2] / "docs" / "stone_soup.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "example"}
    exec(compile(code, "docs/stone_soup.md", "exec"), namespace)
    metrics = namespace["metrics"]
    assert isinstance(metrics, pa.Table)
    scored = metrics.filter(pa.compute.equal(metrics["tracker"], "stonesoup")).to_pylist()
    assert len(scored) == 3
    for row in scored:
        assert row["custody_fraction"] > 0.5 and row["rmse_pos_m"] < 2000.0, row

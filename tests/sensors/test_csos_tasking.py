"""Closely spaced objects through the whole chain, and the cued sensor's schedule."""

from __future__ import annotations

import math

import numpy as np

from tracklayer.constants import DEG, KM, WGS84_A_M
from tracklayer.frames import geodetic_to_ecef
from tracklayer.sensors.detect import detect
from tracklayer.sensors.geometry import VisibilityConstraints
from tracklayer.sensors.ir_config import InfraredParameters
from tracklayer.sensors.tasking import schedule_cued

from .ir_helpers import catalog, static_ephemeris, static_truth

SAT = np.array([WGS84_A_M + 1000 * KM, 0.0, 0.0])
LIMB = VisibilityConstraints(grazing_altitude_m=20 * KM, above_limb_rad=0.0)


def _pair(separation_m: float) -> np.ndarray:
    """Two targets at 10 deg E, 40 km, split north-south (across the line of sight)."""
    a = geodetic_to_ecef(0.0, 10 * DEG, 40 * KM)
    return np.stack([a, a + np.array([0.0, 0.0, separation_m])])


def test_unresolved_pair_gives_one_detection_resolved_pair_two() -> None:
    """Targets 30 m apart at ~1,400 km range (21 µrad, under the 60 µrad pixel) merge into
    one detection per frame; 600 m apart (420 µrad) they give two.

    Reference: separation / range against the resolution max(IFOV, 1.22 lambda / D).
    """
    eph = static_ephemeris(SAT[None, :], 20)
    ir = InfraredParameters(false_alarms=False)
    for sep, per_frame in ((30.0, 1), (600.0, 2)):
        truth = static_truth(_pair(sep), eph.seconds, [2e4, 1e4])
        table = detect(catalog(1), eph, truth, {"ir": (LIMB, ir)}, seed=4)
        assert table.num_rows == 20 * per_frame
        if per_frame == 1:
            assert set(table.column("truth_id").to_pylist()) == {"T00"}  # the brighter


def test_cued_schedule_slews_settles_and_dwells() -> None:
    """Two cued threats served round robin with slew + settle before each dwell.

    Reference: hand timeline. Sensor parked at nadir; threat 0 first (never served, earlier
    index); slew angle from nadir to it at rate 1 deg/s plus 1 s settle, 10 s dwell with a
    frame each second; then threat 1, 2 deg further, and so on.
    """
    seconds = np.arange(80.0)
    sensor = np.repeat(SAT[None], 80, axis=0)
    t0 = geodetic_to_ecef(0.0, 3 * DEG, 0.0)
    t1 = geodetic_to_ecef(0.0, 5 * DEG, 0.0)
    targets = np.stack([np.repeat(t0[None], 80, 0), np.repeat(t1[None], 80, 0)])
    in_view = np.ones((2, 80), dtype=bool)
    ir = InfraredParameters(
        kind="cued_medium", slew_rate_deg_s=1.0, settle_s=1.0, dwell_s=10.0, revisit_s=1.0
    )
    pointed = schedule_cued(seconds, sensor, targets, in_view, np.array([0.0, 0.0]), ir)

    def unit(v: np.ndarray) -> np.ndarray:
        return v / np.linalg.norm(v)

    nadir = unit(-SAT)
    l0, l1 = unit(t0 - SAT), unit(t1 - SAT)
    a0 = math.degrees(math.acos(nadir @ l0))
    a01 = math.degrees(math.acos(l0 @ l1))
    start0 = 1.0 + a0
    end0 = start0 + 10.0
    k_end0 = math.ceil(end0)
    start1 = k_end0 + 1.0 + a01
    expect = np.full(80, -1)
    expect[math.ceil(start0) : math.ceil(end0)] = 0
    expect[math.ceil(start1) : math.ceil(start1 + 10.0)] = 1
    n_check = math.ceil(start1 + 10.0)
    np.testing.assert_array_equal(pointed[:n_check], expect[:n_check])


def test_cued_sensor_sees_only_cued_threats_in_its_field() -> None:
    """A cued sensor detects only after the warning sensor's first detection plus latency,
    and only the threat it points at when the other lies outside its 1 deg field.

    Reference: the cue rule (first warning detection + cue_latency_s) and the field of view.
    """
    n = 60
    sats = np.stack([SAT, SAT * 1.001])
    eph = static_ephemeris(sats, n)
    targets = np.stack(
        [geodetic_to_ecef(0.0, 10 * DEG, 40 * KM), geodetic_to_ecef(0, 20 * DEG, 40 * KM)]
    )
    truth = static_truth(targets, eph.seconds, [1e6, 1e6])
    cat = catalog(2)
    cat = type(cat)(
        sat_id=cat.sat_id,
        owner=cat.owner,
        constellation=cat.constellation,
        sensor=np.asarray(["warn", "cued"]),
        satrecs=cat.satrecs,
    )
    payloads = {
        "warn": (
            LIMB,
            InfraredParameters(kind="staring_wide", revisit_s=10.0, false_alarms=False),
        ),
        "cued": (
            LIMB,
            InfraredParameters(kind="cued_medium", false_alarms=False, cue_latency_s=5.0),
        ),
    }
    table = detect(cat, eph, truth, payloads, seed=9)
    sid = np.asarray(table.column("sensor_id").to_pylist())
    t = (
        table.column("time").cast("int64").to_numpy()
        - table.column("time").cast("int64").to_numpy().min()
    ) / 1e9
    cued_t = t[sid == "S001"]
    assert cued_t.size > 0 and cued_t.min() >= 5.0 + 1.0
    # Each cued frame sees exactly one threat: they are ~10 deg apart, the field is 1 deg.
    _, counts = np.unique(cued_t, return_counts=True)
    assert counts.max() == 1
    assert set(np.asarray(table.column("truth_id").to_pylist())[sid == "S001"]) == {"T00", "T01"}

"""A run's scene as CZML (tracklayer.io.scene and tracklayer.io.scene_layers).

References: the CZML packet reference (sampled values as ``[t, v, ...]`` seconds after
``epoch``; ``availability`` as ISO 8601 intervals; ``references`` as ``id#property``);
the distance between two points for a track's error against truth, with the truth's
straight-line motion interpolated exactly; Kepler's third law for the orbit margin.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from tracklayer.errors import InputFormatError
from tracklayer.frames import geodetic_to_ecef
from tracklayer.io.czml import JOINT_LEGEND, TRUTH_LEGEND, iso_utc
from tracklayer.io.scene import associate_tracks, scene_czml, scene_seconds
from tracklayer.io.scene_layers import (
    REGION_MARGIN_DEG,
    SIGHT_HOLD_S,
    SIGHT_LEGEND,
    WINDOW_LEAD_S,
    WINDOW_TAIL_S,
    box_of_degrees,
    raid_window,
    region_of,
)
from tracklayer.io.scene_sensing import (
    FALSE_ALARM_LEGEND,
    FALSE_ALARM_REACH_M,
    REGARD_LEGEND,
    line_of_sight_ends,
)

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)
EPOCH_NS = int(EPOCH.timestamp()) * 10**9
TS = pa.timestamp("ns", tz="UTC")
S = 10**9
#: Truth's straight-line velocity, m/s, and its start (ECEF, m).
V = np.array([0.0, 1.0e3, 2.0e3])
R0 = np.array([6.4e6, 0.0, 0.0])
#: The track's constant offset from truth, m: its error is |OFFSET| = 300 m.
OFFSET = np.array([0.0, 180.0, 240.0])


def _tables() -> dict[str, pa.Table]:
    """Two satellites (USA, JPN) over 0..600 s, one threat over 100..200 s every 10 s
    (boost until 130 s, then midcourse), a joint track offset from it, sampled at
    105, 115, ... s, and three detections of the threat plus a false alarm."""
    t = EPOCH_NS + np.arange(0, 610, 60, dtype=np.int64) * S
    n = t.size
    eph = pa.table(
        {
            "sat_id": ["S1"] * n + ["S2"] * n,
            "time": pa.array(np.concatenate([t, t]), TS),
            "x": np.concatenate([np.full(n, 7.0e6), np.full(n, -7.0e6)]),
            "y": np.concatenate([np.linspace(0, 7e4, n), np.zeros(n)]),
            "z": np.zeros(2 * n),
        }
    )
    sats = pa.table(
        {
            "sat_id": ["S1", "S2"],
            "owner": ["USA", "JPN"],
            "sensor": ["ir", "ir"],
            "mean_motion_rad_s": [2 * np.pi / 6000.0, 2 * np.pi / 6000.0],
        }
    )
    tt = np.arange(100, 201, 10)
    truth = pa.table(
        {
            "object_id": pa.array(["B1"] * tt.size).dictionary_encode(),
            "kind": pa.array(["ballistic"] * tt.size).dictionary_encode(),
            "time": pa.array(EPOCH_NS + tt * S, TS),
            **{a: R0[i] + V[i] * (tt - 100) for i, a in enumerate("xyz")},
            **{f"v{a}": np.full(tt.size, V[i]) for i, a in enumerate("xyz")},
            "phase": pa.array(["boost" if x < 130 else "midcourse" for x in tt]),
        }
    )
    kt = np.arange(105, 196, 10)
    cov = np.tile(np.diag([1e6, 4e6, 9e6, 1.0, 1.0, 1.0]).reshape(-1), kt.size)
    tracks = pa.table(
        {
            "track_id": ["J1"] * kt.size,
            "tracker": ["joint"] * kt.size,
            "time": pa.array(EPOCH_NS + kt * S, TS),
            **{a: R0[i] + V[i] * (kt - 100) + OFFSET[i] for i, a in enumerate("xyz")},
            **{f"v{a}": np.full(kt.size, V[i]) for i, a in enumerate("xyz")},
            "cov": pa.FixedSizeListArray.from_arrays(pa.array(cov), 36),
            "status": ["confirmed"] * kt.size,
        }
    )
    dt = np.array([110, 112, 150, 160])
    detections = pa.table(
        {
            "sensor_id": ["S1", "S1", "S1", "S2"],
            "owner": ["USA", "USA", "USA", "JPN"],
            "time": pa.array(EPOCH_NS + dt * S, TS),
            "sensor_x": [0.0, 0.0, 0.0, -7.0e6],
            "sensor_y": np.zeros(4),
            "sensor_z": np.zeros(4),
            "los_x": np.ones(4),
            "los_y": np.zeros(4),
            "los_z": np.zeros(4),
            "truth_id": pa.array(["B1", "B1", "B1", None]),
            "background": ["space", "space", "space", "earth"],
        }
    )
    return {
        "ephemeris": eph,
        "satellites": sats,
        "truth": truth,
        "tracks": tracks,
        "detections": detections,
    }


def _by_id() -> dict[str, dict]:
    doc = scene_czml(
        **_tables(), epoch=EPOCH, footprint_m={"S1": 3.0e6}, limb_rings={"S1": (2.5e6, 1.9e5)}
    )
    return {p["id"]: p for p in doc}


def test_scene_opens_on_the_raid_window_and_region() -> None:
    """The clock spans the threat's flight (100..200 s) with its margins, starts there and
    plays; the region packet comes right after the document and boxes the threat."""
    doc = scene_czml(**_tables(), epoch=EPOCH)
    clock = doc[0]["clock"]
    start, stop = (
        EPOCH_NS + (100 - int(WINDOW_LEAD_S)) * S,
        EPOCH_NS + (200 + int(WINDOW_TAIL_S)) * S,
    )
    assert clock["interval"] == f"{iso_utc(start)}/{iso_utc(stop)}"
    assert clock["currentTime"] == iso_utc(start)
    assert clock["multiplier"] > 1.0 and clock["step"] == "SYSTEM_CLOCK_MULTIPLIER"
    assert doc[1]["id"] == "region"
    region = doc[1]["properties"]
    assert region["west_deg"] == pytest.approx(-REGION_MARGIN_DEG, abs=1e-3)
    assert region["south_deg"] == pytest.approx(-REGION_MARGIN_DEG, abs=1e-3)
    assert region["east_deg"] > 0.0 and region["north_deg"] > 0.0


def test_every_object_has_a_kind_a_legend_and_its_samples() -> None:
    """One packet per object; satellites sampled at the table's times; legends name each
    kind once; the joint track is kind ``joint``."""
    by_id = _by_id()
    assert sorted(k for k in by_id if "/" in k and not k.startswith("sight/")) == [
        "false_alarms/S2",
        "regard/S1",
        "satellite/S1",
        "satellite/S2",
        "track/joint/J1",
        "truth/B1",
    ]
    s1 = by_id["satellite/S1"]
    assert s1["properties"]["owner"] == "USA" and s1["properties"]["legend"] == "USA satellites"
    assert s1["properties"]["period_s"] == 6000.0
    samples = np.array(s1["position"]["cartesian"]).reshape(-1, 4)
    np.testing.assert_allclose(samples[:, 0], np.arange(0, 610, 60))
    assert by_id["truth/B1"]["properties"]["legend"] == TRUTH_LEGEND
    track = by_id["track/joint/J1"]["properties"]
    assert track["kind"] == "joint" and track["legend"] == JOINT_LEGEND
    legends = {
        p["properties"]["legend"] for p in by_id.values() if "legend" in p.get("properties", {})
    }
    assert legends == {
        "USA satellites", "JPN satellites", TRUTH_LEGEND, JOINT_LEGEND, SIGHT_LEGEND,
        FALSE_ALARM_LEGEND, REGARD_LEGEND,
    }  # fmt: skip


def test_track_error_against_truth_and_three_sigma_size() -> None:
    """The track follows B1 and its error is |OFFSET| = 300 m at every sample (truth is
    interpolated between its 10 s samples to the track's times, exactly for straight-line
    motion); its 3-sigma size is 3 sqrt(9e6) = 9 km; its speed |V|."""
    props = _by_id()["track/joint/J1"]["properties"]
    assert props["truth"] == "B1"
    error = np.array(props["error_m"]["number"]).reshape(-1, 2)
    np.testing.assert_allclose(error[:, 1], 300.0, atol=0.5)
    assert props["sigma3_m"]["number"][1::2] == [9000.0] * 10
    np.testing.assert_allclose(props["speed_mps"]["number"][1::2], np.linalg.norm(V), atol=0.1)


def test_association_gate_and_nearest_threat() -> None:
    """Rows farther than the gate from every threat follow none; the nearer of two wins;
    a row outside a threat's flight is not compared with it."""
    t = EPOCH_NS + np.array([0, 10, 0, 10], dtype=np.int64) * S
    truth_pos = np.array([[0.0, 0, 0], [0, 0, 0], [5e3, 0, 0], [5e3, 0, 0]]) + R0
    ids = ["A", "A", "B", "B"]
    rows_t = EPOCH_NS + np.array([5, 5, 5, 20], dtype=np.int64) * S
    rows_p = np.array([[1e3, 0, 0], [4e3, 0, 0], [0, 2e5, 0], [0, 0, 0]]) + R0
    got = associate_tracks(ids, t, truth_pos, rows_t, rows_p, gate_m=1e5)
    assert got.object_id.tolist() == ["A", "B", "", ""]
    np.testing.assert_allclose(got.error_m[:2], [1e3, 1e3])
    assert np.isnan(got.error_m[2:]).all()


def test_threat_phase_over_time() -> None:
    """The threat's phase is an interval list: boost from 100 s to 130 s, midcourse to 200 s."""
    phase = _by_id()["truth/B1"]["properties"]["phase"]
    at = [iso_utc(EPOCH_NS + s * S) for s in (100, 130, 200)]
    assert phase == [
        {"interval": f"{at[0]}/{at[1]}", "string": "boost"},
        {"interval": f"{at[1]}/{at[2]}", "string": "midcourse"},
    ]


def test_sight_lines_follow_detections() -> None:
    """S1 saw B1 at 110, 112 and 150 s: two intervals (the 38 s gap splits them), each held
    SIGHT_HOLD_S; the line joins the satellite's and the threat's positions by reference.
    The false alarm (no truth) draws no threat sight line (it has its own packet)."""
    by_id = _by_id()
    sight = by_id["sight/S1/B1"]
    hold = int(SIGHT_HOLD_S)
    at = lambda s: iso_utc(EPOCH_NS + s * S)  # noqa: E731
    assert sight["availability"] == [f"{at(110)}/{at(112 + hold)}", f"{at(150)}/{at(150 + hold)}"]
    assert sight["polyline"]["positions"]["references"] == [
        "satellite/S1#position",
        "truth/B1#position",
    ]
    assert not any(k.startswith("sight/S2") for k in by_id)


def test_footprints_hidden_until_asked() -> None:
    """A satellite with a footprint radius has a hidden ground ellipse of that radius."""
    by_id = _by_id()
    ellipse = by_id["satellite/S1"]["ellipse"]
    assert ellipse["show"] is False
    assert ellipse["semiMajorAxis"] == ellipse["semiMinorAxis"] == 3.0e6
    assert by_id["satellite/S1"]["properties"]["footprint_m"] == 3.0e6
    assert "ellipse" not in by_id["satellite/S2"]


def test_region_of_points_and_across_the_antimeridian() -> None:
    """The box of points at known latitudes and longitudes, plus the margin; points either
    side of 180 deg give a box across it, not around the world."""
    pts = geodetic_to_ecef(np.radians([10.0, 20.0]), np.radians([100.0, 120.0]), [0.0, 5e4])
    w, s, e, n = region_of(pts, margin_deg=1.0)
    assert (w, s, e, n) == pytest.approx((99.0, 9.0, 121.0, 21.0), abs=1e-3)
    pts = geodetic_to_ecef(np.radians([0.0, 0.0]), np.radians([175.0, -175.0]), [0.0, 0.0])
    w, _, e, _ = region_of(pts, margin_deg=1.0)
    assert (w, e) == pytest.approx((174.0, 186.0), abs=1e-3)


def test_raid_window_stays_within_the_span() -> None:
    """The window's margins are cut at the scene's span; without threats it is the span."""
    truth = np.array([EPOCH_NS + 5 * S, EPOCH_NS + 50 * S])
    assert raid_window(EPOCH_NS, EPOCH_NS + 70 * S, truth) == (EPOCH_NS, EPOCH_NS + 70 * S)
    empty = np.zeros(0, dtype=np.int64)
    assert raid_window(EPOCH_NS, EPOCH_NS + S, empty) == (EPOCH_NS, EPOCH_NS + S)


def test_scene_seconds_cover_half_an_orbit_either_side() -> None:
    """Satellites are sampled half the longest LEO period (6000 s: 3000 s) before and after
    the run, every step; a geostationary period (over 3 h) adds nothing."""
    sats = pa.table({"mean_motion_rad_s": [2 * np.pi / 6000.0, 7.292e-5]})
    seconds = scene_seconds(600.0, sats, 60.0)
    assert seconds[0] == -3000.0 and seconds[-1] == 3600.0
    np.testing.assert_allclose(np.diff(seconds), 60.0)
    geo = scene_seconds(600.0, sats.slice(1), 60.0)
    assert geo[0] == 0.0 and geo[-1] == 600.0


def test_scene_is_thinned_keeping_first_and_last() -> None:
    """max_samples=4 keeps 4 samples per object, the first and last among them."""
    doc = scene_czml(**_tables(), max_samples=4)
    for packet in doc:
        if packet["id"].startswith(("satellite/", "truth/", "track/")):
            t = np.array(packet["position"]["cartesian"]).reshape(-1, 4)[:, 0]
            assert len(t) == 4 and t[0] == 0.0


def test_scene_errors_name_the_table_and_column() -> None:
    """A table without a needed column is refused with its name."""
    with pytest.raises(InputFormatError, match="truth: column 'x'"):
        scene_czml(truth=_tables()["truth"].drop_columns(["x"]))


def test_empty_scene_is_the_document_alone() -> None:
    """No tables: only the document, without a clock."""
    assert scene_czml() == [{"id": "document", "name": "tracklayer run", "version": "1.0"}]


def test_descriptions_for_other_viewers() -> None:
    """Each packet's static description (for viewers other than the page) sums it up: the
    track's error (300 m throughout) and 3-sigma size, the threat's phases, the satellite's
    owner and footprint."""
    by_id = _by_id()
    track = by_id["track/joint/J1"]["description"]
    assert "B1" in track and "300 m / 300 m" in track and "9,000 m / 9,000 m" in track
    assert "boost → midcourse" in by_id["truth/B1"]["description"]
    satellite = by_id["satellite/S1"]["description"]
    assert "USA" in satellite and "3,000 km" in satellite and "100.0 min" in satellite


def test_box_of_degrees_wraps_longitudes() -> None:
    """Longitudes in any turn (190 = -170) give the same box; a box across 180 runs east."""
    assert box_of_degrees([10.0, 20.0], [100.0, 120.0]) == (100.0, 10.0, 120.0, 20.0)
    assert box_of_degrees([0.0, 5.0], [170.0, 190.0]) == (170.0, 0.0, 190.0, 5.0)
    assert box_of_degrees([0.0, 5.0], [170.0, -170.0], 1.0) == (169.0, -1.0, 191.0, 6.0)


def test_false_alarms_draw_their_lines_of_sight() -> None:
    """S2's false alarm at 160 s, looking from (-7,000 km, 0, 0) towards the centre, ends on
    the ellipsoid at the equator, x = -a (WGS84 a = 6,378,137 m; 1 m); held SIGHT_HOLD_S,
    dashed, with what lay behind it."""
    packet = _by_id()["false_alarms/S2"]
    at = lambda s: iso_utc(EPOCH_NS + s * S)  # noqa: E731
    interval = f"{at(160)}/{at(160 + int(SIGHT_HOLD_S))}"
    assert packet["availability"] == [interval]
    (positions,) = packet["polyline"]["positions"]
    assert positions["interval"] == interval
    np.testing.assert_allclose(positions["cartesian"], [-7.0e6, 0, 0, -6378137.0, 0, 0], atol=1.0)
    assert "polylineDash" in packet["polyline"]["material"]
    assert packet["properties"]["kind"] == "false_alarm"
    assert packet["properties"]["background"] == [{"interval": interval, "string": "earth"}]


def test_line_of_sight_ends_on_the_earth_at_its_limb_or_in_space() -> None:
    """References: a ray from (2a, 0, 0) tilted 10 deg from nadir meets the sphere of the
    equatorial plane where |s + t u| = a (nearer root; the equator is a circle of radius a
    on the ellipsoid); a ray from (0, 0, 2a) tilted 40 deg passes the Earth (the disc's edge
    is at 30 deg) and ends at its closest approach, 2a sin 40 deg from the centre; a ray
    looking up ends FALSE_ALARM_REACH_M out. Tolerance 1 m."""
    a = 6378137.0
    eta = np.radians(10.0)
    u1 = np.array([-np.cos(eta), np.sin(eta), 0.0])
    s1 = np.array([2 * a, 0.0, 0.0])
    b = float(s1 @ u1)
    t1 = -b - np.sqrt(b * b - (4 * a * a - a * a))
    tilt = np.radians(40.0)
    u2 = np.array([np.sin(tilt), 0.0, -np.cos(tilt)])
    s2 = np.array([0.0, 0.0, 2 * a])
    ends = line_of_sight_ends(np.stack([s1, s2, s1]), np.stack([u1, u2, np.array([1.0, 0.0, 0.0])]))
    np.testing.assert_allclose(ends[0], s1 + t1 * u1, atol=1.0)
    assert np.linalg.norm(ends[1]) == pytest.approx(2 * a * np.sin(tilt), abs=1.0)
    assert float(ends[1] @ u2) == pytest.approx(0.0, abs=1.0)
    np.testing.assert_allclose(ends[2], s1 + FALSE_ALARM_REACH_M * np.array([1.0, 0, 0]), atol=1.0)


def test_field_of_regard_above_the_limb_rides_with_its_satellite() -> None:
    """A satellite given a ring gets a ``regard`` packet at the satellite's position (a
    reference), an outlined ellipse of the ring's radius at its height, in its colour."""
    by_id = _by_id()
    ring = by_id["regard/S1"]
    assert ring["position"] == {"reference": "satellite/S1#position"}
    ellipse = ring["ellipse"]
    assert ellipse["semiMajorAxis"] == ellipse["semiMinorAxis"] == 2.5e6
    assert ellipse["height"] == 1.9e5 and ellipse["outline"] and not ellipse["fill"]
    assert (
        ellipse["outlineColor"]["rgba"][:3] == by_id["satellite/S1"]["point"]["color"]["rgba"][:3]
    )
    assert ring["properties"]["kind"] == "regard" and "regard/S2" not in by_id

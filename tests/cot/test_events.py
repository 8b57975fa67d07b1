"""CoT events of track states: XML, TAK protobuf, and the geometry they carry."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
import takproto

from tracklayer.constants import WGS84_A_M
from tracklayer.cot.events import event_geometry, event_uid, to_protobuf, track_events
from tracklayer.frames import geodetic_to_ecef

NOW = datetime(2027, 3, 1, 0, 5, tzinfo=UTC)
ONE_CM = 0.01


def record(
    pos: Any, vel: Any, cov_diag: Any = (1e4, 1e4, 1e4, 25.0, 25.0, 25.0), **fields: Any
) -> dict[str, Any]:
    return {
        "track_id": "T7",
        "tracker": "USA",
        "time": "2027-03-01T00:04:58.250000Z",
        **dict(zip(("x", "y", "z", "vx", "vy", "vz"), [*pos, *vel], strict=True)),
        "cov": np.diag(cov_diag).reshape(-1).tolist(),
        "status": "confirmed",
        **fields,
    }


def test_geometry_on_the_equator_against_closed_form() -> None:
    """At latitude 0, longitude 0, ECEF x is up, y east, z north: a state at x = a + h has
    hae = h; a velocity along +z heads north (course 0), along +y east (course 90); a
    position covariance diag(σx², σy², σz²) gives le = σx and ce = max(σy, σz)."""
    h = 30_000.0
    state = np.array([[WGS84_A_M + h, 0, 0, 50.0, 0, 2000.0], [WGS84_A_M + h, 0, 0, 0, 1500, 0]])
    cov = np.diag([100.0**2, 300.0**2, 200.0**2, 1, 1, 1])[None].repeat(2, axis=0)
    geo = event_geometry(state, cov)
    np.testing.assert_allclose(geo.lat_deg, 0.0, atol=1e-12)
    np.testing.assert_allclose(geo.lon_deg, 0.0, atol=1e-12)
    np.testing.assert_allclose(geo.hae_m, h, atol=ONE_CM)
    np.testing.assert_allclose(geo.course_deg, [0.0, 90.0], atol=1e-9)
    np.testing.assert_allclose(geo.ground_speed_mps, [2000.0, 1500.0], atol=1e-9)
    np.testing.assert_allclose(geo.climb_mps, [50.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(geo.ce_m, 300.0, rtol=1e-12)
    np.testing.assert_allclose(geo.le_m, 100.0, rtol=1e-12)


def test_geometry_round_trips_geodetic_points_and_headings() -> None:
    """Geodetic points (NIMA TR8350.2 forward formula) come back within 1 cm and 1e-9 deg;
    a velocity built from a course c and ground speed s in the local east-north plane
    comes back as c and s; a covariance isotropic in position gives ce = le = σ."""
    rng = np.random.default_rng(7)
    lat = rng.uniform(-80, 80, 50)
    lon = rng.uniform(-179, 179, 50)
    hae = rng.uniform(0, 1.2e6, 50)
    course = rng.uniform(0, 360, 50)
    pos = geodetic_to_ecef(np.radians(lat), np.radians(lon), hae)
    la, lo, c = np.radians(lat), np.radians(lon), np.radians(course)
    east = np.stack([-np.sin(lo), np.cos(lo), np.zeros(50)], axis=1)
    north = np.stack([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)], axis=1)
    vel = 2500.0 * (np.sin(c)[:, None] * east + np.cos(c)[:, None] * north)
    cov = np.diag([400.0**2] * 3 + [1.0] * 3)[None].repeat(50, axis=0)
    geo = event_geometry(np.hstack([pos, vel]), cov)
    np.testing.assert_allclose(geo.lat_deg, lat, atol=1e-9)
    np.testing.assert_allclose(geo.lon_deg, lon, atol=1e-9)
    np.testing.assert_allclose(geo.hae_m, hae, atol=ONE_CM)
    np.testing.assert_allclose(geo.course_deg, course, atol=1e-8)
    np.testing.assert_allclose(geo.ground_speed_mps, 2500.0, rtol=1e-12)
    np.testing.assert_allclose(geo.ce_m, 400.0, rtol=1e-9)
    np.testing.assert_allclose(geo.le_m, 400.0, rtol=1e-9)


def test_xml_event_carries_type_times_point_and_release() -> None:
    pos = geodetic_to_ecef(np.radians(35.0), np.radians(135.0), 40_000.0)
    rec = record(pos, (0.0, 0.0, 0.0))
    tentative = {**rec, "track_id": "T8", "status": "tentative"}
    deleted = {**rec, "track_id": "T9", "status": "deleted"}
    texts = track_events([rec, tentative, deleted], "JPN", stale_s=60.0, now=NOW)
    assert all(t.startswith(b'<?xml version="1.0" encoding="UTF-8"?>') for t in texts)
    event, weak, gone = (ET.fromstring(t) for t in texts)
    assert event.tag == "event" and event.get("version") == "2.0"
    assert event.get("uid") == event_uid("JPN", "USA", "T7") == "tracklayer.JPN.USA.T7"
    assert event.get("type") == "a-h-A-W-M-S-S"  # hostile surface-to-surface missile
    assert weak.get("type") == "a-s-A-W-M-S-S"  # a tentative track is suspect
    assert event.get("how") == "m-f"
    assert event.get("access") == "REL TO JPN"
    assert event.get("time") == "2027-03-01T00:05:00.000000Z"
    assert event.get("start") == "2027-03-01T00:04:58.250000Z"
    assert event.get("stale") == "2027-03-01T00:05:58.250000Z"
    assert gone.get("stale") == gone.get("start")  # deleted: stale at once
    point = event.find("point")
    assert point is not None
    assert float(point.get("lat", "nan")) == pytest.approx(35.0, abs=1e-7)
    assert float(point.get("lon", "nan")) == pytest.approx(135.0, abs=1e-7)
    assert float(point.get("hae", "nan")) == pytest.approx(40_000.0, abs=0.1)
    assert float(point.get("ce", "nan")) == pytest.approx(100.0, abs=0.1)
    assert float(point.get("le", "nan")) == pytest.approx(100.0, abs=0.1)
    contact = event.find("detail/contact")
    assert contact is not None and contact.get("callsign") == "USA T7"
    remarks = event.findtext("detail/remarks") or ""
    assert "confirmed" in remarks and "altitude 40.0 km" in remarks


def test_system_track_remarks_name_their_sources() -> None:
    pos = geodetic_to_ecef(0.5, 2.0, 20_000.0)
    rec = record(
        pos,
        (0.0, 0.0, 0.0),
        tracker="joint",
        track_id="J-USA-T7",
        sources=[{"tracker": "USA", "track_id": "T7"}, {"tracker": "JPN", "track_id": "4"}],
    )
    event = ET.fromstring(track_events([rec], "JPN", 30.0, NOW)[0])
    assert event.get("uid") == "tracklayer.JPN.joint.J-USA-T7"
    assert "fused from USA T7, JPN 4" in (event.findtext("detail/remarks") or "")


@pytest.mark.parametrize("mesh", [False, True])
def test_protobuf_round_trip_keeps_the_event(mesh: bool) -> None:
    """TAK protocol version 1: the stream framing (0xbf, varint length) or the mesh framing
    (0xbf 0x01 0xbf) of a TakMessage whose CotEvent holds the XML event's fields."""
    pos = geodetic_to_ecef(np.radians(-12.5), np.radians(150.25), 75_000.0)
    xml = track_events([record(pos, (1000.0, -2000.0, 500.0))], "KOR", 45.0, NOW)[0]
    data = to_protobuf(xml, mesh=mesh)
    assert data[:3] == b"\xbf\x01\xbf" if mesh else data[0] == 0xBF
    message = takproto.parse_proto(bytearray(data))
    assert message is not None
    cot = message.cotEvent
    event = ET.fromstring(xml)
    point = event.find("point")
    assert point is not None
    assert (cot.uid, cot.type, cot.how, cot.access) == (
        "tracklayer.KOR.USA.T7",
        "a-h-A-W-M-S-S",
        "m-f",
        "REL TO KOR",
    )
    for name in ("lat", "lon", "hae", "ce", "le"):
        assert getattr(cot, name) == float(point.get(name, "nan")), name
    start_ms = int(datetime(2027, 3, 1, 0, 4, 58, 250000, tzinfo=UTC).timestamp() * 1000)
    assert (cot.startTime, cot.staleTime) == (start_ms, start_ms + 45_000)
    assert cot.sendTime == int(NOW.timestamp() * 1000)
    assert cot.detail.contact.callsign == "USA T7"
    track = event.find("detail/track")
    assert track is not None
    assert cot.detail.track.course == float(track.get("course", "nan"))
    assert cot.detail.track.speed == float(track.get("speed", "nan"))
    assert "<remarks>USA track T7, confirmed" in cot.detail.xmlDetail


def test_bad_stale_time_is_refused() -> None:
    with pytest.raises(ValueError, match="stale_s"):
        track_events([record((7e6, 0, 0), (0, 0, 0))], "JPN", 0.0)
    assert track_events([], "JPN", 10.0) == []

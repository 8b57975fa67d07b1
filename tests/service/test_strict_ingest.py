"""Ingest is strict: numbers are JSON numbers, times ISO 8601 text with a zone, positions
outside the Earth, time ranges in order.

References: RFC 8259 (a JSON number is not a string), ISO 8601 / RFC 3339 §5.6 (date-time
with an offset), WGS84 (semi-axes 6,378,137 m and 6,356,752.3 m; the deepest point of the
ocean, the Challenger Deep, is about 10.9 km down, so a position 12 km or more below the
ellipsoid is inside the Earth).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.conftest import auth, message, track_state


def _post(client: Any, token: str, body: dict[str, Any], route: str = "tracks") -> Any:
    return client.post(f"/api/v1/{route}", json=body, headers=auth(token))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("x", "7000000"),
        ("vx", "100.0"),
        ("x", True),
        ("time", 1796290000),
        ("time", 1796290000.5),
        ("time", "1796290000"),
        ("time", "2027-03-01T00:00:00"),
    ],
)
def test_lax_types_are_refused_naming_the_field(
    service: tuple[Any, dict[str, str]], field: str, value: Any
) -> None:
    client, tok = service
    state = track_state("USA", "T1")
    state[field] = value
    r = _post(client, tok["USA"], message("m", "all", [state]))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "tracks", 0, field]
    assert client.get("/api/v1/tracks", headers=auth(tok["USA"])).json()["tracks"] == []


def test_cov_entries_must_be_numbers(service: tuple[Any, dict[str, str]]) -> None:
    client, tok = service
    state = track_state("USA", "T1")
    state["cov"] = [str(v) for v in state["cov"]]
    r = _post(client, tok["USA"], message("m", "all", [state]))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:5] == ["body", "tracks", 0, "cov", 0]


def test_integers_and_offsets_are_accepted(service: tuple[Any, dict[str, str]]) -> None:
    """An integer is a JSON number; a time with any UTC offset is ISO 8601 with a zone."""
    client, tok = service
    state = track_state("USA", "T1")
    state["x"] = 6_500_000
    state["time"] = "2027-03-01T09:00:00+09:00"
    r = _post(client, tok["USA"], message("m", "all", [state]))
    assert r.status_code == 201, r.text
    got = client.get("/api/v1/tracks", headers=auth(tok["USA"])).json()["tracks"][0]
    assert got["time"] == "2027-03-01T00:00:00Z" and got["x"] == 6.5e6


def _detection(sensor: tuple[float, float, float]) -> dict[str, Any]:
    return {
        "det_id": "D1",
        "sensor_id": "S1",
        "sensor_kind": "ir",
        "owner": "USA",
        "time": "2027-03-01T00:00:00Z",
        "los_x": 0.6,
        "los_y": 0.8,
        "los_z": 0.0,
        "sensor_x": sensor[0],
        "sensor_y": sensor[1],
        "sensor_z": sensor[2],
        "sigma_rad": 2e-5,
    }


@pytest.mark.parametrize(
    ("sensor", "status"),
    [
        ((0.0, 0.0, 0.0), 422),  # the geocentre
        ((6.0e6, 0.0, 0.0), 422),  # 378 km under the equator
        ((0.0, 0.0, 6.3e6), 422),  # 57 km under the pole
        ((6_378_137.0 - 11_000.0, 0.0, 0.0), 201),  # 11 km deep: a deep-ocean sensor
        ((6_378_137.0 + 10.0, 0.0, 0.0), 201),  # on the ground
        ((4.2164e7, 0.0, 0.0), 201),  # geostationary
    ],
)
def test_sensor_inside_the_earth_is_refused(
    service: tuple[Any, dict[str, str]], sensor: tuple[float, float, float], status: int
) -> None:
    client, tok = service
    body = {"message_id": "d", "releasable_to": "all", "detections": [_detection(sensor)]}
    r = _post(client, tok["USA"], body, "detections")
    assert r.status_code == status, r.text
    if status == 422:
        assert r.json()["detail"][0]["loc"] == ["body", "detections", 0, "sensor_x"]
        assert "inside the Earth" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("pos", "status"),
    [((0.0, 0.0, 6.33e6), 422), ((6.1e6, 1e5, 0.0), 422), ((6.4e6, 1e5, 0.0), 201)],
)
def test_track_inside_the_earth_is_refused(
    service: tuple[Any, dict[str, str]], pos: tuple[float, float, float], status: int
) -> None:
    client, tok = service
    r = _post(client, tok["USA"], message("m", "all", [track_state("USA", "T", pos=pos)]))
    assert r.status_code == status, r.text


@pytest.mark.parametrize(
    "route",
    ["/api/v1/tracks", "/api/v1/detections", "/api/v1/export/parquet", "/api/v1/export/czml"],
)
def test_reversed_time_range_is_a_422(service: tuple[Any, dict[str, str]], route: str) -> None:
    client, tok = service
    params = {"start": "2027-03-02T00:00:00Z", "end": "2027-03-01T00:00:00Z"}
    r = client.get(route, params=params, headers=auth(tok["USA"]))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "end"]
    r = client.get("/api/v1/tracks/USA/T1", params=params, headers=auth(tok["USA"]))
    assert r.status_code == 422
    same = {"start": "2027-03-01T00:00:00Z", "end": "2027-03-01T00:00:00Z"}
    assert client.get(route, params=same, headers=auth(tok["USA"])).status_code == 200

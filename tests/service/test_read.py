"""Reading: picture with fusion, history by time range, exports, audit, stream, health, logs."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.service.conftest import auth, message, track_state

POS = (6.5e6, 1.0e5, 2.0e5)
VEL = (100.0, 2000.0, 1500.0)


def _post(client: Any, token: str, mid: str, release: Any, tracks: list[Any]) -> None:
    r = client.post("/api/v1/tracks", json=message(mid, release, tracks), headers=auth(token))
    assert r.status_code == 201, r.text


def test_health_and_openapi(service: tuple[Any, dict[str, str]]) -> None:
    """/health answers without a token; the OpenAPI schema lists the routes."""
    client, _ = service
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["schema_revision"] == "0002"
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/tracks", "/api/v1/picture", "/api/v1/export/czml", "/api/v1/audit"):
        assert path in paths


def test_picture_fuses_two_owners(service: tuple[Any, dict[str, str]]) -> None:
    """USA and JPN track one threat 1 s apart; JPN sees one fused track of both, KOR none.

    Reference: the construction (JPN's state is USA's propagated 1 s, plus 30 m);
    the fused position must lie within 3 sigma of each input and have a smaller trace.
    """
    client, tok = service
    client.app.state.manual_clock.set(1.0)  # the server clock: the fusion's epoch
    _post(client, tok["USA"], "u1", ["JPN"], [track_state("USA", "U1", 0.0, POS, VEL)])
    moved = tuple(p + v + 30.0 for p, v in zip(POS, VEL, strict=True))
    _post(client, tok["JPN"], "j1", [], [track_state("JPN", "J1", 1.0, moved, VEL)])
    pic = client.get("/api/v1/picture", headers=auth(tok["JPN"])).json()
    assert pic["time"] == "2027-03-01T00:00:01Z"
    assert len(pic["national"]) == 2
    assert len(pic["fused"]) == 1
    fused = pic["fused"][0]
    assert fused["tracker"] == "fused" and fused["track_id"] == "J-JPN-J1"
    assert {(s["tracker"], s["track_id"]) for s in fused["sources"]} == {
        ("USA", "U1"),
        ("JPN", "J1"),
    }
    cov = np.array(fused["cov"]).reshape(6, 6)
    assert np.trace(cov) < 6e4
    err = np.array([fused["x"], fused["y"], fused["z"]]) - np.array(moved)
    assert np.all(np.abs(err) < 3 * np.sqrt(np.diag(cov)[:3]) + 30.0)
    usa = client.get("/api/v1/picture", headers=auth(tok["USA"])).json()
    assert [t["track_id"] for t in usa["national"]] == ["U1"]
    assert client.get("/api/v1/picture", headers=auth(tok["KOR"])).json() == {
        "partner": "KOR",
        "time": "2027-03-01T00:00:01Z",
        "national": [],
        "fused": [],
    }


def test_picture_drops_deleted_and_stale(service: tuple[Any, dict[str, str]]) -> None:
    """A track whose latest state is deleted, or older than max_age_s, is not in the picture.

    The server clock reads EPOCH + 100 s; at EPOCH - 1 s, states up to EPOCH + 4 s are
    current (5 s skew): A's first state, not its deletion at EPOCH + 5 s.
    """
    client, tok = service
    client.app.state.manual_clock.set(100.0)
    _post(client, tok["USA"], "a", "all", [track_state("USA", "A", 0.0)])
    _post(client, tok["USA"], "b", "all", [track_state("USA", "A", 5.0, status="deleted")])
    _post(client, tok["USA"], "c", "all", [track_state("USA", "B", 10.0, pos=(6.6e6, 0, 0))])
    _post(client, tok["USA"], "d", "all", [track_state("USA", "C", 100.0, pos=(6.7e6, 0, 0))])
    pic = client.get("/api/v1/picture", headers=auth(tok["JPN"])).json()
    assert [t["track_id"] for t in pic["national"]] == ["C"]
    pic = client.get("/api/v1/picture", params={"max_age_s": 1000}, headers=auth(tok["JPN"])).json()
    assert [t["track_id"] for t in pic["national"]] == ["B", "C"]
    at = "2027-02-28T23:59:59Z"
    pic = client.get("/api/v1/picture", params={"at": at}, headers=auth(tok["JPN"])).json()
    assert [t["track_id"] for t in pic["national"]] == ["A"]


def test_history_by_time_range(service: tuple[Any, dict[str, str]]) -> None:
    """History returns visible states with start <= time <= end, oldest first; limit truncates."""
    client, tok = service
    _post(client, tok["USA"], "m", "all", [track_state("USA", f"T{i}", float(i)) for i in range(6)])
    params = {"start": "2027-03-01T00:00:01Z", "end": "2027-03-01T00:00:03Z"}
    got = client.get("/api/v1/tracks", params=params, headers=auth(tok["KOR"])).json()
    assert [t["track_id"] for t in got["tracks"]] == ["T1", "T2", "T3"]
    assert got["truncated"] is False
    got = client.get("/api/v1/tracks", params={"limit": 2}, headers=auth(tok["KOR"])).json()
    assert [t["track_id"] for t in got["tracks"]] == ["T0", "T1"] and got["truncated"]
    bad = client.get(
        "/api/v1/tracks", params={"start": "2027-03-01T00:00:01"}, headers=auth(tok["KOR"])
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "start"]


def test_parquet_export_is_the_tracks_table(service: tuple[Any, dict[str, str]]) -> None:
    """The Parquet export has the tracks table's columns and types, and the posted values."""
    client, tok = service
    sent = [track_state("USA", f"T{i}", float(i)) for i in range(3)]
    _post(client, tok["USA"], "m", ["JPN"], sent)
    r = client.get("/api/v1/export/parquet", headers=auth(tok["JPN"]))
    table = pq.read_table(io.BytesIO(r.content))
    assert table.column_names == [
        "track_id",
        "tracker",
        "time",
        "x",
        "y",
        "z",
        "vx",
        "vy",
        "vz",
        "cov",
        "status",
    ]
    assert table.schema.field("time").type == pa.timestamp("ns", tz="UTC")
    assert table.column("track_id").to_pylist() == ["T0", "T1", "T2"]
    assert table.column("cov").to_pylist()[1] == sent[1]["cov"]
    empty = client.get("/api/v1/export/parquet", headers=auth(tok["KOR"]))
    assert pq.read_table(io.BytesIO(empty.content)).num_rows == 0


def test_czml_export(service: tuple[Any, dict[str, str]]) -> None:
    """CZML: a document packet, sampled FIXED positions per track, fused ellipsoids.

    Reference: the CZML guide (position.cartesian as [t, x, y, z, ...] after an epoch;
    orientation.unitQuaternion [x, y, z, w]). The ellipsoid's radii are 3 sigma of the
    position covariance's principal axes: checked by rotating them back into ECEF.
    """
    client, tok = service
    _post(
        client,
        tok["USA"],
        "m",
        "all",
        [track_state("USA", "T", float(i), (POS[0] + 10 * i, POS[1], POS[2])) for i in range(3)],
    )
    doc = client.get("/api/v1/export/czml", headers=auth(tok["JPN"])).json()
    assert doc[0]["id"] == "document" and doc[0]["version"] == "1.0"
    track = next(p for p in doc if p["id"] == "track/USA/T")
    assert track["position"]["referenceFrame"] == "FIXED"
    assert track["position"]["cartesian"][:4] == [0.0, POS[0], POS[1], POS[2]]
    assert track["position"]["cartesian"][4] == 1.0
    fused = next(p for p in doc if p["id"].startswith("fused/"))
    from scipy.spatial.transform import Rotation

    rot = Rotation.from_quat(fused["orientation"]["unitQuaternion"]).as_matrix()
    radii = np.array(fused["ellipsoid"]["radii"]["cartesian"])
    cov = rot @ np.diag((radii / 3.0) ** 2) @ rot.T
    pic = client.get("/api/v1/picture", headers=auth(tok["JPN"])).json()
    expected = np.array(pic["fused"][0]["cov"]).reshape(6, 6)[:3, :3]
    np.testing.assert_allclose(cov, expected, rtol=1e-9)


def test_audit_log_records_reads_and_writes(service: tuple[Any, dict[str, str]]) -> None:
    """Every write and read is audited by partner; a partner reads only its own entries."""
    client, tok = service
    _post(client, tok["USA"], "m", "all", [track_state("USA", "T")])
    client.get("/api/v1/picture", headers=auth(tok["JPN"]))
    client.get("/api/v1/tracks/USA/nope", headers=auth(tok["JPN"]))
    client.get("/api/v1/picture", headers=auth("tl_wrong"))
    jpn = client.get("/api/v1/audit", headers=auth(tok["JPN"])).json()["entries"]
    assert [(e["action"], e["status"]) for e in jpn] == [("read_track", 404), ("read_picture", 200)]
    assert all(e["partner"] == "JPN" for e in jpn)
    usa = client.get("/api/v1/audit", headers=auth(tok["USA"])).json()["entries"]
    assert ("ingest_tracks", "m", 1, 201) in [
        (e["action"], e["target"], e["n_records"], e["status"]) for e in usa
    ]
    from tracklayer.service.audit import read_audit

    everyone = read_audit(client.app.state.engine)
    assert any(e.action == "auth_refused" and e.partner is None for e in everyone)


def test_refused_tokens(service: tuple[Any, dict[str, str]]) -> None:
    """Missing, malformed, unknown and revoked tokens get the same 401; nothing is stored."""
    from tracklayer.service.auth import revoke_partner

    client, tok = service
    revoke_partner(client.app.state.engine, "KOR")
    body = message("m", "all", [track_state("KOR", "T")])
    answers = [
        client.post("/api/v1/tracks", json=body),
        client.post("/api/v1/tracks", json=body, headers={"Authorization": "Basic abc"}),
        client.post("/api/v1/tracks", json=body, headers=auth("tl_" + "x" * 43)),
        client.post("/api/v1/tracks", json=body, headers=auth(tok["KOR"])),
        client.get("/api/v1/picture", headers=auth(tok["KOR"])),
    ]
    assert {r.status_code for r in answers} == {401}
    assert {r.text for r in answers} == {'{"detail":"missing, unknown or revoked token"}'}
    assert client.get("/api/v1/tracks", headers=auth(tok["USA"])).json()["tracks"] == []


def test_stream_delivers_released_updates(service_either: tuple[Any, dict[str, str]]) -> None:
    """A subscriber gets hello, a picture, then the updates released to it, in order, and
    the system tracks (``fused``) computed from them alone."""
    client, tok = service_either
    with client.websocket_connect("/api/v1/stream", headers=auth(tok["JPN"])) as ws:
        assert ws.receive_json() == {"type": "hello", "partner": "JPN"}
        assert ws.receive_json()["type"] == "picture"
        _post(client, tok["USA"], "hidden", ["KOR"], [track_state("USA", "H")])
        _post(client, tok["USA"], "shown", ["JPN"], [track_state("USA", "S")])
        got = ws.receive_json()
        assert got["type"] == "tracks" and got["message_id"] == "shown"
        assert [t["track_id"] for t in got["tracks"]] == ["S"]
        while (update := ws.receive_json())["type"] != "fused":
            pass
        assert set(update) == {"type", "partner", "time", "fused"}
        assert [s["track_id"] for t in update["fused"] for s in t["sources"]] == ["S"]


def test_stream_refuses_bad_tokens(service: tuple[Any, dict[str, str]]) -> None:
    """A WebSocket with a wrong token, or none in time, is closed with code 1008."""
    from starlette.websockets import WebSocketDisconnect

    client, _ = service
    with client.websocket_connect("/api/v1/stream") as ws:
        ws.send_json({"token": "tl_nope"})
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_json()
    assert info.value.code == 1008


def test_structured_request_logs(
    service: tuple[Any, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    """Each request logs one JSON line with method, path, status, partner; never the token."""
    from tracklayer.service.logs import JsonFormatter

    client, tok = service
    with caplog.at_level(logging.INFO, logger="tracklayer.service.request"):
        client.get("/api/v1/picture", headers=auth(tok["USA"]))
    record = next(r for r in caplog.records if r.name == "tracklayer.service.request")
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "request"
    assert (line["method"], line["path"], line["status"], line["partner"]) == (
        "GET",
        "/api/v1/picture",
        200,
        "USA",
    )
    assert tok["USA"] not in JsonFormatter().format(record)

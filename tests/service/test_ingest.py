"""Ingest: validation naming the field, all-or-nothing storage, idempotent retries."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from tests.service.conftest import auth, message, spd_cov, track_state


def _count(client: Any, token: str) -> int:
    return len(client.get("/api/v1/tracks", headers=auth(token)).json()["tracks"])


def test_ingest_then_read_back(service: tuple[Any, dict[str, str]]) -> None:
    """A stored message reads back field by field (exact floats, time to the microsecond)."""
    client, tok = service
    cov = spd_cov(np.random.default_rng(1))
    sent = track_state("USA", "T1", t_s=1.25, cov=cov, status="tentative")
    r = client.post("/api/v1/tracks", json=message("m1", ["JPN"], [sent]), headers=auth(tok["USA"]))
    assert r.status_code == 201
    assert r.json() == {"message_id": "m1", "accepted": 1, "duplicate": False}
    got = client.get("/api/v1/tracks", headers=auth(tok["JPN"])).json()["tracks"]
    assert len(got) == 1
    for key in ("track_id", "tracker", "x", "y", "z", "vx", "vy", "vz", "cov", "status"):
        assert got[0][key] == sent[key]
    assert got[0]["time"] == "2027-03-01T00:00:01.250000Z"


def test_retry_is_acknowledged_and_stored_once(service: tuple[Any, dict[str, str]]) -> None:
    """The same message id and content twice: 201 then 200 duplicate; one copy stored."""
    client, tok = service
    body = message("m1", "all", [track_state("USA", "T1"), track_state("USA", "T2")])
    assert client.post("/api/v1/tracks", json=body, headers=auth(tok["USA"])).status_code == 201
    again = client.post("/api/v1/tracks", json=body, headers=auth(tok["USA"]))
    assert again.status_code == 200
    assert again.json() == {"message_id": "m1", "accepted": 2, "duplicate": True}
    assert _count(client, tok["USA"]) == 2


def test_reused_id_with_other_content_is_refused(service: tuple[Any, dict[str, str]]) -> None:
    """A message id reused for different content: 409, nothing stored."""
    client, tok = service
    client.post(
        "/api/v1/tracks",
        json=message("m1", "all", [track_state("USA", "T1")]),
        headers=auth(tok["USA"]),
    )
    r = client.post(
        "/api/v1/tracks",
        json=message("m1", "all", [track_state("USA", "T9")]),
        headers=auth(tok["USA"]),
    )
    assert r.status_code == 409
    assert "m1" in r.json()["detail"]
    assert _count(client, tok["USA"]) == 1


def test_message_ids_are_scoped_per_sender(service: tuple[Any, dict[str, str]]) -> None:
    """Two partners may use the same message id; each is stored."""
    client, tok = service
    for code in ("USA", "JPN"):
        body = message("same", "all", [track_state(code, "T1")])
        assert client.post("/api/v1/tracks", json=body, headers=auth(tok[code])).status_code == 201
    assert _count(client, tok["KOR"]) == 2


BAD_CASES: list[tuple[str, Any, list[Any]]] = [
    ("time", "2027-03-01T00:00:00", ["body", "tracks", 1, "time"]),
    ("x", float("nan"), ["body", "tracks", 1, "x"]),
    ("vx", 1e6, ["body", "tracks", 1, "vx"]),
    ("cov", [1.0] * 35, ["body", "tracks", 1, "cov"]),
    ("status", "lost", ["body", "tracks", 1, "status"]),
    ("track_id", "", ["body", "tracks", 1, "track_id"]),
    ("tracker", "JPN", ["body", "tracks", 1, "tracker"]),
    ("cov", np.diag([1, 1, 1, 1, 1, -1.0]).reshape(-1).tolist(), ["body", "tracks", 1, "cov"]),
    ("cov", (np.eye(6) + np.eye(6, k=1)).reshape(-1).tolist(), ["body", "tracks", 1, "cov"]),
    ("x", 1000.0, ["body", "tracks", 1, "x"]),
    ("extra", 1, ["body", "tracks", 1, "extra"]),
]


def test_bad_record_refuses_whole_message(service: tuple[Any, dict[str, str]]) -> None:
    """One bad record in three: 422 whose detail names the field; nothing stored, no ack.

    The cases: naive time, NaN, speed over 20 km/s, 35 covariance entries, unknown status,
    empty id, another partner's tracker, an indefinite and an asymmetric covariance, a
    position inside the Earth, an unknown key.
    """
    client, tok = service
    for field, value, loc in BAD_CASES:
        records = [track_state("USA", f"T{i}") for i in range(3)]
        if field == "x" and value == 1000.0:
            records[1].update(x=1000.0, y=0.0, z=0.0)
        else:
            records[1][field] = value
        # json.dumps writes NaN as JavaScript would; the service must refuse it, not crash.
        r = client.post(
            "/api/v1/tracks",
            content=json.dumps(message("m1", "all", records)),
            headers={**auth(tok["USA"]), "Content-Type": "application/json"},
        )
        assert r.status_code == 422, (field, value)
        assert any(d["loc"] == loc for d in r.json()["detail"]), (field, r.json())
        assert _count(client, tok["USA"]) == 0
    # The id is still free: a corrected message with it is accepted.
    good = message("m1", "all", [track_state("USA", "T0")])
    assert client.post("/api/v1/tracks", json=good, headers=auth(tok["USA"])).status_code == 201


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"message_id": "m", "releasable_to": ["XXX"], "tracks": None}, ["body", "tracks"]),
        ({"message_id": "a b", "releasable_to": "all", "tracks": []}, ["body", "message_id"]),
        ({"message_id": "m", "releasable_to": "some", "tracks": []}, ["body", "releasable_to"]),
        ({"message_id": "m", "releasable_to": "all", "tracks": []}, ["body", "tracks"]),
    ],
)
def test_bad_envelope_names_the_field(
    service: tuple[Any, dict[str, str]], body: dict[str, Any], loc: list[Any]
) -> None:
    """A bad message envelope: 422 naming the field."""
    client, tok = service
    r = client.post("/api/v1/tracks", json=body, headers=auth(tok["USA"]))
    assert r.status_code == 422
    assert any(d["loc"][: len(loc)] == loc for d in r.json()["detail"]), r.json()


def test_release_to_unknown_partner_is_refused(service: tuple[Any, dict[str, str]]) -> None:
    """Releasing to a code that is not a partner (a typo) is refused, naming the entry."""
    client, tok = service
    r = client.post(
        "/api/v1/tracks",
        json=message("m", ["JPN", "JNP"], [track_state("USA", "T")]),
        headers=auth(tok["USA"]),
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "releasable_to", 1]
    assert _count(client, tok["USA"]) == 0


def _detection(owner: str, det_id: str, **over: Any) -> dict[str, Any]:
    d = {
        "det_id": det_id,
        "sensor_id": "S1",
        "sensor_kind": "ir",
        "owner": owner,
        "time": "2027-03-01T00:00:00Z",
        "los_x": 0.6,
        "los_y": 0.8,
        "los_z": 0.0,
        "sensor_x": 4.2e7,
        "sensor_y": 0.0,
        "sensor_z": 0.0,
        "sigma_rad": 2e-5,
        "snr": 12.0,
    }
    d.update(over)
    return d


def test_detections_ingest_and_releasability(service: tuple[Any, dict[str, str]]) -> None:
    """Detections are stored, read back by the partners released to, and validated."""
    client, tok = service
    body = {"message_id": "d1", "releasable_to": ["KOR"], "detections": [_detection("USA", "D1")]}
    assert client.post("/api/v1/detections", json=body, headers=auth(tok["USA"])).status_code == 201
    kor = client.get("/api/v1/detections", headers=auth(tok["KOR"])).json()["detections"]
    assert [d["det_id"] for d in kor] == ["D1"]
    assert kor[0]["range_m"] is None and kor[0]["snr"] == 12.0
    assert client.get("/api/v1/detections", headers=auth(tok["JPN"])).json()["detections"] == []
    bad = {
        "message_id": "d2",
        "releasable_to": "all",
        "detections": [_detection("USA", "D2", los_x=0.5)],
    }
    r = client.post("/api/v1/detections", json=bad, headers=auth(tok["USA"]))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "detections", 0, "los_x"]

"""The picture's time semantics: per-track current states, the clock skew, the track age.

Reference: the rules of :mod:`tracklayer.service.clock` (the server clock, a skew of
5 s, an age of 60 s), checked on a hand-set server clock at ``EPOCH + 10 s`` (the
``service`` fixture). Times are exact (integer nanoseconds), so tolerances are zero.
A hostile partner posting far-future or far-past states must not change which tracks
another partner sees, by the REST picture or the stream's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from typer.testing import CliRunner

from tests.ccsds_check import ccsds_valid
from tests.service.conftest import EPOCH, auth, detection_json, message, track_state
from tracklayer.service.ingest import ingest_tracks
from tracklayer.service.schemas import TrackMessage

US_POS = (6.5e6, 1.0e5, 2.0e5)
JP_POS = (6.6e6, -4.0e5, 3.0e5)
KR_POS = (6.4e6, 9.0e5, -2.0e5)


def _post(client: Any, token: str, mid: str, release: Any, tracks: list[dict[str, Any]]) -> Any:
    return client.post("/api/v1/tracks", json=message(mid, release, tracks), headers=auth(token))


def _ids(picture: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["tracker"], t["track_id"]) for t in picture["national"]]


def _picture(client: Any, token: str, **params: Any) -> dict[str, Any]:
    r = client.get("/api/v1/picture", params=params, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def test_future_states_are_refused_naming_the_field(service: tuple[Any, dict[str, str]]) -> None:
    """States more than 5 s after the server clock (now + 90 s, 2199-12-31) answer 422
    naming ``body.tracks[i].time`` and store nothing; now + 4.9 s is accepted."""
    client, tok = service
    soon = track_state("KOR", "K1", t_s=10.0 + 4.9, pos=KR_POS)
    late = track_state("KOR", "K2", t_s=10.0 + 90.0, pos=KR_POS)
    r = _post(client, tok["KOR"], "late", "all", [soon, late])
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "tracks", 1, "time"]
    assert "ahead of the server clock" in detail["msg"]
    far = dict(late, time="2199-12-31T00:00:00Z")
    r = _post(client, tok["KOR"], "far", "all", [far])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "tracks", 0, "time"]
    history = client.get("/api/v1/tracks", headers=auth(tok["KOR"])).json()
    assert history["tracks"] == []
    assert _post(client, tok["KOR"], "soon", "all", [soon]).status_code == 201
    detection = detection_json("KOR", time=(EPOCH + timedelta(seconds=100)).isoformat())
    r = client.post(
        "/api/v1/detections",
        json={"message_id": "d", "releasable_to": "all", "detections": [detection]},
        headers=auth(tok["KOR"]),
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "detections", 0, "time"]


def test_tdm_epoch_ahead_of_the_clock_is_refused_with_its_line(
    service: tuple[Any, dict[str, str]],
) -> None:
    """A TDM whose second epoch is 90 s after the server clock: 422 naming line 14."""
    client, tok = service
    now = EPOCH + timedelta(seconds=10)
    e1 = (now - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    e2 = (now + timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%M:%S")
    tdm = "\n".join(
        [
            "CCSDS_TDM_VERS = 2.0",
            "CREATION_DATE = 2027-03-01T00:00:00",
            "ORIGINATOR = TEST",
            "META_START",
            "TIME_SYSTEM = UTC",
            "PARTICIPANT_1 = S1",
            "MODE = SEQUENTIAL",
            "PATH = 1",
            "ANGLE_TYPE = RADEC",
            "REFERENCE_FRAME = ITRF2000",
            "META_STOP",
            "DATA_START",
            f"ANGLE_1 = {e1} 10.0",
            f"ANGLE_1 = {e2} 11.0",
            f"ANGLE_2 = {e1} 5.0",
            f"ANGLE_2 = {e2} 6.0",
            "DATA_STOP",
            "",
        ]
    )
    assert ccsds_valid(tdm)  # the body itself is a valid TDM 2.0; only its epoch is late
    params = {
        "message_id": "tdm1",
        "sensor_kind": "ir",
        "sigma_rad": 2e-5,
        "sensor_x_m": 4.2e7,
        "sensor_y_m": 0.0,
        "sensor_z_m": 0.0,
    }
    r = client.post(
        "/api/v1/detections/tdm",
        params=params,
        content=tdm.encode(),
        headers={**auth(tok["USA"]), "Content-Type": "text/plain"},
    )
    assert r.status_code == 422, r.text
    msg = r.json()["detail"][0]["msg"]
    assert "line 14" in msg and "ahead of the server clock" in msg
    ok = tdm.replace(f"= {e2}", f"= {e1[:-2]}09")
    r = client.post(
        "/api/v1/detections/tdm",
        params=params,
        content=ok.encode(),
        headers={**auth(tok["USA"]), "Content-Type": "text/plain"},
    )
    assert r.status_code == 201, r.text


def _two_partners_tracking(client: Any, tok: dict[str, str]) -> None:
    """USA and JPN each post one current track, released to all."""
    assert _post(client, tok["USA"], "u", "all", [track_state("USA", "U1", 9.0, US_POS)]).is_success
    assert _post(client, tok["JPN"], "j", "all", [track_state("JPN", "J1", 9.5, JP_POS)]).is_success


def test_a_state_ahead_of_the_others_takes_nothing_over(
    service: tuple[Any, dict[str, str]],
) -> None:
    """KOR posts a state 4.9 s ahead (accepted) and has one timed 2199 stored around the
    service: JPN's REST and stream pictures still show every current track, at the
    server clock's time, and fresh posts still appear."""
    client, tok = service
    _two_partners_tracking(client, tok)
    ahead = track_state("KOR", "K1", t_s=14.9, pos=KR_POS)
    assert _post(client, tok["KOR"], "k", "all", [ahead]).status_code == 201
    far = dict(track_state("KOR", "K2", pos=KR_POS), time="2199-12-31T00:00:00Z")
    engine = client.app.state.engine
    ingest_tracks(engine, "KOR", TrackMessage.model_validate(message("k2", "all", [far])))
    expected = [("JPN", "J1"), ("KOR", "K1"), ("USA", "U1")]
    pic = _picture(client, tok["JPN"])
    assert pic["time"] == "2027-03-01T00:00:10Z"
    assert _ids(pic) == expected
    assert len(pic["fused"]) == 3
    with client.websocket_connect("/api/v1/stream", headers=auth(tok["JPN"])) as ws:
        assert ws.receive_json()["type"] == "hello"
        streamed = ws.receive_json()
    assert streamed == {"type": "picture", **pic}
    assert _post(
        client, tok["USA"], "u2", "all", [track_state("USA", "U2", 10.0, US_POS)]
    ).is_success
    assert ("USA", "U2") in _ids(_picture(client, tok["JPN"]))
    # The 2199 state becomes current only when the clock reaches it (within the skew).
    client.app.state.manual_clock.set(
        (EPOCH.replace(year=2199, month=12, day=31) - EPOCH).total_seconds()
    )
    assert _ids(_picture(client, tok["JPN"])) == [("KOR", "K2")]


def test_a_far_past_state_hides_nothing(service: tuple[Any, dict[str, str]]) -> None:
    """A state timed 1970 (deleted, of an existing track and of another) is stored in
    history but changes no track's current state; history keeps both."""
    client, tok = service
    _two_partners_tracking(client, tok)
    old = "1970-01-02T00:00:00Z"
    past = [
        dict(track_state("USA", "U1", pos=US_POS, status="deleted"), time=old),
        dict(track_state("USA", "U9", pos=US_POS), time=old),
    ]
    assert _post(client, tok["USA"], "old", "all", past).status_code == 201
    pic = _picture(client, tok["KOR"])
    assert _ids(pic) == [("JPN", "J1"), ("USA", "U1")]
    assert pic["national"][1]["status"] == "confirmed"
    history = client.get("/api/v1/tracks", headers=auth(tok["KOR"])).json()["tracks"]
    assert [t["time"] for t in history][:2] == ["1970-01-02T00:00:00Z"] * 2
    with client.websocket_connect("/api/v1/stream", headers=auth(tok["KOR"])) as ws:
        assert ws.receive_json()["type"] == "hello"
        assert ws.receive_json() == {"type": "picture", **pic}


def test_a_track_leaves_the_picture_after_the_maximum_age(
    service: tuple[Any, dict[str, str]],
) -> None:
    """A track last updated at EPOCH + 9 s is in the picture until EPOCH + 69 s (60 s old)
    and not after; a reader may ask for another age; an explicit ``at`` shows the past."""
    client, tok = service
    _two_partners_tracking(client, tok)
    clock = client.app.state.manual_clock
    clock.set(69.0)
    assert _ids(_picture(client, tok["KOR"])) == [("JPN", "J1"), ("USA", "U1")]
    clock.set(69.001)
    assert _ids(_picture(client, tok["KOR"])) == [("JPN", "J1")]
    clock.set(69.6)
    assert _picture(client, tok["KOR"]) == {
        "partner": "KOR",
        "time": "2027-03-01T00:01:09.600000Z",
        "national": [],
        "fused": [],
    }
    assert _ids(_picture(client, tok["KOR"], max_age_s=100.0)) == [("JPN", "J1"), ("USA", "U1")]
    clock.set(10.0)
    assert _ids(_picture(client, tok["KOR"], max_age_s=0.7)) == [("JPN", "J1")]
    # At EPOCH + 4 s, states up to 5 s later are current (the skew): USA's, not JPN's.
    at = (EPOCH + timedelta(seconds=4.0)).isoformat()
    assert _ids(_picture(client, tok["KOR"], at=at)) == [("USA", "U1")]


def test_serve_has_the_clock_options() -> None:
    """``serve --help`` offers the skew and the age; a negative skew is refused (exit 2)."""
    import typer

    from tracklayer.service.cli import register

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    out = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert "--max-clock-skew-s" in out.output and "--max-track-age-s" in out.output
    bad = runner.invoke(app, ["serve", "--max-clock-skew-s", "-1", "--db", "x.db"])
    assert bad.exit_code == 2

"""Stored system tracks: each partner's own, with the release common to their inputs.

Reference: the releasability rule (:class:`Release`) and the construction: USA's track
of a threat is released to JPN, JPN's of the same threat to all, KOR's of another threat
to KOR only. JPN and USA then fuse both inputs, KOR fuses JPN's alone; each must read
back exactly its own system tracks (history, one track, Parquet export), never another
partner's, and each row's release must be the intersection of its inputs' releases.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow.parquet as pq

from tests.service.conftest import EPOCH, auth, message, track_state
from tracklayer.fusion.releasability import Release
from tracklayer.service.fused_store import inputs_release

POS = (6.5e6, 1.0e5, 2.0e5)
VEL = (100.0, 2000.0, 1500.0)


def _post(client: Any, token: str, mid: str, release: Any, tracks: list[dict[str, Any]]) -> None:
    r = client.post("/api/v1/tracks", json=message(mid, release, tracks), headers=auth(token))
    assert r.status_code == 201, r.text


def _system(client: Any, token: str, path: str = "/api/v1/tracks") -> list[dict[str, Any]]:
    got = client.get(path, headers=auth(token)).json()["tracks"]
    return [t for t in got if t["tracker"] == "fused"]


def test_inputs_release_is_the_intersection() -> None:
    """Everyone when every input is; else the partners common to the named inputs."""
    everyone = Release.of("USA", "all")
    assert inputs_release([everyone, Release.of("JPN", "all")]) == (True, frozenset())
    named = Release.of("USA", ["JPN", "KOR"])
    assert inputs_release([everyone, named]) == (False, frozenset({"USA", "JPN", "KOR"}))
    assert inputs_release([named, Release.of("JPN", ["USA"])]) == (False, frozenset({"USA", "JPN"}))
    assert inputs_release([named, Release.of("AUS", [])]) == (False, frozenset())


def test_each_partner_reads_back_its_own_system_tracks(
    service_either: tuple[Any, dict[str, str]],
) -> None:
    """Recorded at EPOCH + 10 s: JPN and USA hold J-JPN-J1 of both inputs, KOR holds
    J-JPN-J1 of JPN's alone and its own J-KOR-K1; each reads its own rows only, in
    history, by id and in the Parquet export; recording the same tick again adds none.
    The same whether the recording runs in a thread of the server or in its fusion
    process (as ``serve`` runs it)."""
    client, tok = service_either
    moved = (POS[0] + VEL[0] * 0.5, POS[1] + VEL[1] * 0.5, POS[2] + VEL[2] * 0.5)
    _post(client, tok["USA"], "u", ["JPN"], [track_state("USA", "U1", 9.0, POS, VEL)])
    _post(client, tok["JPN"], "j", "all", [track_state("JPN", "J1", 9.5, moved, VEL)])
    _post(client, tok["KOR"], "k", [], [track_state("KOR", "K1", 9.5, (7.0e6, 0.0, 0.0))])
    recorder = client.app.state.service.recorder
    at_ns = (int(EPOCH.timestamp()) + 10) * 10**9
    assert recorder.record_once(at_ns) == 4  # USA 1, JPN 1, KOR 2
    assert recorder.record_once(at_ns) == 0
    for code in ("USA", "JPN"):
        (row,) = _system(client, tok[code])
        assert (row["track_id"], row["time"]) == ("J-JPN-J1", "2027-03-01T00:00:10Z")
    kor = _system(client, tok["KOR"])
    assert [r["track_id"] for r in kor] == ["J-JPN-J1", "J-KOR-K1"]
    # Each stored row is the partner's own picture's system track at that time (the
    # clock reads EPOCH + 10 s): KOR's J-JPN-J1 is JPN's state alone, USA's is fused.
    for code in ("USA", "JPN", "KOR"):
        picture = client.get("/api/v1/picture", headers=auth(tok[code])).json()
        fused = [{k: v for k, v in f.items() if k != "sources"} for f in picture["fused"]]
        assert _system(client, tok[code]) == fused
    assert kor[0]["x"] != _system(client, tok["USA"])[0]["x"]
    one = client.get("/api/v1/tracks/fused/J-KOR-K1", headers=auth(tok["KOR"]))
    assert one.status_code == 200 and len(one.json()["tracks"]) == 1
    hidden = client.get("/api/v1/tracks/fused/J-KOR-K1", headers=auth(tok["JPN"]))
    unknown = client.get("/api/v1/tracks/fused/J-NONE", headers=auth(tok["JPN"]))
    assert (hidden.status_code, hidden.json()) == (unknown.status_code, unknown.json())
    assert hidden.status_code == 404
    table = pq.read_table(
        io.BytesIO(client.get("/api/v1/export/parquet", headers=auth(tok["KOR"])).content)
    ).to_pylist()
    assert sorted((r["tracker"], r["track_id"]) for r in table) == [
        ("JPN", "J1"),
        ("KOR", "K1"),
        ("fused", "J-JPN-J1"),
        ("fused", "J-KOR-K1"),
    ]
    with client.app.state.engine.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT audience, track_id, sources, release_all, releasable_to FROM fused_states"
            " ORDER BY audience, track_id"
        ).all()
    assert [tuple(r) for r in stored] == [
        ("JPN", "J-JPN-J1", "JPN/J1 USA/U1", False, "JPN,USA"),
        ("KOR", "J-JPN-J1", "JPN/J1", True, ""),
        ("KOR", "J-KOR-K1", "KOR/K1", False, "KOR"),
        ("USA", "J-JPN-J1", "JPN/J1 USA/U1", False, "JPN,USA"),
    ]


def test_the_recorder_runs_with_the_service(db_url: str) -> None:
    """With ``fused_record_interval_s`` set, the app stores system tracks by itself, at
    whole multiples of the interval on the server clock."""
    import time

    from fastapi.testclient import TestClient

    from tests.service.conftest import manual_picture_clock
    from tracklayer.service.app import create_app
    from tracklayer.service.auth import add_partner

    clock, _ = manual_picture_clock(10.0)
    app = create_app(db_url, static_dir=None, clock=clock, fused_record_interval_s=0.25)
    token = add_partner(app.state.engine, "USA")
    with TestClient(app) as client:
        _post(client, token, "u", "all", [track_state("USA", "U1", 9.0, POS, VEL)])
        deadline = time.monotonic() + 30.0
        rows: list[dict[str, Any]] = []
        while not rows and time.monotonic() < deadline:
            time.sleep(0.1)
            rows = _system(client, token)
    assert rows and rows[0]["track_id"] == "J-USA-U1"
    assert rows[0]["time"] == "2027-03-01T00:00:10.250000Z"

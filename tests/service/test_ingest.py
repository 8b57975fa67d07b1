"""Ingest: validation naming the field, all-or-nothing storage, idempotent retries."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.service.conftest import auth, detection_json, message, spd_cov, track_state
from tracklayer.service.auth import add_partner
from tracklayer.service.db import make_engine, migrate
from tracklayer.service.ingest import (
    IngestJob,
    MessageConflict,
    commit_batch,
    detection_job,
    track_job,
)
from tracklayer.service.schemas import DetectionMessage, TrackMessage


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


def test_release_to_a_code_that_is_no_partner_answers_alike(
    service: tuple[Any, dict[str, str]],
) -> None:
    """Partner enumeration: a release naming a code that is no partner gets the same
    answer as one naming a partner (201, same body shape, same headers but the request
    id), so a sender cannot probe which codes exist; the release is stored as named."""
    client, tok = service
    answers = []
    for mid, release in (("known", ["JPN"]), ("unknown", ["ZZZ"])):
        body = message(mid, release, [track_state("USA", "T" + mid)])
        answers.append(client.post("/api/v1/tracks", json=body, headers=auth(tok["USA"])))
    known, unknown = answers
    assert (known.status_code, unknown.status_code) == (201, 201)
    assert {k: v for k, v in known.json().items() if k != "message_id"} == {
        k: v for k, v in unknown.json().items() if k != "message_id"
    }
    same = {"x-request-id", "content-length"}
    assert {k for k in known.headers if k not in same} == {
        k for k in unknown.headers if k not in same
    }
    assert _count(client, tok["USA"]) == 2
    assert _count(client, tok["JPN"]) == 1  # only its own release


def test_releasable_to_in_another_order_is_the_same_message(
    service: tuple[Any, dict[str, str]],
) -> None:
    """The release is a set: the same message with its codes reordered or repeated is a
    retry (200), not a reused id (409)."""
    client, tok = service
    tracks = [track_state("USA", "T")]
    first = message("m", ["JPN", "KOR"], tracks)
    r = client.post("/api/v1/tracks", json=first, headers=auth(tok["USA"]))
    assert r.status_code == 201
    for release in (["KOR", "JPN"], ["KOR", "JPN", "KOR"]):
        again = message("m", release, tracks)
        r = client.post("/api/v1/tracks", json=again, headers=auth(tok["USA"]))
        assert r.status_code == 200, r.text
        assert r.json()["duplicate"] is True


def _detection(owner: str, det_id: str, **over: Any) -> dict[str, Any]:
    return detection_json(owner, det_id, **{"time": "2027-03-01T00:00:00Z", "snr": 12.0, **over})


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


def _track_msg(sender: str, mid: str, release: Any, n: int, x: float = 6.5e6) -> TrackMessage:
    tracks = [
        track_state(sender, f"{sender}-{mid}-{k}", t_s=k, pos=(x + k, 0.0, 0.0)) for k in range(n)
    ]
    return TrackMessage.model_validate(
        {"message_id": mid, "releasable_to": release, "tracks": tracks}
    )


def _outcome(job: IngestJob) -> Any:
    exc = job.future.exception()
    if exc is not None:
        return type(exc)
    result = job.future.result()
    return (result.accepted, result.duplicate)


def test_mixed_batch_of_several_senders_stores_exact_rows(db_url: str) -> None:
    """One batch from three senders sharing a message id, with retries, a reused id, a
    release naming a code that is no partner, an in-batch repeat, detections and a message
    of 260 states.

    Reference: each message's outcome alone (201, 200, 409), and the rows each stored
    message alone writes: its header, one release row per named partner, its records under
    its own ``messages.pk`` (in record order), one audit row per message settled.
    """
    engine = make_engine(db_url)
    migrate(engine)
    for code in ("USA", "JPN", "KOR"):
        add_partner(engine, code)
    commit_batch(engine, [track_job("USA", _track_msg("USA", "old", "all", 2))])
    commit_batch(engine, [track_job("JPN", _track_msg("JPN", "old", ["USA"], 1))])
    det = DetectionMessage.model_validate(
        {"message_id": "m", "releasable_to": ["USA"], "detections": [_detection("KOR", "D1")]}
    )
    jobs = [
        track_job("USA", _track_msg("USA", "m", ["JPN", "KOR"], 2)),
        track_job("JPN", _track_msg("JPN", "m", "all", 3)),
        detection_job("KOR", det),
        track_job("USA", _track_msg("USA", "old", "all", 2)),  # a retry: 200
        track_job("JPN", _track_msg("JPN", "old", ["USA"], 1, x=7e6)),  # reused id: 409
        track_job("USA", _track_msg("USA", "odd", ["JPN", "XYZ"], 1)),  # no partner XYZ: 201
        track_job("JPN", _track_msg("JPN", "m", "all", 3)),  # in-batch repeat: 200
        track_job("KOR", _track_msg("KOR", "big", "all", 260)),
    ]
    committed: list[tuple[str, str, int]] = []
    commit_batch(
        engine,
        jobs,
        on_commit=lambda done: committed.extend((j.sender, j.message_id, pk) for j, pk in done),
    )
    assert [_outcome(j) for j in jobs] == [
        (2, False),
        (3, False),
        (1, False),
        (2, True),
        MessageConflict,
        (1, False),
        (3, True),
        (260, False),
    ]
    stored = [jobs[i] for i in (0, 1, 2, 5, 7)]
    with engine.connect() as conn:
        header = conn.exec_driver_sql(
            "SELECT owner, message_id, kind, release_all, content_sha256, n_records, pk"
            " FROM messages ORDER BY pk"
        ).all()
        releases = conn.exec_driver_sql(
            "SELECT m.owner, m.message_id, r.partner FROM message_releases AS r"
            " JOIN messages AS m ON m.pk = r.message_pk"
        ).all()
        states = conn.exec_driver_sql(
            "SELECT m.owner, m.message_id, t.owner, t.track_id, t.x FROM track_states AS t"
            " JOIN messages AS m ON m.pk = t.message_pk ORDER BY t.pk"
        ).all()
        dets = conn.exec_driver_sql(
            "SELECT m.owner, m.message_id, d.owner, d.det_id FROM detections AS d"
            " JOIN messages AS m ON m.pk = d.message_pk"
        ).all()
        audits = conn.exec_driver_sql(
            "SELECT time_ns, partner, action, target, n_records, status FROM audit_log"
            " WHERE action IN ('ingest_tracks', 'ingest_detections') ORDER BY pk"
        ).all()
    engine.dispose()
    # Headers in commit order; the pks on_commit gets are those of the stored rows.
    assert [tuple(r[:6]) for r in header[2:]] == [
        (j.sender, j.message_id, j.kind, j.release.everyone, j.digest, len(j.rows)) for j in stored
    ]
    assert committed == [(r[0], r[1], r[6]) for r in header[2:]]
    assert sorted(tuple(r) for r in releases) == sorted(
        [("JPN", "old", "USA")]
        + [(j.sender, j.message_id, p) for j in stored for p in j.release.to]
    )
    expected_states = [("USA", "old", "USA", f"USA-old-{k}", 6.5e6 + k) for k in range(2)]
    expected_states.append(("JPN", "old", "JPN", "JPN-old-0", 6.5e6))
    for j in (jobs[0], jobs[1], jobs[5], jobs[7]):
        expected_states += [(j.sender, j.message_id, r[0], r[1], r[4]) for r in j.rows]
    assert [tuple(r) for r in states] == expected_states
    assert [tuple(r) for r in dets] == [("KOR", "m", "KOR", "D1")]
    assert [tuple(r[1:]) for r in audits] == [
        ("USA", "ingest_tracks", "old", 2, 201),
        ("JPN", "ingest_tracks", "old", 1, 201),
        ("USA", "ingest_tracks", "old", 0, 200),
        ("USA", "ingest_tracks", "m", 2, 201),
        ("JPN", "ingest_tracks", "m", 3, 201),
        ("KOR", "ingest_detections", "m", 1, 201),
        ("USA", "ingest_tracks", "odd", 1, 201),
        ("KOR", "ingest_tracks", "big", 260, 201),
        ("JPN", "ingest_tracks", "m", 0, 200),
    ]
    times = [r[0] for r in audits]
    assert times == sorted(times) and times[0] > 0


def test_int_among_float_values_is_stored(db_url: str) -> None:
    """A float column holding an int in one row (a typed PostgreSQL array refuses mixed
    Python types): the rows are stored, the int as the equal float. Reference: the
    column type, DOUBLE PRECISION (SQLite REAL)."""
    engine = make_engine(db_url)
    migrate(engine)
    add_partner(engine, "USA")
    job = track_job("USA", _track_msg("USA", "m", "all", 3))
    job.rows[1] = (*job.rows[1][:4], 6_500_001, *job.rows[1][5:])
    commit_batch(engine, [job])
    assert job.future.result().accepted == 3
    with engine.connect() as conn:
        xs = conn.execute(sa.text("SELECT x FROM track_states ORDER BY pk")).scalars().all()
    engine.dispose()
    assert xs == [6.5e6, 6_500_001.0, 6.5e6 + 2]
    assert all(isinstance(x, float) for x in xs)


@settings(max_examples=60, deadline=None)
@given(
    mid=st.from_regex(r"[A-Za-z0-9._:-]{1,40}", fullmatch=True),
    release=st.one_of(st.just("all"), st.lists(st.sampled_from(["JPN", "KOR", "GBR"]), max_size=3)),
    n=st.integers(1, 4),
    t_s=st.floats(0.0, 1e6, allow_nan=False),
    snr=st.one_of(st.none(), st.floats(-10.0, 1e3, allow_nan=False)),
)
def test_content_digest_is_the_sha256_of_the_whole_message(
    mid: str, release: Any, n: int, t_s: float, snr: float | None
) -> None:
    """The digest that tells a retry from a reused id is assembled from the records' JSON
    of the stream update; reference: SHA-256 of pydantic's ``model_dump_json`` (exact), so
    digests stored by earlier versions still match their retries."""
    tracks = [track_state("USA", f"T{k}", t_s=t_s + k) for k in range(n)]
    tm = TrackMessage.model_validate(message(mid, release, tracks))
    expected = hashlib.sha256(tm.model_dump_json().encode()).hexdigest()
    assert track_job("USA", tm).digest == expected
    dets = [_detection("USA", f"D{k}", snr=snr) for k in range(n)]
    dm = DetectionMessage.model_validate(
        {"message_id": mid, "releasable_to": release, "detections": dets}
    )
    expected = hashlib.sha256(dm.model_dump_json().encode()).hexdigest()
    assert detection_job("USA", dm).digest == expected

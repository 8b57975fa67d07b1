"""Zero leaks: random partners, releases and messages; every route checked for every partner.

Two properties, over hypothesis-generated scenarios:

1. Every record a partner receives (REST history, picture, one-track reads, exports, the
   WebSocket stream, fused-track sources) is released to it by the reference rule
   (:class:`tracklayer.fusion.releasability.Release`).
2. A partner's answers are a function of what is released to it alone: the same requests
   on a database holding only the messages that partner may see give identical answers,
   fused tracks included. So nothing withheld can influence, hence reach, a partner.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.conftest import auth, fast_dir, manual_picture_clock, message, track_state
from tracklayer.fusion.releasability import Release
from tracklayer.service.app import create_app
from tracklayer.service.auth import add_partner

CODES = ["USA", "JPN", "KOR", "AUS"]
#: Three threats; tracks of the same threat from several owners get fused.
TARGETS = np.array(
    [
        [6.50e6, 1.0e5, 2.0e5, 100.0, 2000.0, 1500.0],
        [6.45e6, -8.0e5, 1.1e6, -300.0, 2500.0, 900.0],
        [6.60e6, 4.0e5, -6.0e5, 50.0, -1800.0, 2200.0],
    ]
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, Any, list[dict[str, Any]]]]]:
    """Partners, and messages (sender, releasable_to, tracks) in posting order."""
    partners = draw(st.lists(st.sampled_from(CODES), min_size=2, max_size=4, unique=True))
    msgs = []
    for i in range(draw(st.integers(1, 7))):
        sender = draw(st.sampled_from(partners))
        others = [p for p in partners if p != sender]
        release = draw(st.just("all") | st.lists(st.sampled_from(others), unique=True))
        tracks = []
        for target in draw(st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True)):
            t_s = float(draw(st.integers(0, 4)))
            noise = draw(st.floats(-50.0, 50.0))
            state = TARGETS[target].copy()
            state[:3] += state[3:] * t_s + noise
            tracks.append(
                track_state(
                    sender,
                    f"T{target}",
                    t_s=t_s,
                    pos=tuple(state[:3]),
                    vel=tuple(state[3:]),
                    status=draw(st.sampled_from(["tentative", "confirmed", "coasting"])),
                )
            )
        msgs.append((sender, release, tracks))
        del i
    return partners, msgs


def _post_all(client: TestClient, tokens: dict[str, str], msgs: list[Any]) -> None:
    for i, (sender, release, tracks) in enumerate(msgs):
        r = client.post(
            "/api/v1/tracks", json=message(f"m{i}", release, tracks), headers=auth(tokens[sender])
        )
        assert r.status_code == 201, r.text


def _views(client: TestClient, token: str, keys: list[tuple[str, str]]) -> dict[str, Any]:
    """Everything a partner can read (the audit log aside, which is about its own requests).

    ``keys``: the (tracker, track_id) to read one by one, posted or not.
    """
    h = auth(token)
    out: dict[str, Any] = {
        "picture": client.get("/api/v1/picture", headers=h).json(),
        "history": client.get("/api/v1/tracks", headers=h).json(),
        "czml": client.get("/api/v1/export/czml", headers=h).json(),
        "parquet": pq.read_table(
            io.BytesIO(client.get("/api/v1/export/parquet", headers=h).content)
        ).to_pylist(),
    }
    for code, tid in keys:
        r = client.get(f"/api/v1/tracks/{code}/{tid}", headers=h)
        out[f"one/{code}/{tid}"] = (r.status_code, r.json())
    return out


def _keys(msgs: list[Any]) -> list[tuple[str, str]]:
    posted = {(t["tracker"], t["track_id"]) for _, _, tracks in msgs for t in tracks}
    return sorted(posted | {("USA", "T9")})


def _allowed(partner: str, msgs: list[Any]) -> set[tuple[str, str, str]]:
    out = set()
    for sender, release, tracks in msgs:
        if Release.of(sender, release).visible_to(partner):
            out |= {(t["tracker"], t["track_id"], t["time"].replace("+00:00", "Z")) for t in tracks}
    return out


def _check_records_allowed(partner: str, views: dict[str, Any], msgs: list[Any]) -> None:
    allowed = _allowed(partner, msgs)
    allowed_tracks = {(a, b) for a, b, _ in allowed}
    for rec in views["history"]["tracks"] + views["picture"]["national"]:
        assert (rec["tracker"], rec["track_id"], rec["time"]) in allowed, (partner, rec)
    for rec in views["picture"]["fused"]:
        for src in rec["sources"]:
            assert (src["tracker"], src["track_id"]) in allowed_tracks, (partner, rec)
    for rec in views["parquet"]:
        assert (rec["tracker"], rec["track_id"]) in allowed_tracks
    for packet in views["czml"][1:]:
        kind, key = packet["id"].split("/", 1)
        keys = [key] if kind == "track" else packet["properties"]["sources"]
        assert all(tuple(k.split("/")) in allowed_tracks for k in keys), packet["id"]
    for name, (status, body) in ((k, v) for k, v in views.items() if k.startswith("one/")):
        _, code, tid = name.split("/")
        if (code, tid) in allowed_tracks:
            assert status == 200
        else:
            # Withheld or nonexistent: the same answer, byte for byte.
            assert (status, body) == (404, {"detail": "no such track"})


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios())
def test_no_route_leaks(scenario: tuple[list[str], list[Any]]) -> None:
    """Properties 1 and 2 (module docstring) over REST, exports and the 404s.

    Reference: the releasability rule of the issue, in Release.visible_to.
    """
    partners, msgs = scenario
    with tempfile.TemporaryDirectory(dir=fast_dir()) as tmp:
        clock = manual_picture_clock()[0]
        full = create_app(f"sqlite:///{Path(tmp) / 'full.db'}", static_dir=None, clock=clock)
        tokens = {p: add_partner(full.state.engine, p) for p in partners}
        with TestClient(full) as client:
            _post_all(client, tokens, msgs)
            full_views = {p: _views(client, tokens[p], _keys(msgs)) for p in partners}
        for p in partners:
            _check_records_allowed(p, full_views[p], msgs)
            # The same requests on a database holding only what p may see.
            mine = [m for m in msgs if Release.of(m[0], m[1]).visible_to(p)]
            only = create_app(
                f"sqlite:///{Path(tmp) / f'only_{p}.db'}", static_dir=None, clock=clock
            )
            only_tokens = {q: add_partner(only.state.engine, q) for q in partners}
            with TestClient(only) as client:
                for i, (sender, release, tracks) in enumerate(msgs):
                    if (sender, release, tracks) in mine:
                        body = message(f"m{i}", release, tracks)
                        r = client.post(
                            "/api/v1/tracks", json=body, headers=auth(only_tokens[sender])
                        )
                        assert r.status_code == 201
                assert _views(client, only_tokens[p], _keys(msgs)) == full_views[p]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_stream_does_not_leak(scenario: tuple[list[str], list[Any]]) -> None:
    """Property 1 over the WebSocket: national updates and fused pictures pushed live.

    Each partner, subscribed before the messages are posted, finally posts a message only
    it may see; updates arrive in commit order, so when that one arrives, all earlier
    updates for it have. Reference: Release.visible_to.
    """
    partners, msgs = scenario
    with tempfile.TemporaryDirectory(dir=fast_dir()) as tmp:
        app = create_app(
            f"sqlite:///{Path(tmp) / 'p.db'}",
            static_dir=None,
            picture_interval_s=0.01,
            clock=manual_picture_clock()[0],
        )
        tokens = {p: add_partner(app.state.engine, p) for p in partners}
        with TestClient(app) as client:
            sockets = {}
            for p in partners:
                ws = client.websocket_connect("/api/v1/stream").__enter__()
                ws.send_json({"token": tokens[p]})
                assert ws.receive_json() == {"type": "hello", "partner": p}
                sockets[p] = ws
            _post_all(client, tokens, msgs)
            for p in partners:
                end = track_state(p, "END", t_s=1.0, pos=(7.0e6, 0.0, 0.0))
                r = client.post(
                    "/api/v1/tracks", json=message("end", [], [end]), headers=auth(tokens[p])
                )
                assert r.status_code == 201
            for p, ws in sockets.items():
                allowed = _allowed(p, msgs) | {(p, "END", "2027-03-01T00:00:01Z")}
                allowed_tracks = {(a, b) for a, b, _ in allowed}
                while True:
                    update = json.loads(ws.receive_text())
                    if update["type"] in ("picture", "fused"):
                        for rec in update.get("national", []):
                            assert (rec["tracker"], rec["track_id"], rec["time"]) in allowed
                        for rec in update["fused"]:
                            for s in rec["sources"]:
                                assert (s["tracker"], s["track_id"]) in allowed_tracks
                        continue
                    assert update["type"] == "tracks"
                    for rec in update["tracks"]:
                        assert (rec["tracker"], rec["track_id"], rec["time"]) in allowed, (p, rec)
                    if update["owner"] == p and update["message_id"] == "end":
                        break
                ws.__exit__(None, None, None)

"""Property: every partner's picture is the one computed from first principles.

Hypothesis draws partners, release policies, state times (stale, current, within the
clock skew ahead, beyond it) and the order the messages are posted in. For each partner
the reference picture is computed here from the posted messages alone, by the rules of
:mod:`tracklayer.service.clock` written out plainly:

- a message beyond the skew is refused (422), whole;
- the partner sees a message when :meth:`Release.visible_to` says so;
- a track's current state is its latest visible state timed in ``[T - age, T + skew]``
  (ties: the one stored last); it is shown unless ``deleted``;
- system tracks are the fusion of exactly those states at ``T``.

The service's REST picture and its stream's first picture must equal the reference at
two clock readings (the second one 40 s later, when some tracks have aged out). Tolerance:
exact (times in integer nanoseconds, states as posted, fusion bit for bit).
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.conftest import (
    EPOCH,
    auth,
    fast_dir,
    manual_picture_clock,
    message,
    track_state,
)
from tracklayer.fusion.releasability import Release
from tracklayer.service.app import create_app
from tracklayer.service.auth import add_partner
from tracklayer.service.ingest import ns_to_iso, to_ns
from tracklayer.service.picture import FusionSettings, TrackRows, fuse

CODES = ["USA", "JPN", "KOR", "AUS"]
NOW_S = 100.0
SKEW_S = 5.0
AGE_S = 60.0
#: State times relative to the clock, s: stale, current, ahead within the skew, beyond it.
OFFSETS_S = [-150.0, -59.0, -30.0, -5.0, 0.0, 3.0, 5.0, 12.0]
TARGETS = np.array(
    [
        [6.50e6, 1.0e5, 2.0e5, 100.0, 2000.0, 1500.0],
        [6.45e6, -8.0e5, 1.1e6, -300.0, 2500.0, 900.0],
    ]
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, Any, list[dict[str, Any]]]]]:
    """Partners, and messages ``(sender, releasable_to, tracks)`` in posting order."""
    partners = draw(st.lists(st.sampled_from(CODES), min_size=2, max_size=4, unique=True))
    msgs = []
    for _ in range(draw(st.integers(1, 8))):
        sender = draw(st.sampled_from(partners))
        others = [p for p in partners if p != sender]
        release = draw(st.just("all") | st.lists(st.sampled_from(others), unique=True))
        tracks = []
        for _ in range(draw(st.integers(1, 3))):
            target = draw(st.integers(0, 1))
            t_s = NOW_S + draw(st.sampled_from(OFFSETS_S))
            state = TARGETS[target].copy()
            state[:3] += state[3:] * (t_s - NOW_S) + draw(st.floats(-50.0, 50.0))
            status = draw(st.sampled_from(["confirmed", "tentative", "coasting", "deleted"]))
            tracks.append(
                track_state(
                    sender,
                    f"T{draw(st.integers(0, 2))}",
                    t_s=t_s,
                    pos=(state[0], state[1], state[2]),
                    vel=(state[3], state[4], state[5]),
                    status=status,
                )
            )
        msgs.append((sender, release, tracks))
    return partners, draw(st.permutations(msgs))


def _ns(iso: str) -> int:
    from datetime import datetime

    return to_ns(datetime.fromisoformat(iso))


def _reference(
    partner: str, stored: list[tuple[str, Any, list[dict[str, Any]]]], now_ns: int
) -> dict[str, Any]:
    """The picture from first principles (module doc), as the service's JSON."""
    since, until = now_ns - int(AGE_S * 1e9), now_ns + int(SKEW_S * 1e9)
    latest: dict[tuple[str, str], tuple[tuple[int, int, int], dict[str, Any]]] = {}
    for order, (sender, release, tracks) in enumerate(stored):
        if not Release.of(sender, release).visible_to(partner):
            continue
        for row, state in enumerate(tracks):
            t = _ns(state["time"])
            if not since <= t <= until:
                continue
            key = (state["tracker"], state["track_id"])
            rank = (t, order, row)
            if key not in latest or rank > latest[key][0]:
                latest[key] = (rank, state)
    shown = [latest[k][1] for k in sorted(latest) if latest[k][1]["status"] != "deleted"]
    national = TrackRows(
        tracker=np.array([s["tracker"] for s in shown], dtype=object),
        track_id=np.array([s["track_id"] for s in shown], dtype=object),
        time_ns=np.array([_ns(s["time"]) for s in shown], dtype=np.int64),
        state=np.array(
            [[s[c] for c in ("x", "y", "z", "vx", "vy", "vz")] for s in shown], dtype=np.float64
        ).reshape(-1, 6),
        cov=np.array([s["cov"] for s in shown], dtype=np.float64).reshape(-1, 6, 6),
        status=np.array([s["status"] for s in shown], dtype=object),
    )
    return {
        "partner": partner,
        "time": ns_to_iso(now_ns),
        "national": national.records(),
        "fused": fuse(national, now_ns, FusionSettings()).records(),
    }


def _post_all(client: TestClient, tokens: dict[str, str], msgs: list[Any]) -> list[Any]:
    """Post in order; return the stored ones (those within the skew), checking the 422s."""
    stored = []
    for i, (sender, release, tracks) in enumerate(msgs):
        r = client.post(
            "/api/v1/tracks", json=message(f"m{i}", release, tracks), headers=auth(tokens[sender])
        )
        ahead = [k for k, t in enumerate(tracks) if _ns(t["time"]) > _ns(_at(NOW_S + SKEW_S))]
        if ahead:
            assert r.status_code == 422, r.text
            assert r.json()["detail"][0]["loc"] == ["body", "tracks", ahead[0], "time"]
        else:
            assert r.status_code == 201, r.text
            stored.append((sender, release, tracks))
    return stored


def _at(t_s: float) -> str:
    return (EPOCH + timedelta(seconds=t_s)).isoformat()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios())
def test_every_partners_picture_is_computed_from_what_it_may_see(
    scenario: tuple[list[str], list[Any]],
) -> None:
    """REST and stream pictures equal the first-principles reference (module doc)."""
    partners, msgs = scenario
    clock, manual = manual_picture_clock(NOW_S, SKEW_S, AGE_S)
    with tempfile.TemporaryDirectory(dir=fast_dir()) as tmp:
        app = create_app(f"sqlite:///{Path(tmp) / 'p.db'}", static_dir=None, clock=clock)
        tokens = {p: add_partner(app.state.engine, p) for p in partners}
        with TestClient(app) as client:
            stored = _post_all(client, tokens, msgs)
            for later_s in (0.0, 40.0):
                manual.set(NOW_S + later_s)
                for p in partners:
                    expected = _reference(p, stored, manual())
                    got = client.get("/api/v1/picture", headers=auth(tokens[p])).json()
                    assert got == expected
                    with client.websocket_connect("/api/v1/stream", headers=auth(tokens[p])) as ws:
                        assert ws.receive_json()["type"] == "hello"
                        assert ws.receive_json() == {"type": "picture", **expected}

"""Revoking or rotating a partner's token ends its open live streams at once.

Reference: the documented contract (``tracklayer.service.revocation``): once
``revoke_partner`` / ``rotate_token`` returns in the server's process, the partner's
streams send nothing more and close with code 1008 and the reason ``token revoked`` /
``token rotated``; a change committed by another process ends them within the token
cache's 1 s (checked here with a 3 s bound).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.service.conftest import auth, manual_picture_clock, message, track_state
from tracklayer.service.app import create_app
from tracklayer.service.audit import read_audit
from tracklayer.service.auth import add_partner, revoke_partner, rotate_token
from tracklayer.service.db import partners


@pytest.fixture
def quiet_service(db_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A service pushing no periodic fused pictures: a stream then carries only the
    national updates posted by the test, so every frame it receives is accounted for."""
    clock = manual_picture_clock()[0]
    app = create_app(db_url, static_dir=None, picture_interval_s=0.0, clock=clock)
    tokens = {code: add_partner(app.state.engine, code) for code in ("USA", "JPN")}
    with TestClient(app) as client:
        yield client, tokens


def _post(client: TestClient, token: str, mid: str) -> None:
    body = message(mid, ["JPN"], [track_state("USA", mid)])
    r = client.post("/api/v1/tracks", json=body, headers=auth(token))
    assert r.status_code == 201, r.text


def _open(ws: Any) -> None:
    assert ws.receive_json()["type"] == "hello"
    assert ws.receive_json()["type"] == "picture"


def _sent_by_closed_stream(client: TestClient, partner: str) -> int:
    """Messages the server counted as sent on the partner's closed stream (audit)."""
    for _ in range(100):
        for entry in read_audit(client.app.state.engine, partner):  # type: ignore[attr-defined]
            if entry.action == "stream_close":
                return entry.n_records
        time.sleep(0.05)
    raise AssertionError("the stream's close was not audited")


@pytest.mark.parametrize(
    ("change", "reason"),
    [(revoke_partner, "token revoked"), (rotate_token, "token rotated")],
    ids=["revoke", "rotate"],
)
def test_token_change_ends_the_stream_before_returning(
    quiet_service: tuple[TestClient, dict[str, str]], change: Any, reason: str
) -> None:
    client, tok = quiet_service
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with client.websocket_connect("/api/v1/stream", headers=auth(tok["JPN"])) as ws:
        _open(ws)
        _post(client, tok["USA"], "before")
        assert ws.receive_json()["message_id"] == "before"
        change(engine, "JPN")
        _post(client, tok["USA"], "after")  # released to JPN, committed after the change
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_json()
    assert (info.value.code, info.value.reason) == (1008, reason)
    assert _sent_by_closed_stream(client, "JPN") == 1  # "before" only


def test_rotated_partner_streams_again_with_its_new_token(
    quiet_service: tuple[TestClient, dict[str, str]],
) -> None:
    client, tok = quiet_service
    new = rotate_token(client.app.state.engine, "JPN")  # type: ignore[attr-defined]
    with client.websocket_connect("/api/v1/stream", headers=auth(new)) as ws:
        _open(ws)
        _post(client, tok["USA"], "fresh")
        assert ws.receive_json()["message_id"] == "fresh"


def test_revocation_by_another_process_ends_the_stream(
    quiet_service: tuple[TestClient, dict[str, str]],
) -> None:
    """A revocation written straight to the database (as ``tracklayer partner revoke``
    run beside the server does, without its listeners) ends the stream within 3 s."""
    client, tok = quiet_service
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with client.websocket_connect("/api/v1/stream", headers=auth(tok["JPN"])) as ws:
        _open(ws)
        with engine.begin() as conn:
            conn.execute(partners.update().where(partners.c.code == "JPN").values(revoked_ns=1))
        time.sleep(3.0)
        _post(client, tok["USA"], "late")  # would arrive if the stream were still open
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_json()
    assert (info.value.code, info.value.reason) == (1008, "token revoked")

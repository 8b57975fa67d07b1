"""Requests without a valid token are audited in aggregate, not one durable row each.

Reference: the documented rule (``tracklayer.service.audit.RefusalAudit``): the first
refusal is written at once, the following ones within 10 s are counted into the next
write, and every refusal is counted by the time the service stops.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.service.conftest import auth
from tracklayer.service.app import create_app
from tracklayer.service.audit import REFUSAL_TARGETS, RefusalAudit, read_audit
from tracklayer.service.db import make_engine, migrate


def test_refusals_are_counted_in_few_rows(db_url: str) -> None:
    app = create_app(db_url, static_dir=None, picture_interval_s=0.0)
    engine: Any = app.state.engine
    # An hour between writes: the test does not depend on how fast the machine runs it.
    app.state.service.refusals = RefusalAudit(engine, interval_s=3600.0)
    n = 300
    with TestClient(app) as client:
        for k in range(n):
            r = client.get("/api/v1/picture", headers=auth(f"tl_guess{k:040d}"))
            assert r.status_code == 401
        for k in range(100):  # many distinct paths
            client.get(f"/api/v1/tracks/USA/T{k}", headers=auth("tl_nope"))
        with client.websocket_connect("/api/v1/stream") as ws:
            ws.send_json({"token": "tl_nope"})
            with pytest.raises(WebSocketDisconnect):
                ws.receive_json()
        first = [e for e in read_audit(engine) if e.action == "auth_refused"]
        assert [(e.target, e.n_records) for e in first] == [("/api/v1/picture", 1)]
    engine = make_engine(db_url)
    refused = [e for e in read_audit(engine) if e.action == "auth_refused"]
    engine.dispose()
    assert all(e.partner is None and e.status == 401 for e in refused)
    assert sum(e.n_records for e in refused) == n + 100 + 1
    assert len(refused) <= 1 + REFUSAL_TARGETS + 1
    picture = sorted(e.n_records for e in refused if e.target == "/api/v1/picture")
    assert picture == [1, n - 1]  # the first at once, the others together


def test_refusals_after_the_interval_are_written_with_the_next_one(db_url: str) -> None:
    """With no interval, every refusal is its own write; with one, the counts wait."""
    engine = make_engine(db_url)
    migrate(engine)
    each = RefusalAudit(engine, interval_s=0.0)
    for _ in range(3):
        each.note("/a")
    assert [e.n_records for e in read_audit(engine)] == [1, 1, 1]
    held = RefusalAudit(engine, interval_s=3600.0)
    for _ in range(3):
        held.note("/b")
    assert [e.n_records for e in read_audit(engine) if e.target == "/b"] == [1]
    held.flush()
    assert [e.n_records for e in read_audit(engine) if e.target == "/b"] == [2, 1]
    engine.dispose()

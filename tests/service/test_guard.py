"""The HTTP guard: body size counted as read, JSON depth, security headers, /docs off.

References: the documented limits (``tracklayer.service.guard``, ``tracklayer.service.body``)
and RFC 9110 §15.5.14 (413 Content Too Large); the security headers are those OWASP's
Secure Headers Project recommends against framing and MIME sniffing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import auth, manual_picture_clock, message, spd_cov, track_state
from tracklayer.service.app import create_app
from tracklayer.service.auth import add_partner
from tracklayer.service.guard import DEFAULT_MAX_BODY_BYTES, SECURITY_HEADERS

LIMIT = 100_000  # bytes, for the tests' service


@pytest.fixture
def small_service(tmp_path: Any) -> Iterator[tuple[TestClient, str]]:
    """A service on SQLite refusing bodies over ``LIMIT`` bytes, and USA's token."""
    clock = manual_picture_clock()[0]
    app = create_app(
        f"sqlite:///{tmp_path}/p.db", static_dir=None, max_body_bytes=LIMIT, clock=clock
    )
    token = add_partner(app.state.engine, "USA")
    with TestClient(app) as client:
        yield client, token


def test_chunked_body_is_refused_once_past_the_limit(
    small_service: tuple[TestClient, str],
) -> None:
    """A body without Content-Length (chunked) of 5 MB: 413. (The test client reads the
    whole body before sending it; ``test_server_guard`` shows a real server stops
    reading as soon as the limit is passed.)"""
    client, token = small_service

    def body() -> Iterator[bytes]:
        for _ in range(500):
            yield b" " * 10_000

    r = client.post(
        "/api/v1/tracks",
        content=body(),
        headers={**auth(token), "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json() == {"detail": "body too large"}


def test_declared_length_over_the_limit_is_refused_unread(
    small_service: tuple[TestClient, str],
) -> None:
    client, token = small_service
    r = client.post("/api/v1/tracks", content=b"x" * (LIMIT + 1), headers=auth(token))
    assert r.status_code == 413


def test_a_message_under_the_limit_is_stored(small_service: tuple[TestClient, str]) -> None:
    client, token = small_service
    body = message("m1", "all", [track_state("USA", "T1")])
    r = client.post("/api/v1/tracks", json=body, headers=auth(token))
    assert r.status_code == 201, r.text


def test_default_limit_takes_the_largest_valid_message() -> None:
    """The schema's largest message (10,000 track states, full-precision covariances)
    fits under the default limit, and the default stays "a few MB" (under 32 MB)."""
    rng = np.random.default_rng(0)
    states = [track_state("USA", f"TRK-{k:06d}", cov=spd_cov(rng)) for k in range(10_000)]
    size = len(json.dumps(message("m" * 128, ["JPN"] * 3, states)).encode())
    assert size < DEFAULT_MAX_BODY_BYTES < 32e6


def test_deeply_nested_json_is_a_422_without_traceback(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """100,000 nested brackets (200 kB; and 50,000 nested objects): 422 naming the depth
    limit, no RecursionError, nothing logged as an error."""
    clock = manual_picture_clock()[0]
    app = create_app(f"sqlite:///{tmp_path}/p.db", static_dir=None, clock=clock)
    token = add_partner(app.state.engine, "USA")
    with TestClient(app) as client, caplog.at_level("ERROR"):
        for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
            r = _post_raw(client, token, body)
            assert r.status_code == 422, r.text
            assert r.json()["detail"] == [
                {
                    "loc": ["body"],
                    "msg": "JSON nested deeper than 200 levels",
                    "type": "json_too_deep",
                }
            ]
    assert "Traceback" not in caplog.text


def _post_raw(client: TestClient, token: str, body: bytes) -> Any:
    headers = {**auth(token), "content-type": "application/json"}
    return client.post("/api/v1/tracks", content=body, headers=headers)


@pytest.mark.parametrize("path", ["/health", "/api/v1/me", "/openapi.json", "/nowhere"])
def test_security_headers_on_every_answer(small_service: tuple[TestClient, str], path: str) -> None:
    client, token = small_service
    r = client.get(path, headers=auth(token))
    for name, value in SECURITY_HEADERS:
        assert r.headers[name.decode()] == value.decode()
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_docs_pages_are_off_by_default(small_service: tuple[TestClient, str]) -> None:
    """/docs and /redoc load scripts from a public CDN: not served unless asked."""
    client, _ = small_service
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_docs_pages_when_asked(tmp_path: Any) -> None:
    app = create_app(f"sqlite:///{tmp_path}/p.db", static_dir=None, docs=True)
    with TestClient(app) as client:
        assert client.get("/docs").status_code == 200

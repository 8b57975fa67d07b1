"""Ingest bodies read by hand (pydantic-core's JSON parser) answer exactly as FastAPI would.

Reference: a FastAPI route declaring the same model as a body parameter, FastAPI's own
reading and validation; the answers (status and body) must be equal byte for byte, and the
OpenAPI document must declare the same request body and schemas.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from tracklayer.service.body import parse_json_body, request_body_openapi
from tracklayer.service.schemas import DetectionMessage, TrackMessage

_COV = [1e4 if i % 7 == 0 else 0.0 for i in range(36)]
_GOOD: dict[str, Any] = {
    "message_id": "m1",
    "releasable_to": "all",
    "tracks": [
        {
            "track_id": "t1",
            "tracker": "USA",
            "time": "2027-03-01T00:00:00.5+01:00",
            **dict(zip(("x", "y", "z", "vx", "vy", "vz"), (7e6, 0, 0, 0, 7e3, 0), strict=True)),
            "cov": _COV,
            "status": "confirmed",
        }
    ],
}


def _with(path: tuple[Any, ...], value: Any) -> bytes:
    body = json.loads(json.dumps(_GOOD))
    node = body
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return json.dumps(body).encode()


_CASES: list[tuple[str | None, bytes]] = [
    ("application/json", json.dumps(_GOOD).encode()),
    ("application/vnd.x+json; charset=utf-8", json.dumps(_GOOD).encode()),
    ("application/json", b""),
    ("application/json", b"null"),
    ("application/json", b"[]"),
    ("application/json", b"1"),
    ("application/json", b"{bad"),
    ("application/json", b"\x80\xf2"),
    ("application/json", b"\xef\xbb\xbf{}"),
    ("text/plain", json.dumps(_GOOD).encode()),
    (None, json.dumps(_GOOD).encode()),
    ("application/json", _with(("tracks", 0, "x"), "abc")),
    ("application/json", _with(("tracks", 0, "x"), 1e9)),
    ("application/json", _with(("tracks", 0, "cov"), [1.0] * 35)),
    ("application/json", _with(("tracks", 0, "time"), "2027-03-01T00:00:00")),
    ("application/json", _with(("tracks", 0, "extra"), 1)),
    ("application/json", _with(("message_id",), KeyError)),
    ("application/json", _with(("releasable_to",), ["US"])),
    ("application/json", _with(("tracks",), [])),
    ("application/json", _with(("tracks", 0, "status"), "lost")),
]


def _apps() -> tuple[TestClient, TestClient]:
    reference = FastAPI()

    @reference.post("/t")
    def by_fastapi(message: TrackMessage) -> dict[str, Any]:
        return message.model_dump(mode="json")

    ours = FastAPI()

    @ours.post("/t", openapi_extra=request_body_openapi(TrackMessage))
    async def by_hand(request: Request) -> dict[str, Any]:
        body = await request.body()
        message = parse_json_body(TrackMessage, body, request.headers.get("content-type"))
        return message.model_dump(mode="json")

    return TestClient(reference), TestClient(ours)


@pytest.mark.parametrize(("content_type", "body"), _CASES)
def test_same_answer_as_fastapi(content_type: str | None, body: bytes) -> None:
    """Status and body equal to FastAPI's own for valid, malformed and invalid bodies."""
    reference, ours = _apps()
    headers = {} if content_type is None else {"content-type": content_type}
    want = reference.post("/t", content=body, headers=headers)
    got = ours.post("/t", content=body, headers=headers)
    assert (got.status_code, got.json()) == (want.status_code, want.json())


def test_service_openapi_declares_the_bodies(tmp_path: Any) -> None:
    """The ingest routes declare their models as FastAPI would (same schemas, 422 answer)."""
    from tracklayer.service.app import create_app

    reference = FastAPI()

    @reference.post("/tracks")
    def tracks(message: TrackMessage) -> None:
        return None

    @reference.post("/detections")
    def detections(message: DetectionMessage) -> None:
        return None

    want = reference.openapi()
    got = create_app(f"sqlite:///{tmp_path}/p.db", static_dir=None).openapi()
    for name in ("TrackMessage", "TrackStateIn", "DetectionMessage", "DetectionIn"):
        assert got["components"]["schemas"][name] == want["components"]["schemas"][name]
    for ours, theirs in (("/api/v1/tracks", "/tracks"), ("/api/v1/detections", "/detections")):
        op, ref = got["paths"][ours]["post"], want["paths"][theirs]["post"]
        assert op["requestBody"] == ref["requestBody"]
        assert op["responses"]["422"] == ref["responses"]["422"]

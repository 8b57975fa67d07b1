"""``GET /metrics``: Prometheus text format, counts that match what was done, and access
from this host only.

Reference: the Prometheus text exposition format, read back with prometheus-client's own
parser; the expected counts are those of the requests the test makes.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.service.conftest import auth, message, track_state


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_ingest_rejections_and_streams(
    service: tuple[TestClient, dict[str, str]],
) -> None:
    client, tok = service
    usa = auth(tok["USA"])
    states = [track_state("USA", f"T{k}") for k in range(3)]
    assert (
        client.post("/api/v1/tracks", json=message("m1", "all", states), headers=usa).status_code
        == 201
    )
    assert (
        client.post("/api/v1/tracks", json=message("m1", "all", states), headers=usa).status_code
        == 200
    )
    other = message("m1", "all", states[:1])
    assert client.post("/api/v1/tracks", json=other, headers=usa).status_code == 409
    bad = message("m2", "all", [{**states[0], "x": "7000000"}])
    assert client.post("/api/v1/tracks", json=bad, headers=usa).status_code == 422
    inside = message("m3", "all", [track_state("USA", "T", pos=(1.0, 0.0, 0.0))])
    assert client.post("/api/v1/tracks", json=inside, headers=usa).status_code == 422
    for k in range(2):
        assert client.get(f"/api/v1/tracks/USA/none{k}", headers=usa).status_code == 404
    with client.websocket_connect("/api/v1/stream", headers=auth(tok["JPN"])) as ws:
        ws.receive_json()
        ws.receive_json()
        samples = _samples(client)
        assert _value(samples, "tracklayer_stream_subscribers") == 1.0
    m = "tracklayer_http_requests_total"
    route = "/api/v1/tracks/{tracker}/{track_id}"
    assert _value(samples, m, method="GET", route=route, status="404") == 2.0
    assert _value(samples, m, method="POST", route="/api/v1/tracks", status="201") == 1.0
    assert _value(samples, m, method="POST", route="/api/v1/tracks", status="422") == 2.0
    ingest = "tracklayer_ingest_messages_total"
    assert _value(samples, ingest, kind="tracks", outcome="stored") == 1.0
    assert _value(samples, ingest, kind="tracks", outcome="retry") == 1.0
    assert _value(samples, "tracklayer_ingest_records_total", kind="tracks") == 3.0
    rejected = "tracklayer_rejected_messages_total"
    assert _value(samples, rejected, reason="reused_id") == 1.0
    assert _value(samples, rejected, reason="schema") == 1.0
    assert _value(samples, rejected, reason="check") == 1.0
    assert _value(samples, "tracklayer_commit_batch_messages_count") == 1.0
    assert _value(samples, "tracklayer_commit_batch_messages_sum") == 1.0
    assert _value(samples, "tracklayer_commit_latency_seconds_count") == 3.0


def test_body_too_large_is_counted(tmp_path: Any) -> None:
    from tracklayer.service.app import create_app
    from tracklayer.service.auth import add_partner

    app = create_app(f"sqlite:///{tmp_path}/p.db", static_dir=None, max_body_bytes=1000)
    token = add_partner(app.state.engine, "USA")
    with TestClient(app) as client:
        r = client.post("/api/v1/tracks", content=b" " * 2000, headers=auth(token))
        assert r.status_code == 413
        samples = _samples(client)
    assert _value(samples, "tracklayer_rejected_messages_total", reason="too_large") == 1.0


@pytest.mark.parametrize(
    ("client_addr", "headers", "status"),
    [
        (("127.0.0.1", 50000), {}, 200),
        (("::1", 50000), {}, 200),
        (("10.1.2.3", 50000), {}, 404),
        (("127.0.0.1", 50000), {"X-Forwarded-For": "203.0.113.9"}, 404),
        (("127.0.0.1", 50000), {"Forwarded": "for=203.0.113.9"}, 404),
    ],
)
def test_metrics_answer_this_host_only(
    tmp_path: Any, client_addr: tuple[str, int], headers: dict[str, str], status: int
) -> None:
    from tracklayer.service.app import create_app

    app = create_app(f"sqlite:///{tmp_path}/p.db", static_dir=None)
    with TestClient(app, client=client_addr) as client:
        assert client.get("/metrics", headers=headers).status_code == status

"""The service's metrics in the Prometheus text format, at ``GET /metrics``.

Series (one registry per application; every name starts with ``tracklayer_``):

- ``http_requests_total{method, route, status}`` and ``http_request_duration_seconds
  {route}``: every HTTP request, by route template (``/api/v1/tracks/{tracker}/{track_id}``,
  never the path itself, so ids do not multiply the series; ``unmatched`` otherwise).
- ``ingest_messages_total{kind, outcome}`` (outcome ``stored``, ``retry``) and
  ``ingest_records_total{kind}``: acknowledged messages and the states or detections they
  stored.
- ``rejected_messages_total{reason}``: ingest requests refused, by reason (``schema``,
  ``check``, ``reused_id``, ``too_large``, ``writer_unavailable``).
- ``commit_batch_messages``: messages stored by each group commit (histogram);
  ``commit_latency_seconds``: from a message handed to the writer to its durable commit.
- ``stream_subscribers`` and ``stream_queued_messages``: open WebSocket subscriptions, and
  updates waiting in their queues (read at each scrape).
- ``fusion_seconds``: each periodic fusion of the stream's pictures.

Access: only from the host itself, directly: a request from a loopback address that
does not come through a proxy (no ``Forwarded`` or ``X-Forwarded-For`` header) is
answered; any other gets the 404 of a route that does not exist. Prometheus then
scrapes ``http://127.0.0.1:PORT/metrics`` on the service's host. With ``serve --workers
N`` each scrape is answered by one worker, with its own counts; the gauge
``tracklayer_instance{instance}`` names the process that answered.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = ["ServiceMetrics", "loopback_only"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class ServiceMetrics:
    """The metrics of one application (see the module notes).

    Parameters
    ----------
    instance : str
        The process's instance id (the ``instance`` label of every series).
    """

    def __init__(self, instance: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = {"instance": instance}
        r = self.registry
        self.requests = Counter(
            "tracklayer_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=r,
        ).labels
        self.request_seconds = Histogram(
            "tracklayer_http_request_duration_seconds",
            "HTTP request duration, s",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        ).labels
        self.ingested = Counter(
            "tracklayer_ingest_messages",
            "Acknowledged ingest messages",
            ["kind", "outcome"],
            registry=r,
        ).labels
        self.records = Counter(
            "tracklayer_ingest_records", "Records stored by ingest", ["kind"], registry=r
        ).labels
        self.rejected = Counter(
            "tracklayer_rejected_messages", "Ingest requests refused", ["reason"], registry=r
        ).labels
        self.batch = Histogram(
            "tracklayer_commit_batch_messages",
            "Messages stored by one group commit",
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.commit_seconds = Histogram(
            "tracklayer_commit_latency_seconds",
            "From writer hand-off to durable commit, s",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.fusion_seconds = Histogram(
            "tracklayer_fusion_seconds",
            "One periodic fusion of the stream's pictures, s",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.subscribers = Gauge(
            "tracklayer_stream_subscribers", "Open stream subscriptions", registry=r
        )
        self.queued = Gauge(
            "tracklayer_stream_queued_messages",
            "Updates waiting in subscribers' queues",
            registry=r,
        )
        Gauge("tracklayer_instance", "This process", ["instance"], registry=r).labels(**labels).set(
            1
        )

    def watch_stream(self, subscribers: Callable[[], int], queued: Callable[[], int]) -> None:
        """Read the stream's gauges from these functions at each scrape."""
        self.subscribers.set_function(subscribers)
        self.queued.set_function(queued)

    @contextmanager
    def timing(self, histogram: Histogram) -> Iterator[None]:
        """Observe the duration of the ``with`` block in ``histogram``, s."""
        start = time.perf_counter()
        try:
            yield
        finally:
            histogram.observe(time.perf_counter() - start)

    def exposition(self) -> Response:
        """The current values, in the Prometheus text format."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


#: Client names that are this host: ``testclient`` is the in-process test client's.
_LOOPBACK_NAMES = {"localhost", "testclient"}


def loopback_only(request: Request) -> JSONResponse | None:
    """None when ``request`` comes straight from this host; else the 404 to answer."""
    client = request.client
    host = "" if client is None else client.host
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = host in _LOOPBACK_NAMES
    proxied = "forwarded" in request.headers or "x-forwarded-for" in request.headers
    if local and not proxied:
        return None
    return JSONResponse({"detail": "Not Found"}, status_code=404)

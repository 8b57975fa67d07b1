"""A partner nation's client of the picture service.

:class:`PartnerClient` posts national tracks and detections over HTTP (httpx) with retries
that never duplicate a message (every retry re-sends the same ``message_id``, which the
service stores once), reads the picture, the history and the Parquet export, and follows
the live WebSocket stream (:func:`stream_updates`). :func:`track_message` turns rows of a
``tracks`` table into one ingest message. See ``docs/client.md`` for an example.
"""

from tracklayer.client.http import (
    Ack,
    ClientError,
    PartnerClient,
    RetryPolicy,
    ServiceUnavailable,
    service_clock,
)
from tracklayer.client.messages import (
    detection_message,
    detection_records,
    track_message,
    track_records,
)
from tracklayer.client.stream import stream_updates

__all__ = [
    "Ack",
    "ClientError",
    "PartnerClient",
    "RetryPolicy",
    "ServiceUnavailable",
    "detection_message",
    "detection_records",
    "service_clock",
    "stream_updates",
    "track_message",
    "track_records",
]

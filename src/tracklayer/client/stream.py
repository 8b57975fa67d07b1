"""The live WebSocket stream of the picture service, as a blocking iterator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from websockets.sync.client import connect

__all__ = ["stream_updates"]


def stream_url(base_url: str) -> str:
    """``ws[s]://host:port/api/v1/stream`` from the service's ``http[s]://`` root."""
    root = base_url.rstrip("/")
    if root.startswith("https://"):
        return "wss://" + root[len("https://") :] + "/api/v1/stream"
    if root.startswith("http://"):
        return "ws://" + root[len("http://") :] + "/api/v1/stream"
    raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")


def stream_updates(
    base_url: str, token: str, *, open_timeout_s: float = 10.0
) -> Iterator[dict[str, Any]]:
    """Follow the partner's live updates until the service closes the stream.

    The first update is ``{"type": "hello", "partner": CODE}``; the next ones carry the
    current picture and then every message and fused picture the partner may see
    (``type`` says which). Closing the iterator (``break``, ``close()``) closes the stream.

    Parameters
    ----------
    base_url : str
        The service's root, ``http://host:port``.
    token : str
        The partner's bearer token.
    open_timeout_s : float
        Time allowed to open the connection, s.
    """
    headers = {"Authorization": f"Bearer {token}"}
    with connect(
        stream_url(base_url), additional_headers=headers, open_timeout=open_timeout_s
    ) as ws:
        for text in ws:
            yield json.loads(text)

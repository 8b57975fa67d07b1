"""Structured logs: one JSON object per line, and an ASGI middleware logging every request.

A request's line holds its id, method, path (never the query string, which could carry
a token), status, partner and duration, so the log can be searched and joined with the
audit table. Tokens never reach the log: the service reads them only from the
``Authorization`` header or a WebSocket's first message, and every line sent to the
service's log handler is scrubbed (:class:`ScrubFilter`) of query strings (uvicorn's own
lines, such as a WebSocket's ``[accepted]``, print the path with its query) and of
anything shaped like a token (``tl_`` and 43 URL-safe characters).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from tracklayer.service.metrics import ServiceMetrics

__all__ = ["JsonFormatter", "RequestLogMiddleware", "ScrubFilter", "configure_logging", "scrub"]

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

log = logging.getLogger("tracklayer.service.request")


_QUERY = re.compile(r'(/[^\s"?]*)\?[^\s"]*')
#: ANSI escape sequences (colours, cursor moves) that terminal-minded loggers put in text.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
#: Extras that repeat the message with terminal colours (uvicorn's): never written.
_TERMINAL_ONLY = {"color_message"}
_TOKEN = re.compile(r"tl_[A-Za-z0-9_-]{16,}")


def scrub(text: str) -> str:
    """``text`` without the query strings of paths in it and without token-shaped words."""
    return _TOKEN.sub("tl_[redacted]", _QUERY.sub(r"\1?[query removed]", text))


class ScrubFilter(logging.Filter):
    """Rewrite each record's message with :func:`scrub` (the message is formatted first,
    so arguments cannot bring a query string or token back)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_text is None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        for key in ("color_message", "path"):
            value = getattr(record, key, None)
            if isinstance(value, str):
                setattr(record, key, scrub(value))
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line: time, level, logger, message and every extra field.

    Text carries no ANSI escape codes (a log file or collector shows them raw), and
    uvicorn's coloured copy of the message (``color_message``) is left out."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": _ANSI.sub("", record.getMessage()),
        }
        out.update(
            {
                k: _ANSI.sub("", v) if isinstance(v, str) else v
                for k, v in vars(record).items()
                if k not in _STANDARD and k not in _TERMINAL_ONLY
            }
        )
        if record.exc_info:
            out["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(level: str = "info") -> None:
    """Send the service's and uvicorn's logs to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubFilter())
    for name in ("tracklayer", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    # Our middleware logs each request; uvicorn's access log would say it twice, unstructured.
    logging.getLogger("uvicorn.access").disabled = True


class RequestLogMiddleware:
    """Log one structured line per HTTP request, and give its answer an ``X-Request-Id``;
    count it in ``metrics`` (by route template and status), when given."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        start = time.perf_counter()
        status = 500

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            duration_s = time.perf_counter() - start
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "partner": state.get("partner"),
                    "duration_ms": round(duration_s * 1e3, 3),
                },
            )
            if self.metrics is not None:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                self.metrics.requests(scope.get("method", ""), route, str(status)).inc()
                self.metrics.request_seconds(route).observe(duration_s)

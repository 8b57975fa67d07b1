"""HTTP guard: a body-size limit on the bytes actually read, and security headers.

The limit is checked twice: a declared ``Content-Length`` over it is refused before any
byte is read, and a body sent without one (chunked) is counted as it arrives and refused
as soon as the count passes the limit, without reading the rest. Either way the answer is
413 ``{"detail": "body too large"}`` and nothing of the message is stored.

Every HTTP answer carries headers that keep browsers from framing the service's pages
(``X-Frame-Options: DENY``, CSP ``frame-ancestors 'none'``), from guessing content types
(``X-Content-Type-Options: nosniff``) and from sending the page's address elsewhere
(``Referrer-Policy: no-referrer``).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_MAX_BODY_BYTES", "SECURITY_HEADERS", "BodyTooLarge", "GuardMiddleware"]

#: Default largest request body, bytes: the largest message the schema accepts (10,000
#: track states, about 9.3 MB with full-precision covariances) with room to spare.
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024

#: Headers added to every HTTP answer.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)

_TOO_LARGE = b'{"detail":"body too large"}'


class BodyTooLarge(Exception):
    """The request body passed the limit while it was being read."""


class GuardMiddleware:
    """Refuse bodies over ``max_body_bytes`` (413) and add :data:`SECURITY_HEADERS`.

    Parameters
    ----------
    app : ASGIApp
        The application behind the guard.
    max_body_bytes : int
        Largest request body accepted, bytes.
    on_too_large : callable, optional
        Called once for each body refused.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        on_too_large: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.on_too_large = on_too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_guarded(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        length = _declared_length(scope)
        if length is None or length > self.max_body_bytes:
            await self._refuse(send_guarded)
            return
        received = 0

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, receive_counted, send_guarded)
        except BodyTooLarge:
            if not started:
                await self._refuse(send_guarded)

    async def _refuse(self, send: Send) -> None:
        if self.on_too_large is not None:
            self.on_too_large()
        await _too_large(send)


def _declared_length(scope: Scope) -> int | None:
    """The ``Content-Length`` (0 when absent), or None when it is not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return 0


async def _too_large(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_TOO_LARGE)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _TOO_LARGE})

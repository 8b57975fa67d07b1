"""The live stream route: ``WS /api/v1/stream``.

The token comes in an ``Authorization`` header or, from a browser, as the first message
``{"token": "..."}``. Messages: ``hello``, then the whole ``picture`` (national and system
tracks), then each national message released to the partner (``tracks``, ``detections``)
as it is committed, and every ``picture_interval_s`` the system tracks alone (``fused``).

Close codes: 1000 (the service stops), 1008 (policy violation: a refused token, reason
``missing, unknown or revoked token``; or the partner's token revoked or rotated while
the stream was open, reason ``token revoked`` / ``token rotated``: nothing is sent after
the revocation returns), 1013 (try again later: the client read too slowly).
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import anyio
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from tracklayer.service.audit import Auditor
from tracklayer.service.auth import authenticate
from tracklayer.service.deps import REFUSED, StateDep
from tracklayer.service.stream import Subscriber

__all__ = ["WS_AUTH_TIMEOUT_S", "WS_REFUSED", "WS_TOO_SLOW", "router"]

#: Seconds a WebSocket client has to send its token.
WS_AUTH_TIMEOUT_S = 5.0
#: WebSocket close codes: policy violation (refused token), try again later (too slow).
WS_REFUSED, WS_TOO_SLOW = 1008, 1013

router = APIRouter()


async def _token(ws: WebSocket) -> str | None:
    """The bearer token of the ``Authorization`` header, else of the first message
    (called once the connection is accepted)."""
    header = ws.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    with contextlib.suppress(Exception):
        first = await asyncio.wait_for(ws.receive_json(), WS_AUTH_TIMEOUT_S)
        token = first.get("token") if isinstance(first, dict) else None
        return token if isinstance(token, str) else None
    return None


@router.websocket("/api/v1/stream")
async def stream(ws: WebSocket, state: StateDep) -> None:
    """Live updates visible to the partner: national messages and fused pictures."""
    await ws.accept()
    token = await _token(ws)
    partner = await anyio.to_thread.run_sync(authenticate, state.engine, token)
    if partner is None:
        await anyio.to_thread.run_sync(state.refusals.note, "/api/v1/stream")
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await ws.close(WS_REFUSED, REFUSED)
        return
    audit = Auditor(state.engine, partner.code, "/api/v1/stream")
    sub = state.hub.subscribe(partner.code, partner.token_issued_ns)
    await audit.off_loop("stream_open")
    try:
        hello = json.dumps({"type": "hello", "partner": partner.code}, separators=(",", ":"))
        if await sub.send_text(ws.send_text, hello):
            picture = await state.texts.picture(partner.code)
            if await sub.send_text(ws.send_text, picture):
                await _pump(ws, sub)
    except WebSocketDisconnect:
        pass  # the client left (right after hello, say): nothing to answer
    finally:
        state.hub.unsubscribe(sub)
        await audit.off_loop("stream_close", sub.sent)
        await _close(ws, sub)


async def _close(ws: WebSocket, sub: Subscriber) -> None:
    """Close the connection (if the client has not) with the code saying why it ends."""
    if ws.application_state != WebSocketState.CONNECTED:
        return
    if sub.ended is not None:
        code, reason = WS_REFUSED, sub.ended
    else:
        code, reason = (WS_TOO_SLOW if sub.overflowed else 1000), None
    with contextlib.suppress(Exception):
        await ws.close(code, reason)


async def _pump(ws: WebSocket, sub: Subscriber) -> None:
    """Send the subscriber's queue until it ends or the client goes away."""

    async def drain() -> None:
        # Reading detects a client that went away; clients send nothing else.
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    return

    async def send() -> None:
        while True:
            text = await sub.queue.get()
            if text is None or not await sub.send_text(ws.send_text, text):
                return
            sub.sent += 1

    tasks = [asyncio.create_task(drain()), asyncio.create_task(send())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

"""Ending the live streams of a partner whose token is revoked or rotated.

A stream is authenticated once, when it opens; afterwards nothing would stop it. So the
service watches the partners of its open subscriptions two ways:

- in its own process, :func:`~tracklayer.service.auth.revoke_partner` and
  :func:`~tracklayer.service.auth.rotate_token` call the listener registered here, which
  ends the partner's subscriptions before the call returns;
- for a revocation or rotation committed by another process (``tracklayer partner
  revoke`` while the server runs, or another worker), every
  :data:`~tracklayer.service.auth.TOKEN_CACHE_TTL_S` it reads the ``partners`` rows of its
  subscribers and ends those whose partner is revoked or whose token was issued after
  the one they opened with.

An ended subscription sends nothing more and is closed with code 1008 (policy
violation) and the reason ``token revoked`` or ``token rotated``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import anyio
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tracklayer.service import auth
from tracklayer.service.db import partners
from tracklayer.service.stream import StreamHub, Subscriber

__all__ = ["REVOKED", "ROTATED", "RevocationWatch"]

log = logging.getLogger("tracklayer.service.revocation")

#: Close reasons of a stream ended by a token change (close code 1008).
REVOKED, ROTATED = "token revoked", "token rotated"


class RevocationWatch:
    """Ends the stream subscriptions of ``hub`` whose partner's token changed.

    Parameters
    ----------
    engine : Engine
        The service's database.
    hub : StreamHub
        The subscriptions to watch.
    interval_s : float
        Period of the database check for changes made by other processes, s.
    """

    def __init__(
        self, engine: Engine, hub: StreamHub, interval_s: float = auth.TOKEN_CACHE_TTL_S
    ) -> None:
        self._engine = engine
        self._hub = hub
        self._interval_s = interval_s
        self._url = str(engine.url)
        self._remove: Callable[[], None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen to this process's token changes and start the periodic check."""
        self._remove = auth.on_token_change(self._changed_here)
        self._task = asyncio.create_task(self._check_loop())

    async def stop(self) -> None:
        """Stop listening and checking."""
        if self._remove is not None:
            self._remove()
            self._remove = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _changed_here(self, url: str, code: str, reason: str) -> None:
        if url == self._url:
            self._hub.end_partner_threadsafe(code, reason)

    async def _check_loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            subs = self._hub.subscribers()
            if not subs:
                continue
            try:
                await self.check(subs)
            except Exception:
                log.exception("checking the stream subscribers' tokens failed")

    async def check(self, subs: list[Subscriber]) -> None:
        """End the subscriptions among ``subs`` whose partner was revoked or rotated."""
        codes = sorted({s.partner for s in subs})
        rows = await anyio.to_thread.run_sync(self._read, codes)
        for reason in (REVOKED, ROTATED):
            ended = [s for s in subs if _why_ended(s, rows.get(s.partner)) == reason]
            if ended:
                await self._hub.end(ended, reason)

    def _read(self, codes: list[str]) -> dict[str, tuple[int, int | None]]:
        query = sa.select(partners.c.code, partners.c.token_issued_ns, partners.c.revoked_ns)
        with self._engine.connect() as conn:
            rows = conn.execute(query.where(partners.c.code.in_(codes))).all()
        return {r[0]: (r[1], r[2]) for r in rows}


def _why_ended(sub: Subscriber, row: tuple[int, int | None] | None) -> str | None:
    if sub.ended is not None:
        return None
    if row is None or row[1] is not None:
        return REVOKED
    if row[0] > sub.token_issued_ns:
        return ROTATED
    return None

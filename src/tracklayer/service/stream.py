"""The live stream: a hub that pushes each committed message to the partners that may see it.

Ingest serializes each message's update once, on its request thread; the group-commit
writer hands a committed batch's updates to the hub with :meth:`StreamHub.publish_texts`
(thread-safe, one event-loop callback per batch). On the event loop, the hub checks each
release against the subscribers' partners once per batch and queues the same text for
every subscriber allowed to see it. A subscriber too slow to keep up
(its queue full) is disconnected with close code 1013 rather than let memory grow; it
reconnects and reads the picture again.

A partner whose token is revoked or rotated loses its subscriptions at once
(:meth:`StreamHub.end_partner`): once that returns, none of them sends another message,
and each is closed with code 1008 (policy violation) and the reason ``token revoked`` or
``token rotated``.

Besides national updates, subscribers receive the system tracks (``type: "fused"``),
recomputed at most every ``picture_interval_s`` for partners that received an update, so
the fusion cost does not grow with the message rate; the national tracks they already have
(the picture sent when the subscription opened, and the updates since) are not sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tracklayer.fusion.releasability import Release

__all__ = ["StreamHub", "Subscriber"]

log = logging.getLogger("tracklayer.service.stream")

#: Messages queued for one subscriber before it is dropped as too slow.
DEFAULT_QUEUE_SIZE = 10_000


@dataclass(eq=False)
class Subscriber:
    """One WebSocket connection of a partner.

    ``token_issued_ns`` is when the token it authenticated with was issued (a later one
    means the token was rotated since). ``ended`` is why the service ended it (its token
    revoked or rotated), None otherwise. Its sender holds ``sending`` while it sends a
    message and sends nothing once ``ended`` is set (see :meth:`send_text`).
    """

    partner: str
    queue: asyncio.Queue[str | None] = field(repr=False)
    token_issued_ns: int = 0
    sent: int = 0
    overflowed: bool = False
    ended: str | None = None
    sending: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    async def send_text(self, send: Callable[[str], Awaitable[None]], text: str) -> bool:
        """Send ``text`` with ``send`` unless the subscription was ended; whether sent."""
        async with self.sending:
            if self.ended is not None:
                return False
            await send(text)
            return True


class StreamHub:
    """Fan-out of committed updates to subscribed partners, by releasability."""

    def __init__(
        self,
        pictures_for: Callable[[list[str]], Awaitable[dict[str, str]]] | None = None,
        picture_interval_s: float = 1.0,
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        self._subscribers: set[Subscriber] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pictures_for = pictures_for
        self._picture_interval_s = picture_interval_s
        self._queue_size = queue_size
        self._dirty: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Bind to the running event loop and start the periodic fused-picture task."""
        self._loop = asyncio.get_running_loop()
        if self._pictures_for is not None and self._picture_interval_s > 0:
            self._task = asyncio.create_task(self._picture_loop())

    async def stop(self) -> None:
        """Stop the picture task and end every subscription."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for sub in list(self._subscribers):
            self._close(sub)
        self._loop = None

    def subscribe(self, partner: str, token_issued_ns: int = 0) -> Subscriber:
        """Register a subscriber (call on the event loop)."""
        sub = Subscriber(
            partner=partner,
            queue=asyncio.Queue(self._queue_size + 1),
            token_issued_ns=token_issued_ns,
        )
        self._subscribers.add(sub)
        return sub

    def subscribers(self) -> list[Subscriber]:
        """The current subscriptions (a copy)."""
        return list(self._subscribers)

    async def end(self, subs: list[Subscriber], reason: str) -> None:
        """End subscriptions for ``reason``: when this returns, none sends another message
        (a message being sent is waited for) and each closes with code 1008."""
        for sub in subs:
            sub.ended = reason
        for sub in subs:
            async with sub.sending:
                pass
            self._close(sub)
            log.info("stream ended", extra={"partner": sub.partner, "reason": reason})

    async def end_partner(
        self, partner: str, reason: str, issued_before_ns: int | None = None
    ) -> None:
        """End every subscription of ``partner`` (only those whose token was issued before
        ``issued_before_ns``, when given) for ``reason``."""
        subs = [
            s
            for s in self._subscribers
            if s.partner == partner
            and (issued_before_ns is None or s.token_issued_ns < issued_before_ns)
        ]
        await self.end(subs, reason)

    def end_partner_threadsafe(self, partner: str, reason: str, timeout_s: float = 10.0) -> None:
        """:meth:`end_partner` from any thread; returns once it is done (from a thread
        other than the loop's), so no message reaches the partner after this returns."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        for sub in list(self._subscribers):
            if sub.partner == partner:
                sub.ended = reason  # stops the senders before the loop runs end()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            loop.create_task(self.end_partner(partner, reason))
            return
        with contextlib.suppress(RuntimeError):
            future = asyncio.run_coroutine_threadsafe(self.end_partner(partner, reason), loop)
            with contextlib.suppress(TimeoutError):
                future.result(timeout_s)

    def unsubscribe(self, sub: Subscriber) -> None:
        """Forget a subscriber."""
        self._subscribers.discard(sub)

    @property
    def n_subscribers(self) -> int:
        """Current number of subscriptions."""
        return len(self._subscribers)

    @property
    def n_queued(self) -> int:
        """Updates waiting in the subscribers' queues, all together."""
        return sum(s.queue.qsize() for s in list(self._subscribers))

    def publish(self, release: Release, update: dict[str, Any]) -> None:
        """Send ``update`` to every subscriber whose partner ``release`` lets see it.

        Thread-safe: serializes on the calling thread, returns at once.
        """
        self.publish_texts([(release, json.dumps(update, separators=(",", ":")))])

    def publish_texts(self, updates: list[tuple[Release, str]]) -> None:
        """Send serialized updates, in order, each to the subscribers its release allows.

        Thread-safe: called after each commit (by the writer thread, or on the loop with a
        writer process's answer), with the batch's updates already serialized (once each,
        whatever the number of subscribers).
        """
        loop = self._loop
        if loop is None or loop.is_closed() or not updates:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:  # a writer process's answer, read on the loop itself
            self._dispatch(updates)
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._dispatch, updates)

    def _close(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)
        with contextlib.suppress(asyncio.QueueFull):
            sub.queue.put_nowait(None)

    def _dispatch(self, updates: list[tuple[Release, str]]) -> None:
        targets_of: dict[Release, list[Subscriber]] = {}
        for release, text in updates:
            targets = targets_of.get(release)
            if targets is None:
                targets = [s for s in self._subscribers if release.visible_to(s.partner)]
                targets_of[release] = targets
            for sub in targets:
                if sub in self._subscribers:
                    self._offer(sub, text)
                    self._dirty.add(sub.partner)

    def _offer(self, sub: Subscriber, text: str) -> None:
        if sub.queue.qsize() >= self._queue_size:
            sub.overflowed = True
            log.warning("stream subscriber too slow, dropped", extra={"partner": sub.partner})
            self._close(sub)
            return
        sub.queue.put_nowait(text)

    async def _picture_loop(self) -> None:
        assert self._pictures_for is not None
        while True:
            await asyncio.sleep(self._picture_interval_s)
            dirty, self._dirty = self._dirty, set()
            partners = sorted(p for p in dirty if any(s.partner == p for s in self._subscribers))
            if not partners:
                continue
            try:
                # All partners at once: one snapshot, so equal inputs share one fusion.
                texts = await self._pictures_for(partners)
            except Exception:
                log.exception("fused picture for the stream failed")
                continue
            for sub in list(self._subscribers):
                text = texts.get(sub.partner)
                if text is not None:
                    self._offer(sub, text)

"""Pace an exercise's messages on the simulation clock and post them.

The clock runs ``speed`` times real time from the first message due (or from ``sim_start_s``,
where the service's own clock stands when the exercise follows it); each message is posted
by its owner's :class:`~tracklayer.client.PartnerClient` when the clock reaches it. A late
post (the service was slow or restarting) does not stretch the clock: the next messages
fall due on time and are sent as soon as the previous one is acknowledged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracklayer.client import PartnerClient, RetryPolicy, detection_message, track_message
from tracklayer.exercise.plan import ExerciseMessage
from tracklayer.exercise.tdm import tdm_post

if TYPE_CHECKING:
    import httpx

__all__ = ["ExerciseCounts", "replay"]


@dataclass
class ExerciseCounts:
    """Running totals of an exercise.

    Attributes
    ----------
    sim_s : float
        Simulated time reached, s after the first epoch.
    posted, acknowledged : int
        Messages sent and acknowledged (a retry of a stored message counts once).
    duplicates : int
        Acknowledgements of messages the service already held (a resumed exercise).
    retries : int
        Tries beyond the first, over all posts.
    records : dict of str to int
        Track states acknowledged per owner.
    detections : int
        Detections acknowledged.
    """

    sim_s: float = 0.0
    posted: int = 0
    acknowledged: int = 0
    duplicates: int = 0
    retries: int = 0
    records: dict[str, int] = field(default_factory=dict)
    detections: int = 0


def replay(
    messages: Sequence[ExerciseMessage],
    server: str,
    tokens: Mapping[str, str],
    speed: float | None = 1.0,
    on_update: Callable[[ExerciseCounts], None] | None = None,
    retry: RetryPolicy | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
    sim_start_s: float | None = None,
) -> ExerciseCounts:
    """Post ``messages`` (in due order) as the simulation clock reaches them.

    Parameters
    ----------
    messages : sequence of ExerciseMessage
        From :func:`~tracklayer.exercise.plan_messages`.
    server : str
        The service's root URL.
    tokens : mapping of str to str
        Each owner's token.
    speed : float or None
        Simulated seconds per real second (1 = real time); None posts without waiting.
    on_update : callable, optional
        Called with the running totals after each message.
    retry : RetryPolicy, optional
        The clients' retries.
    clock, sleep : callable, optional
        The real-time clock (s) and the wait (tests replace them).
    transport : httpx.BaseTransport, optional
        Replaces the network (tests).
    sim_start_s : float, optional
        Simulated time (the messages' ``due_s`` scale) at the start: messages due before it
        are posted at once, the rest when the clock reaches them (default: the first due).
    """
    if speed is not None and speed <= 0:
        raise ValueError(f"speed must be > 0, got {speed}")
    counts = ExerciseCounts()
    clients = {
        o: PartnerClient(server, tokens[o], retry=retry, transport=transport, sleep=sleep)
        for o in {m.owner for m in messages}
    }
    try:
        start = clock()
        first = messages[0].due_s if messages else 0.0
        first = first if sim_start_s is None else sim_start_s
        for msg in messages:
            if speed is not None:
                wait = start + (msg.due_s - first) / speed - clock()
                if wait > 0:
                    sleep(wait)
            counts.sim_s = msg.due_s
            counts.posted += 1
            client = clients[msg.owner]
            if msg.kind == "tdm":
                ack = client.post_tdm(*tdm_post(msg))
                counts.detections += ack.accepted
            elif msg.kind == "detections":
                ack = client.post_detections(
                    detection_message(msg.message_id, msg.rows, msg.releasable_to)
                )
                counts.detections += ack.accepted
            else:
                ack = client.post_tracks(track_message(msg.message_id, msg.rows, msg.releasable_to))
                counts.records[msg.owner] = counts.records.get(msg.owner, 0) + ack.accepted
            counts.acknowledged += 1
            counts.duplicates += int(ack.duplicate)
            counts.retries += ack.retries
            if on_update is not None:
                on_update(counts)
    finally:
        for client in clients.values():
            client.close()
    return counts

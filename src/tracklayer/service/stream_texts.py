"""The live stream's JSON texts, built from the live picture.

Partners with the same visible inputs share one national table and one fusion result
(:class:`~tracklayer.service.live_picture.LivePicture`'s cache); their records are then
serialized once, not once per partner.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
from pydantic_core import to_json

from tracklayer.service.ingest import ns_to_iso
from tracklayer.service.live_picture import LivePicture
from tracklayer.service.picture import FusedTracks, TrackRows

__all__ = ["StreamTexts"]

#: Serialized tables remembered for reuse (the distinct input sets of one tick).
_REMEMBERED = 16


class StreamTexts:
    """The ``picture`` and ``fused`` messages of the stream, as JSON text.

    Parameters
    ----------
    live : LivePicture
        The incrementally kept picture the texts are read from.
    on_fused : callable, optional
        Called with the duration of each periodic fusion, s.
    """

    def __init__(self, live: LivePicture, on_fused: Callable[[float], None] | None = None) -> None:
        self.live = live
        self._on_fused = on_fused
        self._recent: list[tuple[TrackRows | FusedTracks, str]] = []

    def records_json(self, rows: TrackRows | FusedTracks) -> str:
        """The JSON array of ``rows``' records (serialized once per table object)."""
        for seen, text in self._recent:
            if seen is rows:
                return text
        text = to_json(rows.records()).decode()
        self._recent[:] = [(rows, text), *self._recent[: _REMEMBERED - 1]]
        return text

    @staticmethod
    def _head(kind: str, partner: str, time_ns: int) -> str:
        """The message's first members, its closing brace left off."""
        time = ns_to_iso(time_ns)
        return to_json({"type": kind, "partner": partner, "time": time}).decode()[:-1]

    async def picture(self, partner: str) -> str:
        """The whole picture (national and system tracks), sent when a subscription opens."""

        def compute() -> str:
            view = self.live.picture(partner)
            head = self._head("picture", partner, view.time_ns)
            national, fused = self.records_json(view.national), self.records_json(view.fused)
            return f'{head},"national":{national},"fused":{fused}}}'

        return await anyio.to_thread.run_sync(compute)

    async def fused(self, partners: list[str]) -> dict[str, str]:
        """The system tracks of each partner, sent every ``picture_interval_s``: the
        subscribers already have the national tracks (the picture, the updates since)."""

        def compute() -> dict[str, str]:
            start = time.perf_counter()
            out = {}
            for partner, view in self.live.pictures(partners).items():
                head = self._head("fused", partner, view.time_ns)
                out[partner] = f'{head},"fused":{self.records_json(view.fused)}}}'
            if self._on_fused is not None:
                self._on_fused(time.perf_counter() - start)
            return out

        return await anyio.to_thread.run_sync(compute)

"""The CoT events each update of a partner's live stream makes.

The picture service's stream (``WS /api/v1/stream``) sends a partner ``hello``, its whole
``picture`` (national and system tracks), then each national message released to it
(``tracks``, ``detections``) and, every second, its system tracks (``fused``). Everything
in it is already filtered by the partner's releasability, so forwarding it forwards only
what the partner sees. A system track that leaves the fused picture is sent once more as
stale (``stale = start``), so a TAK client drops it instead of keeping it until its stale
time; a national track's own ``deleted`` state does the same for national tracks.
Detections are lines of sight, not positions: they make no event. The first update (the
``hello``) makes the gateway's own presence event, which a TAK server expects first on a
connection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from tracklayer.cot.events import event_uid, presence_event, track_events

__all__ = ["CotPicture", "Forward"]

#: Which tracks a gateway forwards: national and system, national only, system only.
Forward = Literal["all", "national", "system"]


class CotPicture:
    """One partner's picture as the gateway forwarded it.

    Parameters
    ----------
    stale_s : float
        Seconds after a state's time when its event goes stale.
    forward : {"all", "national", "system"}
        Which tracks to forward.
    clock : callable, optional
        The send time of the events (UTC now; tests fix it).
    """

    def __init__(
        self,
        stale_s: float = 60.0,
        forward: Forward = "all",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if forward not in ("all", "national", "system"):
            raise ValueError(f"forward must be all, national or system, got {forward!r}")
        if stale_s <= 0:
            raise ValueError(f"stale_s must be > 0, got {stale_s}")
        self.stale_s = stale_s
        self.forward = forward
        self._clock = clock
        #: The partner whose stream this is (from its ``hello``).
        self.partner: str | None = None
        #: The system tracks last forwarded, by uid: their last record.
        self._system: dict[str, Mapping[str, Any]] = {}
        self._announced = False

    def events(self, update: Mapping[str, Any]) -> list[bytes]:
        """The CoT XML events one stream update makes (possibly none)."""
        kind = update.get("type")
        if kind == "hello":
            # A new subscription (the service restarted) sends the whole picture next;
            # system tracks gone meanwhile are found missing from it and sent stale.
            self.partner = str(update["partner"])
            if self._announced:
                return []
            self._announced = True
            return [presence_event(self.partner, self._clock())]
        if self.partner is None:
            return []
        if kind == "picture":
            return self._national(update.get("national", [])) + self._fused(update.get("fused", []))
        if kind == "tracks":
            return self._national(update.get("tracks", []))
        if kind == "fused":
            return self._fused(update.get("fused", []))
        return []

    def _encode(self, records: Sequence[Mapping[str, Any]]) -> list[bytes]:
        assert self.partner is not None
        return track_events(records, self.partner, self.stale_s, self._clock())

    def _national(self, records: Sequence[Mapping[str, Any]]) -> list[bytes]:
        return self._encode(records) if self.forward in ("all", "national") else []

    def _fused(self, records: Sequence[Mapping[str, Any]]) -> list[bytes]:
        if self.forward not in ("all", "system"):
            return []
        assert self.partner is not None
        current = {
            event_uid(self.partner, str(r["tracker"]), str(r["track_id"])): r for r in records
        }
        gone = [
            {**record, "status": "deleted"}
            for uid, record in self._system.items()
            if uid not in current
        ]
        self._system = current
        return self._encode(records) + self._encode(gone)

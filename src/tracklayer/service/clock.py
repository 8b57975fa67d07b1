"""The picture's time semantics: the server clock, the accepted clock skew, a track's age.

A partner's clock and the server's never agree exactly, and a partner may be careless or
hostile: the picture therefore never takes its time from the records. Its time is the
server's clock (or an explicit ``at``), and three numbers say which states are current:

- a state timed more than ``max_clock_skew_s`` after the server clock is refused at
  ingest (422 naming the field, or the TDM line);
- the current state of a track is its own latest state (by time, then by arrival) among
  those timed in ``[T - max_age_s, T + max_clock_skew_s]``, ``T`` the picture's time:
  no other track's state, however late or early its time, changes which one that is;
- a track whose latest such state is ``deleted``, or that has none (its latest state is
  older than ``max_age_s``), is not in the picture. System tracks are fused at ``T``.

For an exercise replayed faster than real time (``tracklayer exercise --speed 20``) the
server clock may be a scaled one (:class:`ScaledTime`, ``serve --clock-rate 20
[--clock-start T] [--clock-anchor W]``): picture time ``T + rate * (wall - W)``. It is set
by whoever starts the service and by nothing else: no request moves it, so no partner can
move another's clock or the picture's time (a partner may only *read* the picture at
another time with ``at``). It is bounded (``MAX_RATE``), runs forward only, and reads the
same in every process given the same three numbers, so a restarted service resumes it
(``--clock-anchor`` as printed at start). ``/health`` tells its time and rate, which the
exercise reads to pace itself. Ages and skews are in picture seconds.

``docs/service.md`` states the same for the service's users.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_MAX_AGE_S",
    "DEFAULT_MAX_CLOCK_SKEW_S",
    "MAX_RATE",
    "PictureClock",
    "ScaledTime",
    "scaled_clock",
]

#: Default longest time a state may lie ahead of the server clock, s: NTP-synchronized
#: clocks agree to milliseconds; a few seconds also covers a message's time in flight.
DEFAULT_MAX_CLOCK_SKEW_S = 5.0
#: Default age after which a track not updated leaves the picture, s.
DEFAULT_MAX_AGE_S = 60.0
#: Fastest scaled clock, picture seconds per wall second.
MAX_RATE = 1000.0


@dataclass(frozen=True)
class ScaledTime:
    """A clock running ``rate`` times the wall clock: ``start_ns`` at wall time ``anchor_ns``.

    Calling it gives ``start_ns + rate * (wall - anchor_ns)``, UTC ns since the Unix epoch.
    Plain numbers only, so it travels to worker processes and reads the same there.

    Attributes
    ----------
    start_ns : int
        The picture's time at ``anchor_ns``, UTC ns.
    anchor_ns : int
        Wall-clock time at which the clock reads ``start_ns``, UTC ns.
    rate : float
        Picture seconds per wall second, in (0, :data:`MAX_RATE`].
    """

    start_ns: int
    anchor_ns: int
    rate: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 < self.rate <= MAX_RATE:
            raise ValueError(f"clock rate must be in (0, {MAX_RATE:g}], got {self.rate}")

    def __call__(self) -> int:
        return self.start_ns + round(self.rate * (time.time_ns() - self.anchor_ns))


@dataclass(frozen=True)
class PictureClock:
    """The server clock and the picture's time window (see the module doc).

    Attributes
    ----------
    max_clock_skew_s : float
        Longest time a state may lie ahead of the server clock, s (>= 0).
    max_age_s : float
        Age after which a track leaves the picture, s (> 0).
    now_ns : callable
        The server clock: UTC nanoseconds since the Unix epoch (tests pass a fixed one).
    """

    max_clock_skew_s: float = DEFAULT_MAX_CLOCK_SKEW_S
    max_age_s: float = DEFAULT_MAX_AGE_S
    now_ns: Callable[[], int] = field(default=time.time_ns, compare=False)

    def __post_init__(self) -> None:
        if not self.max_clock_skew_s >= 0.0:
            raise ValueError(f"max_clock_skew_s must be >= 0, got {self.max_clock_skew_s}")
        if not self.max_age_s > 0.0:
            raise ValueError(f"max_age_s must be > 0, got {self.max_age_s}")

    @property
    def rate(self) -> float:
        """Picture seconds per wall second (1 but for a :class:`ScaledTime` clock)."""
        return float(getattr(self.now_ns, "rate", 1.0))

    def wall_s(self, picture_ns: int) -> float:
        """Wall seconds it takes the clock to advance ``picture_ns``."""
        return picture_ns * 1e-9 / self.rate

    @property
    def skew_ns(self) -> int:
        """``max_clock_skew_s`` in integer nanoseconds."""
        return round(self.max_clock_skew_s * 1e9)

    def latest_accepted_ns(self) -> int:
        """The latest state time ingest accepts now, UTC ns since the Unix epoch."""
        return self.now_ns() + self.skew_ns

    def window_ns(self, at_ns: int, max_age_s: float | None = None) -> tuple[int, int]:
        """``(earliest, latest)`` state time current at ``at_ns``, both included, ns.

        ``max_age_s`` replaces the clock's own age (a reader's narrower or wider view).
        """
        age = self.max_age_s if max_age_s is None else max_age_s
        return at_ns - round(age * 1e9), at_ns + self.skew_ns


def scaled_clock(
    max_clock_skew_s: float,
    max_age_s: float,
    rate: float = 1.0,
    start_ns: int | None = None,
    anchor_ns: int | None = None,
) -> PictureClock:
    """The server clock of ``serve``: the wall clock, or a :class:`ScaledTime` one when a
    ``rate`` other than 1 or a ``start_ns`` is given (``anchor_ns`` defaults to now, and
    ``start_ns`` to the wall time at the anchor)."""
    if rate == 1.0 and start_ns is None:
        return PictureClock(max_clock_skew_s=max_clock_skew_s, max_age_s=max_age_s)
    anchor = time.time_ns() if anchor_ns is None else anchor_ns
    scaled = ScaledTime(anchor if start_ns is None else start_ns, anchor, rate)
    return PictureClock(max_clock_skew_s=max_clock_skew_s, max_age_s=max_age_s, now_ns=scaled)

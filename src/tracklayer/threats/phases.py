"""Flight phase and event codes shared by the guidance and the compiled flight kernels.

Phase codes index :data:`PHASES` (the ``phase`` column of ``truth``); event codes index
:data:`EVENTS` (the ``event`` column of ``events``), in the order events of one vehicle
happen within one integration step, so that sorting by time keeps that order.
``heating_limit`` and ``pressure_limit`` mark the first time a glider's stagnation-point
heat flux or dynamic pressure exceeds its stated limit before the terminal dive.
"""

from __future__ import annotations

#: Phase names, indexed by the phase codes below.
PHASES: tuple[str, ...] = (
    "boost",
    "midcourse",
    "reentry",
    "pullup",
    "glide",
    "manoeuvre",
    "terminal",
)
BOOST, MIDCOURSE, REENTRY, PULLUP, GLIDE, MANOEUVRE, TERMINAL = range(7)
#: Code of a vehicle that has landed or is no longer needed (no row carries it).
DONE = 7

#: Event names, indexed by the event codes below.
EVENTS: tuple[str, ...] = (
    "staging",
    "burnout",
    "release",
    "reentry",
    "pullup_end",
    "manoeuvre_start",
    "terminal_start",
    "heating_limit",
    "pressure_limit",
    "impact",
)
(
    EV_STAGING,
    EV_BURNOUT,
    EV_RELEASE,
    EV_REENTRY,
    EV_PULLUP_END,
    EV_MANOEUVRE_START,
    EV_TERMINAL_START,
    EV_HEAT_LIMIT,
    EV_PRESSURE_LIMIT,
    EV_IMPACT,
) = range(10)

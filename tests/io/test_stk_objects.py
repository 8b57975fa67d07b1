"""STK object files: the satellite (``.sa``) on its external ephemeris, read back through
STK's keyword-group structure (balanced ``BEGIN``/``END``, the groups STK's own satellite
files hold: ``VehiclePath`` > ``Interval``, ``StkExternal``, ``PassDefn``)."""

from __future__ import annotations

import numpy as np
import pytest

from tracklayer.errors import InputFormatError
from tracklayer.io.stk import utcg
from tracklayer.io.stk_objects import connect_script_text, read_stk_groups, stk_satellite_text

EPOCH_NS = int(np.datetime64("2027-03-01T00:00:00", "ns").astype(np.int64))
HOUR_NS = 3_600_000_000_000


def test_satellite_object_names_its_ephemeris_and_interval() -> None:
    """Reference: the layout of STK's saved satellites (version stamp, ``BEGIN Satellite``,
    ``Name``, ``VehiclePath`` with ``CentralBody``, ``Interval`` in UTCG, ``StkExternal``
    with ``Filename``); times to the written microsecond."""
    text = stk_satellite_text("TRK-0101", "TRK-0101.e", EPOCH_NS + 30, EPOCH_NS + HOUR_NS,
                              EPOCH_NS)  # fmt: skip
    root = read_stk_groups(text, "TRK-0101.sa")
    assert root.name.startswith("stk.v.")
    (satellite,) = root.groups
    assert satellite.name == "Satellite" and satellite.keywords["Name"] == "TRK-0101"
    path = satellite.group("VehiclePath")
    assert path.keywords["CentralBody"] == "Earth"
    interval = path.group("Interval")
    assert interval.keywords["StartTime"] == utcg(EPOCH_NS) == "1 Mar 2027 00:00:00.000000"
    assert interval.keywords["StopTime"] == "1 Mar 2027 01:00:00.000000"
    assert path.group("stkexternal").keywords["Filename"] == "TRK-0101.e"
    assert path.group("PassDefn").keywords["ScenarioEpoch"] == "1 Mar 2027 00:00:00.000000"
    with pytest.raises(ValueError, match="letters, digits"):
        stk_satellite_text("TRK 1", "x.e", EPOCH_NS, EPOCH_NS, EPOCH_NS)
    with pytest.raises(ValueError, match="before its start"):
        stk_satellite_text("T", "x.e", EPOCH_NS + 1, EPOCH_NS, EPOCH_NS)


def test_keyword_groups_of_stk_layout_and_their_errors() -> None:
    """STK writes tabs between words, ``BEGIN\\tEVENT``, embedded XML lines and keywords in
    any case: all read; an END that closes another group, or a group left open, is refused
    naming the line."""
    text = "\n".join(
        ["stk.v.12.0", "WrittenBy\tSTK_v12.2.0", "BEGIN Scenario", "\tName\t\t demo",
         "BEGIN\tEVENT", "\tType\tEVENT_LINKTO", "END\tEVENT",
         '<?xml version = "1.0" standalone = "yes"?>', "end scenario", ""]
    )  # fmt: skip
    root = read_stk_groups(text)
    assert root.keywords["WrittenBy"] == "STK_v12.2.0"
    scenario = root.group("Scenario")
    assert scenario.keywords["Name"] == "demo"
    assert scenario.group("EVENT").keywords["Type"] == "EVENT_LINKTO"
    with pytest.raises(InputFormatError, match=r"x.sa, line 3: END Satellite closes no open"):
        read_stk_groups("stk.v.11.0\nBEGIN VehiclePath\nEND Satellite\n", "x.sa")
    with pytest.raises(InputFormatError, match="'Satellite' is never closed"):
        read_stk_groups("stk.v.11.0\nBEGIN Satellite\n", "x.sa")
    with pytest.raises(InputFormatError, match=r"line 1: expected the stk\.v\.N"):
        read_stk_groups("BEGIN Satellite\nEND Satellite\n", "x.sa")


def test_connect_script_builds_the_scenario() -> None:
    """Reference: STK Connect's documented syntax (``New / Scenario``,
    ``SetAnalysisTimePeriod``, ``Load / */Satellite``, ``SetState ... FromFile``); paths
    under the STKDIR placeholder, times in UTCG."""
    text = connect_script_text(
        "demo", EPOCH_NS, EPOCH_NS + HOUR_NS, ["satellites/S1.sa"],
        [("Missile", "T1", "threats/T1.e")],
    )  # fmt: skip
    commands = [line for line in text.splitlines() if not line.startswith("#")]
    assert commands == [
        "New / Scenario demo",
        'SetAnalysisTimePeriod * "1 Mar 2027 00:00:00.000000" "1 Mar 2027 01:00:00.000000"',
        'Load / */Satellite "STKDIR/satellites/S1.sa"',
        "New / */Missile T1",
        'SetState */Missile/T1 FromFile "STKDIR/threats/T1.e"',
    ]
    assert text.endswith("\n")

"""STK object files: a satellite (``.sa``) flown on its external ephemeris, and a reader of
STK's keyword groups.

An STK scenario saves each object as a text file of nested keyword groups
(``BEGIN <group>`` ... ``END <group>``, keywords and values separated by blanks, the
version stamp ``stk.v.<major>.<minor>`` on the first line; STK help, "Importing Files
into STK": file version number, keyword groups). A satellite's file (``.sa``) holds its
``VehiclePath``: the central body, the ephemeris interval and the propagator's own group.
With the ``StkExternal`` propagator (STK help, "External Propagator") that group names an
ephemeris file (``.e``) whose states STK interpolates instead of propagating.

:func:`stk_satellite_text` writes the few groups that define such a satellite, in the
layout STK itself writes (``VehiclePath`` with ``CentralBody``, ``Interval``
(``StartTime``/``StopTime`` in UTCG), ``StoreEphemeris``, ``StkExternal`` with ``Format``
and ``Filename``, the ``PassDefn``'s ``ScenarioEpoch``); STK fills every group the file
leaves out (attitude, graphics, mass) with its defaults when it loads the object
(``File > Insert > From file``, or the Connect command ``Load / */Satellite "X.sa"``).
The ephemeris is named by file name only, so the object file and its ``.e`` travel
together in one folder.

:func:`read_stk_groups` reads any such file (STK's own included) into nested
:class:`StkGroup` objects, refusing unbalanced or misnamed ``END`` lines, so the tests
check the structure of what is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracklayer.errors import InputFormatError
from tracklayer.io.stk import utcg

__all__ = ["FOLDER", "StkGroup", "connect_script_text", "read_stk_groups", "stk_satellite_text"]

#: The placeholder for the export folder's full path in :func:`connect_script_text`.
FOLDER = "STKDIR"

#: The STK version stamp of the object files written here (the layout of STK 11 and later).
OBJECT_VERSION = "stk.v.11.0"


def stk_satellite_text(
    name: str, ephemeris_file: str, start_ns: int, stop_ns: int, scenario_epoch_ns: int
) -> str:
    """An STK satellite object (``.sa``) whose path is the external ephemeris ``ephemeris_file``.

    Parameters
    ----------
    name : str
        The object's name in STK (letters, digits, ``_`` and ``-``: STK refuses blanks).
    ephemeris_file : str
        File name of the satellite's ``.e`` (same folder as the ``.sa``).
    start_ns, stop_ns : int
        The ephemeris' first and last sample, ns since 1970 UTC (the vehicle's interval).
    scenario_epoch_ns : int
        The scenario epoch (the ``.e`` file's ``ScenarioEpoch``), ns since 1970 UTC.
    """
    if not name or any(not (c.isalnum() or c in "_-") for c in name):
        raise ValueError(f"STK object names take letters, digits, '_' and '-': {name!r}")
    if stop_ns < start_ns:
        raise ValueError("the interval's stop is before its start")
    lines = [
        OBJECT_VERSION,  # the version stamp; no WrittenBy line (STK writes its own build)
        "",
        "BEGIN Satellite",
        "",
        f"    Name        {name}",
        "",
        "    BEGIN VehiclePath",
        "        CentralBody        Earth",
        "",
        "        BEGIN Interval",
        f"            StartTime        {utcg(start_ns)}",
        f"            StopTime         {utcg(stop_ns)}",
        "        END Interval",
        "",
        "        StoreEphemeris        Yes",
        "        SmoothInterp        No",
        "",
        "        BEGIN StkExternal",
        "            Format        StkPL",
        f"            Filename        {ephemeris_file}",
        "        END StkExternal",
        "",
        "        BEGIN PassDefn",
        "            Break        Ascending",
        "            CoordSystem        Inertial",
        "            BreakType        Latitude",
        f"            ScenarioEpoch        {utcg(scenario_epoch_ns)}",
        "        END PassDefn",
        "",
        "    END VehiclePath",
        "",
        "END Satellite",
        "",
    ]
    return "\n".join(lines)


def connect_script_text(
    scenario: str,
    start_ns: int,
    stop_ns: int,
    satellites: list[str],
    vehicles: list[tuple[str, str, str]],
) -> str:
    """STK Connect commands that build the whole scenario from an export's files.

    One command per line (STK Connect help): ``New / Scenario <name>``,
    ``SetAnalysisTimePeriod * "<start>" "<stop>"``, ``Load / */Satellite "<file.sa>"``
    for each satellite object, and ``New / */<Class> <name>`` then
    ``SetState */<Class>/<name> FromFile "<file.e>"`` for each other vehicle. Connect takes
    full paths: every file is written as ``STKDIR/<path>`` (:data:`FOLDER`), for the user
    to replace with the folder's path.

    Parameters
    ----------
    scenario : str
        The scenario's name in STK (letters, digits, ``_`` and ``-``).
    start_ns, stop_ns : int
        The analysis period, ns since 1970 UTC.
    satellites : list of str
        The satellite object files, relative to the folder (``satellites/X.sa``).
    vehicles : list of (str, str, str)
        ``(class, name, ephemeris file)`` of the others, e.g. ``("Missile", "T1",
        "threats/T1.e")``.
    """
    lines = [
        "# STK Connect commands building this scenario. Replace STKDIR with the full path",
        "# of this folder, then send each line to STK (Connect, or the Python API's",
        "# root.ExecuteCommand(line)); lines starting with # are comments.",
        f"New / Scenario {scenario}",
        f'SetAnalysisTimePeriod * "{utcg(start_ns)}" "{utcg(stop_ns)}"',
        *(f'Load / */Satellite "{FOLDER}/{path}"' for path in satellites),
    ]
    for kind, name, path in vehicles:
        lines += [f"New / */{kind} {name}", f'SetState */{kind}/{name} FromFile "{FOLDER}/{path}"']
    return "\n".join([*lines, ""])


@dataclass
class StkGroup:
    """One ``BEGIN name`` ... ``END name`` group of an STK file.

    Attributes
    ----------
    name : str
        The group's name (``Satellite``, ``VehiclePath``...).
    keywords : dict of str to str
        Its keyword phrases (the first word, and the rest of the line).
    groups : list of StkGroup
        The groups nested in it, in file order.
    """

    name: str
    keywords: dict[str, str] = field(default_factory=dict)
    groups: list[StkGroup] = field(default_factory=list)

    def group(self, name: str) -> StkGroup:
        """The one nested group called ``name`` (``KeyError`` when absent)."""
        for child in self.groups:
            if child.name.lower() == name.lower():
                return child
        raise KeyError(f"no group {name!r} in {self.name!r}")


def read_stk_groups(text: str, source: str = "STK file") -> StkGroup:
    """Read an STK keyword-group file into a tree (the root is named by the version stamp).

    Keywords are case-insensitive in STK; the names are kept as written and
    :meth:`StkGroup.group` matches them without case. Lines of embedded XML (STK writes
    some extensions that way) are skipped.

    Raises
    ------
    InputFormatError
        No ``stk.v.`` version stamp on the first line, an ``END`` that closes no group or
        another one, or a group left open; the message names the source and the line.
    """
    lines = text.splitlines()
    if not lines or not lines[0].strip().lower().startswith("stk.v."):
        raise InputFormatError(f"{source}, line 1: expected the stk.v.N version stamp")
    stack = [StkGroup(lines[0].strip())]
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        if not line or line.startswith(("#", "<")):
            continue
        word, rest = [*line.split(None, 1), ""][:2]
        rest = rest.strip()
        if word.upper() == "BEGIN":
            child = StkGroup(rest)
            stack[-1].groups.append(child)
            stack.append(child)
        elif word.upper() == "END":
            if len(stack) == 1 or stack[-1].name.lower() != rest.lower():
                raise InputFormatError(
                    f"{source}, line {number}: END {rest} closes no open group "
                    f"(open: {stack[-1].name!r})"
                )
            stack.pop()
        else:
            stack[-1].keywords[word] = rest
    if len(stack) > 1:
        raise InputFormatError(f"{source}: group {stack[-1].name!r} is never closed")
    return stack[0]

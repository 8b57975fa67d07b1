"""Two-line element (TLE) files, with or without a name line, checked before parsing.

The column layout is the one of the NORAD two-line element format as documented by
CelesTrak ("FAQs: Two-Line Element Set Format", T.S. Kelso) and by Vallado et al.,
"Revisiting Spacetrack Report #3", AIAA 2006-6753. Each line is checked for its line
number, length, fixed blanks and decimal points, and modulo-10 checksum, and the two lines
of a set for the same catalogue number, before :meth:`sgp4.api.Satrec.twoline2rv` parses
it; every problem is reported with the file and the line number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sgp4.api import SGP4_ERRORS, WGS72, Satrec

from tracklayer.errors import InputFormatError

__all__ = ["ElementSet", "read_tle", "tle_checksum"]

_LINE_LENGTH = 69
# 0-based columns that must hold a blank, and those that must hold a decimal point.
_BLANKS = {1: (1, 8, 17, 32, 43, 52, 61, 63), 2: (1, 7, 16, 25, 33, 42, 51)}
_POINTS = {1: (23,), 2: (11, 20, 37, 46, 54)}
_FIELD_NAMES = {
    1: {23: "epoch"},
    2: {
        11: "inclination",
        20: "RAAN",
        37: "argument of perigee",
        46: "mean anomaly",
        54: "mean motion",
    },
}


@dataclass(frozen=True)
class ElementSet:
    """One satellite's SGP4 mean elements as read from a file.

    Attributes
    ----------
    name : str or None
        Object name (name line of a 3-line TLE, OMM ``OBJECT_NAME``), if any.
    catalog_number : str
        NORAD catalogue number as written (5 digits, or Alpha-5 such as ``A0001``),
        without leading zeros for numeric ones.
    satrec : sgp4.api.Satrec
        The initialised SGP4 record (WGS72 constants, as the elements were fitted with).
    where : str
        Where it came from, for messages: ``"sats.tle line 7"``, ``"cat.json record 3"``.
    """

    name: str | None
    catalog_number: str
    satrec: Satrec
    where: str


def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of a TLE line's first 68 columns: digits count their value,
    minus signs count 1, everything else 0."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += int(ch)
        elif ch == "-":
            total += 1
    return total % 10


def _check_line(line: str, number: int, where: str) -> None:
    """Raise InputFormatError if ``line`` is not a well-formed TLE line ``number`` (1 or 2)."""
    if not line.startswith(f"{number} "):
        raise InputFormatError(
            f"{where}: expected line {number} of an element set, starting with '{number} ', "
            f"got {line[:10]!r}"
        )
    if not line.isascii():
        raise InputFormatError(f"{where}: line {number} holds non-ASCII characters")
    if len(line) != _LINE_LENGTH:
        raise InputFormatError(
            f"{where}: line {number} must be {_LINE_LENGTH} characters long, got {len(line)}"
        )
    for col in _BLANKS[number]:
        if line[col] != " ":
            raise InputFormatError(
                f"{where}: column {col + 1} of line {number} must be blank, got {line[col]!r} "
                "(fields are shifted?)"
            )
    for col in _POINTS[number]:
        if line[col] != ".":
            field = _FIELD_NAMES[number][col]
            raise InputFormatError(
                f"{where}: column {col + 1} of line {number} must be the decimal point of the "
                f"{field}, got {line[col]!r} (fields are shifted?)"
            )
    given = line[68]
    if not given.isdigit():
        raise InputFormatError(
            f"{where}: column 69 of line {number} must be the checksum digit, got {given!r}"
        )
    computed = tle_checksum(line)
    if computed != int(given):
        raise InputFormatError(
            f"{where}: checksum is {computed}, expected {given} (the last digit of the line)"
        )


def _parse_set(
    name: str | None, line1: str, line2: str, where1: str, where2: str, label: str
) -> ElementSet:
    _check_line(line1, 1, where1)
    _check_line(line2, 2, where2)
    if line1[2:7] != line2[2:7]:
        raise InputFormatError(
            f"{where2}: catalogue number {line2[2:7].strip()!r} differs from "
            f"{line1[2:7].strip()!r} on line 1 of the set"
        )
    try:
        satrec = Satrec.twoline2rv(line1, line2, WGS72)
    except (ValueError, IndexError) as exc:
        raise InputFormatError(f"{where1}: element set cannot be parsed: {exc}") from None
    if satrec.error != 0:
        raise InputFormatError(
            f"{where1}: SGP4 rejects the elements: {SGP4_ERRORS.get(satrec.error, satrec.error)}"
        )
    number = line1[2:7].strip()
    if number.isdigit():
        number = str(int(number))
    return ElementSet(name=name, catalog_number=number, satrec=satrec, where=label)


def read_tle(path: Path) -> list[ElementSet]:
    """Read every element set of a 2-line or 3-line TLE file.

    Name lines are optional per set (a name line is any line followed by a line 1); a
    leading ``0 `` (Space-Track 3LE style) is dropped from names. Blank lines are ignored.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of ElementSet
        In file order.

    Raises
    ------
    InputFormatError
        The file cannot be read, or a line is malformed; the message names the file and
        line number, e.g. ``sats.tle line 7: checksum is 3, expected 5 ...``.
    """
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise InputFormatError(f"{path}: cannot read TLE file ({exc.strerror or exc})") from None
    lines = [(i + 1, ln.rstrip()) for i, ln in enumerate(text.splitlines())]
    lines = [(n, ln) for n, ln in lines if ln]
    sets: list[ElementSet] = []
    i = 0
    while i < len(lines):
        n0, first = lines[i]
        name: str | None = None
        if not first.startswith("1 "):
            if first.startswith("2 "):
                raise InputFormatError(f"{path} line {n0}: line 2 without a line 1 before it")
            name = first[2:].strip() if first.startswith("0 ") else first.strip()
            i += 1
            if i >= len(lines):
                raise InputFormatError(
                    f"{path} line {n0}: name line {name!r} is not followed by an element set"
                )
            if not lines[i][1].startswith("1 "):
                raise InputFormatError(
                    f"{path} line {lines[i][0]}: expected line 1 of the element set named "
                    f"{name!r}, starting with '1 ', got {lines[i][1][:10]!r}"
                )
        n1, line1 = lines[i]
        if i + 1 >= len(lines):
            raise InputFormatError(f"{path} line {n1}: line 1 is not followed by a line 2")
        n2, line2 = lines[i + 1]
        sets.append(
            _parse_set(
                name, line1, line2, f"{path} line {n1}", f"{path} line {n2}", f"{path} line {n1}"
            )
        )
        i += 2
    if not sets:
        raise InputFormatError(f"{path}: no element sets found")
    return sets

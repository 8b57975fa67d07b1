"""TLE reading: well-formed files, and a clear message for each kind of bad line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sgp4.api import Satrec
from sgp4.io import compute_checksum

from tracklayer.errors import InputFormatError
from tracklayer.io.tle import read_tle, tle_checksum

DATA = Path(__file__).parents[1] / "data"
LINES = (DATA / "sats.tle").read_text().splitlines()


def test_reads_three_line_file() -> None:
    """Names, catalogue numbers and elements of the 3-line fixture equal what
    ``Satrec.twoline2rv`` makes of the same lines. Reference: sgp4's parser; exact."""
    sets = read_tle(DATA / "sats.tle")
    assert [s.name for s in sets] == ["ISS (ZARYA)", "FLOCK 2E-1", "VANGUARD 1", "MARIO"]
    assert [s.catalog_number for s in sets] == ["25544", "41483", "5", "55123"]
    assert sets[2].where.endswith("sats.tle line 8")
    for k, s in enumerate(sets):
        ref = Satrec.twoline2rv(LINES[3 * k + 1], LINES[3 * k + 2])
        for attr in ("no_kozai", "ecco", "inclo", "nodeo", "argpo", "mo", "bstar", "jdsatepochF"):
            assert getattr(s.satrec, attr) == getattr(ref, attr)


def test_reads_two_line_and_spacetrack_3le(tmp_path: Path) -> None:
    """Two-line sets (no names, Space-Track ``+`` signs) and ``0 NAME`` lines."""
    two = read_tle(DATA / "spacetrack_2line.tle")
    assert [s.name for s in two] == [None, None]
    assert [s.catalog_number for s in two] == ["29273", "29274"]
    body = (DATA / "spacetrack_2line.tle").read_text().splitlines()
    f = tmp_path / "st.3le"
    f.write_text("\r\n".join(["0 FIRST", body[0], body[1], "", "0 SECOND", body[2], body[3]]))
    assert [s.name for s in read_tle(f)] == ["FIRST", "SECOND"]


def test_checksum_matches_sgp4() -> None:
    """Our checksum equals sgp4.io.compute_checksum on every fixture line."""
    for line in LINES + (DATA / "spacetrack_2line.tle").read_text().splitlines():
        if line[:2] in ("1 ", "2 "):
            assert tle_checksum(line) == compute_checksum(line) == int(line[68])


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "sats.tle"
    path.write_text("\n".join(lines) + "\n")
    return path


def _replace(line: str, col: int, ch: str) -> str:
    return line[:col] + ch + line[col + 1 :]


def _fix_checksum(line: str) -> str:
    return line[:68] + str(tle_checksum(line))


@pytest.mark.parametrize(
    ("index", "new_line", "message"),
    [
        # line 5 of the file: FLOCK's line 1, last digit changed
        (4, LINES[4][:68] + "3", "sats.tle line 5: checksum is 0, expected 3"),
        (4, LINES[4][:60], "sats.tle line 5: line 1 must be 69 characters long, got 60"),
        (4, LINES[4] + "7", "line 5: line 1 must be 69 characters long, got 70"),
        (
            4,
            _fix_checksum(" " + LINES[4][:-2] + "0"),
            "sats.tle line 5: expected line 1 of the element set named 'FLOCK 2E-1'",
        ),
        (
            4,
            _fix_checksum(_replace(LINES[4], 17, "7")),
            "sats.tle line 5: column 18 of line 1 must be blank",
        ),
        (
            5,
            _fix_checksum(_replace(LINES[5], 20, "7")),
            "sats.tle line 6: column 21 of line 2 must be the decimal point of the RAAN",
        ),
        (
            5,
            _fix_checksum("3" + LINES[5][1:]),
            "sats.tle line 6: expected line 2 of an element set",
        ),
        (
            5,
            _fix_checksum(LINES[5][:2] + "41484" + LINES[5][7:]),
            "sats.tle line 6: catalogue number '41484' differs from '41483'",
        ),
        (5, LINES[5][:68] + "x", "line 6: column 69 of line 2 must be the checksum digit"),
    ],
)
def test_bad_lines_name_file_and_line(
    tmp_path: Path, index: int, new_line: str, message: str
) -> None:
    """Each kind of damage gives an InputFormatError naming the file and line number."""
    lines = list(LINES)
    lines[index] = new_line
    with pytest.raises(InputFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_tle(_write(tmp_path, lines))


def test_structural_errors(tmp_path: Path) -> None:
    """Truncated sets, a stray line 2, a missing or empty file."""
    with pytest.raises(InputFormatError, match="line 11: line 1 is not followed by a line 2"):
        read_tle(_write(tmp_path, LINES[:-1]))
    with pytest.raises(InputFormatError, match="line 10: name line 'MARIO' is not followed"):
        read_tle(_write(tmp_path, LINES[:-2]))
    with pytest.raises(InputFormatError, match="line 1: line 2 without a line 1"):
        read_tle(_write(tmp_path, LINES[2:]))
    with pytest.raises(InputFormatError, match="no element sets found"):
        read_tle(_write(tmp_path, [""]))
    with pytest.raises(InputFormatError, match="cannot read TLE file"):
        read_tle(tmp_path / "absent.tle")


def test_sgp4_rejection_is_reported(tmp_path: Path) -> None:
    """Elements that SGP4 refuses at initialisation (SGP4-VER.TLE case 33334: a mean
    motion of 1e-5 rev/day, which SGP4 reports as error 6 at epoch) are reported with
    the file and line rather than propagated into NaN."""
    line1 = _fix_checksum("1 33334U 78066F   06174.85818871  .00000620  00000-0  10000-3 0  6809")
    line2 = _fix_checksum("2 33334  68.4714 236.1303 5602877 123.7484 302.5767  0.00001000 67521")
    path = _write(tmp_path, [line1, line2])
    with pytest.raises(InputFormatError, match=r"sats\.tle line 1: SGP4 rejects the elements"):
        read_tle(path)

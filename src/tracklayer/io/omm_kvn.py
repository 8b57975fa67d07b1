"""CCSDS Orbit Mean-elements Message (OMM) in KVN: records of a file, and a writer.

Layout per CCSDS 502.0-B-2 ("Orbit Data Messages", 2009) section 4 (OMM 2.0, KVN): a header
(``CCSDS_OMM_VERS``, ``CREATION_DATE``, ``ORIGINATOR``), the metadata (``OBJECT_NAME``,
``OBJECT_ID``, ``CENTER_NAME``, ``REF_FRAME = TEME``, ``TIME_SYSTEM = UTC``,
``MEAN_ELEMENT_THEORY = SGP4``), the mean Keplerian elements (``EPOCH``, ``MEAN_MOTION``
in rev/day, ``ECCENTRICITY``, angles in degrees) and the TLE-related parameters
(``NORAD_CAT_ID``, ``BSTAR`` in 1/earth radii, ``MEAN_MOTION_DOT`` in rev/day²,
``MEAN_MOTION_DDOT`` in rev/day³, ...), one ``KEYWORD = value`` a line. Version 3.0 files
(CCSDS 502.0-B-3) read the same way; their ``META_START``/``META_STOP`` and
``DATA_START``/``DATA_STOP`` lines are skipped, and values may carry units in brackets
(``INCLINATION = 97.5 [deg]``).

One message describes one object; catalogues concatenate messages, each opening with
``CCSDS_OMM_VERS``, so the reader yields one record per message, labelled by the file and the
message's first line. Records are checked and turned into SGP4 records by
:func:`tracklayer.io.omm.read_omm`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sgp4.api import Satrec
from sgp4.conveniences import sat_epoch_datetime

from tracklayer.errors import InputFormatError
from tracklayer.io.outputs import safe_file_name, write_text_atomic

__all__ = ["kvn_records", "omm_kvn_text", "write_omm_kvn_files"]

_UNITS = re.compile(r"\s*\[[^\]]*\]\s*$")
_BLOCK_LINES = {"META_START", "META_STOP", "DATA_START", "DATA_STOP"}
#: rev/day per rad/min (SGP4's internal mean motion unit).
_REV_PER_DAY = 1440.0 / (2.0 * math.pi)
#: Analyst satellite numbers (80000-89999) stand in for satellites with no catalogue number.
_ANALYST_BASE = 80000


def kvn_records(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``(label, keywords)`` for each OMM message of a KVN file.

    Raises
    ------
    InputFormatError
        A line that is not ``KEYWORD = value`` or a keyword before ``CCSDS_OMM_VERS``
        (named by file and line), or a file with no message.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFormatError(f"{path}: cannot read OMM file ({exc})") from None
    label: str | None = None
    fields: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("COMMENT") or line in _BLOCK_LINES:
            continue
        key, sep, value = (part.strip() for part in line.partition("="))
        if not sep or not key:
            raise InputFormatError(
                f"{path} line {number}: expected 'KEYWORD = value', got {line[:40]!r}"
            )
        if key == "CCSDS_OMM_VERS":
            if label is not None:
                yield label, fields
            label, fields = f"{path} message at line {number}", {}
        elif label is None:
            raise InputFormatError(f"{path} line {number}: {key} before CCSDS_OMM_VERS")
        fields[key] = _UNITS.sub("", value)
    if label is None:
        raise InputFormatError(f"{path}: no OMM message (no CCSDS_OMM_VERS line)")
    yield label, fields


def _object_id(satrec: Satrec, name: str) -> str:
    """The international designator (``1998-067A``) when the elements carry one."""
    designator = str(getattr(satrec, "intldesg", "") or "").strip()
    if len(designator) >= 3 and designator[:2].isdigit():
        year = int(designator[:2])
        return f"{year + (1900 if year >= 57 else 2000)}-{designator[2:]}"
    return name


def omm_kvn_text(
    satrec: Satrec,
    name: str,
    *,
    catalog_number: int | None = None,
    originator: str = "tracklayer",
    creation_date: datetime | None = None,
) -> str:
    """One satellite's SGP4 mean elements as an OMM 2.0 KVN message.

    Parameters
    ----------
    satrec
        The SGP4 record (as from a TLE, an OMM or a Walker layout).
    name
        ``OBJECT_NAME``; also ``OBJECT_ID`` when the record has no international designator.
    catalog_number
        ``NORAD_CAT_ID`` (default: the record's ``satnum``).
    originator, creation_date
        Header keywords (``creation_date`` UTC; now by default).

    Notes
    -----
    Elements are written with 16 significant digits and the epoch to the microsecond,
    so the message propagates (through :func:`tracklayer.io.omm.read_omm`) to within a
    centimetre of the record it came from.
    """
    created = (creation_date or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    epoch = sat_epoch_datetime(satrec).replace(tzinfo=None)
    number = satrec.satnum if catalog_number is None else catalog_number
    keywords = [
        ("CCSDS_OMM_VERS", "2.0"),
        ("CREATION_DATE", created.isoformat(timespec="microseconds")),
        ("ORIGINATOR", originator),
        ("OBJECT_NAME", name),
        ("OBJECT_ID", _object_id(satrec, name)),
        ("CENTER_NAME", "EARTH"),
        ("REF_FRAME", "TEME"),
        ("TIME_SYSTEM", "UTC"),
        ("MEAN_ELEMENT_THEORY", "SGP4"),
        ("EPOCH", epoch.isoformat(timespec="microseconds")),
        ("MEAN_MOTION", f"{satrec.no_kozai * _REV_PER_DAY:.16g}"),
        ("ECCENTRICITY", f"{satrec.ecco:.16g}"),
        ("INCLINATION", f"{math.degrees(satrec.inclo):.16g}"),
        ("RA_OF_ASC_NODE", f"{math.degrees(satrec.nodeo):.16g}"),
        ("ARG_OF_PERICENTER", f"{math.degrees(satrec.argpo):.16g}"),
        ("MEAN_ANOMALY", f"{math.degrees(satrec.mo):.16g}"),
        ("EPHEMERIS_TYPE", str(int(satrec.ephtype))),
        ("CLASSIFICATION_TYPE", str(satrec.classification or "U")),
        ("NORAD_CAT_ID", str(int(number))),
        ("ELEMENT_SET_NO", str(int(satrec.elnum) or 999)),
        ("REV_AT_EPOCH", str(int(satrec.revnum))),
        ("BSTAR", f"{satrec.bstar:.16g}"),
        ("MEAN_MOTION_DOT", f"{satrec.ndot * _REV_PER_DAY * 1440.0:.16g}"),
        ("MEAN_MOTION_DDOT", f"{satrec.nddot * _REV_PER_DAY * 1440.0**2:.16g}"),
    ]
    return "".join(f"{key} = {value}\n" for key, value in keywords)


def write_omm_kvn_files(
    out_dir: Path | str,
    names: Sequence[str],
    satrecs: Sequence[Satrec],
    *,
    creation_date: datetime | None = None,
) -> list[Path]:
    """Write each satellite's elements as ``NAME.omm`` (KVN) in ``out_dir``.

    Satellites whose records share a catalogue number (a Walker layout's all have the
    same placeholder) get analyst numbers ``80001``, ``80002``, ... in catalogue order
    instead, so every message names a distinct object.

    Returns
    -------
    list of Path
        The files written (each atomically), in catalogue order.
    """
    numbers = [int(s.satnum) for s in satrecs]
    shared = {n for n, count in Counter(numbers).items() if count > 1}
    created = creation_date or datetime.now(UTC)
    out = Path(out_dir)
    paths: list[Path] = []
    for i, (name, satrec) in enumerate(zip(names, satrecs, strict=True)):
        number = _ANALYST_BASE + i + 1 if numbers[i] in shared else numbers[i]
        text = omm_kvn_text(satrec, str(name), catalog_number=number, creation_date=created)
        paths.append(write_text_atomic(out / safe_file_name(str(name), ".omm"), text))
    return paths

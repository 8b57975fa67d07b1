"""CCSDS Orbit Mean-elements Messages (OMM, CCSDS 502.0-B-3) in JSON, CSV, XML and KVN.

The three encodings public catalogues publish (CelesTrak's ``FORMAT=json|csv|xml``,
Space-Track's OMM classes) carry the same keywords. CSV and XML are split into records
by :func:`sgp4.omm.parse_csv` and :func:`sgp4.omm.parse_xml`, JSON is a list of objects;
KVN (``.omm``, ``.kvn``) is split into messages by :func:`tracklayer.io.omm_kvn.kvn_records`;
each record is checked field by field and then handed to :func:`sgp4.omm.initialize`,
so a bad record is reported with the file, its index and OBJECT_NAME, and the field.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sgp4 import omm
from sgp4.api import SGP4_ERRORS, Satrec

from tracklayer.errors import InputFormatError
from tracklayer.io.omm_kvn import kvn_records
from tracklayer.io.tle import ElementSet

__all__ = ["read_omm"]

#: Numeric keywords and the (inclusive) range each must lie in.
_NUMERIC: dict[str, tuple[float, float]] = {
    "MEAN_MOTION": (1e-6, 100.0),  # rev/day
    "ECCENTRICITY": (0.0, 0.999999),
    "INCLINATION": (0.0, 180.0),
    "RA_OF_ASC_NODE": (-360.0, 360.0),
    "ARG_OF_PERICENTER": (-360.0, 360.0),
    "MEAN_ANOMALY": (-360.0, 360.0),
    "BSTAR": (-math.inf, math.inf),
    "MEAN_MOTION_DOT": (-math.inf, math.inf),
    "MEAN_MOTION_DDOT": (-math.inf, math.inf),
}
#: Integer keywords, and the default used when a catalogue leaves an optional one out.
_INTEGER: dict[str, str | None] = {
    "NORAD_CAT_ID": None,
    "EPHEMERIS_TYPE": "0",
    "ELEMENT_SET_NO": "999",
    "REV_AT_EPOCH": "0",
}
_TEXT_DEFAULTS = {"CLASSIFICATION_TYPE": "U", "OBJECT_ID": ""}
_EPOCH_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S")


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _check_record(raw: Mapping[str, Any], label: str) -> dict[str, str]:
    """Return ``raw`` normalised to the strings :func:`sgp4.omm.initialize` expects."""
    fields: dict[str, str] = {}
    name = _clean(raw.get("OBJECT_NAME"))
    where = f"{label} ({name})" if name else label
    for key, (low, high) in _NUMERIC.items():
        text = _clean(raw.get(key))
        if text is None:
            raise InputFormatError(f"{where}: field {key} is missing")
        try:
            value = float(text)
        except ValueError:
            raise InputFormatError(f"{where}: field {key} must be a number, got {text!r}") from None
        if not (low <= value <= high) or not math.isfinite(value):
            raise InputFormatError(f"{where}: field {key} = {text} is outside [{low}, {high}]")
        fields[key] = text
    for key, default in _INTEGER.items():
        text = _clean(raw.get(key)) or default
        if text is None:
            raise InputFormatError(f"{where}: field {key} is missing")
        try:
            value_i = int(text)
        except ValueError:
            raise InputFormatError(
                f"{where}: field {key} must be an integer, got {text!r}"
            ) from None
        if value_i < 0:
            raise InputFormatError(f"{where}: field {key} must be >= 0, got {value_i}")
        fields[key] = str(value_i)
    if int(fields["NORAD_CAT_ID"]) > 339999:
        raise InputFormatError(
            f"{where}: field NORAD_CAT_ID = {fields['NORAD_CAT_ID']} exceeds 339999, the "
            "largest number SGP4's Alpha-5 encoding can hold"
        )
    epoch = _clean(raw.get("EPOCH"))
    if epoch is None:
        raise InputFormatError(f"{where}: field EPOCH is missing")
    epoch = epoch.removesuffix("Z")
    for fmt in _EPOCH_FORMATS:
        try:
            parsed = datetime.strptime(epoch, fmt)
        except ValueError:
            continue
        fields["EPOCH"] = parsed.strftime("%Y-%m-%dT%H:%M:%S.%f")
        break
    else:
        raise InputFormatError(
            f"{where}: field EPOCH must be ISO 8601 UTC like 2024-03-01T12:00:00.000000, "
            f"got {epoch!r}"
        )
    for key, default_text in _TEXT_DEFAULTS.items():
        fields[key] = _clean(raw.get(key)) or default_text
    if name:
        fields["OBJECT_NAME"] = name
    return fields


def _records(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield (label, raw record) pairs of an OMM file, labels naming file and record."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputFormatError(
                f"{path} line {exc.lineno}: not valid JSON ({exc.msg})"
            ) from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise InputFormatError(f"{path}: expected a JSON list of OMM records")
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                raise InputFormatError(
                    f"{path} record {index}: expected an object of OMM keywords, "
                    f"got {type(item).__name__}"
                )
            yield f"{path} record {index}", item
    elif suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            reader = omm.parse_csv(handle)
            if not reader.fieldnames or "EPOCH" not in reader.fieldnames:
                raise InputFormatError(
                    f"{path}: expected a CSV header line naming OMM keywords (EPOCH, "
                    "MEAN_MOTION, ...)"
                )
            for index, row in enumerate(reader):
                if None in row:
                    raise InputFormatError(
                        f"{path} record {index} (line {reader.line_num}): more values than "
                        "header columns"
                    )
                yield f"{path} record {index} (line {reader.line_num})", row
    elif suffix == ".xml":
        index = 0
        segments: Iterable[dict[str, Any]] = omm.parse_xml(str(path))
        iterator = iter(segments)
        while True:
            try:
                fields = next(iterator)
            except StopIteration:
                break
            except ET.ParseError as exc:
                raise InputFormatError(f"{path}: not well-formed XML ({exc})") from None
            except (AttributeError, TypeError):
                # parse_xml walks metadata/data/meanElements/tleParameters without checks.
                raise InputFormatError(
                    f"{path} segment {index}: expected <metadata> and <data> with "
                    "<meanElements> and <tleParameters>"
                ) from None
            yield f"{path} segment {index}", fields
            index += 1
    elif suffix in (".omm", ".kvn"):
        yield from kvn_records(path)
    else:
        raise InputFormatError(
            f"{path}: unknown OMM encoding {suffix!r}, expected .json, .csv, .xml or "
            ".omm/.kvn (KVN)"
        )


def read_omm(path: Path) -> list[ElementSet]:
    """Read every record of an OMM file as SGP4 element sets.

    Parameters
    ----------
    path : Path
        ``.json`` (a list of keyword objects, CelesTrak style), ``.csv`` (a header line of
        keywords), ``.xml`` (CCSDS NDM/XML ``<omm>`` segments) or ``.omm``/``.kvn`` (KVN
        messages, each opening with ``CCSDS_OMM_VERS``).

    Returns
    -------
    list of ElementSet
        In file order; optional TLE-parameter keywords that are absent get their TLE
        defaults (EPHEMERIS_TYPE 0, ELEMENT_SET_NO 999, REV_AT_EPOCH 0, CLASSIFICATION U).

    Raises
    ------
    InputFormatError
        The file is unreadable or malformed, or a record lacks a keyword or holds a bad
        value; the message names the file, the record and the keyword.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFormatError(f"{path}: OMM file not found")
    sets: list[ElementSet] = []
    try:
        for label, raw in _records(path):
            fields = _check_record(raw, label)
            satrec = Satrec()
            omm.initialize(satrec, fields)
            name = fields.get("OBJECT_NAME")
            if satrec.error != 0:
                raise InputFormatError(
                    f"{label} ({name}): SGP4 rejects the elements: "
                    f"{SGP4_ERRORS.get(satrec.error, satrec.error)}"
                )
            sets.append(
                ElementSet(
                    name=name,
                    catalog_number=fields["NORAD_CAT_ID"],
                    satrec=satrec,
                    where=label,
                )
            )
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFormatError(f"{path}: cannot read OMM file ({exc})") from None
    if not sets:
        raise InputFormatError(f"{path}: no OMM records found")
    return sets

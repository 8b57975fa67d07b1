"""CCSDS Tracking Data Message in its XML encoding (NDM/XML, TDM 2.0): reader and writer.

The XML form carries the KVN form's keywords as elements (CCSDS 505.0-B-2, "XML
Specification for Navigation Data Messages", and the TDM 2.0 schema ``ndmxml-2.0.0-tdm-2.0``):

.. code-block:: xml

    <tdm id="CCSDS_TDM_VERS" version="2.0">
      <header><CREATION_DATE>...</CREATION_DATE><ORIGINATOR>...</ORIGINATOR></header>
      <body>
        <segment>
          <metadata><TIME_SYSTEM>UTC</TIME_SYSTEM><PARTICIPANT_1>...</PARTICIPANT_1>...</metadata>
          <data>
            <observation><EPOCH>2027-03-01T00:00:01Z</EPOCH><ANGLE_1>10.5</ANGLE_1></observation>
            ...
          </data>
        </segment>
      </body>
    </tdm>

The reader takes a ``<tdm>`` root, or an ``<ndm>`` combined instantiation holding ``<tdm>``
elements, with or without an XML namespace and ``units`` attributes; it gives the same
:class:`~tracklayer.io.tdm.TrackingData` as the KVN reader (same epochs, frames, notes on
keywords it does not use), through the same checks. The document is parsed as untrusted
input (:mod:`tracklayer.io.safe_xml`: no DTD, entities or external references; bounded
size, depth, element count and time). The writer follows the conventions of
:func:`tracklayer.io.tdm.write_tdm` (RADEC in ITRF2000 for space sensors, AZEL with RANGE in
km for ground sites). ccsds-ndm reads either (tested); it is the slow path, this the fast.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import KM
from tracklayer.errors import InputFormatError
from tracklayer.io.outputs import write_text_atomic as _write_atomic
from tracklayer.io.safe_xml import XmlLimits, parse_xml_bounded
from tracklayer.io.tdm import (
    _DATA_KEYS,
    _HEADER_KEYS,
    RADEC_FRAME,
    TrackingData,
    _check_metadata,
    _data_line,
    _epochs,
    _notes,
    _segment,
    los_to_azel,
    los_to_radec,
    parse_tdm,
    read_tdm_bytes,
)

__all__ = [
    "looks_like_xml",
    "parse_any_tdm",
    "parse_tdm_xml",
    "read_any_tdm",
    "tdm_xml_text",
    "write_tdm_xml",
]

FloatArray = NDArray[np.float64]


def looks_like_xml(text: bytes | str) -> bool:
    """Whether a message's first non-blank character is ``<`` (the XML encoding)."""
    head = text[:512].lstrip()
    return head[:1] in (b"<", "<")


def _local(tag: str) -> str:
    """An element's name without its namespace (``{uri}ANGLE_1`` -> ``ANGLE_1``)."""
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _one(element: ET.Element, name: str, where: str) -> ET.Element:
    found = _children(element, name)
    if len(found) != 1:
        raise InputFormatError(f"{where}: expected one <{name}>, found {len(found)}")
    return found[0]


def _xml_segment(segment: ET.Element, where: str, header_notes: tuple[str, ...]) -> TrackingData:
    metadata = _one(segment, "metadata", where)
    meta = {
        _local(item.tag): (item.text or "").strip()
        for item in metadata
        if _local(item.tag) != "COMMENT"
    }
    _check_metadata(meta, f"{where} <metadata>")
    data: dict[str, list[tuple[str, float]]] = {key: [] for key in _DATA_KEYS}
    skipped: Counter[str] = Counter()
    for n, observation in enumerate(_children(_one(segment, "data", where), "observation")):
        at = f"{where} observation {n}"
        values = {_local(item.tag): (item.text or "").strip() for item in observation}
        epoch = values.pop("EPOCH", None)
        if epoch is None:
            raise InputFormatError(f"{at}: observation lacks EPOCH")
        if len(values) != 1:
            raise InputFormatError(
                f"{at}: an observation holds one value besides EPOCH, got {sorted(values)}"
            )
        ((key, value),) = values.items()
        _data_line(key, f"{epoch} {value}", at, data, skipped)
    return _segment(meta, data, where, header_notes + _notes(skipped, "data"))


def parse_tdm_xml(
    text: bytes | str, source: str = "TDM", limits: XmlLimits | None = None
) -> list[TrackingData]:
    """Parse the angle (and range) segments of an XML TDM held in memory.

    The document is untrusted: it is parsed by :func:`tracklayer.io.safe_xml.parse_xml_bounded`
    (no DTD, entities or external references; bounded size, depth, element count and time).

    Parameters
    ----------
    text
        The document (UTF-8 bytes or text).
    source
        Name of the document in error messages (a file name, ``body``).
    limits
        Bounds on the document (default :class:`~tracklayer.io.safe_xml.XmlLimits`).

    Returns
    -------
    list of TrackingData
        One per ``<segment>``, in document order (every ``<tdm>`` of an ``<ndm>``).

    Raises
    ------
    InputFormatError
        Not well-formed XML, a DTD or entity, a bound passed, not a TDM, or a segment the
        reader cannot take; the message names the source, the segment and the observation.
    """
    root = parse_xml_bounded(text, source, limits)
    if _local(root.tag) == "ndm":
        messages = _children(root, "tdm")
    elif _local(root.tag) == "tdm":
        messages = [root]
    else:
        raise InputFormatError(f"{source}: root element <{_local(root.tag)}> is not <tdm>")
    if not messages:
        raise InputFormatError(f"{source}: <ndm> holds no <tdm>")
    segments: list[TrackingData] = []
    for m, message in enumerate(messages):
        where = source if len(messages) == 1 else f"{source} tdm {m}"
        version = message.get("version")
        if version not in ("1.0", "2.0"):
            raise InputFormatError(f"{where}: tdm version must be 1.0 or 2.0, got {version!r}")
        header = _one(message, "header", where)
        unused = Counter(
            _local(item.tag) for item in header if _local(item.tag) not in _HEADER_KEYS
        )
        notes = _notes(unused, "header")
        body = _one(message, "body", where)
        for s, segment in enumerate(_children(body, "segment")):
            segments.append(_xml_segment(segment, f"{where} segment {s}", notes))
    return segments


def parse_any_tdm(
    text: bytes | str, source: str = "TDM", limits: XmlLimits | None = None
) -> list[TrackingData]:
    """Parse a TDM in either encoding: XML (within ``limits``) when it starts with ``<``,
    else KVN."""
    if looks_like_xml(text):
        return parse_tdm_xml(text, source, limits)
    return parse_tdm(text, source)


def read_any_tdm(path: Path | str) -> list[TrackingData]:
    """Read a TDM file in either encoding (see :func:`parse_any_tdm`).

    Raises
    ------
    InputFormatError
        The file is missing or malformed; the message names the file and where.
    """
    p = Path(path)
    return parse_any_tdm(read_tdm_bytes(p), str(p))


def _element(name: str, value: str) -> str:
    return f"<{name}>{escape(value)}</{name}>"


def tdm_xml_text(
    sensor_id: str,
    time_ns: NDArray[np.int64],
    los: FloatArray,
    *,
    range_m: FloatArray | None = None,
    site_lat_lon_rad: tuple[float, float] | None = None,
    originator: str = "tracklayer",
    creation_date: datetime | None = None,
) -> str:
    """One sensor's detections as an XML TDM with one segment.

    The arguments and conventions are those of :func:`tracklayer.io.tdm.write_tdm`:
    ``time_ns`` (n,) ns since 1970 UTC, ``los`` (n, 3) ECEF unit vectors, ``range_m`` (n,)
    m or None; ``site_lat_lon_rad`` for AZEL at a ground site, else RADEC in ITRF2000.
    """
    created = (creation_date or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    azel = site_lat_lon_rad is not None
    a1, a2 = los_to_azel(los, *site_lat_lon_rad) if site_lat_lon_rad else los_to_radec(los)
    meta = [
        ("TIME_SYSTEM", "UTC"),
        ("PARTICIPANT_1", sensor_id),
        ("PARTICIPANT_2", "UNKNOWN"),
        ("MODE", "SEQUENTIAL"),
        ("PATH", "2,1"),
    ]
    if range_m is not None:
        meta.append(("RANGE_UNITS", "km"))
    meta.append(("ANGLE_TYPE", "AZEL" if azel else "RADEC"))
    if not azel:
        meta.append(("REFERENCE_FRAME", RADEC_FRAME))
    epochs = _epochs(np.asarray(time_ns, dtype=np.int64))
    ranges = None if range_m is None else (np.asarray(range_m) / KM).tolist()
    observations: list[str] = []
    for i, (epoch, x, y) in enumerate(zip(epochs, a1.tolist(), a2.tolist(), strict=True)):
        values = [("ANGLE_1", f"{x:.9f}"), ("ANGLE_2", f"{y:.9f}")]
        if ranges is not None:
            values.append(("RANGE", f"{ranges[i]:.6f}"))
        observations += [
            f"<observation>{_element('EPOCH', epoch)}{_element(k, v)}</observation>"
            for k, v in values
        ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<tdm id="CCSDS_TDM_VERS" version="2.0">\n'
        f"<header>{_element('CREATION_DATE', created.isoformat(timespec='microseconds'))}"
        f"{_element('ORIGINATOR', originator)}</header>\n<body><segment>\n<metadata>"
        + "".join(_element(k, v) for k, v in meta)
        + "</metadata>\n<data>\n"
        + "\n".join(observations)
        + "\n</data></segment></body>\n</tdm>\n"
    )


def write_tdm_xml(
    path: Path | str,
    sensor_id: str,
    time_ns: NDArray[np.int64],
    los: FloatArray,
    *,
    range_m: FloatArray | None = None,
    site_lat_lon_rad: tuple[float, float] | None = None,
    creation_date: datetime | None = None,
) -> Path:
    """Write :func:`tdm_xml_text` to ``path`` atomically (same arguments)."""
    text = tdm_xml_text(
        sensor_id,
        time_ns,
        los,
        range_m=range_m,
        site_lat_lon_rad=site_lat_lon_rad,
        creation_date=creation_date,
    )
    return _write_atomic(Path(path), text)

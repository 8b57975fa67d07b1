"""CCSDS Tracking Data Message (TDM), KVN encoding, version 2.0: writer and reader of angles.

Layout per CCSDS 503.0-B-2 ("Tracking Data Message", Blue Book, 2020), section 3/4: a header
(``CCSDS_TDM_VERS``, ``CREATION_DATE``, ``ORIGINATOR``), then one segment per sensor: a
``META_START``/``META_STOP`` block and a ``DATA_START``/``DATA_STOP`` block of
``KEYWORD = epoch value`` lines.

Angle conventions chosen here:

* **Infrared sensors** (angles only): ``ANGLE_TYPE = RADEC`` with
  ``REFERENCE_FRAME = ITRF2000``: ``ANGLE_1`` is the line of sight's right ascension and
  ``ANGLE_2`` its declination, measured in the Earth-fixed frame (so, the direction's
  longitude and latitude on the unit sphere), degrees. The working frame is ECEF, so writing
  it Earth-fixed avoids a rotation that would need Earth orientation data; the observer
  position lives in the satellite's OEM. The TDM 2.0 schema lists ITRF realisations
  (``ITRF-93``, ``ITRF-97``, ``ITRF2000``) but not a bare ``ITRF``; the realisations differ
  by centimetres, far below any sensor's angular noise, so ``ITRF2000`` names the working
  frame. The reader reports every ITRF realisation (and a bare ``ITRF``) as ``ITRF``.
* **Ground radars**: ``ANGLE_TYPE = AZEL`` (azimuth from north through east, elevation above
  the local geodetic horizon, degrees), plus ``RANGE`` in km (``RANGE_UNITS = km``).

``PARTICIPANT_1`` is the sensor; ``PARTICIPANT_2`` the observed object (``UNKNOWN``: a
detection has no identity for a tracker); ``PATH = 2,1``. Several detections of one frame
follow one another, each as its consecutive ``ANGLE_1``, ``ANGLE_2`` (and ``RANGE``) lines; the
reader pairs them in that order.

The reader accepts what other producers write: epochs as calendar dates
(``YYYY-MM-DDThh:mm:ss[.f][Z]``) or day of year (``YYYY-DDDThh:mm:ss[.f][Z]``, CCSDS 502.0
section 7.5.10), and header or data keywords it does not use (``MESSAGE_ID`` aside: Doppler,
frequencies, ``TRANSMIT``/``RECEIVE`` ...), which it skips with a note in
:attr:`TrackingData.notes`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from tracklayer.constants import KM
from tracklayer.errors import InputFormatError
from tracklayer.frames import enu_basis
from tracklayer.io.oem import _write_atomic

__all__ = [
    "TrackingData",
    "azel_to_los",
    "los_to_azel",
    "los_to_radec",
    "parse_tdm",
    "radec_to_los",
    "read_tdm",
    "read_tdm_bytes",
    "tdm_epoch_ns",
    "tdm_file_name",
    "tdm_text",
    "write_tdm",
    "write_tdm_files",
]

FloatArray = NDArray[np.float64]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EPOCH = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")
_DOY_EPOCH = re.compile(r"^(\d{4})-(\d{3})(T\d{2}:\d{2}:\d{2}(?:\.\d+)?)Z?$")
#: The frame written for RADEC angles: a TDM 2.0 listed realisation of the ITRS.
RADEC_FRAME = "ITRF2000"
_ITRF = re.compile(r"^ITRF(-?\d{2,4})?$")


@dataclass(frozen=True)
class TrackingData:
    """The angle (and range) data of one TDM segment.

    Attributes
    ----------
    participant : str
        ``PARTICIPANT_1``, the sensor.
    angle_type : str
        ``RADEC`` or ``AZEL``.
    reference_frame : str or None
        ``REFERENCE_FRAME`` (RADEC only); any ITRF realisation is reported as ``ITRF``.
    time : ndarray of datetime64[ns], shape (n,)
        Observation epochs, UTC.
    angle_1_deg, angle_2_deg : ndarray, shape (n,)
        Right ascension and declination, or azimuth and elevation, degrees.
    range_km : ndarray, shape (n,) or None
        Ranges, km, when the segment has them.
    notes : tuple of str
        What the reader skipped in the file (keywords it does not use), one note each.
    """

    participant: str
    angle_type: str
    reference_frame: str | None
    time: NDArray[np.datetime64]
    angle_1_deg: FloatArray
    angle_2_deg: FloatArray
    range_km: FloatArray | None
    notes: tuple[str, ...] = field(default=())


def tdm_file_name(sensor_id: str) -> str:
    """File name of a sensor's TDM: unsafe characters replaced by ``_``, plus ``.tdm``."""
    return _UNSAFE.sub("_", sensor_id).strip("_.") + ".tdm"


def los_to_radec(los: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Right ascension (0..360) and declination of unit vectors in their own frame, degrees."""
    ra = np.degrees(np.arctan2(los[..., 1], los[..., 0])) % 360.0
    dec = np.degrees(np.arcsin(np.clip(los[..., 2], -1.0, 1.0)))
    return ra, dec


def radec_to_los(ra_deg: FloatArray, dec_deg: FloatArray) -> FloatArray:
    """Unit vectors from right ascension and declination, degrees, shape ``(..., 3)``."""
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def los_to_azel(los: FloatArray, lat_rad: float, lon_rad: float) -> tuple[FloatArray, FloatArray]:
    """Azimuth (0..360, from north through east) and elevation of ECEF unit vectors, degrees."""
    enu = los @ enu_basis(lat_rad, lon_rad).T
    az = np.degrees(np.arctan2(enu[..., 0], enu[..., 1])) % 360.0
    el = np.degrees(np.arcsin(np.clip(enu[..., 2], -1.0, 1.0)))
    return az, el


def azel_to_los(
    az_deg: FloatArray, el_deg: FloatArray, lat_rad: float, lon_rad: float
) -> FloatArray:
    """ECEF unit vectors from azimuth and elevation (degrees) at a site."""
    az, el = np.radians(az_deg), np.radians(el_deg)
    enu = np.stack([np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)], axis=-1)
    return np.asarray(enu @ enu_basis(lat_rad, lon_rad), dtype=np.float64)


def _epochs(time_ns: NDArray[np.int64]) -> list[str]:
    return [str(t) + "Z" for t in time_ns.astype("datetime64[ns]").astype("datetime64[us]")]


def write_tdm(
    path: Path | str,
    sensor_id: str,
    time_ns: NDArray[np.int64],
    los: FloatArray,
    *,
    range_m: FloatArray | None = None,
    site_lat_lon_rad: tuple[float, float] | None = None,
    originator: str = "tracklayer",
    creation_date: datetime | None = None,
) -> Path:
    """Write one sensor's detections as a TDM with one segment (:func:`tdm_text`) to
    ``path``, atomically."""
    text = tdm_text(
        sensor_id,
        time_ns,
        los,
        range_m=range_m,
        site_lat_lon_rad=site_lat_lon_rad,
        originator=originator,
        creation_date=creation_date,
    )
    return _write_atomic(Path(path), text)


def tdm_text(
    sensor_id: str,
    time_ns: NDArray[np.int64],
    los: FloatArray,
    *,
    range_m: FloatArray | None = None,
    site_lat_lon_rad: tuple[float, float] | None = None,
    originator: str = "tracklayer",
    creation_date: datetime | None = None,
) -> str:
    """One sensor's detections as the KVN text of a TDM with one segment.

    Parameters
    ----------
    sensor_id
        The sensor (``PARTICIPANT_1``).
    time_ns
        Epochs, ns since 1970-01-01 UTC, shape (n,).
    los
        Unit lines of sight, ECEF, shape (n, 3).
    range_m
        Ranges, m (radars), or None.
    site_lat_lon_rad
        Geodetic latitude and longitude of a ground site: write ``AZEL`` angles there;
        None: ``RADEC`` in ITRF2000 (Earth-fixed).
    """
    created = (creation_date or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    azel = site_lat_lon_rad is not None
    if site_lat_lon_rad is not None:
        a1, a2 = los_to_azel(los, *site_lat_lon_rad)
    else:
        a1, a2 = los_to_radec(los)
    meta = [
        "META_START",
        "TIME_SYSTEM = UTC",
        f"PARTICIPANT_1 = {sensor_id}",
        "PARTICIPANT_2 = UNKNOWN",
        "MODE = SEQUENTIAL",
        "PATH = 2,1",
        f"ANGLE_TYPE = {'AZEL' if azel else 'RADEC'}",
    ]
    if not azel:
        meta.append(f"REFERENCE_FRAME = {RADEC_FRAME}")
    if range_m is not None:
        meta.append("RANGE_UNITS = km")
    meta.append("META_STOP")
    lines: list[str] = []
    epochs = _epochs(np.asarray(time_ns, dtype=np.int64))
    rng = None if range_m is None else (np.asarray(range_m) / KM).tolist()
    for i, (e, x, y) in enumerate(zip(epochs, a1.tolist(), a2.tolist(), strict=True)):
        lines.append(f"ANGLE_1 = {e} {x:.9f}")
        lines.append(f"ANGLE_2 = {e} {y:.9f}")
        if rng is not None:
            lines.append(f"RANGE = {e} {rng[i]:.6f}")
    return (
        "CCSDS_TDM_VERS = 2.0\n"
        f"CREATION_DATE = {created.isoformat(timespec='microseconds')}\n"
        f"ORIGINATOR = {originator}\n\n"
        + "\n".join(meta)
        + "\n\nDATA_START\n"
        + "".join(line + "\n" for line in lines)
        + "DATA_STOP\n"
    )


def write_tdm_files(
    detections: pa.Table,
    out_dir: Path | str,
    *,
    sites: Mapping[str, tuple[float, float]] | None = None,
    creation_date: datetime | None = None,
) -> list[Path]:
    """Write one TDM per sensor of a ``detections`` table into ``out_dir``.

    Parameters
    ----------
    detections
        The ``detections`` table (``sensor_id``, ``time``, ``los_*``, ``range_m``...).
    out_dir
        Folder for the files (created).
    sites
        Radar name -> (geodetic latitude, longitude), rad: those sensors get ``AZEL`` angles
        and ranges; every other sensor ``RADEC`` in ITRF.
    creation_date
        ``CREATION_DATE`` of every file (default: now).

    Returns
    -------
    list of Path
        The files, in sensor_id order.
    """
    site_map = dict(sites or {})
    out = Path(out_dir)
    sensor = np.asarray(detections.column("sensor_id").to_pylist(), dtype=np.str_)
    time_ns = detections.column("time").cast(pa.int64()).to_numpy(zero_copy_only=False)
    los = np.stack(
        [detections.column(c).to_numpy(zero_copy_only=False) for c in ("los_x", "los_y", "los_z")],
        axis=-1,
    )
    rng = detections.column("range_m").to_numpy(zero_copy_only=False)
    order = np.lexsort((np.arange(sensor.size), time_ns, sensor))
    names, starts = np.unique(sensor[order], return_index=True)
    ends = np.append(starts[1:], order.size)
    paths: list[Path] = []
    # One file per sensor: the loop is over sensors, each file written whole.
    for name, lo, hi in zip(names.tolist(), starts.tolist(), ends.tolist(), strict=True):
        idx = order[lo:hi]
        site = site_map.get(name)
        paths.append(
            write_tdm(
                out / tdm_file_name(name),
                name,
                time_ns[idx],
                los[idx],
                range_m=rng[idx] if site is not None else None,
                site_lat_lon_rad=site,
                creation_date=creation_date,
            )
        )
    return paths


_HEADER_KEYS = {"CCSDS_TDM_VERS", "CREATION_DATE", "ORIGINATOR", "MESSAGE_ID", "COMMENT"}
_DATA_KEYS = {"ANGLE_1", "ANGLE_2", "RANGE"}


def _number(text: str, where: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputFormatError(f"{where}: {what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise InputFormatError(f"{where}: {what} must be finite, got {text!r}")
    return value


def read_tdm(path: Path | str) -> list[TrackingData]:
    """Read the angle (and range) segments of a KVN TDM written by :func:`write_tdm`.

    Raises
    ------
    InputFormatError
        The file is missing or malformed; the message names the file and line.
    """
    p = Path(path)
    return parse_tdm(read_tdm_bytes(p), str(p))


def read_tdm_bytes(path: Path) -> bytes:
    """A TDM file's bytes; a missing or unreadable file is an :class:`InputFormatError`
    naming it."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputFormatError(f"{path}: no such TDM file") from None
    except OSError as exc:
        raise InputFormatError(f"{path}: cannot read TDM file ({exc.strerror})") from None


def parse_tdm(text: bytes | str, source: str = "TDM") -> list[TrackingData]:
    """Parse the angle (and range) segments of a KVN TDM held in memory (see
    :func:`read_tdm`); error messages name ``source`` and the line."""
    p = source
    lines = _ascii_text(text, p).splitlines()
    segments: list[TrackingData] = []
    state = "header"
    meta: dict[str, str] = {}
    data: dict[str, list[tuple[str, float]]] = {}
    header_skipped: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    seen_version = False
    for number, raw in enumerate(lines, start=1):
        where = f"{p}, line {number}"
        line = raw.strip()
        if not line or line.startswith("COMMENT"):
            continue
        if line in ("META_START", "META_STOP", "DATA_START", "DATA_STOP"):
            expected = {
                "META_START": ("header", "between"),
                "META_STOP": ("meta",),
                "DATA_START": ("after_meta",),
                "DATA_STOP": ("data",),
            }[line]
            if state not in expected:
                raise InputFormatError(f"{where}: unexpected {line} (in {state.replace('_', ' ')})")
            if line == "META_START":
                if not seen_version:
                    raise InputFormatError(f"{where}: META_START before CCSDS_TDM_VERS")
                state, meta = "meta", {}
            elif line == "META_STOP":
                _check_metadata(meta, where)
                state = "after_meta"
            elif line == "DATA_START":
                state, data, skipped = "data", {k: [] for k in _DATA_KEYS}, Counter()
            else:
                notes = _notes(header_skipped, "header") + _notes(skipped, "data")
                segments.append(_segment(meta, data, where, notes))
                state = "between"
            continue
        if "=" not in line:
            raise InputFormatError(f"{where}: expected 'KEYWORD = value', got {line[:40]!r}")
        key, _, value = (part.strip() for part in line.partition("="))
        if state == "header":
            if key not in _HEADER_KEYS:
                header_skipped[key] += 1
            if key == "CCSDS_TDM_VERS":
                if value not in ("1.0", "2.0"):
                    raise InputFormatError(
                        f"{where}: CCSDS_TDM_VERS must be 1.0 or 2.0, got {value!r}"
                    )
                seen_version = True
            continue
        if state != "header" and not seen_version:
            raise InputFormatError(f"{where}: file must start with CCSDS_TDM_VERS")
        if state == "meta":
            meta[key] = value
        elif state == "data":
            _data_line(key, value, where, data, skipped)
        else:
            raise InputFormatError(f"{where}: {key} outside a META or DATA block")
    if state in ("meta", "data", "after_meta"):
        raise InputFormatError(f"{p}, line {len(lines)}: file ends inside a segment ({state})")
    if not seen_version:
        raise InputFormatError(f"{p}, line 1: not a TDM (no CCSDS_TDM_VERS)")
    return segments


def _ascii_text(text: bytes | str, source: str) -> str:
    """The file's text; a non-ASCII byte or character is an error naming its offset."""
    if isinstance(text, bytes):
        try:
            return text.decode("ascii")
        except UnicodeDecodeError as exc:
            raise InputFormatError(f"{source}: not an ASCII TDM file (byte {exc.start})") from None
    if not text.isascii():
        bad = next(i for i, ch in enumerate(text) if not ch.isascii())
        raise InputFormatError(f"{source}: not an ASCII TDM file (character {bad})")
    return text


def _check_metadata(meta: dict[str, str], where: str) -> None:
    """A metadata block names its participant, angle type (RADEC or AZEL) and UTC."""
    for key in ("PARTICIPANT_1", "ANGLE_TYPE", "TIME_SYSTEM"):
        if key not in meta:
            raise InputFormatError(f"{where}: metadata block lacks {key}")
    if meta["TIME_SYSTEM"] != "UTC":
        raise InputFormatError(f"{where}: TIME_SYSTEM must be UTC, got {meta['TIME_SYSTEM']!r}")
    if meta["ANGLE_TYPE"] not in ("RADEC", "AZEL"):
        raise InputFormatError(
            f"{where}: ANGLE_TYPE must be RADEC or AZEL, got {meta['ANGLE_TYPE']!r}"
        )


#: Epochs a ``datetime64[ns]`` holds (1677-09-21 to 2262-04-11), in whole years.
_EARLIEST_EPOCH = np.datetime64("1678-01-01", "us")
_LATEST_EPOCH = np.datetime64("2262-01-01", "us")


def _check_epoch(text: str, where: str) -> None:
    """Refuse an epoch that is no date, or one outside 1678-2262: nanosecond times
    beyond would wrap around silently (year 1000 read as 2169)."""
    try:
        epoch = np.datetime64(text.rstrip("Z"), "us")
    except ValueError:
        raise InputFormatError(f"{where}: not a valid epoch: {text!r}") from None
    if not _EARLIEST_EPOCH <= epoch < _LATEST_EPOCH:
        raise InputFormatError(
            f"{where}: epoch {text!r} is outside the years 1678 to 2261 that are supported"
        )


def _epoch(text: str, where: str) -> str:
    """A TDM epoch (calendar or day-of-year form, UTC) as ``YYYY-MM-DDThh:mm:ss[.f]``."""
    doy = _DOY_EPOCH.match(text)
    if doy is not None:
        year, day, clock = int(doy[1]), int(doy[2]), doy[3]
        if not 1 <= day <= (366 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 365):
            raise InputFormatError(f"{where}: day of year {day} does not exist in {year}")
        date = np.datetime64(f"{year:04d}-01-01") + np.timedelta64(day - 1, "D")
        text = f"{date}{clock}"
    elif not _EPOCH.match(text):
        raise InputFormatError(
            f"{where}: epoch must be YYYY-MM-DDThh:mm:ss[.f] or YYYY-DDDThh:mm:ss[.f], got {text!r}"
        )
    _check_epoch(text, where)
    return text.rstrip("Z")


def tdm_epoch_ns(text: str, where: str = "TDM") -> int:
    """A TDM epoch (calendar or day-of-year form, UTC) as ns since 1970.

    Raises
    ------
    InputFormatError
        Not an epoch, or outside 1678-2261; the message starts with ``where``.
    """
    return int(np.datetime64(_epoch(text, where), "ns").astype(np.int64))


def _data_line(
    key: str,
    value: str,
    where: str,
    data: dict[str, list[tuple[str, float]]],
    skipped: Counter[str],
) -> None:
    """Add one ``KEYWORD = epoch value`` line to ``data``; count a keyword not read."""
    if key not in _DATA_KEYS:
        skipped[key] += 1
        return
    fields_ = value.split()
    if len(fields_) != 2:
        raise InputFormatError(f"{where}: expected '{key} = epoch value', got {value!r}")
    data[key].append((_epoch(fields_[0], where), _number(fields_[1], where, key)))


def _notes(skipped: Counter[str], block: str) -> tuple[str, ...]:
    return tuple(
        f"{block} keyword {key} not used: {n} line(s) skipped" for key, n in sorted(skipped.items())
    )


def _frame(value: str | None) -> str | None:
    """``ITRF`` for any ITRF realisation (they differ by centimetres), else the value."""
    return "ITRF" if value is not None and _ITRF.match(value) else value


def _segment(
    meta: dict[str, str],
    data: dict[str, list[tuple[str, float]]],
    where: str,
    notes: tuple[str, ...] = (),
) -> TrackingData:
    a1, a2, rg = data["ANGLE_1"], data["ANGLE_2"], data["RANGE"]
    if len(a1) != len(a2):
        raise InputFormatError(
            f"{where}: segment has {len(a1)} ANGLE_1 and {len(a2)} ANGLE_2 lines"
        )
    if rg and len(rg) != len(a1):
        raise InputFormatError(
            f"{where}: segment has {len(a1)} angle pairs but {len(rg)} RANGE lines"
        )
    for (e1, _), (e2, _) in zip(a1, a2, strict=True):
        if e1 != e2:
            raise InputFormatError(f"{where}: ANGLE_1 at {e1} is paired with ANGLE_2 at {e2}")
    times = np.array([e for e, _ in a1], dtype="datetime64[ns]")
    return TrackingData(
        participant=meta["PARTICIPANT_1"],
        angle_type=meta["ANGLE_TYPE"],
        reference_frame=_frame(meta.get("REFERENCE_FRAME")),
        time=times,
        angle_1_deg=np.array([v for _, v in a1]),
        angle_2_deg=np.array([v for _, v in a2]),
        range_km=np.array([v for _, v in rg]) if rg else None,
        notes=notes,
    )

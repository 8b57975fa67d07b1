"""Detections from a CCSDS TDM body (KVN or XML): parsing, and conversion to detection records.

The body is read by :func:`tracklayer.io.tdm.parse_tdm` (KVN, CCSDS 503.0-B-2 angle and
range data; see that module for the conventions) or, when it starts with ``<``, by
:func:`tracklayer.io.tdm_xml.parse_tdm_xml` (the NDM/XML encoding, CCSDS 505.0-B-2).
An XML body is a partner's untrusted document: it is parsed with no DTD, entity or
external reference, within :data:`BODY_XML_LIMITS` (size, depth, element count, time;
:mod:`tracklayer.io.safe_xml`), and a body that breaks a rule is refused whole, with a
422 naming the rule, before anything is stored. What a TDM does not carry comes with the
request:

- **where the sensor is.** A TDM names its sensor (``PARTICIPANT_1``) but not its
  position. A ground sensor gives its geodetic site (``site_lat_deg``, ``site_lon_deg``,
  ``site_alt_m``, WGS84); ``ANGLE_TYPE = AZEL`` segments (radars) need it, since azimuth
  and elevation are measured in the site's horizon frame. A space sensor (infrared,
  ``ANGLE_TYPE = RADEC``) gives its ECEF position at the message's epochs
  (``sensor_x_m``, ``sensor_y_m``, ``sensor_z_m``): one message per frame, as the sensor
  moves. Exactly one of the two is required.
- the angular and range standard deviations (``sigma_rad``, ``sigma_range_m``), and the
  sensor kind (``sensor_kind``).

One message carries one sensor (every segment has the same ``PARTICIPANT_1``); RADEC
is read in any ITRF realisation (Earth-fixed, as tracklayer writes it) or in ``EME2000``,
``GCRF`` or ``ICRF``, rotated to ECEF at each epoch (:mod:`tracklayer.io.tdm_frames`);
ranges are in km (the CCSDS default). The n-th detection of the message gets ``det_id``
``"<n>"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from tracklayer.constants import DEG, KM
from tracklayer.errors import InputFormatError
from tracklayer.frames import geodetic_to_ecef
from tracklayer.io.safe_xml import XmlLimits
from tracklayer.io.tdm import TrackingData, azel_to_los, parse_tdm, tdm_epoch_ns
from tracklayer.io.tdm_frames import EARTH_FIXED_FRAMES, INERTIAL_FRAMES, radec_los_ecef
from tracklayer.io.tdm_xml import looks_like_xml, parse_tdm_xml
from tracklayer.service.clock import PictureClock
from tracklayer.service.schemas import MAX_RECORDS, DetectionMessage

__all__ = [
    "BODY_XML_LIMITS",
    "TdmSensor",
    "check_tdm_epochs",
    "parse_tdm_body",
    "position_from_parts",
    "site_from_degrees",
    "tdm_detection_message",
]


@dataclass(frozen=True)
class TdmSensor:
    """What the request says about the sensor of a TDM (see the module doc).

    Attributes
    ----------
    kind : str
        ``sensor_kind`` of the detections (``ir``, ``radar``...).
    sigma_rad : float
        Line-of-sight standard deviation, rad.
    sigma_range_m : float or None
        Range standard deviation, m (needed when the TDM has ``RANGE``).
    site_lat_lon_alt : tuple or None
        Geodetic latitude and longitude (rad) and height (m) of a ground site, WGS84.
    position_m : tuple or None
        ECEF position of a space sensor, m.
    """

    kind: str
    sigma_rad: float
    sigma_range_m: float | None = None
    site_lat_lon_alt: tuple[float, float, float] | None = None
    position_m: tuple[float, float, float] | None = None


#: Bounds on an XML TDM body. A message holds at most ``MAX_RECORDS`` detections; in XML
#: each is up to three observations (``ANGLE_1``, ``ANGLE_2``, ``RANGE``) of three elements
#: (the observation, its ``EPOCH`` and its value), plus a few hundred for headers and
#: metadata. A TDM is 6 elements deep (7 in an ``<ndm>``). Bodies within the element
#: bound are a few MB and parse in well under a second; the time bound is a backstop.
BODY_XML_LIMITS = XmlLimits(
    max_bytes=8 * 1024 * 1024,
    max_depth=16,
    max_elements=9 * MAX_RECORDS + 1_000,
    max_seconds=5.0,
)


def parse_tdm_body(body: bytes) -> list[TrackingData]:
    """Parse a TDM body, KVN or XML (bounded by :data:`BODY_XML_LIMITS`).

    Raises
    ------
    InputFormatError
        Names the line (KVN), or the rule broken, the segment or observation (XML), as
        ``body``.
    """
    if looks_like_xml(body):
        return parse_tdm_xml(body, "body", BODY_XML_LIMITS)
    return parse_tdm(body, "body")


#: Data lines whose epoch is a detection's time.
_EPOCH_KEYWORDS = ("ANGLE_1", "ANGLE_2", "RANGE")


def check_tdm_epochs(body: bytes, segments: list[TrackingData], clock: PictureClock) -> None:
    """Refuse a parsed TDM with an epoch more than the clock's skew after the server clock.

    Raises
    ------
    InputFormatError
        Names the first data line whose epoch is too far ahead (``body, line N``); in an
        XML body, the segment, its sensor and the epoch.
    """
    latest = clock.latest_accepted_ns()
    times = [seg.time.astype("datetime64[ns]").astype(np.int64) for seg in segments]
    if all(len(t) == 0 or int(t.max()) <= latest for t in times):
        return
    if looks_like_xml(body):
        _refuse_first_epoch_ahead(segments, times, latest, clock)
    for number, raw in enumerate(body.decode("ascii").splitlines(), start=1):
        key, _, value = (part.strip() for part in raw.partition("="))
        if key not in _EPOCH_KEYWORDS or not value:
            continue
        epoch = value.split()[0].rstrip("Z")
        time_ns = tdm_epoch_ns(epoch, f"body, line {number}")
        if time_ns > latest:
            ahead = (time_ns - latest) * 1e-9 + clock.max_clock_skew_s
            raise InputFormatError(
                f"body, line {number}: epoch {epoch} is {ahead:.3f} s ahead of the server "
                f"clock; at most {clock.max_clock_skew_s:g} s ahead is accepted"
            )


def _refuse_first_epoch_ahead(
    segments: list[TrackingData], times: list[np.ndarray], latest: int, clock: PictureClock
) -> None:
    """Raise for the first segment with an epoch after ``latest`` (ns), naming it."""
    for index, (seg, t) in enumerate(zip(segments, times, strict=True)):
        late = np.flatnonzero(t > latest)
        if late.size:
            ahead = (int(t[late[0]]) - latest) * 1e-9 + clock.max_clock_skew_s
            epoch = str(seg.time[late[0]].astype("datetime64[us]"))
            raise InputFormatError(
                f"body, segment {index + 1} ({seg.participant}): epoch {epoch} is {ahead:.3f} s "
                f"ahead of the server clock; at most {clock.max_clock_skew_s:g} s ahead is "
                "accepted"
            )


def _sensor_position(sensor: TdmSensor) -> tuple[float, float, float]:
    if (sensor.site_lat_lon_alt is None) == (sensor.position_m is None):
        raise InputFormatError(
            "give the sensor's site (site_lat_deg, site_lon_deg, site_alt_m) "
            "or its ECEF position (sensor_x_m, sensor_y_m, sensor_z_m), not both"
        )
    if sensor.position_m is not None:
        return sensor.position_m
    assert sensor.site_lat_lon_alt is not None
    pos = geodetic_to_ecef(*sensor.site_lat_lon_alt)
    return float(pos[0]), float(pos[1]), float(pos[2])


def _lines_of_sight(seg: TrackingData, sensor: TdmSensor, index: int) -> np.ndarray:
    where = f"body, segment {index + 1} ({seg.participant})"
    if seg.angle_type == "AZEL":
        if sensor.site_lat_lon_alt is None:
            raise InputFormatError(
                f"{where}: AZEL angles need the sensor's site "
                "(site_lat_deg, site_lon_deg, site_alt_m)"
            )
        lat, lon, _ = sensor.site_lat_lon_alt
        return azel_to_los(seg.angle_1_deg, seg.angle_2_deg, lat, lon)
    frame = seg.reference_frame or ""
    if frame not in (*EARTH_FIXED_FRAMES, *INERTIAL_FRAMES):
        raise InputFormatError(
            f"{where}: RADEC angles must be in an ITRF realisation (ITRF2000, ITRF-97, "
            f"ITRF-93) or in {', '.join(INERTIAL_FRAMES)}, got REFERENCE_FRAME {frame!r}"
        )
    return radec_los_ecef(seg.angle_1_deg, seg.angle_2_deg, frame, seg.time)


def tdm_detection_message(
    segments: list[TrackingData],
    sender: str,
    message_id: str,
    releasable_to: Any,
    sensor: TdmSensor,
) -> DetectionMessage:
    """The detection message equivalent to a parsed TDM (validated like a JSON one).

    Raises
    ------
    InputFormatError
        No data, several sensors, a missing site or position, a RADEC frame not read
        (see the module doc), ranges without ``sigma_range_m``, or a value the detection
        schema refuses (the message names the query parameter or the detection).
    """
    if not segments or not any(len(s.time) for s in segments):
        raise InputFormatError("body: the TDM holds no ANGLE_1/ANGLE_2 data")
    names = sorted({s.participant for s in segments})
    if len(names) > 1:
        raise InputFormatError(f"body: one sensor per message, got PARTICIPANT_1 {names}")
    pos = _sensor_position(sensor)
    records: list[dict[str, Any]] = []
    for i, seg in enumerate(segments):
        los = _lines_of_sight(seg, sensor, i)
        los = los / np.linalg.norm(los, axis=-1, keepdims=True)
        rng = None if seg.range_km is None else seg.range_km * KM
        if rng is not None and sensor.sigma_range_m is None:
            raise InputFormatError(
                f"body, segment {i + 1}: RANGE data need the sigma_range_m parameter"
            )
        times = seg.time.astype("datetime64[us]").astype(object)
        for k in range(len(seg.time)):
            records.append(
                {
                    "det_id": str(len(records)),
                    "sensor_id": seg.participant,
                    "sensor_kind": sensor.kind,
                    "owner": sender,
                    "time": times[k].isoformat() + "Z",
                    "los_x": float(los[k, 0]),
                    "los_y": float(los[k, 1]),
                    "los_z": float(los[k, 2]),
                    "sensor_x": pos[0],
                    "sensor_y": pos[1],
                    "sensor_z": pos[2],
                    "sigma_rad": sensor.sigma_rad,
                    "range_m": None if rng is None else float(rng[k]),
                    "sigma_range_m": None if rng is None else sensor.sigma_range_m,
                }
            )
    try:
        return DetectionMessage.model_validate(
            {"message_id": message_id, "releasable_to": releasable_to, "detections": records}
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InputFormatError(f"body: {loc}: {err['msg']}") from None


def site_from_degrees(
    lat_deg: float | None, lon_deg: float | None, alt_m: float | None
) -> tuple[float, float, float] | None:
    """A site tuple (rad, rad, m) from query parameters, None when none is given."""
    given = [v is not None for v in (lat_deg, lon_deg, alt_m)]
    if not any(given):
        return None
    if not all(given):
        raise InputFormatError("give all of site_lat_deg, site_lon_deg and site_alt_m")
    assert lat_deg is not None and lon_deg is not None and alt_m is not None
    return lat_deg * DEG, lon_deg * DEG, alt_m


def position_from_parts(
    x_m: float | None, y_m: float | None, z_m: float | None
) -> tuple[float, float, float] | None:
    """An ECEF position from query parameters, None when none is given."""
    given = [v is not None for v in (x_m, y_m, z_m)]
    if not any(given):
        return None
    if not all(given):
        raise InputFormatError("give all of sensor_x_m, sensor_y_m and sensor_z_m")
    assert x_m is not None and y_m is not None and z_m is not None
    return x_m, y_m, z_m

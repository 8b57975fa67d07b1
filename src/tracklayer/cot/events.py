"""Track states as Cursor-on-Target events: CoT XML and the TAK protobuf.

A track state (the service's JSON record: ECEF ``x..vz`` in m and m/s, 36-float row-major
covariance in SI, ISO 8601 UTC ``time``) becomes one CoT 2.0 ``event``:

- ``type``: the MIL-STD-2525 air track "weapon, missile in flight, surface/land launched,
  surface-to-surface" in the CoT type tree, ``a-<affiliation>-A-W-M-S-S`` (2525B
  ``S*A*WMSS--``): ``h`` (hostile) for a confirmed or coasting track, ``s`` (suspect) for a
  tentative one. Every track of a warning layer is a missile (or its spent stage) in flight.
- ``how``: ``m-f``, machine-derived, fused (a filter's estimate from sensor data).
- ``time``: when the event is sent; ``start``: the state's time; ``stale``: ``start`` plus
  the stale interval (the picture service drops a track after 60 s without a state, so the
  gateway's default is the same), and ``start`` itself for a deleted track, so a TAK client
  lets it go at once.
- ``point``: WGS84 geodetic latitude and longitude (deg) and height above the ellipsoid
  (``hae``, m); ``ce`` the 1-σ circular error (the larger semi-axis of the horizontal 1-σ
  ellipse, m) and ``le`` the 1-σ vertical error (m), as the CoT event schema defines both
  ("the one sigma point for a zero mean normal distribution").
- ``detail``: ``contact`` callsign, ``track`` course (deg from true north) and ground speed
  (m/s), and ``remarks`` (status, altitude, speed, climb rate, a system track's sources).
- ``access``: ``REL TO <partner>``, the partner whose picture the event comes from (the CoT
  schema's "who has access to this event"); the gateway forwards only what that partner's
  token may see.

Source: MITRE, "Cursor-on-Target Message Router User's Guide" and the CoT 2.0 event schema
(``Event.xsd``: point, ce/le as 1-σ); the CoT type tree follows MIL-STD-2525B's symbol
hierarchy; TAK protocol version 1 (protobuf, stream framing ``0xbf``, varint length) as
implemented by ``takproto``. Valid for tracks from the Earth's surface to beyond GEO
(geodetic conversion: :func:`tracklayer.frames.ecef_to_geodetic`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tracklayer.frames import ecef_to_geodetic, enu_basis

__all__ = [
    "MISSILE_TYPE",
    "EventGeometry",
    "event_geometry",
    "event_uid",
    "presence_event",
    "to_protobuf",
    "track_events",
]

#: CoT type of a surface-to-surface missile in flight; ``{}`` is the affiliation.
MISSILE_TYPE = "a-{}-A-W-M-S-S"

_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_STATE = ("x", "y", "z", "vx", "vy", "vz")


@dataclass(frozen=True)
class EventGeometry:
    """Geodetic position, errors and motion of ``n`` track states (arrays of shape ``(n,)``).

    Attributes
    ----------
    lat_deg, lon_deg : ndarray
        WGS84 geodetic latitude and longitude, deg.
    hae_m : ndarray
        Height above the WGS84 ellipsoid, m.
    ce_m, le_m : ndarray
        1-σ horizontal (circular: the larger semi-axis of the east-north ellipse) and
        vertical position errors, m.
    course_deg : ndarray
        Direction of horizontal motion, deg clockwise from true north, in [0, 360).
    ground_speed_mps, speed_mps, climb_mps : ndarray
        Horizontal speed, speed, and vertical rate (up positive), m/s (ECEF velocity,
        i.e. relative to the rotating Earth).
    """

    lat_deg: NDArray[np.float64]
    lon_deg: NDArray[np.float64]
    hae_m: NDArray[np.float64]
    ce_m: NDArray[np.float64]
    le_m: NDArray[np.float64]
    course_deg: NDArray[np.float64]
    ground_speed_mps: NDArray[np.float64]
    speed_mps: NDArray[np.float64]
    climb_mps: NDArray[np.float64]


def event_geometry(state: NDArray[np.float64], cov: NDArray[np.float64]) -> EventGeometry:
    """The CoT point and motion of ECEF states, vectorized.

    Parameters
    ----------
    state : ndarray, shape (n, 6)
        ECEF position (m) and velocity (m/s).
    cov : ndarray, shape (n, 6, 6) or (n, 36)
        State covariances, SI; only the position block is used.
    """
    state = np.asarray(state, dtype=np.float64).reshape(-1, 6)
    p_cov = np.asarray(cov, dtype=np.float64).reshape(-1, 6, 6)[:, :3, :3]
    lat, lon, alt = ecef_to_geodetic(state[:, :3])
    basis = enu_basis(lat, lon)  # (n, 3, 3): rows east, north, up
    v_enu = np.einsum("nij,nj->ni", basis, state[:, 3:])
    p_enu = basis @ p_cov @ np.swapaxes(basis, -1, -2)
    horizontal = np.linalg.eigvalsh(p_enu[:, :2, :2])[:, -1]
    course = np.degrees(np.arctan2(v_enu[:, 0], v_enu[:, 1])) % 360.0
    return EventGeometry(
        lat_deg=np.degrees(lat),
        lon_deg=np.degrees(lon),
        hae_m=alt,
        ce_m=np.sqrt(np.maximum(horizontal, 0.0)),
        le_m=np.sqrt(np.maximum(p_enu[:, 2, 2], 0.0)),
        course_deg=course,
        ground_speed_mps=np.hypot(v_enu[:, 0], v_enu[:, 1]),
        speed_mps=np.linalg.norm(v_enu, axis=1),
        climb_mps=v_enu[:, 2],
    )


def event_uid(partner: str, tracker: str, track_id: str) -> str:
    """The CoT uid of a track in a partner's picture: stable across its states, so each
    new event replaces the previous one on the TAK client's map."""
    return f"tracklayer.{partner}.{tracker}.{track_id}"


def _cot_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _remarks(record: Mapping[str, Any], geo: EventGeometry, i: int) -> str:
    text = (
        f"{record['tracker']} track {record['track_id']}, {record['status']}; "
        f"altitude {geo.hae_m[i] / 1000.0:.1f} km, speed {geo.speed_mps[i]:.0f} m/s, "
        f"climb {geo.climb_mps[i]:.0f} m/s"
    )
    sources = record.get("sources")
    if sources:
        text += "; fused from " + ", ".join(f"{s['tracker']} {s['track_id']}" for s in sources)
    return text


def track_events(
    records: Sequence[Mapping[str, Any]],
    partner: str,
    stale_s: float,
    now: datetime | None = None,
) -> list[bytes]:
    """CoT XML events (UTF-8 bytes, with the XML declaration) of track states.

    Parameters
    ----------
    records : sequence of mapping
        Track states as the service sends them (national or system tracks).
    partner : str
        The partner whose picture they belong to (``access``, and the uids).
    stale_s : float
        Seconds after a state's time when its event goes stale (> 0).
    now : datetime, optional
        The events' ``time`` (the send time); the present by default.
    """
    if stale_s <= 0:
        raise ValueError(f"stale_s must be > 0, got {stale_s}")
    if not records:
        return []
    state = np.array([[float(r[k]) for k in _STATE] for r in records], dtype=np.float64)
    cov = np.array([r["cov"] for r in records], dtype=np.float64)
    geo = event_geometry(state, cov)
    sent = _cot_time(now or datetime.now(UTC))
    events = []
    for i, record in enumerate(records):
        start = _parse_time(str(record["time"]))
        status = str(record["status"])
        stale = start if status == "deleted" else start + timedelta(seconds=stale_s)
        affiliation = "s" if status == "tentative" else "h"
        uid = event_uid(partner, str(record["tracker"]), str(record["track_id"]))
        event = ET.Element(
            "event",
            {
                "version": "2.0",
                "uid": uid,
                "type": MISSILE_TYPE.format(affiliation),
                "how": "m-f",
                "time": sent,
                "start": _cot_time(start),
                "stale": _cot_time(stale),
                "access": f"REL TO {partner}",
            },
        )
        ET.SubElement(
            event,
            "point",
            {
                "lat": f"{geo.lat_deg[i]:.7f}",
                "lon": f"{geo.lon_deg[i]:.7f}",
                "hae": f"{geo.hae_m[i]:.1f}",
                "ce": f"{geo.ce_m[i]:.1f}",
                "le": f"{geo.le_m[i]:.1f}",
            },
        )
        detail = ET.SubElement(event, "detail")
        ET.SubElement(detail, "contact", {"callsign": f"{record['tracker']} {record['track_id']}"})
        ET.SubElement(
            detail,
            "track",
            {"course": f"{geo.course_deg[i]:.2f}", "speed": f"{geo.ground_speed_mps[i]:.2f}"},
        )
        ET.SubElement(detail, "remarks").text = _remarks(record, geo, i)
        events.append(
            _XML_DECLARATION + ET.tostring(event, encoding="utf-8", xml_declaration=False)
        )
    return events


def presence_event(partner: str, now: datetime, stale_s: float = 3600.0) -> bytes:
    """The gateway's own presence: the first event a TAK client sends on connecting, which
    a TAK server takes as the connection's identity (FreeTAKServer does not relay it).

    Its position is unknown (lat 0, lon 0 and the CoT "unknown" value 9 999 999 m for
    ``hae``, ``ce`` and ``le``); its callsign names the partner whose picture follows.
    """
    uid = f"tracklayer.{partner}.gateway"
    event = ET.Element(
        "event",
        {
            "version": "2.0",
            "uid": uid,
            "type": "a-f-G-U-C",
            "how": "m-g",
            "time": _cot_time(now),
            "start": _cot_time(now),
            "stale": _cot_time(now + timedelta(seconds=stale_s)),
            "access": f"REL TO {partner}",
        },
    )
    unknown = "9999999.0"
    ET.SubElement(
        event, "point", {"lat": "0.0", "lon": "0.0", "hae": unknown, "ce": unknown, "le": unknown}
    )
    detail = ET.SubElement(event, "detail")
    ET.SubElement(detail, "contact", {"callsign": f"tracklayer {partner}"})
    return _XML_DECLARATION + ET.tostring(event, encoding="utf-8", xml_declaration=False)


def to_protobuf(xml: bytes, mesh: bool = False) -> bytes:
    """A CoT XML event as TAK protocol version 1 (protobuf ``TakMessage``).

    Parameters
    ----------
    xml : bytes
        One CoT event.
    mesh : bool
        The mesh (UDP) framing ``0xbf 0x01 0xbf`` instead of the stream (TCP) framing
        ``0xbf`` and a varint length.
    """
    import takproto

    version = takproto.TAKProtoVer.MESH if mesh else takproto.TAKProtoVer.STREAM
    return bytes(takproto.xml2proto(xml, version))

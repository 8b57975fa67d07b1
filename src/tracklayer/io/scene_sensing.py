"""The scene's sensing layers beside the threats' sight lines (CZML packets,
:mod:`tracklayer.io.czml` conventions).

- **False alarms' lines of sight**: a false alarm (a detection with no ``truth_id``) is a
  direction, not an object. Its line runs from the sensor's position at the detection
  along its line of sight to where that line meets the WGS84 ellipsoid (a false alarm
  against the Earth) or, when it misses the Earth, to its closest approach to the Earth's
  centre (against the limb) or :data:`FALSE_ALARM_REACH_M` out (against space, looking
  away from the Earth). One packet per sensor (``id`` ``false_alarms/<sensor>``) holds
  its false alarms as dashed lines, each frame's drawn :data:`SIGHT_HOLD_S` (until the
  sensor's next false alarm, if sooner); a frame with several draws them as a fan from the
  sensor.
- **Fields of regard above the limb**: per satellite whose field of regard looks above
  the Earth's limb, a ring (``id`` ``regard/<sat>``) that rides with the satellite where
  its field of regard's edge rays pass the Earth
  (:func:`tracklayer.sensors.footprint.limb_ring`): between the ground footprint's edge
  and that ring, it sees air and space targets over the horizon.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import WGS84_A_M, WGS84_B_M
from tracklayer.io.czml import css_hex, groups_by_key, iso_utc, rgba
from tracklayer.io.scene_layers import SIGHT_HOLD_S

__all__ = [
    "FALSE_ALARM_LEGEND",
    "FALSE_ALARM_REACH_M",
    "FALSE_ALARM_RGBA",
    "REGARD_LEGEND",
    "REGARD_RGBA",
    "false_alarm_packets",
    "line_of_sight_ends",
    "regard_packets",
]

#: The legend's name of the false alarms' lines of sight.
FALSE_ALARM_LEGEND = "lines of sight (false alarms)"
#: Their colour (RGBA 0-255): rose, dashed, apart from the threats' red and every owner's.
FALSE_ALARM_RGBA = [251, 113, 133, 255]
#: Length of a false alarm's line that looks away from the Earth, m.
FALSE_ALARM_REACH_M = 3000e3
#: The legend's name of the rings of the fields of regard above the limb.
REGARD_LEGEND = "fields of regard above the limb"
#: The rings' legend swatch (RGBA 0-255); each ring is drawn in its satellite's colour.
REGARD_RGBA = [226, 232, 240, 255]
_NS = 1_000_000_000


def line_of_sight_ends(
    sensor_m: NDArray[np.float64], los: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Where each line of sight ends on the globe: its first meeting with the WGS84
    ellipsoid, else its closest approach to the Earth's centre, else (looking away from
    the Earth) :data:`FALSE_ALARM_REACH_M` along it.

    Parameters
    ----------
    sensor_m : ndarray, shape (N, 3)
        Sensor positions, ECEF m.
    los : ndarray, shape (N, 3)
        Unit lines of sight, ECEF.

    Returns
    -------
    ndarray, shape (N, 3)
        End points, ECEF m.
    """
    scale = np.array([1.0 / WGS84_A_M, 1.0 / WGS84_A_M, 1.0 / WGS84_B_M])
    s, u = sensor_m * scale, los * scale  # the ellipsoid is the unit sphere here
    a = np.einsum("ij,ij->i", u, u)
    b = np.einsum("ij,ij->i", s, u)
    c = np.einsum("ij,ij->i", s, s) - 1.0
    disc = b * b - a * c
    hit_t = (-b - np.sqrt(np.maximum(disc, 0.0))) / a
    closest_t = -np.einsum("ij,ij->i", sensor_m, los)
    t = np.where(
        (disc >= 0.0) & (hit_t > 0.0),
        hit_t,
        np.where(closest_t > 0.0, closest_t, FALSE_ALARM_REACH_M),
    )
    ends: NDArray[np.float64] = sensor_m + t[:, None] * los
    return ends


def false_alarm_packets(
    sensors: Sequence[str],
    backgrounds: Sequence[str] | None,
    time_ns: NDArray[np.int64],
    sensor_m: NDArray[np.float64],
    los: NDArray[np.float64],
) -> list[dict[str, Any]]:
    """One packet per sensor with false alarms: their lines of sight over time.

    Parameters
    ----------
    sensors : sequence of str, length F
        Each false alarm's sensor id.
    backgrounds : sequence of str, length F, optional
        Each false alarm's scene behind it (``earth``, ``limb``, ``space``).
    time_ns : ndarray of int, shape (F,)
        Detection times, UTC ns.
    sensor_m, los : ndarray, shape (F, 3)
        Sensor positions (ECEF m) and unit lines of sight (ECEF).

    Returns
    -------
    list of dict
        Packets ``false_alarms/<sensor>`` (module notes), in sensor order.
    """
    ends = line_of_sight_ends(sensor_m, los)
    hold_ns = int(SIGHT_HOLD_S * _NS)
    packets = []
    for sensor, rows in groups_by_key(list(sensors), time_ns):
        frames, index = np.unique(time_ns[rows], return_inverse=True)
        stops = np.minimum(frames + hold_ns, np.r_[frames[1:], frames[-1] + hold_ns])
        intervals = [
            f"{iso_utc(int(a))}/{iso_utc(int(b))}" for a, b in zip(frames, stops, strict=True)
        ]
        positions, seen = [], []
        for k, interval in enumerate(intervals):
            mine = rows[index == k]
            fan = np.stack([sensor_m[mine], ends[mine]], axis=1).reshape(-1, 3)
            positions.append({"interval": interval, "cartesian": np.round(fan, 0).ravel().tolist()})
            what = "" if backgrounds is None else ", ".join(sorted({backgrounds[r] for r in mine}))
            seen.append({"interval": interval, "string": what or "-"})
        packets.append(
            {
                "id": f"false_alarms/{sensor}",
                "name": f"{sensor} false alarms",
                "availability": intervals,
                "properties": {
                    "kind": "false_alarm",
                    "sensor": sensor,
                    "legend": FALSE_ALARM_LEGEND,
                    "color": css_hex(FALSE_ALARM_RGBA),
                    "background": seen,
                },
                "polyline": {
                    "positions": positions,
                    "width": 1,
                    "arcType": "NONE",
                    "material": {
                        "polylineDash": {"color": rgba(FALSE_ALARM_RGBA, 200), "dashLength": 8}
                    },
                },
            }
        )
    return packets


def regard_packets(
    rings: Mapping[str, tuple[float, float]], colours: Mapping[str, Sequence[int]]
) -> list[dict[str, Any]]:
    """One ring packet per satellite whose field of regard looks above the limb.

    Parameters
    ----------
    rings : mapping
        Satellite id to its ring's (ground radius, height), m
        (:func:`tracklayer.sensors.footprint.satellite_limb_rings`).
    colours : mapping
        Satellite id to its colour (RGBA 0-255); satellites without one are left out.

    Returns
    -------
    list of dict
        Packets ``regard/<sat>`` whose position is the satellite's (a reference), an
        outlined ellipse at the ring's height, hidden until the viewer asks.
    """
    packets = []
    for sat_id, (ground_m, height_m) in sorted(rings.items()):
        if sat_id not in colours:
            continue
        radius = round(float(ground_m), 0)
        packets.append(
            {
                "id": f"regard/{sat_id}",
                "name": f"{sat_id} field of regard above the limb",
                "properties": {
                    "kind": "regard",
                    "satellite": sat_id,
                    "legend": REGARD_LEGEND,
                    "color": css_hex(REGARD_RGBA),
                    "ring_height_m": round(float(height_m), 0),
                    "ring_radius_m": radius,
                },
                "position": {"reference": f"satellite/{sat_id}#position"},
                "ellipse": {
                    "show": True,  # the packet's own show (the viewer's layer) governs
                    "semiMajorAxis": radius,
                    "semiMinorAxis": radius,
                    "height": round(float(height_m), 0),
                    "granularity": 0.02,
                    "fill": False,
                    "outline": True,
                    "outlineColor": rgba(colours[sat_id], 220),
                },
            }
        )
    return packets

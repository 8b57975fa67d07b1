"""The scene's layers beside its objects: the region, the raid window, ground sensors and
the lines of sight of detections (CZML packets, :mod:`tracklayer.io.czml` conventions).

- The **region** is where the viewer's camera opens: a ``region`` packet with
  ``properties`` ``west_deg``, ``south_deg``, ``east_deg``, ``north_deg`` and its outline
  on the ground.
- The **raid window** is the clock's interval: from a little before the first threat
  sample to a little after the last (the scene's whole span without threats).
- A **sight line** joins a sensor to a threat while the sensor detects it: one packet per
  (sensor, threat), whose ``polyline.positions`` are references to the two objects'
  positions, and whose ``availability`` is the list of intervals of its detections
  (detections closer than :data:`SIGHT_MERGE_S` joined, each held :data:`SIGHT_HOLD_S`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.frames import ecef_to_geodetic
from tracklayer.io.czml import css_hex, groups_by_key, iso_utc, rgba

__all__ = [
    "GROUND_SENSOR_RGBA",
    "REGION_MARGIN_DEG",
    "SIGHT_HOLD_S",
    "SIGHT_LEGEND",
    "SIGHT_MERGE_S",
    "WINDOW_LEAD_S",
    "WINDOW_TAIL_S",
    "box_of_degrees",
    "ground_sensor_packets",
    "raid_window",
    "region_of",
    "region_packet",
    "sight_line_packets",
]

#: Margin around the threats' area in the region the camera opens on, degrees.
REGION_MARGIN_DEG = 5.0
#: The clock opens this long before the first threat sample, s.
WINDOW_LEAD_S = 20.0
#: ... and stops this long after the last, s.
WINDOW_TAIL_S = 60.0
#: Detections of one threat by one sensor this close in time draw one sight line, s.
SIGHT_MERGE_S = 15.0
#: How long a single detection's sight line stays drawn, s.
SIGHT_HOLD_S = 5.0
#: The legend's name of the sight lines.
SIGHT_LEGEND = "lines of sight (detections)"
#: Colour of ground sensors (RGBA 0-255).
GROUND_SENSOR_RGBA = [168, 162, 158, 255]
#: The sight lines' legend swatch; each line is drawn in its sensor's satellite colour.
_SIGHT_SWATCH = [148, 163, 184, 255]
_NS = 1_000_000_000


def region_of(
    position: NDArray[np.float64], margin_deg: float = REGION_MARGIN_DEG
) -> tuple[float, float, float, float]:
    """The (west, south, east, north) box, degrees, of ECEF points plus a margin.

    Longitudes that straddle the antimeridian are taken in [0, 360) and the east edge may
    exceed 180 (Cesium's rectangles accept that). Latitudes are clipped to +-90.
    """
    lat, lon, _ = ecef_to_geodetic(np.asarray(position, dtype=np.float64).reshape(-1, 3))
    return box_of_degrees(np.degrees(lat), np.degrees(lon), margin_deg)


def box_of_degrees(
    lat_deg: ArrayLike, lon_deg: ArrayLike, margin_deg: float = 0.0
) -> tuple[float, float, float, float]:
    """The (west, south, east, north) box, degrees, of points given in degrees, plus a
    margin (as :func:`region_of`; longitudes in any turn, such as 190 for 170 W)."""
    lat_deg = np.asarray(lat_deg, dtype=np.float64).reshape(-1)
    lon_deg = np.mod(np.asarray(lon_deg, dtype=np.float64).reshape(-1) + 180.0, 360.0) - 180.0
    if lon_deg.max() - lon_deg.min() > 180.0:
        lon_deg = np.mod(lon_deg, 360.0)
    west, east = float(lon_deg.min()) - margin_deg, float(lon_deg.max()) + margin_deg
    south = max(float(lat_deg.min()) - margin_deg, -90.0)
    north = min(float(lat_deg.max()) + margin_deg, 90.0)
    if west > 180.0:
        west, east = west - 360.0, east - 360.0
    return (round(west, 3), round(south, 3), round(east, 3), round(north, 3))


def region_packet(region_deg: tuple[float, float, float, float]) -> dict[str, Any]:
    """The ``region`` packet: the box the camera opens on, outlined on the ground."""
    west, south, east, north = region_deg
    return {
        "id": "region",
        "name": "region of the scenario's threats",
        "properties": {
            "kind": "region",
            "west_deg": west,
            "south_deg": south,
            "east_deg": east,
            "north_deg": north,
        },
        "rectangle": {
            "coordinates": {"wsenDegrees": [west, south, east, north]},
            "fill": False,
            "outline": True,
            "height": 0.0,
            "outlineColor": rgba([148, 163, 184, 255], 160),
        },
    }


def raid_window(
    span_start_ns: int, span_stop_ns: int, truth_ns: NDArray[np.int64]
) -> tuple[int, int]:
    """The clock's (start, stop), UTC ns: the threats' flight with a margin, kept within
    the scene's span; the span itself without threats."""
    if truth_ns.size == 0:
        return span_start_ns, span_stop_ns
    start = max(int(truth_ns.min()) - int(WINDOW_LEAD_S * _NS), span_start_ns)
    stop = min(int(truth_ns.max()) + int(WINDOW_TAIL_S * _NS), span_stop_ns)
    return start, max(stop, start)


def ground_sensor_packets(
    sensors: Sequence[str],
    owners: Sequence[str],
    sensor_pos: NDArray[np.float64],
    satellites: set[str],
) -> list[dict[str, Any]]:
    """A fixed packet (``id`` ``sensor/<id>``) per detecting sensor that is no satellite.

    ``sensor_pos`` (rows of detections, ECEF m) gives its place (the first row's).
    """
    packets = []
    seen: set[str] = set()
    for i, sensor in enumerate(sensors):
        if sensor in satellites or sensor in seen:
            continue
        seen.add(sensor)
        packets.append(
            {
                "id": f"sensor/{sensor}",
                "name": sensor,
                "properties": {
                    "kind": "ground_sensor",
                    "owner": owners[i],
                    "legend": "ground sensors",
                    "color": css_hex(GROUND_SENSOR_RGBA),
                },
                "position": {
                    "referenceFrame": "FIXED",
                    "cartesian": np.round(sensor_pos[i], 1).tolist(),
                },
                "point": {
                    "pixelSize": 8,
                    "color": rgba(GROUND_SENSOR_RGBA),
                    "outlineColor": rgba([15, 23, 42, 255]),
                    "outlineWidth": 1,
                },
            }
        )
    return packets


def _intervals(time_ns: NDArray[np.int64]) -> list[str]:
    """ISO intervals covering sorted detection times: merged within :data:`SIGHT_MERGE_S`,
    each held :data:`SIGHT_HOLD_S` after its last detection."""
    breaks = np.flatnonzero(np.diff(time_ns) > SIGHT_MERGE_S * _NS) + 1
    starts = time_ns[np.r_[0, breaks]]
    ends = time_ns[np.r_[breaks - 1, len(time_ns) - 1]] + int(SIGHT_HOLD_S * _NS)
    return [f"{iso_utc(int(a))}/{iso_utc(int(b))}" for a, b in zip(starts, ends, strict=True)]


def sight_line_packets(
    sensors: Sequence[str],
    threats: Sequence[str],
    time_ns: NDArray[np.int64],
    reference: Mapping[str, str],
    colours: Mapping[str, Sequence[int]],
) -> list[dict[str, Any]]:
    """One packet (``id`` ``sight/<sensor>/<threat>``) per sensor and threat it detected.

    Parameters
    ----------
    sensors, threats : sequence of str, length D
        Each detection's sensor id and the threat it saw (its ``truth_id``).
    time_ns : ndarray of int, shape (D,)
        Detection times, UTC ns.
    reference : mapping
        Sensor id to the packet id holding its position (``satellite/<id>``, ...);
        sensors without one are left out.
    colours : mapping
        Sensor id to the line's colour (RGBA 0-255).

    Returns
    -------
    list of dict
        Packets drawn only during their detections: a straight line from the sensor's
        position to the threat's (references, so both move with their objects).
    """
    keys = [f"{s}\x1f{t}" for s, t in zip(sensors, threats, strict=True)]
    packets = []
    for key, rows in groups_by_key(keys, time_ns):
        sensor, threat = key.split("\x1f")
        if sensor not in reference:
            continue
        color = colours.get(sensor, _SIGHT_SWATCH)
        packets.append(
            {
                "id": f"sight/{sensor}/{threat}",
                "name": f"{sensor} sees {threat}",
                "availability": _intervals(time_ns[rows]),
                "properties": {
                    "kind": "sight",
                    "sensor": sensor,
                    "threat": threat,
                    "legend": SIGHT_LEGEND,
                    "color": css_hex(_SIGHT_SWATCH),
                },
                "polyline": {
                    "positions": {
                        "references": [f"{reference[sensor]}#position", f"truth/{threat}#position"]
                    },
                    "width": 1,
                    "arcType": "NONE",
                    "material": {"solidColor": {"color": rgba(color, 150)}},
                },
            }
        )
    return packets

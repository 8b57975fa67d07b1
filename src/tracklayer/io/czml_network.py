"""The connected layer on the globe: ground stations and the network's links as CZML.

:func:`network_link_packets` turns the ``links`` table (sampled link states, one row per
link up at a sample) into CZML packets to append to a run's scene
(:func:`tracklayer.io.czml.scene_czml`):

- one ``station/NAME`` packet per ground station (a fixed ECEF point and its label);
- one ``link/A/B`` packet per pair of ends that was ever linked: a straight polyline
  (``arcType: NONE``) whose two positions *reference* the ends' own packets
  (``satellite/SAT#position`` or ``station/NAME#position``, CZML reference properties),
  so it follows the satellites as Cesium interpolates them, shown while the link is up
  (``availability``: one ISO 8601 interval per run of consecutive samples, each sample
  holding until the next one). Crosslinks and downlinks have their own colours.

Reference: the CZML packet reference (polyline ``positions.references``, ``availability``
as a list of intervals), https://github.com/AnalyticalGraphicsInc/czml-writer/wiki.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.io.czml import iso_utc

__all__ = ["LINK_RGBA", "STATION_RGBA", "network_link_packets"]

#: Colours of the links by kind, RGBA 0-255.
LINK_RGBA = {"crosslink": [34, 211, 238, 170], "downlink": [250, 204, 21, 200]}
#: Colour of the ground stations, RGBA 0-255.
STATION_RGBA = [250, 204, 21, 255]


def _escaped(name: str) -> str:
    """A packet id as a CZML reference's identifier (``#`` and ``\\`` escaped)."""
    return name.replace("\\", "\\\\").replace("#", "\\#")


def station_packets(stations: Mapping[str, Sequence[float]]) -> list[dict[str, Any]]:
    """One fixed ``station/NAME`` packet per ground station (ECEF position, m)."""
    label = {"font": "11px sans-serif", "pixelOffset": {"cartesian2": [0, -14]},
             "fillColor": {"rgba": STATION_RGBA}}  # fmt: skip
    return [
        {
            "id": f"station/{name}",
            "name": name,
            "properties": {"kind": "station"},
            "position": {"referenceFrame": "FIXED", "cartesian": [float(v) for v in xyz]},
            "point": {"pixelSize": 6, "color": {"rgba": STATION_RGBA}},
            "label": {"text": name, **label},
        }
        for name, xyz in sorted(stations.items())
    ]


def up_intervals(time_ns: np.ndarray, sample_ns: int) -> list[tuple[int, int]]:
    """Runs of consecutive samples as ``(start, stop)`` ns intervals, each sample holding
    for ``sample_ns``.

    Parameters
    ----------
    time_ns : (K,) int64
        Sorted, distinct sample times at which a link was up, ns.
    sample_ns
        The sampling interval, ns.
    """
    if time_ns.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(time_ns) > sample_ns * 1.5) + 1
    starts = time_ns[np.r_[0, breaks]]
    stops = time_ns[np.r_[breaks - 1, time_ns.size - 1]] + sample_ns
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def network_link_packets(
    links: pa.Table, stations: Mapping[str, Sequence[float]]
) -> list[dict[str, Any]]:
    """Packets of the ground stations and of every link, shown while it is up.

    Parameters
    ----------
    links
        The ``links`` table (``time``, ``a``, ``b``, ``kind``; sampled link states).
    stations
        Ground station name to its ECEF position (x, y, z), m; every other end is a
        satellite (``satellite/SAT_ID`` in the scene).

    Returns
    -------
    list of dict
        CZML packets (no ``document``): the stations', then one per linked pair.
    """
    packets = station_packets(stations)
    if links.num_rows == 0:
        return packets
    time_ns = pc.cast(links["time"], pa.int64()).to_numpy()
    a = np.asarray(links["a"].to_pylist(), dtype=object).astype(str)
    b = np.asarray(links["b"].to_pylist(), dtype=object).astype(str)
    kind = np.asarray(links["kind"].to_pylist(), dtype=object).astype(str)
    distinct = np.unique(time_ns)
    sample_ns = int(np.min(np.diff(distinct))) if distinct.size > 1 else 1_000_000_000
    pair = np.char.add(np.char.add(a, "\n"), b)
    order = np.lexsort((time_ns, pair))
    keys, first = np.unique(pair[order], return_index=True)
    bounds = [*first.tolist(), order.size]

    def end(name: str) -> str:
        owner = "station" if name in stations else "satellite"
        return f"{owner}/{_escaped(name)}#position"

    for k in range(keys.size):
        rows = order[bounds[k] : bounds[k + 1]]
        i = int(rows[0])
        color = LINK_RGBA.get(kind[i], [203, 213, 225, 170])
        intervals = up_intervals(np.unique(time_ns[rows]), sample_ns)
        packets.append(
            {
                "id": f"link/{a[i]}/{b[i]}",
                "name": f"{a[i]} - {b[i]}",
                "availability": [f"{iso_utc(s)}/{iso_utc(e)}" for s, e in intervals],
                "properties": {"kind": "link", "link": kind[i]},
                "polyline": {
                    "positions": {"references": [end(a[i]), end(b[i])]},
                    "arcType": "NONE",
                    "width": 1,
                    "material": {"solidColor": {"color": {"rgba": color}}},
                },
            }
        )
    return packets

"""Build ``src/tracklayer/data/coastlines_50m.npz`` from Natural Earth land polygons.

Source: Natural Earth 1:50m land boundaries (public domain), as redistributed in TopoJSON
by the ``world-atlas`` npm package (``land-50m.json``, Natural Earth 4.1.0). Fetch it with
``npm pack world-atlas`` and pass the JSON path. The output holds every ring of the land
polygons as one polyline of (lon, lat) degrees, split where it crosses the antimeridian so
that a plate carrée map draws no stray horizontal lines.

Usage: python scripts/make_coastlines.py land-50m.json src/tracklayer/data/coastlines_50m.npz
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def decode_arcs(topology: dict) -> list[np.ndarray]:
    """Decode quantized, delta-encoded TopoJSON arcs into (lon, lat) degree arrays."""
    scale = np.asarray(topology["transform"]["scale"], dtype=float)
    translate = np.asarray(topology["transform"]["translate"], dtype=float)
    return [
        np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + translate
        for arc in topology["arcs"]
    ]


def ring_points(ring: list[int], arcs: list[np.ndarray]) -> np.ndarray:
    """Join the arcs of one ring (a negative index means the reversed arc ``~i``)."""
    parts = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        parts.append(arc if not parts else arc[1:])
    return np.concatenate(parts)


def split_at_antimeridian(points: np.ndarray) -> list[np.ndarray]:
    """Cut a polyline wherever consecutive longitudes jump by more than 180 degrees."""
    jumps = np.flatnonzero(np.abs(np.diff(points[:, 0])) > 180.0) + 1
    return [piece for piece in np.split(points, jumps) if len(piece) > 1]


def main(source: Path, target: Path) -> None:
    topology = json.loads(source.read_text())
    arcs = decode_arcs(topology)
    lines: list[np.ndarray] = []
    for geometry in topology["objects"]["land"]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for ring in polygon:
                lines.extend(split_at_antimeridian(ring_points(ring, arcs)))
    lengths = np.array([len(line) for line in lines], dtype=np.int64)
    np.savez_compressed(
        target,
        lonlat_deg=np.concatenate(lines).astype(np.float32),
        offsets=np.concatenate([[0], np.cumsum(lengths)]),
        source=np.array("Natural Earth 1:50m land, v4.1.0 (public domain), via world-atlas"),
    )
    print(f"{len(lines)} polylines, {lengths.sum()} points -> {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))

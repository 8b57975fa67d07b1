"""The report's map of the links, drawn from the run folder's ``links`` and ``link_ends``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from tracklayer.constants import DEG
from tracklayer.frames import ecef_to_geodetic, geodetic_to_ecef, utc_timestamps
from tracklayer.io.parquet import write_table
from tracklayer.network.stage import LINK_ENDS_SCHEMA, LINKS_SCHEMA
from tracklayer.report.network_map import busiest_sample_ns, link_map_lines
from tracklayer.report.network_section import network_section

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)

#: (id, kind, lat deg, lon deg, alt m): two satellites over the western Pacific either
#: side of the antimeridian, one over Japan, and a station on Guam.
ENDS = [
    ("S1", "satellite", 20.0, 175.0, 1.0e6),
    ("S2", "satellite", 25.0, -170.0, 1.0e6),
    ("S3", "satellite", 35.0, 140.0, 1.0e6),
    ("GUAM", "station", 13.4, 144.8, 0.0),
]


def _tables() -> tuple[pa.Table, pa.Table]:
    """Sample 0 s: one link; sample 10 s: three (S1-S2, S1-S3 crosslinks, S3-GUAM)."""
    links = pa.table(
        {"time": utc_timestamps(EPOCH, np.array([0.0, 10.0, 10.0, 10.0])),
         "a": ["S1", "S1", "S1", "S3"], "b": ["S2", "S2", "S3", "GUAM"],
         "kind": ["crosslink", "crosslink", "crosslink", "downlink"],
         "range_m": [1.5e6, 1.5e6, 3.4e6, 2.6e6], "delay_s": [0.01, 0.01, 0.02, 0.01]},
        schema=LINKS_SCHEMA,
    )  # fmt: skip
    lat = np.array([e[2] for e in ENDS]) * DEG
    lon = np.array([e[3] for e in ENDS]) * DEG
    xyz = geodetic_to_ecef(lat, lon, np.array([e[4] for e in ENDS]))
    rows = [(0.0, 0), (0.0, 1), (10.0, 0), (10.0, 1), (10.0, 2), (10.0, 3)]
    ends = pa.table(
        {"time": utc_timestamps(EPOCH, np.array([t for t, _ in rows])),
         "id": [ENDS[i][0] for _, i in rows], "kind": [ENDS[i][1] for _, i in rows],
         "x": xyz[[i for _, i in rows], 0], "y": xyz[[i for _, i in rows], 1],
         "z": xyz[[i for _, i in rows], 2]},
        schema=LINK_ENDS_SCHEMA,
    )  # fmt: skip
    return links, ends


def test_the_map_shows_the_busiest_sample_at_the_ends_sub_satellite_points() -> None:
    """Reference: the ends' own geodetic coordinates (above), recovered through ECEF within
    1e-9 deg; a Pacific map runs from 0 to 360 deg (S2's -170 deg is 190 deg); the middle
    of a link's line is below the midpoint of its ends (ECEF)."""
    links, ends = _tables()
    time_ns = busiest_sample_ns(links)
    assert time_ns == int(utc_timestamps(EPOCH, np.array([10.0]))[0].value)
    lines, points, west = link_map_lines(links, ends, time_ns, n_points=5)
    assert west == 0.0
    ends_of = {k: v[:, [0, -1]] for k, v in lines.items()}
    np.testing.assert_allclose(
        ends_of["crosslink"], [[[175.0, 20.0], [190.0, 25.0]], [[175.0, 20.0], [140.0, 35.0]]],
        atol=1e-9,
    )  # fmt: skip
    np.testing.assert_allclose(ends_of["downlink"], [[[140.0, 35.0], [144.8, 13.4]]], atol=1e-9)
    np.testing.assert_allclose(points["station"], [[144.8], [13.4]], atol=1e-9)
    assert sorted(points["satellite"][0].round(6).tolist()) == [140.0, 175.0, 190.0]
    # The chord's midpoint: the mean of the ends' ECEF positions, under it on the map.
    xyz = np.column_stack([ends[c].to_numpy() for c in ("x", "y", "z")])[2:4]
    lat, lon, _ = ecef_to_geodetic(xyz.mean(axis=0))
    np.testing.assert_allclose(
        lines["crosslink"][0, 2], [np.rad2deg(lon) % 360.0, np.rad2deg(lat)], atol=1e-9
    )


def test_the_section_draws_the_map(tmp_path: Path) -> None:
    links, ends = _tables()
    write_table(links, tmp_path / "links.parquet")
    write_table(ends, tmp_path / "link_ends.parquet")
    html = network_section(tmp_path)
    assert "<h3>Map of the links</h3>" in html
    assert "2027-03-01T00:00:10 UTC, 0.2 min after the first link sample" in html
    assert html.count("<img") == 2  # the map and the links-up figure


def test_no_link_ends_no_map(tmp_path: Path) -> None:
    """A run folder written before the link ends were: the links still show, no map."""
    links, _ = _tables()
    write_table(links, tmp_path / "links.parquet")
    html = network_section(tmp_path)
    assert "Map of the links" not in html and html.count("<img") == 1

"""Equal-area latitude/longitude grids over a region, for coverage analysis.

Latitude bands of height ``d`` (``round(180/d)`` bands over the globe); band i, centred on
latitude ``phi``, holds ``max(1, round(360 cos(phi) / d))`` cells of equal longitude width,
hence of equal area. Latitudes are geodetic; cell areas are those of the same cells on the
sphere of equal area (authalic radius), since coverage summaries only need area weights.

The grid keeps *whole* latitude rows (the kernel sweeps rows), and a mask of the cells whose
centres lie inside the region; figures of merit are reported for masked cells only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.path import Path
from numpy.typing import NDArray

from tracklayer.constants import DEG, WGS84_A_M, WGS84_E2
from tracklayer.frames import geodetic_to_ecef
from tracklayer.metrics.config import BoxRegion, GlobalRegion, PolygonRegion

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def authalic_radius_m() -> float:
    """Radius of the sphere with the WGS84 ellipsoid's area, m (about 6,371,007 m)."""
    e = math.sqrt(WGS84_E2)
    b2 = WGS84_A_M**2 * (1.0 - WGS84_E2)
    area = 2.0 * math.pi * WGS84_A_M**2 + math.pi * b2 / e * math.log((1.0 + e) / (1.0 - e))
    return math.sqrt(area / (4.0 * math.pi))


@dataclass(frozen=True)
class CoverageGrid:
    """Cells of an equal-area grid, in rows of constant latitude (west to east in each row).

    Attributes
    ----------
    lat, lon
        Cell-centre geodetic latitude and longitude, rad, shape ``(n,)``; lon in [-pi, pi).
    lat_lo, lat_hi, lon_lo, lon_hi
        Cell bounds, rad, shape ``(n,)`` (for maps).
    area_sr
        Cell solid angle on the unit sphere, sr, shape ``(n,)``; ``area_m2`` scales it.
    row
        Row of each cell, shape ``(n,)``.
    row_lat
        Centre latitude of each row, rad, shape ``(R,)``, increasing.
    row_first, row_count
        Flat index of each row's first cell and its number of cells, shape ``(R,)``.
    row_lon0
        Western edge of each row's first cell, rad (``-pi``), shape ``(R,)``.
    mask
        True for cells whose centre is inside the region, shape ``(n,)``.
    cell_size_rad
        Nominal cell size, rad.
    """

    lat: FloatArray
    lon: FloatArray
    lat_lo: FloatArray
    lat_hi: FloatArray
    lon_lo: FloatArray
    lon_hi: FloatArray
    area_sr: FloatArray
    row: IntArray
    row_lat: FloatArray
    row_first: IntArray
    row_count: IntArray
    row_lon0: FloatArray
    mask: BoolArray
    cell_size_rad: float

    @property
    def n_cells(self) -> int:
        """Number of cells in the kept rows (masked or not)."""
        return int(self.lat.size)

    @property
    def area_m2(self) -> FloatArray:
        """Cell areas on the authalic sphere, m^2, shape ``(n,)``."""
        return np.asarray(self.area_sr * authalic_radius_m() ** 2, dtype=np.float64)

    def positions(self, altitude_m: float) -> FloatArray:
        """ECEF positions of the cell centres at a geodetic height, m, shape ``(n, 3)``."""
        return geodetic_to_ecef(self.lat, self.lon, altitude_m)

    def up(self) -> FloatArray:
        """Geodetic up unit vectors at the cell centres, shape ``(n, 3)``."""
        c = np.cos(self.lat)
        return np.stack([c * np.cos(self.lon), c * np.sin(self.lon), np.sin(self.lat)], axis=-1)


def equal_area_grid(
    cell_size_deg: float, region: GlobalRegion | BoxRegion | PolygonRegion | None = None
) -> CoverageGrid:
    """Build the equal-area grid over a region.

    Parameters
    ----------
    cell_size_deg
        Band height and nominal cell width, degrees.
    region
        The region (default: global). Only rows holding at least one cell of the region are
        kept; cells are in the region when their centre is.

    Returns
    -------
    grid
        The grid; raises ValueError if no cell centre falls in the region (region smaller
        than a cell: choose a finer ``cell_size_deg``).
    """
    if not cell_size_deg > 0.0:
        raise ValueError(f"cell_size_deg must be > 0, got {cell_size_deg}")
    n_bands = max(1, round(180.0 / cell_size_deg))
    h = math.pi / n_bands
    band_lo = np.asarray(-math.pi / 2 + h * np.arange(n_bands), dtype=np.float64)
    band_hi = np.asarray(band_lo + h, dtype=np.float64)
    band_lat = np.asarray(band_lo + h / 2, dtype=np.float64)
    counts = np.maximum(1, np.round(2.0 * math.pi * np.cos(band_lat) / h)).astype(np.int64)
    band_sr = 2.0 * math.pi * (np.sin(band_hi) - np.sin(band_lo))

    row = np.repeat(np.arange(n_bands), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    j = np.arange(row.size) - first[row]
    width = 2.0 * math.pi / counts[row]
    lon_lo = -math.pi + j * width
    lat = band_lat[row]
    lon = lon_lo + width / 2
    mask = region_mask(lat, lon, region)
    if not mask.any():
        raise ValueError("no grid cell centre falls inside the region: use a smaller cell_size_deg")

    keep_rows = np.unique(row[mask])
    keep = np.isin(row, keep_rows)
    new_counts = counts[keep_rows]
    new_first = np.concatenate([[0], np.cumsum(new_counts)[:-1]]).astype(np.int64)
    return CoverageGrid(
        lat=lat[keep],
        lon=lon[keep],
        lat_lo=band_lo[row[keep]],
        lat_hi=band_hi[row[keep]],
        lon_lo=lon_lo[keep],
        lon_hi=(lon_lo + width)[keep],
        area_sr=(band_sr / counts)[row[keep]],
        row=np.repeat(np.arange(keep_rows.size), new_counts).astype(np.int64),
        row_lat=band_lat[keep_rows],
        row_first=new_first,
        row_count=new_counts,
        row_lon0=np.full(keep_rows.size, -math.pi),
        mask=mask[keep],
        cell_size_rad=h,
    )


def region_mask(
    lat: FloatArray, lon: FloatArray, region: GlobalRegion | BoxRegion | PolygonRegion | None
) -> BoolArray:
    """Whether points (geodetic lat, lon in rad) lie in the region, shape of ``lat``."""
    if region is None or isinstance(region, GlobalRegion):
        return np.ones(np.shape(lat), dtype=np.bool_)
    lat_d = np.asarray(lat) / DEG
    lon_d = np.asarray(lon) / DEG
    if isinstance(region, BoxRegion):
        in_lat = (lat_d >= region.lat_min_deg) & (lat_d <= region.lat_max_deg)
        east = (lon_d - region.lon_min_deg) % 360.0
        return np.asarray(in_lat & (east <= region.lon_width_deg), dtype=np.bool_)
    verts = np.asarray(region.vertices_deg, dtype=np.float64)
    vlat, vlon = verts[:, 0], verts[:, 1].copy()
    # Join consecutive vertices the short way round, so polygons may cross the antimeridian.
    step = (np.diff(vlon) + 180.0) % 360.0 - 180.0
    vlon[1:] = vlon[0] + np.cumsum(step)
    path = Path(np.column_stack([vlon, vlat]), closed=False)
    inside = np.zeros(lat_d.shape, dtype=np.bool_)
    base = (lon_d - vlon.min()) % 360.0 + vlon.min()
    pts_lon = base.ravel()
    for shift in (-360.0, 0.0, 360.0):
        pts = np.column_stack([pts_lon + shift, lat_d.ravel()])
        inside |= path.contains_points(pts).reshape(lat_d.shape)
    return inside

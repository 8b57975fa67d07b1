"""Coastline data shipped with the package."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from tracklayer.report.basemap import add_coastlines, coastlines_deg


def test_coastlines_are_in_range_and_cover_known_landmarks() -> None:
    """Natural Earth 1:50m land: points lie within lon/lat bounds, and the polylines pass
    within 0.5 deg of known coastal points (Cape of Good Hope 34.36S 18.47E, Tokyo Bay
    35.6N 139.8E, Cape Horn 55.98S 67.27W; coordinates from any atlas)."""
    points = np.concatenate(coastlines_deg())
    assert np.all(np.abs(points[:, 0]) <= 180.0) and np.all(np.abs(points[:, 1]) <= 90.0)
    for lon, lat in [(18.47, -34.36), (139.8, 35.6), (-67.27, -55.98)]:
        distance = np.hypot(points[:, 0] - lon, points[:, 1] - lat).min()
        assert distance < 0.5, (lon, lat, distance)


def test_no_polyline_jumps_across_the_map() -> None:
    """Lines are split at the antimeridian: no segment spans more than 180 deg of longitude."""
    for line in coastlines_deg():
        assert np.all(np.abs(np.diff(line[:, 0])) <= 180.0)


def test_add_coastlines_draws_on_a_pacific_window() -> None:
    """A 0..360 longitude window yields segments all inside it."""
    fig, ax = plt.subplots()
    add_coastlines(ax, lon_wrap_deg=0.0)
    (collection,) = ax.collections
    segments = np.concatenate(collection.get_segments())
    assert segments[:, 0].min() >= 0.0 and segments[:, 0].max() <= 360.0
    plt.close(fig)

"""Coastline data shipped with the package."""

from __future__ import annotations

import io

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


def _render(window: tuple[float, float, float, float], west: float, cut: bool) -> np.ndarray:
    fig, ax = plt.subplots(figsize=(4.0, 3.0))
    add_coastlines(
        ax, color="black", linewidth=0.7, lon_wrap_deg=west, halo="white",
        window_deg=window if cut else None,
    )  # fmt: skip
    ax.set_xlim(window[0], window[1])
    ax.set_ylim(window[2], window[3])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="rgba", dpi=100)
    plt.close(fig)
    return np.frombuffer(buffer.getvalue(), dtype=np.uint8)


def test_lines_near_the_window_draw_the_same_map() -> None:
    """Drawing only the coastlines near a map's window gives the same pixels as drawing
    the whole world's, for a window inside one hemisphere and one across the antimeridian
    (lines cut 6 deg outside, more than the longest segment, 5.7 deg), with fewer points."""
    for window, west in [((100.0, 160.0, -10.0, 50.0), 100.0), ((150.0, 230.0, 10.0, 65.0), 0.0)]:
        assert np.array_equal(_render(window, west, True), _render(window, west, False))
    segments = np.concatenate([np.hypot(*np.diff(line, axis=0).T) for line in coastlines_deg()])
    assert segments.max() < 6.0

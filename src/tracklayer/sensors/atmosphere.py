"""Band transmission of the atmosphere on the path from a target to a sensor in space.

Two models, both vectorized over pairs:

* **LOWTRAN7 tables** (the default). LOWTRAN7's spectral transmittance at 20 cm⁻¹ (Kneizys
  et al., *Users Guide to LOWTRAN 7*, AFGL-TR-88-0177, 1988), precomputed for four model
  atmospheres (tropical, mid-latitude summer and winter, US Standard 1976) over the path
  geometry of :mod:`tracklayer.sensors.lowtran_tables` (target altitude 0-100 km; zenith
  angle at the target for look-down paths, tangent height for limb paths), shipped in
  ``data/atmosphere_lowtran7.npz`` (``scripts/make_atmosphere_tables.py`` regenerates it).
  A band's transmittance is the spectral transmittance averaged over the band **weighted by
  the source's spectrum** (:func:`tracklayer.threats.signature.source_spectrum`): a plume's
  CO₂ and H₂O emission bands sit in the atmosphere's own absorption bands, so its in-band
  transmittance is far below a grey body's in the same band. Between table nodes the
  optical depth ``-ln τ`` is interpolated bilinearly (in altitude and zenith angle, or
  altitude and tangent height). Valid for sensors above 100 km and targets below or above
  the top (``τ = 1`` above 100 km), no refraction beyond LOWTRAN's own. An aerosol
  (:mod:`tracklayer.sensors.aerosol`: LOWTRAN7's rural, urban or maritime model at a
  surface visibility) multiplies the spectral transmittance by ``exp(-τ_aerosol)`` on the
  same paths before the band average.
* **One exponential layer** (``exponential``): absorbers of scale height ``H`` and zenith
  optical depth ``τ0`` at sea level. The slant column of a straight ray is the Chapman
  function in its asymptotic form for ``x = r / H >> 1`` (Chapman, Proc. Phys. Soc. 43, 483,
  1931; the ``exp(y²) erfc(y)`` form of e.g. Huestis, JQSRT 69, 709, 2001, relative error
  ``O(H / r)`` ≈ 0.1 %): ``Ch(x, θ) = sqrt(π x / 2) erfcx(sqrt(x / 2) cos θ)`` for ``θ <=
  90°``; past the horizontal the ray runs down to its tangent radius ``r sin θ`` and up
  again, so its column is the full two-sided grazing column at the tangent point less the
  one-sided column of the near branch beyond the target. The path between target and
  sensor is the ray's column from the target less that from the sensor: exact one-sided
  paths when the target sits just above the tangent point.

Heights are measured on the sphere that the z scaling ``a / b`` makes of the WGS84
ellipsoid (as in :mod:`tracklayer.sensors.geometry`), within ``h e²`` of geodetic height.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import erfcx

from tracklayer.constants import WGS84_A_M, WGS84_B_M
from tracklayer.sensors.aerosol import AerosolKey, grid_columns, season_of, spectral_factor
from tracklayer.sensors.lowtran_tables import LOWTRAN_MODELS
from tracklayer.threats.signature import SourceKey, source_spectrum

F64 = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

__all__ = [
    "ATMOSPHERES",
    "BandPathTable",
    "PathGeometry",
    "band_path_table",
    "bilinear",
    "exponential_transmission",
    "interp_index",
    "path_geometry",
    "spectral_tables",
]

#: Model atmospheres of the shipped tables.
ATMOSPHERES: tuple[str, ...] = tuple(LOWTRAN_MODELS)
_K_EARTH = WGS84_A_M / WGS84_B_M
_TOP_M = 100e3
#: Optical depth standing for a transmittance below the tables' 16-bit step.
_OPAQUE_OD = 30.0


def _scaled(p: F64) -> F64:
    out = np.array(p, dtype=np.float64, copy=True)
    out[..., 2] *= _K_EARTH
    return out


def _dot(a: F64, b: F64) -> F64:
    return np.asarray(np.einsum("...i,...i->...", a, b))


@dataclass(frozen=True)
class PathGeometry:
    """Geometry of sensor→target paths (scaled-sphere heights, see module notes).

    Attributes
    ----------
    target_alt_m : ndarray, shape (...)
        Height of the target, m.
    lowest_alt_m : ndarray, shape (...)
        Height of the lowest point of the segment (the tangent point on a limb path), m.
    limb : ndarray of bool, shape (...)
        The lowest point lies strictly between target and sensor.
    cos_zenith : ndarray, shape (...)
        Cosine of the zenith angle, at the target, of the direction to the sensor.
    """

    target_alt_m: F64
    lowest_alt_m: F64
    limb: BoolArray
    cos_zenith: F64

    def take(self, index: NDArray[np.intp]) -> PathGeometry:
        """The paths picked by ``index``."""
        return PathGeometry(
            self.target_alt_m[index], self.lowest_alt_m[index], self.limb[index],
            self.cos_zenith[index],
        )  # fmt: skip


def path_geometry(sensor_pos: ArrayLike, target_pos: ArrayLike) -> PathGeometry:
    """Heights, limb flag and zenith angle of the paths sensor→target (ECEF, m, ``(..., 3)``)."""
    s = _scaled(np.asarray(sensor_pos, dtype=np.float64))
    t = _scaled(np.asarray(target_pos, dtype=np.float64))
    d = s - t
    dd = _dot(d, d)
    tt = _dot(t, t)
    td = _dot(t, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos_zen = td / np.sqrt(dd * tt)
        tangent2 = tt - td * td / dd
    # The segment's closest approach to the centre is inside it where the target looks
    # downward toward the sensor and the sensor looks downward toward the target.
    limb = (td < 0.0) & (_dot(s, d) > 0.0)
    r_low = np.sqrt(np.where(limb, np.maximum(tangent2, 0.0), np.minimum(tt, _dot(s, s))))
    return PathGeometry(
        target_alt_m=np.sqrt(tt) - WGS84_A_M,
        lowest_alt_m=r_low - WGS84_A_M,
        limb=np.asarray(limb, dtype=np.bool_),
        cos_zenith=np.clip(cos_zen, -1.0, 1.0),
    )


def _ray_column(r: F64, mu: F64, big_h: F64) -> F64:
    """Column of an exponential atmosphere (in units of the sea-level vertical column) along
    the ray from radius ``r`` with zenith cosine ``mu`` out to infinity (Chapman)."""
    x = r / big_h
    near = np.exp(-(r - WGS84_A_M) / big_h) * np.sqrt(0.5 * math.pi * x)
    up = near * erfcx(np.sqrt(0.5 * x) * np.abs(mu))
    r_t = r * np.sqrt(np.maximum(1.0 - mu * mu, 0.0))
    r_t = np.where(mu >= 0.0, r, r_t)  # the grazing column is only used past the horizontal
    grazing = 2.0 * np.exp(-(r_t - WGS84_A_M) / big_h) * np.sqrt(0.5 * math.pi * r_t / big_h)
    return np.asarray(np.where(mu >= 0.0, up, grazing - up))


def exponential_transmission(
    sensor_pos: ArrayLike,
    target_pos: ArrayLike,
    zenith_optical_depth: ArrayLike,
    scale_height_m: ArrayLike,
) -> F64:
    """Transmission of sensor→target paths through one exponential layer (module notes).

    Parameters
    ----------
    sensor_pos, target_pos
        ECEF positions, m, shapes ``(..., 3)`` that broadcast.
    zenith_optical_depth
        In-band optical depth of the whole atmosphere looking up from sea level.
    scale_height_m
        Absorber scale height, m.

    Returns
    -------
    transmission
        Values in (0, 1], shape ``(...)``.
    """
    s = _scaled(np.asarray(sensor_pos, dtype=np.float64))
    t = _scaled(np.asarray(target_pos, dtype=np.float64))
    big_h = np.asarray(scale_height_m, dtype=np.float64)
    d = s - t
    d = d / np.sqrt(_dot(d, d))[..., None]
    r_t, r_s = np.sqrt(_dot(t, t)), np.sqrt(_dot(s, s))
    col = _ray_column(r_t, _dot(t, d) / r_t, big_h) - _ray_column(r_s, _dot(s, d) / r_s, big_h)
    tau = np.asarray(zenith_optical_depth, dtype=np.float64) * np.maximum(col, 0.0)
    return np.asarray(np.exp(-tau), dtype=np.float64)


@dataclass(frozen=True)
class SpectralTables:
    """The shipped LOWTRAN7 tables: spectral transmittance over path geometry.

    Attributes
    ----------
    models : tuple of str
    altitude_m : ndarray, shape (A,)
    zenith_rad : ndarray, shape (Z,)
    wavenumber_cm : ndarray, shape (K,)
        Increasing, cm⁻¹.
    up : ndarray, shape (M, A, Z, K)
        Look-down paths from a target at ``altitude_m[i]``, zenith ``zenith_rad[j]``, to space.
    limb : ndarray, shape (M, A, A, K)
        Limb paths from a target at ``altitude_m[i]`` through tangent height
        ``altitude_m[j]`` to space (``j >= i``: the horizontal path at the target).
    """

    models: tuple[str, ...]
    altitude_m: F64
    zenith_rad: F64
    wavenumber_cm: F64
    up: NDArray[np.float32]
    limb: NDArray[np.float32]


@lru_cache(maxsize=1)
def spectral_tables() -> SpectralTables:
    """Load ``data/atmosphere_lowtran7.npz`` (once per process)."""
    ref = resources.files("tracklayer.data").joinpath("atmosphere_lowtran7.npz")
    with ref.open("rb") as f, np.load(f) as data:
        scale = np.float32(1.0 / 65535.0)
        return SpectralTables(
            models=tuple(str(m) for m in data["models"]),
            altitude_m=data["altitude_km"] * 1e3,
            zenith_rad=np.radians(data["zenith_deg"]),
            wavenumber_cm=data["wavenumber_cm"].astype(np.float64),
            up=data["up"].astype(np.float32) * scale,
            limb=data["limb"].astype(np.float32) * scale,
        )


def interp_index(grid: F64, x: ArrayLike) -> tuple[NDArray[np.intp], F64]:
    """Lower node index and weight of ``x`` on an increasing grid (clamped at its ends)."""
    xc = np.clip(np.asarray(x, dtype=np.float64), grid[0], grid[-1])
    i = np.clip(np.searchsorted(grid, xc, side="right") - 1, 0, grid.size - 2)
    w = (xc - grid[i]) / (grid[i + 1] - grid[i])
    return i, w


def bilinear(
    table: F64,
    i: NDArray[np.intp],
    wi: F64,
    j: NDArray[np.intp],
    wj: F64,
    *rest: NDArray[np.intp],
) -> F64:
    """Bilinear interpolation of ``table[i, j, *rest]`` at fractional positions (``interp_index``
    gives the lower nodes and weights of each axis; ``rest`` indexes trailing axes)."""
    return np.asarray(
        (1 - wi) * ((1 - wj) * table[(i, j, *rest)] + wj * table[(i, j + 1, *rest)])
        + wi * ((1 - wj) * table[(i + 1, j, *rest)] + wj * table[(i + 1, j + 1, *rest)])
    )


@dataclass(frozen=True)
class BandPathTable:
    """One band's transmittance for one source spectrum, as optical depth on the path grid.

    Attributes
    ----------
    altitude_m : ndarray, shape (A,)
    zenith_rad : ndarray, shape (Z,)
    up_od : ndarray, shape (A, Z)
        Optical depth ``-ln τ`` of look-down paths.
    limb_od : ndarray, shape (A, A)
        Optical depth of limb paths (target altitude, tangent height).
    """

    altitude_m: F64
    zenith_rad: F64
    up_od: F64
    limb_od: F64

    def transmission(self, geometry: PathGeometry) -> F64:
        """Band transmittance of the paths, shape of the geometry's arrays."""
        h = geometry.target_alt_m
        ia, wa = interp_index(self.altitude_m, h)
        zen = np.arccos(np.clip(geometry.cos_zenith, 0.0, 1.0))
        iz, wz = interp_index(self.zenith_rad, zen)
        it, wt = interp_index(self.altitude_m, geometry.lowest_alt_m)
        od = np.where(
            geometry.limb,
            bilinear(self.limb_od, ia, wa, it, wt),
            bilinear(self.up_od, ia, wa, iz, wz),
        )
        above = np.where(geometry.limb, geometry.lowest_alt_m, h) >= _TOP_M
        return np.asarray(np.where(above, 1.0, np.exp(-od)), dtype=np.float64)


def _aerosol_transmittance(
    tables: SpectralTables, atmosphere: str, aerosol: AerosolKey, wn: F64
) -> tuple[F64, F64]:
    """Aerosol transmittance of the look-down and limb paths at wavenumbers ``wn``,
    shapes ``(A, Z, K)`` and ``(A, A, K)``."""
    model, visibility_km = aerosol
    cols = grid_columns(
        tuple(float(x) for x in tables.altitude_m / 1e3),
        tuple(float(x) for x in np.degrees(tables.zenith_rad)),
        float(visibility_km),
        season_of(atmosphere),
    )
    boundary, upper = spectral_factor(model, wn)
    up = np.exp(-(cols.up_boundary[..., None] * boundary + cols.up_upper[..., None] * upper))
    limb = np.exp(-(cols.limb_boundary[..., None] * boundary + cols.limb_upper[..., None] * upper))
    return up, limb


@lru_cache(maxsize=64)
def band_path_table(
    atmosphere: str,
    band_um: tuple[float, float],
    source: SourceKey,
    aerosol: AerosolKey | None = None,
) -> BandPathTable:
    """The band's transmittance table in ``atmosphere`` for a source spectrum.

    Parameters
    ----------
    atmosphere
        One of :data:`ATMOSPHERES`.
    band_um
        Band edges, µm.
    source
        Key of the source spectrum weighting the band average
        (:func:`tracklayer.threats.signature.source_spectrum`).
    aerosol
        ``(model, visibility_km)`` of the aerosol on the paths
        (:mod:`tracklayer.sensors.aerosol`), or None for none.

    Raises
    ------
    ValueError
        Unknown atmosphere, or a band outside the tables' 1.25-14 µm.
    """
    tables = spectral_tables()
    if atmosphere not in tables.models:
        raise ValueError(f"atmosphere: expected one of {list(tables.models)}, got {atmosphere!r}")
    lo, hi = sorted(band_um)
    wn = tables.wavenumber_cm
    sel = (wn >= 1e4 / hi) & (wn <= 1e4 / lo)
    if hi > 1e4 / wn[0] or lo < 1e4 / wn[-1] or not sel.any():
        raise ValueError(
            f"band [{lo}, {hi}] µm: the atmosphere tables cover "
            f"{1e4 / wn[-1]:.2f}-{1e4 / wn[0]:.2f} µm"
        )
    weight = source_spectrum(wn[sel], source)
    weight = weight / weight.sum()
    m = tables.models.index(atmosphere)
    up_spec = tables.up[m][..., sel].astype(np.float64)
    limb_spec = tables.limb[m][..., sel].astype(np.float64)
    if aerosol is not None:
        up_aer, limb_aer = _aerosol_transmittance(tables, atmosphere, aerosol, wn[sel])
        up_spec, limb_spec = up_spec * up_aer, limb_spec * limb_aer
    up = up_spec @ weight
    limb = limb_spec @ weight
    floor = math.exp(-_OPAQUE_OD)
    return BandPathTable(
        altitude_m=tables.altitude_m,
        zenith_rad=tables.zenith_rad,
        up_od=-np.log(np.maximum(up, floor)),
        limb_od=-np.log(np.maximum(limb, floor)),
    )

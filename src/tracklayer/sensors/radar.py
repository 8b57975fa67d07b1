"""Ground radars: horizon with refraction, elevation limits, radar equation, noisy measurements.

Horizon. Standard refraction bends rays down with about a quarter of the Earth's curvature;
drawing rays straight over an Earth of radius ``k R`` (k = 4/3) gives the same ray heights
(Skolnik, *Introduction to Radar Systems*, 3rd ed., sec. 8.2; Doerry, "Earth curvature and
atmospheric refraction effects on radar signal propagation", Sandia SAND2012-10690, 2013).
Distances along the ground are kept: radar and target, at heights ``h_r`` and ``h_t`` and
Earth-central angle ψ on the real Earth (R = the geocentric radius of the ellipsoid under the
radar), sit at central angle ``ψ / k`` on the effective Earth. The target is above the radar
horizon where that angle is at most ``arccos(kR / (kR + h_r)) + arccos(kR / (kR + h_t))``,
which for small heights is the classic ground distance ``sqrt(2 k R h_r) + sqrt(2 k R h_t)``;
its apparent elevation is the elevation on the effective Earth.

Sensitivity. Single-look SNR ``C σ / R⁴`` (:meth:`GroundRadar.snr_constant`), σ the
constant ``target_rcs_m2`` or a cone's by aspect (:mod:`tracklayer.sensors.rcs`); no range
cut: a look detects with the probability of a fluctuating target at that SNR, continuous
in range, at the radar's false-alarm probability (threshold ``V = -ln Pfa`` on the
square-law output in units of the noise power):

* Swerling I (chi-square, 2 degrees of freedom: many comparable scatterers, scan to scan):
  ``Pd = exp(-V / (1 + S))`` (Skolnik, eq. 2.51 and fig. 2.23; Richards, *Fundamentals of
  Radar Signal Processing*, 2nd ed., table 7.2);
* Swerling III (4 degrees of freedom: one dominant scatterer plus small ones):
  ``Pd = exp(-V / (1 + S/2)) (1 + 2 S V / (2 + S)²)`` (Meyer and Mayer, *Radar Target
  Detection*, 1973; Richards, table 7.2, one look).

Measurements. Range, azimuth and geometric elevation (as if refraction were corrected) with
independent Gaussian noise, turned into a unit line of sight in ECEF and a range. The
``sigma_rad`` column is the root mean square of the two angular errors normal to the line of
sight, ``sqrt((σ_az² cos² e + σ_el²) / 2)``. Radar false alarms and closely spaced objects
are not modelled (a radar resolves objects a range cell apart).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tracklayer.frames import ecef_to_geodetic, enu_basis, geodetic_to_ecef
from tracklayer.sensors.infrared import frame_steps
from tracklayer.sensors.measurements import Measurements
from tracklayer.sensors.radar_config import GroundRadar
from tracklayer.sensors.rcs import cone_rcs_m2
from tracklayer.sensors.targets import TargetStates

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

__all__ = [
    "effective_earth_view",
    "radar_detections",
    "radar_site_ecef",
    "swerling1_pd",
    "swerling3_pd",
    "swerling_pd",
]


def radar_site_ecef(radar: GroundRadar) -> FloatArray:
    """The antenna's ECEF position, m, shape (3,)."""
    return np.asarray(geodetic_to_ecef(radar.lat_rad, radar.lon_rad, radar.alt_m), dtype=np.float64)


def swerling1_pd(snr_linear: FloatArray, pfa: float) -> FloatArray:
    """Swerling I single-look probability of detection ``Pfa^(1/(1+SNR))``."""
    return np.asarray(np.power(pfa, 1.0 / (1.0 + np.asarray(snr_linear))), dtype=np.float64)


def swerling3_pd(snr_linear: FloatArray, pfa: float) -> FloatArray:
    """Swerling III single-look probability of detection (module notes)."""
    s = np.asarray(snr_linear, dtype=np.float64)
    v = -np.log(pfa)
    return np.asarray(
        np.exp(-v / (1.0 + 0.5 * s)) * (1.0 + 2.0 * s * v / (2.0 + s) ** 2), dtype=np.float64
    )


def swerling_pd(snr_linear: FloatArray, pfa: float, case: int) -> FloatArray:
    """Single-look Pd of Swerling ``case`` 1 or 3."""
    return swerling1_pd(snr_linear, pfa) if case == 1 else swerling3_pd(snr_linear, pfa)


def effective_earth_view(
    site: FloatArray, site_alt_m: float, target_pos: FloatArray, target_alt_m: FloatArray, k: float
) -> tuple[BoolArray, FloatArray]:
    """Radar horizon and apparent elevation on the effective Earth (module notes).

    Parameters
    ----------
    site
        Radar ECEF position, m, shape (3,).
    site_alt_m
        Radar height above the ellipsoid, m.
    target_pos
        Target ECEF positions, m, shape ``(n, 3)``.
    target_alt_m
        Target heights above the ellipsoid, m, shape ``(n,)``.
    k
        Effective Earth radius factor.

    Returns
    -------
    above_horizon, elevation_rad
        Shape ``(n,)`` each.
    """
    r_site = float(np.linalg.norm(site))
    big_r = r_site - site_alt_m
    u_site = site / r_site
    u_t = target_pos / np.linalg.norm(target_pos, axis=-1, keepdims=True)
    psi = np.arccos(np.clip(u_t @ u_site, -1.0, 1.0)) / k
    kr = k * big_r
    a_r = kr + site_alt_m
    a_t = kr + target_alt_m
    horizon = np.arccos(np.clip(kr / a_r, -1.0, 1.0)) + np.arccos(np.clip(kr / a_t, -1.0, 1.0))
    above = psi <= horizon
    elev = np.arctan2(a_t * np.cos(psi) - a_r, a_t * np.sin(psi))
    return np.asarray(above, dtype=np.bool_), np.asarray(elev, dtype=np.float64)


def _cross_section(
    radar: GroundRadar, velocity: FloatArray, d: FloatArray, range_m: FloatArray
) -> FloatArray:
    """Each look's cross-section, m²: the cone's by aspect (nose along the velocity, ``d``
    from the radar to the target) or the constant ``target_rcs_m2``."""
    cone = radar.target_cone
    if cone is None:
        return np.full(range_m.shape, radar.target_rcs_m2)
    speed = np.linalg.norm(velocity, axis=-1)
    cos_aspect = -np.einsum("ij,ij->i", velocity, d) / np.maximum(speed * range_m, 1e-9)
    aspect = np.arccos(np.clip(cos_aspect, -1.0, 1.0))
    return cone_rcs_m2(
        aspect, radar.wavelength_m, np.radians(cone.half_angle_deg), cone.base_radius_m
    )


def radar_detections(
    radars: Sequence[GroundRadar],
    seconds: FloatArray,
    targets: TargetStates,
    rng: np.random.Generator,
) -> Measurements:
    """Detections of each ground radar against the threats, sensor index = radar index.

    Parameters
    ----------
    radars
        The radar sites.
    seconds
        Time grid, s, shape ``(T,)``.
    targets
        Threats on that grid.
    rng
        Random generator.
    """
    parts: list[Measurements] = []
    alive = targets.alive
    # One pass per radar site (a handful), vectorized over threats and times.
    for idx, radar in enumerate(radars):
        steps = frame_steps(seconds, radar.revisit_s)
        m_idx, k_idx = np.nonzero(alive & steps[None, :])
        pos = targets.position[m_idx, k_idx]
        _, _, alt = ecef_to_geodetic(pos)
        site = radar_site_ecef(radar)
        above, elev_app = effective_earth_view(site, radar.alt_m, pos, alt, radar.refraction_k)
        d = pos - site
        rng_m = np.linalg.norm(d, axis=-1)
        ok = (
            above
            & (elev_app >= np.radians(radar.min_elevation_deg))
            & (elev_app <= np.radians(radar.max_elevation_deg))
            & (rng_m <= radar.instrumented_range_km * 1e3)
        )
        m_idx, k_idx, d, rng_m = m_idx[ok], k_idx[ok], d[ok], rng_m[ok]
        rcs = _cross_section(radar, targets.velocity[m_idx, k_idx], d, rng_m)
        snr_lin = radar.snr_constant() * rcs / rng_m**4
        pd = swerling_pd(snr_lin, radar.false_alarm_probability, radar.swerling)
        hit = rng.random(snr_lin.size) < pd
        m_idx, k_idx, d, rng_m, snr_lin = m_idx[hit], k_idx[hit], d[hit], rng_m[hit], snr_lin[hit]
        basis = enu_basis(radar.lat_rad, radar.lon_rad)
        enu = d @ basis.T
        az = np.arctan2(enu[:, 0], enu[:, 1])
        el = np.arcsin(np.clip(enu[:, 2] / rng_m, -1.0, 1.0))
        s_az = radar.azimuth_sigma_mrad * 1e-3
        s_el = radar.elevation_sigma_mrad * 1e-3
        noise = rng.standard_normal((m_idx.size, 3))
        az_m = az + s_az * noise[:, 0]
        el_m = el + s_el * noise[:, 1]
        range_meas = rng_m + radar.range_sigma_m * noise[:, 2]
        enu_u = np.stack(
            [np.cos(el_m) * np.sin(az_m), np.cos(el_m) * np.cos(az_m), np.sin(el_m)], axis=-1
        )
        los = enu_u @ basis
        n = m_idx.size
        parts.append(
            Measurements(
                sensor=np.full(n, idx, dtype=np.int64),
                time_index=k_idx.astype(np.int64),
                los=los,
                sensor_pos=np.broadcast_to(site, (n, 3)).copy(),
                sigma_rad=np.sqrt(0.5 * ((s_az * np.cos(el)) ** 2 + s_el**2)),
                snr=snr_lin,
                range_m=range_meas,
                sigma_range_m=np.full(n, radar.range_sigma_m),
                truth=m_idx.astype(np.int64),
            )
        )
    return Measurements.concatenate(parts)

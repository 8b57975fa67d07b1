"""A sensor's footprint on the ground: the cap of the Earth its field of regard reaches.

The globe draws it as a circle about the sub-satellite point. Model: a spherical Earth of
radius ``R`` (WGS84 equatorial radius by default) seen from geocentric distance ``r``.
The footprint's central angle ``lambda`` (its ground radius is ``R * lambda``) is the
smallest of

- the horizon: ``arccos(R / r)`` (Wertz, *Space Mission Analysis and Design*, 3rd ed.,
  sec. 5.2, eq. 5-16: ``cos lambda_0 = R / r``);
- a cone of half angle ``eta`` about nadir: ``arcsin(r sin(eta) / R) - eta`` (the same
  section, eqs. 5-17 to 5-20: ``sin(nadir angle) = sin(rho) cos(elevation)``, ``lambda =
  90 deg - nadir - elevation``); a cone wider than the Earth's disc reaches the horizon;
- a range limit ``d``: the law of cosines, ``cos lambda = (R^2 + r^2 - d^2) / (2 R r)``.

Validity: targets on the ground (altitude 0) under a sensor above the atmosphere;
Earth oblateness changes the radius by under 0.3 % (``R`` from the equator to the pole).
A field of regard that looks above the limb sees air and space targets beyond this cap,
not more ground; the grazing-altitude cut-off does not shrink it (a ground target's line
of sight has its lowest point at the target).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.constants import WGS84_A_M
from tracklayer.sensors.config import NadirCone, SensorPayload

__all__ = ["footprint_radius_m", "payload_footprint_m", "satellite_footprints_m"]


def footprint_radius_m(
    r_m: ArrayLike,
    nadir_half_angle_rad: float | None = None,
    max_range_m: float | None = None,
    earth_radius_m: float = WGS84_A_M,
) -> NDArray[np.float64]:
    """Ground radius (arc length on the sphere, m) of the cap a sensor at ``r_m`` reaches.

    Parameters
    ----------
    r_m : array_like, shape (...)
        Geocentric distance of the sensor, m (greater than ``earth_radius_m``).
    nadir_half_angle_rad : float, optional
        Half angle of a field of regard about nadir, rad; none: the whole Earth disc.
    max_range_m : float, optional
        Largest slant range, m; none: unlimited.
    earth_radius_m : float
        Radius of the spherical Earth, m.

    Returns
    -------
    ndarray, shape (...)
        ``earth_radius_m * lambda``, m, with ``lambda`` the smallest of the horizon's,
        the cone's and the range's central angles.
    """
    r = np.asarray(r_m, dtype=np.float64)
    if np.any(r <= earth_radius_m):
        raise ValueError("footprint_radius_m: the sensor must be above the Earth's surface")
    ratio = earth_radius_m / r
    lam = np.arccos(ratio)
    if nadir_half_angle_rad is not None:
        sin_edge = np.sin(nadir_half_angle_rad) / ratio
        cone = np.arcsin(np.minimum(sin_edge, 1.0)) - nadir_half_angle_rad
        lam = np.where(sin_edge < 1.0, np.minimum(lam, cone), lam)
    if max_range_m is not None and np.isfinite(max_range_m):
        cos_lam = (earth_radius_m**2 + r**2 - max_range_m**2) / (2.0 * earth_radius_m * r)
        lam = np.minimum(lam, np.arccos(np.clip(cos_lam, -1.0, 1.0)))
    return np.asarray(earth_radius_m * lam, dtype=np.float64)


def payload_footprint_m(payload: SensorPayload, r_m: ArrayLike) -> NDArray[np.float64]:
    """:func:`footprint_radius_m` of a scenario's sensor payload (field of regard, range)."""
    fr = payload.field_of_regard
    half = float(np.radians(fr.half_angle_deg)) if isinstance(fr, NadirCone) else None
    max_range = None if payload.max_range_km is None else payload.max_range_km * 1000.0
    return footprint_radius_m(r_m, half, max_range)


def satellite_footprints_m(
    payloads: Mapping[str, SensorPayload],
    sat_ids: Sequence[str],
    sensors: Sequence[str],
    r_m: ArrayLike,
) -> dict[str, float]:
    """Each satellite's footprint radius, m, from its payload and geocentric distance.

    ``sat_ids``, ``sensors`` (payload names, keys of ``payloads``) and ``r_m`` (m) are
    parallel, one per satellite; satellites whose payload is unknown are left out.
    """
    r = np.asarray(r_m, dtype=np.float64).reshape(-1)
    out: dict[str, float] = {}
    for name, payload in payloads.items():
        mine = np.asarray([s == name for s in sensors], dtype=bool)
        if mine.any():
            radii = payload_footprint_m(payload, r[mine])
            ids = [sid for sid, m in zip(sat_ids, mine, strict=True) if m]
            out.update(zip(ids, radii.tolist(), strict=True))
    return out

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

Above the limb (:func:`limb_ring`), the globe draws where the field of regard's edge
rays pass the Earth: a ray at off-nadir angle ``theta`` from geocentric distance ``r``
comes closest to the Earth's centre at range ``d = r cos(theta)``, at geocentric
distance ``r sin(theta)`` (plane geometry of the right triangle centre-sensor-tangent
point; Wertz, sec. 5.2, fig. 5-13, with the Earth's radius replaced by the tangent
point's). The ring of those tangent points sits at height ``r sin(theta) - R`` over the
central angle ``atan2(d sin(theta), r - d cos(theta))`` from the sub-satellite point
(``90 deg - theta`` when the range does not cut the ray first). Validity: ``theta`` below
90 deg (a wider cone's edge rays leave the Earth behind) and the spherical Earth above.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.constants import WGS84_A_M
from tracklayer.sensors.config import EarthLimb, NadirCone, SensorPayload

__all__ = [
    "LimbRing",
    "footprint_radius_m",
    "limb_ring",
    "payload_footprint_m",
    "satellite_footprints_m",
    "satellite_limb_rings",
]


class LimbRing(NamedTuple):
    """Where a field of regard's edge rays pass the Earth (see :func:`limb_ring`)."""

    #: Arc length on the sphere from the sub-satellite point to the ring, m.
    ground_radius_m: float
    #: The ring's height above the sphere, m.
    height_m: float


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
    out: dict[str, float] = {}
    for payload, ids, r in _by_payload(payloads, sat_ids, sensors, r_m):
        out.update(zip(ids, payload_footprint_m(payload, r).tolist(), strict=True))
    return out


def _by_payload(
    payloads: Mapping[str, SensorPayload],
    sat_ids: Sequence[str],
    sensors: Sequence[str],
    r_m: ArrayLike,
) -> Iterator[tuple[SensorPayload, list[str], NDArray[np.float64]]]:
    """Per payload that some satellite carries: it, those satellites' ids and their
    geocentric distances (m)."""
    r = np.asarray(r_m, dtype=np.float64).reshape(-1)
    for name, payload in payloads.items():
        mine = np.asarray([s == name for s in sensors], dtype=bool)
        if mine.any():
            yield payload, [sid for sid, m in zip(sat_ids, mine, strict=True) if m], r[mine]


def limb_ring(
    r_m: ArrayLike,
    off_nadir_rad: float,
    max_range_m: float | None = None,
    earth_radius_m: float = WGS84_A_M,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The ring where the edge rays of a cone about nadir pass the Earth (module notes).

    Parameters
    ----------
    r_m : array_like, shape (...)
        Geocentric distance of the sensor, m.
    off_nadir_rad : float
        The cone's half angle about geocentric nadir, rad, in (0, pi/2).
    max_range_m : float, optional
        Largest slant range, m: a ray cut before its tangent point ends there.
    earth_radius_m : float
        Radius of the spherical Earth, m.

    Returns
    -------
    ground_radius_m, height_m : ndarray, shape (...)
        Arc length on the sphere from the sub-satellite point to the ring's foot, and the
        ring's height above the sphere, m.
    """
    if not 0.0 < off_nadir_rad < np.pi / 2.0:
        raise ValueError("limb_ring: the off-nadir angle must lie in (0, 90) degrees")
    r = np.asarray(r_m, dtype=np.float64)
    reach = r * np.cos(off_nadir_rad)
    if max_range_m is not None and np.isfinite(max_range_m):
        reach = np.minimum(reach, max_range_m)
    down = r - reach * np.cos(off_nadir_rad)  # along the sensor's geocentric direction
    across = reach * np.sin(off_nadir_rad)
    ground = earth_radius_m * np.arctan2(across, down)
    return np.asarray(ground, dtype=np.float64), np.hypot(down, across) - earth_radius_m


def satellite_limb_rings(
    payloads: Mapping[str, SensorPayload],
    sat_ids: Sequence[str],
    sensors: Sequence[str],
    r_m: ArrayLike,
) -> dict[str, LimbRing]:
    """Each satellite's field of regard above the limb, as :func:`limb_ring`'s ring.

    Only payloads whose field of regard is the Earth's limb widened by ``above_limb_deg``
    (more than 0) have one: the cone's half angle is ``arcsin(a / r) + above_limb``
    (:class:`tracklayer.sensors.config.EarthLimb`), its edge rays cut at ``max_range_km``.
    ``sat_ids``, ``sensors`` and ``r_m`` (m) are parallel, one per satellite; satellites
    whose cone reaches 90 deg from nadir or whose payload is unknown are left out.
    """
    out: dict[str, LimbRing] = {}
    for payload, ids, r in _by_payload(payloads, sat_ids, sensors, r_m):
        fr = payload.field_of_regard
        if not isinstance(fr, EarthLimb) or fr.above_limb_deg <= 0.0:
            continue
        half = np.arcsin(np.minimum(WGS84_A_M / r, 1.0)) + np.radians(fr.above_limb_deg)
        max_range = None if payload.max_range_km is None else payload.max_range_km * 1000.0
        for sat_id, angle, r_sat in zip(ids, half.tolist(), r.tolist(), strict=True):
            if angle < np.pi / 2.0:
                ground, height = limb_ring(r_sat, angle, max_range)
                out[sat_id] = LimbRing(float(ground), float(height))
    return out

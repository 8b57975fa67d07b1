"""Line-of-sight geometry between sensors and targets in ECEF on the WGS84 ellipsoid.

Every function broadcasts: ``sensor_pos`` of shape ``(..., 3)`` and ``target_pos`` of shape
``(..., 3)`` combine by numpy broadcasting, positions in metres in ECEF (ITRS, WGS84).

Definitions (the exact tests that the coverage kernel reproduces):

* **Earth occlusion with grazing altitude g.** Space is scaled along z by
  ``k = (a + g) / (b + g)``, which maps the ellipsoid with semi-axes ``(a + g, b + g)`` onto a
  sphere of radius ``a + g``. That ellipsoid stands for the surface at geodetic height g; it
  differs from the true constant-height surface by less than ``g * e^2 / 2`` (about 70 m for
  g = 20 km), far below any knowledge of the atmosphere's cut-off. A line of sight is blocked
  when its closest approach to the Earth's centre (in the scaled space) lies strictly between
  sensor and target and is below that sphere. A scaling maps lines to lines, so this is exact
  for the ellipsoid ``(a + g, b + g)``. A target below g is therefore visible from above as long
  as the line does not dip lower on its way (boost plumes at 0 km).
* **Field of regard**, about the *geocentric* nadir ``-s/|s|``: a nadir cone of half angle
  ``eta_c``; or an Earth-limb field, the cone that just holds the whole WGS84 disc
  (``arcsin(a/|s|)``, a being the largest Earth radius) widened by ``above_limb_rad``. Both
  may be given; the narrower wins.
* **Range**: ``min_range_m <= |t - s| <= max_range_m``.
* **Elevation** of the sensor seen from the target, above the plane normal to the *geodetic*
  up of the target (WGS84 normal through the target): ``elevation >= min_elevation_rad``.

:func:`max_central_angle` and :func:`visible_central_angles` give the same constraints on a
spherical Earth in closed form, as Earth-central angles between sub-sensor point and target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.constants import WGS84_A_M, WGS84_B_M, WGS84_E2

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class VisibilityConstraints:
    """The geometric conditions under which a sensor sees a target, in SI units.

    Attributes
    ----------
    grazing_altitude_m
        Lines of sight whose lowest point (strictly between sensor and target) is below this
        geodetic height are blocked, m (0 = the hard Earth).
    nadir_half_angle_rad
        Half angle of a nadir-centred field-of-regard cone, rad; None for no cone.
    above_limb_rad
        Earth-limb field of regard: the cone holding the Earth disc plus this margin above the
        limb, rad; None for no limb limit.
    min_range_m, max_range_m
        Range limits, m (``max_range_m`` may be ``inf``).
    min_elevation_rad
        Minimum elevation of the sensor above the target's geodetic horizon, rad; None for none.
    """

    grazing_altitude_m: float = 0.0
    nadir_half_angle_rad: float | None = None
    above_limb_rad: float | None = None
    min_range_m: float = 0.0
    max_range_m: float = math.inf
    min_elevation_rad: float | None = None

    def __post_init__(self) -> None:
        if not self.grazing_altitude_m >= 0.0:
            raise ValueError(f"grazing_altitude_m must be >= 0, got {self.grazing_altitude_m}")
        if self.nadir_half_angle_rad is not None and not (
            0.0 < self.nadir_half_angle_rad <= math.pi
        ):
            raise ValueError(
                f"nadir_half_angle_rad must be in (0, pi], got {self.nadir_half_angle_rad}"
            )
        if self.above_limb_rad is not None and not (
            -math.pi / 2 < self.above_limb_rad <= math.pi / 2
        ):
            raise ValueError(f"above_limb_rad must be in (-pi/2, pi/2], got {self.above_limb_rad}")
        if not (0.0 <= self.min_range_m < self.max_range_m):
            raise ValueError(
                "need 0 <= min_range_m < max_range_m, got "
                f"{self.min_range_m} and {self.max_range_m}"
            )
        if self.min_elevation_rad is not None and not (
            -math.pi / 2 <= self.min_elevation_rad < math.pi / 2
        ):
            raise ValueError(
                f"min_elevation_rad must be in [-pi/2, pi/2), got {self.min_elevation_rad}"
            )

    @property
    def occlusion_scale(self) -> float:
        """The z scale ``(a + g) / (b + g)`` that makes the grazing shell a sphere."""
        g = self.grazing_altitude_m
        return (WGS84_A_M + g) / (WGS84_B_M + g)

    @property
    def occlusion_radius_m(self) -> float:
        """Radius ``a + g`` of the grazing shell in the scaled space, m."""
        return WGS84_A_M + self.grazing_altitude_m

    def field_of_regard_cos(self, sensor_radius_m: ArrayLike) -> FloatArray:
        """Cosine of the field-of-regard half angle about geocentric nadir (-1: no limit).

        Parameters
        ----------
        sensor_radius_m
            Geocentric distance of the sensor, m, any shape.
        """
        r = np.asarray(sensor_radius_m, dtype=np.float64)
        half = np.full(r.shape, math.pi)
        if self.above_limb_rad is not None:
            limb = np.arcsin(np.minimum(1.0, WGS84_A_M / r))
            half = np.minimum(half, limb + self.above_limb_rad)
        if self.nadir_half_angle_rad is not None:
            half = np.minimum(half, self.nadir_half_angle_rad)
        return np.asarray(np.cos(np.clip(half, 0.0, math.pi)), dtype=np.float64)


def line_of_sight(sensor_pos: ArrayLike, target_pos: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Unit line of sight from sensor to target and the range.

    Parameters
    ----------
    sensor_pos, target_pos
        ECEF positions, m, shapes ``(..., 3)`` that broadcast.

    Returns
    -------
    los, range_m
        Unit vectors ``(..., 3)`` (NaN where sensor and target coincide) and ranges ``(...)``, m.
    """
    d = np.asarray(target_pos, dtype=np.float64) - np.asarray(sensor_pos, dtype=np.float64)
    rng = np.sqrt(np.einsum("...i,...i->...", d, d))
    with np.errstate(invalid="ignore", divide="ignore"):
        los = d / rng[..., None]
    return los, rng


def geodetic_up(pos: ArrayLike) -> FloatArray:
    """Unit WGS84 ellipsoid normal (geodetic up) through ECEF points.

    Geodetic latitude by the fixed-point iteration ``phi <- atan2(z + e^2 N(phi) sin phi, p)``
    (Bowring's form), five passes: converges to below 1e-12 rad for heights from -100 km up to
    geostationary distance.

    Parameters
    ----------
    pos
        ECEF positions, m, shape ``(..., 3)``.

    Returns
    -------
    up
        Unit vectors, shape ``(..., 3)``.
    """
    p_ = np.asarray(pos, dtype=np.float64)
    x, y, z = p_[..., 0], p_[..., 1], p_[..., 2]
    p = np.hypot(x, y)
    phi = np.arctan2(z, p * (1.0 - WGS84_E2))
    for _ in range(5):
        s = np.sin(phi)
        n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * s * s)
        phi = np.arctan2(z + WGS84_E2 * n * s, p)
    lon = np.arctan2(y, x)
    c = np.cos(phi)
    return np.stack([c * np.cos(lon), c * np.sin(lon), np.sin(phi)], axis=-1)


def elevation(sensor_pos: ArrayLike, target_pos: ArrayLike) -> FloatArray:
    """Elevation of the sensor above the target's geodetic horizon, rad, shape ``(...)``."""
    los, _ = line_of_sight(target_pos, sensor_pos)
    up = geodetic_up(target_pos)
    return np.asarray(
        np.arcsin(np.clip(np.einsum("...i,...i->...", los, up), -1.0, 1.0)), dtype=np.float64
    )


def earth_clear(
    sensor_pos: ArrayLike, target_pos: ArrayLike, grazing_altitude_m: float = 0.0
) -> BoolArray:
    """Whether the line of sight clears the Earth and the grazing shell (see module notes).

    Parameters
    ----------
    sensor_pos, target_pos
        ECEF positions, m, shapes ``(..., 3)`` that broadcast.
    grazing_altitude_m
        Geodetic height below which a tangent point blocks the line, m.
    """
    c = VisibilityConstraints(grazing_altitude_m=grazing_altitude_m)
    s = np.asarray(sensor_pos, dtype=np.float64)
    t = np.asarray(target_pos, dtype=np.float64)
    return _clear(s, t, c.occlusion_scale, c.occlusion_radius_m)


def _clear(s: FloatArray, t: FloatArray, k: ArrayLike, radius: ArrayLike) -> BoolArray:
    # Closest approach of the segment s->t to the origin, in the space scaled along z by k.
    k_ = np.asarray(k, dtype=np.float64)
    sx, sy, sz = s[..., 0], s[..., 1], s[..., 2] * k_
    dx, dy, dz = t[..., 0] - s[..., 0], t[..., 1] - s[..., 1], (t[..., 2] - s[..., 2]) * k_
    dd = dx * dx + dy * dy + dz * dz
    sd = sx * dx + sy * dy + sz * dz
    ss = sx * sx + sy * sy + sz * sz
    with np.errstate(invalid="ignore", divide="ignore"):
        u = -sd / dd
    interior = (u > 0.0) & (u < 1.0)
    # |s + u d|^2 = ss - sd^2/dd at the interior minimum.
    with np.errstate(invalid="ignore", divide="ignore"):
        closest2 = ss - sd * sd / dd
    r = np.asarray(radius, dtype=np.float64)
    return np.asarray(~(interior & (closest2 < r * r)), dtype=np.bool_)


def in_field_of_regard(
    sensor_pos: ArrayLike, target_pos: ArrayLike, c: VisibilityConstraints
) -> BoolArray:
    """Whether the target lies inside the sensor's field of regard (about geocentric nadir)."""
    s = np.asarray(sensor_pos, dtype=np.float64)
    los, _ = line_of_sight(s, target_pos)
    rs = np.sqrt(np.einsum("...i,...i->...", s, s))
    cos_eta = -np.einsum("...i,...i->...", los, s) / rs
    return np.asarray(cos_eta >= c.field_of_regard_cos(rs), dtype=np.bool_)


def visible(sensor_pos: ArrayLike, target_pos: ArrayLike, c: VisibilityConstraints) -> BoolArray:
    """Whether each sensor sees each target under all constraints of ``c``.

    Parameters
    ----------
    sensor_pos, target_pos
        ECEF positions, m, shapes ``(..., 3)`` that broadcast.
    c
        The constraints.

    Returns
    -------
    visible
        Boolean array of the broadcast shape ``(...)``.
    """
    s = np.asarray(sensor_pos, dtype=np.float64)
    t = np.asarray(target_pos, dtype=np.float64)
    s, t = np.broadcast_arrays(s, t)
    rs = np.sqrt(np.einsum("...i,...i->...", s, s))
    sin_el = -2.0 if c.min_elevation_rad is None else math.sin(c.min_elevation_rad)
    up = geodetic_up(t) if c.min_elevation_rad is not None else None
    return visible_with_params(
        s,
        t,
        up,
        k=c.occlusion_scale,
        radius=c.occlusion_radius_m,
        cos_for=c.field_of_regard_cos(rs),
        min_range=c.min_range_m,
        max_range=c.max_range_m,
        sin_min_el=sin_el,
    )


def visible_with_params(
    s: FloatArray,
    t: FloatArray,
    up: FloatArray | None,
    *,
    k: ArrayLike,
    radius: ArrayLike,
    cos_for: ArrayLike,
    min_range: ArrayLike,
    max_range: ArrayLike,
    sin_min_el: ArrayLike,
    check_occlusion: bool = True,
) -> BoolArray:
    """The exact visibility test with its parameters as arrays (one set per pair).

    The vectorized core of :func:`visible`, for callers that mix satellites of several
    payloads in one call or already know the targets' geodetic up.

    Parameters
    ----------
    s, t
        Sensor and target ECEF positions, m, shape ``(n, 3)`` (or broadcasting shapes).
    up
        Geodetic up unit vectors at the targets, shape like ``t``; may be None when every
        ``sin_min_el`` is below -1 (no elevation limit).
    k, radius
        Occlusion scale ``(a+g)/(b+g)`` and grazing-sphere radius ``a+g``, m.
    cos_for
        Cosine of the field-of-regard half angle (-1 or less: no limit).
    min_range, max_range
        Range limits, m.
    sin_min_el
        Sine of the minimum elevation (below -1: no limit).
    check_occlusion
        False skips the Earth test, for callers that know it implied (geodetic elevation
        >= 0 over the hard Earth).
    """
    sx, sy, sz = s[..., 0], s[..., 1], s[..., 2]
    dx, dy, dz = t[..., 0] - sx, t[..., 1] - sy, t[..., 2] - sz
    rng = np.sqrt(dx * dx + dy * dy + dz * dz)
    ok = (rng >= np.asarray(min_range, dtype=np.float64)) & (
        rng <= np.asarray(max_range, dtype=np.float64)
    )
    cf = np.asarray(cos_for, dtype=np.float64)
    if np.any(cf > -1.0):
        rs = np.sqrt(sx * sx + sy * sy + sz * sz)
        # cos(off-nadir) * rng * rs = -(d . s); compare without dividing.
        ok &= -(dx * sx + dy * sy + dz * sz) >= cf * rng * rs
    sin_el = np.asarray(sin_min_el, dtype=np.float64)
    if np.any(sin_el >= -1.0):
        if up is None:
            raise ValueError("an elevation limit needs the targets' geodetic up vectors")
        d_up = dx * up[..., 0] + dy * up[..., 1] + dz * up[..., 2]
        ok &= (sin_el < -1.0) | (-d_up >= sin_el * rng)
    if check_occlusion:
        ok &= _clear(s, t, k, radius)
    return np.asarray(ok, dtype=np.bool_)


# --- Spherical Earth: the constraints as Earth-central angles -------------------------------


def _arccos(x: FloatArray) -> FloatArray:
    return np.asarray(np.arccos(np.clip(x, -1.0, 1.0)), dtype=np.float64)


def _arcsin(x: FloatArray) -> FloatArray:
    return np.asarray(np.arcsin(np.clip(x, -1.0, 1.0)), dtype=np.float64)


def occlusion_central_angle(
    r_sensor_m: ArrayLike, r_target_m: ArrayLike, shell_radius_m: ArrayLike
) -> FloatArray:
    """Largest central angle at which a sphere of radius ``shell_radius_m`` does not block.

    ``arccos(R/rs) + arccos(R/rt)`` for a target above the shell (both horizons); for a target
    below it, ``arccos(rt/rs)``, where the line from the target rises all the way to the sensor.
    The sensor is assumed above the shell.
    """
    rs = np.asarray(r_sensor_m, dtype=np.float64)
    rt = np.asarray(r_target_m, dtype=np.float64)
    big_r = np.asarray(shell_radius_m, dtype=np.float64)
    above = _arccos(big_r / rs) + _arccos(big_r / rt)
    below = _arccos(rt / rs)
    return np.asarray(np.where(rt >= big_r, above, below), dtype=np.float64)


def elevation_central_angle(
    r_sensor_m: ArrayLike, r_target_m: ArrayLike, min_elevation_rad: ArrayLike
) -> FloatArray:
    """Largest central angle with the sensor at least ``e`` above the target's horizon.

    ``lambda = arccos(rt cos e / rs) - e`` (Wertz, *Space Mission Analysis and Design*,
    Sec. 5.2, with the target on a sphere of radius rt instead of the Earth's surface), for a
    sensor above the target (rs > rt) and spherical up.
    """
    rs = np.asarray(r_sensor_m, dtype=np.float64)
    rt = np.asarray(r_target_m, dtype=np.float64)
    e = np.asarray(min_elevation_rad, dtype=np.float64)
    return np.asarray(np.maximum(_arccos(rt * np.cos(e) / rs) - e, 0.0), dtype=np.float64)


def range_central_angle(
    r_sensor_m: ArrayLike, r_target_m: ArrayLike, range_m: ArrayLike
) -> FloatArray:
    """Central angle at which the range equals ``range_m`` (law of cosines), 0 or pi if none."""
    rs = np.asarray(r_sensor_m, dtype=np.float64)
    rt = np.asarray(r_target_m, dtype=np.float64)
    rho = np.asarray(range_m, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        cos_l = np.where(np.isinf(rho), -1.0, (rs * rs + rt * rt - rho * rho) / (2.0 * rs * rt))
    return _arccos(cos_l)


def cone_central_angles(
    r_sensor_m: ArrayLike, r_target_m: ArrayLike, half_angle_rad: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Central angles bounding a nadir cone's trace on the target sphere.

    A target at central angle ``lambda`` is inside the cone of half angle ``eta`` for
    ``lambda <= lambda1`` (near side, ``lambda1 = arcsin(rs sin eta / rt) - eta``) and again
    for ``lambda >= lambda2 = pi - eta - arcsin(rs sin eta / rt)`` (far side of the target
    sphere, hidden unless the line passes above the grazing shell). Where the cone holds the
    whole target sphere (``rs sin eta >= rt``), ``lambda1 = lambda2 = pi``.

    Returns
    -------
    lambda1, lambda2
        Arrays of the broadcast shape, rad.
    """
    rs = np.asarray(r_sensor_m, dtype=np.float64)
    rt = np.asarray(r_target_m, dtype=np.float64)
    eta = np.asarray(half_angle_rad, dtype=np.float64)
    x = rs * np.sin(eta) / rt
    wide = (x >= 1.0) | (eta >= math.pi / 2)
    a = _arcsin(x)
    lam1 = np.where(wide, math.pi, np.maximum(a - eta, 0.0))
    lam2 = np.where(wide, math.pi, math.pi - eta - a)
    return np.asarray(lam1, dtype=np.float64), np.asarray(lam2, dtype=np.float64)


def visible_central_angles(
    r_sensor_m: ArrayLike,
    r_target_m: ArrayLike,
    c: VisibilityConstraints,
    earth_radius_m: ArrayLike,
) -> FloatArray:
    """The set of central angles where all constraints hold on a spherical Earth.

    Spherical Earth of radius ``earth_radius_m`` (grazing shell ``R + g``), radial up, nadir
    cone about the Earth's centre. The set is at most two closed intervals: the near one from
    the minimum range outwards, and a far one that only a field of regard narrower than the
    target sphere's disc but reaching above the grazing shell leaves (see
    :func:`cone_central_angles`).

    Parameters
    ----------
    r_sensor_m, r_target_m
        Geocentric distances of sensor and target, m, shapes that broadcast.
    c
        The constraints (the Earth-limb field uses ``earth_radius_m`` here).
    earth_radius_m
        Radius of the spherical Earth, m.

    Returns
    -------
    intervals
        Shape ``(..., 2, 2)``: ``[..., i, 0]`` and ``[..., i, 1]`` are the lower and upper
        bound of interval i, rad; an interval is empty where lower > upper.
    """
    rs = np.asarray(r_sensor_m, dtype=np.float64)
    rt = np.asarray(r_target_m, dtype=np.float64)
    big_r = np.asarray(earth_radius_m, dtype=np.float64)
    rs, rt, big_r = np.broadcast_arrays(rs, rt, big_r)
    hi = occlusion_central_angle(rs, rt, big_r + c.grazing_altitude_m)
    if c.min_elevation_rad is not None:
        hi = np.minimum(hi, elevation_central_angle(rs, rt, c.min_elevation_rad))
    hi = np.minimum(hi, range_central_angle(rs, rt, c.max_range_m))
    lo = range_central_angle(rs, rt, c.min_range_m) if c.min_range_m > 0 else np.zeros(rs.shape)
    half = np.full(rs.shape, math.pi)
    if c.above_limb_rad is not None:
        half = np.minimum(half, _arcsin(big_r / rs) + c.above_limb_rad)
    if c.nadir_half_angle_rad is not None:
        half = np.minimum(half, c.nadir_half_angle_rad)
    lam1, lam2 = cone_central_angles(rs, rt, np.clip(half, 0.0, math.pi))
    out = np.empty((*rs.shape, 2, 2))
    out[..., 0, 0] = lo
    out[..., 0, 1] = np.minimum(hi, lam1)
    far = lam2 > lam1
    out[..., 1, 0] = np.where(far, np.maximum(lam2, lo), math.pi)
    out[..., 1, 1] = np.where(far, hi, 0.0)
    return out


def max_central_angle(
    r_sensor_m: ArrayLike,
    r_target_m: ArrayLike,
    c: VisibilityConstraints,
    earth_radius_m: ArrayLike,
) -> FloatArray:
    """Largest Earth-central angle between sub-sensor point and a visible target.

    Spherical Earth (see :func:`visible_central_angles`). For a 1,000 km satellite, a ground
    target and a 10 degree minimum elevation this is the classic
    ``arccos(R cos e / (R + h)) - e`` = 21.6 degrees (R = a). NaN where nothing is visible.
    """
    iv = visible_central_angles(r_sensor_m, r_target_m, c, earth_radius_m)
    lo, hi = iv[..., 0], iv[..., 1]
    valid = lo <= hi
    best = np.where(valid, hi, -np.inf).max(axis=-1)
    return np.asarray(np.where(np.isfinite(best), best, np.nan), dtype=np.float64)

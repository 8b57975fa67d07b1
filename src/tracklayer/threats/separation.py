"""Midcourse objects: the spent upper stage, flown as its own object after separation.

At a ballistic missile's last burnout the re-entry vehicle separates from the spent upper
stage. The vehicle keeps its identity and its flown trajectory (the ``truth`` rows of its
``object_id``); the stage becomes a new object ``<object_id>-stage`` of kind ``stage``:

* **Separation.** At the first truth sample at or after the ``burnout`` event, the stage
  takes the vehicle's state less ``delta_v_m_s`` along the velocity (separation springs or
  a retro push of a few m/s), so the two drift apart slowly: closely spaced objects that
  resolve over minutes.
* **Flight.** Vacuum two-body motion with J2 over the rotating Earth, in ECEF (gravity
  ``-μ r / r³`` with the J2 term of Vallado, *Fundamentals of Astrodynamics and
  Applications*, 4th ed., eq. 8-30; Coriolis and centrifugal terms of the rotating frame),
  integrated by RK4 at the truth's grid step, all stages together, on that grid until the
  end of the run or until it falls back below ``breakup_altitude_km``, where a tumbling stage
  breaks up (about 78 km for rocket bodies: Ailor, Hallman, Steckel and Weaver, "Analysis
  of reentered debris and implications for survivability modeling", ESA SP-587, 2005).
  Drag is left out above that altitude (below 1 % of gravity above about 90 km for a
  stage's ballistic coefficient of order 1,000 kg/m²).
* **Signature.** A tumbling grey body of mean projected area A (a quarter of its surface)
  at the radiative-equilibrium temperature of sunlight (when outside the Earth's
  cylindrical shadow), earthshine and Earth-reflected sunlight (half the disc lit, none in
  the shadow), ``4 ε σ T⁴ = (α S + α a S (R/r)² / 2) lit + ε σ T_E⁴ (R/r)²``
  (S = 1361 W/m², T_E = 255 K, a = 0.3, R/r the Earth's angular radius seen from the
  stage; Gilmore, *Spacecraft Thermal Control Handbook*, 2nd ed., 2002, ch. 2); in-band
  intensity
  ``ε A L_band(T)``. The equilibrium is reached instantly (a thin case's time constant is
  tens of minutes, so the minutes after burnout are colder than a motor case really is).
* **Reflected sunlight.** A sunlit stage also reflects what it does not absorb: a diffuse
  (Lambertian) tumbling body of mean projected area A reflects the power ``(1 - α) E_band
  A`` of the in-band solar irradiance ``E_band`` (the Sun as a 5772 K blackbody scaled to
  the solar constant), whose mean over all directions is the intensity ``(1 - α) E_band A /
  (4π)`` (energy conservation). It dominates a cold stage's signature short of about 4 µm:
  26 W/sr at 1.4-3 µm for A = 4 m², α = 0.5 against 4 mW/sr of thermal emission at 262 K;
  0.3 % of the thermal emission at 8-12 µm. Rocket bodies tracked by reflected sunlight: the
  Midcourse Space Experiment's visible photometry of resident space objects over solar phase
  angles (Lambour et al., "Space-based visible space object photometry: initial results", J.
  Guid. Control Dyn. 23(1), 159, 2000). Left out: the phase law (a diffuse sphere's
  intensity runs from 0 backlit to 8/3 of the mean at full phase; the truth carries one
  intensity per sample, not per observer), specular glints, sunlight reflected by the Earth.
* **Venting.** With ``venting`` set, a stage whose last burn was liquid (the truth's
  ``propellant`` before burnout not ``solid``) adds the cloud of its vented propellant
  (:mod:`tracklayer.threats.venting`), timed from separation.

Validity: ballistic missiles whose events carry ``burnout``; exo-atmospheric flight.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.constants import (
    J2_EARTH,
    KM,
    MU_EARTH_M3_S2,
    OMEGA_EARTH_RAD_S,
    STEFAN_BOLTZMANN_W_M2_K4,
    WGS84_A_M,
)
from tracklayer.frames import ecef_to_geodetic
from tracklayer.solar import AU_M, SUN_RADIUS_M, SUN_TEMPERATURE_K, sun_direction_ecef, sunlit
from tracklayer.threats.separation_config import SeparationConfig
from tracklayer.threats.signature import band_radiance
from tracklayer.threats.venting import venting_intensity_w_sr
from tracklayer.vocabulary import RELEASED_KIND

F64 = NDArray[np.float64]

__all__ = [
    "SeparationConfig",
    "add_spent_stages",
    "equilibrium_temperature_k",
    "fly_stages",
    "gravity_ecef",
    "reflected_sunlight_w_sr",
]

#: Solar constant at 1 au, W/m² (Kopp and Lean, GRL 38, L01706, 2011).
SOLAR_CONSTANT_W_M2 = 1361.0
#: Effective radiating temperature of the Earth, K, and its Bond albedo.
EARTH_TEMPERATURE_K = 255.0
EARTH_ALBEDO = 0.3


def gravity_ecef(r: F64) -> F64:
    """Two-body plus J2 gravity in ECEF, m/s², for positions ``r`` (..., 3), m."""
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    k = 1.5 * J2_EARTH * (WGS84_A_M * WGS84_A_M) / r2
    zz = 5.0 * z * z / r2
    f = -MU_EARTH_M3_S2 / (r2 * rn)
    return np.stack(
        [
            f * x * (1.0 + k * (1.0 - zz)),
            f * y * (1.0 + k * (1.0 - zz)),
            f * z * (1.0 + k * (3.0 - zz)),
        ],
        axis=-1,
    )


def _accel(r: F64, v: F64) -> F64:
    """ECEF acceleration ``(N, 3)``: gravity with J2, Coriolis and centrifugal terms."""
    w = OMEGA_EARTH_RAD_S
    coriolis = np.stack([2.0 * w * v[:, 1], -2.0 * w * v[:, 0], np.zeros(len(v))], axis=-1)
    centrifugal = np.stack([w * w * r[:, 0], w * w * r[:, 1], np.zeros(len(r))], axis=-1)
    return gravity_ecef(r) + coriolis + centrifugal


def _rk4(r: F64, v: F64, h: float) -> tuple[F64, F64]:
    """One classical Runge-Kutta step of length h for all rows."""
    a1 = _accel(r, v)
    r2, v2 = r + 0.5 * h * v, v + 0.5 * h * a1
    a2 = _accel(r2, v2)
    r3, v3 = r + 0.5 * h * v2, v + 0.5 * h * a2
    a3 = _accel(r3, v3)
    r4, v4 = r + h * v3, v + h * a3
    a4 = _accel(r4, v4)
    return (
        r + h / 6.0 * (v + 2.0 * v2 + 2.0 * v3 + v4),
        v + h / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4),
    )


def equilibrium_temperature_k(position: F64, sun_dir: F64, config: SeparationConfig) -> F64:
    """Radiative-equilibrium temperature of a tumbling grey body (module notes), K.

    ``position`` ECEF, m, and ``sun_dir`` unit vectors to the Sun, shapes ``(n, 3)``.
    """
    rn = np.linalg.norm(position, axis=-1)
    along = np.einsum("ij,ij->i", position, sun_dir)
    perp = np.linalg.norm(position - along[:, None] * sun_dir, axis=-1)
    lit = (along > 0.0) | (perp > WGS84_A_M)
    geo = (WGS84_A_M / rn) ** 2
    a, e = config.absorptivity, config.emissivity
    absorbed = a * SOLAR_CONSTANT_W_M2 * lit
    absorbed += e * STEFAN_BOLTZMANN_W_M2_K4 * EARTH_TEMPERATURE_K**4 * geo
    absorbed += a * EARTH_ALBEDO * SOLAR_CONSTANT_W_M2 * geo * 0.5 * lit
    return np.asarray((absorbed / (4.0 * e * STEFAN_BOLTZMANN_W_M2_K4)) ** 0.25)


def reflected_sunlight_w_sr(
    position: F64, sun_dir: F64, config: SeparationConfig, band_um: tuple[float, float]
) -> F64:
    """In-band intensity of sunlight reflected by a tumbling diffuse stage (module notes),
    orientation-averaged, W/sr; zero in the Earth's cylindrical shadow.

    ``position`` ECEF, m, and ``sun_dir`` unit vectors to the Sun, shapes ``(n, 3)``.
    """
    lit = sunlit(position, sun_dir, WGS84_A_M)
    dilution = np.pi * (SUN_RADIUS_M / AU_M) ** 2
    e_band = dilution * float(band_radiance(SUN_TEMPERATURE_K, band_um))
    return np.asarray((1.0 - config.absorptivity) * e_band * config.area_m2 / (4 * np.pi) * lit)


def _vent_band(
    age_s: F64, r: F64, sun: F64, band_um: tuple[float, float], band: str, config: SeparationConfig
) -> F64:
    """The vented cloud's in-band intensity at the stages' rows, W/sr."""
    assert config.venting is not None
    dilution = np.pi * (SUN_RADIUS_M / AU_M) ** 2
    e_band = dilution * float(band_radiance(SUN_TEMPERATURE_K, band_um))
    lit = sunlit(r, sun, WGS84_A_M)
    index = config.venting.index_in(band)
    return venting_intensity_w_sr(age_s, lit, e_band, band_um, index, config.venting)


def fly_stages(r0: F64, v0: F64, k0: NDArray[np.int64], grid: F64, floor_m: float) -> F64:
    """States ``(T, N, 6)`` of N stages on a uniform time grid (NaN before a stage's start
    index ``k0`` and after it falls back below ``floor_m``); RK4 at the grid's step (for a
    1 s step the error after 20 minutes is below a millimetre; see the tests).

    One step at a time over the grid, all stages together: the cost grows with the grid,
    not with the number of stages.
    """
    n, t = r0.shape[0], grid.size
    out = np.full((t, n, 6), np.nan)
    r, v = r0.copy(), v0.copy()
    h = float(grid[1] - grid[0]) if t > 1 else 1.0
    flying = np.zeros(n, dtype=bool)
    for k in range(int(k0.min(initial=t)), t):
        start = k0 == k
        r[start], v[start] = r0[start], v0[start]
        flying |= start
        out[k, flying, :3], out[k, flying, 3:] = r[flying], v[flying]
        _, _, alt = ecef_to_geodetic(r)
        down = (np.asarray(alt) < floor_m) & (np.einsum("ij,ij->i", r, v) < 0.0)
        out[k, flying & down] = np.nan
        flying &= ~down
        if k + 1 < t and flying.any():
            r[flying], v[flying] = _rk4(r[flying], v[flying], h)
    return out


def add_spent_stages(
    truth: pa.Table,
    events: pa.Table,
    config: SeparationConfig,
    bands: dict[str, tuple[float, float]],
    epoch: datetime,
) -> pa.Table:
    """``truth`` with the spent stages' rows added (module notes), sorted by time, object.

    Parameters
    ----------
    truth, events
        The flyout's tables (:mod:`tracklayer.threats.flyout`).
    config
        The stages' separation, flight and surface.
    bands
        Band name -> [low, high] µm, for the ``intensity_<band>_w_sr`` columns.
    epoch
        Scenario epoch, timezone-aware UTC (times are kept as seconds from it inside).
    """
    if not config.spent_stage or truth.num_rows == 0:
        return truth
    epoch_ns = int(epoch.astimezone(UTC).timestamp() * 1e9)
    t_ns = truth.column("time").cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64()).to_numpy()
    t_s = (t_ns - epoch_ns) * 1e-9
    samples = np.unique(t_s)
    step = float(np.min(np.diff(samples))) if samples.size > 1 else 1.0
    # The flyout's uniform grid (its samples are epoch + j step), over the run's span.
    grid = samples[0] + step * np.arange(round((samples[-1] - samples[0]) / step) + 1)
    oid = np.asarray(truth.column("object_id").cast(pa.string()).to_pylist(), dtype=object)
    kind = np.asarray(truth.column("kind").cast(pa.string()).to_pylist(), dtype=object)
    burn = events.filter(pc.equal(events.column("event"), "burnout"))
    b_ns = burn.column("time").cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64()).to_numpy()
    cols = {
        c: truth.column(c).to_numpy(zero_copy_only=False) for c in ("x", "y", "z", "vx", "vy", "vz")
    }
    # Each ballistic missile's first sample at or after its burnout: the stage's start.
    names, inverse = np.unique(oid, return_inverse=True)
    burnout = np.full(names.size, np.inf)
    where = np.searchsorted(names, np.asarray(burn.column("object_id").to_pylist(), dtype=object))
    found = (where < names.size) & (names[np.minimum(where, names.size - 1)] == np.asarray(
        burn.column("object_id").to_pylist(), dtype=object))  # fmt: skip
    burnout[where[found]] = ((b_ns - epoch_ns) * 1e-9)[found]
    after = np.flatnonzero((kind == "ballistic") & (t_s >= burnout[inverse] - 1e-9))
    if after.size == 0:
        return truth
    order = after[np.lexsort((t_s[after], inverse[after]))]
    _, first_of = np.unique(inverse[order], return_index=True)
    first = order[first_of]
    xyz = np.stack([cols[c][first] for c in ("x", "y", "z")], axis=-1)
    vel = np.stack([cols[c][first] for c in ("vx", "vy", "vz")], axis=-1)
    vel = vel - config.delta_v_m_s * vel / np.linalg.norm(vel, axis=-1, keepdims=True)
    k0 = np.searchsorted(grid, t_s[first] - 1e-9).astype(np.int64)
    states = fly_stages(xyz, vel, k0, grid, config.breakup_altitude_km * KM)
    vents = _vents(truth, oid, t_s, first) if config.venting is not None else first < 0
    parts: list[dict[str, object]] = []
    for j, row in enumerate(first):
        ok = np.isfinite(states[:, j, 0])
        if ok.any():
            parts.append(
                {"object_id": f"{oid[row]}-stage", "t": grid[ok], "r": states[ok, j, :3],
                 "v": states[ok, j, 3:], "t_sep": t_s[row], "vents": bool(vents[j])}
            )  # fmt: skip
    if not parts:
        return truth
    return _with_stage_rows(truth, parts, config, bands, epoch, epoch_ns)


def _vents(
    truth: pa.Table, oid: NDArray[np.object_], t_s: F64, first: NDArray[np.intp]
) -> NDArray[np.bool_]:
    """Whether each missile of ``first`` (its rows at separation) burnt a liquid last: the
    ``propellant`` of its latest burning row (they all precede burnout) is not ``solid``."""
    if "propellant" not in truth.column_names:
        return np.zeros(first.size, dtype=bool)
    column = truth.column("propellant").cast(pa.string())
    burning = np.flatnonzero(column.is_valid().to_numpy(zero_copy_only=False))
    if burning.size == 0:
        return np.zeros(first.size, dtype=bool)
    latest = burning[np.lexsort((t_s[burning], oid[burning].astype(str)))]
    names = oid[latest].astype(str)
    last = np.r_[names[1:] != names[:-1], True]  # the last (latest) row of each object
    last_of = dict(zip(names[last], latest[last], strict=True))
    prop = column.take(pa.array([last_of.get(str(oid[row]), 0) for row in first]))
    liquid = np.asarray(pc.not_equal(prop, "solid").to_numpy(zero_copy_only=False), dtype=bool)
    return np.asarray([str(oid[row]) in last_of for row in first]) & liquid


def _with_stage_rows(
    truth: pa.Table,
    parts: list[dict[str, object]],
    config: SeparationConfig,
    bands: dict[str, tuple[float, float]],
    epoch: datetime,
    epoch_ns: int,
) -> pa.Table:
    """The stages' rows in the truth's columns, appended and sorted."""
    t = np.concatenate([np.asarray(p["t"]) for p in parts])
    r = np.concatenate([np.asarray(p["r"]) for p in parts])
    v = np.concatenate([np.asarray(p["v"]) for p in parts])
    ids = [str(p["object_id"]) for p in parts for _ in range(np.asarray(p["t"]).size)]
    lat, lon, alt = ecef_to_geodetic(r)
    grid, inverse = np.unique(t, return_inverse=True)
    sun = sun_direction_ecef(epoch, grid)[0][inverse]
    temp = equilibrium_temperature_k(r, sun, config)
    vr = np.einsum("ij,ij->i", r, v)
    phase = np.where((np.asarray(alt) < 100 * KM) & (vr < 0.0), "reentry", "midcourse")
    data: dict[str, pa.Array] = {
        "object_id": pa.array(ids, pa.string()),
        "kind": pa.array([RELEASED_KIND] * t.size, pa.string()),
        "time": pa.array(
            epoch_ns + np.round(t * 1e9).astype(np.int64), pa.timestamp("ns", tz="UTC")
        ),
    }
    for j, c in enumerate(("x", "y", "z")):
        data[c] = pa.array(r[:, j])
    for j, c in enumerate(("vx", "vy", "vz")):
        data[c] = pa.array(v[:, j])
    data["lat_rad"], data["lon_rad"], data["alt_m"] = pa.array(lat), pa.array(lon), pa.array(alt)
    data["phase"] = pa.array(phase.tolist(), pa.string())
    vent_rows = np.concatenate([np.full(np.asarray(p["t"]).size, bool(p["vents"])) for p in parts])
    t_sep = np.concatenate(
        [np.full(np.asarray(p["t"]).size, float(p["t_sep"])) for p in parts]  # type: ignore[arg-type]
    )
    for band, um in bands.items():
        inten = config.emissivity * config.area_m2 * band_radiance(temp, um)
        inten = inten + reflected_sunlight_w_sr(r, sun, config, um)
        if config.venting is not None and vent_rows.any():
            inten = inten + vent_rows * _vent_band(t - t_sep, r, sun, um, band, config)
        data[f"intensity_{band}_w_sr"] = pa.array(inten)
    for c in truth.column_names:
        if c not in data:
            data[c] = pa.nulls(t.size, truth.schema.field(c).type)
    data = {c: data[c] for c in truth.column_names}  # the truth's column order
    plain = truth.select(list(data))
    for c in ("object_id", "kind", "phase"):
        plain = plain.set_column(
            plain.schema.get_field_index(c), c, plain.column(c).cast(pa.string())
        )
    stages = pa.table(data).cast(plain.schema)
    both = pa.concat_tables([plain, stages]).sort_by(
        [("time", "ascending"), ("object_id", "ascending")]
    )
    for c in ("object_id", "kind", "phase"):
        both = both.set_column(
            both.schema.get_field_index(c), c, pc.dictionary_encode(both.column(c))
        )
    return both

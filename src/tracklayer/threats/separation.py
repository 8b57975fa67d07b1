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
  integrated by DOP853 (relative tolerance 1e-10) and sampled on the truth's grid until the
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

Validity: ballistic missiles whose events carry ``burnout``; exo-atmospheric flight.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from pydantic import Field
from scipy.integrate import solve_ivp

from tracklayer.config_base import StrictModel
from tracklayer.constants import (
    J2_EARTH,
    KM,
    MU_EARTH_M3_S2,
    OMEGA_EARTH_RAD_S,
    STEFAN_BOLTZMANN_W_M2_K4,
    WGS84_A_M,
)
from tracklayer.frames import ecef_to_geodetic
from tracklayer.solar import sun_direction_ecef
from tracklayer.threats.signature import band_radiance

F64 = NDArray[np.float64]

__all__ = ["SeparationConfig", "add_spent_stages", "equilibrium_temperature_k", "gravity_ecef"]

#: Solar constant at 1 au, W/m² (Kopp and Lean, GRL 38, L01706, 2011).
SOLAR_CONSTANT_W_M2 = 1361.0
#: Effective radiating temperature of the Earth, K, and its Bond albedo.
EARTH_TEMPERATURE_K = 255.0
EARTH_ALBEDO = 0.3


class SeparationConfig(StrictModel):
    """The spent upper stage of each ballistic missile, flown after separation."""

    spent_stage: bool = Field(True, description="fly each ballistic missile's spent stage")
    delta_v_m_s: float = Field(
        3.0, ge=0.0, le=100.0, description="stage's separation speed, back along the velocity, m/s"
    )
    area_m2: float = Field(
        4.0,
        gt=0.0,
        le=100.0,
        description="stage's mean projected area (a quarter of its surface), m²",
    )
    emissivity: float = Field(0.85, gt=0.0, le=1.0, description="stage's grey-body emissivity")
    absorptivity: float = Field(0.5, gt=0.0, le=1.0, description="stage's solar absorptivity")
    breakup_altitude_km: float = Field(
        78.0, ge=0.0, le=200.0, description="the stage breaks up below this height, km"
    )


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


def _rates(_t: float, s: F64) -> F64:
    r, v = s[:3], s[3:]
    w = np.array([0.0, 0.0, OMEGA_EARTH_RAD_S])
    a = gravity_ecef(r) - 2.0 * np.cross(w, v) - np.cross(w, np.cross(w, r))
    return np.concatenate([v, a])


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


def _fly_stage(
    r0: F64, v0: F64, t0: float, t_end: float, step: float, floor_m: float
) -> tuple[F64, F64, F64]:
    """Sample times (s), positions and velocities ``(k, 3)`` of one stage from ``t0``."""
    times = t0 + step * np.arange(math.floor((t_end - t0) / step + 1e-9) + 1)
    sol = solve_ivp(
        _rates, (t0, times[-1]), np.concatenate([r0, v0]), method="DOP853",
        t_eval=times, rtol=1e-10, atol=1e-3,
    )  # fmt: skip
    y = sol.y.T
    _, _, alt = ecef_to_geodetic(y[:, :3])
    falling = np.einsum("ij,ij->i", y[:, :3], y[:, 3:]) < 0.0
    below = np.flatnonzero((np.asarray(alt) < floor_m) & falling)
    keep = below[0] if below.size else y.shape[0]
    return (
        np.asarray(times[:keep], dtype=np.float64),
        np.asarray(y[:keep, :3], dtype=np.float64),
        np.asarray(y[:keep, 3:], dtype=np.float64),
    )


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
    grid = np.unique(t_s)
    step = float(np.min(np.diff(grid))) if grid.size > 1 else 1.0
    oid = np.asarray(truth.column("object_id").cast(pa.string()).to_pylist(), dtype=object)
    kind = np.asarray(truth.column("kind").cast(pa.string()).to_pylist(), dtype=object)
    burn = events.filter(pc.equal(events.column("event"), "burnout"))
    b_ns = burn.column("time").cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64()).to_numpy()
    cols = {
        c: truth.column(c).to_numpy(zero_copy_only=False) for c in ("x", "y", "z", "vx", "vy", "vz")
    }
    parts: list[dict[str, object]] = []
    # One integration per ballistic missile (a handful): each stage has its own span.
    for name, tb in zip(
        burn.column("object_id").to_pylist(), (b_ns - epoch_ns) * 1e-9, strict=True
    ):
        rows = np.flatnonzero((oid == name) & (kind == "ballistic") & (t_s >= tb - 1e-9))
        if rows.size == 0:
            continue
        first = rows[np.argmin(t_s[rows])]
        r0 = np.array([cols["x"][first], cols["y"][first], cols["z"][first]])
        v0 = np.array([cols["vx"][first], cols["vy"][first], cols["vz"][first]])
        v0 = v0 - config.delta_v_m_s * v0 / np.linalg.norm(v0)
        times, r, v = _fly_stage(
            r0, v0, float(t_s[first]), float(grid[-1]), step, config.breakup_altitude_km * KM
        )
        if times.size:
            parts.append({"object_id": f"{name}-stage", "t": times, "r": r, "v": v})
    if not parts:
        return truth
    return _with_stage_rows(truth, parts, config, bands, epoch, epoch_ns)


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
        "kind": pa.array(["stage"] * t.size, pa.string()),
        "time": pa.array(
            epoch_ns + np.round(t * 1e9).astype(np.int64), pa.timestamp("ns", tz="UTC")
        ),
    }
    for j, c in enumerate(("x", "y", "z")):
        data[c] = pa.array(r[:, j])
    for j, c in enumerate(("vx", "vy", "vz")):
        data[c] = pa.array(v[:, j])
    data["lat"], data["lon"], data["alt"] = pa.array(lat), pa.array(lon), pa.array(alt)
    data["phase"] = pa.array(phase.tolist(), pa.string())
    for band, um in bands.items():
        data[f"intensity_{band}_w_sr"] = pa.array(
            config.emissivity * config.area_m2 * band_radiance(temp, um)
        )
    for c in truth.column_names:
        if c not in data:
            data[c] = pa.nulls(t.size, truth.schema.field(c).type)
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

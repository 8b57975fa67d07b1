"""Threat truth laid out on the sensors' time grid: dense ``(M, T)`` arrays per object.

The flyout writes each object at its own sample times; sensing happens at the ephemeris
times. Positions are interpolated by cubic Hermite polynomials through the truth's positions
and velocities (C¹, exact at the samples; for 1 s samples the error of a gliding or
ballistic object is far below a metre), velocities by the derivative of that polynomial,
and band intensities linearly. An object exists (``alive``) from its first to its last
sample; outside that span its rows are NaN.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy.interpolate import CubicHermiteSpline

from tracklayer.errors import InputFormatError
from tracklayer.frames import datetime64_ns, ecef_to_geodetic
from tracklayer.threats.signature import PROPELLANTS

FloatArray = NDArray[np.float64]

__all__ = ["TargetStates", "intensity_column", "targets_from_truth"]


def intensity_column(band: str) -> str:
    """The truth column holding a band's radiant intensity, ``intensity_<band>_w_sr``."""
    return f"intensity_{band}_w_sr"


@dataclass(frozen=True)
class TargetStates:
    """M truth objects at the T ephemeris times, ECEF, SI.

    Attributes
    ----------
    object_id : ndarray of str, shape (M,)
    kind : ndarray of str, shape (M,)
    position, velocity : ndarray, shape (M, T, 3)
        ECEF position (m) and velocity (m/s); NaN where not alive.
    alive : ndarray of bool, shape (M, T)
    intensity : dict of band -> ndarray, shape (M, T)
        In-band radiant intensity, W/sr; 0 where not alive.
    boosting : ndarray of bool, shape (M, T)
        A stage is burning (the truth's ``phase`` is ``boost``; False without that column).
    launch_lat_deg : ndarray, shape (M,)
        Geodetic latitude of the object's first truth sample, deg (NaN if never alive).
    propellant : ndarray of int8, shape (M, T)
        Propellant class of the burning stage, as an index in
        :data:`tracklayer.threats.signature.PROPELLANTS` (the truth's ``propellant`` at the
        latest sample at or before each time); -1 where none burns, or None without that
        column.
    """

    object_id: NDArray[np.str_]
    kind: NDArray[np.str_]
    position: FloatArray
    velocity: FloatArray
    alive: NDArray[np.bool_]
    intensity: dict[str, FloatArray]
    boosting: NDArray[np.bool_] | None = None
    launch_lat_deg: FloatArray | None = None
    propellant: NDArray[np.int8] | None = None

    @property
    def n_objects(self) -> int:
        """M."""
        return int(self.alive.shape[0])


_REQUIRED = ("object_id", "time", "x", "y", "z", "vx", "vy", "vz")


def targets_from_truth(
    truth: pa.Table, epoch: datetime, seconds: FloatArray, bands: Iterable[str]
) -> TargetStates:
    """Interpolate a ``truth`` table onto the time grid ``epoch + seconds``.

    Parameters
    ----------
    truth
        The flyout's truth table (``object_id``, ``kind``, ``time``, ``x``..``vz``,
        ``intensity_<band>_w_sr``...).
    epoch
        Scenario epoch, timezone-aware UTC.
    seconds
        The sensors' times, s since ``epoch``, shape (T,), increasing.
    bands
        Bands to read; each needs its ``intensity_<band>_w_sr`` column.

    Raises
    ------
    InputFormatError
        A required column is missing.
    """
    names = set(truth.column_names)
    band_list = sorted(set(bands))
    missing = [c for c in (*_REQUIRED, *map(intensity_column, band_list)) if c not in names]
    if missing:
        raise InputFormatError(f"truth table: missing column(s) {missing}")
    t_grid = np.asarray(seconds, dtype=np.float64)
    rows = _TruthRows.read(truth, epoch, band_list)
    ids, first = np.unique(rows.oid, return_index=True)
    ids = ids[np.argsort(first, kind="stable")]
    m, t = ids.size, t_grid.size
    states = TargetStates(
        object_id=ids.astype(np.str_),
        kind=np.empty(m, dtype=rows.kinds.dtype),
        position=np.full((m, t, 3), np.nan),
        velocity=np.full((m, t, 3), np.nan),
        alive=np.zeros((m, t), dtype=bool),
        intensity={b: np.zeros((m, t)) for b in band_list},
        boosting=np.zeros((m, t), dtype=bool),
        launch_lat_deg=np.full(m, np.nan),
        propellant=None if rows.propellant is None else np.full((m, t), -1, dtype=np.int8),
    )
    order = np.lexsort((rows.t_s, rows.oid))
    sorted_ids = rows.oid[order]
    # One pass per object (not per time step): each object's track is short and smooth.
    for j, name in enumerate(ids):
        lo, hi = (
            np.searchsorted(sorted_ids, name, "left"),
            np.searchsorted(sorted_ids, name, "right"),
        )
        _fill_object(states, j, order[lo:hi], rows, t_grid)
    return states


@dataclass(frozen=True)
class _TruthRows:
    """The truth table's columns as arrays, one entry per row: times (s since the
    epoch), object ids and kinds, the state columns ``x``..``vz``, each band's intensity
    (W/sr), whether the row is boosting and its propellant code (None without that column)."""

    t_s: FloatArray
    oid: NDArray[np.str_]
    kinds: NDArray[np.str_]
    cols: dict[str, FloatArray]
    intensity: dict[str, FloatArray]
    boost: NDArray[np.bool_]
    propellant: NDArray[np.int8] | None

    @classmethod
    def read(cls, truth: pa.Table, epoch: datetime, bands: list[str]) -> _TruthRows:
        names = set(truth.column_names)
        epoch_ns = datetime64_ns(epoch, [0.0])[0].astype(np.int64)
        time_ns = truth.column("time").cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64())
        oid = np.asarray(truth.column("object_id").to_pylist(), dtype=np.str_)
        kinds = (
            np.asarray(truth.column("kind").to_pylist(), dtype=np.str_)
            if "kind" in names
            else np.full(oid.shape, "", dtype=np.str_)
        )
        boost = (
            np.asarray(truth.column("phase").cast(pa.string()).to_pylist(), dtype=object) == "boost"
            if "phase" in names
            else np.zeros(oid.shape, dtype=bool)
        )
        return cls(
            t_s=(time_ns.to_numpy(zero_copy_only=False) - epoch_ns) * 1e-9,
            oid=oid,
            kinds=kinds,
            cols={c: _float_column(truth, c) for c in _REQUIRED[2:]},
            intensity={b: _float_column(truth, intensity_column(b)) for b in bands},
            boost=boost,
            propellant=_propellant_codes(truth) if "propellant" in names else None,
        )


def _float_column(truth: pa.Table, name: str) -> FloatArray:
    return truth.column(name).to_numpy(zero_copy_only=False).astype(np.float64)


def _fill_object(
    states: TargetStates, j: int, rows: NDArray[np.intp], truth: _TruthRows, t_grid: FloatArray
) -> None:
    """Write object ``j`` (its truth rows ``rows``, sorted by time) into ``states`` at the
    grid times within its first and last sample (repeated times keep their first row)."""
    tt = truth.t_s[rows]
    keep = np.concatenate([[True], np.diff(tt) > 0.0])
    rows, tt = rows[keep], tt[keep]
    states.kind[j] = truth.kinds[rows[0]]
    inside = (t_grid >= tt[0]) & (t_grid <= tt[-1])
    if not inside.any():
        return
    states.alive[j] = inside
    tq = t_grid[inside]
    cols = truth.cols
    r = np.stack([cols["x"][rows], cols["y"][rows], cols["z"][rows]], axis=-1)
    v = np.stack([cols["vx"][rows], cols["vy"][rows], cols["vz"][rows]], axis=-1)
    if tt.size == 1:
        states.position[j, inside] = r[0]
        states.velocity[j, inside] = v[0]
    else:
        spline = CubicHermiteSpline(tt, r, v, axis=0)
        states.position[j, inside] = spline(tq)
        states.velocity[j, inside] = spline(tq, 1)
    for b, values in states.intensity.items():
        values[j, inside] = np.interp(tq, tt, truth.intensity[b][rows])
    assert states.boosting is not None and states.launch_lat_deg is not None
    states.boosting[j, inside] = np.interp(tq, tt, truth.boost[rows].astype(np.float64)) > 0.5
    if states.propellant is not None and truth.propellant is not None:
        at = np.searchsorted(tt, tq, side="right") - 1
        states.propellant[j, inside] = truth.propellant[rows][at]
    states.launch_lat_deg[j] = _geodetic_lat_deg(r[0])


def _propellant_codes(truth: pa.Table) -> NDArray[np.int8]:
    """The truth's ``propellant`` column as codes into ``PROPELLANTS`` (-1: null)."""
    names = np.asarray(truth.column("propellant").cast(pa.string()).to_pylist(), dtype=object)
    codes = np.full(names.size, -1, dtype=np.int8)
    for k, name in enumerate(PROPELLANTS):
        codes[names == name] = k
    known = (names == None) | (codes >= 0)  # noqa: E711 (element-wise)
    if not known.all():
        bad = sorted({str(n) for n in names[~known]})
        raise InputFormatError(
            f"truth table: propellant {bad[0]!r} is not one of {list(PROPELLANTS)}"
        )
    return codes


def _geodetic_lat_deg(r: FloatArray) -> float:
    """WGS84 geodetic latitude of an ECEF point, deg."""
    lat, _, _ = ecef_to_geodetic(r[None, :])
    return float(np.degrees(lat[0]))

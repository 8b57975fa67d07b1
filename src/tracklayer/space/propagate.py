"""SGP4 propagation of a whole catalogue over a time grid, in TEME and in ECEF.

All the orbit mechanics is the ``sgp4`` package's (Vallado's C++ SGP4 behind
:class:`sgp4.api.SatrecArray`, N satellites × T times per call); this module only lays
out the times, converts units to SI, rotates TEME into ECEF and turns SGP4's per-state
error codes into NaN states flagged invalid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sgp4.api import Satrec, SatrecArray

from tracklayer.constants import KM
from tracklayer.frames import rotate_teme_to_ecef, sgp4_julian_dates, teme_to_ecef_rotation
from tracklayer.space.catalog import SatelliteCatalog

__all__ = ["DEFAULT_CHUNK", "Ephemeris", "propagate", "propagate_teme"]

#: Satellite-epochs per SGP4 call: bounds the working memory (about 200 bytes each
#: counting the TEME→ECEF temporaries, so ~400 MB) without costing speed.
DEFAULT_CHUNK = 2_000_000


@dataclass(frozen=True)
class Ephemeris:
    """States of N satellites at T times, ECEF (ITRS, WGS84), SI.

    Attributes
    ----------
    epoch : datetime
        Scenario epoch (UTC); ``seconds`` count from it.
    seconds : ndarray, shape (T,)
        Sample times, s since ``epoch``.
    r_ecef : ndarray, shape (N, T, 3)
        Positions, m; NaN where SGP4 failed.
    v_ecef : ndarray, shape (N, T, 3)
        Velocities relative to the rotating Earth, m/s; NaN where SGP4 failed.
    valid : ndarray of bool, shape (N, T)
        False where SGP4 reported an error (decay, eccentricity out of range...).
    """

    epoch: datetime
    seconds: NDArray[np.float64]
    r_ecef: NDArray[np.float64]
    v_ecef: NDArray[np.float64]
    valid: NDArray[np.bool_]

    @property
    def n_satellites(self) -> int:
        """N."""
        return int(self.r_ecef.shape[0])

    @property
    def n_times(self) -> int:
        """T."""
        return int(self.seconds.shape[0])


def _satrecs(catalog: SatelliteCatalog | Sequence[Satrec]) -> list[Satrec]:
    return catalog.satrecs if isinstance(catalog, SatelliteCatalog) else list(catalog)


def propagate_teme(
    catalog: SatelliteCatalog | Sequence[Satrec],
    jd: ArrayLike,
    fr: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Raw SGP4 states in TEME, in SI units, for N satellites at T UTC Julian dates.

    Parameters
    ----------
    catalog : SatelliteCatalog or sequence of Satrec
        The N satellites.
    jd, fr : array_like, shape (T,)
        UTC Julian date split into whole and fraction (``jd + fr``), as
        :meth:`sgp4.api.SatrecArray.sgp4` takes them (see
        :func:`tracklayer.frames.sgp4_julian_dates`).

    Returns
    -------
    r_teme : ndarray, shape (N, T, 3)
        Position in SGP4's True Equator Mean Equinox frame, m; NaN where SGP4 failed.
    v_teme : ndarray, shape (N, T, 3)
        Velocity, m/s; NaN where SGP4 failed.
    valid : ndarray of bool, shape (N, T)
        SGP4 error code zero and a finite state.
    """
    recs = _satrecs(catalog)
    jd_a = np.ascontiguousarray(np.atleast_1d(np.asarray(jd, dtype=np.float64)))
    fr_a = np.ascontiguousarray(np.atleast_1d(np.asarray(fr, dtype=np.float64)))
    if jd_a.shape != fr_a.shape or jd_a.ndim != 1:
        raise ValueError(f"jd and fr must be 1-D of equal length, got {jd_a.shape}, {fr_a.shape}")
    n, t = len(recs), jd_a.shape[0]
    if n == 0 or t == 0:
        empty = np.empty((n, t, 3))
        return empty, empty.copy(), np.zeros((n, t), dtype=np.bool_)
    err, r, v = SatrecArray(recs).sgp4(jd_a, fr_a)
    valid = (err == 0) & np.isfinite(r).all(axis=-1) & np.isfinite(v).all(axis=-1)
    r *= KM
    v *= KM
    if not valid.all():
        r[~valid] = np.nan
        v[~valid] = np.nan
    return r, v, valid


def propagate(
    catalog: SatelliteCatalog | Sequence[Satrec],
    epoch: datetime,
    seconds: ArrayLike,
    chunk: int = DEFAULT_CHUNK,
) -> Ephemeris:
    """Propagate every satellite to every time and return ECEF states.

    Parameters
    ----------
    catalog : SatelliteCatalog or sequence of Satrec
        The N satellites (elements at any epochs).
    epoch : datetime
        Scenario epoch, timezone-aware UTC.
    seconds : array_like, shape (T,)
        Sample times, s since ``epoch`` (UTC clock).
    chunk : int
        Largest number of satellite-epochs (N × times) computed in one block; the time
        axis is split into blocks of ``max(1, chunk // N)`` samples to bound memory.

    Returns
    -------
    Ephemeris
        ``r_ecef``, ``v_ecef`` of shape (N, T, 3); failed states are NaN and ``valid``
        False, SGP4 errors never raise.

    Notes
    -----
    SGP4 runs in TEME (:func:`propagate_teme`); :func:`tracklayer.frames.teme_to_ecef`
    rotates to ECEF with GMST 1982 at UT1, polar motion neglected.
    """
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    recs = _satrecs(catalog)
    s = np.atleast_1d(np.asarray(seconds, dtype=np.float64))
    if s.ndim != 1:
        raise ValueError(f"seconds must be 1-D, got shape {s.shape}")
    n, t = len(recs), s.shape[0]
    r_out = np.full((n, t, 3), np.nan)
    v_out = np.full((n, t, 3), np.nan)
    valid = np.zeros((n, t), dtype=np.bool_)
    if n and t:
        jd, fr = sgp4_julian_dates(epoch, s)
        theta, theta_rate = teme_to_ecef_rotation(epoch, s)  # once for the whole grid
        step = max(1, chunk // n)
        for start in range(0, t, step):
            block = slice(start, min(t, start + step))
            r_teme, v_teme, ok = propagate_teme(recs, jd[block], fr[block])
            r_ecef, v_ecef = rotate_teme_to_ecef(r_teme, v_teme, (theta[block], theta_rate[block]))
            r_out[:, block] = r_ecef
            v_out[:, block] = v_ecef
            valid[:, block] = ok
    return Ephemeris(epoch=epoch, seconds=s, r_ecef=r_out, v_ecef=v_out, valid=valid)

"""A TDM's RADEC angles as Earth-fixed lines of sight, from the frames producers write.

tracklayer writes RADEC in ``ITRF2000`` (the working frame, ECEF), but other producers
write their angles in an inertial frame (CCSDS 503.0-B-2 lists ``EME2000``, ``GCRF`` and
``ICRF`` among the TDM ``REFERENCE_FRAME`` values). A line of sight's direction in those
frames is rotated to the ITRS at its epoch:

* ``GCRF`` and ``ICRF``: the GCRS axes are those of the ICRS (IERS Conventions 2010,
  chapter 5), so a direction has the same components in both; it goes to the ITRS by
  Skyfield's :data:`skyfield.framelib.itrs` rotation at its time (IAU 2006 precession,
  IAU 2000A nutation, Greenwich apparent sidereal time at UT1 from Skyfield's built-in
  tables; polar motion zero, as everywhere in tracklayer: at most about 0.5 arcsec).
* ``EME2000`` (mean equator and equinox of J2000.0): first to the GCRS through the frame
  bias (:data:`skyfield.framelib.ICRS_to_J2000`, IERS Conventions 2010 eq. 5.21, about
  23 mas).

Validity: epochs the built-in UT1 tables hold (Skyfield's ``builtin=True`` timescale,
extrapolated a few years ahead); directions only (a line of sight has no origin to move).
Checked against ERFA's ``c2t06a`` and ``bp06`` (tests).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from tracklayer.frames import skyfield_time
from tracklayer.io.tdm import radec_to_los

__all__ = ["EARTH_FIXED_FRAMES", "INERTIAL_FRAMES", "radec_los_ecef"]

#: RADEC frames read as Earth-fixed (the reader reports every ITRF realisation as ITRF).
EARTH_FIXED_FRAMES = ("ITRF",)
#: RADEC frames rotated to the ITRS at each epoch.
INERTIAL_FRAMES = ("EME2000", "GCRF", "ICRF")

FloatArray = NDArray[np.float64]


def radec_los_ecef(
    ra_deg: FloatArray, dec_deg: FloatArray, frame: str, time: NDArray[np.datetime64]
) -> FloatArray:
    """Unit lines of sight in ECEF (ITRS) from right ascension and declination in ``frame``.

    Parameters
    ----------
    ra_deg, dec_deg : ndarray, shape (n,)
        Right ascension and declination in ``frame``, degrees.
    frame : str
        One of :data:`EARTH_FIXED_FRAMES` or :data:`INERTIAL_FRAMES`.
    time : ndarray of datetime64, shape (n,)
        Each direction's epoch, UTC.

    Returns
    -------
    ndarray, shape (n, 3)
        Unit vectors in ECEF.

    Raises
    ------
    ValueError
        A frame not listed above.
    """
    los = radec_to_los(np.asarray(ra_deg, np.float64), np.asarray(dec_deg, np.float64))
    if frame in EARTH_FIXED_FRAMES:
        return los
    if frame not in INERTIAL_FRAMES:
        raise ValueError(
            f"RADEC frame {frame!r} is not one of {[*EARTH_FIXED_FRAMES, *INERTIAL_FRAMES]}"
        )
    if los.shape[0] == 0:
        return los
    from skyfield.framelib import ICRS_to_J2000, itrs

    if frame == "EME2000":
        los = los @ np.asarray(ICRS_to_J2000)  # v_GCRS = B^T v_J2000, row vectors
    ns = np.asarray(time).astype("datetime64[ns]").astype(np.int64)
    first = int(ns.min())
    epoch = datetime.fromtimestamp(first // 1_000_000_000, UTC).replace(
        microsecond=(first % 1_000_000_000) // 1000
    )
    offsets = (ns - (first - first % 1000)) * 1e-9
    rotation = np.asarray(itrs.rotation_at(skyfield_time(epoch, offsets)))  # (3, 3, n)
    return np.asarray(np.einsum("ijn,nj->ni", rotation, los), dtype=np.float64)

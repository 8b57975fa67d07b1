"""The ``satellites`` and ``ephemeris`` tables (Arrow), columns as in DESIGN.md."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa

from tracklayer.constants import DAY_S, KM
from tracklayer.frames import datetime64_ns, utc_timestamps
from tracklayer.space.catalog import SatelliteCatalog
from tracklayer.space.propagate import Ephemeris

__all__ = ["ephemeris_table", "satellites_table"]

#: Julian date of the Unix epoch 1970-01-01T00:00:00 UTC.
_JD_UNIX = 2440587.5


def _strings(values: np.ndarray) -> pa.Array:
    return pa.array(values.tolist(), type=pa.string())


def satellites_table(catalog: SatelliteCatalog, epoch: datetime) -> pa.Table:
    """One row per satellite: identity and SGP4 mean elements at the elements' epoch.

    Parameters
    ----------
    catalog : SatelliteCatalog
        N satellites.
    epoch : datetime
        Scenario epoch (UTC), for the age of each element set.

    Returns
    -------
    pyarrow.Table
        Columns ``sat_id, owner, constellation, sensor`` (string); ``epoch``
        (timestamp[ns, UTC]): the element set's own epoch (the scenario epoch for Walker
        satellites, the TLE/OMM epoch otherwise); ``element_age_s``: scenario epoch minus
        element epoch, s (SGP4's error grows by roughly 1-3 km per day of age in LEO);
        and the SGP4 mean elements (TEME of epoch, WGS72): ``sma_m`` (Brouwer mean
        semi-major axis), ``ecc``, ``inc_rad``, ``raan_rad``, ``argp_rad``,
        ``mean_anomaly_rad``, ``mean_motion_rad_s`` (Kozai mean motion, as in a TLE).
    """
    recs = catalog.satrecs
    n = len(recs)
    # Element-wise attribute reads are the only way into a Satrec; this is O(N), not a
    # hot path.
    attrs = np.array(
        [
            (
                s.jdsatepoch,
                s.jdsatepochF,
                s.a * s.radiusearthkm,
                s.ecco,
                s.inclo,
                s.nodeo,
                s.argpo,
                s.mo,
                s.no_kozai,
            )
            for s in recs
        ],
        dtype=np.float64,
    ).reshape(n, 9)
    # Whole and fractional days separately keep the epoch to the microsecond.
    days = (attrs[:, 0] - _JD_UNIX) + attrs[:, 1]
    whole = np.floor(days)
    ns = whole.astype(np.int64) * 86_400_000_000_000 + np.rint((days - whole) * DAY_S * 1e9).astype(
        np.int64
    )
    scenario_ns = datetime64_ns(epoch, np.zeros(1)).astype(np.int64)[0]
    return pa.table(
        {
            "sat_id": _strings(catalog.sat_id),
            "owner": _strings(catalog.owner),
            "constellation": _strings(catalog.constellation),
            "sensor": _strings(catalog.sensor),
            "epoch": pa.array(ns, type=pa.timestamp("ns", tz="UTC")),
            "element_age_s": pa.array((scenario_ns - ns) * 1e-9, type=pa.float64()),
            "sma_m": pa.array(attrs[:, 2] * KM),
            "ecc": pa.array(attrs[:, 3]),
            "inc_rad": pa.array(attrs[:, 4]),
            "raan_rad": pa.array(attrs[:, 5]),
            "argp_rad": pa.array(attrs[:, 6]),
            "mean_anomaly_rad": pa.array(attrs[:, 7]),
            "mean_motion_rad_s": pa.array(attrs[:, 8] / 60.0),
        }
    )


def ephemeris_table(catalog: SatelliteCatalog, eph: Ephemeris) -> pa.Table:
    """One row per satellite and time where SGP4 succeeded, ECEF states in SI.

    Parameters
    ----------
    catalog : SatelliteCatalog
        The N satellites ``eph`` was computed for, same order.
    eph : Ephemeris
        States of shape (N, T, 3).

    Returns
    -------
    pyarrow.Table
        Columns ``sat_id`` (string), ``time`` (timestamp[ns, UTC]), ``x, y, z`` (m) and
        ``vx, vy, vz`` (m/s) in ECEF (ITRS); rows ordered by satellite then time. States
        that SGP4 flagged invalid are left out.
    """
    n, t = eph.n_satellites, eph.n_times
    if len(catalog) != n:
        raise ValueError(f"catalog has {len(catalog)} satellites but ephemeris has {n}")
    keep = eph.valid.reshape(-1)
    sat_index = np.repeat(np.arange(n, dtype=np.int32), t)[keep]
    time_index = np.tile(np.arange(t, dtype=np.int64), n)[keep]
    ids = pa.DictionaryArray.from_arrays(pa.array(sat_index), _strings(catalog.sat_id))
    times = utc_timestamps(eph.epoch, eph.seconds).take(pa.array(time_index))
    r = eph.r_ecef.reshape(-1, 3)[keep]
    v = eph.v_ecef.reshape(-1, 3)[keep]
    return pa.table(
        {
            "sat_id": ids.dictionary_decode(),
            "time": times,
            "x": pa.array(r[:, 0]),
            "y": pa.array(r[:, 1]),
            "z": pa.array(r[:, 2]),
            "vx": pa.array(v[:, 0]),
            "vy": pa.array(v[:, 1]),
            "vz": pa.array(v[:, 2]),
        }
    )

"""Small synthetic sensing set-ups: satellites fixed in ECEF and hand-placed targets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sgp4.api import Satrec

from tracklayer.frames import utc_timestamps
from tracklayer.space.catalog import SatelliteCatalog
from tracklayer.space.propagate import Ephemeris

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


def static_ephemeris(
    positions: NDArray[np.float64], n_times: int, step_s: float = 1.0
) -> Ephemeris:
    """Satellites standing still in ECEF at ``positions`` (N, 3) for ``n_times`` steps."""
    pos = np.asarray(positions, dtype=np.float64)
    r = np.repeat(pos[:, None, :], n_times, axis=1)
    return Ephemeris(
        epoch=EPOCH,
        seconds=np.arange(n_times) * step_s,
        r_ecef=r,
        v_ecef=np.zeros_like(r),
        valid=np.ones(r.shape[:2], dtype=bool),
    )


def catalog(n: int, sensor: str = "ir", owners: Sequence[str] | None = None) -> SatelliteCatalog:
    """A catalogue of ``n`` satellites (ids S000...) carrying payload ``sensor``."""
    own = np.asarray(owners if owners is not None else ["USA"] * n, dtype=np.str_)
    return SatelliteCatalog(
        sat_id=np.asarray([f"S{i:03d}" for i in range(n)], dtype=np.str_),
        owner=own,
        constellation=np.asarray(["C"] * n, dtype=np.str_),
        sensor=np.asarray([sensor] * n, dtype=np.str_),
        satrecs=[Satrec() for _ in range(n)],
    )


def static_truth(
    positions: NDArray[np.float64],
    seconds: NDArray[np.float64],
    intensity_w_sr: float | Sequence[float],
    velocities: NDArray[np.float64] | None = None,
) -> pa.Table:
    """Targets (M, 3) at fixed positions (or moving linearly) sampled at ``seconds``."""
    pos = np.atleast_2d(np.asarray(positions, dtype=np.float64))
    vel = np.zeros_like(pos) if velocities is None else np.atleast_2d(velocities)
    m, t = pos.shape[0], seconds.size
    inten = np.broadcast_to(np.asarray(intensity_w_sr, dtype=np.float64), (m,))
    r = pos[:, None, :] + vel[:, None, :] * seconds[None, :, None]
    ids = np.repeat([f"T{i:02d}" for i in range(m)], t)
    return pa.table(
        {
            "object_id": ids,
            "kind": np.full(m * t, "hgv"),
            "time": utc_timestamps(EPOCH, np.tile(seconds, m)),
            "x": r[..., 0].ravel(),
            "y": r[..., 1].ravel(),
            "z": r[..., 2].ravel(),
            "vx": np.repeat(vel[:, 0], t),
            "vy": np.repeat(vel[:, 1], t),
            "vz": np.repeat(vel[:, 2], t),
            "intensity_mwir_w_sr": np.repeat(inten, t),
            "intensity_swir_w_sr": np.repeat(inten, t),
        }
    )

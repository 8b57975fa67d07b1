"""CCSDS Orbit Ephemeris Message (OEM) writer, KVN encoding, version 2.0.

Layout per CCSDS 502.0-B-2 ("Orbit Data Messages", Blue Book, 2009), section 5: a
header, then a ``META_START``/``META_STOP`` block and data lines
``epoch x y z x_dot y_dot z_dot`` in km and km/s. An OEM describes one object (its
segments may only split that object's history into successive time spans, and readers
such as the ``oem`` package enforce a single ``OBJECT_NAME``), so a constellation is
written as one file per satellite. States are ECEF, for which the standard's frame name
is ``ITRF`` (the Earth-fixed frame realised by the ITRS; our polar motion is zero, see
:func:`tracklayer.frames.teme_to_ecef`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import KM
from tracklayer.frames import datetime64_ns
from tracklayer.io.outputs import safe_file_name
from tracklayer.io.outputs import write_text_atomic as _write_atomic
from tracklayer.space.catalog import SatelliteCatalog
from tracklayer.space.propagate import Ephemeris

__all__ = ["oem_file_name", "write_oem", "write_oem_files"]


def oem_file_name(sat_id: str) -> str:
    """File name for a satellite's OEM: the id with characters other than letters, digits,
    ``.``, ``_`` and ``-`` replaced by ``_``, plus ``.oem``."""
    return safe_file_name(sat_id, ".oem")


def _header(originator: str, creation_date: datetime | None) -> str:
    created = (creation_date or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    return (
        "CCSDS_OEM_VERS = 2.0\n"
        f"CREATION_DATE = {created.isoformat(timespec='microseconds')}\n"
        f"ORIGINATOR = {originator}\n"
    )


def _segment(name: str, epochs: list[str], states_km: NDArray[np.float64]) -> str:
    meta = (
        "\nMETA_START\n"
        f"OBJECT_NAME = {name}\n"
        f"OBJECT_ID = {name}\n"
        "CENTER_NAME = EARTH\n"
        "REF_FRAME = ITRF\n"
        "TIME_SYSTEM = UTC\n"
        f"START_TIME = {epochs[0]}\n"
        f"STOP_TIME = {epochs[-1]}\n"
        "META_STOP\n\n"
    )
    # One formatted line per state: the text itself is the product here, and this runs
    # at about a million lines per second.
    data = "".join(
        f"{e} {x:.6f} {y:.6f} {z:.6f} {vx:.9f} {vy:.9f} {vz:.9f}\n"
        for e, (x, y, z, vx, vy, vz) in zip(epochs, states_km.tolist(), strict=True)
    )
    return meta + data


def write_oem(
    path: Path | str,
    sat_id: str,
    epoch: datetime,
    seconds: NDArray[np.float64],
    r_ecef: NDArray[np.float64],
    v_ecef: NDArray[np.float64],
    *,
    valid: NDArray[np.bool_] | None = None,
    originator: str = "tracklayer",
    creation_date: datetime | None = None,
) -> Path:
    """Write one satellite's ECEF states as an OEM file with one segment.

    Parameters
    ----------
    path : Path or str
        Output file; written atomically (temporary file, then rename).
    sat_id : str
        ``OBJECT_NAME`` and ``OBJECT_ID``.
    epoch : datetime
        Scenario epoch (UTC).
    seconds : ndarray, shape (T,)
        Sample times, s since ``epoch``.
    r_ecef, v_ecef : ndarray, shape (T, 3)
        ECEF position (m) and velocity (m/s).
    valid : ndarray of bool, shape (T,), optional
        States to write (default: the finite ones).
    originator : str
        ``ORIGINATOR`` header keyword.
    creation_date : datetime, optional
        ``CREATION_DATE`` (UTC); now by default. Pass one for byte-identical reruns.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        No state to write (an OEM segment needs at least one).

    Notes
    -----
    Epochs are written to the microsecond, positions to 1 mm (km with 6 decimals) and
    velocities to 1 µm/s (km/s with 9 decimals).
    """
    r = np.asarray(r_ecef, dtype=np.float64)
    v = np.asarray(v_ecef, dtype=np.float64)
    s = np.asarray(seconds, dtype=np.float64)
    if r.shape != (s.shape[0], 3) or v.shape != r.shape:
        raise ValueError(f"r_ecef and v_ecef must have shape ({s.shape[0]}, 3)")
    ok = np.isfinite(r).all(axis=1) & np.isfinite(v).all(axis=1)
    if valid is not None:
        ok &= np.asarray(valid, dtype=np.bool_)
    if not ok.any():
        raise ValueError(f"satellite {sat_id!r} has no valid state to write")
    stamps = datetime64_ns(epoch, s[ok]).astype("datetime64[us]")
    epochs = [str(e) for e in np.datetime_as_string(stamps, unit="us")]
    states_km = np.concatenate([r[ok], v[ok]], axis=1) / KM
    text = _header(originator, creation_date) + _segment(sat_id, epochs, states_km)
    return _write_atomic(Path(path), text)


def write_oem_files(
    folder: Path | str,
    catalog: SatelliteCatalog,
    eph: Ephemeris,
    *,
    originator: str = "tracklayer",
    creation_date: datetime | None = None,
) -> list[Path]:
    """Write one OEM file per satellite into ``folder``, named by :func:`oem_file_name`.

    Satellites without any valid state are skipped. See :func:`write_oem` for the
    format. Returns the paths written, in catalogue order.
    """
    if len(catalog) != eph.n_satellites:
        raise ValueError(
            f"catalog has {len(catalog)} satellites but ephemeris has {eph.n_satellites}"
        )
    created = creation_date or datetime.now(UTC)
    paths: list[Path] = []
    used: set[str] = set()
    for i in range(eph.n_satellites):
        if not eph.valid[i].any():
            continue
        sat_id = str(catalog.sat_id[i])
        name = oem_file_name(sat_id)
        if name in used:  # two ids that differ only in unsafe characters
            name = f"{name.removesuffix('.oem')}_{i}.oem"
        used.add(name)
        paths.append(
            write_oem(
                Path(folder) / name,
                sat_id,
                eph.epoch,
                eph.seconds,
                eph.r_ecef[i],
                eph.v_ecef[i],
                valid=eph.valid[i],
                originator=originator,
                creation_date=created,
            )
        )
    return paths

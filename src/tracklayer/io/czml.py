"""CZML for CesiumJS: run outputs (satellites, threat truth, tracks) and service exports.

CZML is Cesium's time-dynamic scene format, a JSON list of packets (reference: the CZML
guide and packet reference, https://github.com/AnalyticalGraphicsInc/czml-writer/wiki).
Conventions used here:

- The first packet is the ``document`` (``version: "1.0"``, and a ``clock`` spanning the
  data).
- Positions are ECEF, ``referenceFrame: "FIXED"``, sampled as
  ``cartesian: [t0, x0, y0, z0, t1, ...]`` with ``t`` seconds after the packet's ``epoch``
  (ISO 8601 UTC).
- Position uncertainty is drawn as the ``sigma``-sigma ellipsoid of the 3x3 position block
  of the covariance: radii ``sigma * sqrt(eigenvalues)`` along the eigenvectors, whose
  matrix is the ellipsoid's ``orientation.unitQuaternion`` (``[x, y, z, w]``, the rotation
  from the ellipsoid's axes to ECEF).
- Every packet carries ``properties.kind`` (``satellite``, ``truth``, ``track``, ``fused``)
  so a viewer can sort and colour what it shows; national tracks and satellites carry
  their tracker or owner.

Large runs are thinned to at most ``max_samples`` samples per object (first and last
always kept), so a scene stays a few megabytes; Cesium interpolates between samples.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike, NDArray
from scipy.spatial.transform import Rotation

from tracklayer.vocabulary import JOINT

__all__ = [
    "FUSED_RGBA",
    "JOINT",
    "NATION_PALETTE",
    "SATELLITE_PATH_S",
    "TRUTH_RGBA",
    "document_packet",
    "fused_packet",
    "iso_utc",
    "position_ellipsoids",
    "scene_czml",
    "track_packets",
    "tracker_rgba",
    "write_czml",
]

#: Colour of system tracks, RGBA 0-255.
FUSED_RGBA = [232, 121, 249, 255]
#: Colour of threat truth, RGBA 0-255.
TRUTH_RGBA = [239, 68, 68, 255]
#: How much of a satellite's past path is drawn, s (a sixth of a LEO orbit).
SATELLITE_PATH_S = 900.0
#: Sigma multiple of the drawn uncertainty ellipsoids.
SIGMA_SCALE = 3.0

_UNIX = datetime(1970, 1, 1, tzinfo=UTC)


def iso_utc(ns: int) -> str:
    """ISO 8601 UTC text (``...Z``, microseconds) of integer nanoseconds since the Unix epoch."""
    return (_UNIX + timedelta(microseconds=int(ns) // 1000)).isoformat().replace("+00:00", "Z")


def _datetime_ns(value: datetime) -> int:
    delta = value.astimezone(UTC) - _UNIX
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


#: Nation colours (RGBA 0-255), chosen apart from each other and from truth and system
#: tracks; a code picks one by hash.
NATION_PALETTE = (
    (56, 189, 248, 255),
    (251, 146, 60, 255),
    (74, 222, 128, 255),
    (250, 204, 21, 255),
    (45, 212, 191, 255),
    (129, 140, 248, 255),
    (190, 242, 100, 255),
    (203, 213, 225, 255),
    (217, 119, 6, 255),
    (96, 165, 250, 255),
)


def tracker_rgba(tracker: str) -> list[int]:
    """A stable colour per tracker or owner (RGBA 0-255); system tracks get :data:`FUSED_RGBA`.

    Picked from :data:`NATION_PALETTE` by a hash of the code, so a nation's tracks and
    satellites look the same in every scene.
    """
    if tracker == JOINT:
        return list(FUSED_RGBA)
    h = hashlib.sha256(tracker.encode()).digest()
    return list(NATION_PALETTE[h[0] % len(NATION_PALETTE)])


def _rgba(color: Sequence[int], alpha: int | None = None) -> dict[str, Any]:
    rgba = [*color[:3], int(color[3]) if alpha is None else alpha]
    return {"rgba": rgba}


def document_packet(
    name: str,
    start_ns: int | None = None,
    stop_ns: int | None = None,
    multiplier: float = 1.0,
    current_ns: int | None = None,
) -> dict[str, Any]:
    """The ``document`` packet: name, CZML version and a clock over ``[start, stop]``.

    ``start_ns``, ``stop_ns``, ``current_ns`` (the clock's initial time, default the start)
    are UTC nanoseconds since the Unix epoch; without start and stop the packet has no
    clock (the viewer keeps its own). ``multiplier``: simulated seconds per wall-clock
    second when the viewer plays the scene.
    """
    doc: dict[str, Any] = {"id": "document", "name": name, "version": "1.0"}
    if start_ns is not None and stop_ns is not None:
        start, stop = iso_utc(start_ns), iso_utc(stop_ns)
        doc["clock"] = {
            "interval": f"{start}/{stop}",
            "currentTime": start if current_ns is None else iso_utc(current_ns),
            "multiplier": multiplier,
            "range": "LOOP_STOP",
            "step": "SYSTEM_CLOCK_MULTIPLIER",
        }
    return doc


def position_ellipsoids(
    cov: ArrayLike, sigma: float = SIGMA_SCALE, continuous: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Radii and orientations of the ``sigma``-sigma position ellipsoids of covariances.

    Parameters
    ----------
    cov : array_like, shape (K, n, n), n >= 3
        Covariances whose upper-left 3x3 block is the ECEF position covariance, m^2.
    sigma : float
        Sigma multiple of the radii.
    continuous : bool
        ``cov`` is one track's sequence in time: choose each eigenvector's sign, and each
        quaternion's sign, to follow the previous sample's, so interpolated orientations
        turn the short way instead of flipping.

    Returns
    -------
    radii : ndarray, shape (K, 3)
        ``sigma * sqrt(eigenvalue)``, m, ascending.
    quat : ndarray, shape (K, 4)
        Unit quaternions ``[x, y, z, w]`` of the rotation ``R`` whose columns are the
        eigenvectors, so ``cov[:3, :3] = R diag((radii / sigma)**2) R^T``.
    """
    p = np.asarray(cov, dtype=np.float64)[..., :3, :3].reshape(-1, 3, 3)
    p = 0.5 * (p + np.swapaxes(p, -1, -2))
    eigval, eigvec = np.linalg.eigh(p)
    if continuous and len(p) > 1:
        dots = np.einsum("kij,kij->kj", eigvec[1:], eigvec[:-1])
        step = np.where(dots < 0.0, -1.0, 1.0)
        eigvec = eigvec * np.cumprod(np.vstack([np.ones((1, 3)), step]), axis=0)[:, None, :]
    # A proper rotation (det +1): flipping one axis leaves the ellipsoid unchanged.
    eigvec[:, :, 0] *= np.sign(np.linalg.det(eigvec))[:, None]
    quat = Rotation.from_matrix(eigvec).as_quat()
    if continuous and len(quat) > 1:
        step_q = np.where(np.einsum("ki,ki->k", quat[1:], quat[:-1]) < 0.0, -1.0, 1.0)
        quat = quat * np.cumprod(np.concatenate([[1.0], step_q]))[:, None]
    radii = sigma * np.sqrt(np.clip(eigval, 0.0, None))
    return radii, quat


def _thin(n: int, max_samples: int | None) -> NDArray[np.intp]:
    if max_samples is None or n <= max_samples:
        return np.arange(n)
    return np.unique(np.rint(np.linspace(0, n - 1, max(max_samples, 2))).astype(np.intp))


def _interleave(
    t_s: NDArray[np.floating[Any]], values: NDArray[np.float64], digits: int
) -> list[float]:
    out = np.column_stack([np.round(t_s, 6), np.round(values, digits)])
    return list(out.reshape(-1).tolist())


def _sampled(
    t0_ns: int, time_ns: NDArray[np.int64], pos: NDArray[np.float64], degree: int
) -> dict[str, Any]:
    if len(time_ns) == 1:
        return {"referenceFrame": "FIXED", "cartesian": np.round(pos[0], 3).tolist()}
    return {
        "referenceFrame": "FIXED",
        "epoch": iso_utc(t0_ns),
        "cartesian": _interleave((time_ns - t0_ns) * 1e-9, pos, 3),
        "interpolationAlgorithm": "LAGRANGE",
        "interpolationDegree": min(degree, len(time_ns) - 1),
    }


def _ellipsoid_graphics(
    t0_ns: int,
    time_ns: NDArray[np.int64],
    cov: NDArray[np.float64],
    color: Sequence[int],
    sigma: float,
) -> dict[str, Any]:
    radii, quat = position_ellipsoids(cov, sigma, continuous=True)
    material = {"solidColor": {"color": _rgba(color, 70)}}
    if len(time_ns) == 1:
        return {
            "ellipsoid": {"radii": {"cartesian": radii[0].tolist()}, "material": material},
            "orientation": {"unitQuaternion": quat[0].tolist()},
        }
    t_s = (time_ns - t0_ns) * 1e-9
    epoch = iso_utc(t0_ns)
    return {
        "ellipsoid": {
            "radii": {"epoch": epoch, "cartesian": _interleave(t_s, radii, 3)},
            "material": material,
        },
        "orientation": {
            "epoch": epoch,
            "unitQuaternion": _interleave(t_s, quat, 9),
            "interpolationAlgorithm": "LINEAR",
        },
    }


def _groups(keys: Sequence[str], time_ns: NDArray[np.int64]) -> list[tuple[str, NDArray[np.intp]]]:
    """(key, row indices in time order) per distinct key, keys sorted."""
    if len(keys) == 0:
        return []
    names, inverse = np.unique(np.asarray(keys, dtype=object).astype(str), return_inverse=True)
    order = np.lexsort((time_ns, inverse))
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    return [
        (str(names[inverse[rows[0]]]), rows) for rows in np.split(order, bounds) if len(rows) > 0
    ]


def track_packets(
    tracker: Sequence[str],
    track_id: Sequence[str],
    time_ns: ArrayLike,
    position: ArrayLike,
    status: Sequence[str],
    cov: ArrayLike | None = None,
    *,
    max_samples: int | None = None,
    sigma: float = SIGMA_SCALE,
) -> list[dict[str, Any]]:
    """One packet per track (``id`` ``track/<tracker>/<track_id>``) from track-state rows.

    Parameters
    ----------
    tracker, track_id, status : sequence of str, length K
        Rows of the ``tracks`` table, in any order.
    time_ns : array_like of int, shape (K,)
        UTC nanoseconds since the Unix epoch.
    position : array_like, shape (K, 3)
        ECEF position, m.
    cov : array_like, shape (K, 6, 6), optional
        State covariances; when given, each packet has a time-sampled ``sigma``-sigma
        position ellipsoid.
    max_samples : int, optional
        Thin each track to at most this many samples.

    Returns
    -------
    list of dict
        Packets sorted by key: sampled position (linear interpolation), the track's
        colour (:func:`tracker_rgba`), its past path, ``properties`` ``kind`` (``track``,
        or ``fused`` for tracker ``joint``), ``tracker`` and last ``status``.
    """
    t = np.asarray(time_ns, dtype=np.int64)
    pos = np.asarray(position, dtype=np.float64).reshape(-1, 3)
    c = None if cov is None else np.asarray(cov, dtype=np.float64).reshape(-1, 6, 6)
    keys = [f"{a}/{b}" for a, b in zip(tracker, track_id, strict=True)]
    packets: list[dict[str, Any]] = []
    for key, rows in _groups(keys, t):
        rows = rows[_thin(len(rows), max_samples)]
        who = str(tracker[rows[0]])
        color = tracker_rgba(who)
        t0, t1 = int(t[rows[0]]), int(t[rows[-1]])
        packet: dict[str, Any] = {
            "id": f"track/{key}",
            "name": key,
            "availability": f"{iso_utc(t0)}/{iso_utc(t1)}",
            "properties": {
                "kind": "fused" if who == JOINT else "track",
                "tracker": who,
                "status": str(status[rows[-1]]),
            },
            "position": _sampled(t0, t[rows], pos[rows], 1),
            "point": {"pixelSize": 6, "color": _rgba(color)},
            "path": {
                "width": 1,
                "leadTime": 0,
                "material": {"solidColor": {"color": _rgba(color)}},
            },
        }
        if c is not None:
            packet.update(_ellipsoid_graphics(t0, t[rows], c[rows], color, sigma))
        packets.append(packet)
    return packets


def fused_packet(
    track_id: str,
    time_ns: int,
    state: ArrayLike,
    cov: ArrayLike,
    status: str,
    sources: Iterable[str],
    sigma: float = SIGMA_SCALE,
) -> dict[str, Any]:
    """A system track at one epoch (``id`` ``fused/<track_id>``), with its uncertainty.

    ``state``: ECEF position (and velocity), m; ``cov``: its covariance (n x n, n >= 3);
    ``sources``: ``<tracker>/<track_id>`` of the national tracks fused into it.
    """
    radii, quat = position_ellipsoids(np.asarray(cov, dtype=np.float64)[None], sigma)
    return {
        "id": f"fused/{track_id}",
        "name": track_id,
        "properties": {
            "kind": "fused",
            "tracker": JOINT,
            "status": status,
            "time": iso_utc(time_ns),
            "sources": list(sources),
        },
        "position": {
            "referenceFrame": "FIXED",
            "cartesian": np.asarray(state, dtype=np.float64)[:3].tolist(),
        },
        "point": {"pixelSize": 10, "color": _rgba(FUSED_RGBA)},
        "ellipsoid": {
            "radii": {"cartesian": radii[0].tolist()},
            "material": {"solidColor": {"color": _rgba(FUSED_RGBA, 80)}},
        },
        "orientation": {"unitQuaternion": quat[0].tolist()},
    }


def _column(table: pa.Table, name: str, where: str) -> pa.ChunkedArray:
    if name not in table.column_names:
        from tracklayer.errors import InputFormatError

        raise InputFormatError(f"{where}: column {name!r} is missing")
    return table.column(name)


def _strings(table: pa.Table, name: str, where: str) -> list[str]:
    col = _column(table, name, where)
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, pa.string())
    return [str(v) for v in col.to_pylist()]


def _time_ns(table: pa.Table, where: str) -> NDArray[np.int64]:
    col = pc.cast(_column(table, "time", where), pa.timestamp("ns", tz="UTC"))
    return np.asarray(pc.cast(col, pa.int64()).to_numpy(), dtype=np.int64)


def _xyz(table: pa.Table, where: str) -> NDArray[np.float64]:
    cols = [_column(table, c, where).to_numpy() for c in ("x", "y", "z")]
    return np.column_stack(cols).astype(np.float64).reshape(-1, 3)


def _object_packets(
    kind: str,
    ids: list[str],
    time_ns: NDArray[np.int64],
    pos: NDArray[np.float64],
    info: dict[str, dict[str, str]],
    max_samples: int | None,
) -> list[dict[str, Any]]:
    packets: list[dict[str, Any]] = []
    for key, rows in _groups(ids, time_ns):
        rows = rows[_thin(len(rows), max_samples)]
        t0, t1 = int(time_ns[rows[0]]), int(time_ns[rows[-1]])
        props = {"kind": kind, **info.get(key, {})}
        if kind == "satellite":
            color = tracker_rgba(props.get("owner", "")) if "owner" in props else [190, 242, 100]
            graphics: dict[str, Any] = {
                "point": {"pixelSize": 4, "color": _rgba(color)},
                "path": {
                    "width": 1,
                    "leadTime": 0,
                    "trailTime": SATELLITE_PATH_S,
                    "resolution": 60,
                    "material": {"solidColor": {"color": _rgba(color, 140)}},
                },
            }
            degree = 5  # ECEF orbits are smooth: Lagrange 5 holds to metres at 60 s steps.
        else:
            graphics = {
                "point": {"pixelSize": 7, "color": _rgba(TRUTH_RGBA)},
                "path": {
                    "width": 2,
                    "leadTime": 0,
                    "trailTime": (t1 - t0) * 1e-9 + 1.0,
                    "resolution": 5,
                    "material": {"solidColor": {"color": _rgba(TRUTH_RGBA)}},
                },
            }
            degree = 1
        packets.append(
            {
                "id": f"{kind}/{key}",
                "name": key,
                "availability": f"{iso_utc(t0)}/{iso_utc(t1)}",
                "properties": props,
                "position": _sampled(t0, time_ns[rows], pos[rows], degree),
                **graphics,
            }
        )
    return packets


def _satellite_properties(satellites: pa.Table | None) -> dict[str, dict[str, str]]:
    """Satellite id to its ``owner``, ``constellation`` and ``sensor`` (those present)."""
    if satellites is None or satellites.num_rows == 0:
        return {}
    sat_ids = _strings(satellites, "sat_id", "satellites")
    cols = {
        c: _strings(satellites, c, "satellites")
        for c in ("owner", "constellation", "sensor")
        if c in satellites.column_names
    }
    return {s: {c: v[i] for c, v in cols.items()} for i, s in enumerate(sat_ids)}


def scene_czml(
    truth: pa.Table | None = None,
    tracks: pa.Table | None = None,
    ephemeris: pa.Table | None = None,
    satellites: pa.Table | None = None,
    *,
    epoch: datetime | None = None,
    name: str = "tracklayer run",
    max_samples: int = 400,
    multiplier: float = 10.0,
) -> list[dict[str, Any]]:
    """A run's scene as a CZML document: satellites, threat truth and tracks over time.

    Parameters
    ----------
    truth : pyarrow.Table, optional
        The ``truth`` table (``object_id``, ``kind``, ``time``, ``x, y, z`` ECEF m, ...):
        one red packet per threat, its whole flown path drawn behind it.
    tracks : pyarrow.Table, optional
        The ``tracks`` table: one packet per (tracker, track), with its 3-sigma position
        ellipsoid over time when ``cov`` is present; tracker ``joint`` is the system track.
    ephemeris : pyarrow.Table, optional
        The ``ephemeris`` table (``sat_id``, ``time``, ``x, y, z``): one packet per
        satellite with the last :data:`SATELLITE_PATH_S` seconds of its path.
    satellites : pyarrow.Table, optional
        The ``satellites`` table; its ``owner``, ``constellation`` and ``sensor`` go into
        each satellite's properties (and the owner picks its colour).
    epoch : datetime, optional
        Scenario epoch (UTC): the clock starts there; default the earliest sample.
    name : str
        Document name.
    max_samples : int
        Most samples kept per object.
    multiplier : float
        Simulated seconds per second when the viewer plays the scene.

    Returns
    -------
    list of dict
        CZML packets, the ``document`` first.
    """
    packets: list[dict[str, Any]] = []
    spans: list[int] = []
    if ephemeris is not None and ephemeris.num_rows:
        where = "ephemeris"
        t = _time_ns(ephemeris, where)
        info = _satellite_properties(satellites)
        ids = _strings(ephemeris, "sat_id", where)
        packets += _object_packets("satellite", ids, t, _xyz(ephemeris, where), info, max_samples)
        spans += [int(t.min()), int(t.max())]
    if truth is not None and truth.num_rows:
        where = "truth"
        t = _time_ns(truth, where)
        ids = _strings(truth, "object_id", where)
        kinds = _strings(truth, "kind", where) if "kind" in truth.column_names else []
        info = {i: {"type": k} for i, k in zip(ids, kinds, strict=False)}
        packets += _object_packets("truth", ids, t, _xyz(truth, where), info, max_samples)
        spans += [int(t.min()), int(t.max())]
    if tracks is not None and tracks.num_rows:
        where = "tracks"
        t = _time_ns(tracks, where)
        cov = None
        if "cov" in tracks.column_names:
            flat = pc.list_flatten(_column(tracks, "cov", where)).to_numpy()
            cov = np.asarray(flat, dtype=np.float64).reshape(-1, 6, 6)
        packets += track_packets(
            _strings(tracks, "tracker", where),
            _strings(tracks, "track_id", where),
            t,
            _xyz(tracks, where),
            _strings(tracks, "status", where),
            cov,
            max_samples=max_samples,
        )
        spans += [int(t.min()), int(t.max())]
    start = _datetime_ns(epoch) if epoch is not None else (min(spans) if spans else None)
    stop = max(spans) if spans else None
    if start is not None and stop is not None:
        start = min(start, stop)
    return [document_packet(name, start, stop, multiplier), *packets]


def write_czml(packets: list[dict[str, Any]], path: Path | str) -> Path:
    """Write CZML packets to ``path`` as compact JSON, atomically (temp file, then rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps(packets, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target

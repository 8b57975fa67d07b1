"""Exports of what a partner may see: CZML for Cesium, Parquet in the ``tracks`` table format.

CZML (https://github.com/AnalyticalGraphicsInc/czml-writer/wiki/CZML-Guide): one packet
per national track with its sampled ECEF positions (``referenceFrame: FIXED``), and one per
system track at the picture's epoch with its 3-sigma position ellipsoid, oriented by the
eigenvectors of the position covariance (``orientation.unitQuaternion`` is ``[x, y, z, w]``,
the rotation from the ellipsoid's axes to ECEF).
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

from tracklayer.service.ingest import ns_to_iso
from tracklayer.service.picture import FusedTracks, TrackRows

__all__ = ["TRACKS_SCHEMA", "czml_document", "tracks_parquet", "tracks_table"]

#: Arrow schema of the ``tracks`` table (DESIGN.md).
TRACKS_SCHEMA = pa.schema(
    [
        ("track_id", pa.string()),
        ("tracker", pa.string()),
        ("time", pa.timestamp("ns", tz="UTC")),
        *((c, pa.float64()) for c in ("x", "y", "z", "vx", "vy", "vz")),
        ("cov", pa.list_(pa.float64(), 36)),
        ("status", pa.string()),
    ]
)
_SIGMA_SCALE = 3.0


def tracks_table(national: TrackRows, fused: FusedTracks | None = None) -> pa.Table:
    """National states (and system tracks, ``tracker="joint"``) as one ``tracks`` table."""
    n_f = 0 if fused is None else len(fused)
    state = national.state if fused is None else np.concatenate([national.state, fused.state])
    cov = national.cov if fused is None else np.concatenate([national.cov, fused.cov])
    time_ns = national.time_ns
    ids = [str(v) for v in national.track_id]
    trackers = [str(v) for v in national.tracker]
    status = [str(v) for v in national.status]
    if fused is not None:
        time_ns = np.concatenate([time_ns, np.full(n_f, fused.time_ns, dtype=np.int64)])
        ids += fused.track_id
        trackers += ["joint"] * n_f
        status += fused.status
    flat = pa.array(np.ascontiguousarray(cov).reshape(-1), type=pa.float64())
    columns: dict[str, Any] = {
        "track_id": pa.array(ids, type=pa.string()),
        "tracker": pa.array(trackers, type=pa.string()),
        "time": pa.array(time_ns.astype(np.int64), type=pa.timestamp("ns", tz="UTC")),
        **{c: pa.array(state[:, i]) for i, c in enumerate(("x", "y", "z", "vx", "vy", "vz"))},
        "cov": pa.FixedSizeListArray.from_arrays(flat, 36),
        "status": pa.array(status, type=pa.string()),
    }
    return pa.table(columns, schema=TRACKS_SCHEMA)


def tracks_parquet(national: TrackRows, fused: FusedTracks | None = None) -> bytes:
    """The :func:`tracks_table` as Parquet file bytes (zstd)."""
    sink = io.BytesIO()
    pq.write_table(tracks_table(national, fused), sink, compression="zstd")
    return sink.getvalue()


def _color(key: str) -> list[int]:
    # A stable colour per tracker, so a partner's tracks look the same in every export.
    h = hashlib.sha256(key.encode()).digest()
    return [64 + h[0] % 192, 64 + h[1] % 192, 64 + h[2] % 192, 255]


def _ellipsoid(cov: NDArray[np.float64]) -> dict[str, Any]:
    eigval, eigvec = np.linalg.eigh(cov[:3, :3])
    if np.linalg.det(eigvec) < 0:
        eigvec[:, 0] = -eigvec[:, 0]
    radii = _SIGMA_SCALE * np.sqrt(np.clip(eigval, 0.0, None))
    quat = Rotation.from_matrix(eigvec).as_quat()
    return {
        "ellipsoid": {
            "radii": {"cartesian": radii.tolist()},
            "material": {"solidColor": {"color": {"rgba": [255, 255, 255, 80]}}},
        },
        "orientation": {"unitQuaternion": quat.tolist()},
    }


def czml_document(partner: str, history: TrackRows, fused: FusedTracks | None) -> list[Any]:
    """A CZML document: national track histories and the fused tracks, for one partner."""
    times = history.time_ns
    if fused is not None:
        times = np.concatenate([times, [fused.time_ns]])
    doc: dict[str, Any] = {"id": "document", "name": f"tracklayer picture for {partner}"}
    doc["version"] = "1.0"
    if len(times):
        start, stop = ns_to_iso(int(times.min())), ns_to_iso(int(times.max()))
        doc["clock"] = {"interval": f"{start}/{stop}", "currentTime": stop, "multiplier": 1}
    packets: list[Any] = [doc]
    keys = np.array([f"{t}/{k}" for t, k in zip(history.tracker, history.track_id, strict=True)])
    for key in sorted(set(keys.tolist())):
        rows = np.flatnonzero(keys == key)
        t0 = int(history.time_ns[rows[0]])
        samples = np.column_stack(
            [(history.time_ns[rows] - t0) * 1e-9, history.state[rows, :3]]
        ).reshape(-1)
        tracker = str(history.tracker[rows[0]])
        packets.append(
            {
                "id": f"track/{key}",
                "name": key,
                "availability": f"{ns_to_iso(t0)}/{ns_to_iso(int(history.time_ns[rows[-1]]))}",
                "properties": {"tracker": tracker, "status": str(history.status[rows[-1]])},
                "position": {
                    "referenceFrame": "FIXED",
                    "epoch": ns_to_iso(t0),
                    "cartesian": samples.tolist(),
                    "interpolationAlgorithm": "LAGRANGE",
                    "interpolationDegree": 1,
                },
                "point": {"pixelSize": 6, "color": {"rgba": _color(tracker)}},
                "path": {
                    "width": 1,
                    "material": {"solidColor": {"color": {"rgba": _color(tracker)}}},
                },
            }
        )
    if fused is not None:
        for i, track_id in enumerate(fused.track_id):
            packets.append(
                {
                    "id": f"fused/{track_id}",
                    "name": track_id,
                    "properties": {
                        "tracker": "joint",
                        "status": fused.status[i],
                        "sources": [f"{t}/{k}" for t, k in fused.sources[i]],
                    },
                    "position": {
                        "referenceFrame": "FIXED",
                        "cartesian": fused.state[i, :3].tolist(),
                    },
                    "point": {"pixelSize": 10, "color": {"rgba": [255, 255, 255, 255]}},
                    **_ellipsoid(fused.cov[i]),
                }
            )
    return packets

"""Exports of what a partner may see: CZML for Cesium, Parquet in the ``tracks`` table format.

CZML (written by :mod:`tracklayer.io.czml`, shared with run scenes): one packet per
national track with its sampled ECEF positions (``referenceFrame: FIXED``) and 3-sigma
position ellipsoids, and one per system track at the picture's epoch with its 3-sigma
position ellipsoid, oriented by the eigenvectors of the position covariance.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tracklayer.io.czml import document_packet, fused_packet, track_packets
from tracklayer.service.picture import FusedTracks, TrackRows
from tracklayer.vocabulary import FUSED, TRACKS_SCHEMA

__all__ = ["TRACKS_SCHEMA", "czml_document", "tracks_parquet", "tracks_table"]


def tracks_table(national: TrackRows, fused: FusedTracks | None = None) -> pa.Table:
    """National states (and system tracks, ``tracker="fused"``) as one ``tracks`` table."""
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
        trackers += [FUSED] * n_f
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


def czml_document(partner: str, history: TrackRows, fused: FusedTracks | None) -> list[Any]:
    """A CZML document: national track histories and the fused tracks, for one partner.

    The packets are those of :mod:`tracklayer.io.czml` (the same as a run's scene):
    ``track/<tracker>/<track_id>`` with sampled positions and 3-sigma ellipsoids, and
    ``fused/<track_id>`` at the picture's epoch with its ``sources``.
    """
    times = history.time_ns
    if fused is not None:
        times = np.concatenate([times, [fused.time_ns]])
    start, stop = (int(times.min()), int(times.max())) if len(times) else (None, None)
    # The clock opens on the latest state: the picture as it stands now.
    name = f"tracklayer picture for {partner}"
    packets: list[Any] = [document_packet(name, start, stop, current_ns=stop)]
    packets += track_packets(
        [str(v) for v in history.tracker],
        [str(v) for v in history.track_id],
        history.time_ns,
        history.state[:, :3],
        [str(v) for v in history.status],
        history.cov,
    )
    if fused is not None:
        packets += [
            fused_packet(
                track_id,
                fused.time_ns,
                fused.state[i],
                fused.cov[i],
                fused.status[i],
                [f"{t}/{k}" for t, k in fused.sources[i]],
            )
            for i, track_id in enumerate(fused.track_id)
        ]
    return packets

"""An exercise's detections sent as CCSDS TDM files instead of JSON.

The service's TDM route takes one sensor per message, with the sensor's place as query
parameters: a space sensor's ECEF position at the message's epochs (``RADEC`` angles in
ITRF), or a ground sensor's geodetic site (``AZEL`` angles, and ranges). So each message of
detections becomes one TDM per sensor frame (sensor and time). A TDM carries no per-
observation uncertainty: the message's ``sigma_rad`` (and ``sigma_range_m``) is the largest
of its detections', a conservative bound. Its ``CREATION_DATE`` is the frame's time, so a
resumed exercise re-sends the very same text under the same id.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.exercise.plan import ExerciseMessage
from tracklayer.frames import ecef_to_geodetic
from tracklayer.io.tdm import tdm_text

__all__ = ["tdm_messages", "tdm_post"]

_LOS = ("los_x", "los_y", "los_z")
_SENSOR = ("sensor_x", "sensor_y", "sensor_z")


def tdm_messages(messages: list[ExerciseMessage]) -> list[ExerciseMessage]:
    """``messages`` with each detection message split into one TDM message per sensor
    frame (id ``<message id>:tdm<k>``, same due time and release)."""
    out: list[ExerciseMessage] = []
    for msg in messages:
        if msg.kind != "detections":
            out.append(msg)
            continue
        rows = msg.rows.sort_by([("sensor_id", "ascending"), ("time", "ascending")])
        sensors = np.asarray(rows["sensor_id"].to_pylist(), dtype=object)
        times = np.asarray(pc.cast(rows["time"], pa.int64()))
        cut = np.flatnonzero(
            np.r_[True, (sensors[1:] != sensors[:-1]) | (times[1:] != times[:-1]), True]
        )
        for k, (lo, hi) in enumerate(zip(cut[:-1].tolist(), cut[1:].tolist(), strict=True)):
            out.append(
                replace(
                    msg,
                    message_id=f"{msg.message_id}:tdm{k}",
                    rows=rows.slice(lo, hi - lo),
                    kind="tdm",
                )
            )
    return out


def _release(release: Any) -> str:
    return "all" if release == "all" else ",".join(sorted(release))


def tdm_post(msg: ExerciseMessage) -> tuple[str, dict[str, Any]]:
    """The TDM text and the query of one TDM message (one sensor frame)."""
    rows = msg.rows
    time_ns = np.asarray(pc.cast(rows["time"], pa.int64()))
    los = np.column_stack([np.asarray(rows[c], dtype=np.float64) for c in _LOS])
    sensor = np.asarray([rows[c][0].as_py() for c in _SENSOR], dtype=np.float64)
    params: dict[str, Any] = {
        "message_id": msg.message_id,
        "sensor_kind": rows["sensor_kind"][0].as_py(),
        "sigma_rad": float(pc.max(rows["sigma_rad"]).as_py()),
        "releasable_to": _release(msg.releasable_to),
    }
    ranges = rows["range_m"] if "range_m" in rows.column_names else None
    site = None
    range_m = None
    if ranges is not None and ranges.null_count == 0 and rows.num_rows:
        lat, lon, alt = ecef_to_geodetic(sensor)
        site = (float(lat), float(lon))
        range_m = np.asarray(ranges, dtype=np.float64)
        params |= {
            "site_lat_deg": float(np.degrees(lat)),
            "site_lon_deg": float(np.degrees(lon)),
            "site_alt_m": float(alt),
            "sigma_range_m": float(pc.max(rows["sigma_range_m"]).as_py()),
        }
    else:
        params |= dict(
            zip(("sensor_x_m", "sensor_y_m", "sensor_z_m"), sensor.tolist(), strict=True)
        )
    created = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(time_ns[0]) // 1000)
    text = tdm_text(
        str(rows["sensor_id"][0].as_py()),
        time_ns,
        los,
        range_m=range_m,
        site_lat_lon_rad=site,
        creation_date=created,
    )
    return text, params

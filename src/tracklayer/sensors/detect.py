"""The sensing stage: ephemeris + truth + payloads + radars -> the ``detections`` table.

Columns of ``detections`` (one row per detection, sorted by time, then sensor_id, then a
fixed order within a frame: target detections before false alarms):

=================  ========================  ==============================================
column             type                      meaning
=================  ========================  ==============================================
det_id             int64                     0, 1, 2... in table order
sensor_id          string                    satellite ``sat_id`` or radar ``name``
sensor_kind        string                    ``ir`` or ``radar``
owner              string                    ISO 3166-1 alpha-3 code of the sensor's owner
time               timestamp[ns, UTC]        time of the frame or look
los_x, los_y, los_z  float64                 measured unit line of sight, sensor to
                                             target, ECEF
sensor_x..sensor_z float64                   reported sensor position, ECEF, m (satellites:
                                             with the ephemeris error)
sigma_rad          float64                   line-of-sight standard deviation per axis
                                             normal to it, rad
snr                float64                   measured SNR (IR: irradiance over noise;
                                             radar: linear power ratio)
range_m            float64 (null for IR)     measured range, m
sigma_range_m      float64 (null for IR)     range standard deviation, m
truth_id           string (null: false alarm)  truth ``object_id``; for scoring only, a
                                             tracker never reads it
background         string (null for radar)   what the sensor looked against: ``earth``,
                                             ``limb`` or ``space``
daylight           bool (null for radar)     that background (against space: the target)
                                             in sunlight
=================  ========================  ==============================================

Randomness: one ``seed``; independent streams (NumPy ``SeedSequence.spawn``) for the
infrared payloads, the radars and the clouds, so the same inputs and seed give identical
tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.frames import utc_timestamps
from tracklayer.sensors.background import BACKGROUND_KINDS
from tracklayer.sensors.environment import EnvironmentConfig
from tracklayer.sensors.geometry import VisibilityConstraints
from tracklayer.sensors.infrared import infrared_detections
from tracklayer.sensors.ir_config import InfraredParameters
from tracklayer.sensors.measurements import Measurements
from tracklayer.sensors.phenomenology import scene_setting
from tracklayer.sensors.radar import radar_detections
from tracklayer.sensors.radar_config import GroundRadar
from tracklayer.sensors.targets import targets_from_truth
from tracklayer.space.catalog import SatelliteCatalog
from tracklayer.space.propagate import Ephemeris
from tracklayer.threats.config import DEFAULT_BANDS_UM

__all__ = [
    "DEFAULT_BANDS_UM",
    "DETECTIONS_SCHEMA",
    "detect",
    "detections_summary",
    "first_detections",
    "sensing_streams",
]

DETECTIONS_SCHEMA = pa.schema(
    [
        ("det_id", pa.int64()),
        ("sensor_id", pa.string()),
        ("sensor_kind", pa.string()),
        ("owner", pa.string()),
        ("time", pa.timestamp("ns", tz="UTC")),
        ("los_x", pa.float64()),
        ("los_y", pa.float64()),
        ("los_z", pa.float64()),
        ("sensor_x", pa.float64()),
        ("sensor_y", pa.float64()),
        ("sensor_z", pa.float64()),
        ("sigma_rad", pa.float64()),
        ("snr", pa.float64()),
        ("range_m", pa.float64()),
        ("sigma_range_m", pa.float64()),
        ("truth_id", pa.string()),
        ("background", pa.string()),
        ("daylight", pa.bool_()),
    ]
)


def sensing_streams(seed: int) -> list[np.random.SeedSequence]:
    """The independent random streams of the infrared payloads, radars and clouds."""
    return np.random.SeedSequence(seed).spawn(3)


def detect(
    catalog: SatelliteCatalog,
    ephemeris: Ephemeris,
    truth: pa.Table,
    payloads: Mapping[str, tuple[VisibilityConstraints, InfraredParameters]],
    radars: Sequence[GroundRadar] = (),
    *,
    seed: int,
    bands: Mapping[str, tuple[float, float]] | None = None,
    light_time: bool = True,
    environment: EnvironmentConfig | None = None,
) -> pa.Table:
    """Every detection of the satellites' infrared payloads and the ground radars.

    Parameters
    ----------
    catalog
        The satellites (N); ``catalog.sensor[i]`` names satellite i's payload.
    ephemeris
        Their states on the sensing time grid, ``r_ecef`` of shape ``(N, T, 3)``.
    truth
        The threats' ``truth`` table; it is interpolated onto the ephemeris times.
    payloads
        Payload name -> (visibility constraints, infrared parameters). Satellites whose
        payload is not in the mapping carry no infrared sensor and detect nothing.
    radars
        Ground radar sites; their looks fall on the same time grid.
    seed
        Seed of every random draw.
    bands
        Band name -> [low, high] µm, the scenario's ``threats.bands`` (default swir and mwir).
    light_time
        End lines of sight on the light-time-corrected target position.
    environment
        Model atmosphere and clouds (default: ``auto`` atmosphere, climatological clouds).

    Returns
    -------
    pyarrow.Table
        The ``detections`` table (:data:`DETECTIONS_SCHEMA`, module notes).

    Raises
    ------
    ValueError
        A payload's band is not among ``bands``, or catalog and ephemeris disagree.
    tracklayer.errors.InputFormatError
        The truth table lacks a column.
    """
    band_map = dict(DEFAULT_BANDS_UM if bands is None else bands)
    names = sorted(payloads)
    _check_inputs(catalog, ephemeris, payloads, band_map)
    used_bands = {payloads[nm][1].band for nm in names}
    targets = targets_from_truth(truth, ephemeris.epoch, ephemeris.seconds, used_bands)
    lookup = {nm: i for i, nm in enumerate(names)}
    payload_of = np.array([lookup.get(str(s), -1) for s in catalog.sensor], dtype=np.int64)
    ir_seq, radar_seq, cloud_seq = sensing_streams(seed)
    setting = scene_setting(
        EnvironmentConfig() if environment is None else environment,
        targets,
        ephemeris.epoch,
        ephemeris.seconds,
        np.random.default_rng(cloud_seq),
    )
    run = infrared_detections(
        ephemeris.r_ecef,
        ephemeris.valid,
        ephemeris.seconds,
        targets,
        [payloads[nm] for nm in names],
        payload_of,
        band_map,
        np.random.default_rng(ir_seq),
        light_time=light_time,
        setting=setting,
    )
    rad = radar_detections(radars, ephemeris.seconds, targets, np.random.default_rng(radar_seq))
    return _satellites_and_radars_table(
        run.measurements, rad, catalog, radars, ephemeris, [str(o) for o in targets.object_id]
    )


def _check_inputs(
    catalog: SatelliteCatalog,
    ephemeris: Ephemeris,
    payloads: Mapping[str, tuple[VisibilityConstraints, InfraredParameters]],
    band_map: Mapping[str, tuple[float, float]],
) -> None:
    """Refuse a catalog and ephemeris of different sizes and a payload whose band is not
    among ``band_map`` (:class:`ValueError` naming them)."""
    if len(catalog) != ephemeris.n_satellites:
        raise ValueError(
            f"catalog has {len(catalog)} satellites but ephemeris {ephemeris.n_satellites}"
        )
    for name in sorted(payloads):
        band = payloads[name][1].band
        if band not in band_map:
            raise ValueError(
                f"sensor {name!r}: band {band!r} is not one of the bands {sorted(band_map)}"
            )


def _satellites_and_radars_table(
    infrared: Measurements,
    radar: Measurements,
    catalog: SatelliteCatalog,
    radars: Sequence[GroundRadar],
    ephemeris: Ephemeris,
    target_ids: list[str],
) -> pa.Table:
    """The ``detections`` table of the satellites' infrared measurements and the radars'
    (radar sensors numbered after the satellites)."""
    sensor_ids = [str(s) for s in catalog.sat_id] + [r.name for r in radars]
    owners = [str(o) for o in catalog.owner] + [r.owner for r in radars]
    kinds = ["ir"] * len(catalog) + ["radar"] * len(radars)
    shifted = Measurements(**{**radar.__dict__, "sensor": radar.sensor + len(catalog)})
    both = Measurements.concatenate([infrared, shifted])
    return detections_table(both, ephemeris, sensor_ids, owners, kinds, target_ids)


def detections_table(
    meas: Measurements,
    ephemeris: Ephemeris,
    sensor_ids: Sequence[str],
    owners: Sequence[str],
    kinds: Sequence[str],
    object_ids: Sequence[str],
) -> pa.Table:
    """Sort measurements by (time, sensor_id) and lay them out as the ``detections`` table."""
    rank = np.argsort(np.argsort(np.asarray(sensor_ids, dtype=np.str_), kind="stable"))
    order = (
        np.lexsort((np.arange(len(meas)), meas.truth < 0, rank[meas.sensor], meas.time_index))
        if len(meas)
        else np.zeros(0, dtype=np.int64)
    )
    s = meas.sensor[order]
    truth = meas.truth[order]
    ids = pa.array([*sensor_ids, ""], type=pa.string())
    obj = pa.array([*object_ids, ""], type=pa.string())
    truth_col = pc.if_else(
        pa.array(truth < 0),
        pa.nulls(truth.size, pa.string()),
        obj.take(pa.array(np.where(truth < 0, len(object_ids), truth))),
    )
    ir_row = np.asarray(kinds, dtype=np.str_)[s] == "ir" if len(s) else np.zeros(0, dtype=bool)
    rng_m = meas.range_m[order]
    bg = meas.background_codes()[order]
    sig_r = meas.sigma_range_m[order]
    cols = {
        "det_id": pa.array(np.arange(len(meas), dtype=np.int64)),
        "sensor_id": ids.take(pa.array(s)),
        "sensor_kind": pa.array([*kinds, ""], type=pa.string()).take(pa.array(s)),
        "owner": pa.array([*owners, ""], type=pa.string()).take(pa.array(s)),
        "time": utc_timestamps(ephemeris.epoch, ephemeris.seconds[meas.time_index[order]])
        if len(meas)
        else pa.array([], type=pa.timestamp("ns", tz="UTC")),
        "los_x": pa.array(meas.los[order, 0]),
        "los_y": pa.array(meas.los[order, 1]),
        "los_z": pa.array(meas.los[order, 2]),
        "sensor_x": pa.array(meas.sensor_pos[order, 0]),
        "sensor_y": pa.array(meas.sensor_pos[order, 1]),
        "sensor_z": pa.array(meas.sensor_pos[order, 2]),
        "sigma_rad": pa.array(meas.sigma_rad[order]),
        "snr": pa.array(meas.snr[order]),
        "range_m": pa.array(rng_m, mask=ir_row),
        "sigma_range_m": pa.array(sig_r, mask=ir_row),
        "truth_id": truth_col,
        "background": pa.array([*BACKGROUND_KINDS, None], type=pa.string()).take(
            pa.array(np.where(bg < 0, len(BACKGROUND_KINDS), bg))
        ),
        "daylight": pa.array(meas.daylight_flags()[order], mask=bg < 0),
    }
    return pa.table(cols, schema=DETECTIONS_SCHEMA)


def first_detections(detections: pa.Table, epoch_time: pa.Scalar | None = None) -> pa.Table:
    """Time of each threat's first detection per sensor kind (and per owner).

    Returns a table ``truth_id, sensor_kind, owner, first_time`` (one row per combination
    seen), and rows with ``owner = 'ALL'`` for each kind across owners; sorted by truth_id,
    sensor_kind, owner.
    """
    real = detections.filter(pc.is_valid(detections.column("truth_id")))
    per_owner = real.group_by(["truth_id", "sensor_kind", "owner"]).aggregate([("time", "min")])
    per_kind = real.group_by(["truth_id", "sensor_kind"]).aggregate([("time", "min")])
    per_kind = per_kind.append_column("owner", pa.array(["ALL"] * per_kind.num_rows, pa.string()))
    cols = ["truth_id", "sensor_kind", "owner", "time_min"]
    out = pa.concat_tables([per_owner.select(cols), per_kind.select(cols)])
    out = out.rename_columns(["truth_id", "sensor_kind", "owner", "first_time"])
    return out.sort_by(
        [("truth_id", "ascending"), ("sensor_kind", "ascending"), ("owner", "ascending")]
    )


def detections_summary(detections: pa.Table) -> pa.Table:
    """Counts per owner and sensor kind: detections, false alarms, threats detected.

    Returns a table ``owner, sensor_kind, detections, false_alarms, threats_detected``, sorted
    by owner and kind, for printing and plots.
    """
    t = detections.select(["owner", "sensor_kind", "truth_id"])
    fa = pc.is_null(t.column("truth_id"))
    t = t.append_column("fa", pc.cast(fa, pa.int64()))
    g = t.group_by(["owner", "sensor_kind"]).aggregate(
        [("fa", "count"), ("fa", "sum"), ("truth_id", "count_distinct")]
    )
    g = pa.table(
        {
            "owner": g.column("owner"),
            "sensor_kind": g.column("sensor_kind"),
            "detections": g.column("fa_count"),
            "false_alarms": g.column("fa_sum"),
            # count_distinct counts valid values only: false alarms (null) are not a threat.
            "threats_detected": g.column("truth_id_count_distinct"),
        }
    )
    return g.sort_by([("owner", "ascending"), ("sensor_kind", "ascending")])

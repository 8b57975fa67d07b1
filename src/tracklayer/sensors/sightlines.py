"""Why a threat could or could not be seen: each owner's lines of sight to each threat.

For every threat in flight, grid time and owner, how many of the owner's infrared
satellites had

1. a **clear line** of sight: it clears the Earth and the payload's grazing shell
   (:func:`tracklayer.sensors.geometry.earth_clear`; blocked means the threat is below the
   satellite's horizon or behind the Earth's limb);
2. the threat **in their field of regard**: the clear line also meets the payload's field
   of regard, range and elevation limits (:func:`tracklayer.sensors.geometry.visible`, the
   exact test the sensing stage applies);
3. the threat **in view**: in the field of regard and above the cloud top over its launch
   (the sensing stage's cloud draw, :func:`tracklayer.sensors.phenomenology.scene_setting`;
   a target below it is hidden, zero transmission).

A threat in view of some satellite and still not detected was below the noise (too faint
for the threshold against its background, a pixel the background saturates, or the Sun's
exclusion). These counts are the sensing stage's geometry without its frame timing: a
satellite whose revisit skips a grid time still counts there.

Valid for the sensing stage's geometry (line-of-sight ends on the true position; the
light-time shift, under 1 km, is left out) and only for infrared payloads; ground radars
are not counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from tracklayer.constants import WGS84_A_M
from tracklayer.frames import utc_timestamps
from tracklayer.sensors.detect import sensing_streams
from tracklayer.sensors.environment import EnvironmentConfig
from tracklayer.sensors.geometry import VisibilityConstraints, visible
from tracklayer.sensors.pairs import visible_pairs
from tracklayer.sensors.phenomenology import scene_setting
from tracklayer.sensors.targets import targets_from_truth
from tracklayer.space.catalog import SatelliteCatalog
from tracklayer.space.propagate import Ephemeris

__all__ = ["SIGHTLINES_SCHEMA", "sightline_counts", "sightlines", "sightlines_table"]

SIGHTLINES_SCHEMA = pa.schema(
    [
        ("object_id", pa.string()),
        ("owner", pa.string()),
        ("time", pa.timestamp("ns", tz="UTC")),
        ("sats_clear", pa.int32()),  # the owner's satellites with a clear line of sight
        ("sats_in_regard", pa.int32()),  # ... that also hold it in their field of regard
        ("sats_in_view", pa.int32()),  # ... with the threat above the cloud top
    ]
)


def sightline_counts(
    sensor_pos: NDArray[np.float64],
    sensor_valid: NDArray[np.bool_],
    target_pos: NDArray[np.float64],
    target_alive: NDArray[np.bool_],
    constraints: Sequence[VisibilityConstraints],
    constraint_of: NDArray[np.int64],
    owner_of: NDArray[np.int64],
    n_owners: int,
    cloud_top_m: NDArray[np.float64],
) -> NDArray[np.int32]:
    """Satellites with a clear line, the threat in regard, and in view, per owner.

    Parameters
    ----------
    sensor_pos
        Satellite ECEF positions, m, shape ``(N, T, 3)``.
    sensor_valid
        Valid ephemeris, shape ``(N, T)``.
    target_pos
        Threat ECEF positions, m, shape ``(M, T, 3)`` (NaN where not flying).
    target_alive
        Where each threat flies, shape ``(M, T)``.
    constraints
        The payloads' visibility constraints.
    constraint_of
        Payload index of each satellite, -1 for one without an infrared payload, ``(N,)``.
    owner_of
        Owner index of each satellite, ``(N,)``, in ``0 .. n_owners - 1``.
    n_owners
        Number of owners.
    cloud_top_m
        Cloud-top altitude over each threat's launch, m, shape ``(M,)``.

    Returns
    -------
    ndarray of int32, shape ``(M, T, n_owners, 3)``
        Counts of satellites with a clear line, in regard, in view (module notes).
    """
    m, t = target_alive.shape
    counts = np.zeros((m, t, n_owners, 3), dtype=np.int32)
    sensing = constraint_of >= 0
    if not constraints or not sensing.any() or m == 0:
        return counts
    p_of = np.where(sensing, constraint_of, 0)
    grazing_only = [
        VisibilityConstraints(grazing_altitude_m=c.grazing_altitude_m) for c in constraints
    ]
    pairs = visible_pairs(
        sensor_pos,
        sensor_valid & sensing[:, None],
        target_pos,
        np.zeros_like(target_pos),
        target_alive,
        grazing_only,
        p_of,
        light_time=False,
    )
    in_regard = np.zeros(len(pairs), dtype=bool)
    payload = p_of[pairs.sensor]
    for p, c in enumerate(constraints):
        sel = np.flatnonzero(payload == p)
        if sel.size:
            in_regard[sel] = visible(pairs.sensor_pos[sel], pairs.target_pos[sel], c)
    altitude = np.linalg.norm(pairs.target_pos, axis=-1) - WGS84_A_M
    in_view = in_regard & (altitude >= cloud_top_m[pairs.target])
    where = (pairs.target, pairs.time_index, owner_of[pairs.sensor])
    for level, hit in enumerate((np.ones(len(pairs), dtype=bool), in_regard, in_view)):
        np.add.at(counts[..., level], tuple(w[hit] for w in where), 1)
    return counts


def sightlines_table(
    counts: NDArray[np.int32],
    target_alive: NDArray[np.bool_],
    object_ids: Sequence[str],
    owners: Sequence[str],
    ephemeris: Ephemeris,
) -> pa.Table:
    """The ``sightlines`` table: a row per threat in flight, grid time and owner.

    Parameters
    ----------
    counts
        :func:`sightline_counts`, shape ``(M, T, O, 3)``.
    target_alive
        Where each threat flies, shape ``(M, T)``.
    object_ids, owners
        Threat ids (M) and owner codes (O).
    ephemeris
        The sensing time grid (its epoch and seconds).

    Returns
    -------
    pyarrow.Table
        :data:`SIGHTLINES_SCHEMA`, sorted by threat, time and owner.
    """
    obj, k = np.nonzero(target_alive)
    n_own = len(owners)
    obj, k = np.repeat(obj, n_own), np.repeat(k, n_own)
    own = np.tile(np.arange(n_own), obj.size // max(n_own, 1))
    c = counts[obj, k, own]
    return pa.table(
        {
            "object_id": pa.array(
                np.asarray(object_ids, dtype=str)[obj] if obj.size else [], pa.string()
            ),
            "owner": pa.array(np.asarray(owners, dtype=str)[own] if own.size else [], pa.string()),
            "time": utc_timestamps(ephemeris.epoch, ephemeris.seconds[k]),
            "sats_clear": pa.array(c[:, 0], pa.int32()),
            "sats_in_regard": pa.array(c[:, 1], pa.int32()),
            "sats_in_view": pa.array(c[:, 2], pa.int32()),
        },
        schema=SIGHTLINES_SCHEMA,
    )


def sightlines(
    catalog: SatelliteCatalog,
    ephemeris: Ephemeris,
    truth: pa.Table,
    constraints: Mapping[str, VisibilityConstraints],
    *,
    seed: int,
    environment: EnvironmentConfig | None = None,
) -> pa.Table:
    """The ``sightlines`` table of a raid, on the sensing stage's grid and cloud draw.

    Parameters
    ----------
    catalog, ephemeris
        The satellites and their states, as :func:`tracklayer.sensors.detect.detect` takes.
    truth
        The threats' ``truth`` table.
    constraints
        Payload name -> visibility constraints, for the payloads that sense.
    seed, environment
        The scenario's seed and environment (the clouds drawn as the sensing stage does).

    Returns
    -------
    pyarrow.Table
        :data:`SIGHTLINES_SCHEMA` (module notes).
    """
    targets = targets_from_truth(truth, ephemeris.epoch, ephemeris.seconds, ())
    setting = scene_setting(
        EnvironmentConfig() if environment is None else environment,
        targets,
        ephemeris.epoch,
        ephemeris.seconds[:0],
        np.random.default_rng(sensing_streams(seed)[2]),
    )
    names = sorted(constraints)
    lookup = {name: i for i, name in enumerate(names)}
    payload_of = np.array([lookup.get(str(s), -1) for s in catalog.sensor], dtype=np.int64)
    owners, owner_of = np.unique(np.asarray([str(o) for o in catalog.owner]), return_inverse=True)
    counts = sightline_counts(
        ephemeris.r_ecef,
        ephemeris.valid,
        targets.position,
        targets.alive,
        [constraints[name] for name in names],
        payload_of,
        owner_of.astype(np.int64),
        owners.size,
        setting.cloud_top_m,
    )
    return sightlines_table(
        counts, targets.alive, [str(o) for o in targets.object_id], owners.tolist(), ephemeris
    )

"""Custody timelines: per threat and tracker, the intervals it was held, seen, or unseen.

At each truth time a threat in flight is **held** by a tracker when the GOSPA assignment
(Rahmathullah et al. 2017, alpha = 2, the run's cut-off ``c`` and exponent ``p``) matches it
to one of the tracker's scored tracks, taken from its latest frame within one truth step
and propagated at constant velocity to the truth time: the same matching as
:func:`tracklayer.metrics.tracking.tracking_metrics`, so the held time of an interval
table sums to that table's ``custody_fraction``. A threat not held is **seen** when the
tracker's own sensors (its owner's; every owner's for ``joint`` and ``fused``) detected it
within the sensor's last revisit (its median gap between detection times, at least one
truth step), else **unseen**: custody lost with detections means the
tracker failed to hold what it saw; without, the sensors did not see it.

Each interval not held carries its **reason** (:data:`CUSTODY_REASONS`), the first that
applies:

- ``tracker``: two or more of its sensors (or one radar, which ranges) detected the
  threat: the tracker could have triangulated and did not hold it;
- ``single_sensor``: one satellite alone detected it: no stereo pair to start a track;
- ``below_noise``: some of its satellites had the threat in view and none detected it
  (too faint against the background, a saturated pixel, the Sun's exclusion);
- ``cloud``: in some field of regard, but below the cloud top over its launch;
- ``out_of_regard``: clear lines of sight, none inside a field of regard or range limit;
- ``below_horizon``: no line of sight clears the Earth and the grazing shell;
- ``unknown``: not seen, and no ``sightlines`` table to say why.

The last four come from the sensing stage's ``sightlines`` table
(:mod:`tracklayer.sensors.sightlines`).

Valid for truth sampled on a common time grid, as the runs write it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.metrics.gospa import gospa
from tracklayer.tracking.config import TrackingConfig
from tracklayer.vocabulary import SYSTEM_TRACKERS

__all__ = [
    "CUSTODY_REASONS",
    "CUSTODY_SCHEMA",
    "CUSTODY_STATES",
    "ERRORS_SCHEMA",
    "NEES_SCHEMA",
    "NIS_SCHEMA",
    "average_nis",
    "custody_intervals",
    "position_errors",
    "position_nees",
]

#: Interval states, in code order (0, 1, 2).
CUSTODY_STATES = ("unseen", "seen", "held")

#: Why custody was not held, first that applies (module notes); the first two are ``seen``.
CUSTODY_REASONS = (
    "tracker",
    "single_sensor",
    "below_noise",
    "cloud",
    "out_of_regard",
    "below_horizon",
    "unknown",
)
_SEEN_REASONS = 2

CUSTODY_SCHEMA = pa.schema(
    [
        ("object_id", pa.string()),
        ("tracker", pa.string()),
        ("state", pa.string()),  # one of CUSTODY_STATES
        ("reason", pa.string()),  # one of CUSTODY_REASONS; null while held
        ("start_s", pa.float64()),  # s after the threat's launch (its first truth sample)
        ("end_s", pa.float64()),  # exclusive: the next state's start, or last sample + step
    ]
)


NEES_SCHEMA = pa.schema(
    [
        ("tracker", pa.string()),
        ("time", pa.timestamp("ns", tz="UTC")),
        ("n", pa.int64()),  # matched threats averaged
        ("mean_nees", pa.float64()),  # average position NEES (3 degrees of freedom each)
        ("lower", pa.float64()),  # two-sided 95 % chi-square bounds of that average
        ("upper", pa.float64()),
    ]
)


ERRORS_SCHEMA = pa.schema(
    [
        ("tracker", pa.string()),
        ("object_id", pa.string()),
        ("time_s", pa.float64()),  # s after the first truth sample
        ("error_m", pa.float64()),  # position error of the matched track, ECEF, m
    ]
)


def position_errors(truth: pa.Table, tracks: pa.Table, config: TrackingConfig) -> pa.Table:
    """The position error of each threat's matched track at each truth time, per tracker.

    Matching as in :func:`custody_intervals` (GOSPA assignment of the track's latest frame
    within one truth step, propagated at constant velocity to the truth time), so a
    tracker's errors are exactly the matches its held intervals and its ``rmse_pos_m``
    count.

    Returns
    -------
    pyarrow.Table
        :data:`ERRORS_SCHEMA`, one row per tracker, threat and truth time matched.
    """
    epoch_ns, objects, grid, step, dense, alive = _dense_truth(truth, config)
    scored = tracks.filter(pc.is_in(tracks["status"], pa.array(list(config.scoring.statuses))))
    out = []
    for name in sorted(set(tracks["tracker"].to_pylist())):
        m = _match(dense, alive, grid, step, scored.filter(pc.equal(scored["tracker"], name)),
                   epoch_ns, config)  # fmt: skip
        obj, g = np.nonzero(m.row >= 0)
        x = m.states[m.row[obj, g]]
        error = np.linalg.norm(x[:, :3] + m.dt[obj, g][:, None] * x[:, 3:] - dense[obj, g], axis=1)
        out.append(
            pa.table(
                {"tracker": [name] * obj.size, "object_id": objects[obj].tolist(),
                 "time_s": grid[g], "error_m": error},
                schema=ERRORS_SCHEMA,
            )
        )  # fmt: skip
    return pa.concat_tables(out) if out else ERRORS_SCHEMA.empty_table()


NIS_SCHEMA = pa.schema(
    [
        ("tracker", pa.string()),
        ("time", pa.timestamp("ns", tz="UTC")),
        ("n", pa.int64()),  # updates averaged
        ("mean_nis", pa.float64()),  # average NIS (2 degrees of freedom each)
        ("lower", pa.float64()),  # two-sided 95 % chi-square bounds of that average
        ("upper", pa.float64()),
    ]
)


def _seconds(column: pa.ChunkedArray, epoch_ns: int) -> NDArray[np.float64]:
    ns = pc.cast(column, pa.timestamp("ns", tz="UTC")).cast(pa.int64()).to_numpy()
    return np.asarray((ns - epoch_ns) / 1e9, dtype=np.float64)


def custody_intervals(
    truth: pa.Table,
    tracks: pa.Table,
    detections: pa.Table | None,
    config: TrackingConfig,
    sightlines: pa.Table | None = None,
) -> pa.Table:
    """Held, seen and unseen intervals of every threat for every tracker in ``tracks``.

    Parameters
    ----------
    truth
        ``truth`` table (``object_id``, ``time``, ECEF ``x``, ``y``, ``z``, m).
    tracks
        ``tracks`` table (all trackers; rows whose ``status`` is scored count).
    detections
        ``detections`` with ``truth_id`` and ``owner``; None: nothing counts as seen.
    config
        GOSPA cut-off and exponent, scored statuses.
    sightlines
        The sensing stage's ``sightlines`` table; None: unseen intervals' reason is
        ``unknown``.

    Returns
    -------
    pyarrow.Table
        :data:`CUSTODY_SCHEMA`, intervals in time order per threat and tracker.
    """
    epoch_ns, objects, grid, step, dense, alive = _dense_truth(truth, config)
    scored = tracks.filter(pc.is_in(tracks["status"], pa.array(list(config.scoring.statuses))))
    names = sorted(set(tracks["tracker"].to_pylist()))
    out: list[pa.Table] = []
    for name in names:
        mine = scored.filter(pc.equal(scored["tracker"], name))
        held = _match(dense, alive, grid, step, mine, epoch_ns, config).row >= 0
        sensors = _seen(detections, name, objects, grid, step, epoch_ns)
        sight = _sightline_counts(sightlines, name, objects, grid, epoch_ns)
        code = np.where(held, -1, _reasons(sensors, sight))
        out.append(_intervals(code, alive, grid, step, objects, name))
    return pa.concat_tables(out) if out else CUSTODY_SCHEMA.empty_table()


@dataclass(frozen=True)
class _Matches:
    """GOSPA matches of one tracker: per (object, grid time) the matched track row (-1:
    none), the time from that row's frame to the grid time, and the rows' states."""

    row: NDArray[np.int64]
    dt: NDArray[np.float64]
    states: NDArray[np.float64]  # (rows, 6) ECEF position, velocity
    cov: NDArray[np.float64]  # (rows, 6, 6)


def _dense_truth(
    truth: pa.Table, config: TrackingConfig
) -> tuple[
    int, NDArray[np.str_], NDArray[np.float64], float, NDArray[np.float64], NDArray[np.bool_]
]:
    """Epoch (ns), threat ids, time grid (s), its step, positions (objects, grid, 3) with
    NaN where a threat is not flying, and that flying mask."""
    epoch_ns = int(pc.min(truth["time"].cast(pa.int64())).as_py()) if truth.num_rows else 0
    tt = _seconds(truth["time"], epoch_ns)
    object_ids = np.asarray(truth["object_id"].to_pylist(), dtype=str)
    objects, obj = np.unique(object_ids, return_inverse=True)
    grid, gi = np.unique(tt, return_inverse=True)
    step = float(np.median(np.diff(grid))) if grid.size > 1 else config.frame_s
    dense = np.full((objects.size, grid.size, 3), np.nan)
    dense[obj, gi] = np.stack([truth[k].to_numpy() for k in ("x", "y", "z")], axis=1)
    return epoch_ns, objects, grid, step, dense, np.isfinite(dense[..., 0])


def average_nis(innovations: pa.Table, dof: int = 2) -> pa.Table:
    """Average NIS of each tracker's updates at each frame time, with its χ² bounds.

    The normalised innovation squared ``y' S^-1 y`` of a detection's innovation against the
    track's prediction is chi-square with ``dof`` degrees of freedom (2: a line of sight)
    when the filter is consistent; the average of ``n`` of them times ``n`` is chi-square
    with ``dof n`` (Bar-Shalom, Li & Kirubarajan 2001, sec. 5.4.2, the time-average and
    ensemble tests, taking the innovations of one frame as independent). ``lower`` and
    ``upper`` are that average's two-sided 95 % bounds. Unlike NEES it needs no truth.

    Parameters
    ----------
    innovations
        The ``innovations`` table (``tracker``, ``time``, ``nis``).
    dof
        Degrees of freedom of one innovation.

    Returns
    -------
    pyarrow.Table
        :data:`NIS_SCHEMA`, one row per tracker and frame time.
    """
    from scipy.stats import chi2

    if innovations.num_rows == 0:
        return NIS_SCHEMA.empty_table()
    grouped = innovations.group_by(["tracker", "time"]).aggregate(
        [("nis", "count"), ("nis", "mean")]
    )
    grouped = grouped.sort_by([("tracker", "ascending"), ("time", "ascending")])
    n = grouped["nis_count"].to_numpy().astype(np.int64)
    return pa.table(
        {"tracker": grouped["tracker"], "time": grouped["time"], "n": n,
         "mean_nis": grouped["nis_mean"],
         "lower": chi2.ppf(0.025, dof * n) / n, "upper": chi2.ppf(0.975, dof * n) / n},
        schema=NIS_SCHEMA,
    )  # fmt: skip


def position_nees(truth: pa.Table, tracks: pa.Table, config: TrackingConfig) -> pa.Table:
    """Average position NEES over the matched threats at each truth time, per tracker.

    The normalised estimation error squared of a matched track, ``e' P^-1 e`` with ``e``
    its position error (ECEF, m) and ``P`` its position covariance (both propagated at
    constant velocity from the track's frame to the truth time), is chi-square with 3
    degrees of freedom when the filter is consistent; the average of ``n`` independent
    ones times ``n`` is chi-square with ``3 n`` (Bar-Shalom, Li & Kirubarajan 2001,
    *Estimation with Applications to Tracking and Navigation*, sec. 5.4.2). ``lower`` and
    ``upper`` are that average's two-sided 95 % bounds. Matching as in
    :func:`custody_intervals`; tracks with a singular covariance are left out.

    Returns
    -------
    pyarrow.Table
        :data:`NEES_SCHEMA`, one row per tracker and truth time with a match.
    """
    from scipy.stats import chi2

    epoch_ns, _, grid, step, dense, alive = _dense_truth(truth, config)
    scored = tracks.filter(pc.is_in(tracks["status"], pa.array(list(config.scoring.statuses))))
    out = []
    for name in sorted(set(tracks["tracker"].to_pylist())):
        mine = scored.filter(pc.equal(scored["tracker"], name))
        m = _match(dense, alive, grid, step, mine, epoch_ns, config)
        obj, g = np.nonzero(m.row >= 0)
        if obj.size == 0:
            continue
        rows, dt = m.row[obj, g], m.dt[obj, g][:, None, None]
        x = m.states[rows]
        e = x[:, :3] + dt[:, :, 0] * x[:, 3:] - dense[obj, g]
        c = m.cov[rows]
        p = c[:, :3, :3] + dt * (c[:, :3, 3:] + c[:, 3:, :3]) + dt**2 * c[:, 3:, 3:]
        ok = np.linalg.det(p) > 0.0
        nees = np.einsum("ni,ni->n", e[ok], np.linalg.solve(p[ok], e[ok][..., None])[..., 0])
        n = np.bincount(g[ok], minlength=grid.size)
        total = np.bincount(g[ok], weights=nees, minlength=grid.size)
        at = np.flatnonzero(n)
        out.append(
            pa.table(
                {"tracker": [name] * at.size,
                 "time": pa.array(epoch_ns + np.rint(grid[at] * 1e9).astype(np.int64),
                                  pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
                 "n": n[at], "mean_nees": total[at] / n[at],
                 "lower": chi2.ppf(0.025, 3 * n[at]) / n[at],
                 "upper": chi2.ppf(0.975, 3 * n[at]) / n[at]},
                schema=NEES_SCHEMA,
            )
        )  # fmt: skip
    return pa.concat_tables(out) if out else NEES_SCHEMA.empty_table()


def _match(
    dense: NDArray[np.float64],
    alive: NDArray[np.bool_],
    grid: NDArray[np.float64],
    step: float,
    tracks: pa.Table,
    epoch_ns: int,
    config: TrackingConfig,
) -> _Matches:
    """Match each grid time's threats in flight to ``tracks`` (GOSPA assignment)."""
    row = np.full(alive.shape, -1, dtype=np.int64)
    dt = np.zeros(alive.shape)
    if tracks.num_rows == 0:
        return _Matches(row, dt, np.zeros((0, 6)), np.zeros((0, 6, 6)))
    k_t = _seconds(tracks["time"], epoch_ns)
    order = np.argsort(k_t, kind="stable")
    k_t = k_t[order]
    k_x = np.stack([tracks[k].to_numpy() for k in ("x", "y", "z", "vx", "vy", "vz")], axis=1)[order]
    cov = np.asarray(tracks["cov"].to_pylist(), dtype=np.float64).reshape(-1, 6, 6)[order]
    frames = np.unique(k_t)
    frame_of = np.searchsorted(frames, grid, side="right") - 1
    for g in np.flatnonzero(frame_of >= 0):
        t_frame = frames[frame_of[g]]
        live = np.flatnonzero(alive[:, g])
        if grid[g] - t_frame > step + 1e-9 or live.size == 0:
            continue
        lo, hi = np.searchsorted(k_t, t_frame, "left"), np.searchsorted(k_t, t_frame, "right")
        est = k_x[lo:hi, :3] + (grid[g] - t_frame) * k_x[lo:hi, 3:]
        match = gospa(dense[live, g], est, config.scoring.gospa_c_m, config.scoring.gospa_p)
        row[live[match.truth_idx], g] = lo + np.asarray(match.track_idx, dtype=np.int64)
        dt[live[match.truth_idx], g] = grid[g] - t_frame
    return _Matches(row, dt, k_x, cov)


def _seen(
    detections: pa.Table | None,
    tracker: str,
    objects: NDArray[np.str_],
    grid: NDArray[np.float64],
    step: float,
    epoch_ns: int,
) -> NDArray[np.int64]:
    """(objects, grid) sensors of the tracker that detected the threat within their revisit
    before the grid time (a radar, which measures range, counts as two).

    A detection counts from its time until its sensor's next frame: the sensor's revisit,
    the median gap between its distinct detection times (false alarms included), at least
    one truth step, so a sensor that looks every few seconds does not flicker between seen
    and unseen between its frames."""
    seen = np.zeros((objects.size, grid.size), dtype=np.int64)
    if detections is None or detections.num_rows == 0:
        return seen
    if tracker not in SYSTEM_TRACKERS:
        detections = detections.filter(pc.equal(detections["owner"], tracker))
    if detections.num_rows == 0:
        return seen
    t = _seconds(detections["time"], epoch_ns)
    names = detections.column("sensor_id") if "sensor_id" in detections.column_names else None
    sensor = (
        np.unique(np.asarray(names.to_pylist(), dtype=str), return_inverse=True)[1]
        if names is not None
        else np.zeros(t.size, dtype=np.int64)
    )
    span = np.maximum(np.rint(_revisits(sensor, t) / step), 1).astype(np.int64)[sensor]
    radar = (
        np.asarray(pc.equal(detections["sensor_kind"], "radar").fill_null(False))
        if "sensor_kind" in detections.column_names
        else np.zeros(t.size, dtype=bool)
    )
    truth_ids = np.asarray(detections["truth_id"].fill_null("").to_pylist(), dtype=str)
    real = np.isin(truth_ids, objects)
    o = np.searchsorted(objects, truth_ids[real])
    g = np.searchsorted(grid, t[real] - 1e-9, side="left")  # the first grid time at or after t
    ok = (g < grid.size) & (grid[np.minimum(g, grid.size - 1)] - t[real] < step + 1e-9)
    rows = np.stack([o, g, sensor[real], radar[real].astype(np.int64)], axis=1)[ok]
    reach = span[real][ok]
    cover = np.repeat(rows, reach, axis=0)
    cover[:, 1] += np.arange(cover.shape[0]) - np.repeat(np.cumsum(reach) - reach, reach)
    cover = cover[cover[:, 1] < grid.size]
    keys = np.unique(cover, axis=0)
    np.add.at(seen, (keys[:, 0], keys[:, 1]), 1 + keys[:, 3])
    return seen


def _revisits(sensor: NDArray[np.int64], t: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each sensor's revisit: the median gap between its distinct detection times, s (0 for
    a sensor with one detection time)."""
    pairs = np.unique(np.stack([sensor.astype(np.float64), t], axis=1), axis=0)
    same = pairs[1:, 0] == pairs[:-1, 0]
    gaps = np.diff(pairs[:, 1])[same]
    owner = pairs[1:, 0][same].astype(np.int64)
    out = np.zeros(int(sensor.max()) + 1 if sensor.size else 0)
    for k in np.unique(owner):  # one median per sensor: sensors, not detections
        out[k] = float(np.median(gaps[owner == k]))
    return out


def _sightline_counts(
    sightlines: pa.Table | None,
    tracker: str,
    objects: NDArray[np.str_],
    grid: NDArray[np.float64],
    epoch_ns: int,
) -> NDArray[np.int64] | None:
    """(objects, grid, 3) the tracker's satellites with a clear line, the threat in regard,
    in view (the owner's; every owner's for a system tracker); None without the table."""
    if sightlines is None:
        return None
    counts = np.zeros((objects.size, grid.size, 3), dtype=np.int64)
    if tracker not in SYSTEM_TRACKERS:
        sightlines = sightlines.filter(pc.equal(sightlines["owner"], tracker))
    sightlines = sightlines.filter(pc.is_in(sightlines["object_id"], pa.array(objects.tolist())))
    if sightlines.num_rows == 0:
        return counts
    t = _seconds(sightlines["time"], epoch_ns)
    g = np.clip(np.searchsorted(grid, t - 1e-6), 0, grid.size - 1)
    on_grid = np.abs(grid[g] - t) < 1e-6
    o = np.searchsorted(objects, np.asarray(sightlines["object_id"].to_pylist(), dtype=str))
    for level, name in enumerate(("sats_clear", "sats_in_regard", "sats_in_view")):
        value = sightlines[name].to_numpy().astype(np.int64)
        np.add.at(counts[..., level], (o[on_grid], g[on_grid]), value[on_grid])
    return counts


def _reasons(sensors: NDArray[np.int64], sight: NDArray[np.int64] | None) -> NDArray[np.int64]:
    """Index into :data:`CUSTODY_REASONS` of each (object, grid time), held or not."""
    unseen = np.full(sensors.shape, CUSTODY_REASONS.index("unknown"), dtype=np.int64)
    if sight is not None:
        unseen = np.select(
            [sight[..., 2] > 0, sight[..., 1] > 0, sight[..., 0] > 0],
            [CUSTODY_REASONS.index(r) for r in ("below_noise", "cloud", "out_of_regard")],
            CUSTODY_REASONS.index("below_horizon"),
        )
    return np.where(sensors >= 2, 0, np.where(sensors == 1, 1, unseen))


def _intervals(
    code: NDArray[np.int64],
    alive: NDArray[np.bool_],
    grid: NDArray[np.float64],
    step: float,
    objects: NDArray[np.str_],
    tracker: str,
) -> pa.Table:
    """Run-length intervals of ``code`` (-1: held, else a reason) over each flight."""
    cols: dict[str, list[object]] = {name: [] for name in CUSTODY_SCHEMA.names}
    for i, object_id in enumerate(objects.tolist()):
        flying = np.flatnonzero(alive[i])
        if flying.size == 0:
            continue
        states = code[i, flying]
        starts = np.flatnonzero(np.r_[True, np.diff(states) != 0])
        ends = np.r_[starts[1:], states.size]
        t = grid[flying]
        launch = t[0]
        end_t = np.r_[t, t[-1] + step]
        cols["object_id"] += [object_id] * starts.size
        cols["tracker"] += [tracker] * starts.size
        cols["state"] += [
            "held" if c < 0 else ("seen" if c < _SEEN_REASONS else "unseen") for c in states[starts]
        ]
        cols["reason"] += [None if c < 0 else CUSTODY_REASONS[c] for c in states[starts]]
        cols["start_s"] += (t[starts] - launch).tolist()
        cols["end_s"] += (end_t[ends] - launch).tolist()
    return pa.table(cols, schema=CUSTODY_SCHEMA)

"""Which links are up at each step: crosslinks between satellites and ground contacts.

Vertices are numbered once for the whole run: satellites ``0 .. N-1`` (catalogue order),
then ground stations ``N .. N+G-1``. A link is one row per step it is up.

Policies (stated here, tested in ``tests/network``):

* **Crosslinks: mutual nearest neighbours.** At each step every satellite of a crosslinked
  constellation points its ``terminals`` terminals at its nearest partners of the same
  constellation that are within ``max_range_m`` and whose line of sight clears the
  grazing shell (:func:`tracklayer.sensors.geometry.earth_clear`, the test used for
  sensing). A link closes when both ends point at each other, so no satellite ever holds
  more links than terminals. For a Walker pattern this yields the usual "+grid" of
  in-plane and cross-plane neighbours. A pair newly chosen must stay chosen for
  ``acquisition_s`` before the link carries data (pointing, acquisition and tracking);
  pairs chosen at the first step are taken as already acquired (steady state).
* **Ground contacts: highest elevation first.** Each station serves the satellites of its
  ``served`` owners above its minimum elevation (geodetic, that of
  :func:`tracklayer.sensors.geometry.elevation`, through its sine: :func:`sin_elevation`),
  at most ``terminals`` at once, taking the highest first. A satellite's downlink antenna
  is separate from its crosslink terminals.

Per-hop delay of a link: light time ``range / c`` + the relay's processing + the
serialisation time of one report, ``message_bits / data_rate`` (+ the queueing that
:func:`tracklayer.network.layer.build_network` adds under load).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from tracklayer.constants import SPEED_OF_LIGHT_M_S
from tracklayer.sensors.geometry import earth_clear, geodetic_up

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

#: ``kind`` codes of :class:`LinkSet` and their names in the ``links`` table.
CROSSLINK, DOWNLINK = 0, 1
LINK_KINDS = ("crosslink", "downlink")

# The 4th coordinate that keeps the k-d tree's neighbours within one step, m: far beyond
# any link range, small enough that positions keep millimetre resolution in float64.
_STEP_SEPARATION_M = 1.0e10


@dataclass(frozen=True)
class LinkSet:
    """Links that are up, one row per link and step.

    Attributes
    ----------
    step : (L,) int64
        Index of the sample time.
    a, b : (L,) int64
        Vertex indices (satellites ``0..N-1``, stations ``N..``); ``a < b``.
    kind : (L,) int8
        :data:`CROSSLINK` or :data:`DOWNLINK`.
    range_m : (L,) float64
        Length of the link, m.
    delay_s : (L,) float64
        Per-hop delay of one report over the link, s (queueing included once the
        network's load is known).
    service_s : (L,) float64
        Serialisation time of one report, ``message_bits / data_rate``, s.
    """

    step: I64
    a: I64
    b: I64
    kind: NDArray[np.int8]
    range_m: F64
    delay_s: F64
    service_s: F64

    def __len__(self) -> int:
        return int(self.step.shape[0])

    @staticmethod
    def concat(parts: list[LinkSet]) -> LinkSet:
        """All links of ``parts``, in order."""
        if not parts:
            z = np.zeros(0, np.int64)
            return LinkSet(z, z, z, np.zeros(0, np.int8), np.zeros(0), np.zeros(0), np.zeros(0))
        return LinkSet(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in LinkSet.__dataclass_fields__)
        )


def hop_delay_s(range_m: F64, processing_s: float, message_bits: float, rate_bps: float) -> F64:
    """Delay of one report over one hop: light time, processing and serialisation, s."""
    return np.asarray(range_m / SPEED_OF_LIGHT_M_S + processing_s + message_bits / rate_bps)


def mutual_nearest_links(
    r_ecef: F64,
    valid: B,
    terminals: int,
    max_range_m: float,
    grazing_altitude_m: float,
    chunk_steps: int = 120,
) -> tuple[I64, I64, I64, F64]:
    """Crosslinks of one constellation chosen by mutual nearest neighbours (module notes).

    Parameters
    ----------
    r_ecef : (n, T, 3)
        ECEF positions of the constellation's satellites, m.
    valid : (n, T) bool
        False where a satellite is out of service (no state or failed).
    terminals
        Crosslink terminals per satellite.
    max_range_m, grazing_altitude_m
        Longest link, m; geodetic height below which a line of sight is blocked, m.
    chunk_steps
        Steps handled per k-d tree (memory against call overhead).

    Returns
    -------
    step, i, j, range_m
        One row per link and step, ``i < j`` indices into the ``n`` satellites.
    """
    n, t = valid.shape
    if n < 2 or terminals < 1:
        z = np.zeros(0, np.int64)
        return z, z, z.copy(), np.zeros(0)
    out = [
        _links_in_steps(
            r_ecef[:, s0 : s0 + chunk_steps],
            valid[:, s0 : s0 + chunk_steps],
            terminals,
            max_range_m,
            grazing_altitude_m,
            s0,
        )
        for s0 in range(0, t, chunk_steps)
    ]
    return tuple(np.concatenate(parts) for parts in zip(*out, strict=True))  # type: ignore[return-value]


def _links_in_steps(
    r: F64, valid: B, terminals: int, max_range_m: float, grazing_m: float, first_step: int
) -> tuple[I64, I64, I64, F64]:
    n, c = valid.shape
    pos = r.transpose(1, 0, 2).reshape(-1, 3)  # step-major: row = step * n + sat
    live = np.flatnonzero(valid.T.reshape(-1) & np.all(np.isfinite(pos), axis=1))
    points = np.column_stack([pos[live], (live // n) * _STEP_SEPARATION_M])
    k = min(2 * terminals, n - 1) + 1
    # An unbalanced, uncompacted tree builds and queries about 30 % faster here; exact.
    tree = cKDTree(points, balanced_tree=False, compact_nodes=False)
    dist, nb = tree.query(points, k=k, distance_upper_bound=max_range_m)
    dist, nb = dist[:, 1:], nb[:, 1:]  # the first neighbour is the point itself
    rows, cols = np.nonzero(np.isfinite(dist))
    src, dst = live[rows], live[nb[rows, cols]]
    clear = earth_clear(pos[src], pos[dst], grazing_m)
    ok = np.zeros(dist.shape, bool)
    ok[rows[clear], cols[clear]] = True
    chosen = ok & (np.cumsum(ok, axis=1) <= terminals)  # nearest clear partners first
    rows, cols = np.nonzero(chosen)
    src, dst = live[rows], live[nb[rows, cols]]
    size = n * c
    keys = np.sort(src * size + dst)
    back = dst * size + src
    where = np.minimum(np.searchsorted(keys, back), keys.size - 1)
    mutual = (keys[where] == back) & (src < dst)
    src, dst, rng = src[mutual], dst[mutual], dist[rows[mutual], cols[mutual]]
    return first_step + src // n, src % n, dst % n, rng


def acquired(step: I64, i: I64, j: I64, seconds: F64, acquisition_s: float) -> B:
    """Which chosen pairs carry data: chosen without a break for ``acquisition_s``.

    A pair chosen at the first sample counts as acquired before the run (steady state).

    Parameters
    ----------
    step, i, j : (L,) int64
        Chosen pairs per step (any order).
    seconds : (T,) float64
        Sample times, s.
    acquisition_s
        Pointing, acquisition and tracking time of a new link, s.
    """
    if step.size == 0:
        return np.zeros(0, bool)
    key = i * (int(max(i.max(), j.max())) + 1) + j
    order = np.lexsort((step, key))
    k, s = key[order], step[order]
    new_run = np.r_[True, (k[1:] != k[:-1]) | (s[1:] != s[:-1] + 1)]
    run_start = s[new_run][np.cumsum(new_run) - 1]
    ok_sorted = (run_start == 0) | (seconds[s] - seconds[run_start] >= acquisition_s - 1e-9)
    ok = np.empty_like(ok_sorted)
    ok[order] = ok_sorted
    return ok


def sin_elevation(r_ecef: F64, station_ecef: F64) -> F64:
    """Sine of the elevation of points above a station's geodetic horizon, ``(...)``.

    ``(r - s) . up / |r - s|`` with ``up`` the station's WGS84 normal
    (:func:`tracklayer.sensors.geometry.geodetic_up`): the elevation of
    :func:`tracklayer.sensors.geometry.elevation`, as two matrix-vector products over the
    points instead of ``(..., 3)`` differences (the station is one point; a test checks
    the two against each other).

    Parameters
    ----------
    r_ecef : (..., 3)
        ECEF positions, m.
    station_ecef : (3,)
        The station, m (ECEF).
    """
    flat = r_ecef.reshape(-1, 3)
    up = geodetic_up(station_ecef)
    height = flat @ up - float(station_ecef @ up)
    square = np.einsum("ij,ij->i", flat, flat) - 2.0 * (flat @ station_ecef)
    square += float(station_ecef @ station_ecef)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(height / np.sqrt(square)).reshape(r_ecef.shape[:-1])


def ground_contacts(
    r_ecef: F64,
    valid: B,
    station_ecef: F64,
    min_elevation_rad: float,
    terminals: int,
) -> tuple[I64, I64, F64]:
    """Satellites a ground station holds at each step: highest elevation first.

    Parameters
    ----------
    r_ecef : (N, T, 3)
        Satellite positions, m (ECEF).
    valid : (N, T) bool
        Satellites the station may serve (in service and of a served owner).
    station_ecef : (3,)
        Station position, m (ECEF).
    min_elevation_rad
        Lowest elevation of a contact above the station's geodetic horizon, rad.
    terminals
        Antennas: satellites held at once.

    Returns
    -------
    step, sat, range_m
        One row per contact and step.
    """
    n, t = valid.shape
    sin_el = sin_elevation(r_ecef, station_ecef)  # (N, T); NaN where no state
    with np.errstate(invalid="ignore"):
        above = sin_el >= np.sin(min_elevation_rad)
    score = np.where(valid & above, sin_el, -np.inf)  # the sine orders as the elevation
    if terminals < n:
        top = np.argpartition(-score, terminals - 1, axis=0)[:terminals]  # (terminals, T)
    else:
        top = np.broadcast_to(np.arange(n)[:, None], (n, t))
    steps = np.broadcast_to(np.arange(t), top.shape)
    keep = np.isfinite(score[top, steps])
    sat, step = top[keep], steps[keep]
    rng = np.linalg.norm(r_ecef[sat, step] - station_ecef, axis=-1)
    order = np.lexsort((sat, step))
    return step[order].astype(np.int64), sat[order].astype(np.int64), rng[order]

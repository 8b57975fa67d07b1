"""Which satellites are lost in each draw, and the ephemeris with them out of service.

Draws use common random numbers: draw ``d`` shuffles the pool's units (satellites, or whole
planes) once, and k lost means the first k units of that shuffle. Each k's losses are then
uniform over the k-subsets of the pool, as independent draws would be, but the losses of a
draw are nested (what is lost at k is also lost at every larger k), so each draw's curve is
monotone and the differences between ks are not blurred by draw-to-draw noise. A draw's
shuffle depends only on the scenario seed and ``d``: adding a k or more draws leaves the
existing draws unchanged.
"""

from __future__ import annotations

import dataclasses
import re
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.errors import ScenarioError
from tracklayer.losses.config import LossesConfig, LossPool
from tracklayer.space.catalog import SatelliteCatalog
from tracklayer.space.propagate import Ephemeris

__all__ = ["LossDraw", "apply_losses", "draw_losses", "pool_units"]

# Mixed into the seed so the losses' random stream is not any other stage's.
_STREAM = 0x4C4F5353  # "LOSS"
_PLANE_ID = re.compile(r"-P(\d+)-S\d+$")


class LossDraw(NamedTuple):
    """One draw: ``k`` units lost in draw number ``draw``; ``lost`` is the (N,) mask."""

    k: int
    draw: int
    lost: NDArray[np.bool_]


def apply_losses(eph: Ephemeris, lost: ArrayLike, at_s: float) -> Ephemeris:
    """The ephemeris with the ``lost`` satellites out of service from ``at_s`` on.

    Parameters
    ----------
    eph
        States of N satellites at T times.
    lost
        Boolean mask, shape ``(N,)``: the satellites that fail.
    at_s
        Time of the failure, s since the epoch; samples at ``seconds >= at_s`` are lost.

    Returns
    -------
    Ephemeris
        A copy whose lost states are NaN and not ``valid`` (the convention of a propagation
        failure, which coverage and sensing already treat as a satellite out of service);
        ``eph`` itself when nothing is lost, so that no loss is bit-for-bit the plain run.
    """
    mask = np.asarray(lost)
    if mask.dtype != np.bool_ or mask.shape != (eph.n_satellites,):
        raise ValueError(f"lost must be a boolean mask of shape ({eph.n_satellites},)")
    out = mask[:, None] & (eph.seconds >= at_s)[None, :]
    if not out.any():
        return eph
    r = eph.r_ecef.copy()
    v = eph.v_ecef.copy()
    r[out] = np.nan
    v[out] = np.nan
    return dataclasses.replace(eph, r_ecef=r, v_ecef=v, valid=eph.valid & ~out)


def pool_units(
    catalog: SatelliteCatalog, pool: LossPool
) -> tuple[list[str], list[NDArray[np.intp]]]:
    """The units that losses are drawn from: their labels and their satellites' indices.

    Satellites for the random, owner and named pools, whole orbit planes for the plane pool
    (a Walker satellite's plane is in its id, ``USA-TRK-P03-S07``; satellites read from
    TLE or OMM files have no plane).

    Raises
    ------
    ScenarioError
        The pool names an owner, constellation or satellite the space segment lacks.
    """
    ids = catalog.sat_id
    if pool.kind == "random":
        chosen = np.arange(len(catalog))
    elif pool.kind == "owner":
        chosen = np.flatnonzero(catalog.owner == pool.owner)
        if chosen.size == 0:
            raise ScenarioError(
                f"losses.pool.owner: no satellite is owned by {pool.owner!r} "
                f"(owners: {', '.join(catalog.owners)})"
            )
    elif pool.kind == "named":
        where = {str(s): i for i, s in enumerate(ids)}
        names = pool.named or []
        missing = [f"[{i}] {s!r}" for i, s in enumerate(names) if s not in where]
        if missing:
            raise ScenarioError(
                f"losses.pool.named: no satellite with id {', '.join(missing)} "
                f"(ids look like {ids[0] if len(ids) else 'USA-TRK-P01-S01'})"
            )
        chosen = np.array([where[s] for s in names], dtype=np.intp)
    else:
        return _planes(catalog, pool.plane)
    return [str(ids[i]) for i in chosen], [np.array([i], dtype=np.intp) for i in chosen]


def _planes(
    catalog: SatelliteCatalog, constellation: str | None
) -> tuple[list[str], list[NDArray[np.intp]]]:
    names = sorted(set(catalog.constellation.tolist()))
    if constellation is not None and constellation not in names:
        raise ScenarioError(
            f"losses.pool.plane: no constellation named {constellation!r} "
            f"(constellations: {', '.join(names)})"
        )
    labels = np.full(len(catalog), "", dtype=object)
    for i, (sat, owner, name) in enumerate(
        zip(catalog.sat_id, catalog.owner, catalog.constellation, strict=True)
    ):
        match = _PLANE_ID.search(str(sat))
        if match and str(sat).startswith(f"{owner}-{name}-") and constellation in (None, name):
            labels[i] = f"{name}-P{match.group(1)}"
    if not labels.any():
        what = "any constellation" if constellation is None else repr(constellation)
        raise ScenarioError(
            f"losses.pool.plane: {what} has no orbit planes (plane losses need a Walker "
            "pattern; satellites read from TLE or OMM files have no plane)"
        )
    units = sorted({str(x) for x in labels if x})
    return units, [np.flatnonzero(labels == u) for u in units]


def draw_losses(catalog: SatelliteCatalog, config: LossesConfig, seed: int) -> list[LossDraw]:
    """Every draw of the analysis: for each k of ``config.counts``, ``config.draws`` masks.

    A k that leaves no choice (0, or the whole pool) gets one draw only, since every draw
    would be the same. Draws are ordered by k, then draw number.

    Parameters
    ----------
    catalog
        The N satellites.
    config
        The ``losses`` section.
    seed
        The scenario seed.

    Returns
    -------
    list of LossDraw
        ``(k, draw, lost)`` with ``lost`` a boolean mask of shape ``(N,)``.

    Raises
    ------
    ScenarioError
        A count exceeds the pool, or the pool does not match the space segment.
    """
    _, units = pool_units(catalog, config.pool)
    n_units = len(units)
    too_many = [f"counts[{i}] = {k}" for i, k in enumerate(config.counts) if k > n_units]
    if too_many:
        raise ScenarioError(
            f"losses.{'; '.join(too_many)}: more than the {n_units} {config.pool.unit} of the "
            f"pool ({config.pool.describe()})"
        )
    orders = [
        np.random.default_rng(np.random.SeedSequence([seed, _STREAM, d])).permutation(n_units)
        for d in range(config.draws)
    ]
    draws = []
    for k in config.counts:
        n_draws = 1 if k in (0, n_units) else config.draws
        for d in range(n_draws):
            lost = np.zeros(len(catalog), dtype=np.bool_)
            for unit in orders[d][:k]:
                lost[units[unit]] = True
            draws.append(LossDraw(k, d, lost))
    return draws

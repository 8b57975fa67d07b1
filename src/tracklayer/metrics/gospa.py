"""The generalized optimal sub-pattern assignment (GOSPA) metric, alpha = 2.

Rahmathullah, García-Fernández and Svensson, "Generalized optimal sub-pattern assignment
metric", FUSION 2017 (arXiv:1601.05585), eq. (2) with alpha = 2:

    d = ( min over assignments  sum_assigned d(x, y)^p  +  c^p / 2 (|missed| + |false|) )^(1/p)

where only pairs closer than the cut-off ``c`` count as assigned. The minimum is one
linear assignment on ``min(d, c)^p`` (a pair at ``c`` or beyond costs exactly as much as
leaving both unassigned). Components are reported as Stone Soup's ``GOSPAMetric`` does:
``localisation = sum d^p`` over assigned pairs, ``missed = c^p/2 |missed|``,
``false = c^p/2 |false|``, so ``distance^p`` is their sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Gospa:
    """GOSPA of one time step.

    Attributes
    ----------
    distance : float
        The metric, in the units of the points.
    localisation, missed, false : float
        Its p-th-power components (Stone Soup's convention).
    truth_idx, track_idx : ndarray of int
        Pairs assigned closer than ``c``.
    """

    distance: float
    localisation: float
    missed: float
    false: float
    truth_idx: I64
    track_idx: I64


def gospa(truth: ArrayLike, estimates: ArrayLike, c: float, p: float = 2.0) -> Gospa:
    """GOSPA (alpha = 2) between two finite sets of points.

    Parameters
    ----------
    truth : array_like, shape (m, d)
        True points (for tracking: positions, m).
    estimates : array_like, shape (n, d)
        Estimated points.
    c : float
        Cut-off distance, > 0.
    p : float
        Exponent, >= 1.

    Returns
    -------
    Gospa
    """
    x = np.atleast_2d(np.asarray(truth, dtype=np.float64))
    y = np.atleast_2d(np.asarray(estimates, dtype=np.float64))
    if x.size == 0:
        x = x.reshape(0, y.shape[1] if y.size else 3)
    if y.size == 0:
        y = y.reshape(0, x.shape[1])
    m, n = x.shape[0], y.shape[0]
    half = c**p / 2.0
    empty = np.zeros(0, dtype=np.int64)
    if m == 0 or n == 0:
        total = half * (m + n)
        return Gospa(total ** (1.0 / p), 0.0, half * m, half * n, empty, empty)
    d = np.linalg.norm(x[:, None, :] - y[None, :, :], axis=2)
    cost = np.minimum(d, c) ** p
    rows, cols = linear_sum_assignment(cost)
    close = d[rows, cols] < c
    rows, cols = rows[close], cols[close]
    loc = float(np.sum(d[rows, cols] ** p))
    n_ass = rows.size
    missed = half * (m - n_ass)
    false = half * (n - n_ass)
    return Gospa(
        (loc + missed + false) ** (1.0 / p),
        loc,
        missed,
        false,
        rows.astype(np.int64),
        cols.astype(np.int64),
    )

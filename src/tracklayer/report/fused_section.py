"""The report's explanation of the fused picture: where its error comes from.

The fused picture (``fused``) holds no sensors: it fuses the owners' national tracks by
covariance intersection (:mod:`tracklayer.fusion.timeline`), so it detects nothing by
construction and its figures depend on which national tracks it had. Its position error
over a run mixes three kinds of moment, told apart here from the matched errors of every
tracker (:func:`tracklayer.metrics.custody.position_errors`):

- **two or more owners** held the threat: the fused state combines their tracks;
- **one owner** held it: the fused state is that owner's track, predicted from its latest
  state to the fusion time;
- **no owner** held it: the system track lives on national tracks that no longer match
  (coasting, or states up to the fusion's age limit old).

For each, the section gives the fused picture's share of its matched moments and its RMSE
next to each national tracker's RMSE over the same moments (those it held too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.metrics.custody import position_errors
from tracklayer.report.markup import CellLike, fmt, html_table, note
from tracklayer.tracking.config import TrackingConfig
from tracklayer.vocabulary import FUSED

__all__ = ["CASES", "FusedCase", "fused_breakdown", "fused_section"]

KM = 1000.0
#: The moments of the fused picture's held time, by owners holding the threat then.
CASES = ("two or more owners", "one owner", "no owner")


@dataclass(frozen=True)
class FusedCase:
    """The fused picture's matched moments of one case of :data:`CASES`.

    Attributes
    ----------
    name : the case; share : of the fused matched moments, 0..1; moments : their number;
    rmse_m : the fused RMSE over them, m (None: no moment); national_rmse_m : per owner,
    its RMSE over those of the moments it held too, m (None: it held none)
    """

    name: str
    share: float
    moments: int
    rmse_m: float | None
    national_rmse_m: dict[str, float | None]


def _rms(values: NDArray[np.float64]) -> float | None:
    return float(np.sqrt(np.mean(values**2))) if values.size else None


def fused_breakdown(errors: pa.Table, owners: Sequence[str]) -> list[FusedCase]:
    """The fused picture's matched moments by how many owners held the threat then.

    Parameters
    ----------
    errors
        :func:`tracklayer.metrics.custody.position_errors` of the run's trackers.
    owners
        The national trackers (owner codes).

    Returns
    -------
    list of FusedCase
        One per :data:`CASES`, in that order.
    """
    key = pc.binary_join_element_wise(
        errors["object_id"], pc.cast(errors["time_s"], pa.string()), "@"
    ).to_numpy(zero_copy_only=False)
    trackers = np.asarray(errors["tracker"].to_pylist(), dtype=str)
    error = errors["error_m"].to_numpy()
    moments, inverse = np.unique(key, return_inverse=True)
    national = np.isin(trackers, list(owners))
    holders = np.bincount(inverse[national], minlength=moments.size)
    per_owner = {}
    for owner in owners:
        mine = trackers == owner
        at = np.full(moments.size, np.nan)
        at[inverse[mine]] = error[mine]
        per_owner[owner] = at
    fused = trackers == FUSED
    f_moment, f_error = inverse[fused], error[fused]
    n_holding = holders[f_moment]
    out = []
    for name, pick in zip(CASES, (n_holding >= 2, n_holding == 1, n_holding == 0), strict=True):
        theirs = {o: per_owner[o][f_moment[pick]] for o in owners}
        out.append(
            FusedCase(
                name=name,
                share=float(pick.sum()) / max(f_moment.size, 1),
                moments=int(pick.sum()),
                rmse_m=_rms(f_error[pick]),
                national_rmse_m={o: _rms(v[np.isfinite(v)]) for o, v in theirs.items()},
            )
        )
    return out


def fused_section(
    truth: pa.Table | None,
    tracks: pa.Table | None,
    config: TrackingConfig,
    owners: Sequence[str],
    summary: dict[str, dict[str, float | None]],
) -> str:
    """The section's HTML, or ``""`` without a fused picture to explain."""
    if truth is None or tracks is None or FUSED not in summary or not owners:
        return ""
    errors = position_errors(truth, tracks, config)
    if not pc.any(pc.equal(errors["tracker"], FUSED)).as_py():
        return ""
    cases = fused_breakdown(errors, owners)
    rows: list[list[CellLike]] = [
        [c.name, fmt(100.0 * c.share), fmt(c.moments), fmt(c.rmse_m, 2, 1.0 / KM),
         *[fmt(c.national_rmse_m[o], 2, 1.0 / KM) for o in owners]]
        for c in cases
    ]  # fmt: skip
    national = [o for o in owners if o in summary]
    both, one, none = cases
    reading = ""
    if both.moments:
        theirs = ", ".join(f"{o} {fmt(both.national_rmse_m[o], 2, 1.0 / KM)} km" for o in owners)
        reading = (
            f" Where two or more owners held the threat ({fmt(100.0 * both.share)} % of its "
            f"moments) the fused error was {fmt(both.rmse_m, 2, 1.0 / KM)} km ({theirs}); "
            f"the moments one owner or none held it ({fmt(100.0 * (one.share + none.share))}"
            " %) carry the error of a single, or ageing, national track."
        )
    errs = "; ".join(f"{o} {fmt(summary[o]['rmse_pos_km'], 2)} km" for o in national)
    return "\n".join(
        [
            note(
                "The fused picture has no sensors: it fuses the owners' national tracks "
                "(covariance intersection, which stays consistent without knowing how "
                "correlated two national tracks are, at the price of a larger covariance "
                "than a Kalman combination). It therefore detects nothing by construction "
                "(its detection columns do not apply), and each of its states is a "
                "national state predicted from that track's last update to the fusion "
                "time. Its error depends on which national tracks it had: below, its matched "
                "moments split by how many owners held the threat then, with its RMSE and "
                f"each owner's over the same moments. Over the whole "
                f"run: fused {fmt(summary[FUSED]['rmse_pos_km'], 2)} km; {errs} (each over "
                f"its own matched times, which differ).{reading}"
            ),
            html_table(
                [
                    "owners holding the threat",
                    "share of fused moments, %",
                    "moments",
                    "fused RMSE, km",
                    *[f"{o} RMSE there, km" for o in owners],
                ],
                rows,
                caption="The fused picture's matched moments by how many national trackers "
                "held the threat then. Where no owner held it, the fused picture still "
                "matched it from national tracks that no longer did (coasting or ageing "
                "states); where one owner did, it can be no better than that owner's track "
                "predicted to the fusion time.",
            ),
        ]
    )

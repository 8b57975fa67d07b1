"""The fused picture's breakdown of its error, against hand-computed figures."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from tracklayer.metrics.custody import ERRORS_SCHEMA
from tracklayer.report.fused_section import CASES, fused_breakdown


def test_moments_split_by_the_owners_holding_the_threat() -> None:
    """Reference, by hand: T0 at 0 s held by JPN (100 m), USA (300 m) and fused (200 m);
    T0 at 1 s by JPN (400 m) and fused (500 m); T0 at 2 s by fused alone (1,000 m); T1 at
    0 s by USA (200 m) and fused (100 m). Two owners: 1 of 4 fused moments, RMSE 200 m,
    JPN 100 m, USA 300 m. One owner: 2 of 4, fused RMSE sqrt((500² + 100²)/2) = 360.6 m,
    JPN 400 m (its one moment there), USA 200 m. No owner: 1 of 4, 1,000 m."""
    rows = [
        ("JPN", "T0", 0.0, 100.0), ("USA", "T0", 0.0, 300.0), ("fused", "T0", 0.0, 200.0),
        ("JPN", "T0", 1.0, 400.0), ("fused", "T0", 1.0, 500.0),
        ("fused", "T0", 2.0, 1000.0),
        ("USA", "T1", 0.0, 200.0), ("fused", "T1", 0.0, 100.0),
        ("joint", "T1", 2.0, 50.0),  # neither national nor fused: ignored
    ]  # fmt: skip
    errors = pa.table(
        {name: [r[i] for r in rows] for i, name in enumerate(ERRORS_SCHEMA.names)},
        schema=ERRORS_SCHEMA,
    )
    two, one, none = fused_breakdown(errors, ["JPN", "USA"])
    assert [c.name for c in (two, one, none)] == list(CASES)
    assert [c.moments for c in (two, one, none)] == [1, 2, 1]
    assert [c.share for c in (two, one, none)] == [0.25, 0.5, 0.25]
    assert two.rmse_m == pytest.approx(200.0)
    assert two.national_rmse_m == {"JPN": pytest.approx(100.0), "USA": pytest.approx(300.0)}
    assert one.rmse_m == pytest.approx(math.sqrt((500.0**2 + 100.0**2) / 2), abs=1e-9)
    assert one.national_rmse_m == {"JPN": pytest.approx(400.0), "USA": pytest.approx(200.0)}
    assert none.rmse_m == pytest.approx(1000.0)
    assert none.national_rmse_m == {"JPN": None, "USA": None}

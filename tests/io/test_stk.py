"""STK external files: ephemeris with covariance and interval lists, parsed back; epochs,
frame and units checked against the values written."""

from __future__ import annotations

import numpy as np
import pytest

from tracklayer.errors import InputFormatError
from tracklayer.io.stk import interval_list_text, read_stk_ephemeris, stk_ephemeris_text, utcg

EPOCH_NS = int(np.datetime64("2027-03-01T00:00:00", "ns").astype(np.int64))


def _states(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    t = EPOCH_NS + np.cumsum(rng.integers(500_000_000, 3_000_000_000, n))
    states = np.column_stack([rng.uniform(-7e6, 7e6, (n, 3)), rng.uniform(-7e3, 7e3, (n, 3))])
    a = rng.normal(size=(n, 6, 6))
    cov = a @ a.transpose(0, 2, 1) * np.outer([300.0] * 3 + [4.0] * 3, [300.0] * 3 + [4.0] * 3)
    return t, states, cov


def test_utcg_dates() -> None:
    """Reference: STK's UTCG form (day, English month abbreviation, year, clock)."""
    assert utcg(EPOCH_NS) == "1 Mar 2027 00:00:00.000000"
    assert utcg(EPOCH_NS + 86_400_000_000_000 * 40 + 1_500_000) == "10 Apr 2027 00:00:00.001500"


def test_ephemeris_with_covariance_reads_back() -> None:
    """Epochs (1 µs: seconds since the scenario epoch with 17 digits), ECEF states (1e-9
    relative, the written 17 digits) and the full symmetric covariance (1e-12 relative)
    come back; the header says Earth-fixed axes, metres, the scenario epoch."""
    t, states, cov = _states(7)
    text = stk_ephemeris_text(t, states, EPOCH_NS, covariance=cov, interpolation=("Hermite", 1))
    back = read_stk_ephemeris(text, "x.e")
    assert back.keywords["CoordinateSystem"] == "Fixed"
    assert back.keywords["DistanceUnit"] == "Meters"
    assert back.keywords["CentralBody"] == "Earth"
    assert back.keywords["ScenarioEpoch"] == "1 Mar 2027 00:00:00.000000"
    assert back.keywords["NumberOfEphemerisPoints"] == "7"
    assert back.keywords["InterpolationMethod"] == "Hermite"
    assert back.keywords["CovarianceFormat"] == "LowerTriangular"
    assert np.abs(back.time_ns - t).max() <= 1_000
    np.testing.assert_allclose(back.states, states, rtol=1e-12, atol=1e-9)
    assert back.covariance is not None
    np.testing.assert_allclose(back.covariance, cov, rtol=1e-12)
    first_cov_row = text.split("CovarianceTimePosVel\n")[1].splitlines()[0].split()
    assert len(first_cov_row) == 22  # time and the 21 lower-triangle elements
    assert float(first_cov_row[2]) == pytest.approx(cov[0, 1, 0], rel=1e-15)  # row 2, col 1


def test_interval_list() -> None:
    starts = np.array([EPOCH_NS, EPOCH_NS + 90_000_000_000])
    text = interval_list_text(starts, starts + 60_000_000_000)
    lines = text.splitlines()
    assert lines[:4] == ["stk.v.11.0", "BEGIN IntervalList", "DateUnitAbrv UTCG", "BEGIN Intervals"]
    assert lines[4] == '"1 Mar 2027 00:00:00.000000" "1 Mar 2027 00:01:00.000000"'
    assert lines[5] == '"1 Mar 2027 00:01:30.000000" "1 Mar 2027 00:02:30.000000"'
    assert lines[-2:] == ["END Intervals", "END IntervalList"]


def test_bad_input() -> None:
    t, states, _ = _states(3)
    with pytest.raises(ValueError, match="must increase"):
        stk_ephemeris_text(t[::-1], states, EPOCH_NS)
    with pytest.raises(InputFormatError, match=r"x.e, line 1: expected the stk.v.N"):
        read_stk_ephemeris("BEGIN Ephemeris\n", "x.e")
    good = stk_ephemeris_text(t, states, EPOCH_NS)
    with pytest.raises(InputFormatError, match=r"x.e, line 12: expected 7 numbers, got 6"):
        read_stk_ephemeris(good.replace(" " + good.splitlines()[11].split()[-1], "", 1), "x.e")
    with pytest.raises(InputFormatError, match="not a UTCG date"):
        read_stk_ephemeris(good.replace("1 Mar 2027", "2027-03-01"), "x.e")

"""RADEC in inertial frames to Earth-fixed lines of sight, against ERFA (the IAU's SOFA
library): ``c2t06a`` (GCRS to ITRS, IAU 2006/2000A, CIO based) with the same UT1 and zero
polar motion, and ``bp06`` (the frame bias to the mean J2000 frame)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tracklayer.frames import timescale
from tracklayer.io.tdm import radec_to_los
from tracklayer.io.tdm_frames import radec_los_ecef

erfa = pytest.importorskip("erfa")

#: Tolerance: 3e-9 rad (0.6 mas), 3 mm across 1,000 km; Skyfield's equinox-based rotation
#: and ERFA's CIO-based one agree to about 1.3e-9 rad.
TOLERANCE_RAD = 3e-9


def _cases(n: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    ra = rng.uniform(0.0, 360.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    start = np.datetime64("2027-03-01T00:00:00", "ns")
    time = start + (rng.uniform(0.0, 60 * 86400.0, n) * 1e9).astype("timedelta64[ns]")
    return ra, dec, np.sort(time)


def erfa_c2t(time: np.ndarray) -> np.ndarray:
    """ERFA's GCRS-to-ITRS matrices, shape (n, 3, 3), at UTC times (datetime64, shape (n,)),
    with Skyfield's UT1 and zero polar motion."""
    stamps = [
        datetime.fromisoformat(str(t.astype("datetime64[us]"))).replace(tzinfo=UTC) for t in time
    ]
    t = timescale().from_datetimes(stamps)
    return np.array(
        [erfa.c2t06a(tt, 0.0, ut1, 0.0, 0.0, 0.0) for tt, ut1 in zip(t.tt, t.ut1, strict=True)]
    )


def test_gcrf_and_icrf_match_erfa() -> None:
    ra, dec, time = _cases()
    expected = np.einsum("nij,nj->ni", erfa_c2t(time), radec_to_los(ra, dec))
    for frame in ("GCRF", "ICRF"):
        got = radec_los_ecef(ra, dec, frame, time)
        assert np.max(np.linalg.norm(got - expected, axis=-1)) < TOLERANCE_RAD
        np.testing.assert_allclose(np.linalg.norm(got, axis=-1), 1.0, atol=1e-15)


def test_eme2000_applies_the_frame_bias() -> None:
    """The 23 mas frame bias (1.1e-7 rad) is resolved: EME2000 differs from GCRF by it and
    matches ERFA's bias matrix composed with c2t06a."""
    ra, dec, time = _cases()
    rb, _, _ = erfa.bp06(2461100.5, 0.0)  # the bias matrix is constant
    gcrs = radec_to_los(ra, dec) @ rb  # v_GCRS = rb^T v_J2000
    expected = np.einsum("nij,nj->ni", erfa_c2t(time), gcrs)
    got = radec_los_ecef(ra, dec, "EME2000", time)
    assert np.max(np.linalg.norm(got - expected, axis=-1)) < TOLERANCE_RAD
    bias = np.linalg.norm(got - radec_los_ecef(ra, dec, "GCRF", time), axis=-1)
    assert 2e-8 < bias.max() < 1.2e-7


def test_earth_fixed_is_unrotated_and_other_frames_are_refused() -> None:
    ra, dec, time = _cases(3)
    np.testing.assert_array_equal(radec_los_ecef(ra, dec, "ITRF", time), radec_to_los(ra, dec))
    with pytest.raises(ValueError, match="'TOD' is not one of"):
        radec_los_ecef(ra, dec, "TOD", time)
    assert radec_los_ecef(ra[:0], dec[:0], "GCRF", time[:0]).shape == (0, 3)

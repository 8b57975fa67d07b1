"""TDMs whose RADEC angles are in an inertial frame, as other producers write them: the
service stores the Earth-fixed lines of sight. Reference: ERFA (``c2t06a``, ``bp06``)
turns known ECEF lines of sight into EME2000 angles; the stored lines of sight must give
them back within 3e-9 rad (0.6 mas; angles are written to 1e-9 deg, 1.7e-11 rad)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.ccsds_check import ccsds_valid
from tests.service.conftest import EPOCH, auth
from tracklayer.io.tdm import tdm_text

erfa = pytest.importorskip("erfa")
from tests.io.test_tdm_frames import erfa_c2t  # noqa: E402  (needs erfa)

PARAMS = {"sensor_kind": "ir", "sigma_rad": 5e-5, "releasable_to": "all",
          "sensor_x_m": 4.2e7, "sensor_y_m": 1.0e6, "sensor_z_m": -2.0e5}  # fmt: skip


def _eme2000_body(los_ecef: np.ndarray, time_ns: np.ndarray, frame: str) -> str:
    """A TDM of these ECEF lines of sight, its RADEC in EME2000 (by ERFA), named ``frame``."""
    c2t = erfa_c2t(time_ns.astype("datetime64[ns]"))
    rb, _, _ = erfa.bp06(2461100.5, 0.0)  # the bias matrix is constant
    gcrs = np.einsum("nji,nj->ni", c2t, los_ecef)  # c2t^T v
    j2000 = gcrs @ rb.T  # rb v
    text = tdm_text("ALLY-SAT", time_ns, j2000)
    return text.replace("REFERENCE_FRAME = ITRF2000", f"REFERENCE_FRAME = {frame}")


def _post(client: Any, token: str, body: str, message_id: str) -> Any:
    return client.post(
        "/api/v1/detections/tdm",
        content=body.encode(),
        params={"message_id": message_id, **PARAMS},
        headers={**auth(token), "Content-Type": "text/plain"},
    )


def test_eme2000_radec_is_stored_as_earth_fixed_lines_of_sight(
    service: tuple[Any, dict[str, str]],
) -> None:
    client, tok = service
    rng = np.random.default_rng(11)
    los = rng.normal(size=(4, 3))
    los /= np.linalg.norm(los, axis=-1, keepdims=True)
    base = int(EPOCH.timestamp()) * 1_000_000_000
    time_ns = base + np.arange(4, dtype=np.int64) * 1_500_000_000
    body = _eme2000_body(los, time_ns, "EME2000")
    assert "REFERENCE_FRAME = EME2000" in body and ccsds_valid(body)
    r = _post(client, tok["USA"], body, "eme")
    assert r.status_code == 201, r.text
    got = client.get("/api/v1/detections", headers=auth(tok["USA"])).json()["detections"]
    stored = np.array([[d["los_x"], d["los_y"], d["los_z"]] for d in got])
    order = np.argsort([int(d["det_id"]) for d in got])
    assert np.max(np.linalg.norm(stored[order] - los, axis=-1)) < 3e-9
    # A frame the service does not rotate (true of date) is refused naming it.
    tod = _eme2000_body(los, time_ns, "TOD")
    assert ccsds_valid(tod)
    r = _post(client, tok["USA"], tod, "tod")
    assert r.status_code == 422
    msg = r.json()["detail"][0]["msg"]
    assert "got REFERENCE_FRAME 'TOD'" in msg and "EME2000, GCRF, ICRF" in msg

"""CCSDS TDM ingest: ``POST /api/v1/detections/tdm``.

Reference: the TDMs are written by :func:`tracklayer.io.tdm.write_tdm` from known lines of
sight (angles to 1e-9 deg, ranges to 1e-6 km), so what the service stores must give back
those lines of sight to 1e-8 rad and ranges to 1 mm; for a radar, the stored site
position + range x LOS must return the target points the TDM was made from (to 1 mm).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.ccsds_check import ccsds_validated
from tests.service.conftest import EPOCH, auth
from tracklayer.constants import DEG
from tracklayer.frames import geodetic_to_ecef
from tracklayer.io.tdm import write_tdm

#: Every TDM these tests write (and post) is checked by ccsds-ndm as it is written.
__all__ = ["ccsds_validated"]

SIGMA = {"sensor_kind": "ir", "sigma_rad": 5e-5}
SAT_POS = {"sensor_x_m": 4.2e7, "sensor_y_m": 1.0e6, "sensor_z_m": -2.0e5}
SITE_DEG = (40.0, -105.0, 1600.0)


@pytest.fixture(autouse=True)
def _posted_tdms_are_valid(ccsds_validated: list[Path]) -> Iterator[None]:
    """Autouse: each TDM file written here passes ccsds-ndm as it is written (the bodies
    posted are read from them; a test's deliberately broken copy is made in memory
    afterwards), and every test wrote and checked at least one."""
    yield
    assert ccsds_validated or importlib.util.find_spec("ccsds_ndm") is None


def _epoch_ns(n: int) -> np.ndarray:
    base = np.datetime64(EPOCH.replace(tzinfo=None), "ns").astype(np.int64)
    return base + np.arange(n, dtype=np.int64) * 250_000_000


def _ir_tdm(tmp_path: Path, n: int = 4, seed: int = 1) -> tuple[bytes, np.ndarray]:
    rng = np.random.default_rng(seed)
    los = rng.normal(size=(n, 3))
    los /= np.linalg.norm(los, axis=-1, keepdims=True)
    path = write_tdm(tmp_path / f"ir{seed}.tdm", "SBIRS-1", _epoch_ns(n), los)
    return path.read_bytes(), los


def _post(client: Any, token: str, body: bytes, **params: Any) -> Any:
    return client.post(
        "/api/v1/detections/tdm",
        content=body,
        params=params,
        headers={**auth(token), "Content-Type": "text/plain"},
    )


def test_ir_tdm_is_stored_with_releasability_and_idempotency(
    service: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    """RADEC/ITRF angles come back as the written LOS (1e-8 rad); release, retry, reuse."""
    client, tok = service
    body, los = _ir_tdm(tmp_path)
    params = {"message_id": "tdm-1", "releasable_to": "JPN", **SIGMA, **SAT_POS}
    r = _post(client, tok["USA"], body, **params)
    assert r.status_code == 201, r.text
    assert r.json() == {"message_id": "tdm-1", "accepted": 4, "duplicate": False}
    got = client.get("/api/v1/detections", headers=auth(tok["JPN"])).json()["detections"]
    assert len(got) == 4
    stored = np.array([[d["los_x"], d["los_y"], d["los_z"]] for d in got])
    assert np.max(np.linalg.norm(stored - los, axis=-1)) < 1e-8
    assert {d["sensor_id"] for d in got} == {"SBIRS-1"}
    assert got[0]["sensor_x"] == SAT_POS["sensor_x_m"] and got[0]["range_m"] is None
    assert got[0]["sigma_rad"] == SIGMA["sigma_rad"] and got[0]["owner"] == "USA"
    assert client.get("/api/v1/detections", headers=auth(tok["KOR"])).json()["detections"] == []
    # A retry is acknowledged again and stored once; the same id for other content is refused.
    again = _post(client, tok["USA"], body, **params)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    other, _ = _ir_tdm(tmp_path, seed=2)
    assert _post(client, tok["USA"], other, **params).status_code == 409
    usa = client.get("/api/v1/detections", headers=auth(tok["USA"])).json()["detections"]
    assert len(usa) == 4


def test_radar_azel_range_tdm_needs_and_uses_the_site(
    service: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    """AZEL + RANGE at a site: site + range x LOS returns the target points (1 mm)."""
    client, tok = service
    lat, lon, alt = SITE_DEG[0] * DEG, SITE_DEG[1] * DEG, SITE_DEG[2]
    site = geodetic_to_ecef(lat, lon, alt)
    targets = geodetic_to_ecef(
        np.array([41.0, 43.5, 38.0]) * DEG, np.array([-104.0, -100.0, -110.0]) * DEG, 3.0e5
    )
    offset = targets - site
    rng_m = np.linalg.norm(offset, axis=-1)
    path = write_tdm(
        tmp_path / "radar.tdm",
        "RADAR-A",
        _epoch_ns(3),
        offset / rng_m[:, None],
        range_m=rng_m,
        site_lat_lon_rad=(lat, lon),
    )
    body = path.read_bytes()
    base = {"message_id": "r1", "releasable_to": "all", "sensor_kind": "radar", "sigma_rad": 1e-3}
    # Without the site (or without a range sigma) the message is refused whole.
    no_site = _post(client, tok["USA"], body, **base, sigma_range_m=30.0, **SAT_POS)
    assert no_site.status_code == 422 and "site" in no_site.json()["detail"][0]["msg"]
    site_q = dict(zip(("site_lat_deg", "site_lon_deg", "site_alt_m"), SITE_DEG, strict=True))
    no_sigma = _post(client, tok["USA"], body, **base, **site_q)
    assert no_sigma.status_code == 422 and "sigma_range_m" in no_sigma.json()["detail"][0]["msg"]
    both = _post(client, tok["USA"], body, **base, sigma_range_m=30.0, **site_q, **SAT_POS)
    assert both.status_code == 422
    r = _post(client, tok["USA"], body, **base, sigma_range_m=30.0, **site_q)
    assert r.status_code == 201, r.text
    got = client.get("/api/v1/detections", headers=auth(tok["KOR"])).json()["detections"]
    assert len(got) == 3
    sensor = np.array([[d["sensor_x"], d["sensor_y"], d["sensor_z"]] for d in got])
    los = np.array([[d["los_x"], d["los_y"], d["los_z"]] for d in got])
    ranges = np.array([d["range_m"] for d in got])
    assert np.max(np.abs(sensor - site)) < 1e-6
    assert np.max(np.linalg.norm(sensor + ranges[:, None] * los - targets, axis=-1)) < 1e-3
    assert {d["sigma_range_m"] for d in got} == {30.0}


def test_malformed_tdm_is_refused_naming_the_line_and_stores_nothing(
    service: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    """A bad data line gives 422 naming the line; nothing is stored, by any partner's view."""
    client, tok = service
    body, _ = _ir_tdm(tmp_path)
    lines = body.decode().splitlines()
    bad_at = next(i for i, line in enumerate(lines) if line.startswith("ANGLE_2")) + 1
    lines[bad_at - 1] = lines[bad_at - 1].rsplit(" ", 1)[0] + " not-a-number"
    bad = ("\n".join(lines) + "\n").encode()
    params = {"message_id": "bad", "releasable_to": "all", **SIGMA, **SAT_POS}
    r = _post(client, tok["USA"], bad, **params)
    assert r.status_code == 422
    msg = r.json()["detail"][0]["msg"]
    assert f"line {bad_at}" in msg and "ANGLE_2" in msg and msg.startswith("body")
    for body_bad in (b"\xff\xfe", b"", b"CCSDS_TDM_VERS = 2.0\nMETA_START\n"):
        assert _post(client, tok["USA"], body_bad, **params).status_code == 422
    assert client.get("/api/v1/detections", headers=auth(tok["USA"])).json()["detections"] == []
    # The id was not consumed by the refused message.
    good, _ = _ir_tdm(tmp_path)
    assert _post(client, tok["USA"], good, **params).status_code == 201


def test_tdm_epoch_out_of_range_is_refused_naming_the_line(
    service: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    """An epoch in the year 1000 (which nanosecond times would wrap to 2169) is a 422
    naming its line; nothing is stored."""
    client, tok = service
    body, _ = _ir_tdm(tmp_path)
    lines = body.decode().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("ANGLE_1")) + 1
    key, rest = lines[at - 1].split("=", 1)
    epoch, value = rest.split()
    lines[at - 1] = f"{key}= 1000{epoch[4:]} {value}"
    bad = ("\n".join(lines) + "\n").encode()
    params = {"message_id": "old", "releasable_to": "all", **SIGMA, **SAT_POS}
    r = _post(client, tok["USA"], bad, **params)
    assert r.status_code == 422
    msg = r.json()["detail"][0]["msg"]
    assert f"line {at}" in msg and "outside the years 1678 to 2261" in msg
    assert client.get("/api/v1/detections", headers=auth(tok["USA"])).json()["detections"] == []


def test_tdm_query_parameters_are_validated(
    service: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    """Missing or out-of-range parameters: 422 naming them; a code that is no partner is
    answered as a partner's code would be."""
    client, tok = service
    body, _ = _ir_tdm(tmp_path)
    r = _post(client, tok["USA"], body, releasable_to="all", **SIGMA, **SAT_POS)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "message_id"]
    r = _post(client, tok["USA"], body, message_id="m", sensor_kind="ir", sigma_rad=-1.0)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "sigma_rad"]
    r = _post(client, tok["USA"], body, message_id="m", releasable_to="ZZZ", **SIGMA, **SAT_POS)
    assert r.status_code == 201, r.text
    unauth = client.post("/api/v1/detections/tdm", content=body, params={"message_id": "m"})
    assert unauth.status_code == 401


def test_day_of_year_epochs_are_read_and_checked_against_the_clock(
    service: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    """Another producer's day-of-year epochs (CCSDS 502.0 7.5.10: 2027-060 is 1 March):
    stored at the same times as calendar ones; one ahead of the clock is a 422 naming its
    line, never a server error."""
    client, tok = service
    body, _ = _ir_tdm(tmp_path, n=2)
    doy = body.decode().replace("2027-03-01T", "2027-060T")
    params = {"message_id": "doy", "releasable_to": "all", **SIGMA, **SAT_POS}
    r = _post(client, tok["USA"], doy.encode(), **params)
    assert r.status_code == 201, r.text
    got = client.get("/api/v1/detections", headers=auth(tok["USA"])).json()["detections"]
    times = sorted(np.datetime64(d["time"].replace("Z", "").split("+")[0], "ns") for d in got)
    np.testing.assert_array_equal(np.array(times, "datetime64[ns]").astype(np.int64), _epoch_ns(2))
    late_text = doy.replace("2027-060T00:00:00.000000Z", "2027-060T00:10:00.000000Z")
    at = next(i for i, line in enumerate(late_text.splitlines()) if "T00:10:00" in line) + 1
    late_body = late_text.encode()
    late = _post(client, tok["USA"], late_body, **{**params, "message_id": "late"})
    assert late.status_code == 422, late.text
    msg = late.json()["detail"][0]["msg"]
    assert f"body, line {at}: epoch 2027-060T00:10:00" in msg and "ahead of the server" in msg

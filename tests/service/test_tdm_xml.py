"""CCSDS TDM ingest in the XML encoding, and the untrusted-XML threats.

References: the XML TDM is written by :func:`tracklayer.io.tdm_xml.tdm_xml_text` from known
lines of sight and validated by ccsds-ndm; the service must store the same lines of sight
(1e-8 rad) as from the KVN form of the same detections. Hostile documents (defusedxml's and
OWASP's XML attacks: entity expansion, external entities and DTDs, deep nesting, element
floods, oversize) are each refused with a 422 naming the rule; nothing is stored and the
message id stays free.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tests.ccsds_check import ccsds_valid
from tests.service.conftest import EPOCH, auth
from tracklayer.io.tdm import tdm_text
from tracklayer.io.tdm_xml import tdm_xml_text
from tracklayer.service.tdm_ingest import BODY_XML_LIMITS

SENSOR = {"sensor_kind": "ir", "sigma_rad": 5e-5}
SAT_POS = {"sensor_x_m": 4.2e7, "sensor_y_m": 1.0e6, "sensor_z_m": -2.0e5}
BASE_NS = int(np.datetime64(EPOCH.replace(tzinfo=None), "ns").astype(np.int64))


def _detections(n: int = 5, seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    los = rng.normal(size=(n, 3))
    los /= np.linalg.norm(los, axis=-1, keepdims=True)
    return BASE_NS + np.arange(n, dtype=np.int64) * 400_000_000, los


def _post(client: Any, token: str, body: bytes, message_id: str) -> Any:
    params = {"message_id": message_id, "releasable_to": "all", **SENSOR, **SAT_POS}
    return client.post(
        "/api/v1/detections/tdm",
        content=body,
        params=params,
        headers={**auth(token), "Content-Type": "application/xml"},
    )


def _stored(client: Any, token: str) -> list[dict[str, Any]]:
    detections: list[dict[str, Any]] = client.get("/api/v1/detections", headers=auth(token)).json()[
        "detections"
    ]
    return detections


def test_xml_tdm_is_stored_as_its_kvn_twin(service: tuple[Any, dict[str, str]]) -> None:
    """The XML and KVN forms of one sensor's detections (both valid for ccsds-ndm) store the
    same lines of sight, within 1e-8 rad of those written; a retry is stored once."""
    client, tok = service
    t, los = _detections()
    xml = tdm_xml_text("SBIRS-X", t, los).encode()
    kvn = tdm_text("SBIRS-K", t, los).encode()
    assert ccsds_valid(xml) and ccsds_valid(kvn)
    r = _post(client, tok["USA"], xml, "xml-1")
    assert r.status_code == 201, r.text
    assert r.json() == {"message_id": "xml-1", "accepted": 5, "duplicate": False}
    assert _post(client, tok["USA"], xml, "xml-1").json()["duplicate"] is True
    assert _post(client, tok["USA"], kvn, "kvn-1").status_code == 201
    got = _stored(client, tok["JPN"])
    assert len(got) == 10
    by_sensor: dict[str, list[list[float]]] = {}
    for d in sorted(got, key=lambda d: (d["sensor_id"], int(d["det_id"]))):
        by_sensor.setdefault(d["sensor_id"], []).append([d["los_x"], d["los_y"], d["los_z"]])
    from_xml, from_kvn = np.array(by_sensor["SBIRS-X"]), np.array(by_sensor["SBIRS-K"])
    assert np.max(np.linalg.norm(from_xml - los, axis=-1)) < 1e-8
    np.testing.assert_array_equal(from_xml, from_kvn)


def _doctype(subset: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE tdm [{subset}]>\n'
        '<tdm id="CCSDS_TDM_VERS" version="2.0"><header><ORIGINATOR>&x;</ORIGINATOR></header>'
        "</tdm>\n"
    ).encode()


def _hostile(secret: Path) -> dict[str, tuple[bytes, str]]:
    """Each attack, and the words its refusal must contain."""
    laughs = '<!ENTITY x0 "lol">' + "".join(
        f'<!ENTITY x{i} "{("&x" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    limit = BODY_XML_LIMITS.max_elements
    return {
        "billion laughs": (_doctype(laughs + '<!ENTITY x "&x9;">'), "document type declaration"),
        "xxe local file": (_doctype(f'<!ENTITY x SYSTEM "{secret.as_uri()}">'), "document type"),
        "xxe remote": (_doctype('<!ENTITY x SYSTEM "http://127.0.0.1:9/">'), "document type"),
        "external dtd": (b'<!DOCTYPE tdm SYSTEM "http://127.0.0.1:9/t.dtd"><tdm/>', "(<!DOCTYPE>)"),
        "deep nesting": (b"<tdm>" * 100_000 + b"</tdm>" * 100_000, "deeper than 16 elements"),
        "element flood": (b"<tdm>" + b"<x/>" * (limit + 1) + b"</tdm>", f"more than {limit}"),
        "huge": (
            b"<tdm>" + b" " * BODY_XML_LIMITS.max_bytes + b"</tdm>",
            f"at most {BODY_XML_LIMITS.max_bytes} bytes",
        ),
        "not well-formed": (b"<tdm><header></tdm>", "line 1: not well-formed XML"),
        "unknown encoding": (b'<?xml version="1.0" encoding="UTF-ANGLE"?><tdm/>', "encoding"),
    }


def test_hostile_xml_is_refused_naming_the_rule_and_stores_nothing(
    service: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    """Every attack gets a 422 whose message starts with ``body`` and names the rule (and
    never carries the secret file's content); afterwards no detection is stored and a good
    TDM under the same message id is accepted."""
    client, tok = service
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    for name, (body, words) in _hostile(secret).items():
        r = _post(client, tok["USA"], body, "hostile")
        assert r.status_code == 422, (name, r.status_code, r.text[:200])
        msg = r.json()["detail"][0]["msg"]
        assert msg.startswith("body") and words in msg, (name, msg)
        assert "TOP-SECRET" not in r.text
    assert _stored(client, tok["USA"]) == []
    t, los = _detections(2)
    assert (
        _post(client, tok["USA"], tdm_xml_text("S", t, los).encode(), "hostile").status_code == 201
    )


def test_xml_epoch_ahead_of_the_clock_is_refused_naming_the_segment(
    service: tuple[Any, dict[str, str]],
) -> None:
    """The server clock is EPOCH + 10 s and the skew 5 s: a detection at EPOCH + 100 s is
    90 s ahead of the clock (85 s past the latest accepted); 422 naming segment 1, its
    sensor and the epoch; nothing stored."""
    client, tok = service
    t = BASE_NS + np.array([1, 100], dtype=np.int64) * 1_000_000_000
    body = tdm_xml_text("S-9", t, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])).encode()
    assert ccsds_valid(body)
    r = _post(client, tok["USA"], body, "late")
    assert r.status_code == 422
    msg = r.json()["detail"][0]["msg"]
    assert msg.startswith("body, segment 1 (S-9): epoch 2027-03-01T00:01:40.000000 is 90.000 s")
    assert _stored(client, tok["USA"]) == []

"""CCSDS TDM in XML: foreign files written by ccsds-ndm read, our XML validated by it, and
the same data as the KVN reader gives; errors name the source and the observation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from tracklayer.errors import InputFormatError
from tracklayer.io.tdm import radec_to_los, read_tdm, write_tdm
from tracklayer.io.tdm_xml import parse_any_tdm, parse_tdm_xml, read_any_tdm, write_tdm_xml

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)
T0 = np.datetime64("2027-03-01T00:00:00", "ns").astype(np.int64)


def _los(n: int = 5) -> np.ndarray:
    rng = np.random.default_rng(5)
    los = rng.standard_normal((n, 3))
    return los / np.linalg.norm(los, axis=-1, keepdims=True)


def test_foreign_xml_written_by_ccsds_ndm_is_read(tmp_path: Path) -> None:
    """Reference: ccsds-ndm's XML writer (its TDM 2.0 object model). Our KVN file is read
    by ccsds-ndm and written back as XML by ccsds-ndm: reading that XML gives the KVN
    reader's segment exactly (same epochs, angles, ranges, frame)."""
    ccsds_io = pytest.importorskip("ccsds_ndm.ndm_io")
    mapping = pytest.importorskip("ccsds_ndm.mapping")
    times = T0 + np.arange(5) * 1_500_000_000
    for site, rng in (((0.6, 2.2), np.linspace(1e5, 9e5, 5)), (None, None)):
        kvn = write_tdm(
            tmp_path / "s.tdm", "SENSOR-1", times, _los(), range_m=rng,
            site_lat_lon_rad=site, creation_date=EPOCH,
        )  # fmt: skip
        xml = ccsds_io.NdmIo().to_string(
            ccsds_io.NdmIo().from_path(kvn), mapping.NDMFileFormats.XML
        )
        assert xml.lstrip().startswith("<?xml")
        (ours,) = read_tdm(kvn)
        (theirs,) = parse_tdm_xml(xml, "foreign.xml")
        assert theirs.participant == "SENSOR-1" and theirs.angle_type == ours.angle_type
        assert theirs.reference_frame == ours.reference_frame
        np.testing.assert_array_equal(theirs.time, ours.time)
        np.testing.assert_array_equal(theirs.angle_1_deg, ours.angle_1_deg)
        np.testing.assert_array_equal(theirs.angle_2_deg, ours.angle_2_deg)
        if rng is None:
            assert theirs.range_km is None
        else:
            np.testing.assert_array_equal(theirs.range_km, ours.range_km)


NAMESPACED = """<?xml version="1.0" encoding="UTF-8"?>
<ndm xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<tdm xmlns="urn:ccsds:schema:ndmxml" id="CCSDS_TDM_VERS" version="2.0">
  <header>
    <COMMENT>from another producer</COMMENT>
    <CREATION_DATE>2027-060T00:00:00</CREATION_DATE>
    <ORIGINATOR>ELSEWHERE</ORIGINATOR>
    <MESSAGE_ID>M-1</MESSAGE_ID>
    <CLASSIFICATION>none</CLASSIFICATION>
  </header>
  <body><segment>
    <metadata>
      <COMMENT>angles only</COMMENT>
      <TIME_SYSTEM>UTC</TIME_SYSTEM>
      <PARTICIPANT_1>SAT-9</PARTICIPANT_1>
      <ANGLE_TYPE>RADEC</ANGLE_TYPE>
      <REFERENCE_FRAME>EME2000</REFERENCE_FRAME>
    </metadata>
    <data>
      <COMMENT>data comments sit beside the observations</COMMENT>
      <observation><EPOCH>2027-060T00:00:01.5Z</EPOCH>
        <ANGLE_1 units="deg">10.5</ANGLE_1></observation>
      <observation><EPOCH>2027-060T00:00:01.5Z</EPOCH>
        <ANGLE_2 units="deg">-4.25</ANGLE_2></observation>
      <observation><EPOCH>2027-060T00:00:01.5Z</EPOCH>
        <RECEIVE_FREQ_2>2.2e9</RECEIVE_FREQ_2></observation>
    </data>
  </segment></body>
</tdm>
</ndm>
"""


def test_namespaced_ndm_with_units_and_unknown_keywords() -> None:
    """A combined ``<ndm>`` instantiation, a namespace, ``units`` attributes, day-of-year
    epochs (2027 day 60 is 1 March) and keywords the reader does not use (noted)."""
    (seg,) = parse_tdm_xml(NAMESPACED.encode(), "foreign")
    assert seg.participant == "SAT-9" and seg.reference_frame == "EME2000"
    assert seg.time[0] == np.datetime64("2027-03-01T00:00:01.500", "ns")
    assert seg.angle_1_deg.tolist() == [10.5] and seg.angle_2_deg.tolist() == [-4.25]
    assert seg.notes == (
        "header keyword CLASSIFICATION not used: 1 line(s) skipped",
        "data keyword RECEIVE_FREQ_2 not used: 1 line(s) skipped",
    )


def test_our_xml_validates_and_reads_back(tmp_path: Path) -> None:
    """Reference: ccsds-ndm's XML reader (the TDM 2.0 schema's object model: it refuses a
    keyword, value or frame the schema does not list). Our XML parses there with our
    angles (to 1e-9 deg, the written precision); our reader gives back the lines of sight
    (1e-10 rad) and epochs (exact to 1 µs) of the KVN writer's input."""
    ccsds_io = pytest.importorskip("ccsds_ndm.ndm_io")
    los = _los()
    times = T0 + np.arange(5) * 250_000_000
    path = write_tdm_xml(tmp_path / "s.xml", "SAT-1", times, los, creation_date=EPOCH)
    doc = ccsds_io.NdmIo().from_path(path)
    segment = doc.body.segment[0]
    assert segment.metadata.reference_frame.value == "ITRF2000"
    (seg,) = read_any_tdm(path)
    angle_1 = [o.angle_1.value for o in segment.data.observation if o.angle_1 is not None]
    np.testing.assert_allclose(angle_1, seg.angle_1_deg, atol=1e-9, rtol=0)
    assert np.abs(radec_to_los(seg.angle_1_deg, seg.angle_2_deg) - los).max() < 1e-10
    np.testing.assert_array_equal(seg.time.astype(np.int64), times)
    radar = write_tdm_xml(
        tmp_path / "r.xml", "RADAR-1", times, los, range_m=np.full(5, 5e5),
        site_lat_lon_rad=(0.5, 1.0), creation_date=EPOCH,
    )  # fmt: skip
    ccsds_io.NdmIo().from_path(radar)
    (seg,) = read_any_tdm(radar)
    assert seg.angle_type == "AZEL" and seg.range_km is not None
    np.testing.assert_allclose(seg.range_km, 500.0, atol=1e-6)


def test_either_encoding_by_content(tmp_path: Path) -> None:
    kvn = write_tdm(tmp_path / "a.tdm", "S", np.array([T0]), _los(1), creation_date=EPOCH)
    (seg,) = parse_any_tdm(kvn.read_bytes())
    assert seg.participant == "S"
    with pytest.raises(InputFormatError, match=r"no such TDM file"):
        read_any_tdm(tmp_path / "none.xml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<tdm version='2.0'><header>", r"doc, line 1: not well-formed XML"),
        ("<opm version='2.0'/>", r"root element <opm> is not <tdm>"),
        ("<tdm version='3.5'/>", r"tdm version must be 1.0 or 2.0, got '3.5'"),
        (
            NAMESPACED.replace("<TIME_SYSTEM>UTC", "<TIME_SYSTEM>TAI"),
            r"segment 0 <metadata>: TIME_SYSTEM must be UTC",
        ),
        (
            NAMESPACED.replace('<ANGLE_1 units="deg">10.5', "<ANGLE_1>ten"),
            r"segment 0 observation 0: ANGLE_1 must be a number, got 'ten'",
        ),
        (
            NAMESPACED.replace("<EPOCH>2027-060T00:00:01.5Z</EPOCH>\n        <ANGLE_2", "<ANGLE_2"),
            r"segment 0 observation 1: observation lacks EPOCH",
        ),
    ],
)
def test_bad_xml_is_refused_naming_where(text: str, message: str) -> None:
    with pytest.raises(InputFormatError, match=message):
        parse_tdm_xml(text, "doc")


def test_kvn_written_by_ccsds_ndm_is_read(tmp_path: Path) -> None:
    """Reference: ccsds-ndm's KVN writer. Our XML, read by ccsds-ndm and written back by it
    as KVN (its own layout: aligned keywords, its number formatting), reads as the same
    segment with the KVN reader (angles to 1e-9 deg, epochs exact)."""
    ccsds_io = pytest.importorskip("ccsds_ndm.ndm_io")
    mapping = pytest.importorskip("ccsds_ndm.mapping")
    times = T0 + np.arange(5) * 1_000_000_000
    path = write_tdm_xml(
        tmp_path / "r.xml", "RADAR-1", times, _los(), range_m=np.linspace(2e5, 6e5, 5),
        site_lat_lon_rad=(0.5, 1.0), creation_date=EPOCH,
    )  # fmt: skip
    kvn = ccsds_io.NdmIo().to_string(ccsds_io.NdmIo().from_path(path), mapping.NDMFileFormats.KVN)
    from tracklayer.io.tdm import parse_tdm

    (theirs,) = parse_tdm(kvn, "foreign.tdm")
    (ours,) = read_any_tdm(path)
    np.testing.assert_array_equal(theirs.time, ours.time)
    np.testing.assert_allclose(theirs.angle_1_deg, ours.angle_1_deg, atol=1e-9, rtol=0)
    assert theirs.range_km is not None and ours.range_km is not None
    np.testing.assert_allclose(theirs.range_km, ours.range_km, atol=1e-6, rtol=0)

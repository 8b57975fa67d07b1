"""OMM reading in JSON, CSV and XML: same satellites as the TLEs, clear record errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sgp4.conveniences import sat_epoch_datetime

from tracklayer.errors import InputFormatError
from tracklayer.io.omm import read_omm
from tracklayer.io.tle import read_tle
from tracklayer.space.propagate import propagate

DATA = Path(__file__).parents[1] / "data"
RECORDS = json.loads((DATA / "sats.json").read_text())


@pytest.mark.parametrize("suffix", ["json", "csv", "xml"])
def test_omm_and_tle_give_the_same_positions(suffix: str) -> None:
    """Each OMM encoding of the four fixture objects propagates to the same ECEF
    positions as their TLEs over a day after each element epoch.

    Reference: the TLE fixture through sgp4. Tolerance: 1 cm, because OMM epochs are
    written to the microsecond while TLE epochs are fractions of a day to 1e-8 day
    (a rounding of up to 0.5 µs, 4 mm at 7.5 km/s).
    """
    tle = read_tle(DATA / "sats.tle")
    omm = read_omm(DATA / f"sats.{suffix}")
    assert [o.name for o in omm] == [t.name for t in tle]
    assert [o.catalog_number for o in omm] == [t.catalog_number for t in tle]
    seconds = np.arange(0.0, 86400.0, 600.0)
    for t, o in zip(tle, omm, strict=True):
        epoch = sat_epoch_datetime(t.satrec).replace(microsecond=0)
        a = propagate([t.satrec], epoch, seconds)
        b = propagate([o.satrec], epoch, seconds)
        assert a.valid.all() and b.valid.all()
        np.testing.assert_allclose(a.r_ecef, b.r_ecef, rtol=0, atol=1e-2)


def _json(tmp_path: Path, records: list[dict[str, object]]) -> Path:
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(records))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"MEAN_MOTION": None}, r"cat.json record 1 \(FLOCK 2E-1\): field MEAN_MOTION is missing"),
        ({"ECCENTRICITY": "abc"}, r"record 1 \(FLOCK 2E-1\): field ECCENTRICITY must be a number"),
        ({"INCLINATION": 200.0}, r"field INCLINATION = 200.0 is outside \[0.0, 180.0\]"),
        ({"EPOCH": "2018/05/15 09:17"}, "field EPOCH must be ISO 8601 UTC"),
        ({"NORAD_CAT_ID": "x1"}, "field NORAD_CAT_ID must be an integer"),
        ({"NORAD_CAT_ID": 400000}, "exceeds 339999"),
        ({"MEAN_MOTION": 0.0}, "field MEAN_MOTION = 0.0 is outside"),
    ],
)
def test_bad_json_record_names_file_record_and_field(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    """A bad value in the second record is reported with file, record index, name and
    keyword."""
    records = [dict(r) for r in RECORDS]
    for key, value in change.items():
        if value is None:
            del records[1][key]
        else:
            records[1][key] = value
    with pytest.raises(InputFormatError, match=message):
        read_omm(_json(tmp_path, records))


def test_optional_keywords_default_and_epoch_without_fraction(tmp_path: Path) -> None:
    """Optional TLE parameters may be absent and an epoch may lack fractional seconds or
    end in Z, as some catalogues write them."""
    rec = dict(RECORDS[0])
    for key in ("EPHEMERIS_TYPE", "ELEMENT_SET_NO", "REV_AT_EPOCH", "CLASSIFICATION_TYPE"):
        del rec[key]
    rec["EPOCH"] = "2018-05-15T14:50:33Z"
    (only,) = read_omm(_json(tmp_path, [rec]))
    assert only.satrec.elnum == 999 and only.satrec.classification == "U"
    assert only.satrec.error == 0


def test_encoding_level_errors(tmp_path: Path) -> None:
    """Broken JSON, a non-list, broken XML, an XML segment without its sections, a CSV
    row longer than its header, an unknown suffix and a missing file."""
    bad = tmp_path / "bad.json"
    bad.write_text('[{"OBJECT_NAME": "A",\n "EPOCH": }]')
    with pytest.raises(InputFormatError, match=r"bad\.json line 2: not valid JSON"):
        read_omm(bad)
    bad.write_text('"hello"')
    with pytest.raises(InputFormatError, match="expected a JSON list of OMM records"):
        read_omm(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(InputFormatError, match="record 0: expected an object"):
        read_omm(bad)
    xml = tmp_path / "bad.xml"
    xml.write_text("<ndm><omm><body><segment><metadata>")
    with pytest.raises(InputFormatError, match=r"bad\.xml: not well-formed XML"):
        read_omm(xml)
    xml.write_text("<ndm><omm><body><segment><metadata/></segment></body></omm></ndm>")
    with pytest.raises(InputFormatError, match=r"bad\.xml segment 0: expected <metadata>"):
        read_omm(xml)
    csv = tmp_path / "bad.csv"
    lines = (DATA / "sats.csv").read_text().splitlines()
    csv.write_text("\n".join([lines[0], lines[1], lines[2] + ",extra"]) + "\n")
    with pytest.raises(InputFormatError, match=r"bad.csv record 1 \(line 3\): more values"):
        read_omm(csv)
    csv.write_text("just,a,header\n1,2,3\n")
    with pytest.raises(InputFormatError, match="expected a CSV header line"):
        read_omm(csv)
    txt = tmp_path / "x.txt"
    txt.write_text("")
    with pytest.raises(InputFormatError, match=r"unknown OMM encoding '\.txt'"):
        read_omm(txt)
    with pytest.raises(InputFormatError, match="OMM file not found"):
        read_omm(tmp_path / "absent.json")


def test_bad_csv_and_xml_records(tmp_path: Path) -> None:
    """A blank CSV cell and a missing XML element are reported with their record."""
    lines = (DATA / "sats.csv").read_text().splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("BSTAR")] = ""
    csv = tmp_path / "cat.csv"
    csv.write_text("\n".join([lines[0], lines[1], lines[2], ",".join(row)]) + "\n")
    with pytest.raises(
        InputFormatError,
        match=r"cat.csv record 2 \(line 4\) \(VANGUARD 1\): field BSTAR is missing",
    ):
        read_omm(csv)
    text = (DATA / "sats.xml").read_text()
    xml = tmp_path / "cat.xml"
    xml.write_text(text.replace("<ECCENTRICITY>0.1845686</ECCENTRICITY>", ""))
    with pytest.raises(
        InputFormatError, match=r"cat.xml segment 2 \(VANGUARD 1\): field ECCENTRICITY is missing"
    ):
        read_omm(xml)


def test_kvn_written_by_ccsds_ndm_is_read(tmp_path: Path) -> None:
    """Reference: ccsds-ndm's KVN writer. The four fixture objects, turned from the XML
    catalogue into KVN messages by ccsds-ndm and concatenated as catalogues do, read as
    the same satellites as their TLEs (positions within 1 cm over a day, as above)."""
    ccsds_io = pytest.importorskip("ccsds_ndm.ndm_io")
    mapping = pytest.importorskip("ccsds_ndm.mapping")
    ndm = ccsds_io.NdmIo().from_path(DATA / "sats.xml")
    text = "\n".join(
        ccsds_io.NdmIo().to_string(message, mapping.NDMFileFormats.KVN) for message in ndm.omm
    )
    path = tmp_path / "cat.omm"
    path.write_text(text)
    tle = read_tle(DATA / "sats.tle")
    omm = read_omm(path)
    assert [o.catalog_number for o in omm] == [t.catalog_number for t in tle]
    assert omm[1].where == f"{path} message at line 29"
    seconds = np.arange(0.0, 86400.0, 3600.0)
    for t, o in zip(tle, omm, strict=True):
        epoch = sat_epoch_datetime(t.satrec).replace(microsecond=0)
        a, b = propagate([t.satrec], epoch, seconds), propagate([o.satrec], epoch, seconds)
        np.testing.assert_allclose(a.r_ecef, b.r_ecef, rtol=0, atol=1e-2)


def test_kvn_written_here_validates_and_propagates_the_same(tmp_path: Path) -> None:
    """Reference: the CCSDS OMM 2.0 schema (ccsds-ndm's object model) and the source SGP4
    records. Messages of the TLE fixture and of a Walker layout parse with ccsds-ndm,
    read back with their names and numbers, and propagate within 1 cm of the records they
    came from over a day (epochs to the microsecond: 4 mm at 7.5 km/s). The Walker
    satellites, all numbered from 1 in their constellation, get distinct analyst numbers."""
    from datetime import UTC, datetime

    from tracklayer.io.omm_kvn import write_omm_kvn_files
    from tracklayer.space.config import WalkerConstellation
    from tracklayer.space.walker import walker_satrecs

    ccsds_io = pytest.importorskip("ccsds_ndm.ndm_io")
    tle = read_tle(DATA / "sats.tle")
    walker = WalkerConstellation.model_validate(
        {"kind": "walker_delta", "name": "W", "owner": "USA", "sensor": "ir", "total": 4,
         "planes": 2, "phasing": 1, "altitude_km": 1000.0, "inclination_deg": 60.0}
    )  # fmt: skip
    epoch = datetime(2027, 3, 1, tzinfo=UTC)
    records = [t.satrec for t in tle] + walker_satrecs(walker, epoch) * 2
    names = [str(t.name) for t in tle] + [f"W-{i}" for i in range(8)]
    paths = write_omm_kvn_files(tmp_path, names, records, creation_date=epoch)
    assert paths[0].name == "ISS_ZARYA.omm"
    seconds = np.arange(0.0, 86400.0, 3600.0)
    numbers = []
    for path, name, record in zip(paths, names, records, strict=True):
        doc = ccsds_io.NdmIo().from_path(path)
        assert doc.body.segment.metadata.object_name == name
        (back,) = read_omm(path)
        numbers.append(back.catalog_number)
        start = sat_epoch_datetime(record).replace(microsecond=0)
        a, b = propagate([record], start, seconds), propagate([back.satrec], start, seconds)
        np.testing.assert_allclose(a.r_ecef, b.r_ecef, rtol=0, atol=1e-2)
    assert numbers[:4] == [t.catalog_number for t in tle]
    assert numbers[4:] == [str(80005 + i) for i in range(8)]


def test_bad_kvn_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.omm"
    path.write_text("OBJECT_NAME = X\n")
    with pytest.raises(InputFormatError, match=r"bad.omm line 1: OBJECT_NAME before CCSDS_OMM"):
        read_omm(path)
    path.write_text("CCSDS_OMM_VERS = 2.0\nMEAN_MOTION 15.5\n")
    with pytest.raises(InputFormatError, match=r"bad.omm line 2: expected 'KEYWORD = value'"):
        read_omm(path)
    path.write_text("CCSDS_OMM_VERS = 2.0\nEPOCH = 2027-03-01T00:00:00\n")
    with pytest.raises(InputFormatError, match=r"message at line 1: field MEAN_MOTION is missing"):
        read_omm(path)
    path.write_text("COMMENT nothing\n")
    with pytest.raises(InputFormatError, match=r"no OMM message"):
        read_omm(path)


def test_a_scenario_takes_a_kvn_omm_file() -> None:
    """A constellation's OMM file may be KVN (.omm, .kvn); another suffix is refused."""
    from pydantic import ValidationError

    from tracklayer.space.config import OmmConstellation

    base = {"kind": "omm", "name": "K", "owner": "USA", "sensor": "ir"}
    for name in ("cat.omm", "cat.kvn", "cat.json"):
        assert OmmConstellation.model_validate({**base, "file": name}).file.name == name
    with pytest.raises(ValidationError, match=r"must end in .json, .csv, .xml, .omm or .kvn"):
        OmmConstellation.model_validate({**base, "file": "cat.txt"})

"""CCSDS TDM: round trip of angles and ranges, and errors naming the line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tracklayer.errors import InputFormatError
from tracklayer.frames import utc_timestamps
from tracklayer.io.tdm import azel_to_los, radec_to_los, read_tdm, write_tdm, write_tdm_files
from tracklayer.sensors.detect import DETECTIONS_SCHEMA

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


def _table(n: int = 40) -> pa.Table:
    rng = np.random.default_rng(0)
    los = rng.standard_normal((n, 3))
    los /= np.linalg.norm(los, axis=-1, keepdims=True)
    sensor = np.where(np.arange(n) % 3 == 0, "RADAR-1", "USA-TRK-P01-S01")
    rng_m = np.where(sensor == "RADAR-1", rng.uniform(1e5, 1e6, n), np.nan)
    sec = np.sort(rng.integers(0, 20, n)).astype(float) + 0.25
    return pa.table(
        {
            "det_id": np.arange(n),
            "sensor_id": sensor,
            "sensor_kind": np.where(sensor == "RADAR-1", "radar", "ir"),
            "owner": np.full(n, "USA"),
            "time": utc_timestamps(EPOCH, sec),
            "los_x": los[:, 0],
            "los_y": los[:, 1],
            "los_z": los[:, 2],
            "sensor_x": np.zeros(n),
            "sensor_y": np.zeros(n),
            "sensor_z": np.zeros(n),
            "sigma_rad": np.full(n, 1e-5),
            "snr": np.full(n, 10.0),
            "range_m": pa.array(rng_m, mask=np.isnan(rng_m)),
            "sigma_range_m": pa.array(rng_m, mask=np.isnan(rng_m)),
            "truth_id": pa.nulls(n, pa.string()),
            "background": pa.array(np.where(sensor == "RADAR-1", None, "earth"), pa.string()),
            "daylight": pa.array(np.where(sensor == "RADAR-1", None, True), pa.bool_()),
        },
        schema=DETECTIONS_SCHEMA,
    )


def test_round_trip_radec_and_azel(tmp_path: Path) -> None:
    """Written lines of sight and ranges read back to the written precision.

    Reference: the table's own values. Tolerances: angles written with 9 decimals of a
    degree (1e-9 deg = 2e-11 rad, allow 1e-10 rad), ranges to 1 mm, times exact to 1 µs.
    """
    table = _table()
    site = (0.6, 2.2)
    paths = write_tdm_files(table, tmp_path, sites={"RADAR-1": site}, creation_date=EPOCH)
    assert [p.name for p in paths] == ["RADAR-1.tdm", "USA-TRK-P01-S01.tdm"]
    los = np.stack([table.column(c).to_numpy() for c in ("los_x", "los_y", "los_z")], -1)
    sensor = np.asarray(table.column("sensor_id").to_pylist())
    times = table.column("time").cast(pa.int64()).to_numpy()
    for path in paths:
        (seg,) = read_tdm(path)
        mine = sensor == seg.participant
        if seg.angle_type == "AZEL":
            got = azel_to_los(seg.angle_1_deg, seg.angle_2_deg, *site)
            assert seg.range_km is not None
            np.testing.assert_allclose(
                seg.range_km * 1000,
                table.column("range_m").to_numpy(zero_copy_only=False)[mine],
                atol=1e-3,
            )
        else:
            assert seg.reference_frame == "ITRF" and seg.range_km is None
            got = radec_to_los(seg.angle_1_deg, seg.angle_2_deg)
        assert np.abs(got - los[mine]).max() < 1e-10
        np.testing.assert_array_equal(seg.time.astype(np.int64), times[mine])


GOOD = """CCSDS_TDM_VERS = 2.0
CREATION_DATE = 2027-03-01T00:00:00
ORIGINATOR = test

META_START
TIME_SYSTEM = UTC
PARTICIPANT_1 = S1
ANGLE_TYPE = RADEC
REFERENCE_FRAME = ITRF
META_STOP

DATA_START
ANGLE_1 = 2027-03-01T00:00:01.000000Z 10.5
ANGLE_2 = 2027-03-01T00:00:01.000000Z -3.25
DATA_STOP
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("CCSDS_TDM_VERS = 2.0", "CCSDS_TDM_VERS = 9.9", 1, "CCSDS_TDM_VERS must be"),
        (
            "ANGLE_2 = 2027-03-01T00:00:01.000000Z -3.25",
            "ANGLE_2 = 2027-03-01T00:00:01Z abc",
            14,
            "ANGLE_2 must be a number",
        ),
        (
            "ANGLE_1 = 2027-03-01T00:00:01.000000Z 10.5",
            "ANGLE_1 = 2027-13-01T00:00:01Z 10.5",
            13,
            "not a valid epoch",
        ),
        (
            "ANGLE_1 = 2027-03-01T00:00:01.000000Z 10.5",
            "ANGLE_1 2027-03-01T00:00:01Z 10.5",
            13,
            "expected 'KEYWORD = value'",
        ),
        ("ANGLE_TYPE = RADEC", "ANGLE_TYPE = XEYE", 10, "ANGLE_TYPE must be RADEC or AZEL"),
        (
            "ANGLE_1 = 2027-03-01T00:00:01.000000Z 10.5",
            "ANGLE_1 = 2027/03/01T00:00:01Z 10.5",
            13,
            "epoch must be YYYY-MM-DD",
        ),
        (
            "ANGLE_1 = 2027-03-01T00:00:01.000000Z 10.5",
            "ANGLE_1 = 2027-366T00:00:01Z 10.5",
            13,
            "day of year 366 does not exist in 2027",
        ),
        (  # year 1000: datetime64[ns] would wrap it to 2169
            "ANGLE_1 = 2027-03-01T00:00:01.000000Z 10.5",
            "ANGLE_1 = 1000-03-01T00:00:01Z 10.5",
            13,
            "outside the years 1678 to 2261",
        ),
        (
            "ANGLE_2 = 2027-03-01T00:00:01.000000Z -3.25",
            "ANGLE_2 = 2263-03-01T00:00:01Z -3.25",
            14,
            "outside the years 1678 to 2261",
        ),
        ("DATA_STOP\n", "", 14, "file ends inside a segment"),
        ("TIME_SYSTEM = UTC\n", "", 9, "lacks TIME_SYSTEM"),
    ],
)
def test_malformed_tdm_names_the_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    """Each malformed file gets an InputFormatError naming the file and line (reference:
    the line edited in the fixture)."""
    path = tmp_path / "bad.tdm"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new))
    with pytest.raises(InputFormatError, match=message) as info:
        read_tdm(path)
    assert f"bad.tdm, line {line}:" in str(info.value)


def test_good_fixture_reads_and_missing_file(tmp_path: Path) -> None:
    """The hand-written fixture reads as written; a missing file is a clear error."""
    path = tmp_path / "good.tdm"
    path.write_text(GOOD)
    (seg,) = read_tdm(path)
    assert seg.participant == "S1" and seg.angle_1_deg.tolist() == [10.5]
    assert seg.angle_2_deg.tolist() == [-3.25]
    with pytest.raises(InputFormatError, match="no such TDM file"):
        read_tdm(tmp_path / "none.tdm")
    one = write_tdm(
        tmp_path / "x.tdm", "S9", np.array([0]), np.array([[1.0, 0, 0]]), creation_date=EPOCH
    )
    (seg,) = read_tdm(one)
    assert seg.angle_1_deg.tolist() == [0.0] and seg.angle_2_deg.tolist() == [0.0]


def test_parse_in_memory_equals_reading_the_file(tmp_path: Path) -> None:
    """``parse_tdm`` of the text (str or bytes) gives what ``read_tdm`` gives of the file;
    errors name the given source and line, non-ASCII text included (reference: the
    fixture, and the offending position in it)."""
    from tracklayer.io.tdm import parse_tdm

    path = tmp_path / "good.tdm"
    path.write_text(GOOD)
    (from_file,) = read_tdm(path)
    for text in (GOOD, GOOD.encode()):
        (seg,) = parse_tdm(text, "body")
        assert seg.participant == from_file.participant
        assert seg.angle_1_deg.tolist() == from_file.angle_1_deg.tolist()
        assert seg.angle_2_deg.tolist() == from_file.angle_2_deg.tolist()
    with pytest.raises(InputFormatError, match=r"^body, line 13: epoch must be"):
        parse_tdm(GOOD.replace("ANGLE_1 = 2027-03-01", "ANGLE_1 = 27-03-01", 1), "body")
    accented = GOOD.replace("TIME_SYSTEM = UTC", "TIME_SYSTEM = UTC é", 1)
    position = accented.index("é")
    with pytest.raises(
        InputFormatError, match=rf"body: not an ASCII TDM file \(character {position}\)"
    ):
        parse_tdm(accented, "body")
    with pytest.raises(InputFormatError, match=r"body: not an ASCII TDM file \(byte"):
        parse_tdm(accented.encode("utf-8"), "body")


FOREIGN = """CCSDS_TDM_VERS = 2.0
COMMENT written by another producer
CREATION_DATE = 2027-060T00:00:00
ORIGINATOR = PARTNER
MESSAGE_ID = 0001
SOMETHING_NEW = 42

META_START
TIME_SYSTEM = UTC
PARTICIPANT_1 = S1
PARTICIPANT_2 = OBJ
MODE = SEQUENTIAL
PATH = 2,1
ANGLE_TYPE = RADEC
REFERENCE_FRAME = EME2000
META_STOP

DATA_START
ANGLE_1 = 2027-060T00:00:01.5 10.5
ANGLE_2 = 2027-060T00:00:01.5Z -3.25
RECEIVE_FREQ_2 = 2027-060T00:00:01.5 2.2e9
ANGLE_1 = 2028-366T23:59:59 11.0
ANGLE_2 = 2028-366T23:59:59 -3.0
RECEIVE_FREQ_2 = 2028-366T23:59:59 2.2e9
DATA_STOP
"""


def test_foreign_producers_day_of_year_and_unknown_keywords() -> None:
    """Day-of-year epochs (CCSDS 502.0 7.5.10) read as calendar dates: 2027 day 60 is
    1 March (2027 is not a leap year), 2028 day 366 is 31 December; keywords the reader does
    not use are skipped, each named in a note; the frame is kept as written."""
    from tracklayer.io.tdm import parse_tdm

    (seg,) = parse_tdm(FOREIGN, "foreign")
    assert seg.time[0] == np.datetime64("2027-03-01T00:00:01.500", "ns")
    assert seg.time[1] == np.datetime64("2028-12-31T23:59:59", "ns")
    assert seg.angle_1_deg.tolist() == [10.5, 11.0]
    assert seg.reference_frame == "EME2000"
    assert seg.notes == (
        "header keyword SOMETHING_NEW not used: 1 line(s) skipped",
        "data keyword RECEIVE_FREQ_2 not used: 2 line(s) skipped",
    )


def test_every_written_tdm_validates_against_the_ccsds_schema(tmp_path: Path) -> None:
    """Reference: the CCSDS NDM/XML 2.0 TDM schema, as ccsds-ndm's object model (it refuses
    a keyword, value or frame the schema does not list, e.g. a bare ``ITRF``). Every file
    ``write_tdm_files`` writes (RADEC in ITRF2000, AZEL with RANGE in km) parses there with
    the same epochs and angles (to 1e-9 degrees, the written precision)."""
    ccsds_io = pytest.importorskip("ccsds_ndm.ndm_io")
    site = (np.radians(35.0), np.radians(139.0))
    paths = write_tdm_files(_table(), tmp_path, sites={"RADAR-1": site}, creation_date=EPOCH)
    assert len(paths) == 2
    for path in paths:
        tdm = ccsds_io.NdmIo().from_path(path)
        (ours,) = read_tdm(path)
        segment = tdm.body.segment[0]
        observations = segment.data.observation
        angle_1 = [o.angle_1.value for o in observations if o.angle_1 is not None]
        assert np.allclose(angle_1, ours.angle_1_deg, atol=1e-9, rtol=0)
        frame = segment.metadata.reference_frame
        if ours.angle_type == "RADEC":
            assert frame is not None and frame.value == "ITRF2000"
            assert ours.reference_frame == "ITRF"
        else:
            ranges = [float(o.range) for o in observations if o.range is not None]
            assert ours.range_km is not None
            assert np.allclose(ranges, ours.range_km, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="ITRF"):
        ccsds_io.NdmIo().from_string(GOOD)  # a bare ITRF is not a listed frame


def test_a_missing_or_unreadable_tdm_file_is_named(tmp_path: Path) -> None:
    """Either encoding's reader names the file, never a traceback: missing, or a folder."""
    from tracklayer.io.tdm_xml import read_any_tdm

    for reader in (read_tdm, read_any_tdm):
        with pytest.raises(InputFormatError, match="no such TDM file"):
            reader(tmp_path / "absent.tdm")
        with pytest.raises(InputFormatError, match="cannot read TDM file"):
            reader(tmp_path)

"""``tracklayer export``: a run folder in every format, each file read back by an independent
reader (ccsds-ndm, sgp4 through our OMM reader, the STK layout) against the run's tables;
bad input names the file or the option and writes nothing."""

from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.ccsds_check import ccsds_validated
from tests.conftest import SMALL_SCENARIO
from tracklayer.io.omm import read_omm
from tracklayer.io.parquet import read_table, write_table
from tracklayer.io.stk import read_stk_ephemeris, utcg
from tracklayer.io.stk_objects import FOLDER, read_stk_groups
from tracklayer.io.tdm import read_tdm
from tracklayer.io.tdm_xml import read_any_tdm
from tracklayer.scenario import load_scenario
from tracklayer.space.propagate import propagate
from tracklayer.stages.space import space_segment
from tracklayer.tracking.synthetic import EPOCH, make_raid
from tracklayer.vocabulary import TRACKS_SCHEMA

__all__ = ["ccsds_validated"]

CliRun = Callable[..., tuple[int, str, str]]
RADARS = """\
radars:
  - {name: JPN-EWR-1, owner: JPN, lat_deg: 38.0, lon_deg: 131.0, alt_km: 0.1,
     min_elevation_deg: 1, target_rcs_m2: 0.1, revisit_s: 10}
"""


def _tracks(truth: pa.Table) -> pa.Table:
    """The truth as the fused tracker's tracks (one per threat, 300 m / 5 m/s sigmas)."""
    n = truth.num_rows
    cov = np.diag([300.0**2] * 3 + [5.0**2] * 3).ravel()
    return pa.table(
        {
            "track_id": pc.cast(truth["object_id"], pa.string()),
            "tracker": ["fused"] * n,
            "time": truth["time"],
            **{c: truth[c] for c in ("x", "y", "z", "vx", "vy", "vz")},
            "cov": pa.array(np.tile(cov, (n, 1)).tolist(), pa.list_(pa.float64(), 36)),
            "status": ["confirmed"] * n,
        },
        schema=TRACKS_SCHEMA,
    )


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder: the small scenario at the synthetic raid's epoch with a radar, the
    raid's truth (each threat's first 10 s flagged as boost) and detections, its truth
    as tracks."""
    run = tmp_path_factory.mktemp("run")
    text = SMALL_SCENARIO.replace("2027-03-01T00:00:00Z", EPOCH.isoformat()) + RADARS
    (run / "scenario.yaml").write_text(text)
    raid = make_raid(2, 4, duration_s=60.0, false_alarms_per_frame=0.0, seed=2)
    seconds = pc.cast(raid.truth["time"], pa.int64()).to_numpy() / 1e9
    names = np.asarray(raid.truth["object_id"].to_pylist())
    first = {n: seconds[names == n].min() for n in set(names.tolist())}
    flown = seconds - np.array([first[n] for n in names])
    truth = raid.truth.set_column(
        raid.truth.schema.get_field_index("phase"), "phase",
        pa.array(np.where(flown < 10, "boost", "midcourse")),
    )  # fmt: skip
    write_table(truth, run / "truth.parquet")
    write_table(raid.detections, run / "detections.parquet")
    write_table(_tracks(truth), run / "tracks.parquet")
    return run


def test_every_format_reads_back(
    run_folder: Path, tmp_path: Path, run_cli: CliRun, ccsds_validated: list[Path]
) -> None:
    """References: ccsds-ndm (every OEM, OMM and TDM file, KVN and XML, validated as it is
    written; samples parsed again below), sgp4 (the OMM's elements propagate
    within 1 cm of the catalogue's), the run's tables (states to 1 mm, epochs to 1 µs),
    the scenario's epoch (STK's ScenarioEpoch)."""
    ccsds_io = pytest.importorskip("ccsds_ndm.ndm_io")
    out = tmp_path / "export"
    code, stdout, stderr = run_cli("export", str(run_folder), "--out", str(out))
    assert code == 0, stderr
    assert "files in" in stdout
    written = [p for p in out.rglob("*") if p.suffix in (".oem", ".omm", ".tdm", ".xml")]
    assert len(ccsds_validated) == len(written) > 40
    scenario = load_scenario(run_folder / "scenario.yaml")
    catalog = space_segment(scenario)
    for kind, count in (("satellites", 18), ("threats", 2), ("tracks", 2)):
        files = sorted((out / "oem" / kind).glob("*.oem"))
        assert len(files) == count, kind
        ccsds_io.NdmIo().from_path(files[0])
    for path in sorted((out / "tdm").glob("*.tdm"))[:3]:
        ccsds_io.NdmIo().from_path(path)
        (kvn,) = read_tdm(path)
        xml_path = out / "tdm-xml" / path.with_suffix(".xml").name
        ccsds_io.NdmIo().from_path(xml_path)
        (xml,) = read_any_tdm(xml_path)
        np.testing.assert_array_equal(kvn.time, xml.time)
        np.testing.assert_array_equal(kvn.angle_1_deg, xml.angle_1_deg)
    omm = sorted((out / "omm").glob("*.omm"))
    assert len(omm) == 18
    (first,) = read_omm(out / "omm" / f"{catalog.sat_id[0]}.omm")
    seconds = np.arange(0.0, 600.0, 60.0)
    a = propagate([catalog.satrecs[0]], scenario.epoch, seconds)
    b = propagate([first.satrec], scenario.epoch, seconds)
    np.testing.assert_allclose(a.r_ecef, b.r_ecef, atol=1e-2, rtol=0)

    table = read_table(run_folder / "truth.parquet")
    name = sorted(set(pc.cast(table["object_id"], pa.string()).to_pylist()))[0]
    mine = table.filter(pc.equal(pc.cast(table["object_id"], pa.string()), name)).sort_by("time")
    stk = read_stk_ephemeris((out / "stk" / "threats" / f"{name}.e").read_text())
    assert stk.keywords["ScenarioEpoch"] == "1 Jan 2030 00:00:00.000000"
    assert stk.keywords["CoordinateSystem"] == "Fixed" and stk.keywords["DistanceUnit"] == "Meters"
    np.testing.assert_array_equal(stk.time_ns, pc.cast(mine["time"], pa.int64()).to_numpy())
    np.testing.assert_allclose(stk.states[:, 0], mine["x"].to_numpy(), atol=1e-3, rtol=0)
    track = read_stk_ephemeris((out / "stk" / "tracks" / f"fused_{name}.e").read_text())
    assert track.covariance is not None
    np.testing.assert_allclose(track.covariance[0, 0, 0], 300.0**2, rtol=1e-12)
    boost = (out / "stk" / "threats" / f"{name}_boost.int").read_text().splitlines()
    start, stop = (utcg(t) for t in stk.time_ns[[0, 9]].tolist())  # boost: first 10 samples
    assert boost[4] == f'"{start}" "{stop}"' and len(boost) == 7
    assert (
        "1 Jan 2030 00:00:00.000000 UTCG to 1 Jan 2030 00:10:00.000000 UTCG"
        in (out / "stk" / "README.txt").read_text()
    )
    sat = read_stk_ephemeris((out / "stk" / "satellites" / f"{catalog.sat_id[0]}.e").read_text())
    assert sat.time_ns.size == 21  # 600 s every 30 s
    objects = sorted((out / "stk" / "satellites").glob("*.sa"))
    assert len(objects) == 18
    for path in objects:
        vehicle = read_stk_groups(path.read_text(), path.name).group("Satellite")
        ephemeris = (
            path.parent / vehicle.group("VehiclePath").group("StkExternal").keywords["Filename"]
        )
        assert ephemeris.is_file() and ephemeris.stem == path.stem
    first_sa = read_stk_groups((out / "stk" / "satellites" / f"{catalog.sat_id[0]}.sa").read_text())
    interval = first_sa.group("Satellite").group("VehiclePath").group("Interval").keywords
    assert (interval["StartTime"], interval["StopTime"]) == (
        utcg(int(sat.time_ns[0])), utcg(int(sat.time_ns[-1]))
    )  # fmt: skip
    script = (out / "stk" / "scenario.connect").read_text().replace(FOLDER, str(out / "stk"))
    commands = [line for line in script.splitlines() if line and not line.startswith("#")]
    assert commands[:2] == [
        "New / Scenario small_test_layer",
        'SetAnalysisTimePeriod * "1 Jan 2030 00:00:00.000000" "1 Jan 2030 00:10:00.000000"',
    ]
    assert sum(c.startswith("Load / */Satellite ") for c in commands) == 18
    assert sum(c.startswith("New / */Missile ") for c in commands) == 4  # 2 threats, 2 tracks
    assert f"New / */Missile fused_{name}" in commands
    assert all(Path(c.split('"')[1]).is_file() for c in commands if '"' in c and "/" in c[5:])

    layers = {p.stem: json.loads(p.read_text()) for p in (out / "geo").glob("*.geojson")}
    assert set(layers) == {"satellite_ground_tracks", "threat_ground_tracks", "impact_areas",
                           "threat_impacts", "radar_fans"}  # fmt: skip
    impacts = {f["properties"]["id"]: f for f in layers["threat_impacts"]["features"]}
    assert impacts[name]["properties"]["time"].startswith(str(mine["time"][-1].as_py().date()))
    assert impacts[name]["geometry"]["coordinates"][1] == pytest.approx(
        np.degrees(mine["lat_rad"][-1].as_py())
    )
    assert len(layers["impact_areas"]["features"]) == 2
    assert layers["impact_areas"]["features"][0]["geometry"]["type"] == "Polygon"
    assert len(layers["radar_fans"]["features"]) == 1
    for path in (out / "geo").glob("*.kml"):
        ET.fromstring(path.read_text())


def test_one_format_and_errors(
    run_folder: Path, tmp_path: Path, run_cli: CliRun, ccsds_validated: list[Path]
) -> None:
    """``--format`` picks formats (its OMM files pass ccsds-ndm); a missing run folder, a
    missing table and an unknown format exit 2 with a message naming it, and leave no
    output behind."""
    out = tmp_path / "one"
    code, _, stderr = run_cli("export", str(run_folder), "-o", str(out), "-f", "omm")
    assert code == 0, stderr
    assert {p.parent.name for p in out.rglob("*") if p.is_file()} == {"omm"}
    assert len(ccsds_validated) == 18 or importlib.util.find_spec("ccsds_ndm") is None
    bad = tmp_path / "bad"
    code, _, stderr = run_cli("export", str(tmp_path / "nowhere"), "-o", str(bad))
    assert code == 2 and "nowhere: no such run folder" in stderr
    code, _, stderr = run_cli("export", str(tmp_path / "nowhere"))
    assert code == 2 and "nowhere: no such run folder" in stderr
    assert not (tmp_path / "nowhere").exists()
    code, _, stderr = run_cli("export", str(run_folder), "-o", str(bad), "-f", "stl")
    assert code == 2 and "--format: unknown ['stl']" in stderr
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "scenario.yaml").write_text((run_folder / "scenario.yaml").read_text())
    code, _, stderr = run_cli("export", str(partial), "-o", str(bad), "-f", "omm", "-f", "tdm")
    assert code == 2 and "detections.parquet: not found" in stderr
    assert not bad.exists()

"""`tracklayer detect` writes one CCSDS TDM per sensor: every file passes ccsds-ndm, and
the files read back hold exactly the detections table (each detection once, at its time,
its line of sight within 1e-8 rad: angles are written to 1e-9 deg)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.ccsds_check import ccsds_valid
from tracklayer.io.parquet import read_table
from tracklayer.io.tdm import radec_to_los, read_tdm

CliRun = Callable[..., tuple[int, str, str]]

#: A single MRBM seen by 12 wide-field infrared satellites and one early-warning radar.
DETECT_SCENARIO = """\
name: detect TDM check
epoch: 2027-03-01T00:00:00Z
seed: 5
duration_s: 240
step_s: 2.0
sensors:
  ir:
    field_of_regard: {kind: earth_limb, above_limb_deg: 3}
    grazing_altitude_km: 20
    infrared: {kind: staring_wide, band: mwir, aperture_cm: 15, ifov_urad: 60, revisit_s: 2,
               nei_w_m2: 2.0e-11, threshold_snr: 6.5}
space:
  constellations:
    - {name: TRK, owner: USA, sensor: ir, kind: walker_delta, total: 12, planes: 3,
       phasing: 1, altitude_km: 1000, inclination_deg: 80}
threats:
  bands: {mwir: [4.2, 4.5]}
  vehicles: {mrbm: {preset: mrbm}}
  raids:
    - {name: bm, vehicle: mrbm, count: 1, launch: {lat_deg: 25.5, lon_deg: 116.5},
       aim: {lat_deg: 21.5, lon_deg: 125.5}, launch_time_s: 10}
radars:
  - {name: JPN-EWR-1, owner: JPN, lat_deg: 26.5, lon_deg: 128.0, alt_km: 0.1,
     min_elevation_deg: 1, target_rcs_m2: 0.1, revisit_s: 10}
"""


@pytest.mark.slow
def test_detect_writes_valid_tdm_files_holding_every_detection(
    run_cli: CliRun, tmp_path: Path
) -> None:
    scenario = tmp_path / "detect.yaml"
    scenario.write_text(DETECT_SCENARIO)
    out = tmp_path / "out"
    code, _, stderr = run_cli("detect", str(scenario), "--out", str(out))
    assert code == 0, stderr
    files = sorted((out / "tdm").glob("*.tdm"))
    assert "JPN-EWR-1.tdm" in {f.name for f in files} and len(files) >= 2
    assert all(ccsds_valid(f.read_text()) for f in files)
    table = read_table(out / "detections.parquet")
    read = {f.stem: read_tdm(f) for f in files}
    assert sum(s.time.size for segments in read.values() for s in segments) == table.num_rows
    ir = [f.stem for f in files if f.stem != "JPN-EWR-1"]
    mine = table.filter(pc.is_in(table["sensor_id"], pa.array(ir)))
    segments = [s for name in ir for s in read[name]]
    assert all(s.angle_type == "RADEC" and s.reference_frame == "ITRF" for s in segments)
    written = np.concatenate([radec_to_los(s.angle_1_deg, s.angle_2_deg) for s in segments])
    sensors = np.concatenate([[s.participant] * s.time.size for s in segments])
    times = np.concatenate([s.time.astype("datetime64[ns]").astype(np.int64) for s in segments])
    expected = np.column_stack([mine[c].to_numpy() for c in ("los_x", "los_y", "los_z")])
    expected_times = pc.cast(mine["time"], pa.int64()).to_numpy()
    # The same order on both sides: by sensor, time, then line of sight.
    a = np.lexsort((written[:, 0], times, sensors))
    b = np.lexsort((expected[:, 0], expected_times, np.asarray(mine["sensor_id"].to_pylist())))
    np.testing.assert_array_equal(times[a], expected_times[b])
    assert np.max(np.linalg.norm(written[a] - expected[b], axis=-1)) < 1e-8

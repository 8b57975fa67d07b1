"""The report's line per nation: warnings alone and with its partners' tracks."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from tests.report.test_report_sections import _cells
from tracklayer.io.parquet import write_table
from tracklayer.network.pictures import NATIONAL_WARNING_SCHEMA
from tracklayer.report.network_section import network_section


def test_one_report_line_per_nation(tmp_path: Path) -> None:
    """Reference by hand: USA warned alone of T0 (60 s) and T1 (90 s), with JPN's tracks of
    T0 (40 s), T1 (90 s) and T2 (70 s): 2/3 and 3/3, means 75 and 66.7 -> "67", gains
    20 and 0 (mean 10.0, largest 20.0). JPN fuses nobody's tracks."""
    rows = [
        ("USA", "US", "JPN", "T0", 60.0, 40.0, 20.0),
        ("USA", "US", "JPN", "T1", 90.0, 90.0, 0.0),
        ("USA", "US", "JPN", "T2", None, 70.0, None),
        ("JPN", "JP", "", "T0", 45.0, 45.0, 0.0),
        ("JPN", "JP", "", "T1", None, None, None),
        ("JPN", "JP", "", "T2", 50.0, 50.0, 0.0),
    ]
    table = pa.Table.from_pylist(
        [dict(zip(NATIONAL_WARNING_SCHEMA.names, r, strict=True)) for r in rows],
        schema=NATIONAL_WARNING_SCHEMA,
    )
    write_table(table, tmp_path / "national_warning.parquet")
    cells = _cells(network_section(tmp_path))
    assert ["USA", "US", "JPN", "2/3", "3/3", "75", "67", "10.0", "20.0"] in cells
    assert ["JPN", "JP", "–", "2/3", "2/3", "48", "48", "0.0", "0.0"] in cells

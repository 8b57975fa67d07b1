"""Write the example TLE and OMM files under ``examples/data/``.

They describe notional constellations (no real objects): a Korean ring of 12 satellites
(3 planes at 550 km, 45 deg) as a three-line TLE file, and an Australian ring of 8
satellites (2 planes at 700 km, 35 deg) as a CelesTrak-style OMM JSON list, and a US
geostationary warning satellite over 125 E as a TLE. Elements are
SGP4 mean elements at 2027-03-01T00:00:00Z, written by the ``sgp4`` package's exporters.

Usage: python scripts/make_example_catalogs.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sgp4 import exporter
from sgp4.api import WGS72, Satrec

EPOCH_DAYS_SINCE_1949_12_31 = 28184.0  # 2027-03-01T00:00:00Z
MU_WGS72_KM3_S2 = 398600.8
RE_WGS72_KM = 6378.135


def ring(
    catalog_start: int, planes: int, per_plane: int, altitude_km: float, inclination_deg: float
) -> list[Satrec]:
    """A Walker-like ring of circular orbits as initialized SGP4 records."""
    a_km = RE_WGS72_KM + altitude_km
    mean_motion_rad_min = math.sqrt(MU_WGS72_KM3_S2 / a_km**3) * 60.0
    satellites = []
    for plane in range(planes):
        for slot in range(per_plane):
            satrec = Satrec()
            satrec.sgp4init(
                WGS72,
                "i",
                catalog_start + len(satellites),
                EPOCH_DAYS_SINCE_1949_12_31,
                0.0,
                0.0,
                0.0,
                1e-4,
                0.0,
                math.radians(inclination_deg),
                math.radians(360.0 * slot / per_plane + 180.0 * plane / (planes * per_plane)),
                mean_motion_rad_min,
                math.radians(360.0 * plane / planes),
            )
            satrec.intldesg = f"27{catalog_start % 1000:03d}{chr(65 + len(satellites))}"
            satrec.classification = "U"
            satellites.append(satrec)
    return satellites


#: Greenwich mean sidereal angle at 2027-03-01T00:00:00Z, deg (Skyfield, IAU 1982).
GMST_AT_EPOCH_DEG = 158.5757


def geostationary(catalog: int, longitude_deg: float) -> Satrec:
    """A geostationary satellite over ``longitude_deg`` (east) at the epoch."""
    satrec = Satrec()
    satrec.sgp4init(
        WGS72,
        "i",
        catalog,
        EPOCH_DAYS_SINCE_1949_12_31,
        0.0,
        0.0,
        0.0,
        1e-4,
        0.0,
        math.radians(0.05),
        math.radians((longitude_deg + GMST_AT_EPOCH_DEG) % 360.0),
        2.0 * math.pi * 1.00273791 / 1440.0,
        0.0,
    )
    satrec.intldesg = "27099A"
    satrec.classification = "U"
    return satrec


def main() -> None:
    data = Path(__file__).resolve().parent.parent / "examples" / "data"
    data.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, satrec in enumerate(ring(90001, 3, 4, 550.0, 45.0)):
        line1, line2 = exporter.export_tle(satrec)
        lines += [f"KOR-LEO-{i + 1:02d}", line1, line2]
    (data / "kor.tle").write_text("\n".join(lines) + "\n")
    records = [
        exporter.export_omm(satrec, f"AUS-RING-{i + 1:02d}")
        for i, satrec in enumerate(ring(91001, 2, 4, 700.0, 35.0))
    ]
    (data / "aus_omm.json").write_text(json.dumps(records, indent=1) + "\n")
    line1, line2 = exporter.export_tle(geostationary(92001, 125.0))
    (data / "geo_warning.tle").write_text(f"USA-GEO-WARN-1\n{line1}\n{line2}\n")


if __name__ == "__main__":
    main()

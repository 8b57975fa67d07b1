"""Regenerate the OMM fixtures (sats.json, sats.csv, sats.xml) from sats.tle.

The records are what :func:`sgp4.exporter.export_omm` makes of each TLE (the keywords
and layout CelesTrak publishes), so the OMM and TLE fixtures hold the same objects. Run
from the repository root: ``.venv/bin/python tests/data/make_omm_fixtures.py``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.sax.saxutils import escape

from sgp4.exporter import export_omm

from tracklayer.io.tle import read_tle

HERE = Path(__file__).parent
META = ("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME", "TIME_SYSTEM")
MEAN = ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE")
MEAN += ("ARG_OF_PERICENTER", "MEAN_ANOMALY")
TLE_PARAMS = ("EPHEMERIS_TYPE", "CLASSIFICATION_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO")
TLE_PARAMS += ("REV_AT_EPOCH", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT")


def _xml(records: list[dict[str, object]]) -> str:
    def block(tag: str, rec: dict[str, object], keys: tuple[str, ...]) -> str:
        inner = "".join(f"<{k}>{escape(str(rec[k]))}</{k}>" for k in keys)
        return f"<{tag}>{inner}</{tag}>"

    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ndm xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="https://sanaregistry.org/r/ndmxml_unqualified/'
        'ndmxml-2.0.0-master-2.0.xsd">',
    ]
    for rec in records:
        parts.append(
            '<omm id="CCSDS_OMM_VERS" version="2.0"><header><CREATION_DATE/><ORIGINATOR/>'
            "</header><body><segment>"
            + block("metadata", rec, (*META, "MEAN_ELEMENT_THEORY"))
            + "<data>"
            + block("meanElements", rec, MEAN)
            + block("tleParameters", rec, TLE_PARAMS)
            + "</data></segment></body></omm>"
        )
    parts.append("</ndm>")
    return "\n".join(parts) + "\n"


def main() -> None:
    records = [export_omm(s.satrec, s.name) for s in read_tle(HERE / "sats.tle")]
    (HERE / "sats.json").write_text(json.dumps(records, indent=1) + "\n")
    with (HERE / "sats.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    (HERE / "sats.xml").write_text(_xml(records))


if __name__ == "__main__":
    main()

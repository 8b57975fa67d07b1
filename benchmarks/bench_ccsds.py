"""CCSDS TDM reading: tracklayer's KVN and XML readers against ccsds-ndm on the same files.

One infrared sensor's detections (default 2,000, RADEC in ITRF2000) are written by
``write_tdm`` (KVN) and ``write_tdm_xml`` (XML); each reader parses each text, best of
``--runs`` (default 3) after one uncounted run, side by side in one process. ccsds-ndm
builds its xsdata object model of the CCSDS schemas (and so validates); ours returns the
angle arrays. Usage: ``python benchmarks/bench_ccsds.py [--n 2000 --runs 3]``.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tracklayer.io.tdm import parse_tdm, write_tdm
from tracklayer.io.tdm_xml import parse_tdm_xml, tdm_xml_text


def _best(function: Callable[[], object], runs: int) -> float:
    function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from ccsds_ndm.ndm_io import NdmIo

    rng = np.random.default_rng(0)
    los = rng.normal(size=(args.n, 3))
    los /= np.linalg.norm(los, axis=1, keepdims=True)
    t0 = np.datetime64("2027-03-01T00:00:00", "ns").astype(np.int64)
    times = t0 + np.arange(args.n) * 100_000_000
    with tempfile.TemporaryDirectory() as folder:
        kvn = write_tdm(Path(folder) / "s.tdm", "SAT-1", times, los).read_text()
    xml = tdm_xml_text("SAT-1", times, los)
    rows = [
        ("tracklayer parse_tdm (KVN)", _best(lambda: parse_tdm(kvn), args.runs)),
        ("ccsds-ndm NdmIo.from_string (KVN)", _best(lambda: NdmIo().from_string(kvn), args.runs)),
        ("tracklayer parse_tdm_xml (XML)", _best(lambda: parse_tdm_xml(xml), args.runs)),
        ("ccsds-ndm NdmIo.from_string (XML)", _best(lambda: NdmIo().from_string(xml), args.runs)),
    ]
    python = platform.python_version()
    print(f"{args.n} observations (angle pairs), best of {args.runs}; Python {python}")
    ours = {"KVN": rows[0][1], "XML": rows[2][1]}
    print("| path | wall time (ms) | relative to ours |\n|---|---:|---:|")
    for name, seconds in rows:
        encoding = "XML" if "XML" in name else "KVN"
        print(f"| {name} | {seconds * 1e3:.1f} | {seconds / ours[encoding]:.1f}x |")


if __name__ == "__main__":
    main()

"""Sweep fixtures: a tiny base scenario, sweep files over it, and an in-process Dask cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from distributed import Client, LocalCluster

from tests.conftest import SMALL_SCENARIO

BASE = yaml.safe_load(SMALL_SCENARIO)


def write_sweep(folder: Path, text: str, base: str = SMALL_SCENARIO) -> Path:
    """Write ``base.yaml`` (the small 18-satellite scenario) and ``sweep.yaml`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(base)
    path = folder / "sweep.yaml"
    path.write_text(text)
    return path


#: 3 x 2 = 6 designs of the small scenario's constellation A; a case takes milliseconds.
GRID_SWEEP = """\
name: tiny grid
base: base.yaml
set: {coverage.duration_s: 3600, coverage.step_s: 600, coverage.cell_size_deg: 10,
      "space.constellations[0].phasing": 0}
axes:
  - {name: planes, path: "space.constellations[name=A].planes", values: [1, 2, 3]}
  - {name: alt, path: "space.constellations[0].altitude_km", values: [800, 1200]}
"""


@pytest.fixture(scope="module")
def local_client() -> Iterator[Client]:
    """A one-worker, one-thread Dask cluster inside the test process (fast to start).

    One thread only: numba's default threading layer refuses parallel kernels launched
    from two threads at once.
    """
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client

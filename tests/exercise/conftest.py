"""Shared pieces of the exercise tests: a small run folder, its national tracks, the
service's export."""

from __future__ import annotations

import copy
import io
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import EXAMPLES
from tests.service.conftest import fast_dir
from tests.service.server_helper import free_port, start_server, stop_server
from tests.threats.helpers import SECTION
from tracklayer.io.parquet import write_table
from tracklayer.pipeline import write_scenario_copy
from tracklayer.raid import run_raid
from tracklayer.scenario import validate_scenario
from tracklayer.vocabulary import TRACKS_SCHEMA

COLUMNS = TRACKS_SCHEMA.names


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small run folder: the demo's space segment and sensors, a small raid, 300 s."""
    data = yaml.safe_load((EXAMPLES / "demo.yaml").read_text())
    threats = copy.deepcopy(SECTION)
    threats["bands"] = {**threats.get("bands", {}), **data["threats"]["bands"]}
    data.update(duration_s=300, step_s=2, threats=threats, tracking={})
    for section in ("coverage", "losses", "radars", "network"):
        data.pop(section, None)
    scenario = validate_scenario(data, base_dir=EXAMPLES)
    out = tmp_path_factory.mktemp("run")
    write_scenario_copy(scenario, out)
    write_table(run_raid(scenario).tracks, out / "tracks.parquet")
    return out


def national(tracks: pa.Table) -> pa.Table:
    """The owners' rows the exercise sends: not ``joint``/``fused``, and none deeper below
    the ellipsoid than the service accepts (a track coasting on after impact)."""
    from tracklayer.service.ingest import inside_earth

    pos = np.stack([np.asarray(tracks[k], dtype=np.float64) for k in ("x", "y", "z")], axis=1)
    mask = pc.and_(
        pc.invert(pc.is_in(tracks["tracker"], pa.array(["joint", "fused"]))),
        pa.array(~inside_earth(pos)),
    )
    return (
        tracks.filter(mask)
        .select(COLUMNS)
        .sort_by([("tracker", "ascending"), ("track_id", "ascending"), ("time", "ascending")])
    )


def export(server: str, token: str) -> pa.Table:
    r = httpx.get(
        f"{server}/api/v1/export/parquet",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    r.raise_for_status()
    return pq.read_table(io.BytesIO(r.content))


@contextmanager
def running_service(
    *codes: str, serve_args: tuple[str, ...] = ()
) -> Iterator[tuple[str, dict[str, str]]]:
    """A real service (uvicorn subprocess, SQLite) with these partners:
    ``(root URL, {code: token})``; ``serve_args`` are added to ``serve``'s options."""
    from tracklayer.service.auth import add_partner
    from tracklayer.service.db import make_engine, migrate

    folder = Path(tempfile.mkdtemp(dir=fast_dir()))
    url = f"sqlite:///{folder / 'picture.db'}"
    engine = make_engine(url)
    migrate(engine)
    tokens = {code: add_partner(engine, code) for code in codes}
    engine.dispose()
    proc = start_server(url, port := free_port(), timeout_s=120.0, extra_args=serve_args)
    try:
        yield f"http://127.0.0.1:{port}", tokens
    finally:
        stop_server(proc)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def service_with_owners() -> Iterator[tuple[str, dict[str, str]]]:
    """A real service with partners JPN and USA."""
    with running_service("JPN", "USA") as service:
        yield service

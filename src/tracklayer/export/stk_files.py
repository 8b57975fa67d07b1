"""STK external files of a run folder: ``.e`` for satellites, threats and tracks, ``.sa``
satellite objects flown on their ``.e``, ``.int`` for each threat's powered flight, and a
README saying how to load them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.export.folder import STATE_COLUMNS, RunFolder
from tracklayer.io.outputs import safe_file_name, write_text_atomic
from tracklayer.io.stk import interval_list_text, stk_ephemeris_text, utcg
from tracklayer.io.stk_objects import connect_script_text, stk_satellite_text
from tracklayer.io.truth_oem import object_rows, split_by_object

__all__ = ["write_stk"]


def write_stk(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    del created  # STK files carry no creation date
    epoch = run.epoch_ns
    catalog, states = run.space()
    stamps = epoch + np.round(states.seconds * 1e9).astype(np.int64)
    folder = out / "stk" / "satellites"
    files = []
    for i, sat_id in enumerate(catalog.sat_id.tolist()):
        ok = states.valid[i]
        if ok.any():
            text = stk_ephemeris_text(
                stamps[ok], np.concatenate([states.r_ecef[i][ok], states.v_ecef[i][ok]], axis=1),
                epoch, interpolation=("Lagrange", 7), comment=f"satellite {sat_id}",
            )  # fmt: skip
            ephemeris = write_text_atomic(folder / safe_file_name(sat_id, ".e"), text)
            satellite = stk_satellite_text(
                stk_object_name(sat_id), ephemeris.name, int(stamps[ok][0]), int(stamps[ok][-1]),
                epoch,
            )  # fmt: skip
            files += [ephemeris, write_text_atomic(ephemeris.with_suffix(".sa"), satellite)]
    if run.has("truth"):
        files += _stk_threats(run, out, epoch)
    if run.has("tracks"):
        files += _stk_tracks(run, out, epoch)
    files.append(write_text_atomic(out / "stk" / "scenario.connect", _connect(run, out, files)))
    files.append(write_text_atomic(out / "stk" / "README.txt", _stk_readme(run)))
    return files


def _connect(run: RunFolder, out: Path, files: list[Path]) -> str:
    """The Connect script loading every satellite object, threat and track written."""
    root = out / "stk"
    relative = [path.relative_to(root).as_posix() for path in files]
    vehicles = [
        ("Missile", stk_object_name(Path(path).stem), path)
        for path in relative
        if path.endswith(".e") and path.startswith(("threats/", "tracks/"))
    ]
    return connect_script_text(
        stk_object_name(run.scenario.name), run.epoch_ns,
        run.epoch_ns + int(run.scenario.duration_s * 1e9),
        [path for path in relative if path.endswith(".sa")], vehicles,
    )  # fmt: skip


def stk_object_name(object_id: str) -> str:
    """An object's name in STK: its file name's stem with ``.`` as ``_`` (STK names take
    letters, digits, ``_`` and ``-``)."""
    return safe_file_name(object_id, "").replace(".", "_") or "object"


def _stk_readme(run: RunFolder) -> str:
    """How an STK user loads the files: the scenario's time span, frame and units."""
    start = utcg(run.epoch_ns)
    stop = utcg(run.epoch_ns + int(run.scenario.duration_s * 1e9))
    return (
        f"STK external files of the tracklayer scenario {run.scenario.name!r}\n\n"
        f"Scenario analysis period: {start} UTCG to {stop} UTCG; every .e file's\n"
        "ScenarioEpoch is the start, its times seconds after it.\n"
        "States: Earth-fixed axes (CentralBody Earth, CoordinateSystem Fixed), metres and\n"
        "metres per second; tracks carry 6x6 covariances (CovarianceTimePosVel, m^2...).\n\n"
        "satellites/*.e  the space segment, every 30 s (Lagrange, 7 samples)\n"
        "satellites/*.sa each satellite as an STK object on its .e (StkExternal): insert\n"
        "                them with File > Insert > From file (or the Connect command\n"
        '                Load / */Satellite "DIR/satellites/NAME.sa"); keep each .sa beside\n'
        "                its .e\n"
        "threats/*.e     each threat's true flight (Hermite); threats/*_boost.int its\n"
        "                powered flight, an interval list (e.g. for a constraint)\n"
        "tracks/*.e      each tracker's tracks, TRACKER_TRACKID (Hermite, covariance)\n\n"
        "scenario.connect  STK Connect commands building the whole scenario: a new\n"
        "                scenario over the analysis period, every satellite object, every\n"
        "                threat and track as a Missile on its .e (SetState FromFile);\n"
        "                replace STKDIR with this folder's full path first\n\n"
        "By hand: insert a Missile or Aircraft object (threats, tracks), set its\n"
        "propagator to StkExternal and pick the .e file.\n"
    )


def _intervals(time_ns: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Starts and stops of the runs of samples no more than 1.5 median steps apart."""
    if time_ns.size < 3:
        return time_ns[:1], time_ns[-1:]
    step = np.diff(time_ns)
    gaps = np.flatnonzero(step > 1.5 * np.median(step))
    return time_ns[np.append(0, gaps + 1)], time_ns[np.append(gaps, time_ns.size - 1)]


def _stk_threats(run: RunFolder, out: Path, epoch: int) -> list[Path]:
    truth = run.table("truth", ["object_id", "time", "phase", *STATE_COLUMNS])
    folder = out / "stk" / "threats"
    files = [
        write_text_atomic(
            folder / safe_file_name(name, ".e"),
            stk_ephemeris_text(
                time_ns, state, epoch, interpolation=("Hermite", 1), comment=f"threat {name}"
            ),
        )
        for name, time_ns, state in split_by_object(truth)
    ]
    boost = truth.filter(pc.equal(pc.cast(truth["phase"], pa.string()), "boost"))
    for name, time_ns, _ in split_by_object(boost):
        text = interval_list_text(*_intervals(time_ns))
        files.append(write_text_atomic(folder / safe_file_name(f"{name}_boost", ".int"), text))
    return files


def _stk_tracks(run: RunFolder, out: Path, epoch: int) -> list[Path]:
    tracks = run.table("tracks", ["track_id", "tracker", "time", *STATE_COLUMNS, "cov"])
    key = pc.binary_join_element_wise(tracks["tracker"], tracks["track_id"], "_")
    time_ns = np.asarray(pc.cast(tracks["time"], pa.int64()).to_numpy(zero_copy_only=False))
    states = np.column_stack([tracks[c].to_numpy(zero_copy_only=False) for c in STATE_COLUMNS])
    cov = np.asarray(tracks["cov"].combine_chunks().flatten().to_numpy(), np.float64)
    cov = cov.reshape(-1, 6, 6)
    files = []
    for name, rows in object_rows(tracks.append_column("object_id", key)):
        text = stk_ephemeris_text(
            time_ns[rows], states[rows], epoch, covariance=cov[rows],
            interpolation=("Hermite", 1), comment=f"track {name}",
        )  # fmt: skip
        files.append(write_text_atomic(out / "stk" / "tracks" / safe_file_name(name, ".e"), text))
    return files

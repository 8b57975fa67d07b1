"""The messages of an exercise: each owner's national tracks, one message per epoch.

A message holds one owner's track states of one epoch of the run (split at the service's
10 000 records per message); it is due when the simulation clock reaches that epoch plus
the owner's delivery delay. With the network stage, the epoch is due when the owner's
national node reported its states (``node_tracks.report_time``: once every detection they
rest on had arrived there) plus the delay. Its id names the run, the owner and the epoch,
so a resumed or repeated exercise re-sends the same ids and the service stores each
message once. Detections are planned by :mod:`tracklayer.exercise.detections`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from tracklayer.errors import InputFormatError, TracklayerError
from tracklayer.fusion.releasability import sharing_releasable_to
from tracklayer.vocabulary import TRACKS_SCHEMA, is_owner

__all__ = [
    "ExerciseMessage",
    "national_rows",
    "plan_messages",
    "read_tokens",
    "releases",
    "run_key",
    "shift_times",
]

#: Most records in one message (the service's limit).
MAX_RECORDS = 10_000

Release = list[str] | Literal["all"]
#: What a message carries: national track states, detections (JSON), or one sensor
#: frame's detections as a CCSDS TDM.
Kind = Literal["tracks", "detections", "tdm"]


@dataclass(frozen=True)
class ExerciseMessage:
    """One post of the exercise.

    Attributes
    ----------
    due_s : float
        Simulated time at which the owner's ground segment sends it, s after the run's
        first track epoch (the epoch plus the owner's delivery delay).
    epoch_ns : int
        The track states' time as sent (shifted), ns since 1970-01-01 UTC.
    owner : str
        The sending partner (the national tracker).
    message_id : str
        ``RUN:OWNER:tracks:EPOCH_NS[:PART]`` (``RUN:OWNER:detections:SECOND[:PART]``).
    releasable_to : list of str or "all"
        Partners, besides the owner, that may see the states.
    rows : pyarrow.Table
        The owner's rows of the ``tracks`` table at that epoch (or of ``detections``).
    kind : {"tracks", "detections", "tdm"}
        What the rows are, and how they are sent.
    """

    due_s: float
    epoch_ns: int
    owner: str
    message_id: str
    releasable_to: Release
    rows: pa.Table
    kind: Kind = "tracks"


def releases(scenario: Any, owners: list[str]) -> tuple[dict[str, Release], dict[str, float]]:
    """Each owner's release of its national tracks, and its delivery delay, s.

    With a scenario ``network:`` section, an owner's tracks go where its ``sharing``
    entries send ``tracks`` (to ``joint``, the combined node: every partner; the rule of
    :meth:`tracklayer.fusion.releasability.Release.of_sharing`), after the
    longest of their ``delay_s``; an owner that shares none keeps them. Without one, each
    owner releases to the scenario's other owners (the alliance) at once.
    """
    network = getattr(scenario, "network", None)
    sharing = getattr(network, "sharing", None) if network is not None else None
    if sharing is None:
        everyone = set(scenario.owners) | set(owners)
        return {o: sorted(everyone - {o}) for o in owners}, dict.fromkeys(owners, 0.0)
    release: dict[str, Release] = {}
    delay: dict[str, float] = {}
    for owner in owners:
        entries = [s for s in sharing if s.source == owner and "tracks" in _kinds(s.what)]
        targets = {str(s.to) for s in entries}
        release[owner] = sharing_releasable_to(owner, targets)
        delay[owner] = max((float(s.delay_s) for s in entries), default=0.0)
    return release, delay


def _kinds(what: Any) -> list[str]:
    return [what] if isinstance(what, str) else list(what)


def national_rows(tracks: pa.Table) -> pa.Table:
    """The owners' rows of a ``tracks`` (or ``node_tracks``) table in time order, without
    states deeper below the ellipsoid than the service accepts (a track coasting on after
    its threat's impact: the service would refuse their message)."""
    owners_mask = np.array([is_owner(t) for t in tracks["tracker"].to_pylist()], dtype=bool)
    national = tracks.filter(pa.array(owners_mask)).sort_by([("time", "ascending")])
    return national.filter(pa.array(~_underground(national)))


def run_key(tracks: pa.Table, scenario_name: str, shift_ns: int = 0) -> str:
    """A short id of the run: its scenario name and a digest of its national tracks and
    of the time shift they are sent with."""
    digest = hashlib.sha256(f"{scenario_name}@{shift_ns}".encode())
    digest.update(np.asarray(pc.cast(tracks["time"], pa.int64())).tobytes())
    digest.update(np.asarray(tracks["x"].to_numpy(zero_copy_only=False)).tobytes())
    name = "".join(c if c.isalnum() else "-" for c in scenario_name)[:40] or "run"
    return f"{name}-{digest.hexdigest()[:10]}"


def shift_times(table: pa.Table, shift_ns: int, column: str = "time") -> pa.Table:
    """``table`` with ``shift_ns`` nanoseconds added to its timestamp ``column``."""
    if not shift_ns:
        return table
    shifted = pc.add(pc.cast(table[column], pa.int64()), shift_ns)
    index = table.schema.get_field_index(column)
    return table.set_column(index, column, pc.cast(shifted, table.schema.field(column).type))


def first_time_ns(table: pa.Table, column: str = "time") -> int | None:
    """The earliest time of a table, ns since 1970 (None for an empty table)."""
    first = pc.min(pc.cast(table[column], pa.int64())).as_py()
    return None if first is None else int(first)


def plan_messages(
    tracks: pa.Table,
    scenario: Any,
    start_at_s: float = 0.0,
    time_shift_s: float = 0.0,
    t0_ns: int | None = None,
    key: str | None = None,
) -> list[ExerciseMessage]:
    """The exercise's posts of national tracks in the order they fall due.

    Parameters
    ----------
    tracks : pyarrow.Table
        The run's ``tracks`` table; only owners' rows are sent (not ``joint``/``fused``:
        the service fuses the national tracks itself). Rows of ``node_tracks`` (with
        ``report_time``) make an epoch due when its states were reported at the node.
    scenario : Scenario
        The run's scenario (owners, and the network's sharing when it has one).
    start_at_s : float
        Skip the epochs before this simulated time, s after the first epoch.
        States deeper than the service accepts below the ellipsoid (a track coasting on
        after its threat's impact) are not sent: the service would refuse their message.
    time_shift_s : float
        Added to every state's time, s (whole microseconds). The service refuses states
        ahead of its clock (by more than its skew): a scenario set in the future is shifted
        to the present. The shift is part of the message ids: a resumed exercise must use
        the same shift to be recognised.
    t0_ns : int, optional
        The exercise's start (simulated time 0), ns since 1970; the first epoch by default.
    key : str, optional
        The run's id in the message ids (:func:`run_key` of the national rows by default).
    """
    national = national_rows(tracks)
    if national.num_rows == 0:
        raise TracklayerError("the run has no national tracks to send")
    times = np.asarray(pc.cast(national["time"], pa.int64()))
    reported = (
        np.asarray(pc.cast(national["report_time"], pa.int64()))
        if "report_time" in national.column_names
        else times
    )
    trackers = np.asarray(national["tracker"].to_pylist())
    owners = sorted(set(trackers.tolist()))
    release, delay = releases(scenario, owners)
    shift_ns = round(time_shift_s * 1e6) * 1000
    key = key or run_key(national, str(getattr(scenario, "name", "run")), shift_ns)
    national = shift_times(national.select(list(TRACKS_SCHEMA.names)), shift_ns)
    t0 = int(times[0]) if t0_ns is None else t0_ns
    messages: list[ExerciseMessage] = []
    for owner in owners:
        idx = np.flatnonzero(trackers == owner)
        epochs, starts = np.unique(times[idx], return_index=True)
        bounds = [*starts.tolist(), len(idx)]
        for k, epoch in enumerate(epochs.tolist()):
            if (epoch - t0) / 1e9 < start_at_s:
                continue
            rows = idx[bounds[k] : bounds[k + 1]]
            known_ns = int(reported[rows].max())
            for part, lo in enumerate(range(0, len(rows), MAX_RECORDS)):
                suffix = f":{part}" if len(rows) > MAX_RECORDS else ""
                messages.append(
                    ExerciseMessage(
                        due_s=(known_ns - t0) / 1e9 + delay[owner],
                        epoch_ns=epoch + shift_ns,
                        owner=owner,
                        message_id=f"{key}:{owner}:tracks:{epoch}{suffix}",
                        releasable_to=release[owner],
                        rows=national.take(pa.array(rows[lo : lo + MAX_RECORDS])),
                    )
                )
    messages.sort(key=lambda m: (m.due_s, m.owner, m.message_id))
    return messages


def read_tokens(path: Path, owners: list[str]) -> dict[str, str]:
    """Partner tokens from a YAML or JSON mapping ``{CODE: token}``; every owner needs one."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InputFormatError(f"{path}: cannot read tokens file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise InputFormatError(f"{path}: not YAML/JSON ({exc})") from None
    if not isinstance(data, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in data.items()
    ):
        raise InputFormatError(f"{path}: expected a mapping of partner code to token string")
    missing = [o for o in owners if o not in data]
    if missing:
        raise InputFormatError(f"{path}: no token for owner(s) {', '.join(missing)}")
    return {str(k): str(v) for k, v in data.items()}


def _underground(tracks: pa.Table) -> np.ndarray:
    """Rows whose position lies deeper below the WGS84 ellipsoid than the service accepts."""
    from tracklayer.service.ingest import inside_earth

    pos = np.stack([np.asarray(tracks[k], dtype=np.float64) for k in ("x", "y", "z")], axis=1)
    return np.asarray(inside_earth(pos), dtype=bool)

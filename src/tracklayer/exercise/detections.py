"""An exercise's detections: each owner's raw detections, where its sharing allows.

An owner posts its detections only when a ``sharing`` entry of the scenario's ``network``
section passes ``detections`` from it: to ``joint`` (the C2 node: every partner may see
them) or to named owners (they may), under the one rule of
:meth:`tracklayer.fusion.releasability.Release.of_sharing`. A scenario without a network
section shares no raw detections (its owners exchange tracks only).

A detection is due when it reaches a node it is shared with: its earliest
``arrival_time`` at those nodes in the run's ``deliveries`` table (the network's routes,
the arrangement's delay and the receiving node's processing included); a detection that
never arrived there is not sent. Without a ``deliveries`` table, it is due at its own
time plus the arrangement's ``delay_s``. Detections are batched per owner and second of
due time (split at the service's 10 000 records per message); a message's id names the
run, the owner and that second, and it is due at its latest detection's time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.exercise.plan import MAX_RECORDS, ExerciseMessage, Release, shift_times
from tracklayer.fusion.releasability import sharing_releasable_to

__all__ = ["detection_releases", "plan_detection_messages"]

#: Width of the batches of detections, s of due time.
BATCH_S = 1.0


def detection_releases(scenario: Any) -> dict[str, tuple[Release, list[str], float]]:
    """Per sharing owner: (release, names of the receiving nodes, longest ``delay_s``)."""
    network = getattr(scenario, "network", None)
    if network is None:
        return {}
    node_of = {str(n.owner): str(n.name) for n in getattr(network, "nodes", [])}
    out: dict[str, tuple[Release, list[str], float]] = {}
    for source in sorted({str(s.source) for s in network.sharing}):
        entries = [s for s in network.sharing if str(s.source) == source and "detections" in s.what]
        if not entries:
            continue
        targets = {str(s.to) for s in entries}
        release: Release = sharing_releasable_to(source, targets)
        nodes = sorted(node_of[t] for t in targets if t in node_of)
        out[source] = (release, nodes, max(float(s.delay_s) for s in entries))
    return out


def _due_ns(
    detections: pa.Table, nodes: list[str], delay_s: float, deliveries: pa.Table | None
) -> np.ndarray:
    """Each detection's arrival at the first of ``nodes`` (int64 ns; -1: never arrived)."""
    times = np.asarray(pc.cast(detections["time"], pa.int64()))
    if deliveries is None:
        return times + round(delay_s * 1e9)
    shared = deliveries.filter(pc.is_in(deliveries["node"], pa.array(nodes, pa.string())))
    det_ids = np.asarray(shared["det_id"].to_numpy(), dtype=np.int64)
    arrival = np.asarray(pc.cast(shared["arrival_time"], pa.int64()))
    order = np.lexsort((arrival, det_ids))
    det_ids, arrival = det_ids[order], arrival[order]
    first = np.r_[True, det_ids[1:] != det_ids[:-1]]  # earliest arrival per detection
    det_ids, arrival = det_ids[first], arrival[first]
    if det_ids.size == 0:
        return np.full(times.size, -1, dtype=np.int64)
    wanted = np.asarray(detections["det_id"].to_numpy(), dtype=np.int64)
    at = np.minimum(np.searchsorted(det_ids, wanted), det_ids.size - 1)
    return np.where(det_ids[at] == wanted, arrival[at], -1)


def plan_detection_messages(
    detections: pa.Table,
    scenario: Any,
    key: str,
    t0_ns: int,
    deliveries: pa.Table | None = None,
    start_at_s: float = 0.0,
    time_shift_s: float = 0.0,
) -> list[ExerciseMessage]:
    """The exercise's posts of detections, in the order they fall due.

    Parameters
    ----------
    detections : pyarrow.Table
        The run's ``detections`` table (``truth_id`` and the scene columns are not sent).
    scenario : Scenario
        The run's scenario (its network's sharing arrangements and nodes).
    key : str
        The run's id in message ids (the track messages').
    t0_ns : int
        The exercise's start (simulated time 0), ns since 1970.
    deliveries : pyarrow.Table, optional
        The run's ``deliveries`` table (the network stage's).
    start_at_s, time_shift_s : float
        As for :func:`~tracklayer.exercise.plan.plan_messages`.
    """
    messages: list[ExerciseMessage] = []
    shift_ns = round(time_shift_s * 1e6) * 1000
    for owner, (release, nodes, delay_s) in detection_releases(scenario).items():
        mine = detections.filter(pc.equal(detections["owner"], owner))
        due = _due_ns(mine, nodes, delay_s, deliveries)
        keep = (due >= 0) & ((due - t0_ns) / 1e9 >= start_at_s)
        mine, due = mine.filter(pa.array(keep)), due[keep]
        if due.size == 0:
            continue
        order = np.argsort(due, kind="stable")
        mine, due = shift_times(mine.take(pa.array(order)), shift_ns), due[order]
        batch = np.floor((due - t0_ns) / 1e9 / BATCH_S).astype(np.int64)
        edges = np.flatnonzero(np.r_[True, batch[1:] != batch[:-1], True])
        for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
            for part, start in enumerate(range(lo, hi, MAX_RECORDS)):
                stop = min(start + MAX_RECORDS, hi)
                suffix = f":{part}" if hi - lo > MAX_RECORDS else ""
                messages.append(
                    ExerciseMessage(
                        due_s=(int(due[stop - 1]) - t0_ns) / 1e9,
                        epoch_ns=int(due[stop - 1]) + shift_ns,
                        owner=owner,
                        message_id=f"{key}:{owner}:detections:{batch[lo]}{suffix}",
                        releasable_to=release,
                        rows=mine.slice(start, stop - start),
                        kind="detections",
                    )
                )
    messages.sort(key=lambda m: (m.due_s, m.owner, m.message_id))
    return messages

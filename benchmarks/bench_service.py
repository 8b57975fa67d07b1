"""Picture service load: sustained ingest rate and live-stream delivery latency.

A real server (``python -m tracklayer.service serve``, one uvicorn process) on a free
loopback port; ``--partners`` partners each post batches of ``--batch`` track states
released to all, from ``--posters`` threads each, for ``--seconds`` seconds; each partner
also holds one WebSocket subscription. Measured:

- sustained acknowledged messages and track updates per second (201 = durably committed);
- ack latency (post sent → 201 received), p50/p99;
- delivery latency (post sent → update received on a subscriber), p50/p99 over every
  (message, subscriber) pair: each message reaches every partner's subscriber.

Afterwards every acknowledged message is checked present (count of stored states) and
every subscriber is checked to have received every acknowledged message.

Run: ``.venv/bin/python benchmarks/bench_service.py [--db URL] [--seconds 10]``.
The target in the issue is 5,000 track updates/s with p99 delivery under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.service.server_helper import free_port, start_server, stop_server  # noqa: E402

from tracklayer.service.auth import add_partner  # noqa: E402
from tracklayer.service.db import make_engine, migrate  # noqa: E402

CODES = ["USA", "JPN", "KOR", "AUS", "GBR", "CAN", "FRA", "DEU"]
EPOCH = datetime(2027, 3, 1, tzinfo=UTC)
COV = np.diag([1e4] * 3 + [25.0] * 3).reshape(-1).tolist()


@dataclass
class LoadResult:
    """What one load run measured."""

    seconds: float
    acked: dict[str, list[str]]
    tracks_per_message: int
    ack_latency_s: list[float]
    delivery_latency_s: list[float]
    received: dict[str, set[tuple[str, str]]]
    stored_states: int
    errors: list[str] = field(default_factory=list)

    @property
    def n_acked(self) -> int:
        """Acknowledged messages, all partners."""
        return sum(len(v) for v in self.acked.values())

    def summary(self) -> dict[str, float]:
        """Rates and latency percentiles."""
        ack = np.array(self.ack_latency_s) * 1e3
        dlv = np.array(self.delivery_latency_s) * 1e3
        return {
            "messages_per_s": self.n_acked / self.seconds,
            "track_updates_per_s": self.n_acked * self.tracks_per_message / self.seconds,
            "ack_p50_ms": float(np.percentile(ack, 50)) if len(ack) else float("nan"),
            "ack_p99_ms": float(np.percentile(ack, 99)) if len(ack) else float("nan"),
            "delivery_p50_ms": float(np.percentile(dlv, 50)) if len(dlv) else float("nan"),
            "delivery_p99_ms": float(np.percentile(dlv, 99)) if len(dlv) else float("nan"),
            "deliveries": float(len(dlv)),
        }


def _tracks(code: str, worker: int, i: int, n: int) -> list[dict[str, Any]]:
    t = (EPOCH + timedelta(seconds=i * 0.1)).isoformat()
    return [
        {
            "track_id": f"{worker}-{k}",
            "tracker": code,
            "time": t,
            "x": 6.5e6 + 1e4 * k,
            "y": 1.0e5 * worker,
            "z": 2.0e5,
            "vx": 100.0,
            "vy": 2000.0,
            "vz": 1500.0,
            "cov": COV,
            "status": "confirmed",
        }
        for k in range(n)
    ]


def run_load(
    db_url: str,
    n_partners: int = 3,
    posters_per_partner: int = 2,
    batch: int = 50,
    seconds: float = 5.0,
) -> LoadResult:
    """Run one bounded load test against a fresh server on ``db_url`` (see module doc)."""
    codes = CODES[:n_partners]
    engine = make_engine(db_url)
    migrate(engine)
    tokens = {c: add_partner(engine, c) for c in codes}
    port = free_port()
    proc = start_server(db_url, port)
    sent_at: dict[tuple[str, str], float] = {}
    acked: dict[str, list[str]] = {c: [] for c in codes}
    ack_lat: list[float] = []
    dlv_lat: list[float] = []
    received: dict[str, set[tuple[str, str]]] = {c: set() for c in codes}
    errors: list[str] = []
    lock = threading.Lock()
    stop_posting = threading.Event()
    stop_listening = threading.Event()

    def listen(code: str, ready: threading.Event) -> None:
        uri = f"ws://127.0.0.1:{port}/api/v1/stream"
        with connect(uri, additional_headers={"Authorization": f"Bearer {tokens[code]}"}) as ws:
            ready.set()
            while not stop_listening.is_set():
                try:
                    text = ws.recv(timeout=0.2)
                except TimeoutError:
                    continue
                now = time.perf_counter()
                update = json.loads(text)
                if update.get("type") != "tracks":
                    continue
                key = (update["owner"], update["message_id"])
                with lock:
                    received[code].add(key)
                    if key in sent_at:
                        dlv_lat.append(now - sent_at[key])

    def post(code: str, worker: int) -> None:
        headers = {"Authorization": f"Bearer {tokens[code]}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30.0) as client:
            i = 0
            while not stop_posting.is_set():
                mid = f"{code}-{worker}-{i}"
                body = {
                    "message_id": mid,
                    "releasable_to": "all",
                    "tracks": _tracks(code, worker, i, batch),
                }
                content = json.dumps(body)
                t0 = time.perf_counter()
                with lock:
                    sent_at[(code, mid)] = t0
                try:
                    r = client.post(
                        "/api/v1/tracks",
                        content=content,
                        headers={**headers, "Content-Type": "application/json"},
                    )
                except httpx.TransportError as exc:
                    errors.append(repr(exc))
                    return
                if r.status_code == 201:
                    with lock:
                        acked[code].append(mid)
                        ack_lat.append(time.perf_counter() - t0)
                else:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                i += 1

    try:
        listeners = []
        for code in codes:
            ready = threading.Event()
            th = threading.Thread(target=listen, args=(code, ready), daemon=True)
            th.start()
            if not ready.wait(20):
                raise RuntimeError("subscriber did not connect")
            listeners.append(th)
        posters = [
            threading.Thread(target=post, args=(code, w), daemon=True)
            for code in codes
            for w in range(posters_per_partner)
        ]
        start = time.perf_counter()
        for th in posters:
            th.start()
        time.sleep(seconds)
        stop_posting.set()
        for th in posters:
            th.join(30)
        elapsed = time.perf_counter() - start
        # Let the last updates arrive (bounded).
        expected = {(c, m) for c, ms in acked.items() for m in ms}
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            with lock:
                if all(expected <= got for got in received.values()):
                    break
            time.sleep(0.05)
        stop_listening.set()
        for th in listeners:
            th.join(5)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60.0) as client:
            listing = client.get(
                "/api/v1/tracks",
                params={"limit": 100_000},
                headers={"Authorization": f"Bearer {tokens[codes[0]]}"},
            ).json()
        stored = len(listing["tracks"])
    finally:
        stop_posting.set()
        stop_listening.set()
        stop_server(proc)
        engine.dispose()
    return LoadResult(elapsed, acked, batch, ack_lat, dlv_lat, received, stored, errors)


def main() -> None:
    """Run the benchmark and print a Markdown table row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--partners", type=int, default=3)
    parser.add_argument("--posters", type=int, default=2, help="posting threads per partner")
    parser.add_argument("--batch", type=int, default=50, help="track states per message")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        result = run_load(url, args.partners, args.posters, args.batch, args.seconds)
    s = result.summary()
    expected = {(c, m) for c, ms in result.acked.items() for m in ms}
    complete = all(expected <= got for got in result.received.values())
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {platform.python_version()}, {platform.machine()}, db={args.db or 'sqlite'}")
    print(f"load average (1/5/15 min) after the run: {load} on {os.cpu_count()} cores")
    print(
        f"partners={args.partners} posters/partner={args.posters} batch={args.batch} "
        f"seconds={result.seconds:.1f} acked={result.n_acked} errors={len(result.errors)}"
    )
    print(
        f"stored states={result.stored_states} "
        f"(expected {result.n_acked * args.batch}); every subscriber got every ack: {complete}"
    )
    print("| msg/s | track updates/s | ack p50 / p99 (ms) | delivery p50 / p99 (ms) |")
    print("|---:|---:|---:|---:|")
    print(
        f"| {s['messages_per_s']:.0f} | {s['track_updates_per_s']:.0f} | "
        f"{s['ack_p50_ms']:.1f} / {s['ack_p99_ms']:.1f} | "
        f"{s['delivery_p50_ms']:.1f} / {s['delivery_p99_ms']:.1f} |"
    )


if __name__ == "__main__":
    main()

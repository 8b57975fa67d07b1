"""Picture service load: sustained ingest rate and live-stream delivery latency.

A real server (``python -m tracklayer.service serve``, one uvicorn process) on a free
loopback port; ``--partners`` partners post messages of ``--batch`` track states released
to all over ``--posters`` keep-alive connections each, at an offered rate of ``--rate``
track updates per second in all (0: as fast as the server answers), for ``--seconds``
seconds; each partner also holds one WebSocket subscription. Measured:

- sustained acknowledged messages and track updates per second (201 = durably committed);
- ack latency (request written → ``201`` read), p50/p99;
- delivery latency (request written → update read on a subscriber), p50/p99 over every
  (message, subscriber) pair: each message reaches every partner's subscriber;
- the server's CPU time per message (from ``/proc``, Linux).

The load generator is built to stay out of the server's way, as partners' ground stations
would be on other machines: posting and listening run in their own processes on asyncio,
bodies are serialized once per connection (only the message id and time change), requests
are written as raw HTTP/1.1, and subscribers read each update's message id from its head
instead of decoding its 15 kB of JSON. Timestamps are ``CLOCK_MONOTONIC``, which all
processes of the machine share. Messages are sent on a fixed schedule per connection; a
connection that falls behind sends its next message as soon as the previous one is
answered, so an overloaded server shows up as a lower achieved rate and longer latencies.

Afterwards every acknowledged message is checked present in the database (its states
counted) and every subscriber is checked to have received every acknowledged message.

Run: ``.venv/bin/python benchmarks/bench_service.py [--db URL] [--seconds 10]``.
The target in the issue is 5,000 track updates/s with p99 delivery under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.service.conftest import drop_postgres_schema, new_postgres_schema  # noqa: E402
from tests.service.server_helper import free_port, start_server, stop_server  # noqa: E402

CODES = ["USA", "JPN", "KOR", "AUS", "GBR", "CAN", "FRA", "DEU"]
EPOCH = datetime(2027, 3, 1, tzinfo=UTC)
#: Longest wait for the last acknowledged updates to reach every subscriber, s.
DELIVERY_WAIT_S = 60.0
#: Longest wait for a fresh server to answer /health from every worker, s (each worker
#: starts a writer and a fusion process: tens of seconds on a loaded 2-core machine).
SERVER_START_S = 120.0
COV = np.diag([1e4] * 3 + [25.0] * 3).reshape(-1).tolist()
_TIME_MARK = "@TIME@"
#: The head of a national update as the service writes it (see ingest._update_text).
_UPDATE_HEAD = re.compile(r'^\{"type": "tracks", "owner": "([A-Z]{3})", "message_id": "([^"]+)"')


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
    acked_states_total: int = 0
    machine: dict[str, float] = field(default_factory=dict)
    offered_updates_per_s: float = 0.0
    server_cpu_s: float = float("nan")

    @property
    def n_acked(self) -> int:
        """Acknowledged messages, all partners."""
        return sum(len(v) for v in self.acked.values())

    def summary(self) -> dict[str, float]:
        """Rates, latency percentiles and the server's CPU per message."""
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
            "server_cpu_ms_per_message": self.server_cpu_s / max(self.n_acked, 1) * 1e3,
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


def _body_template(code: str, worker: int, batch: int) -> str:
    """A message body with ``@TIME@`` for every state's time and ``%s`` for the id."""
    tracks = _tracks(code, worker, 0, batch)
    for t in tracks:
        t["time"] = _TIME_MARK
    text = json.dumps(tracks, separators=(",", ":"))
    return '{"message_id":"%s","releasable_to":"all","tracks":' + text + "}"


# --- posting process ---------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("server closed the connection")
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _post_connection(
    port: int, conn: dict[str, Any], cfg: dict[str, Any], out: dict[str, list[Any]]
) -> None:
    code, worker, token = conn["code"], conn["worker"], conn["token"]
    template = _body_template(code, worker, cfg["batch"])
    head = (
        f"POST /api/v1/tracks HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    interval_ns = int(cfg["interval_s"] * 1e9)
    next_ns = cfg["start_ns"] + conn["offset_ns"]
    i = 0
    try:
        while True:
            now = time.monotonic_ns()
            if now >= cfg["stop_ns"]:
                return
            if next_ns > now:
                await asyncio.sleep((next_ns - now) * 1e-9)
            next_ns += interval_ns
            mid = f"{code}-{worker}-{i}"
            stamp = datetime.now(UTC).isoformat()  # the server refuses states ahead of it
            body = (template % mid).replace(_TIME_MARK, stamp).encode()
            request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
            t0 = time.monotonic_ns()
            writer.write(request)
            status, answer = await _read_response(reader)
            t1 = time.monotonic_ns()
            if status == 201:
                out["acks"].append([code, mid, t0, t1])
            else:
                out["errors"].append(f"{status} {answer[:200]!r}")
            i += 1
    except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
        out["errors"].append(repr(exc))
    finally:
        writer.close()


async def _post_all(cfg: dict[str, Any]) -> dict[str, list[Any]]:
    """Post on every connection of ``cfg``, once told when: the process prints "ready"
    (started, imports done), then reads ``go START_NS STOP_NS`` (``time.monotonic_ns``,
    system-wide on Linux) on stdin. A schedule fixed before the process had started would
    be partly or wholly past on a loaded machine, and fewer messages (or none) be sent."""
    out: dict[str, list[Any]] = {"acks": [], "errors": []}
    print("ready", flush=True)
    line = await asyncio.to_thread(sys.stdin.readline)
    _, start_ns, stop_ns = line.split()
    cfg = {**cfg, "start_ns": int(start_ns), "stop_ns": int(stop_ns)}
    await asyncio.gather(*(_post_connection(cfg["port"], c, cfg, out) for c in cfg["connections"]))
    return out


# --- listening process -------------------------------------------------------------------


async def _listen_all(cfg: dict[str, Any]) -> dict[str, list[Any]]:
    from websockets.asyncio.client import connect

    received: dict[str, list[Any]] = {code: [] for code in cfg["tokens"]}
    counts = dict.fromkeys(cfg["tokens"], 0)
    expected: list[int | None] = [None]
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def check() -> None:
        if expected[0] is not None and all(n >= expected[0] for n in counts.values()):
            done.set()

    def expect(n: int) -> None:
        expected[0] = n
        check()

    def read_stdin() -> None:
        # "expect N": the posters are done and N messages were acknowledged.
        line = sys.stdin.readline()
        n = int(line.split()[1]) if line.startswith("expect") else 0
        loop.call_soon_threadsafe(expect, n)

    async def listen(code: str, ws: Any) -> None:
        async for text in ws:
            now = time.monotonic_ns()
            if not text.startswith('{"type": "tracks"'):
                continue
            match = _UPDATE_HEAD.match(text)
            if match is None:
                update = json.loads(text)
                owner, mid = update["owner"], update["message_id"]
            else:
                owner, mid = match.group(1), match.group(2)
            received[code].append([owner, mid, now])
            counts[code] += 1
            check()

    uri = f"ws://127.0.0.1:{cfg['port']}/api/v1/stream"
    sockets = {
        code: await connect(
            uri,
            additional_headers={"Authorization": f"Bearer {token}"},
            compression=None,
            max_size=None,
            max_queue=None,
        )
        for code, token in cfg["tokens"].items()
    }
    # The handshake completes before the server has checked the token and subscribed the
    # socket; "hello" comes after both. Posting may start only then: a message committed
    # between the two is in the subscriber's first picture, not in its updates.
    for code, ws in sockets.items():
        hello = json.loads(await ws.recv())
        if hello.get("type") != "hello":
            raise RuntimeError(f"{code}: expected hello first, got {hello.get('type')!r}")
    print("ready", flush=True)
    threading.Thread(target=read_stdin, daemon=True).start()
    tasks = [asyncio.create_task(listen(code, ws)) for code, ws in sockets.items()]
    try:
        await done.wait()
    finally:
        for task in tasks:
            task.cancel()
        for ws in sockets.values():
            await ws.close()
    return received


def _child_main(role: str, config_path: str, result_path: str) -> None:
    cfg = json.loads(Path(config_path).read_text())
    if role == "listen":
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            result: Any = asyncio.run(_listen_all(cfg))
        except KeyboardInterrupt:
            return
    else:
        result = asyncio.run(_post_all(cfg))
    tmp = Path(result_path + ".part")
    tmp.write_text(json.dumps(result))
    tmp.replace(result_path)


# --- orchestration -----------------------------------------------------------------------


def _cpu_s(pid: int) -> float:
    """User + system CPU time of a process and all its descendants (workers, the writer
    and fusion processes), s.

    Read from Linux ``/proc``; NaN elsewhere. A descendant that has exited since the last
    reading is not counted (the server's stay up for the whole run).
    """
    try:
        Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    stats: dict[int, str] = {}
    parent_of: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            stats[int(entry.name)] = text
            parent_of[int(entry.name)] = int(text.rsplit(")", 1)[1].split()[1])
    ours = {pid}
    grew = True
    while grew:
        more = {p for p, parent in parent_of.items() if parent in ours} - ours
        ours |= more
        grew = bool(more)
    total = 0.0
    for p in ours:
        if p in stats:
            fields = stats[p].rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _cpu_times() -> list[int]:
    """The machine's CPU time counters (Linux ``/proc/stat``: user, nice, system, idle,
    iowait, irq, softirq, steal), in clock ticks; empty elsewhere."""
    try:
        line = Path("/proc/stat").read_text().splitlines()[0]
    except OSError:
        return []
    return [int(x) for x in line.split()[1:9]]


def machine_shares(before: list[int], after: list[int]) -> dict[str, float]:
    """Fractions of the machine's CPU time between two :func:`_cpu_times` readings: busy
    (user, system, interrupts), idle (idle, iowait) and stolen by the hypervisor."""
    if not before or not after:
        return {}
    d = [b - a for a, b in zip(before, after, strict=True)]
    total = max(sum(d), 1)
    return {
        "busy": (d[0] + d[1] + d[2] + d[5] + d[6]) / total,
        "idle": (d[3] + d[4]) / total,
        "steal": d[7] / total,
    }


def _spawn(role: str, cfg: dict[str, Any], tmp: Path, name: str) -> tuple[Any, Path]:
    config = tmp / f"{name}.json"
    config.write_text(json.dumps(cfg))
    result = tmp / f"{name}.result.json"
    proc = subprocess.Popen(
        [sys.executable, __file__, "--role", role, str(config), str(result)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return proc, result


def _read_result(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


def _stored(db_url: str) -> tuple[int, set[tuple[str, str]]]:
    import sqlalchemy as sa

    from tracklayer.service.db import make_engine, messages, track_states

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            n = conn.execute(sa.select(sa.func.count()).select_from(track_states)).scalar_one()
            ids = {
                (r[0], r[1])
                for r in conn.execute(sa.select(messages.c.owner, messages.c.message_id))
            }
    finally:
        engine.dispose()
    return int(n), ids


def run_load(
    db_url: str,
    n_partners: int = 3,
    posters_per_partner: int = 2,
    batch: int = 50,
    seconds: float = 5.0,
    rate: float = 5000.0,
    poster_processes: int = 1,
    warmup_s: float = 2.0,
    workers: int = 1,
    serve_args: Sequence[str] = (),
) -> LoadResult:
    """Run one bounded load test against a fresh server on ``db_url`` (see module doc).

    ``rate`` is the offered load in track updates per second, all partners together
    (0: every connection posts again as soon as it is answered); ``serve_args`` are added
    to the server's command line. The first ``warmup_s``
    seconds of posting (first calls of every code path, the live picture's seeds) are
    checked like the rest but left out of the rates and latencies.
    """
    from tracklayer.service.auth import add_partner
    from tracklayer.service.db import make_engine, migrate

    codes = CODES[:n_partners]
    engine = make_engine(db_url)
    migrate(engine)
    tokens = {c: add_partner(engine, c) for c in codes}
    engine.dispose()
    port = free_port()
    proc = start_server(
        db_url, port, timeout_s=SERVER_START_S, workers=workers, extra_args=serve_args
    )
    connections = [
        {"code": c, "worker": w, "token": tokens[c]}
        for c in codes
        for w in range(posters_per_partner)
    ]
    n_conn = len(connections)
    interval_s = n_conn * batch / rate if rate > 0 else 0.0
    for k, conn in enumerate(connections):
        conn["offset_ns"] = int(interval_s * 1e9 * k / n_conn)
    errors: list[str] = []
    children: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        try:
            listener, listen_path = _spawn("listen", {"port": port, "tokens": tokens}, tmp, "l")
            children.append(listener)
            if listener.stdout is None or listener.stdout.readline().strip() != "ready":
                raise RuntimeError("subscribers did not connect")
            posters = []
            for p in range(poster_processes):
                cfg = {
                    "port": port,
                    "batch": batch,
                    "interval_s": interval_s,
                    "connections": connections[p::poster_processes],
                }
                posters.append(_spawn("post", cfg, tmp, f"p{p}"))
                children.append(posters[-1][0])
            for poster, _ in posters:
                if poster.stdout is None or poster.stdout.readline().strip() != "ready":
                    raise RuntimeError("a posting process did not start")
            warm_ns = time.monotonic_ns() + 100_000_000
            start_ns = warm_ns + int(warmup_s * 1e9)
            stop_ns = start_ns + int(seconds * 1e9)
            for poster, _ in posters:
                assert poster.stdin is not None
                poster.stdin.write(f"go {warm_ns} {stop_ns}\n")
                poster.stdin.flush()
            time.sleep(max(0.0, (start_ns - time.monotonic_ns()) * 1e-9))
            cpu0 = _cpu_s(proc.pid)
            machine0 = _cpu_times()
            for poster, _ in posters:
                poster.wait(warmup_s + seconds + 60)
            cpu1 = _cpu_s(proc.pid)
            machine = machine_shares(machine0, _cpu_times())
            acks: list[list[Any]] = []
            for _, path in posters:
                out = _read_result(path) or {"acks": [], "errors": ["poster wrote no result"]}
                acks += out["acks"]
                errors += out["errors"]
            last_ns = max((a[3] for a in acks), default=stop_ns)
            elapsed = max(seconds, (last_ns - start_ns) * 1e-9)
            # Let the last updates arrive (bounded), then collect what each subscriber got.
            assert listener.stdin is not None
            listener.stdin.write(f"expect {len(acks)}\n")
            listener.stdin.flush()
            # It ends as soon as they have; the bound only stops a lost update waiting
            # forever, and must not be reached by a slow machine's late ones.
            try:
                listener.wait(DELIVERY_WAIT_S)
            except subprocess.TimeoutExpired:
                listener.send_signal(signal.SIGTERM)
                listener.wait(10)
            got = _read_result(listen_path)
            if got is None:
                errors.append(
                    "subscribers did not receive every acknowledged message in "
                    f"{DELIVERY_WAIT_S:.0f} s"
                )
                got = {c: [] for c in codes}
        finally:
            for child in children:
                if child.poll() is None:
                    child.kill()
                child.wait()
                for pipe in (child.stdin, child.stdout):
                    if pipe is not None:
                        pipe.close()
            stop_server(proc)
    stored_states, stored_ids = _stored(db_url)
    # Every acknowledged message must be stored and delivered, warm-up included; rates
    # and latencies count the messages sent in the measured window only.
    all_acked = {(a[0], a[1]) for a in acks}
    missing = sorted(all_acked - stored_ids)
    if missing:
        errors.append(f"{len(missing)} acknowledged messages not stored, e.g. {missing[0]}")
    for code in codes:
        lost = {(a[0], a[1]) for a in acks} - {(r[0], r[1]) for r in got.get(code, [])}
        if lost:
            errors.append(f"subscriber {code} missed {len(lost)} acknowledged messages")
    measured = [a for a in acks if a[2] >= start_ns]
    sent_at = {(a[0], a[1]): a[2] for a in measured}
    acked: dict[str, list[str]] = {c: [] for c in codes}
    for a in measured:
        acked[a[0]].append(a[1])
    received = {c: {(r[0], r[1]) for r in got.get(c, [])} for c in codes}
    delivery = [
        (r[2] - sent_at[(r[0], r[1])]) * 1e-9
        for c in codes
        for r in got.get(c, [])
        if (r[0], r[1]) in sent_at
    ]
    return LoadResult(
        seconds=elapsed,
        acked=acked,
        tracks_per_message=batch,
        ack_latency_s=[(a[3] - a[2]) * 1e-9 for a in measured],
        delivery_latency_s=delivery,
        received=received,
        stored_states=stored_states,
        errors=errors,
        offered_updates_per_s=rate,
        server_cpu_s=cpu1 - cpu0,
        acked_states_total=len(acks) * batch,
        machine=machine,
    )


def _python_work(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def machine_jitter(seconds: float, work_ms: float = 5.0) -> dict[str, float]:
    """How long one fixed piece of pure-Python work takes on this machine, run again and
    again (5 ms apart) for ``seconds``: its p50, p99 and max in ms.

    A control for the latency tail: on a machine whose processors run at a steady speed,
    p99 and max stay within a few tenths of p50; where they do not, any few ms of CPU on
    a message's path can take several times longer now and then, whatever the server does.
    """
    n = 20_000
    t0 = time.perf_counter()
    _python_work(n)
    n = max(1, int(n * work_ms * 1e-3 / (time.perf_counter() - t0)))
    durations = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.perf_counter()
        _python_work(n)
        durations.append(time.perf_counter() - t0)
        time.sleep(0.005)
    ms = np.array(durations) * 1e3
    return {
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "max": float(ms.max()),
    }


def main() -> None:
    """Run the benchmark and print a Markdown table row per run."""
    if len(sys.argv) == 5 and sys.argv[1] == "--role":
        _child_main(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--partners", type=int, default=3)
    parser.add_argument("--posters", type=int, default=2, help="connections per partner")
    parser.add_argument("--batch", type=int, default=50, help="track states per message")
    parser.add_argument("--rate", type=float, default=5000.0, help="offered updates/s (0: max)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--poster-processes", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds left out first")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh database")
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="an option added to serve's command line (--serve-arg=--fused-record-interval-s=0)",
    )
    parser.add_argument(
        "--jitter",
        type=float,
        default=5.0,
        help="seconds of the machine-jitter control before the runs (0: none)",
    )
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, db={args.db or 'sqlite'}")
    if args.jitter > 0:
        j = machine_jitter(args.jitter)
        print(
            f"machine jitter (idle): a fixed {j['p50']:.1f} ms of Python work took "
            f"p99 {j['p99']:.1f} ms, max {j['max']:.1f} ms"
        )
    p99s = []
    for _ in range(args.repeat):
        p99s.append(_run_once(args))
    if args.repeat > 1:
        p99 = np.array(p99s)
        print(
            f"delivery p99 over {args.repeat} runs: min {p99.min():.1f}, "
            f"median {np.median(p99):.1f}, max {p99.max():.1f} ms"
        )


def _run_once(args: argparse.Namespace) -> float:
    """One run (see :func:`run_load`); prints its figures, returns its delivery p99, ms."""
    schema = None
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        if url.startswith("postgresql"):
            # A fresh schema per run: partners and rows of earlier runs stay out of it.
            url, schema = new_postgres_schema(args.db)
        try:
            result = run_load(
                url,
                args.partners,
                args.posters,
                args.batch,
                args.seconds,
                args.rate,
                args.poster_processes,
                args.warmup,
                args.workers,
                args.serve_arg,
            )
        finally:
            if schema is not None:
                drop_postgres_schema(args.db, schema)
    s = result.summary()
    expected = {(c, m) for c, ms in result.acked.items() for m in ms}
    complete = all(expected <= got for got in result.received.values())
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average (1/5/15 min) after the run: {load} on {os.cpu_count()} cores")
    if result.machine:
        m = result.machine
        print(
            f"machine CPU during the run: busy {m['busy']:.0%}, idle {m['idle']:.0%}, "
            f"stolen by the hypervisor {m['steal']:.0%}"
        )
    print(
        f"workers={args.workers} partners={args.partners} connections/partner={args.posters} "
        f"batch={args.batch} "
        f"offered={args.rate:.0f}/s warm-up={args.warmup:.0f} s seconds={result.seconds:.1f} "
        f"acked={result.n_acked} "
        f"errors={len(result.errors)} {result.errors[:3]}"
    )
    print(
        f"stored states={result.stored_states} "
        f"(acknowledged, warm-up included: {result.acked_states_total}); "
        f"every subscriber got every ack: {complete}; "
        f"server CPU {s['server_cpu_ms_per_message']:.2f} ms per message"
    )
    print("| msg/s | track updates/s | ack p50 / p99 (ms) | delivery p50 / p99 (ms) |")
    print("|---:|---:|---:|---:|")
    print(
        f"| {s['messages_per_s']:.0f} | {s['track_updates_per_s']:.0f} | "
        f"{s['ack_p50_ms']:.1f} / {s['ack_p99_ms']:.1f} | "
        f"{s['delivery_p50_ms']:.1f} / {s['delivery_p99_ms']:.1f} |"
    )
    return s["delivery_p99_ms"]


if __name__ == "__main__":
    main()

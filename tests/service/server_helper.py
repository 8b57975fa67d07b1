"""Run the picture service as a real uvicorn subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import httpx


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    db_url: str,
    port: int,
    timeout_s: float = 120.0,
    workers: int = 1,
    extra_args: Sequence[str] = (),
) -> subprocess.Popen[Any]:
    """Start ``python -m tracklayer.service serve`` and wait until /health answers
    (from every one of ``workers`` processes: they start one by one). It returns as soon
    as they answer; ``timeout_s`` covers a loaded machine, where each worker's start (and
    its writer and fusion processes') can take tens of seconds. ``extra_args`` are added
    to ``serve``'s."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracklayer.service",
            "serve",
            "--db",
            db_url,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(workers),
            *extra_args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + timeout_s
    instances: set[str] = set()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {err[-2000:]}")
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0)
            if r.status_code == 200:
                instances.add(r.json()["instance"])
                if len(instances) >= workers:
                    return proc
                continue  # a fresh connection may reach another worker
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError("server did not answer /health in time")


def stop_server(proc: subprocess.Popen[Any]) -> None:
    """Terminate the server (SIGTERM, then SIGKILL after 10 s) and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    if proc.stderr:
        proc.stderr.close()

"""A real TAK server (FreeTAKServer) for the tests, from its own virtual environment.

``bash .ci/tak.sh`` installs FreeTAKServer into ``.tak-venv`` (or ``$TRACKLAYER_TAK_VENV``),
never into the project's environment: its pinned dependencies clash with ours. The server
listens for plain CoT (TCP) on a free loopback port; a test TAK client connects to it,
announces itself with a presence event, as ATAK/WinTAK do, and reads what the server
relays to it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.service.server_helper import free_port

ROOT = Path(__file__).resolve().parents[2]


def tak_venv() -> Path:
    """The TAK server's virtual environment (it may not exist)."""
    return Path(os.environ.get("TRACKLAYER_TAK_VENV", ROOT / ".tak-venv"))


def tak_python() -> Path | None:
    """The TAK venv's Python when FreeTAKServer is installed there, else None."""
    python = tak_venv() / "bin" / "python"
    if not python.is_file():
        return None
    check = subprocess.run(
        [str(python), "-c", "import FreeTAKServer"], capture_output=True, timeout=120
    )
    return python if check.returncode == 0 else None


def start_tak_server(workdir: Path, timeout_s: float = 180.0) -> tuple[subprocess.Popen[Any], int]:
    """Start FreeTAKServer; (its process, its CoT TCP port) once the port accepts."""
    python = tak_python()
    assert python is not None
    port = free_port()
    env = {
        **os.environ,
        "FTS_FIRST_START": "false",
        "FTS_COT_PORT": str(port),
        "FTS_SSLCOT_PORT": str(free_port()),
        "FTS_API_PORT": str(free_port()),
        "FTS_FED_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PYTHONPATH", None)
    with (workdir / "fts.log").open("wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [str(python), "-m", "FreeTAKServer.controllers.services.FTS"],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"FreeTAKServer exited: {(workdir / 'fts.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                time.sleep(2.0)  # its routing workers start just after the listener
                return proc, port
        except OSError:
            time.sleep(0.5)
    stop_tak_server(proc)
    raise RuntimeError("FreeTAKServer did not open its CoT port in time")


def stop_tak_server(proc: subprocess.Popen[Any]) -> None:
    """Stop the server and every process it started (its own process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def _cot_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class TakClient:
    """A TAK client on a TCP CoT port: announces itself, then collects what it receives."""

    def __init__(self, port: int, callsign: str = "WATCH-1") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5.0)
        self.sock.settimeout(0.5)
        now = datetime.now(UTC)
        presence = (
            f'<?xml version="1.0" encoding="UTF-8"?><event version="2.0" uid="{callsign}" '
            f'type="a-f-G-U-C" how="h-e" time="{_cot_time(now)}" start="{_cot_time(now)}" '
            f'stale="{_cot_time(now + timedelta(minutes=10))}"><point lat="35.0" lon="139.0" '
            f'hae="0" ce="10" le="10"/><detail><contact callsign="{callsign}"/></detail></event>'
        )
        self.sock.sendall(presence.encode())
        self.data = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            self.data += chunk

    def events(self) -> list[bytes]:
        """The complete ``<event>...</event>`` elements received so far."""
        parts = self.data.split(b"</event>")[:-1]
        return [p[p.index(b"<event") :] + b"</event>" for p in parts if b"<event" in p]

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        self._thread.join(5)

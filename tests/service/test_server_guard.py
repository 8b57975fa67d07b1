"""A real ``tracklayer serve`` (uvicorn) under the guard: what reaches its log, and when
it stops reading a body.

References: the documented behaviour of ``tracklayer.service.logs`` (no token and no
query string in any log line), ``tracklayer.service.guard`` (413 as soon as the bytes
read pass the limit) and ``tracklayer.service.routes.stream`` (a client leaving right
after ``hello`` is not an error).
"""

from __future__ import annotations

import os
import select
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.service.conftest import auth, message, track_state, wall_time
from tests.service.server_helper import free_port, stop_server

LIMIT_MB = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, Path]]:
    """A server at log level info with a 1 MB body limit: (port, USA's token, log file)."""
    tmp = tmp_path_factory.mktemp("serve")
    db = f"sqlite:///{tmp / 'p.db'}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cli = [sys.executable, "-m", "tracklayer.service"]
    options = ["--log-level", "info", "--max-body-mb", str(LIMIT_MB)]
    token = subprocess.run(
        [*cli, "partner", "add", "USA", "--db", db],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()
    port = free_port()
    log = tmp / "server.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [*cli, "serve", "--db", db, "--port", str(port), *options],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    try:
        _wait_for_health(proc, port)
        yield port, token, log
    finally:
        stop_server(proc)


def _wait_for_health(proc: subprocess.Popen[Any], port: int) -> None:
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not answer /health")


def _log_after(log: Path, wait_s: float = 1.0) -> str:
    time.sleep(wait_s)  # the server's lines about the last connection
    return log.read_text()


def test_token_in_a_query_string_reaches_no_log_line(server: tuple[int, str, Path]) -> None:
    port, token, log = server
    url = f"ws://127.0.0.1:{port}/api/v1/stream?token={token}&access_token={token}"
    with connect(url, open_timeout=10) as ws:
        ws.send('{"token": "not-this-one"}')
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008  # not a credential
    httpx.get(f"http://127.0.0.1:{port}/api/v1/me?token={token}", timeout=10)
    text = _log_after(log)
    assert "/api/v1/stream" in text  # uvicorn's line about the WebSocket was written...
    assert token not in text  # ...without the token
    assert token[3:20] not in text


def test_client_leaving_after_hello_logs_no_traceback(server: tuple[int, str, Path]) -> None:
    port, token, log = server
    # A picture of 800 tracks takes the server some ms to build after hello: the client
    # is gone by the time it is sent.
    now = wall_time()  # a real server: states not ahead of its clock
    states = [
        track_state("USA", f"T{k}", pos=(6.5e6 + 1e3 * k, 0.0, 0.0), time=now) for k in range(800)
    ]
    r = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/tracks",
        json=message("many", "all", states),
        headers=auth(token),
        timeout=30,
    )
    assert r.status_code == 201, r.text
    before = log.read_text()
    for _ in range(5):
        with connect(
            f"ws://127.0.0.1:{port}/api/v1/stream",
            additional_headers={"Authorization": f"Bearer {token}"},
            open_timeout=10,
        ) as ws:
            assert '"hello"' in str(ws.recv(timeout=10))
            # Gone at once, without a closing handshake: a reset (linger 0) on close.
            ws.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            ws.socket.close()
    text = _log_after(log, 2.0)[len(before) :]
    assert "Traceback" not in text and '"level": "error"' not in text


def test_chunked_body_stops_being_read_past_the_limit(server: tuple[int, str, Path]) -> None:
    """100 MB offered in chunks without Content-Length: the answer, 413, comes before the
    client has sent more than the 1 MB limit plus what the two ends' kernel socket
    buffers can hold (the largest sizes Linux lets them grow to, ``tcp_rmem`` and
    ``tcp_wmem``)."""
    port, token, _ = server
    chunk = b" " * 65_536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/tracks HTTP/1.1\r\nHost: test\r\n"
            + f"Authorization: Bearer {token}\r\n".encode()
            + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        answer = b""
        while sent < 100_000_000:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                answer = sock.recv(4096)
                break
            try:
                sock.sendall(frame)
            except OSError:  # the server closed after answering
                break
            sent += len(chunk)
        if not answer:
            answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < LIMIT_MB * 1e6 + _socket_buffers_max() + 2 * len(frame)


def _socket_buffers_max() -> int:
    """Largest receive plus send buffer of a TCP socket here, bytes (8 MB if unknown)."""
    try:
        sizes = [Path(f"/proc/sys/net/ipv4/tcp_{k}").read_text().split() for k in ("rmem", "wmem")]
        return sum(int(s[-1]) for s in sizes)
    except OSError:
        return 8 * 1024 * 1024

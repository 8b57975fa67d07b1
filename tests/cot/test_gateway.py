"""The gateway across a restart of the service: it subscribes again and re-sends the picture.

The TAK side is a plain TCP listener here (what a TAK server's CoT port receives); the
service is a real one, stopped and started again on the same database and port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cot.test_tak_server import glide_state, post, wait_for
from tests.service.server_helper import free_port, start_server, stop_server
from tracklayer.service.auth import add_partner
from tracklayer.service.db import make_engine, migrate

pytestmark = pytest.mark.slow


class Listener:
    """A TCP listener on loopback that keeps every byte its one client sends."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.data = b""
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            while chunk := conn.recv(65536):
                self.data += chunk

    def uids(self) -> list[str]:
        events = self.data.split(b"<?xml")[1:]
        return [ET.fromstring(b"<?xml" + e).get("uid", "") for e in events if b"</event>" in e]

    def close(self) -> None:
        self.sock.close()


def test_gateway_subscribes_again_after_the_service_restarts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'picture.db'}"
    engine = make_engine(url)
    migrate(engine)
    tokens = {code: add_partner(engine, code) for code in ("JPN", "USA")}
    engine.dispose()
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    # A track stays in the picture 10 min without an update (60 s by default): a restart
    # on a loaded machine can take longer than a minute, and U1 must outlive it.
    serve_args = ("--max-track-age-s", "600")
    proc = start_server(url, port, extra_args=serve_args)
    tak = Listener()
    command = [sys.executable, "-m", "tracklayer", "cot", "--server", server]
    gateway = subprocess.Popen(
        [*command, "--tak", f"tcp://127.0.0.1:{tak.port}", "--forward", "national"],
        env={**os.environ, "TRACKLAYER_TOKEN": tokens["JPN"]},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    u1 = "tracklayer.JPN.USA.U1"
    try:
        post(server, tokens["USA"], "u1", "all", [glide_state("USA", "U1", 30.0, 130.0)])
        assert wait_for(lambda: u1 in tak.uids(), 90.0), tak.data[-1000:]
        stop_server(proc)
        time.sleep(1.0)
        proc = start_server(url, port, extra_args=serve_args)
        # The new subscription's picture re-sends U1; a new message arrives as usual.
        assert wait_for(lambda: tak.uids().count(u1) >= 2, 120.0), tak.uids()
        post(server, tokens["USA"], "u2", "all", [glide_state("USA", "U2", 31.0, 131.0)])
        assert wait_for(lambda: "tracklayer.JPN.USA.U2" in tak.uids(), 60.0), tak.uids()
    finally:
        gateway.terminate()
        out = gateway.communicate(timeout=30)[0].decode()
        stop_server(proc)
        tak.close()
    uids = tak.uids()
    assert uids[0] == "tracklayer.JPN.gateway"  # the presence, once
    assert uids.count("tracklayer.JPN.gateway") == 1, out
    assert all(u.startswith("tracklayer.JPN.") for u in uids)

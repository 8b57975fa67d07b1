"""The commit bus: how the worker processes of one service see each other's commits.

With ``tracklayer serve --workers N``, N processes accept connections on the same port and
each commits the messages posted to it. A partner's stream, and the picture behind it,
must still show every partner's messages, whichever process stored them. So each worker,
after each durable commit, sends what it committed (the stream updates with their
releases, and the stored track rows for the live picture) to a broker in the parent
process over a Unix socket, and the broker forwards it to every other worker, which
hands it to its stream hub and live picture exactly as its own commits.

Frames are an 8-byte big-endian length and a pickle. Pickle is safe here because both
ends are processes of the same service, started by the same user: the socket lives in a
folder only that user can enter (mode 0700) and is never exposed on a network.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["BusBroker", "BusClient", "new_bus_path"]

log = logging.getLogger("tracklayer.service.bus")

_HEADER = struct.Struct(">Q")
#: Largest frame accepted, bytes (a batch of messages of 10,000 records each).
MAX_FRAME_BYTES = 1 << 31


def new_bus_path() -> Path:
    """A fresh socket path in a new folder only this user can enter."""
    folder = Path(tempfile.mkdtemp(prefix="tracklayer-bus-"))
    folder.chmod(0o700)
    return folder / "bus.sock"


def _read_exact(sock: socket.socket, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read_frame(sock: socket.socket) -> bytes | None:
    header = _read_exact(sock, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > MAX_FRAME_BYTES:
        raise ValueError(f"bus frame of {size} bytes exceeds {MAX_FRAME_BYTES}")
    return _read_exact(sock, size)


class _Peer:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()

    def send(self, frame: bytes) -> bool:
        try:
            with self.lock:
                self.sock.sendall(frame)
        except OSError:
            return False
        return True


class BusBroker:
    """Forwards every frame a worker sends to every other connected worker.

    Runs in the ``serve`` parent process: one thread accepts connections, one per worker
    reads its frames. A worker that disconnects (it exited) is dropped.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._peers: list[_Peer] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()

    def start(self) -> None:
        """Listen on :attr:`path` and serve in background threads."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._server.bind(str(self.path))
        os.chmod(self.path, 0o600)
        self._server.listen()
        threading.Thread(target=self._accept, name="tracklayer-bus-accept", daemon=True).start()

    def stop(self) -> None:
        """Stop accepting, close every connection and remove the socket."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        with self._lock:
            peers, self._peers = self._peers, []
        for peer in peers:
            with contextlib.suppress(OSError):
                peer.sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    @property
    def n_peers(self) -> int:
        """Workers connected now."""
        with self._lock:
            return len(self._peers)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                sock, _ = self._server.accept()
            except OSError:
                return
            peer = _Peer(sock)
            with self._lock:
                self._peers.append(peer)
            threading.Thread(
                target=self._serve, args=(peer,), name="tracklayer-bus-peer", daemon=True
            ).start()

    def _serve(self, peer: _Peer) -> None:
        try:
            while True:
                payload = _read_frame(peer.sock)
                if payload is None:
                    return
                frame = _HEADER.pack(len(payload)) + payload
                with self._lock:
                    others = [p for p in self._peers if p is not peer]
                for other in others:
                    other.send(frame)
        except (OSError, ValueError):
            if not self._closed.is_set():
                log.exception("commit bus connection failed")
        finally:
            with self._lock:
                if peer in self._peers:
                    self._peers.remove(peer)
            with contextlib.suppress(OSError):
                peer.sock.close()


class BusClient:
    """A worker's end of the bus: :meth:`send` its commits, receive the others'.

    Parameters
    ----------
    path : Path
        The broker's socket.
    on_message : callable
        Called on the client's reader thread with each object another worker sent.
    """

    def __init__(self, path: Path, on_message: Callable[[Any], None]) -> None:
        self.path = path
        self._on_message = on_message
        self._peer: _Peer | None = None
        self._thread: threading.Thread | None = None

    def connect(self, timeout_s: float = 30.0) -> None:
        """Connect to the broker (waiting for it up to ``timeout_s``) and start reading."""
        deadline = time.monotonic() + timeout_s
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(self.path))
                break
            except OSError:
                sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._peer = _Peer(sock)
        self._thread = threading.Thread(target=self._read, name="tracklayer-bus", daemon=True)
        self._thread.start()

    def send(self, obj: Any) -> None:
        """Send ``obj`` to every other worker (thread-safe; dropped when not connected)."""
        peer = self._peer
        if peer is None:
            return
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        if not peer.send(_HEADER.pack(len(payload)) + payload):
            log.error("commit bus: the broker is gone; other workers miss this commit")

    def close(self) -> None:
        """Disconnect; the reader thread ends."""
        peer, self._peer = self._peer, None
        if peer is not None:
            with contextlib.suppress(OSError):
                peer.sock.shutdown(socket.SHUT_RDWR)
            peer.sock.close()
        if self._thread is not None:
            self._thread.join(5)

    def _read(self) -> None:
        peer = self._peer
        assert peer is not None
        try:
            while True:
                payload = _read_frame(peer.sock)
                if payload is None:
                    return
                try:
                    # Frames come only from this service's own workers (module doc).
                    self._on_message(pickle.loads(payload))
                except Exception:
                    log.exception("commit bus message could not be applied")
        except (OSError, ValueError):
            if self._peer is not None:
                log.exception("commit bus connection failed")

"""Child processes of the service fed through a Unix socket pair (the writer, the fusion).

A child runs ``python -m <module> <fd>`` with one end of the pair as its only inherited
file descriptor; it reads pickled frames until the server's end closes, so it ends with
the server however the server ends (EOF on its socket), and nothing else is shared.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from multiprocessing.connection import Connection

__all__ = ["reap", "spawn"]


def spawn(
    module: str, buffer_bytes: int | None = None
) -> tuple[Connection, subprocess.Popen[bytes]]:
    """Start ``python -m module FD``; return the server's end of the pair and the process.

    ``buffer_bytes`` asks for socket buffers of that size each way (the kernel caps them).
    """
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    if buffer_bytes is not None:
        for sock in (ours, theirs):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer_bytes)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer_bytes)
    proc = subprocess.Popen(
        [sys.executable, "-m", module, str(theirs.fileno())],
        pass_fds=(theirs.fileno(),),
        stdin=subprocess.DEVNULL,
    )
    theirs.close()
    return Connection(ours.detach()), proc


def reap(proc: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """Wait for the child to exit (killing it after ``timeout_s``)."""
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

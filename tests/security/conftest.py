"""The security suite's canary: a TCP listener on 127.0.0.1 that must receive nothing.

Every attack query names it (as a SERVICE endpoint, a FROM graph, a LOAD source), so a server
or CLI that called out would connect to it. It counts connections for the whole session and
the session fails at its end if any arrived; tests read the count too (`listener.connections`).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest


class Listener:
    """Accepts and counts TCP connections on a free 127.0.0.1 port (answers nothing)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="session", autouse=True)
def listener() -> Iterator[Listener]:
    canary = Listener()
    try:
        yield canary
    finally:
        canary.close()
    assert canary.connections == 0, f"the security suite made {canary.connections} outbound connection(s)"

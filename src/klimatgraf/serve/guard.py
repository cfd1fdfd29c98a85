"""The limits and checks around `klimatgraf serve` (see docs/security.md for the threat model).

- `child_memory_cap`: the address-space limit (RLIMIT_AS) a forked query child sets on itself.
- `ClientLimiter`: at most N SPARQL queries at once per client address; waits carry a deadline.
- `raise_open_file_limit`: the open-file soft limit raised to the hard one at start.
- `configure_logging` (logs.py, named here too): rdflib at ERROR, control characters escaped in
  every log line, repeated messages from asyncio or uvicorn logged at most once a second.
- `guarded_h11`: uvicorn's h11 protocol with a header-read timeout (uvicorn has none: a client
  that sends a request line and then one header byte a minute would hold its socket forever).
- `GuardMiddleware`: the Host allow-list, the cross-site POST refusal and the security headers.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from .logs import EscapingFormatter as EscapingFormatter  # re-exported: the CLI and the tests take them from here
from .logs import OncePerSecond as OncePerSecond
from .logs import configure_logging as configure_logging
from .logs import escape_controls as escape_controls

DEFAULT_MAX_CONNECTIONS = 200
DEFAULT_KEEP_ALIVE = 5
DEFAULT_HEADER_TIMEOUT = 10.0
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")

SECURITY_HEADERS = [
    # the web page uses only same-origin scripts, styles and fetches (src/klimatgraf/web/)
    (b"content-security-policy", b"default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


# ----------------------------------------------------------------------------- query children


def child_memory_cap(max_memory_mb: int) -> None:
    """In a forked query child: allow it to grow by at most `max_memory_mb` MiB of address space.

    The limit is on top of what the child inherited from the server (the graph, the model),
    which it shares copy-on-write; past it, allocations fail with MemoryError in the child.
    """
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            inherited = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        inherited = 0
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = inherited + max_memory_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


class ClientLimiter:
    """At most `limit` concurrent queries per client address (the rest wait until their deadline)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._running: dict[str, int] = {}
        self._changed = threading.Condition()

    def acquire(self, client: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._running.get(client, 0) >= self.limit:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            self._running[client] = self._running.get(client, 0) + 1
            return True

    def release(self, client: str) -> None:
        with self._changed:
            count = self._running.get(client, 0) - 1
            if count <= 0:
                self._running.pop(client, None)
            else:
                self._running[client] = count
            self._changed.notify_all()


# ----------------------------------------------------------------------------- process limits and logs


def raise_open_file_limit() -> tuple[int, int]:
    """Raise the open-file soft limit to the hard limit; returns the (soft, hard) now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft, hard


# ----------------------------------------------------------------------------- connections


def guarded_h11(header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, closing a connection whose request headers take over `header_timeout` s.

    The timer runs from the connection's start and again after each response (until the next
    request's headers are complete), so it also closes a connection opened and never used.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            self._header_timer = self.loop.call_later(header_timeout, self._headers_late)

        def _headers_late(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()  # no complete request head in time

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            super().connection_lost(exc)

    return GuardedH11Protocol


# ----------------------------------------------------------------------------- Host, Origin, headers

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def default_allowed_hosts(bound: str) -> list[str]:
    """The bound address and the loopback names (for 0.0.0.0 or ::, also this machine's name)."""
    import socket

    hosts = [bound, *LOCAL_HOSTS]
    if bound in ("0.0.0.0", "::", ""):
        hosts.append(socket.gethostname())  # local: no DNS lookup
    return hosts


def _hostname(host: str) -> str:
    """'Example.org:8000' → 'example.org'; '[::1]:8000' → '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class GuardMiddleware:
    """Refuses a Host not allowed (421) and a cross-site POST (403); adds security headers to every answer."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] | None = None) -> None:
        self.app = app
        hosts = None if allowed_hosts is None else {_hostname(h) for h in allowed_hosts}
        self.allowed = None if hosts is None or "*" in hosts else hosts

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]], send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in SECURITY_HEADERS if k not in names),
                ]
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if self.allowed is not None and _hostname(host) not in self.allowed:
            await _refuse(
                send_secured,
                421,
                "this server does not answer for the Host in the request; the operator can allow it "
                "with `klimatgraf serve --allowed-host NAME`",
            )
            return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") and _cross_site(headers, host):
            await _refuse(
                send_secured, 403, "cross-site requests that are not GET are refused; send the query from this site"
            )
            return
        await self.app(scope, receive, send_secured)


def _cross_site(headers: dict[str, str], host: str) -> bool:
    if headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        return True
    origin = headers.get("origin")
    if origin is None:
        return False  # not from a browser (curl, SPARQL clients): no ambient credentials to abuse
    match = re.match(r"^[a-z][a-z0-9+.-]*://([^/]+)$", origin.strip().lower())
    return match is None or match.group(1) != host.strip().lower()


async def _refuse(send: Callable[[Message], Awaitable[None]], status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})

"""The limits and checks around `klimatgraf serve` (see docs/security.md for the threat model).

- `child_memory_cap`: the address-space limit (RLIMIT_AS) a forked query child sets on itself.
- `ClientLimiter`: at most N SPARQL queries at once per client address; waits carry a deadline.
- `raise_open_file_limit`: the open-file soft limit raised to the hard one at start.
- `configure_logging` (logs.py, named here too): rdflib at ERROR, control characters escaped in
  every log line, repeated messages from asyncio or uvicorn logged at most once a second.
- `guarded_h11`: uvicorn's h11 protocol with a header-read timeout (uvicorn has none: a client
  that sends a request line and then one header byte a minute would hold its socket forever),
  a deadline on the whole request, body included, the connection limit (`ConnectionGate`, which
  never turns away /healthz or /readyz) and the security headers on its own 400 (issue 24).
- `GuardMiddleware`: the Host allow-list, the cross-site POST refusal, the security headers, and
  the request body read as a stream under its byte cap and the request's deadline (issue 24).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import resource
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from .limits import DEFAULT_MAX_BODY, DEFAULT_REQUEST_TIMEOUT, RETRY_AFTER_BUSY
from .logs import EscapingFormatter as EscapingFormatter  # re-exported: the CLI and the tests take them from here
from .logs import OncePerSecond as OncePerSecond
from .logs import configure_logging as configure_logging
from .logs import escape_controls as escape_controls

DEFAULT_MAX_CONNECTIONS = 200
DEFAULT_KEEP_ALIVE = 5
DEFAULT_HEADER_TIMEOUT = 10.0
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
HEALTH_PATHS = ("/healthz", "/readyz")  # answered ahead of every limit, queue and pool
REQUEST_STARTED = "klimatgraf.request_started"  # scope key: loop time of the request's first byte
LOG = logging.getLogger("klimatgraf.serve")

SECURITY_HEADERS = [
    # the web page uses only same-origin scripts, styles and fetches (src/klimatgraf/web/)
    (b"content-security-policy", b"default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


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


class ConnectionGate:
    """The open connections, counted by the protocol; past `limit`, requests other than /healthz and
    /readyz are answered 503 (uvicorn's own limit would refuse the health checks too: issue 24)."""

    def __init__(self, limit: int = DEFAULT_MAX_CONNECTIONS) -> None:
        self.limit = limit
        self.open = 0

    @property
    def over(self) -> bool:
        """More connections are open than allowed: their requests are refused."""
        return self.open > self.limit

    @property
    def saturated(self) -> bool:
        """No room for another connection (what /readyz reports)."""
        return self.open >= self.limit


def guarded_h11(
    header_timeout: float,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    gate: ConnectionGate | None = None,
) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with the connection guards (pass `limit_concurrency=None` to uvicorn).

    - A connection whose request head takes over `header_timeout` s is closed; the timer runs
      from the connection's start and again after each response, so it also closes a connection
      opened and never used.
    - A request not received whole, body included, `request_timeout` s after its first byte is
      cut off: `GuardMiddleware` answers 408 at the deadline while it reads the body, and this
      closes the connection a second later whatever the route did with the body.
    - `gate` counts connections and answers 503 past its limit, except for /healthz and /readyz.
    - uvicorn's own 400 (a malformed request) carries the security headers.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None
        _request_timer: asyncio.TimerHandle | None = None
        _started: float = 0.0
        _counted = False

        _first_byte_due = True

        def _arm(self) -> None:
            """At the connection's start and after each answer: the header timer runs from now,
            the request's deadline from its first byte (`data_received`)."""
            self._disarm()
            self._started = self.loop.time()
            self._first_byte_due = True
            self._header_timer = self.loop.call_later(header_timeout, self._headers_late)
            self._request_timer = self.loop.call_later(header_timeout + request_timeout + 1, self._request_late)

        def data_received(self, data: bytes) -> None:
            if self._first_byte_due:
                self._first_byte_due = False
                self._started = self.loop.time()
                if self._request_timer is not None:
                    self._request_timer.cancel()
                self._request_timer = self.loop.call_later(request_timeout + 1, self._request_late)
            super().data_received(data)

        def _disarm(self) -> None:
            for timer in (self._header_timer, self._request_timer):
                if timer is not None:
                    timer.cancel()
            self._header_timer = self._request_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()  # no complete request head in time

        def _request_late(self) -> None:
            self._request_timer = None
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
                self.transport.close()  # the request (its body) did not come whole in time

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if gate is not None:
                gate.open += 1
                self._counted = True
            self.app = _guarded_app(self.app, self, gate)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._counted and gate is not None:
                gate.open -= 1
                self._counted = False
            super().connection_lost(exc)

        def send_400_response(self, msg: str) -> None:
            event = h11.Response(
                status_code=400, reason=b"Bad Request",
                headers=[(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close"),
                         *SECURITY_HEADERS],
            )  # fmt: skip
            try:
                self.transport.write(self.conn.send(event))
                self.transport.write(self.conn.send(h11.Data(data=msg.encode("ascii"))))
                self.transport.write(self.conn.send(h11.EndOfMessage()))
            except h11.LocalProtocolError:  # a response was already under way
                pass
            self.transport.close()

    return GuardedH11Protocol


def _guarded_app(inner: ASGIApp, protocol: Any, gate: ConnectionGate | None) -> ASGIApp:
    """The app as one connection calls it: the request's start time in its scope, and the gate."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope[REQUEST_STARTED] = protocol._started
        if gate is not None and gate.over and scope.get("path") not in HEALTH_PATHS:
            LOG.warning("more than %d connections are open (--max-connections); requests are answered 503", gate.limit)
            await _refuse(
                _with_security_headers(send), 503,
                f"the server has more than {gate.limit} open connections (--max-connections); try again",
                retry_after=RETRY_AFTER_BUSY, close=True,
            )  # fmt: skip
            return
        await inner(scope, receive, send)

    return app


# ----------------------------------------------------------------------------- Host, Origin, headers


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
    """Refuses a Host not allowed (421) and a cross-site POST (403); adds security headers to every
    answer; reads a request's body as a stream under `max_body` bytes and the request's deadline.

    The body (issue 24): a Content-Length over `max_body` is answered 413 before one byte of it is
    read; a body that grows past it (chunked) is answered 413 as soon as it does; one not whole
    `request_timeout` s after the request's first byte is answered 408. Those answers close the
    connection. A client that hangs up meanwhile costs one info line, no answer and no traceback.
    The route then reads the body from memory (it is at most `max_body` bytes).
    """

    def __init__(
        self,
        app: ASGIApp,
        allowed_hosts: Iterable[str] | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        self.app = app
        hosts = None if allowed_hosts is None else {_hostname(h) for h in allowed_hosts}
        self.allowed = None if hosts is None or "*" in hosts else hosts
        self.max_body = max_body
        self.request_timeout = request_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send_secured = _with_security_headers(send)
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
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") and _cross_site(
            headers, host, scope.get("scheme", "http")
        ):
            await _refuse(
                send_secured, 403, "cross-site requests that are not GET are refused; send the query from this site"
            )
            return
        if "content-length" in headers or "transfer-encoding" in headers:
            body = await self._body(scope, receive, send_secured, headers)
            if body is None:
                return  # answered (413, 408) or the client hung up
            receive = _replay(body, receive)
        await self.app(scope, receive, send_secured)

    async def _body(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> bytes | None:
        """The whole body under the cap and the deadline, or None once answered or abandoned."""
        length = headers.get("content-length", "")
        if length.strip().isdigit() and int(length) > self.max_body:
            await self._too_large(send)
            return None
        loop = asyncio.get_running_loop()
        deadline = scope.get(REQUEST_STARTED) or loop.time()
        deadline += self.request_timeout
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                await _refuse(
                    send, 408,
                    f"the request was not received whole within {self.request_timeout:g} s (--request-timeout); "
                    "send it at once", close=True,
                )  # fmt: skip
                return None
            if message["type"] == "http.disconnect":
                LOG.info("a client hung up before its request was whole (%s %s)", scope["method"], scope["path"])
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._too_large(send)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, send: Send) -> None:
        await _refuse(
            send, 413,
            f"the request body is longer than {self.max_body} bytes (the server's --max-body); send a shorter query",
            close=True,
        )  # fmt: skip


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the body read already, then what the connection says (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _with_security_headers(send: Send) -> Send:
    async def send_secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            message["headers"] = [
                *message.get("headers", []),
                *((k, v) for k, v in SECURITY_HEADERS if k not in names),
            ]
        await send(message)

    return send_secured


def _cross_site(headers: dict[str, str], host: str, scheme: str = "http") -> bool:
    """A browser's request from another site: Sec-Fetch-Site says so, or the Origin is not this
    server's scheme and Host (the scheme too: https://HOST is another origin than http://HOST)."""
    if headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        return True
    origin = headers.get("origin")
    if origin is None:
        return False  # not from a browser (curl, SPARQL clients): no ambient credentials to abuse
    match = re.match(r"^([a-z][a-z0-9+.-]*)://([^/]+)$", origin.strip().lower())
    return match is None or match.group(1) != scheme.lower() or match.group(2) != host.strip().lower()


async def _refuse(
    send: Send, status: int, message: str, *, retry_after: int | None = None, close: bool = False
) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

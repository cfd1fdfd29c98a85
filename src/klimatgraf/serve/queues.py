"""Fair admission to the server's slots (SPARQL query processes, searches): issue 24.

A `FairQueue` lets at most `slots` requests run at once and at most `per_client` of one client
address. A request that cannot run at once waits, without holding a thread (it awaits on the
event loop), and waiting clients are served in turn (round robin: a client with fifty waiting
requests gets the next slot only after each other waiting client got one). The wait is
bounded: past the request's deadline the answer is 429 when the client's own limit held it,
else 503. A client with a quarter of the queue waiting already (at least as many as it may
run), or a queue already `length` long, is refused without waiting for a slot, but only after a pause of its Retry-After (at
most the request's deadline): a client that never waits for Retry-After would otherwise make
the server answer hundreds of refusals a second, and everyone else's requests queue behind
them on the event loop (issue 24 measured another user's search p95 7× slower so). The pause
holds no thread. Every refusal carries `Retry-After`.

All state is touched on the event loop only (acquire and release are called there).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from dataclasses import dataclass

from .limits import RETRY_AFTER_BUSY, RETRY_AFTER_CLIENT


class Refused(Exception):
    """A request the queue turns away: its HTTP status, one line and the Retry-After seconds."""

    def __init__(self, status: int, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass
class Ticket:
    """A granted slot; give it back with `FairQueue.release` (exactly once)."""

    client: str


class FairQueue:
    """At most `slots` at once, `per_client` per client address, `length` waiting; served in turn."""

    def __init__(
        self, what: str, slots: int, per_client: int, length: int, client_flag: str, pause: bool = True
    ) -> None:
        self.what = what  # "SPARQL queries", "searches": for the messages
        self.pause = pause  # refuse over-limit requests after their Retry-After (tests of the logic: False)
        self.slots = max(1, slots)
        self.per_client = max(1, per_client)
        self.length = max(0, length)
        # one client may fill a quarter of the queue (a page or a load test with a few parallel
        # requests waits, as it did before; a flood cannot crowd the others out)
        self.client_waiting = max(self.per_client, self.length // 4)
        self.client_flag = client_flag
        self.running = 0
        self._running: dict[str, int] = {}
        self._waiting: OrderedDict[str, deque[asyncio.Future[Ticket]]] = OrderedDict()
        self.waiting = 0

    # ------------------------------------------------------------------ state

    def stats(self) -> dict[str, int]:
        return {"running": self.running, "waiting": self.waiting, "slots": self.slots, "queue": self.length}

    @property
    def saturated(self) -> bool:
        """A new request would be refused at once: every slot is busy and the queue is full."""
        return self.running >= self.slots and self.waiting >= self.length

    def _free_for(self, client: str) -> bool:
        return self.running < self.slots and self._running.get(client, 0) < self.per_client

    def _grant(self, client: str) -> Ticket:
        self.running += 1
        self._running[client] = self._running.get(client, 0) + 1
        return Ticket(client)

    # ------------------------------------------------------------------ admission

    async def acquire(self, client: str, timeout: float) -> Ticket:
        """A slot for `client` within `timeout` seconds, or Refused (429/503 with Retry-After)."""
        if not self._waiting and self._free_for(client):
            return self._grant(client)
        if len(self._waiting.get(client, ())) >= self.client_waiting:
            await self._pause(self._client_refusal(), timeout)  # its share of the queue is full
        if self.waiting >= self.length:
            await self._pause(
                Refused(503, f"the server is busy: {self.waiting} {self.what} are waiting already; try again",
                        RETRY_AFTER_BUSY),
                timeout,
            )  # fmt: skip
        future: asyncio.Future[Ticket] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(client, deque()).append(future)
        self.waiting += 1
        self._dispatch()
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except (TimeoutError, asyncio.CancelledError) as exc:
            if future.done() and not future.cancelled():
                self.release(future.result())  # granted at the last moment: give it back
            else:
                future.cancel()
                self._forget(client, future)
            if isinstance(exc, asyncio.CancelledError):
                raise
            if self._running.get(client, 0) >= self.per_client:
                raise self._client_refusal() from None
            raise Refused(
                503, f"the server is busy with other {self.what}; no slot within {timeout:g} s, try again",
                RETRY_AFTER_BUSY,
            ) from None  # fmt: skip

    def release(self, ticket: Ticket) -> None:
        self.running -= 1
        left = self._running.get(ticket.client, 0) - 1
        if left > 0:
            self._running[ticket.client] = left
        else:
            self._running.pop(ticket.client, None)
        self._dispatch()

    async def _pause(self, refusal: Refused, timeout: float) -> None:
        """Raise `refusal` after its Retry-After (at most `timeout`): the refused client cannot spin."""
        if self.pause:
            await asyncio.sleep(max(0.0, min(float(refusal.retry_after), timeout)))
        raise refusal

    def _client_refusal(self) -> Refused:
        return Refused(
            429,
            f"this client already runs {self.per_client} {self.what} (the server's {self.client_flag}); "
            "wait for them to finish",
            RETRY_AFTER_CLIENT,
        )

    def _forget(self, client: str, future: asyncio.Future[Ticket]) -> None:
        queue = self._waiting.get(client)
        if queue is not None and future in queue:
            queue.remove(future)
            self.waiting -= 1
            if not queue:
                del self._waiting[client]

    def _dispatch(self) -> None:
        """Grant free slots to waiting clients in turn (the client served goes to the back)."""
        while self.running < self.slots and self._waiting:
            for client in list(self._waiting):
                if self._free_for(client):
                    break
            else:
                return  # every waiting client is at its own limit
            queue = self._waiting.pop(client)
            future = queue.popleft()
            self.waiting -= 1
            if queue:
                self._waiting[client] = queue  # to the back of the turn
            if not future.done():
                future.set_result(self._grant(client))

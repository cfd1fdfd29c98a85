"""SPARQL in a forked child process per query, with a deadline.

rdflib cannot cancel a running query, and a thread cannot be killed, so a runaway query (a
cartesian product) would keep a core busy forever; a child process can be killed. With the
'fork' start method the child shares the parent's graph copy-on-write, so nothing is serialised
on the way in; the child sends the finished, serialised answer back over a pipe, and the parent
waits at most `timeout` seconds and then kills it. The cost is one fork per query (see README,
"Web service").
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from .answer import Answer, evaluate, too_large
from .limits import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    MAX_QUERY_BYTES,
    PARSE_LOCK,
    default_max_queries,
    default_query_memory_mb,
    default_total_memory_mb,
)
from .loading import LoadingGraph

if TYPE_CHECKING:
    from rdflib import Graph


def _is_update(query: str) -> bool:
    """True when the text is a SPARQL Update (which rdflib's query parser rejects as a syntax error)."""
    from ..sparql_guard import is_update

    return is_update(query)


def _child(graph: Graph, query: str, accept: str | None, limits: tuple[int, int, int], conn: Connection) -> None:
    """Body of the query child: cap its memory, evaluate, send the answer (a header, then the body),
    exit without running the parent's atexit."""
    import logging

    from .. import sparql_guard
    from .guard import child_memory_cap

    max_rows, max_bytes, max_memory_mb = limits
    try:
        child_memory_cap(max_memory_mb)
        answer = evaluate(graph, query, accept, max_rows, max_bytes)
    except MemoryError as exc:  # past --max-memory outside the evaluation proper (serialising, encoding)
        answer = Answer.error(400, sparql_guard.evaluation_message(exc))
    except Exception:  # a bug of the server: logged (escaped, one line), answered without internals
        logging.getLogger("klimatgraf.serve").exception("query process failed")
        answer = Answer.error(500, "internal error while answering the query; see the server log")
    try:
        conn.send_bytes(json.dumps([answer.status, answer.media_type, len(answer.body)]).encode())
        conn.send_bytes(answer.body)
    except Exception:  # the parent gave up waiting, or no memory left to send
        pass
    finally:
        conn.close()
        os._exit(0)


class QueryRunner:
    """Runs each query in a forked child with a deadline; a child past it is killed (SIGKILL).

    Admission (how many at once, per client, the wait) is `queues.FairQueue`'s, in the route;
    `slots` is how many may run at once: `max_queries`, fewer when their memory would pass
    `max_total_memory_mb` (each child may add `max_memory_mb`; by default sized to the graph).
    Every wait (the parse lock, the answer) counts against the one deadline of the request; the
    parent reads at most `max_bytes` of an answer.
    """

    def __init__(
        self,
        graph: Graph | LoadingGraph,
        timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_memory_mb: int | None = None,
        max_total_memory_mb: int | None = None,
        max_queries: int | None = None,
    ) -> None:
        self.graph = graph
        self.timeout = timeout
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.max_memory_mb = max_memory_mb or default_query_memory_mb(len(graph))
        self.max_total_memory_mb = max_total_memory_mb or default_total_memory_mb()
        self.max_queries = max_queries or default_max_queries()
        self.slots = max(1, min(self.max_queries, self.max_total_memory_mb // self.max_memory_mb))
        self._context = multiprocessing.get_context("fork")

    def refusal(self, query: str) -> Answer | None:
        """What is answered without a query process: a text over the size limit, an empty one."""
        if len(query.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES:
            return Answer.error(413, f"the query is longer than {MAX_QUERY_BYTES} bytes; send a shorter query")
        if not query.strip():
            return Answer.error(400, "empty query; send a SPARQL query in the query parameter")
        return None

    def run(self, query: str, accept: str | None, deadline: float | None = None) -> Answer:
        """The query's answer; `deadline` (time.monotonic()) is when the request started plus the
        timeout (default: from now). The caller holds a slot of the route's queue."""
        refused = self.refusal(query)
        if refused is not None:
            return refused
        ends = deadline if deadline is not None else time.monotonic() + self.timeout

        def left() -> float:
            return max(0.0, ends - time.monotonic())

        return self._fork(query, accept, left)

    def _graph(self, left: Any) -> Graph | Answer:
        """The graph to query: at once, or (the server just started, loading.py) when its parse is
        done, waiting no longer than the request's deadline."""
        if not isinstance(self.graph, LoadingGraph):
            return self.graph
        try:
            graph = self.graph.get(left())
        except Exception as exc:  # a damaged file found by the parse: the same one line as at start
            return Answer.error(503, self.graph.failed or type(exc).__name__)
        if graph is None:
            return Answer.error(
                503, "the server has just started and is still loading the graph for SPARQL; try again in a few seconds"
            )
        return graph

    def _fork(self, query: str, accept: str | None, left: Any) -> Answer:
        graph = self._graph(left)
        if isinstance(graph, Answer):
            return graph
        receiver, sender = self._context.Pipe(duplex=False)
        limits = (self.max_rows, self.max_bytes, self.max_memory_mb)
        child = self._context.Process(target=_child, args=(graph, query, accept, limits, sender), daemon=True)
        if not PARSE_LOCK.acquire(timeout=left()):
            receiver.close()
            sender.close()
            return self._stopped()
        try:
            child.start()
        finally:
            PARSE_LOCK.release()
        sender.close()
        try:
            if not receiver.poll(left()):
                return self._stopped()
            try:
                status, media, size = json.loads(receiver.recv_bytes(4096))
                if size > self.max_bytes:
                    return too_large(size, self.max_bytes)
                if not receiver.poll(left()):
                    return self._stopped()
                # recv_bytes reads the length first and refuses, unread, a message over maxlength
                return Answer(int(status), str(media), receiver.recv_bytes(self.max_bytes + 1))
            except OSError:
                return too_large(None, self.max_bytes)
            except (EOFError, ValueError, TypeError):
                return Answer.error(
                    400,
                    "SPARQL evaluation failed: the query process ended without an answer "
                    "(most often: it needed more memory than the server's --max-memory)",
                )
        finally:
            receiver.close()
            if child.is_alive():
                child.kill()
            child.join()

    def _stopped(self) -> Answer:
        return Answer.error(
            503,
            f"the query was stopped after {self.timeout:g} s (the server's --timeout); narrow it or add a LIMIT",
        )

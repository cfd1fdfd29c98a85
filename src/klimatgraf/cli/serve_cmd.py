"""`serve`: the SPARQL endpoint, the JSON API and the web page over HTTP (read-only)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..config import MAX_QUERY_CHARS
from ..errors import InputError

# the defaults are serve/limits.py's (not imported here: that would import FastAPI for every command)
from .common import BuildDir, DataDir, build_dir_of, data_dir_of, err


def serve(
    build_dir: BuildDir = None,
    data_dir: DataDir = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; 0.0.0.0 shares it on the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")] = 8000,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds a SPARQL query may run before it is stopped.")
    ] = 10.0,
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=1, help="Most rows (or triples) a SPARQL answer may have.")
    ] = 10_000,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1024, help="Most bytes a SPARQL answer may have (413 past it).")
    ] = 32 * 1024 * 1024,
    max_memory: Annotated[
        int | None,
        typer.Option(
            "--max-memory",
            min=64,
            help="MiB of memory each SPARQL query process may add.",
            show_default="sized to the graph: 4 KiB a triple, 256 to 1024",
        ),
    ] = None,
    max_total_memory: Annotated[
        int | None,
        typer.Option(
            "--max-total-memory",
            min=64,
            help="MiB the SPARQL query processes may add together (fewer run at once past it).",
            show_default="half the machine's memory",
        ),
    ] = None,
    max_queries: Annotated[
        int | None,
        typer.Option(
            "--max-queries",
            min=1,
            help="SPARQL queries at once in all (the rest wait; 503 past the wait).",
            show_default="the CPU cores + 1, at least 3",
        ),
    ] = None,
    max_client_queries: Annotated[
        int,
        typer.Option(
            "--max-client-queries", min=1, help="SPARQL queries one client address may run at once (429 past it)."
        ),
    ] = 2,
    queue_length: Annotated[
        int,
        typer.Option(
            "--queue-length", min=0, help="Requests that may wait for a SPARQL or search slot (each; 503 past it)."
        ),
    ] = 32,
    search_workers: Annotated[
        int, typer.Option("--search-workers", min=1, help="Searches at once (each holds a copy of the index).")
    ] = 2,
    max_client_searches: Annotated[
        int,
        typer.Option("--max-client-searches", min=1, help="Searches one client address may run at once (429 past it)."),
    ] = 1,
    search_timeout: Annotated[
        float, typer.Option("--search-timeout", min=0.1, help="Seconds a search may take, its wait included (503).")
    ] = 10.0,
    max_query_tokens: Annotated[
        int,
        typer.Option(
            "--max-query-tokens", min=8, help="Refuse a search question of more e5 tokens (400), before it is encoded."
        ),
    ] = 256,
    max_connections: Annotated[
        int, typer.Option("--max-connections", min=1, help="Open connections at most (503 past it; never /healthz).")
    ] = 200,
    max_body: Annotated[
        int, typer.Option("--max-body", min=1024, help="Bytes a request body may have (413, before reading it).")
    ] = 400_000,
    request_timeout: Annotated[
        float,
        typer.Option(
            "--request-timeout",
            min=0.1,
            help="Seconds a client may take to send a whole request, "
            "body included (408, then the connection is closed).",
        ),
    ] = 10.0,
    keep_alive: Annotated[
        int, typer.Option("--keep-alive", min=1, help="Seconds an idle keep-alive connection stays open.")
    ] = 5,
    header_timeout: Annotated[
        float, typer.Option("--header-timeout", min=0.1, help="Seconds a client may take to send a request's headers.")
    ] = 10.0,
    max_query_chars: Annotated[
        int, typer.Option("--max-query-chars", help="Refuse a longer search question (characters; 400).")
    ] = MAX_QUERY_CHARS,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="Host name the server answers for (repeatable; '*' for any).",
            show_default="the --host address and localhost",
        ),
    ] = None,
) -> None:
    """Serve the graph and the search over HTTP: SPARQL endpoint, JSON API and the web page (read-only)."""
    import errno
    import socket

    import uvicorn

    from ..serve import create_app, load_service
    from ..serve.guard import (
        ConnectionGate,
        configure_logging,
        default_allowed_hosts,
        guarded_h11,
        raise_open_file_limit,
    )

    configure_logging()
    raise_open_file_limit()
    service = load_service(
        build_dir_of(build_dir), data_dir_of(data_dir), timeout, max_rows, max_bytes, max_memory,
        max_client_queries, max_query_chars=max_query_chars, max_total_memory_mb=max_total_memory,
        max_queries=max_queries, queue_length=queue_length, search_workers=search_workers,
        max_client_searches=max_client_searches, search_timeout=search_timeout, max_query_tokens=max_query_tokens,
    )  # fmt: skip
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be bound ({exc.strerror})"
        raise InputError(
            f"port {port} on {host} {reason}; pass another --port (or --port 0 for any free one)"
        ) from None
    address, bound = sock.getsockname()[:2]  # what the socket really listens on (--port 0: the free port)
    shown = f"[{address}]" if ":" in address else address
    manifest = service.searcher.index.manifest
    err().print(
        f"klimatgraf serve: http://{shown}:{bound}/ ({len(service.graph)} triples, {len(service.documents)} documents, "
        f"{manifest.passages} passages; SPARQL at /sparql, API description at /openapi.json); Ctrl-C stops"
    )
    hosts = allowed_host or default_allowed_hosts(host)
    gate = ConnectionGate(max_connections)  # uvicorn's own limit would turn away /healthz too (issue 24)
    app = create_app(service, hosts, max_body=max_body, request_timeout=request_timeout, gate=gate)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", log_config=None,
        http=guarded_h11(header_timeout, request_timeout, gate), limit_concurrency=None, timeout_keep_alive=keep_alive,
    )  # fmt: skip
    uvicorn.Server(config).run(sockets=[sock])

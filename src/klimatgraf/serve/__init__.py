"""`klimatgraf serve`: the built graph and index over HTTP (FastAPI), for a team and a web page.

FastAPI is imported at module level (it reads the route signatures at run time); the CLI
imports this package only inside the `serve` command.

The package, lowest first:
- limits.py: the limits' defaults and the parse lock;
- guard.py: the middleware, logging and process guards; cache.py: answers computed at start;
- answer.py: a SPARQL answer as HTTP (negotiated and serialised by `klimatgraf.formats`);
- runner.py: each query in a forked child with a deadline;
- service.py: `Service`, everything loaded once at start (`load_service`);
- deps.py: the service as a FastAPI dependency, the error body, `HTTPError`;
- one APIRouter per area: sparql.py, search.py, browse.py, pages.py;
- app.py: `create_app`, the middleware, the error answers and the routers.
"""

from __future__ import annotations

from .answer import GRAPH_TYPES, SELECT_TYPES, negotiate
from .app import create_app
from .limits import PARSE_LOCK
from .runner import QueryRunner
from .service import Service, fixed_answers, load_service

__all__ = [
    "GRAPH_TYPES",
    "PARSE_LOCK",
    "SELECT_TYPES",
    "QueryRunner",
    "Service",
    "create_app",
    "fixed_answers",
    "load_service",
    "negotiate",
]

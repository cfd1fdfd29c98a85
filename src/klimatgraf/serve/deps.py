"""What every router shares: the loaded `Service` as a FastAPI dependency, the JSON error body,
the `HTTPError` a route raises, close-match suggestions and the client's address."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from ..errors import KlimatgrafError
from .answer import Answer
from .queues import Refused
from .service import Service


class HTTPError(KlimatgrafError):
    """A user error with its HTTP status; answered as JSON `{"error", "suggestions"?}`."""

    def __init__(
        self, status: int, message: str, suggestions: list[str] | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.http_status = status
        self.suggestions = suggestions
        self.retry_after = retry_after  # seconds, sent as Retry-After (a full queue, a busy client)

    @classmethod
    def refused(cls, refusal: Refused) -> HTTPError:
        """A queue's refusal (queues.py) as the answer: 429 or 503 with Retry-After."""
        return cls(refusal.status, str(refusal), retry_after=refusal.retry_after)

    @property
    def status(self) -> int:
        return self.http_status


async def get_service(request: Request) -> Service:
    """The service `create_app` was given (async: FastAPI then calls it inline, not in a thread)."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def error_response(
    status: int, message: str, suggestions_: list[str] | None = None, retry_after: int | None = None
) -> JSONResponse:
    """The one shape of every error answer: `{"error": one line, "suggestions"?: [...]}`."""
    body: dict[str, Any] = {"error": " ".join(message.split())}
    if suggestions_ is not None:
        body["suggestions"] = suggestions_
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(body, status_code=status, headers=headers)


def answer_response(result: Answer) -> Response:
    return Response(result.body, status_code=result.status, media_type=result.media_type)


def suggestions(name: str, known: list[str], n: int = 5) -> list[str]:
    """Close matches by difflib (case-insensitive), for 404 answers."""
    folded = {k.casefold(): k for k in known}
    return [folded[c] for c in difflib.get_close_matches(name.casefold(), list(folded), n=n, cutoff=0.5)]


def client_of(request: Request) -> str:
    """The client's address (behind a reverse proxy: the proxy's, see docs/security.md)."""
    return request.client.host if request.client else ""


def municipalities_of(service: Service) -> list[str]:
    """The built municipalities' names, sorted (what a 404 suggests)."""
    return sorted({d["municipality"] for d in service.documents})

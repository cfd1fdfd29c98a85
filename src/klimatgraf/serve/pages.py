"""The web page (`/`, its files under `/static`) and `/healthz`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles

from ..config import PACKAGE_DIR
from .deps import ServiceDep

WEB_DIR = PACKAGE_DIR / "web"

router = APIRouter()


@router.get("/", include_in_schema=False)
def index() -> Response:
    page = WEB_DIR / "index.html"
    if not page.is_file():
        return PlainTextResponse(f"the web page is not installed ({page} is missing)\n", status_code=503)
    return FileResponse(page, media_type="text/html")


@router.get("/healthz", summary="Liveness and what is loaded")
def healthz(service: ServiceDep) -> dict[str, Any]:
    manifest = service.searcher.index.manifest
    return {
        "status": "ok",
        "triples": len(service.graph),
        "documents": len(service.documents),
        "passages": manifest.passages,
        "model": manifest.model_id,
        "model_ready": service.model_ready,
    }


def mount_static(app: FastAPI) -> None:
    """The page's scripts and styles (files only: no listing, nothing outside WEB_DIR)."""
    app.mount("/static", StaticFiles(directory=WEB_DIR, check_dir=False), name="static")

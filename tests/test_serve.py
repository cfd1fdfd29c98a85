"""`klimatgraf serve`: the real console script over HTTP, plus TestClient checks of each route."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import serve_fixtures

served = serve_fixtures.served  # session fixtures shared with the other serve tests
served_build = serve_fixtures.served_build


def get(url: str, accept: str | None = None) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET; HTTP errors are answers too."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def get_json(url: str) -> tuple[int, Any]:
    status, _, body = get(url)
    return status, json.loads(body)


def test_healthz_of_the_real_server(served: str, served_build: Path) -> None:
    status, health = get_json(f"{served}/healthz")
    assert status == 200 and health["status"] == "ok"
    manifest = json.loads((served_build / "build.json").read_text(encoding="utf-8"))
    assert health["documents"] == manifest["documents"] == 5
    assert health["triples"] == manifest["triples"]
    assert health["model"] == json.loads((served_build / "index" / "manifest.json").read_text())["model_id"]

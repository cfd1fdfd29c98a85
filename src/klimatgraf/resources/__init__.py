"""The project's own resources, read with importlib.resources wherever the package is installed.

`queries/`, `shapes/`, `ontology/` and `data/reference/` are the sources of truth at the top of
the checkout (the design card names them there). This package links to them, and the wheel
carries copies of their files, so an installed klimatgraf finds them without a checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """A file or folder among the resources, as a filesystem path (the package is never zipped)."""
    return Path(str(files(__name__).joinpath(*parts)))

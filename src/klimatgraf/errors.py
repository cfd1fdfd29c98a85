"""Every error a user can cause, each carrying a one-line message that says what to do next.

The CLI turns any ``KlimatgrafError`` into that line on stderr and exit code 2; the library
never prints and never exits. The server answers it with the class's ``http_status`` and the
same line (a fault of the request is 4xx, a fault of the build or the server's store is 5xx).
"""

from __future__ import annotations


class KlimatgrafError(Exception):
    """Base class: ``str(err)`` is the user-facing one-line message."""

    exit_code = 2
    http_status: int = 400  # the server's answer to it (serve/app.py)

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class InputError(KlimatgrafError):
    """A document or argument that cannot be used as given."""

    http_status = 400


class DetectionError(InputError):
    """The municipality or document type could not be detected from the text."""


class BuildMissingError(KlimatgrafError):
    """No (complete) build exists where one is needed."""

    http_status = 500


class BuildCorruptError(KlimatgrafError):
    """A build artefact exists but cannot be read."""

    http_status = 500


class QueryError(KlimatgrafError):
    """A malformed SPARQL query or an unknown named query."""

    http_status = 400


class LockError(KlimatgrafError):
    """Another build holds the lock."""

    http_status = 503


class StoreError(KlimatgrafError):
    """A shared triple store that cannot be reached, refuses the credentials or fails a request."""

    http_status = 502

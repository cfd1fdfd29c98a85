"""Every error a user can cause, each carrying a one-line message that says what to do next.

The CLI turns any ``KlimatgrafError`` into that line on stderr and exit code 2; the library
never prints and never exits.
"""

from __future__ import annotations


class KlimatgrafError(Exception):
    """Base class: ``str(err)`` is the user-facing one-line message."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class InputError(KlimatgrafError):
    """A document or argument that cannot be used as given."""


class DetectionError(InputError):
    """The municipality or document type could not be detected from the text."""


class BuildMissingError(KlimatgrafError):
    """No (complete) build exists where one is needed."""


class BuildCorruptError(KlimatgrafError):
    """A build artefact exists but cannot be read."""


class QueryError(KlimatgrafError):
    """A malformed SPARQL query or an unknown named query."""


class LockError(KlimatgrafError):
    """Another build holds the lock."""


class StoreError(KlimatgrafError):
    """A shared triple store that cannot be reached, refuses the credentials or fails a request."""

"""The server's logging: rdflib at ERROR, control characters escaped in every log line, and the
same message (its template) logged at most once a second, whichever logger wrote it: a client can
make asyncio, uvicorn and the server's own loggers write ("socket.accept() out of system
resource" once per failed accept; issue 24: a hung-up client once logged a traceback each), so
every logger is rate-limited, at the one handler."""

from __future__ import annotations

import logging
import re
import time

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """Control characters (newline, ESC, …) as visible escapes, so one record is one line."""
    return _CONTROL.sub(lambda m: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(m.group(), f"\\x{ord(m.group()):02x}")
                        if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)  # fmt: skip


class EscapingFormatter(logging.Formatter):
    """A formatter whose output (message, arguments and traceback alike) is one line of visible text."""

    def format(self, record: logging.LogRecord) -> str:
        return escape_controls(super().format(record))


class OncePerSecond(logging.Filter):
    """Lets through a given message (its template) at most once per `interval` seconds."""

    def __init__(self, interval: float = 1.0) -> None:
        super().__init__()
        self.interval = interval
        self._last: dict[str, float] = {}
        self.suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        key = str(record.msg)
        if now - self._last.get(key, -self.interval) < self.interval:
            self.suppressed += 1
            return False
        self._last[key] = now
        return True


RATE_LIMITED_LOGGERS = ("asyncio", "uvicorn.error")


def configure_logging(level: int = logging.WARNING) -> logging.Handler:
    """One stderr handler for everything the server logs: escaped, rdflib quiet, repeats dropped."""
    handler = logging.StreamHandler()
    handler.setFormatter(EscapingFormatter("klimatgraf serve: %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("rdflib").setLevel(logging.ERROR)  # a warning with a traceback per bad literal
    for name in RATE_LIMITED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, OncePerSecond) for f in logger.filters):
            logger.addFilter(OncePerSecond())
    handler.addFilter(OncePerSecond())  # every logger a client can reach: one line a second per message
    return handler

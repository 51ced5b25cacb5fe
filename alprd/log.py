"""structlog set-up: JSON under systemd (or when asked), readable on a TTY."""

from __future__ import annotations

import logging
import os
import sys
from typing import Literal

import structlog

from alprd.redact import mask_log_secrets


def configure_logging(fmt: Literal["auto", "json", "console"] = "auto", level: int = logging.INFO) -> None:
    """Configure structlog once, from the composition root or the CLI."""
    use_json = fmt == "json" or (fmt == "auto" and (os.environ.get("JOURNAL_STREAM") or not sys.stderr.isatty()))
    renderer = structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_log_secrets,  # last before rendering: tracebacks are text by now
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    """A logger on whatever sys.stderr is now (pytest swaps and closes it between tests)."""
    return structlog.PrintLogger(file=sys.stderr)


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)

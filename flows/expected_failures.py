"""Expected failures (a dead link, an encrypted PDF, a page that hangs the parser) are one line in
the logs, not a traceback: tracebacks are for bugs.

Prefect logs every failed task with `exc_info`; the filter below drops the traceback when the
exception is one of ours, whose message already says what went wrong. It sits on Prefect's
task-run logger, so both `teian run` and runs served by `teian serve` (and the UI) get the line.
"""

from __future__ import annotations

import logging

from flows.extract import ExtractError
from flows.fetch import FetchError
from flows.lock import DataDirBusy, DataDirUnwritable
from flows.store import OutsideDataDir

# OSError: a disk that is full or read-only under a run is expected; its message names the file.
EXPECTED: tuple[type[BaseException], ...] = (
    FetchError,
    ExtractError,
    DataDirBusy,
    DataDirUnwritable,
    OutsideDataDir,
    OSError,
)
LOGGERS = ("prefect.task_runs", "prefect.flow_runs")


class DropExpectedTracebacks(logging.Filter):
    """Keep the record, lose the traceback, when the exception is an expected failure."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, EXPECTED):
            record.exc_info = None
            record.exc_text = None
        return True


_FILTER = DropExpectedTracebacks()


def install() -> None:
    """Idempotent: logging.Logger.addFilter ignores a filter that is already there."""
    for name in LOGGERS:
        logging.getLogger(name).addFilter(_FILTER)

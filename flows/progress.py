"""Progress of long documents, reported to whoever is watching.

The flow calls `report(source_id, stage, done, total)`. On a terminal the CLI installs a
progress bar; anywhere else (cron, a pipe, `teian serve`, the Prefect UI's logs) progress is a
line per source every few seconds — pages done of the total and an estimate of the time left —
so a long unattended run shows it is moving.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Reporter = Callable[[str, str, int, int], None]
# A progress line per source at most this often (seconds).
LINE_INTERVAL = 5.0

_reporter: Reporter | None = None


def set_reporter(reporter: Reporter | None) -> None:
    global _reporter
    _reporter = reporter


def report(source_id: str, stage: str, done: int, total: int) -> None:
    """`stage` is fetch, extract, normalize, parse or publish; for extract, `total` announces a
    document's page count (with `done` 0) and `done` adds the pages of a finished batch."""
    reporter = _reporter or _default
    reporter(source_id, stage, done, total)


@dataclass
class _Document:
    total: int
    started: float
    done: int = 0
    last_line: float = 0.0


class ProgressLines:
    """A line per document every LINE_INTERVAL seconds while its pages are extracted."""

    def __init__(self, emit: Callable[[str], None], interval: float = LINE_INTERVAL) -> None:
        self.emit, self.interval = emit, interval
        self.documents: dict[str, _Document] = {}
        self._lock = threading.Lock()

    def __call__(self, source_id: str, stage: str, done: int, total: int) -> None:
        if stage != "extract":
            return
        now = time.monotonic()
        with self._lock:
            if total:
                self.documents[source_id] = _Document(total, now, last_line=now)
                return
            document = self.documents.get(source_id)
            if document is None:
                return
            document.done += done
            finished = document.done >= document.total
            if not finished and now - document.last_line < self.interval:
                return
            document.last_line = now
            line = _line(source_id, document, now)
        self.emit(line)


def _line(source_id: str, document: _Document, now: float) -> str:
    elapsed = now - document.started
    done, total = min(document.done, document.total), document.total
    if done >= total:
        return f"{source_id}: extracted {total} pages in {elapsed:.0f} s"
    left = elapsed / done * (total - done) if done else None
    estimate = f", about {left:.0f} s left" if left is not None else ""
    return f"{source_id}: {done}/{total} pages extracted ({done / total:.0%}){estimate}"


def _log_line(line: str) -> None:
    """In a flow run, the run's log (the Prefect UI shows it); outside one, nowhere."""
    try:
        from prefect import get_run_logger

        get_run_logger().info(line)
    except Exception:  # noqa: BLE001 - no run context: nobody is watching
        pass


_default = ProgressLines(_log_line)

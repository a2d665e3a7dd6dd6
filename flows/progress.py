"""Progress of long documents, reported to whoever is watching (the CLI's progress bar, or logs).

The flow calls `report(...)`; the CLI installs a reporter that drives a rich progress display.
Under a deployment nobody installs one and progress only goes to the Prefect logs.
"""

from __future__ import annotations

from collections.abc import Callable

Reporter = Callable[[str, str, int, int], None]
_reporter: Reporter | None = None


def set_reporter(reporter: Reporter | None) -> None:
    global _reporter
    _reporter = reporter


def report(source_id: str, stage: str, done: int, total: int) -> None:
    """`stage` is "fetch", "extract" or "publish"; `done`/`total` count pages for extract."""
    if _reporter is not None:
        _reporter(source_id, stage, done, total)

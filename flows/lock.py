"""One run at a time per data dir: an exclusive lock file, released even when the process dies.

`fcntl.flock` is tied to the open file, so a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class DataDirBusy(Exception):
    """Another run holds the data dir."""


@contextlib.contextmanager
def data_dir_lock(root: Path, wait: bool = False) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    path = root / ".teian.lock"
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise DataDirBusy(
                f"another teian run (pid {holder}) is working on {root}; try again when it ends"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()

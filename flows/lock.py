"""One run at a time per data dir: an exclusive lock file, released even when the process dies.

`fcntl.flock` is tied to the open file, so a killed run never leaves a stale lock behind. The lock
is re-entrant within a process: the CLI takes it before starting a Prefect server (so a second
run fails fast, with one line), and the flow it then runs takes it again without deadlocking on
itself. Once the lock is held no other run is alive, so the temp files a killed run left behind
can be swept safely.

For a data dir given as an fsspec URL the lock file lives in its local cache (flows.store), so it
only excludes runs on the same machine: object stores offer no lock that dies with its holder,
and runs on several machines against one URL must be kept apart by whoever schedules them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".teian.lock"
WORK_DIR = "work"  # per-run files only: extraction batches, staged datasets
# Temp files of interrupted writes: raw downloads (flows.fetch), atomic replaces and copies
# from a remote data dir into its cache (flows.store).
STALE_PATTERNS = (
    (Path("raw"), "*/.fetch.*.part"),
    (Path("raw"), "*/.*.tmp"),
    (Path("processed"), "*/.*.tmp"),
    (Path("state"), ".*.tmp"),
)

_held: dict[Path, int] = {}
_held_guard = threading.Lock()


class DataDirBusy(Exception):
    """Another run holds the data dir."""


def sweep_stale_temp_files(root: Path) -> list[Path]:
    """Remove temp files of writes that never finished, and everything a run left in work/
    (batch files, staged datasets): only safe while holding the lock."""
    removed = []
    for folder, pattern in STALE_PATTERNS:
        for path in (root / folder).glob(pattern):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    work = root / WORK_DIR
    if work.is_dir():
        for path in work.iterdir():
            removed.append(path)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    return removed


@contextlib.contextmanager
def data_dir_lock(root: Path, wait: bool = False) -> Iterator[None]:
    """Hold the data dir for this process; raises DataDirBusy when another process holds it."""
    root = Path(root).resolve()
    with _held_guard:
        if root in _held:
            _held[root] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[root] -= 1
        return
    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / LOCK_NAME, "a+")
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
        with _held_guard:
            _held[root] = 1
        try:
            sweep_stale_temp_files(root)
            yield
        finally:
            with _held_guard:
                _held.pop(root, None)
    finally:
        handle.close()

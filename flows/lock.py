"""One run at a time per data dir: an exclusive lock file, released even when the process dies.

`fcntl.flock` is tied to the open file, so a killed run never leaves a stale lock behind. The lock
is re-entrant within a process: the CLI takes it before starting a Prefect server (so a second
run fails fast, with one line), and the flow it then runs takes it again without deadlocking on
itself. Once the lock is held no other run is alive, so the temp files a killed run left behind
can be swept safely.

The lock is taken on the folder the data dir really is, every symbolic link resolved, so the
same folder named two ways (a path and a `file://` URL, or through a link) is one lock. For any
other fsspec URL the lock file lives in its local cache (flows.store), so it only excludes runs on
the same machine: object stores offer no lock that dies with its holder, and runs on several
machines against one URL must be kept apart by whoever schedules them.

The sweep never follows a symbolic link: a link planted in the data dir must not make it delete
files elsewhere.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from flows.store import DataDir

LOCK_NAME = ".teian.lock"
WORK_DIR = "work"  # per-run files only: extraction batches, staged datasets
# Temp files of interrupted writes: raw downloads (flows.fetch), atomic replaces and copies
# from a remote data dir into its cache (flows.store).
# (folder, pattern of its sub-folders or None for the folder itself, pattern of the files).
STALE_PATTERNS = (
    ("raw", "*", ".fetch.*.part"),
    ("raw", "*", ".*.tmp"),
    ("processed", "*", ".*.tmp"),
    ("state", None, ".*.tmp"),
)

_held: dict[Path, int] = {}
_held_guard = threading.Lock()


class DataDirBusy(Exception):
    """Another run holds the data dir."""


class DataDirUnwritable(Exception):
    """The data dir cannot be created or written (read-only, permissions): a usage error."""


def _real_folders(folder: Path, pattern: str | None) -> list[Path]:
    """`folder` itself or its sub-folders matching `pattern`, leaving out symbolic links."""
    if folder.is_symlink() or not folder.is_dir():
        return []
    if pattern is None:
        return [folder]
    return [p for p in folder.glob(pattern) if p.is_dir() and not p.is_symlink()]


def sweep_stale_temp_files(root: Path) -> list[Path]:
    """Remove temp files of writes that never finished, and everything a run left in work/
    (batch files, staged datasets): only safe while holding the lock. What cannot be removed
    (a read-only folder) is left for a later run."""
    removed = []
    for folder, sub, name in STALE_PATTERNS:
        for place in _real_folders(root / folder, sub):
            for path in place.glob(name):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    work = root / WORK_DIR
    if work.is_symlink():
        with contextlib.suppress(OSError):
            work.unlink()  # work/ is ours: a link there is removed, never followed
    elif work.is_dir():
        for path in work.iterdir():
            removed.append(path)
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
    return removed


def lock_folder(data: DataDir | Path) -> Path:
    """The folder whose lock file keeps runs apart: the data dir itself, links resolved; for a
    `file://` URL the folder it names (the same lock as the same folder given as a path); for
    any other URL its local cache."""
    if isinstance(data, DataDir) and data.url is not None:
        parsed = urlparse(data.url)
        if parsed.scheme.lower() == "file":
            return Path(os.path.realpath(unquote(parsed.path)))
        return Path(os.path.realpath(data.root))
    root = data.root if isinstance(data, DataDir) else Path(data)
    return Path(os.path.realpath(root))


@contextlib.contextmanager
def data_dir_lock(data: DataDir | Path, wait: bool = False) -> Iterator[None]:
    """Hold the data dir for this process; raises DataDirBusy when another process holds it,
    DataDirUnwritable when the lock file cannot be created there."""
    root = lock_folder(data)
    sweep_roots = [root]
    if isinstance(data, DataDir) and data.is_remote:
        sweep_roots.append(Path(os.path.realpath(data.root)))  # the cache: work/, downloads
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
    handle = _open_lock_file(root)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise DataDirBusy(
                f"another teian run (pid {holder}) is working on {root}; try again when it ends"
            ) from None
        _write_holder(handle)
        with _held_guard:
            _held[root] = 1
        try:
            for folder in dict.fromkeys(sweep_roots):
                sweep_stale_temp_files(folder)
            yield
        finally:
            with _held_guard:
                _held.pop(root, None)
    finally:
        handle.close()


def _open_lock_file(root: Path):  # noqa: ANN202 - a text file object
    try:
        root.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: a link planted as the lock file must not make the run write elsewhere
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        return os.fdopen(fd, "r+")
    except OSError as exc:
        why = exc.strerror or exc.__class__.__name__
        raise DataDirUnwritable(
            f"data dir {root} cannot be written ({why}): choose another --data-dir"
        ) from None


def _write_holder(handle) -> None:  # noqa: ANN001 - the lock file
    """The holder's pid, for the message a second run prints; a full disk only loses the pid."""
    with contextlib.suppress(OSError):
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()

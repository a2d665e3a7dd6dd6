"""Real file-system conditions for tests: a small disk that fills up, a read-only folder, and the
checks every hostile case ends with (no stray file, nothing outside the data dir).

A full disk is a small tmpfs mounted for the test, which needs root (as the tests run here and
in CI); elsewhere those tests skip with the reason. A read-only folder is a read-only bind mount
as root (root ignores permission bits), or the permission bits otherwise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

# Temp and work files a run may leave when it is killed; none may survive the next run.
STRAY_PATTERNS = ("**/.fetch.*.part", "**/.*.tmp", "processed/*/*~*.parquet")


def is_root() -> bool:
    return os.geteuid() == 0


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


def _umount(path: Path) -> None:
    for _attempt in range(20):  # a process that just closed a file may still hold the mount
        if subprocess.run(["umount", str(path)], capture_output=True).returncode == 0:
            return
        subprocess.run(["sleep", "0.2"], check=False)
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


@contextlib.contextmanager
def small_disk(path: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of `size_kb` KB at `path`, so writes there really fail with ENOSPC."""
    if not is_root() or shutil.which("mount") is None:
        pytest.skip("a full disk is a small tmpfs, and mounting one needs root")
    path.mkdir(parents=True, exist_ok=True)
    try:
        _mount("-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path))
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc.stderr.strip()}")
    try:
        yield path
    finally:
        _umount(path)


def fill_disk(folder: Path) -> Path:
    """Write a filler file until the disk is full; returns it (remove it to free the space)."""
    filler = folder / "filler.bin"
    with open(filler, "wb") as handle:
        with contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
    with contextlib.suppress(OSError):  # the last partial block
        with open(filler, "ab") as handle:
            while True:
                handle.write(b"\0" * 512)
                handle.flush()
    return filler


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """`path` (a folder) read-only for the length of the block."""
    path.mkdir(parents=True, exist_ok=True)
    if is_root() and shutil.which("mount") is not None:
        try:
            _mount("--bind", str(path), str(path))
            _mount("-o", "remount,bind,ro", str(path))
        except subprocess.CalledProcessError as exc:
            _umount(path)
            pytest.skip(f"cannot mount a read-only folder here: {exc.stderr.strip()}")
        try:
            yield path
        finally:
            _umount(path)
        return
    mode = path.stat().st_mode
    path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        yield path
    finally:
        path.chmod(mode)


def strays(data_dir: Path) -> list[Path]:
    """Temp files, version files and work files left in a data dir."""
    found = [p for pattern in STRAY_PATTERNS for p in data_dir.glob(pattern)]
    work = data_dir / "work"
    if work.is_dir():
        found += [p for p in work.rglob("*") if p.is_file()]
    return sorted(set(found))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under a folder and its bytes, to show nothing was written there."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }

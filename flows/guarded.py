"""Call a function that parses an untrusted PDF in a child interpreter, under a time and memory cap.

A PDF can make a parser loop, or inflate a few megabytes into gigabytes (a cross-reference stream
that decompresses to 4 GB, a page whose drawing needs millions of objects). Whatever parses one —
counting its pages, rendering a page image — must fail alone, not take down the process that
runs every other source: so it runs in `python -m flows.guarded`, which caps its own address
space (RLIMIT_AS) before importing anything that parses, and the parent kills it when its time
is spent. Arguments go in and the result comes back as JSON, so only plain values cross.

The extraction worker (`python -m flows.extract`) is the same idea with its own protocol, for
batches of pages; both share `child_env` and `set_memory_limit` from here.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Exit codes of a guarded child: 3 the function raised (reason on stderr), 4 out of memory.
FAILED, OUT_OF_MEMORY = 3, 4


class GuardedFailure(Exception):
    """A guarded call that did not return: `kind` is error, memory, time or signal; the message
    is one line."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


def child_env() -> dict[str, str]:
    """The environment of a child interpreter: this project importable, wherever it runs from,
    and the pid of the process that starts it (see `die_with_parent`)."""
    paths = [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]
    return {
        # a numeric library's thread pool reserves address space per core: one thread, so the
        # cap is spent on the PDF
        "OPENBLAS_NUM_THREADS": "1",
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, paths)),
        PARENT_PID: str(os.getpid()),
    }


PARENT_PID = "TEIAN_GUARDED_PARENT"


def die_with_parent() -> None:
    """Have the kernel kill this child when the run that started it dies, even by SIGKILL:
    a killed run must not leave workers behind that go on writing batch files into the work
    dir of the next run. Linux only (prctl); elsewhere a worker ends at its time limit."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    expected = os.environ.get(PARENT_PID)
    if expected and os.getppid() != int(expected):  # the parent died before prctl took effect
        os._exit(1)


def set_memory_limit(limit_bytes: int) -> None:
    """Cap this process's address space; never above a cap it already runs under (a container,
    `ulimit -v`), which it may not raise."""
    if limit_bytes <= 0:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit_bytes = min(limit_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, hard))


def hit_memory_limit(limit_bytes: int) -> bool:
    """Whether this process ran into its address-space cap.

    Under RLIMIT_AS an allocation can fail anywhere, and C extensions report it in their own ways
    (a SystemError "returned NULL", a parser error on a half-built object), not always as
    MemoryError. The kernel's record of the peak address space says what really happened.
    """
    if limit_bytes <= 0:
        return False
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024 >= limit_bytes - 64 * 1024 * 1024
    except (OSError, ValueError, IndexError):
        pass
    return False


def call_guarded(target: str, args: list[Any], time_seconds: float, memory_mb: int) -> Any:
    """`module:function(*args)` in a guarded child; its JSON result, or GuardedFailure."""
    if time_seconds <= 0:
        raise GuardedFailure("time", "not started: no time left")
    command = [sys.executable, "-m", "flows.guarded", target, str(memory_mb)]
    try:
        completed = subprocess.run(
            command,
            input=json.dumps(args),
            capture_output=True,
            text=True,
            timeout=time_seconds,
            env=child_env(),
        )
    except subprocess.TimeoutExpired:
        raise GuardedFailure("time", f"gave up after {time_seconds:g}s") from None
    if completed.returncode == 0:
        lines = completed.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else None
    raise GuardedFailure(*_failure_of(completed, memory_mb))


def _failure_of(completed: subprocess.CompletedProcess, memory_mb: int) -> tuple[str, str]:
    code = completed.returncode
    lines = [line for line in completed.stderr.strip().splitlines() if line.strip()]
    if code == OUT_OF_MEMORY or (code != FAILED and "MemoryError" in completed.stderr):
        return "memory", f"memory limit of {memory_mb} MB exceeded"
    if code == -signal.SIGABRT and memory_mb > 0:
        # native code (pdfium) aborts when an allocation fails under the address-space cap
        return "memory", (
            f"aborted (signal {signal.SIGABRT.value}), most likely the memory limit of "
            f"{memory_mb} MB exceeded"
        )
    if code < 0:
        return "signal", f"killed by signal {-code} (out of memory, or stopped from outside)"
    return "error", lines[-1] if lines else f"exited with code {code}"


def _child_main(argv: list[str]) -> int:
    die_with_parent()
    target, memory_mb = argv
    limit = int(memory_mb) * 1024 * 1024
    set_memory_limit(limit)
    module_name, function_name = target.split(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
        result = function(*json.loads(sys.stdin.read()))
    except MemoryError:
        return OUT_OF_MEMORY
    except Exception as exc:  # noqa: BLE001 - the parent gets one line, never a traceback
        if hit_memory_limit(limit):
            return OUT_OF_MEMORY
        text = " ".join(str(exc).split()) or exc.__class__.__name__
        print(text[:400], file=sys.stderr)
        return FAILED
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))

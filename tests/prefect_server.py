"""Helpers for tests against a real Prefect server: start one, wait for it, read artifacts.

The server runs as `prefect server start` in its own process group on a free loopback port with
a throw-away PREFECT_HOME (SQLite), exactly as a user would run it, so the test sees what the
user sees: a deployment, its schedule, runs triggered from the API.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(prefect_home: Path) -> dict[str, str]:
    """Environment of a child that must not see the test session's Prefect settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


def start_process(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start `command` in its own process group, so stopping it also stops what it spawned."""
    handle = open(log, "wb")
    try:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        handle.close()


def stop_process(process: subprocess.Popen, grace: float = 20.0) -> None:
    """Interrupt the process group (Prefect shuts down cleanly on SIGINT), kill it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)
    except ProcessLookupError:
        pass


def wait_for(
    probe: Callable[[], T | None],
    deadline: float,
    what: str,
    alive: subprocess.Popen | None = None,
    interval: float = 0.5,
) -> T:
    """Poll `probe` until it returns something; fail (not skip) with `what` when time runs out."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if alive is not None and alive.poll() is not None:
            raise AssertionError(f"{what}: process exited with code {alive.returncode}")
        value = probe()
        if value is not None:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: still waiting after {deadline:g}s")


def start_prefect_server(
    prefect_home: Path, log: Path, deadline: float = 120.0
) -> tuple[subprocess.Popen, str]:
    """`prefect server start` on a free port; returns (process, API URL) once /api/health answers.

    Returns the process even when it never became healthy (the caller decides to skip), with an
    empty URL.
    """
    port = free_port()
    env = base_env(prefect_home)
    env.update(PREFECT_UI_ENABLED="false", PREFECT_SERVER_LOGGING_LEVEL="WARNING")
    process = start_process(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env,
        log,
    )
    api = f"http://127.0.0.1:{port}/api"

    def healthy() -> bool | None:
        try:
            return True if httpx.get(f"{api}/health", timeout=2).status_code == 200 else None
        except httpx.HTTPError:
            return None

    try:
        wait_for(healthy, deadline, "prefect server start", alive=process)
    except AssertionError:
        stop_process(process)
        return process, ""
    return process, api

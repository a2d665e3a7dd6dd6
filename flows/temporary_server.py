"""The Prefect API a `teian run` needs when no server is configured: started early, kept small.

Prefect starts a temporary server itself when it has no API URL, but only when the first flow
run is created — after the catalog is read, after `import prefect` (seconds) — and on a fresh
database it migrates first. Here the same server (Prefect's own ASGI app under uvicorn, as
Prefect launches it) is started in a child process as soon as `teian run` knows it may need it,
so its start-up overlaps Prefect's import; its SQLite database is kept in the teian cache, so
only the first run pays for the migrations and the user's `~/.prefect` is never touched. A configured server (PREFECT_API_URL, or the active profile) is
always used instead.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

STARTUP_TIMEOUT_SECONDS = 120.0


def startup_timeout() -> float:
    """Seconds to wait for the server: Prefect's own setting when the user set it, else ours
    (longer than Prefect's 20 s default: a first run creates the database on a slow disk)."""
    value = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "")
    try:
        return float(value) if value.strip() else STARTUP_TIMEOUT_SECONDS
    except ValueError:
        return STARTUP_TIMEOUT_SECONDS


def configured_api_url() -> str | None:
    """The API URL Prefect would use, from the environment or the active profile, read without
    importing Prefect (which costs seconds)."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH", home / "profiles.toml")).expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    profile = (profiles.get("profiles") or {}).get(active) or {}
    url = profile.get("PREFECT_API_URL")
    return str(url) if url else None


def temporary_server_home() -> Path:
    """Where a temporary Prefect server keeps its database: teian's own cache
    (TEIAN_CACHE_DIR, default ~/.cache/teian), never the user's ~/.prefect, which belongs to the
    Prefect server and profiles they run themselves. It is kept between runs: a new database
    is migrated at its first start, which takes longer than the run it serves."""
    base = os.environ.get("TEIAN_CACHE_DIR") or Path.home() / ".cache" / "teian"
    return Path(base).expanduser().resolve() / "prefect-server"


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryServer:
    """A Prefect API server in a child process for the length of one run."""

    def __init__(self) -> None:
        self.home = temporary_server_home()
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        """Launch the server; returns at once (see `wait_ready`)."""
        spec = importlib.util.find_spec("prefect")
        if spec is None or spec.origin is None:
            raise RuntimeError("prefect is not installed")
        self.home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PREFECT_HOME": str(self.home),
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{self.home / 'prefect.db'}",
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        env.pop("PREFECT_API_URL", None)
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(Path(spec.origin).parent.parent),
            "--factory",
            "prefect.server.api.server:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "error",
            "--lifespan",
            "on",
        ]
        log = open(self.home / "server.log", "ab")  # noqa: SIM115 - the child keeps it open
        self.process = subprocess.Popen(
            command, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )
        log.close()

    def wait_ready(self, timeout: float | None = None) -> str:
        """Wait until the server answers its health check; returns its API URL."""
        import httpx

        timeout = startup_timeout() if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(
                    f"the temporary Prefect server exited (see {self.home / 'server.log'})"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return self.api_url
            time.sleep(0.05)
        raise RuntimeError(f"the temporary Prefect server did not start within {timeout:g}s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

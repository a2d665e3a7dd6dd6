"""Shared fixtures: sample PDFs, a real local HTTP server, and one Prefect test harness per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from tests.fixtures.make_samples import ONE_EDITION, only_sources  # noqa: E402
from tests.httpserver import FixtureServer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API (SQLite) shared by every flow test in the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture()
def http_server():
    server = FixtureServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sample_pdf_bytes() -> dict[str, bytes]:
    return {
        "teian": (SAMPLES / "teian-sample.pdf").read_bytes(),
        "budget": (SAMPLES / "budget-sample.pdf").read_bytes(),
    }


@pytest.fixture()
def sample_catalog(tmp_path: Path) -> Path:
    """A copy of the bundled sample (its sources of `ONE_EDITION`) in a temp folder, free to
    modify."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    catalog = folder / "catalog.toml"
    catalog.write_text(
        only_sources(catalog.read_text(encoding="utf-8"), ONE_EDITION), encoding="utf-8"
    )
    return catalog


@pytest.fixture()
def bundled_catalog(tmp_path: Path) -> Path:
    """A copy of the whole bundled sample catalog (every edition), as `make run` reads it."""
    folder = tmp_path / "bundled"
    shutil.copytree(SAMPLES, folder)
    return folder / "catalog.toml"

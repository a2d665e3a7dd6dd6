"""The `teian` CLI through its entry point, as a user runs it: exit codes and messages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parent.parent


def teian(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "COLUMNS": "200",
    }
    env.pop("PREFECT_API_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "flows", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_catalog_errors_exit_2_with_one_line_each(tmp_path: Path) -> None:
    catalog = tmp_path / "bad.toml"
    catalog.write_text(
        '[[source]]\nid="a"\ntitle="t"\nurl="ftp://x/y.pdf"\nwho="me"\n', encoding="utf-8"
    )
    result = teian("run", "--catalog", str(catalog), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert teian("run", "--catalog", str(tmp_path / "missing.toml")).returncode == 2
    assert teian("run", "--bogus-flag").returncode == 2


def test_unknown_only_is_a_usage_error(sample_catalog: Path, tmp_path: Path) -> None:
    result = teian(
        "run", "--catalog", str(sample_catalog), "--only", "nope", "--data-dir", str(tmp_path)
    )
    assert result.returncode == 2
    assert "nope" in result.stderr


def test_run_exit_codes_and_sources(sample_catalog: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ok = teian("run", "--catalog", str(sample_catalog), "--data-dir", str(data_dir))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "sample-budget-r8" in ok.stdout and "published" in ok.stdout
    assert "teian query" in ok.stdout
    counted = teian(
        "query",
        "SELECT count(*) AS n FROM requests WHERE list_contains(tags, 'cyber')",
        "--data-dir",
        str(data_dir),
    )
    assert counted.returncode == 0, counted.stderr
    cells = [
        c.strip() for line in counted.stdout.splitlines() for c in line.replace("┃", "│").split("│")
    ]
    assert "n" in cells and "1" in cells  # the header and the one cyber item of the sample
    assert teian("query", "SELECT nope FROM cells", "--data-dir", str(data_dir)).returncode == 2

    moved = '<html><head><meta charset="shift_jis"><title>ページが移動しました</title>'
    (sample_catalog.parent / "budget-sample.pdf").write_bytes(moved.encode("cp932"))
    failed = teian("run", "--catalog", str(sample_catalog), "--data-dir", str(data_dir))
    assert failed.returncode == 1
    assert "sample-budget-r8: fetch:" in failed.stderr
    assert "Traceback" not in failed.stderr
    # the page is named as a reader sees it, in its own encoding, not as mojibake
    assert "returned an HTML page (title 'ページが移動しました')" in failed.stderr
    # the last good data is still published
    assert (data_dir / "processed" / "cells" / "sample-budget-r8.parquet").exists()

    listing = teian("sources", "--catalog", str(sample_catalog), "--data-dir", str(data_dir))
    assert listing.returncode == 0
    assert "sample-teian-r7" in listing.stdout and "sample-budget-r8" in listing.stdout


def test_a_run_with_nothing_changed_runs_no_flow_and_fetches_once(
    sample_catalog: Path, tmp_path: Path
) -> None:
    """A second run over unchanged PDFs answers from the fetches alone: no temporary Prefect
    API is started (its database folder is never created), every source is unchanged, and each
    source was fetched once per run — the fetch made before deciding is the one the flow uses."""
    data_dir = tmp_path / "data"
    cache = tmp_path / "cache"
    env = {"TEIAN_CACHE_DIR": str(cache)}
    first = teian_env(env, "run", "--catalog", str(sample_catalog), "--data-dir", str(data_dir))
    assert first.returncode == 0, first.stderr
    assert (cache / "prefect-server").is_dir()  # the first run needed a flow
    shutil.rmtree(cache)
    again = teian_env(env, "run", "--catalog", str(sample_catalog), "--data-dir", str(data_dir))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("unchanged") == 2
    assert not cache.exists()  # no Prefect server was started
    for source in ("sample-teian-r7", "sample-budget-r8"):
        log = (data_dir / "raw" / source / "fetch-log.jsonl").read_text().splitlines()
        assert len(log) == 2, log  # one fetch per run


def test_progress_is_a_line_per_document_when_stderr_is_not_a_terminal(
    sample_catalog: Path, tmp_path: Path
) -> None:
    done = teian("run", "--catalog", str(sample_catalog), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 0, done.stderr
    assert "sample-budget-r8: extracted 3 pages in" in done.stderr
    assert "sample-teian-r7: extracted 4 pages in" in done.stderr


def teian_env(extra: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **extra}
    env.pop("PREFECT_API_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "flows", *args], capture_output=True, text=True, cwd=ROOT, env=env
    )


def test_a_missing_file_is_reported_before_any_prefect_start_up(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text('[[source]]\nid = "gone"\ntitle = "t"\nurl = "missing.pdf"\n')
    cache = tmp_path / "cache"
    done = teian_env(
        {"TEIAN_CACHE_DIR": str(cache)},
        "run",
        "--catalog",
        str(catalog),
        "--data-dir",
        str(tmp_path / "d"),
    )
    assert done.returncode == 1
    assert done.stderr.count("gone: fetch: file not found") == 1  # one line, once
    assert not cache.exists()  # decided without a flow: no Prefect server started
    history = pq.read_table(tmp_path / "d" / "processed" / "documents" / "gone.parquet")
    assert history.column("status").to_pylist() == ["failed"]


def test_version_and_flags_shown_as_flags() -> None:
    version = teian("--version")
    assert version.returncode == 0 and version.stdout.startswith("teian ")
    assert "pipeline" in version.stdout
    shown = teian("run", "--help")
    assert shown.returncode == 0
    force = next(line for line in shown.stdout.splitlines() if "--force" in line)
    assert "<bool>" not in shown.stdout and force.split()[0] == "--force"
    assert "-v, --verbose" in shown.stdout
    valued = teian("run", "--force=yes", "--catalog", "nowhere.toml")
    assert valued.returncode == 2 and "does not take a value" in valued.stderr
    assert "Traceback" not in valued.stderr


def test_an_empty_or_missing_catalog_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("# no sources yet\n", encoding="utf-8")
    result = teian("run", "--catalog", str(empty), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"catalog: {empty} lists no sources (add a [[source]] entry: see the README, "
        "'Adding a source')"
    )
    assert not (tmp_path / "d").exists()
    missing = teian("run", cwd=tmp_path)  # no sources.toml here
    assert missing.returncode == 2
    assert (
        missing.stderr.strip() == "catalog: sources.toml not found (name one with --catalog PATH)"
    )
    listing = teian("sources", "--catalog", str(empty))
    assert listing.returncode == 2


def test_the_run_lock_is_not_in_git_status() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "data/.teian.lock"], cwd=ROOT, capture_output=True
    )
    assert ignored.returncode == 0

"""Crash safety and one run at a time.

A run killed with SIGKILL (no cleanup code runs) during a download or in the middle of publishing
leaves every published Parquet file either the old complete version or the new complete one, the
raw store untouched, and the next run finishes the job. A second run on a busy data dir exits
with one clear line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.lock import DataDirBusy, data_dir_lock
from flows.runner import run_refresh
from tests.httpserver import Route
from tests.prefect_server import ROOT, base_env, start_process, wait_for
from tests.test_cli import teian


def _snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _all_parquet_readable(processed: Path) -> dict[Path, set[str]]:
    """Every published file opens with pyarrow; returns the doc_ids each one holds."""
    found = {}
    for path in sorted(processed.rglob("*.parquet")):
        table = pq.read_table(path)
        found[path] = (
            set(table.column("doc_id").to_pylist()) if "doc_id" in table.column_names else set()
        )
    assert found, "nothing published"
    return found


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the run and everything it started (its temporary Prefect server, extraction workers)."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def _run_cli(catalog: Path, data_dir: Path, home: Path, log: Path, **env: str) -> subprocess.Popen:
    return start_process(
        [
            sys.executable,
            "-m",
            "flows",
            "run",
            "--catalog",
            str(catalog),
            "--data-dir",
            str(data_dir),
            "--workers",
            "2",
        ],
        {**base_env(home), **env},
        log,
    )


# ---------------------------------------------------------------- one run at a time


def test_a_second_run_on_a_busy_data_dir_exits_1_with_one_line(
    sample_catalog: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    with data_dir_lock(data_dir):
        result = teian("run", "--catalog", str(sample_catalog), "--data-dir", str(data_dir))
    assert result.returncode == 1
    message = f"another teian run (pid {os.getpid()}) is working on {data_dir.resolve()}; try again when it ends"
    assert message in result.stderr.splitlines()
    assert (
        "Traceback" not in result.stderr and "teian run" not in result.stdout
    )  # no summary: nothing ran
    assert not (data_dir / "processed").exists()  # nothing was done


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_refuses_a_busy_data_dir_and_a_killed_holder_frees_it(
    sample_catalog: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from flows.lock import data_dir_lock\n"
            f"with data_dir_lock(Path({str(data_dir)!r})):\n    print('held', flush=True); time.sleep(600)",
        ],
        cwd=ROOT,
        env=base_env(tmp_path / "home"),
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DataDirBusy, match=f"pid {holder.pid}"):
            run_refresh(catalog=str(sample_catalog), data_dir=str(data_dir), workers=2)
    finally:
        _kill_group(holder)
    # flock dies with its process: no stale lock after a SIGKILL
    with data_dir_lock(data_dir):
        pass
    state, result = run_refresh(catalog=str(sample_catalog), data_dir=str(data_dir), workers=2)
    assert result is not None and not state.is_failed()


# ---------------------------------------------------------------- SIGKILL during fetch


@pytest.mark.usefixtures("prefect_harness")
def test_sigkill_during_fetch(http_server, sample_pdf_bytes, tmp_path: Path) -> None:
    old, new = sample_pdf_bytes["budget"], sample_pdf_bytes["teian"]
    route = Route(body=old)
    url = http_server.add("/budget.pdf", route)
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        f'[[source]]\nid = "remote"\ntitle = "予算書"\nurl = "{url}"\n', encoding="utf-8"
    )
    data_dir = tmp_path / "data"
    raw = data_dir / "raw" / "remote"
    state, _ = run_refresh(catalog=str(catalog), data_dir=str(data_dir), workers=2)
    assert state.is_completed()
    published = _snapshot(data_dir / "processed")
    old_pdfs = {p: b for p, b in _snapshot(raw).items() if p.suffix == ".pdf"}
    old_doc_ids = set().union(*_all_parquet_readable(data_dir / "processed").values())

    # a new version starts downloading and the connection hangs half way: kill the run there
    route.body, route.stall_after = new, len(new) // 2
    hits = route.hits
    run = _run_cli(catalog, data_dir, tmp_path / "home", tmp_path / "killed.log")
    try:
        wait_for(
            lambda: (route.hits > hits and list(raw.glob(".fetch.*.part"))) or None,
            180,
            "download of the new version",
            alive=run,
        )
    finally:
        _kill_group(run)

    assert _snapshot(data_dir / "processed") == published  # byte for byte the old version
    assert set().union(*_all_parquet_readable(data_dir / "processed").values()) == old_doc_ids
    assert {p: b for p, b in _snapshot(raw).items() if p.suffix == ".pdf"} == old_pdfs
    assert list(raw.glob(".fetch.*.part")), "the kill should have interrupted the download"

    # the next run finishes the job, sweeps the partial download, keeps the old raw file
    route.stall_after = None
    state, result = run_refresh(catalog=str(catalog), data_dir=str(data_dir), workers=2)
    assert state.is_completed(), state.message
    assert result["sources"][0]["outcome"] in ("published", "partial")
    assert not list(raw.glob(".fetch.*"))
    pdfs = _snapshot(raw)
    assert all(pdfs[p] == b for p, b in old_pdfs.items())
    assert sorted(b for p, b in pdfs.items() if p.suffix == ".pdf") == sorted([old, new])
    new_doc_ids = set().union(
        *(
            ids
            for path, ids in _all_parquet_readable(data_dir / "processed").items()
            if "documents" not in path.parts
        )
    )
    assert len(new_doc_ids) == 1 and new_doc_ids.isdisjoint(old_doc_ids)
    history = pq.read_table(data_dir / "processed" / "documents" / "remote.parquet").to_pylist()
    assert [h["is_current"] for h in history] == [False, True]


# ---------------------------------------------------------------- SIGKILL during publish


@pytest.mark.usefixtures("prefect_harness")
def test_sigkill_during_publish(sample_catalog: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    processed = data_dir / "processed"
    state, _ = run_refresh(catalog=str(sample_catalog), data_dir=str(data_dir), workers=2)
    assert not state.is_failed()
    before = _snapshot(processed)
    raw_before = _snapshot(data_dir / "raw")
    old_ids = _all_parquet_readable(processed)
    [budget_old_id] = old_ids[processed / "cells" / "sample-budget-r8.parquet"]

    # a new version of the budget; the run is killed with the new cells file written in full but
    # not yet renamed over the published one (pages and tables are already replaced by then)
    budget = sample_catalog.parent / "budget-sample.pdf"
    budget.write_bytes((sample_catalog.parent / "teian-sample.pdf").read_bytes())
    run = _run_cli(
        sample_catalog,
        data_dir,
        tmp_path / "home",
        tmp_path / "killed.log",
        TEIAN_TEST_PAUSE_BEFORE_REPLACE="cells/sample-budget-r8.parquet",
    )
    try:
        wait_for(
            lambda: list((processed / "cells").glob(".sample-budget-r8.parquet.*.tmp")) or None,
            240,
            "publish of the new cells file",
            alive=run,
        )
    finally:
        _kill_group(run)

    after = _all_parquet_readable(processed)  # every file opens: none is half-written
    assert set(after) == set(old_ids)
    for path, ids in after.items():
        if path.read_bytes() == before[path]:
            continue  # the old complete version
        # otherwise the new complete version: one document, not the old one
        assert "sample-budget-r8" in path.name and len(ids) == 1 and budget_old_id not in ids, path
    assert processed / "cells" / "sample-budget-r8.parquet" not in {
        p for p in after if p.read_bytes() != before[p]
    }
    for source_file in ("documents/sample-budget-r8.parquet", "documents/sample-teian-r7.parquet"):
        assert (processed / source_file).read_bytes() == before[processed / source_file]
    raw_after = _snapshot(data_dir / "raw")
    assert all(raw_after[p] == b for p, b in raw_before.items() if p.suffix == ".pdf")

    # the next run sees the budget as not yet published and finishes the job
    state, result = run_refresh(catalog=str(sample_catalog), data_dir=str(data_dir), workers=2)
    assert not state.is_failed(), state.message
    outcome = {r["source_id"]: r["outcome"] for r in result["sources"]}
    assert outcome["sample-teian-r7"] == "unchanged" and outcome["sample-budget-r8"] in (
        "published",
        "partial",
    )
    final = _all_parquet_readable(processed)
    budget_ids = {
        i
        for p, ids in final.items()
        if p.stem == "sample-budget-r8" and "documents" not in p.parts
        for i in ids
    }
    assert len(budget_ids) == 1 and budget_old_id not in budget_ids
    assert not list(processed.rglob(".*.tmp"))
    history = pq.read_table(processed / "documents" / "sample-budget-r8.parquet").to_pylist()
    assert [h["is_current"] for h in history] == [False, True]

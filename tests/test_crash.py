"""Crash safety and one run at a time.

A run killed with SIGKILL (no cleanup code runs) during a download or in the middle of publishing
leaves every published Parquet file either the old complete version or the new complete one, the
raw store untouched, and the next run finishes the job. A second run on a busy data dir exits
with one clear line.
"""

from __future__ import annotations

import os
import shutil
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
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the group is gone already
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

    # a new version of the budget; the run is killed with its new cells file written in full
    # but not yet renamed into place beside the old one (its pages and tables are there already)
    budget = sample_catalog.parent / "budget-sample.pdf"
    budget.write_bytes((sample_catalog.parent / "teian-sample.pdf").read_bytes())
    run = _run_cli(
        sample_catalog,
        data_dir,
        tmp_path / "home",
        tmp_path / "killed.log",
        TEIAN_TEST_PAUSE_BEFORE_REPLACE="*/cells/sample-budget-r8~*.parquet",
    )
    try:
        wait_for(
            lambda: list((processed / "cells").glob(".sample-budget-r8~*.parquet.*.tmp")) or None,
            240,
            "publish of the new cells file",
            alive=run,
        )
    finally:
        _kill_group(run)

    after = _all_parquet_readable(processed)  # every file opens: none is half-written
    beside = {p for p in after if "~" in p.name}
    assert {p.parent.name for p in beside} == {"pages", "tables"}
    assert set(after) - beside == set(old_ids)
    for path in old_ids:
        assert path.read_bytes() == before[path]  # the old complete version, untouched
    for path in beside:  # the new complete version, one document, waiting for documents
        assert len(after[path]) == 1 and budget_old_id not in after[path], path
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
    assert not list(processed.rglob(".*.tmp")) and not list(processed.rglob("*~*.parquet"))
    history = pq.read_table(processed / "documents" / "sample-budget-r8.parquet").to_pylist()
    assert [h["is_current"] for h in history] == [False, True]


# ---------------------------------------------------------------- a kill at every publish step

PUBLISH_CHILD = """
import sys
from flows.catalog import load_catalog
from flows.extract import count_pages, extract_batch
from flows.fetch import fetch_source
from flows.publish import document_info, parse_document, publish_document, stage_document
from flows.store import open_data_dir

catalog, data_root, source_id = sys.argv[1:]
[source] = [s for s in load_catalog(catalog).sources if s.id == source_id]
data = open_data_dir(data_root)
fetch = fetch_source(source, data)
batch = extract_batch(fetch.path, 1, count_pages(fetch.path), data.work / source_id)
staged = parse_document(stage_document(data, document_info(source, fetch), [batch]))
publish_document(data, source, fetch, staged)
"""
VERSIONED = ("pages", "tables", "cells")


def _publish_in_child(
    catalog: Path, data_dir: Path, home: Path, pause: str | None
) -> subprocess.Popen:
    env = {**base_env(home)}
    if pause:
        env.update(
            TEIAN_TEST_PAUSE_BEFORE_REPLACE=pause,
            TEIAN_TEST_PAUSE_FILE=str(data_dir.parent / "paused"),
        )
    return subprocess.Popen(
        [sys.executable, "-c", PUBLISH_CHILD, str(catalog), str(data_dir), "sample-budget-r8"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def _reader_view(processed: Path, source_id: str) -> tuple[str, dict[str, int]]:
    """What a reader who keeps the current version sees: the doc_id `documents` names current
    and, per dataset, the rows of that version read through `*.parquet` globs, as DuckDB does."""
    import duckdb

    con = duckdb.connect()
    docs = f"'{processed}/documents/*.parquet'"
    [(current,)] = con.execute(
        f"SELECT doc_id FROM {docs} WHERE source_id = ? AND is_current", [source_id]
    ).fetchall()
    counts = {
        dataset: con.execute(
            f"SELECT count(*) FROM '{processed}/{dataset}/*.parquet' x JOIN {docs} d "
            "USING (source_id, doc_id) WHERE d.is_current AND x.source_id = ?",
            [source_id],
        ).fetchone()[0]
        for dataset in VERSIONED
    }
    return current, counts


@pytest.mark.usefixtures("prefect_harness")
def test_a_kill_at_every_publish_step_never_shows_a_reader_two_versions(
    sample_catalog: Path, tmp_path: Path
) -> None:
    """A new version of a source is killed at each step of its publish in turn: before each of
    its files is written beside the old ones, before `documents` flips, before each file takes
    its stable name, before the state file. At every kill a reader who joins a dataset to
    `documents.is_current` sees exactly one version, whole; the next run settles the files and
    publishes the new version, leaving no stray file."""
    from tests.filesystems import strays

    pristine = tmp_path / "pristine"
    state, _ = run_refresh(catalog=str(sample_catalog), data_dir=str(pristine), workers=2)
    assert state.is_completed()
    old_doc, old_counts = _reader_view(pristine / "processed", "sample-budget-r8")
    budget = sample_catalog.parent / "budget-sample.pdf"
    budget.write_bytes((sample_catalog.parent / "teian-sample.pdf").read_bytes())
    reference = tmp_path / "reference"
    shutil.copytree(pristine, reference, symlinks=True)
    assert _publish_in_child(sample_catalog, reference, tmp_path / "home", None).wait(120) == 0
    new_doc, new_counts = _reader_view(reference / "processed", "sample-budget-r8")
    assert new_doc != old_doc and 0 not in new_counts.values()
    expected = {old_doc: old_counts, new_doc: new_counts}

    steps = [f"*/{d}/sample-budget-r8~*.parquet" for d in VERSIONED]
    steps += ["documents/sample-budget-r8.parquet"]
    steps += [f"{d}/sample-budget-r8.parquet" for d in VERSIONED]
    steps += ["state/sample-budget-r8.json"]
    seen = []
    for number, step in enumerate(steps):
        data_dir = tmp_path / f"kill-{number}" / "data"
        shutil.copytree(pristine, data_dir, symlinks=True)
        child = _publish_in_child(sample_catalog, data_dir, tmp_path / "home", step)
        marker = data_dir.parent / "paused"
        try:
            wait_for(lambda m=marker: m.exists() or None, 120, f"paused at {step}", alive=child)
        finally:
            _kill_group(child)
        _all_parquet_readable(data_dir / "processed")
        current, counts = _reader_view(data_dir / "processed", "sample-budget-r8")
        assert counts == expected[current], (step, current, counts)
        assert (
            _reader_view(data_dir / "processed", "sample-teian-r7")[1]
            == _reader_view(pristine / "processed", "sample-teian-r7")[1]
        )
        seen.append(current)

        state, result = run_refresh(catalog=str(sample_catalog), data_dir=str(data_dir), workers=2)
        assert state.is_completed(), (step, state.message)
        assert _reader_view(data_dir / "processed", "sample-budget-r8") == (new_doc, new_counts)
        assert strays(data_dir) == [], step
        for dataset in VERSIONED:
            files = sorted(
                p.name for p in (data_dir / "processed" / dataset).glob("sample-budget-r8*")
            )
            assert files == ["sample-budget-r8.parquet"], (step, dataset, files)
    assert seen == [old_doc] * 4 + [new_doc] * 4  # documents is the switch


# ---------------------------------------------------------------- no worker outlives its run


@pytest.mark.usefixtures("prefect_harness")
def test_a_killed_run_leaves_no_worker_writing_and_no_stray_file(
    sample_catalog: Path, tmp_path: Path
) -> None:
    """Only the `teian run` process is killed (as an OOM killer would), mid-extraction of a
    page that takes minutes: its extraction workers die with it instead of writing batch files
    into the work dir later, and the next run leaves no stray file."""
    import psutil

    from tests.filesystems import strays
    from tests.fixtures.bad_pdfs import parser_bomb_pdf

    (sample_catalog.parent / "slow.pdf").write_bytes(parser_bomb_pdf())
    text = sample_catalog.read_text(encoding="utf-8")
    text += '\n[[source]]\nid = "slow"\ntitle = "slow"\nurl = "slow.pdf"\n'
    sample_catalog.write_text(text, encoding="utf-8")
    data_dir = tmp_path / "data"
    run = _run_cli(sample_catalog, data_dir, tmp_path / "home", tmp_path / "killed.log")
    try:

        def command(process: psutil.Process) -> str:
            try:
                return " ".join(process.cmdline())
            except psutil.Error:  # a child that has just ended (a zombie) or is gone
                return ""

        def extracting() -> list[psutil.Process] | None:
            workers = [
                p
                for p in psutil.Process(run.pid).children(recursive=True)
                if "flows.extract" in command(p) and "/raw/slow/" in command(p)
            ]
            return workers or None

        workers = wait_for(extracting, 240, "extraction of the slow page", alive=run)
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=60)
        gone, alive = psutil.wait_procs(workers, timeout=30)
        assert not alive, alive
    finally:
        _kill_group(run)  # what else the run started (its temporary Prefect server)
    state, result = run_refresh(
        catalog=str(sample_catalog),
        data_dir=str(data_dir),
        workers=2,
        time_limit=5,
        only=SAMPLE_IDS,
    )
    assert state.is_completed(), state.message
    assert strays(data_dir) == []


SAMPLE_IDS = ["sample-budget-r8", "sample-teian-r7"]

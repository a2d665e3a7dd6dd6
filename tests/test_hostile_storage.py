"""Storage that fails under a run, for real: a full disk (a small tmpfs), read-only folders, a
read-only data dir, folders and links planted in the data dir, a raw file changed on disk, the
same folder named two ways. A source that cannot be written fails alone with its reason; the
summary and the exit code still come; published files are never damaged; nothing is written
outside the data dir; the next run leaves no stray file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.fetch import FetchError, fetch_source
from flows.lock import data_dir_lock
from flows.store import DataDir, open_data_dir
from tests.filesystems import fill_disk, read_only, small_disk, strays, tree
from tests.httpserver import Route
from tests.prefect_server import ROOT, base_env
from tests.test_cli import teian
from tests.test_hostile_runs import SAMPLES, _entry, assert_published
from transforms.catalog import Source


def _run(catalog: Path, data_dir: Path | str, *extra: str) -> subprocess.CompletedProcess:
    return teian(
        "run", "--catalog", str(catalog), "--data-dir", str(data_dir), "--workers", "2", *extra
    )


def _refresh(catalog: Path, data_dir: Path, **params) -> tuple[bool, dict[str, dict]]:
    """The flow in this process (the session's Prefect harness): (failed?, outcome by source)."""
    from flows.runner import run_refresh

    state, result = run_refresh(catalog=str(catalog), data_dir=str(data_dir), workers=2, **params)
    assert result is not None, state.message
    return state.is_failed(), {r["source_id"]: r for r in result["sources"]}


def _failed_with(outcomes: dict[str, dict], reasons: dict[str, tuple[str, str]]) -> None:
    """Each source failed at its stage with a one-line reason; the others did not fail."""
    for source_id, (stage, reason) in reasons.items():
        row = outcomes[source_id]
        assert row["outcome"] == "failed" and row["stage"] == stage, row
        assert reason in row["error"] and "\n" not in row["error"], row
    assert all(r["outcome"] != "failed" for s, r in outcomes.items() if s not in reasons), outcomes


def _published(data_dir: Path) -> dict[str, bytes]:
    return tree(data_dir / "processed")


def _one_line_each(result, reasons: dict[str, str]) -> None:  # noqa: ANN001
    """The summary came, and each source failed with one line naming its stage and reason."""
    assert "teian run" in result.stdout, result.stdout + result.stderr  # the summary table
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    for source_id, reason in reasons.items():
        mine = [line for line in lines if line.startswith(f"{source_id}: ")]
        assert len(mine) == 1 and reason in mine[0], (source_id, result.stdout, lines)
        assert mine[0].split(": ")[1] in ("fetch", "extract", "normalize", "parse", "publish")


# ---------------------------------------------------------------- a full disk


def test_a_full_disk_fails_every_source_with_its_reason_and_damages_nothing(
    sample_catalog: Path, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "data", 4096) as data_dir:
        assert _run(sample_catalog, data_dir).returncode == 0
        published = _published(data_dir)
        filler = fill_disk(data_dir)

        full = _run(sample_catalog, data_dir, "--force")
        assert full.returncode == 1, full.stdout + full.stderr
        _one_line_each(full, {source_id: "no space left on the device" for source_id in SAMPLES})
        assert _published(data_dir) == published  # every published file whole, unchanged

        filler.unlink()
        again = _run(sample_catalog, data_dir, "--force")
        assert again.returncode == 0, again.stdout + again.stderr
        assert_published(data_dir, SAMPLES)
        assert strays(data_dir) == []


def test_a_source_too_big_for_the_disk_fails_alone(
    sample_catalog: Path, sample_pdf_bytes, tmp_path: Path
) -> None:
    """The raw copy of one source fills the disk: that source fails at fetch, its partial copy
    is removed, and the sources that fit are published."""
    big = tmp_path / "big.pdf"
    body = sample_pdf_bytes["budget"]
    big.write_bytes(body[:-6] + b"%" + os.urandom(6 * 1024 * 1024) + b"\n%%EOF\n")
    text = sample_catalog.read_text(encoding="utf-8") + _entry("too-big", str(big))
    sample_catalog.write_text(text, encoding="utf-8")
    with small_disk(tmp_path / "data", 3072) as data_dir:
        result = _run(sample_catalog, data_dir)
        assert result.returncode == 1, result.stdout + result.stderr
        _one_line_each(result, {"too-big": "no space left on the device"})
        assert "too-big: fetch: " in result.stderr
        assert_published(data_dir, SAMPLES)
        assert not list((data_dir / "raw" / "too-big").glob("*.pdf"))
        assert strays(data_dir) == []


# ---------------------------------------------------------------- read-only folders


@pytest.mark.usefixtures("prefect_harness")
def test_a_read_only_raw_folder_fails_its_source_alone(
    sample_catalog: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    assert _refresh(sample_catalog, data_dir)[0] is False
    # a new version of the budget, whose raw folder cannot be written
    budget = sample_catalog.parent / "budget-sample.pdf"
    budget.write_bytes((sample_catalog.parent / "teian-sample.pdf").read_bytes())
    fresh = sample_catalog.parent / "fresh.pdf"
    shutil.copy(budget, fresh)
    text = sample_catalog.read_text(encoding="utf-8") + _entry("fresh-source", str(fresh))
    sample_catalog.write_text(text, encoding="utf-8")
    with read_only(data_dir / "raw" / "sample-budget-r8"):
        failed, outcomes = _refresh(sample_catalog, data_dir)
    assert failed
    _failed_with(outcomes, {"sample-budget-r8": ("fetch", "cannot write")})
    assert_published(data_dir, ["sample-teian-r7", "fresh-source"])
    assert strays(data_dir) == []


@pytest.mark.usefixtures("prefect_harness")
def test_read_only_state_and_processed_folders_fail_each_source_with_its_reason(
    sample_catalog: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    assert _refresh(sample_catalog, data_dir)[0] is False
    for folder in ("state", "processed"):
        published = _published(data_dir)
        with read_only(data_dir / folder):
            failed, outcomes = _refresh(sample_catalog, data_dir, force=True)
        assert failed
        _failed_with(outcomes, {s: ("publish", "cannot write") for s in SAMPLES})
        assert all("not recorded" in outcomes[s]["error"] for s in SAMPLES)
        if folder == "processed":
            assert _published(data_dir) == published  # nothing half-written
    assert _refresh(sample_catalog, data_dir)[0] is False
    assert strays(data_dir) == []


def test_a_read_only_data_dir_is_one_line_and_exit_2(sample_catalog: Path, tmp_path: Path) -> None:
    with read_only(tmp_path / "ro") as folder:
        for data_dir in (folder, folder / "data"):
            result = _run(sample_catalog, data_dir)
            assert result.returncode == 2, result.stdout + result.stderr
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and "cannot be written" in lines[0], result.stderr
    assert list((tmp_path / "ro").iterdir()) == []


# ---------------------------------------------------------------- things planted in the data dir


@pytest.mark.usefixtures("prefect_harness")
def test_a_directory_where_a_dataset_file_goes_fails_that_source_alone(
    sample_catalog: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "processed" / "cells" / "sample-budget-r8.parquet").mkdir(parents=True)
    failed, outcomes = _refresh(sample_catalog, data_dir)
    assert failed
    _failed_with(outcomes, {"sample-budget-r8": ("publish", "a directory is in the way")})
    assert_published(data_dir, ["sample-teian-r7"])


@pytest.mark.usefixtures("prefect_harness")
def test_links_planted_in_the_data_dir_lead_nowhere(sample_catalog: Path, tmp_path: Path) -> None:
    data_dir, outside = tmp_path / "data", tmp_path / "outside"
    assert _refresh(sample_catalog, data_dir)[0] is False
    (outside / "work").mkdir(parents=True)
    (outside / "tables").mkdir()
    (outside / "work" / "keep.txt").write_text("not the pipeline's", encoding="utf-8")
    state = data_dir / "state" / "sample-teian-r7.json"
    shutil.copy(state, outside / "state.json")
    state.unlink()
    state.symlink_to(outside / "state.json")
    shutil.rmtree(data_dir / "work", ignore_errors=True)
    (data_dir / "work").symlink_to(outside / "work", target_is_directory=True)
    before = tree(outside)

    failed, outcomes = _refresh(sample_catalog, data_dir, force=True)
    assert failed
    _failed_with(outcomes, {"sample-teian-r7": ("publish", "outside the data dir")})
    assert_published(data_dir, ["sample-budget-r8"])
    assert tree(outside) == before  # neither written nor swept
    assert not (data_dir / "work").is_symlink()  # the link in work/ was removed, not followed

    # a whole dataset folder linked out: no source publishes there
    shutil.rmtree(data_dir / "processed" / "tables")
    (data_dir / "processed" / "tables").symlink_to(outside / "tables", target_is_directory=True)
    failed, outcomes = _refresh(sample_catalog, data_dir, force=True)
    assert failed
    _failed_with(outcomes, {s: ("publish", "outside the data dir") for s in SAMPLES})
    assert list((outside / "tables").iterdir()) == []


def test_a_source_id_too_long_for_a_file_name_fails_its_fetch(
    tmp_path: Path, sample_pdf_bytes
) -> None:
    """The catalog refuses such ids; a source made another way still fails with one line."""
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(sample_pdf_bytes["budget"])
    with pytest.raises(FetchError, match="file name too long"):
        fetch_source(Source(id="x" * 300, title="t", url=str(pdf)), DataDir(tmp_path / "data"))


# ---------------------------------------------------------------- the raw store checked


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("where", ["web", "local"])
def test_a_raw_file_changed_on_disk_is_not_published_under_its_hash(
    http_server, sample_catalog: Path, sample_pdf_bytes, tmp_path: Path, where: str
) -> None:
    from flows.runner import run_refresh

    good, other = sample_pdf_bytes["budget"], sample_pdf_bytes["teian"]
    if where == "web":
        url = http_server.add("/doc.pdf", Route(body=good, etag='"v1"'))  # the next GET is a 304
    else:
        (tmp_path / "doc.pdf").write_bytes(good)
        url = str(tmp_path / "doc.pdf")
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(_entry("doc", url), encoding="utf-8")
    data_dir = tmp_path / "data"
    state, _ = run_refresh(catalog=str(catalog), data_dir=str(data_dir), workers=2)
    assert state.is_completed()
    pages_file = data_dir / "processed" / "pages" / "doc.parquet"
    first = pq.read_table(pages_file).column("text_raw").to_pylist()
    [raw] = (data_dir / "raw" / "doc").glob("*.pdf")
    raw.write_bytes(other)  # another PDF under the first one's hash
    state, result = run_refresh(catalog=str(catalog), data_dir=str(data_dir), workers=2, force=True)
    assert state.is_completed(), result
    assert raw.read_bytes() == good  # fetched again (web) or copied again (local), replaced
    pages = pq.read_table(pages_file)
    assert set(pages.column("doc_id").to_pylist()) == {raw.stem[:16]}
    assert pages.column("text_raw").to_pylist() == first  # the swapped-in PDF was never read


# ---------------------------------------------------------------- one lock per folder


def test_the_same_folder_as_a_path_a_link_and_a_file_url_is_one_lock(
    sample_catalog: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    link = tmp_path / "link"
    data_dir.mkdir()
    link.symlink_to(data_dir, target_is_directory=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from flows.lock import data_dir_lock; from flows.store import open_data_dir\n"
            f"with data_dir_lock(open_data_dir({str(data_dir)!r})):\n"
            "    print('held', flush=True); time.sleep(600)",
        ],
        cwd=ROOT,
        env=base_env(tmp_path / "home"),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        for location in (data_dir.as_uri(), str(link), f"file://{link}"):
            result = _run(sample_catalog, location)
            assert result.returncode == 1, (location, result.stdout + result.stderr)
            assert f"another teian run (pid {holder.pid})" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    with data_dir_lock(open_data_dir(data_dir.as_uri())):
        pass  # free again once the holder is gone

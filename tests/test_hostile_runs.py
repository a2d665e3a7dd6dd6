"""Hostile inputs through `teian run`, as a user meets them: each bad source fails alone with one
line naming it and its stage, the others are published, the exit code is right, nothing is
written outside the data dir and no stray file is left.

Servers are real (127.0.0.1), disks are real (a small tmpfs fills up, a read-only bind mount
refuses writes), links are real symbolic links.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.filesystems import strays, tree
from tests.fixtures import bad_pdfs
from tests.fixtures.make_samples import ONE_EDITION
from tests.httpserver import Route
from tests.test_cli import teian

SAMPLES = ONE_EDITION  # the sources of the `sample_catalog` fixture


def _entry(source_id: str, url: str) -> str:
    return f'\n[[source]]\nid = "{source_id}"\ntitle = "{source_id}"\nurl = "{url}"\n'


def _last_row(data_dir: Path, source_id: str) -> dict:
    return pq.read_table(data_dir / "processed" / "documents" / f"{source_id}.parquet").to_pylist()[
        -1
    ]


def assert_failed_alone(result, data_dir: Path, failed: dict[str, tuple[str, str]]) -> None:  # noqa: ANN001
    """Each failed source: one stderr line `<id>: <stage>: …reason…`, a failed `documents` row
    with the same reason, nothing published for it; no traceback anywhere."""
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    for source_id, (stage, reason) in failed.items():
        mine = [line for line in lines if line.startswith(f"{source_id}: {stage}: ")]
        assert len(mine) == 1 and reason in mine[0], (source_id, lines)
        row = _last_row(data_dir, source_id)
        assert row["status"] == "failed" and not row["is_current"], row
        assert row["error"].startswith(f"{stage}: ") and reason in row["error"], row["error"]
        assert not (data_dir / "processed" / "pages" / f"{source_id}.parquet").exists()


def assert_published(data_dir: Path, source_ids, status: str = "ok") -> None:  # noqa: ANN001
    for source_id in source_ids:
        row = _last_row(data_dir, source_id)
        assert row["status"] == status and row["is_current"], (source_id, row)
        pages = pq.read_table(data_dir / "processed" / "pages" / f"{source_id}.parquet")
        assert pages.num_rows == row["page_count"] > 0


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "damaged.pdf").write_bytes(bad_pdfs.damaged_content_pdf("garbled"))
    (folder / "bomb.pdf").write_bytes(bad_pdfs.inflating_xref_pdf(512 * 1024 * 1024))
    (folder / "tree.pdf").write_bytes(bad_pdfs.page_tree_pdf("balanced", pages=40))
    return folder


def test_hostile_sources_fail_alone_through_the_cli(
    http_server, sample_catalog: Path, sample_pdf_bytes, hostile_files: Path, tmp_path: Path
) -> None:
    files, outside, data_dir = tmp_path / "files", tmp_path / "outside", tmp_path / "data"
    files.mkdir()
    outside.mkdir()
    os.mkfifo(files / "pipe.pdf")
    (files / "folder.pdf").mkdir()
    (data_dir / "raw").mkdir(parents=True)
    (data_dir / "raw" / "linked").symlink_to(outside, target_is_directory=True)
    (files / "linked.pdf").write_bytes(sample_pdf_bytes["budget"])
    trickle = http_server.add("/trickle.pdf", Route(body=sample_pdf_bytes["budget"], trickle=0.5))
    good = http_server.add("/good.pdf", Route(body=sample_pdf_bytes["budget"]))
    # the trickling source comes first: nothing after it may wait for it
    text = _entry("trickle", trickle) + _entry("upper", good.replace("http://", "HTTP://"))
    for source_id, url in {
        "a-directory": files / "folder.pdf",
        "a-fifo": files / "pipe.pdf",
        "dev-zero": "/dev/zero",
        "passwd": "file:///etc/passwd",
        "linked": files / "linked.pdf",
        "damaged": hostile_files / "damaged.pdf",
        "xref-bomb": hostile_files / "bomb.pdf",
        "tree": hostile_files / "tree.pdf",
    }.items():
        text += _entry(source_id, str(url))
    sample_catalog.write_text(text + sample_catalog.read_text(encoding="utf-8"), encoding="utf-8")
    before = tree(files), tree(hostile_files)

    started = time.monotonic()
    result = teian(
        "run",
        "--catalog",
        str(sample_catalog),
        "--data-dir",
        str(data_dir),
        "--workers",
        "2",
        "--memory-limit",
        "700",
        "--fetch-deadline",
        "4",
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert_failed_alone(
        result,
        data_dir,
        {
            "trickle": ("fetch", "not finished within the fetch's deadline of 4s"),
            "a-directory": ("fetch", "is a directory"),
            "a-fifo": ("fetch", "is a FIFO"),
            "dev-zero": ("fetch", "is a device"),
            "passwd": ("fetch", "not a PDF"),
            "linked": ("fetch", "outside the data dir"),
            "xref-bomb": ("extract", "memory limit of 700 MB"),
        },
    )
    assert_published(data_dir, [*SAMPLES, "upper", "tree"])
    assert_published(data_dir, ["damaged"], status="partial")
    assert (
        "damaged: warning: 1 page(s) with damaged content, text may be missing: p.2"
        in result.stdout
    )
    damaged = duckdb.sql(
        f"SELECT page_number, len(problems) AS n, text_raw FROM "
        f"'{data_dir}/processed/pages/damaged.parquet' ORDER BY page_number"
    ).fetchall()
    assert [(n, k) for n, k, _ in damaged] == [(1, 0), (2, 1), (3, 0)]
    assert "Page 3 of the damaged document" in damaged[2][2]
    pages = pq.read_table(data_dir / "processed" / "pages" / "tree.parquet").to_pylist()
    assert [p["page_number"] for p in pages] == list(range(1, 41))
    assert all(f"This is page {p['page_number']} of the tree" in p["text_raw"] for p in pages)

    assert list(outside.iterdir()) == []  # the planted link led nowhere
    assert (tree(files), tree(hostile_files)) == before
    assert not list((data_dir / "raw" / "passwd").glob(".fetch.*"))
    assert strays(data_dir) == []
    assert elapsed < 600, elapsed  # the trickler did not hold up the run


@pytest.mark.usefixtures("prefect_harness")
def test_a_page_too_big_to_render_is_left_out_of_the_report(tmp_path: Path) -> None:
    """`teian report` draws page images in guarded workers: a cover whose image would be
    gigabytes is left out with one line, and the rest of the report is written."""
    from flows.runner import run_refresh

    (tmp_path / "wall.pdf").write_bytes(bad_pdfs.huge_page_pdf())
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(_entry("wall", str(tmp_path / "wall.pdf")), encoding="utf-8")
    data_dir = tmp_path / "data"
    state, _ = run_refresh(catalog=str(catalog), data_dir=str(data_dir), workers=2)
    assert state.is_completed()
    result = teian("report", "--data-dir", str(data_dir), "--all-pages")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert line.startswith("warning: wall: page 1 not rendered: memory limit of")
    pages = sorted(p.name for p in (data_dir / "report" / "wall" / "pages").iterdir())
    assert len(pages) == 1 and "-p0002-" in pages[0]
    assert (data_dir / "report" / "wall" / "index.html").exists()


def test_a_run_under_a_4_gb_address_space_cap_survives_an_inflating_pdf(
    sample_catalog: Path, tmp_path: Path
) -> None:
    """As in a container capped at 4 GB: a 2 MB PDF whose cross-reference stream inflates to
    2 GB (counting its pages takes ~4 GB) fails alone in its guarded worker; the run, whose
    process never parses it, publishes the rest and prints its summary."""
    import shutil
    import subprocess
    import sys

    from tests.prefect_server import ROOT

    if shutil.which("prlimit") is None:
        pytest.skip("prlimit (util-linux) is needed to run a command under an address-space cap")
    (sample_catalog.parent / "bomb.pdf").write_bytes(bad_pdfs.inflating_xref_pdf(2 << 30))
    text = sample_catalog.read_text(encoding="utf-8") + _entry("bomb", "bomb.pdf")
    sample_catalog.write_text(text, encoding="utf-8")
    data_dir = tmp_path / "data"
    command = ["prlimit", f"--as={4 << 30}", sys.executable, "-m", "flows", "run"]
    command += ["--catalog", str(sample_catalog), "--data-dir", str(data_dir)]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=_cli_env()
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert_failed_alone(result, data_dir, {"bomb": ("extract", "counting pages: ")})
    assert "memory limit of 3072 MB" in result.stderr
    assert_published(data_dir, SAMPLES)


def _cli_env() -> dict[str, str]:
    import os

    from tests.prefect_server import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    env.pop("PREFECT_API_URL", None)
    return env

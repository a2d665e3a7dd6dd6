"""Bad PDFs: each fails alone (or is published as `partial`) with a reason a user understands,
while the other sources of the same run are published."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.extract import ExtractError, Limits, count_pages, extract_batch
from tests.fixtures import bad_pdfs
from tests.test_cli import teian

PASSWORD = "tokyo-2025"
ENCRYPTED = "encrypted PDF: wrong or missing password"


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad-pdfs")
    files = {
        "zero-byte.pdf": b"",
        "truncated.pdf": bad_pdfs.truncated_pdf(),
        "corrupt-xref.pdf": bad_pdfs.corrupt_xref_pdf(),
        "shifted-xref.pdf": bad_pdfs.shifted_xref_pdf(),
        "encrypted.pdf": bad_pdfs.encrypted_pdf(PASSWORD),
        "scanned.pdf": bad_pdfs.scanned_pdf(),
        "parser-bomb.pdf": bad_pdfs.parser_bomb_pdf(),
    }
    for name, body in files.items():
        (folder / name).write_bytes(body)
    return folder


@pytest.mark.parametrize(
    ("name", "password", "reason"),
    [
        ("zero-byte.pdf", None, "empty file (0 bytes)"),
        ("truncated.pdf", None, "truncated PDF: no %%EOF"),
        ("corrupt-xref.pdf", None, "corrupt PDF"),
        ("encrypted.pdf", None, ENCRYPTED),
        ("encrypted.pdf", "wrong", ENCRYPTED),
    ],
)
def test_unopenable_pdfs_have_a_clear_reason(
    bad_dir: Path, name: str, password: str | None, reason: str
) -> None:
    with pytest.raises(ExtractError) as caught:
        count_pages(str(bad_dir / name), password)
    assert str(caught.value).startswith(reason), caught.value


def test_recoverable_pdfs_open(bad_dir: Path, tmp_path: Path) -> None:
    assert count_pages(str(bad_dir / "encrypted.pdf"), PASSWORD) == 1
    assert count_pages(str(bad_dir / "shifted-xref.pdf")) == 1
    result = extract_batch(str(bad_dir / "encrypted.pdf"), 1, 1, tmp_path, PASSWORD)
    assert "Encrypted budget list" in result.pages[0].text_raw
    result = extract_batch(str(bad_dir / "shifted-xref.pdf"), 1, 1, tmp_path)
    assert "歳入合計" in result.pages[0].text_raw


def test_a_page_that_hangs_the_parser_hits_the_time_limit(bad_dir: Path, tmp_path: Path) -> None:
    """The page needs minutes; the batch is given 3 s and its worker is killed, leaving no file."""
    with pytest.raises(ExtractError, match=r"pages 1-2: gave up after 3s"):
        extract_batch(
            str(bad_dir / "parser-bomb.pdf"),
            1,
            2,
            tmp_path,
            limits=Limits(time_seconds=3, memory_mb=3072),
        )
    assert list(tmp_path.iterdir()) == []


def test_a_page_that_eats_memory_hits_the_memory_limit(
    bad_dir: Path, tmp_path: Path, sample_pdf_bytes
) -> None:
    limits = Limits(time_seconds=600, memory_mb=600)
    with pytest.raises(ExtractError, match=r"memory limit of 600 MB exceeded"):
        extract_batch(str(bad_dir / "parser-bomb.pdf"), 1, 2, tmp_path, limits=limits)
    # the same limit is plenty for an ordinary document: the page, not the limit, is the problem
    ordinary = tmp_path / "ordinary.pdf"
    ordinary.write_bytes(sample_pdf_bytes["teian"])
    assert len(extract_batch(str(ordinary), 1, 4, tmp_path, limits=limits).pages) == 4


def test_bad_pdfs_through_the_cli(bad_dir: Path, sample_catalog: Path, tmp_path: Path) -> None:
    """One `teian run` over every bad PDF beside the sample: exit 1, one line per failed source
    naming its stage, the right status and reason in `documents`, the sample still published."""
    entries = {
        "zero-byte": "zero-byte.pdf",
        "truncated": "truncated.pdf",
        "corrupt-xref": "corrupt-xref.pdf",
        "shifted-xref": "shifted-xref.pdf",
        "encrypted-unlocked": "encrypted.pdf",
        "encrypted-locked": "encrypted.pdf",
        "scanned": "scanned.pdf",
        "parser-bomb": "parser-bomb.pdf",
    }
    text = sample_catalog.read_text(encoding="utf-8")
    for source_id, name in entries.items():
        text += (
            f'\n[[source]]\nid = "{source_id}"\ntitle = "{source_id}"\nurl = "{bad_dir / name}"\n'
        )
        if source_id == "encrypted-unlocked":
            text += f'password = "{PASSWORD}"\n'
    sample_catalog.write_text(text, encoding="utf-8")
    data_dir = tmp_path / "data"

    result = teian(
        "run",
        "--catalog",
        str(sample_catalog),
        "--data-dir",
        str(data_dir),
        "--memory-limit",
        "700",
        "--workers",
        "2",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    expected = {
        # source: (status, stage of failure or None, reason)
        "zero-byte": ("failed", "fetch", "empty file (0 bytes)"),
        "truncated": ("failed", "extract", "truncated PDF: no %%EOF"),
        "corrupt-xref": ("failed", "extract", "corrupt PDF"),
        "encrypted-locked": ("failed", "extract", ENCRYPTED),
        "parser-bomb": ("failed", "extract", "memory limit of 700 MB exceeded"),
        "scanned": ("partial", None, "no text layer: needs OCR"),
        "shifted-xref": ("ok", None, None),
        "encrypted-unlocked": ("ok", None, None),
        "sample-budget-r8": ("ok", None, None),
    }
    stderr_lines = result.stderr.splitlines()
    documents = data_dir / "processed" / "documents"
    for source_id, (status, stage, reason) in expected.items():
        row = pq.read_table(documents / f"{source_id}.parquet").to_pylist()[-1]
        assert row["status"] == status, (source_id, row)
        pages = data_dir / "processed" / "pages" / f"{source_id}.parquet"
        if status == "failed":
            assert row["error"].startswith(f"{stage}: ") and reason in row["error"], (
                source_id,
                row["error"],
            )
            assert not row["is_current"] and not pages.exists()
            assert any(
                line.startswith(f"{source_id}: {stage}: ") and reason in line
                for line in stderr_lines
            ), source_id
        else:
            assert row["is_current"] and pq.read_table(pages).num_rows == row["page_count"]
            assert (row["error"] or "").startswith(reason or ""), (source_id, row["error"])
    assert "scanned: warning: no text layer: needs OCR" in result.stdout
    unlocked = pq.read_table(
        data_dir / "processed" / "pages" / "encrypted-unlocked.parquet"
    ).to_pylist()
    assert "Encrypted budget list" in unlocked[0]["text_raw"]
    # the raw store keeps even the bad files (evidence), except the empty one, which never was a PDF
    assert not list((data_dir / "raw" / "zero-byte").glob("*.pdf"))
    assert len(list((data_dir / "raw" / "parser-bomb").glob("*.pdf"))) == 1
    assert not list((data_dir / "work").rglob("*.pkl"))


@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_extraction_keeps_the_last_good_data(sample_catalog: Path, tmp_path: Path) -> None:
    from flows.runner import run_refresh

    data_dir = tmp_path / "data"
    state, _ = run_refresh(
        catalog=str(sample_catalog), data_dir=str(data_dir), workers=2, only=["sample-budget-r8"]
    )
    assert state.is_completed()
    published = {
        p: p.read_bytes()
        for p in (data_dir / "processed").rglob("*.parquet")
        if "documents" not in p.parts
    }
    good_raw = {p: p.read_bytes() for p in (data_dir / "raw" / "sample-budget-r8").glob("*.pdf")}

    # the publisher replaces the document with a broken upload
    (sample_catalog.parent / "budget-sample.pdf").write_bytes(bad_pdfs.corrupt_xref_pdf())
    state, result = run_refresh(
        catalog=str(sample_catalog), data_dir=str(data_dir), workers=2, only=["sample-budget-r8"]
    )
    assert state.is_failed()
    [row] = result["sources"]
    assert (
        row["outcome"] == "failed" and row["stage"] == "extract" and "corrupt PDF" in row["error"]
    )
    after = {
        p: p.read_bytes()
        for p in (data_dir / "processed").rglob("*.parquet")
        if "documents" not in p.parts
    }
    assert after == published
    history = pq.read_table(
        data_dir / "processed" / "documents" / "sample-budget-r8.parquet"
    ).to_pylist()
    assert [(h["status"], h["is_current"]) for h in history] == [("ok", True), ("failed", False)]
    raw_now = {p: p.read_bytes() for p in (data_dir / "raw" / "sample-budget-r8").glob("*.pdf")}
    assert len(raw_now) == 2 and all(raw_now[p] == b for p, b in good_raw.items())  # both kept

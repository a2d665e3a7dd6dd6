"""Batching, the pdfium fast path and batch-by-batch publishing give the same records as one pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.extract import extract_batch
from flows.refresh import MAX_BATCH_PAGES, MIN_BATCH_PAGES, plan_batches
from tests.fixtures.bigdocs import write_budget_book, write_teian_edition
from transforms.assemble.document import DocumentAssembler, assemble_document
from transforms.records import DocumentInfo

DOC = DocumentInfo("s", "0123456789abcdef", "generic")


@pytest.mark.parametrize("pages", [1, 5, 16, 17, 100, 396, 600, 1000, 5000])
@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_plan_batches_covers_every_page_once(pages: int, workers: int) -> None:
    batches = plan_batches(pages, workers)
    covered = [p for first, last in batches for p in range(first, last + 1)]
    assert covered == list(range(1, pages + 1))
    sizes = [last - first + 1 for first, last in batches]
    assert max(sizes) <= max(MAX_BATCH_PAGES, MIN_BATCH_PAGES)
    if pages >= MIN_BATCH_PAGES * workers * 3:
        assert len(batches) % workers == 0  # no lone last round
        assert max(sizes) - min(sizes) <= max(sizes) // 2


@pytest.fixture(scope="module")
def budget_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_budget_book(tmp_path_factory.mktemp("big") / "budget.pdf", pages=24)


@pytest.fixture(scope="module")
def teian_edition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_teian_edition(tmp_path_factory.mktemp("big") / "teian.pdf", pages=30)


def test_budget_book_has_tables_running_over_pages(budget_book: Path, tmp_path: Path) -> None:
    batch = extract_batch(str(budget_book), 1, 24, tmp_path)
    assert all(page.tables for page in batch.pages)  # a table on every page
    tables = assemble_document(DOC, batch.pages).tables
    assert any(t["page_last"] > t["page_first"] for t in tables)
    assert all(t["unit"] == "千円" for t in tables)


@pytest.mark.parametrize("size", [1, 2, 5, 7])
def test_pages_fed_a_few_at_a_time_give_the_rows_of_one_pass(
    budget_book: Path, tmp_path: Path, size: int
) -> None:
    """Tables running over the pages of two pieces are stitched whole, and emitted once."""
    whole = extract_batch(str(budget_book), 1, 24, tmp_path)
    expected = assemble_document(DOC, whole.pages)
    assembler = DocumentAssembler(DOC)
    pieces = [
        assembler.add_pages(whole.pages[first : first + size]) for first in range(0, 24, size)
    ]
    pieces.append(assembler.finish())
    assert any(t["page_last"] > t["page_first"] for t in expected.tables)
    for dataset in ("pages", "tables", "cells"):
        got = [row for piece in pieces for row in getattr(piece, dataset)]
        assert got == getattr(expected, dataset), dataset


def test_fast_path_gives_the_same_page_records(teian_edition: Path, tmp_path: Path) -> None:
    fast = extract_batch(str(teian_edition), 1, 30, tmp_path, fast=True)
    exact = extract_batch(str(teian_edition), 1, 30, tmp_path, fast=False)
    assert fast == exact
    assert sum(1 for p in exact.pages if p.tables) >= 2  # tables found on the full path
    assert sum(1 for p in exact.pages if not p.tables) >= 20  # the pages the fast path serves


def test_fast_path_keeps_unruled_tables(tmp_path: Path) -> None:
    """A page without any drawn line can still hold a table set by alignment alone."""
    from tests.fixtures.tables_pdf import write_unruled

    pdf = tmp_path / "unruled.pdf"
    write_unruled(pdf)
    fast = extract_batch(str(pdf), 1, 1, tmp_path, fast=True)
    exact = extract_batch(str(pdf), 1, 1, tmp_path, fast=False)
    assert [t.strategy for t in exact.pages[0].tables] == ["text"]
    assert fast == exact


def test_fast_path_is_taken_only_where_safe(teian_edition: Path, budget_book: Path) -> None:
    import pypdfium2 as pdfium

    from transforms.extract.fast import extract_page_fast

    teian = pdfium.PdfDocument(str(teian_edition))
    budget = pdfium.PdfDocument(str(budget_book))
    try:
        fast_teian = [extract_page_fast(teian[i], i + 1) is not None for i in range(len(teian))]
        fast_budget = [extract_page_fast(budget[i], i + 1) is not None for i in range(len(budget))]
    finally:
        teian.close()
        budget.close()
    assert sum(fast_teian) >= 20
    assert not any(fast_budget)  # ruled tables on every page: every page needs the table finder


@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_batch_fails_its_document_at_the_extract_stage(
    sample_catalog: Path, tmp_path: Path
) -> None:
    from flows.runner import run_refresh

    data_dir = tmp_path / "data"
    state, result = run_refresh(
        catalog=str(sample_catalog), data_dir=str(data_dir), workers=2, time_limit=0.001
    )
    assert state.is_failed()
    rows = {r["source_id"]: r for r in result["sources"]}
    assert {r["stage"] for r in rows.values()} == {"extract"}
    assert all("gave up" in r["error"] for r in rows.values())
    assert not (data_dir / "processed" / "pages").exists() or not list(
        (data_dir / "processed" / "pages").iterdir()
    )
    assert not list((data_dir / "work").rglob("*")) or not list((data_dir / "work").rglob("*.pkl"))

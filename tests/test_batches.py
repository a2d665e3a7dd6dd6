"""Batching, the pdfium fast path and batch-by-batch publishing give the same records as one pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.extract import extract_batch
from flows.refresh import MAX_BATCH_PAGES, MIN_BATCH_PAGES, plan_batches
from tests.fixtures.bigdocs import write_budget_book, write_teian_edition
from tests.fixtures.pdfgen import ipaex_available
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


@pytest.fixture(scope="module")
def embedded_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same kinds of document with embedded fonts and ToUnicode maps (Office exports)."""
    if not ipaex_available():
        pytest.skip("needs Debian's fonts-ipaexfont (apt-get install fonts-ipaexfont)")
    folder = tmp_path_factory.mktemp("embedded")
    return {
        "budget": write_budget_book(folder / "budget.pdf", pages=24, font_style="ipaex"),
        "teian": write_teian_edition(folder / "teian.pdf", pages=30, font_style="ipaex"),
    }


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


def _paths_taken(path: Path) -> list[str]:
    import pdfplumber
    import pypdfium2 as pdfium

    from transforms.extract.fast import read_page_fast

    document = pdfium.PdfDocument(str(path))
    try:
        with pdfplumber.open(path) as pdf:
            return [read_page_fast(document[i], page)[1] for i, page in enumerate(pdf.pages)]
    finally:
        document.close()


@pytest.mark.parametrize("kind", ["teian", "budget"])
def test_pdfium_paths_give_pdfminers_records(
    embedded_books: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    """Prose pages through the text path, ruled table pages through pdfium's objects under the
    same finder: every record as pdfminer's (positions within 0.01 pt)."""
    from benchmarks.fastpath_check import differing_fields

    path = embedded_books[kind]
    taken = _paths_taken(path)
    fast = extract_batch(str(path), 1, len(taken), tmp_path, fast=True)
    exact = extract_batch(str(path), 1, len(taken), tmp_path, fast=False)
    for a, b in zip(fast.pages, exact.pages, strict=True):
        assert not differing_fields(a, b), (a.page_number, differing_fields(a, b))
    if kind == "teian":
        assert taken.count("text") >= 20 and taken.count("objects") >= 2
        assert sum(1 for p in exact.pages if p.tables) >= 2
    else:
        assert set(taken) == {"objects"}  # a ruled table on every page
        assert all(p.tables for p in fast.pages)


def test_fonts_the_parsers_decode_differently_take_pdfminers_path(
    budget_book: Path, teian_edition: Path
) -> None:
    """Non-embedded CID fonts without a ToUnicode map: pdfium and pdfminer map some CIDs to
    different characters (－ vs −), so every page is read by pdfminer."""
    assert set(_paths_taken(budget_book)) == {"full"}
    assert set(_paths_taken(teian_edition)) == {"full"}


def _glyph(text: str, x0: float, x1: float) -> dict:
    return {"text": text, "x0": x0, "x1": x1, "top": 90.0, "bottom": 100.0, "size": 10.0}


def test_a_gap_where_a_blank_could_hide_sends_the_page_to_pdfminer() -> None:
    """pdfium turns some blanks a PDF draws into word breaks of its own (after a hyphen), while
    pdfplumber joins glyphs under 3 pt apart unless a blank lies between them: such a gap
    without a reported blank makes the page's text depend on the parser."""
    from transforms.extract.fast import spaces_unambiguous

    after_break = {"pdfium_break_before": True}
    touching = [_glyph("東", 10, 20), _glyph("京", 20, 30)]
    blank_between = [_glyph("-", 10, 13), _glyph(" ", 13, 15.8), _glyph("E", 15.9, 21)]
    hidden_blank = [_glyph("-", 10, 13), {**_glyph("E", 15.9, 21), **after_break}]
    letter_spaced = [_glyph("区", 10, 20), _glyph("分", 23, 33)]  # character spacing, no blank
    word_break = [_glyph("a", 10, 15), {**_glyph("b", 20, 25), **after_break}]
    other_line = [_glyph("a", 10, 15), {**_glyph("b", 17, 22), "bottom": 120.0, **after_break}]
    assert spaces_unambiguous(touching)
    assert spaces_unambiguous(blank_between)
    assert not spaces_unambiguous(hidden_blank)
    assert spaces_unambiguous(letter_spaced)
    assert spaces_unambiguous(word_break)
    assert spaces_unambiguous(other_line)


def test_fast_path_keeps_unruled_tables(embedded_books: dict[str, Path], tmp_path: Path) -> None:
    """A page without any drawn line can still hold a table set by alignment alone."""
    from tests.fixtures.tables_pdf import write_unruled

    pdf = tmp_path / "unruled.pdf"
    write_unruled(pdf)
    fast = extract_batch(str(pdf), 1, 1, tmp_path, fast=True)
    exact = extract_batch(str(pdf), 1, 1, tmp_path, fast=False)
    assert [t.strategy for t in exact.pages[0].tables] == ["text"]
    assert [t.rows for t in fast.pages[0].tables] == [t.rows for t in exact.pages[0].tables]


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

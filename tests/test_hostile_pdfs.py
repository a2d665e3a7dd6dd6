"""Hostile and broken PDFs at the extraction step: every parse under the limits in a guarded
process, pages looked up by number without building the whole document, damaged pages flagged
instead of published blank, a whole document bounded by its own deadline."""

from __future__ import annotations

import time
from pathlib import Path

import pdfplumber
import pytest

from flows.extract import (
    ExtractError,
    Limits,
    _batch_pages,
    extract_batch,
    extract_batch_to_file,
    measure_pages,
)
from tests.fixtures import bad_pdfs
from transforms.assemble.document import assemble_document
from transforms.records import DocumentInfo


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-pdfs")
    (folder / "bomb.pdf").write_bytes(bad_pdfs.inflating_xref_pdf(256 * 1024 * 1024))
    (folder / "hang.pdf").write_bytes(bad_pdfs.parser_bomb_pdf())
    for shape in bad_pdfs.PAGE_TREES:
        (folder / f"tree-{shape}.pdf").write_bytes(bad_pdfs.page_tree_pdf(shape, pages=40))
    for damage in bad_pdfs.DAMAGED_CONTENT:
        (folder / f"damaged-{damage}.pdf").write_bytes(bad_pdfs.damaged_content_pdf(damage))
    return folder


# ---------------------------------------------------------------- counting pages, guarded


def test_counting_the_pages_of_an_inflating_pdf_hits_the_memory_limit_not_the_run(pdfs) -> None:
    """A 0.3 MB file whose cross-reference stream inflates to 256 MB: pdfium needs about twice
    that to open it. Under a 300 MB cap the guarded count fails; this process never parses it."""
    with pytest.raises(ExtractError, match=r"counting pages: .*memory limit of 300 MB"):
        measure_pages(str(pdfs / "bomb.pdf"), None, Limits(time_seconds=120, memory_mb=300))
    assert measure_pages(str(pdfs / "bomb.pdf"), None, Limits(120, 3072)).pages == 1


def test_counting_pages_stops_at_the_documents_deadline(pdfs) -> None:
    with pytest.raises(
        ExtractError, match="counting pages: not started, the document's time limit"
    ):
        measure_pages(str(pdfs / "bomb.pdf"), None, Limits(120, 3072), deadline=time.time() - 1)


# ---------------------------------------------------------------- pages by number


@pytest.mark.parametrize("shape", bad_pdfs.PAGE_TREES)
def test_pages_by_number_are_the_pages_of_the_full_walk(pdfs, tmp_path, shape) -> None:
    """Whatever the page tree's shape, a batch gives the records of the same pages as the full
    walk over `pdf.pages` (which pdfminer numbers in its own way); a tree whose /Count lies or
    repeats a subtree is not looked up by number at all."""
    pdf = str(pdfs / f"tree-{shape}.pdf")
    counted = measure_pages(pdf)
    assert counted.direct == (shape in ("balanced", "one-page-subtrees"))
    walk = extract_batch(pdf, 1, 40, tmp_path, fast=False)
    for first, last in ((1, 7), (17, 29), (34, 40)):
        direct = extract_batch(pdf, first, last, tmp_path, direct=counted.direct)
        assert [p.text_raw for p in direct.pages] == [
            p.text_raw for p in walk.pages[first - 1 : last]
        ]
        assert all(f"page {p.page_number} of" in p.text_raw for p in direct.pages)


def test_a_batch_looked_up_by_number_does_not_build_every_page(pdfs) -> None:
    with pdfplumber.open(pdfs / "tree-balanced.pdf") as pdf:
        numbers = [n for n, page in _batch_pages(pdf, 38, 40, direct=True)]
        assert numbers == [38, 39, 40]
        assert not hasattr(pdf, "_pages")  # pdfplumber's list of all 40 pages was never made


# ---------------------------------------------------------------- damaged pages


@pytest.mark.parametrize("damage", bad_pdfs.DAMAGED_CONTENT)
@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "pdfplumber"])
def test_a_page_with_damaged_content_is_flagged_not_published_blank(
    pdfs, tmp_path, damage, fast
) -> None:
    batch = extract_batch(str(pdfs / f"damaged-{damage}.pdf"), 1, 3, tmp_path, fast=fast)
    assert [bool(p.problems) for p in batch.pages] == [False, True, False]
    assert all("Page 1 of the damaged" in batch.pages[0].text_raw for _ in [0])
    assert "Page 3 of the damaged" in batch.pages[2].text_raw
    doc = DocumentInfo("d", "0" * 16, "generic")
    piece = assemble_document(doc, batch.pages)
    assert [len(r["problems"]) > 0 for r in piece.pages] == [False, True, False]


def test_damaged_pages_make_the_document_partial_with_their_numbers() -> None:
    from transforms.assemble.document import DocumentAssembler
    from transforms.records import PageRecord

    doc = DocumentInfo("d", "0" * 16, "generic")
    assembler = DocumentAssembler(doc)
    pages = [
        PageRecord(
            n,
            595,
            842,
            f"text {n}",
            None,
            6,
            problems=["content stream 1 damaged (zlib)"] * (n in (3, 7)),
        )
        for n in range(1, 10)
    ]
    assembler.add_pages(pages)
    assert assembler.stats.warnings() == [
        "2 page(s) with damaged content, text may be missing: p.3, p.7"
    ]


# ---------------------------------------------------------------- the document's own deadline


def test_a_batch_gets_only_what_is_left_of_its_documents_deadline(pdfs, tmp_path) -> None:
    """The batch limit is 600 s, but the document has 3 s left: the batch is killed then."""
    started = time.monotonic()
    with pytest.raises(
        ExtractError, match=r"pages 1-2: gave up after 3s \(the document's time limit"
    ):
        extract_batch_to_file(
            str(pdfs / "hang.pdf"),
            1,
            2,
            tmp_path,
            limits=Limits(600, 3072),
            deadline=time.time() + 3,
        )
    assert time.monotonic() - started < 60
    with pytest.raises(ExtractError, match="pages 1-2: not started, the document's time limit"):
        extract_batch_to_file(
            str(pdfs / "hang.pdf"),
            1,
            2,
            tmp_path,
            limits=Limits(600, 3072),
            deadline=time.time() - 1,
        )
    assert list(tmp_path.iterdir()) == []


def test_the_guarded_count_stays_under_a_lower_cap_it_inherits(pdfs) -> None:
    """Run under an address-space cap lower than --memory-limit (a container, `ulimit -v`), a
    guarded worker keeps the lower cap instead of failing to raise it."""
    import subprocess
    import sys

    from tests.prefect_server import ROOT

    script = (
        "import resource, sys; cap = 1500 * 1024 * 1024\n"
        "resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
        "from flows.extract import measure_pages, Limits\n"
        f"print(measure_pages({str(pdfs / 'tree-balanced.pdf')!r}, None, Limits(60, 3072)).pages)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "40", done.stderr


def test_the_first_batch_reads_page_labels_when_pages_are_looked_up_by_number(tmp_path) -> None:
    pdf = tmp_path / "labelled.pdf"
    pdf.write_bytes(bad_pdfs.page_tree_pdf("balanced", pages=12, labels=True))
    counted = measure_pages(str(pdf))
    assert counted.direct
    batch = extract_batch(str(pdf), 1, 4, tmp_path, direct=True)
    assert batch.page_labels[:5] == ["i", "ii", "1", "2", "3"]

"""Japanese pages that are not plain horizontal text: vertical writing, margin tabs, scans read by
OCR, fonts with wrong character maps, and 目次 pages that must not get a page label.

Every PDF is generated (tests/fixtures/japanese_pages.py) so the expected text is known. The OCR
tests need Debian's Tesseract with its Japanese models (installed by .ci/run) and skip without.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pdfplumber
import pytest

from flows.extract import extract_batch
from tests.fixtures import japanese_pages as jp
from tests.fixtures.pdfgen import ipaex_available
from transforms.assemble.document import assemble_document
from transforms.extract.page import extract_page, footer_label
from transforms.extract.vertical import has_vertical_run
from transforms.normalize.glyphs import DocumentWords, count_suspect, is_rare, jis_level
from transforms.records import DocumentInfo

DOC = DocumentInfo(source_id="s", doc_id="d" * 16, kind="generic")


def similarity(a: str, b: str) -> float:
    import difflib

    a, b = re.sub(r"\s+", "", a), re.sub(r"\s+", "", b)
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _tesseract_problem() -> str | None:
    from flows.ocr import tesseract_problem

    return tesseract_problem()


needs_tesseract = pytest.mark.skipif(
    _tesseract_problem() is not None, reason=str(_tesseract_problem())
)
needs_ipaex = pytest.mark.skipif(not ipaex_available(), reason="apt-get install fonts-ipaexfont")


def _records(path: Path):
    with pdfplumber.open(path) as pdf:
        return [extract_page(page) for page in pdf.pages]


# -- vertical writing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tiers", "header"), [(1, False), (1, True), (2, False), (2, True)], ids=str
)
def test_vertical_page_reads_columns_right_to_left(tmp_path: Path, tiers: int, header: bool):
    path = tmp_path / "v.pdf"
    truth = jp.write_vertical_page(path, tiers=tiers, header=header)
    [record] = _records(path)
    assert similarity(record.text_raw, truth.text) >= 0.95
    lines = record.text_raw.splitlines()
    # each column is one line, whole; the header (horizontal) comes first
    assert jp.GAZETTE_COLUMNS[0] in lines and jp.GAZETTE_COLUMNS[1] in lines
    if header:
        assert lines[0].replace(" ", "") == jp.HEADER.replace(" ", "")
    if tiers == 2:  # the upper tier is read whole before the lower one
        assert lines.index(jp.GAZETTE_COLUMNS[7]) < lines.index(jp.LOWER_TIER_COLUMNS[0])
    assert record.tables == []  # columns of vertical text are no table


def test_plain_pdfplumber_scrambles_the_same_page(tmp_path: Path) -> None:
    """The check above can fail: reading the page as horizontal lines is far from the truth."""
    path = tmp_path / "v.pdf"
    truth = jp.write_vertical_page(path)
    with pdfplumber.open(path) as pdf:
        plain = pdf.pages[0].extract_text()
    assert similarity(plain, truth.text) < 0.5


def test_margin_tab_leaves_the_horizontal_text_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "tab.pdf"
    truth = jp.write_margin_tab_page(path)
    [record] = _records(path)
    lines = record.text_raw.splitlines()
    assert lines[: len(jp.BODY_LINES)] == [line for line in jp.BODY_LINES]
    assert lines[-1] == jp.TAB_TEXT
    assert similarity(record.text_raw, truth.text) >= 0.95


def test_horizontal_pages_are_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "h.pdf"
    jp.write_horizontal_page(path)
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        assert not has_vertical_run(page.chars)
        assert extract_page(page).text_raw == page.extract_text(layout=False)


def test_vertical_pages_take_the_full_path_and_read_the_same(tmp_path: Path) -> None:
    """The pdfium fast path sends any page with a vertical run to pdfplumber, so the datasets do
    not depend on which path a page took."""
    path = tmp_path / "mixed.pdf"
    jp.write_margin_tab_page(path)
    fast = extract_batch(str(path), 1, 1, tmp_path / "w", fast=True, ocr="off")
    exact = extract_batch(str(path), 1, 1, tmp_path / "w", fast=False, ocr="off")
    assert fast.pages[0].text_raw == exact.pages[0].text_raw
    assert fast.pages[0].text_raw.splitlines()[-1] == jp.TAB_TEXT


# -- page labels ----------------------------------------------------------------------------------


def test_toc_page_gets_no_label_from_its_last_entry(tmp_path: Path) -> None:
    path = tmp_path / "toc.pdf"
    jp.write_toc_page(path)
    toc, body = _records(path)
    assert toc.text_raw.splitlines()[-1] == "5"  # the trap: a lone number at the foot
    assert footer_label(toc.text_raw) == "5"  # what the text alone would say
    assert toc.footer_label is None
    assert body.footer_label == "1"
    rows = assemble_document(DOC, [toc, body]).pages
    assert [r["page_label"] for r in rows] == [None, "1"]


def test_figure_under_a_table_is_no_page_number() -> None:
    from transforms.records import RawTable

    chars = [
        {"text": t, "x0": x, "x1": x + 6, "top": 700.0, "bottom": 710.0}
        for x, t in ((500.0, "3"), (506.0, "5"), (512.0, "8"))
    ]
    table = RawTable(
        bbox=(60.0, 600.0, 530.0, 720.0), rows=[["合計", "358"]], cell_boxes=[], strategy="lines"
    )
    assert footer_label("合計\n358", chars, [table]) is None
    assert footer_label("合計\n358", chars, []) == "358"


# -- suspicious glyphs ----------------------------------------------------------------------------


def test_glyph_sets() -> None:
    assert jis_level("都") == 1 and jis_level("郤") == 2 and jis_level("邴") is None
    assert is_rare("邴") and is_rare("郸") and not is_rare("都") and not is_rare("酬")
    assert not is_rare("塡") and not is_rare("𠮟")  # 常用漢字 outside JIS X 0208
    assert not is_rare("あ") and not is_rare("①") and not is_rare("⼾")  # not ideographs / radical
    assert count_suspect("5項 邴市計画税 報郸") == 2


def test_uncommon_kanji_with_a_common_twin_elsewhere_is_suspect() -> None:
    words = DocumentWords()
    words.add("配偶者控除の見直し")
    assert words.confirmed("中国残留婦人郤偶者支援") == ["郤"]
    assert words.confirmed("遡及適用") == []  # a level-2 kanji without a twin stays


@needs_ipaex
def test_mismapped_font_is_counted_per_page_and_cell(tmp_path: Path) -> None:
    path = tmp_path / "mis.pdf"
    jp.write_mismapped_page(path)
    [record] = _records(path)
    assert record.text_raw.splitlines() == jp.MISMAPPED_TEXT
    assert [s.word for s in record.suspects] == ["邴市計画税", "邴市計画税", "報郸"]
    [row] = assemble_document(DOC, [record]).pages
    assert row["n_suspect"] == 3
    assert [w["word"] for w in row["suspect_words"]] == ["邴市計画税", "邴市計画税", "報郸"]


@needs_ipaex
@needs_tesseract
def test_suspect_words_are_checked_against_ocr_of_their_spot(tmp_path: Path) -> None:
    path = tmp_path / "mis.pdf"
    jp.write_mismapped_page(path)
    [record] = extract_batch(str(path), 1, 1, tmp_path / "w").pages
    assert record.text_source == "pdf"  # the text layer stays; OCR only reads the spots
    assert [(s.word, s.ocr) for s in record.suspects] == [
        ("邴市計画税", "都市計画税"),
        ("邴市計画税", "都市計画税"),
        ("報郸", "報酬"),
    ]


# -- OCR ------------------------------------------------------------------------------------------


@needs_tesseract
@pytest.mark.parametrize("vertical", [False, True], ids=["horizontal", "vertical"])
def test_scanned_page_is_read_by_ocr(tmp_path: Path, vertical: bool) -> None:
    source = tmp_path / "clean.pdf"
    truth = jp.write_vertical_page(source) if vertical else jp.write_horizontal_page(source)
    scan = tmp_path / "scan.pdf"
    jp.write_image_only(source, scan, dpi=300)
    [record] = extract_batch(str(scan), 1, 1, tmp_path / "w").pages
    assert record.n_chars == 0 and record.text_source == "ocr"
    assert record.ocr_confidence is not None and record.ocr_confidence > 50
    assert similarity(record.text_raw, truth.text) >= 0.85


@needs_tesseract
def test_ocr_modes(tmp_path: Path) -> None:
    source = tmp_path / "clean.pdf"
    jp.write_horizontal_page(source)
    scan = tmp_path / "scan.pdf"
    jp.write_image_only(source, scan)
    [off] = extract_batch(str(scan), 1, 1, tmp_path / "w", ocr="off").pages
    assert off.text_raw == "" and off.text_source == "pdf" and "OCR is off" in off.ocr_error
    [forced] = extract_batch(str(source), 1, 1, tmp_path / "w", ocr="force").pages
    assert forced.text_source == "ocr" and forced.n_chars > 0
    [auto] = extract_batch(str(source), 1, 1, tmp_path / "w", ocr="auto").pages
    assert auto.text_source == "pdf"  # a text layer is never replaced in auto


@needs_tesseract
@pytest.mark.usefixtures("prefect_harness")
def test_scanned_document_is_published_ok_with_ocr_text(tmp_path: Path) -> None:
    from flows.runner import run_refresh

    source = tmp_path / "clean.pdf"
    jp.write_horizontal_page(source)
    scan = tmp_path / "scan.pdf"
    jp.write_image_only(source, scan)
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        f'[[source]]\nid = "scan"\ntitle = "scan"\npublisher = "x"\nkind = "generic"\nurl = "{scan}"\n',
        encoding="utf-8",
    )
    data = tmp_path / "data"
    for mode, status in (("off", "partial"), ("auto", "ok")):
        state, result = run_refresh(
            catalog=str(catalog), data_dir=str(data), workers=1, ocr=mode, force=True
        )
        assert result is not None, state.message
        con = duckdb.connect()
        doc = con.execute(
            f"SELECT status, warnings FROM '{data}/processed/documents/scan.parquet' WHERE is_current"
        ).fetchone()
        assert doc[0] == status, doc
    page = con.execute(
        f"SELECT text, text_source, ocr_confidence, n_chars FROM '{data}/processed/pages/scan.parquet'"
    ).fetchone()
    assert page[1] == "ocr" and page[2] > 50 and page[3] == 0
    assert "サイバーセキュリティ" in page[0]


@needs_tesseract
def test_ocr_stops_within_the_batch_time_budget(tmp_path: Path) -> None:
    """OCR runs inside the guarded worker: past the batch's budget it stops (Tesseract is given
    the time left, then pages are skipped), so the batch still ends in time, its pages saying why."""
    from flows.extract import Limits

    source = tmp_path / "clean.pdf"
    jp.write_horizontal_page(source)
    scan = tmp_path / "scan.pdf"
    jp.write_image_only(source, scan, dpi=150)
    from pypdfium2 import PdfDocument

    one = PdfDocument(str(scan))
    many = PdfDocument.new()
    for _ in range(16):
        many.import_pages(one, [0])
    many.save(str(tmp_path / "many.pdf"))
    # 8 s leave OCR 3 s: fewer than 16 pages of Tesseract on any machine, yet room for the
    # worker's start-up, so the batch ends in time either way.
    batch = extract_batch(str(tmp_path / "many.pdf"), 1, 16, tmp_path / "w", limits=Limits(8, 3072))
    errors = [p.ocr_error or "" for p in batch.pages]
    assert any("time budget" in e or "timeout" in e for e in errors), errors


@needs_tesseract
@needs_ipaex
def test_spots_read_in_one_tesseract_run_come_back_in_order() -> None:
    """Suspect words are read together (one model load per page): each reading must stay with
    its own image."""
    from PIL import Image, ImageDraw, ImageFont

    from flows.ocr import HORIZONTAL, read_images
    from tests.fixtures.pdfgen import IPAEX_GOTHIC

    font = ImageFont.truetype(str(IPAEX_GOTHIC), 64)

    def word(text: str) -> Image.Image:
        image = Image.new("L", (64 * len(text) + 60, 110), 255)
        ImageDraw.Draw(image).text((30, 20), text, font=font, fill=0)
        return image

    texts = read_images([word("都市計画"), word("報酬"), word("東京都")], HORIZONTAL, 7, 60)
    assert ["".join(t.split()) for t in texts] == ["都市計画", "報酬", "東京都"]

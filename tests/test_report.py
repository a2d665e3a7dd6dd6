"""The visual report: what goes on each page (pure model), and the files `teian report` writes.

The model tests build dataset rows by hand; the report tests run the flow on the bundled sample
once and check the written HTML as a reader would depend on it: links resolve, every cell is on
its table's page, boxes sit where the tables are, nothing needs a network.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image
from typer.testing import CliRunner

from flows.cli import app
from report import ReportError, build_report, inspect_page
from report.html import render_document_page, render_index, render_table_page
from report.model import (
    Box,
    body_rows,
    build_document_report,
    column_headers,
    page_overlays,
    summarize_document,
)
from report.render import render_page

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
DOC = "d" * 16


# --------------------------------------------------------------------------- rows


def doc_row(**kw) -> dict:
    row = {
        "source_id": "src",
        "doc_id": DOC,
        "sha256": DOC * 4,
        "title": "令和7年度 提案要求",
        "publisher": "東京都",
        "kind": "teian",
        "fiscal_year": 2025,
        "edition": "spring",
        "url": "x.pdf",
        "status": "ok",
        "error": None,
        "is_current": True,
        "warnings": [],
        "page_count": 3,
        "n_tables": 1,
        "n_requests": 1,
        "retrieved_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    row.update(kw)
    return row


def page_row(n: int, **kw) -> dict:
    row = {
        "doc_id": DOC,
        "page_number": n,
        "page_label": None,
        "text": f"page {n}",
        "width": 595.0,
        "height": 842.0,
        "n_chars": 100,
        "n_unreadable": 0,
        "n_tables": 0,
    }
    row.update(kw)
    return row


def cell_row(
    row: int,
    col: int,
    page: int,
    box: tuple[float, float, float, float] | None,
    text: str = "",
    **kw,
) -> dict:
    x0, top, x1, bottom = box if box else (None, None, None, None)
    cell = {
        "doc_id": DOC,
        "table_id": "t1",
        "page_number": page,
        "row": row,
        "col": col,
        "text": text,
        "text_raw": text,
        "header": None,
        "row_label": None,
        "value": None,
        "unit": None,
        "value_yen": None,
        "is_header": row == 0,
        "spanned": False,
        "note": None,
        "x0": x0,
        "top": top,
        "x1": x1,
        "bottom": bottom,
    }
    cell.update(kw)
    return cell


def stitched_table() -> tuple[dict, list[dict]]:
    """A 3×2 table: header and one row on p.2 (box 50–250 × 600–640), one more row on p.3 at the top."""
    table = {
        "doc_id": DOC,
        "table_id": "t1",
        "page_first": 2,
        "page_last": 3,
        "x0": 50.0,
        "top": 600.0,
        "x1": 250.0,
        "bottom": 640.0,
        "n_rows": 3,
        "n_cols": 2,
        "header_rows": 1,
        "caption": "（単位：千円）",
        "unit": "千円",
        "strategy": "lines",
        "item_seq": 1,
    }
    cells = [
        cell_row(0, 0, 2, (50, 600, 150, 620), "区分"),
        cell_row(0, 1, 2, (150, 600, 250, 620), "本年度"),
        cell_row(1, 0, 2, (50, 620, 150, 640), "耐震化", header="区分", row_label="耐震化"),
        cell_row(
            1,
            1,
            2,
            (150, 620, 250, 640),
            "1,250",
            header="本年度",
            row_label="耐震化",
            value=1250.0,
            unit="千円",
            value_yen=1_250_000,
        ),
        cell_row(2, 0, 3, (50, 80, 150, 100), "不燃化", header="区分", row_label="不燃化"),
        cell_row(
            2,
            1,
            3,
            (150, 80, 250, 100),
            "△50",
            header="本年度",
            row_label="不燃化",
            value=-50.0,
            unit="千円",
            value_yen=-50_000,
        ),
    ]
    return table, cells


def request_row(**kw) -> dict:
    row = {
        "doc_id": DOC,
        "item_seq": 1,
        "item_no": "1",
        "title": "首都直下地震等に備えた防災対策の推進",
        "category": "Ⅰ 安全・安心",
        "targets": ["内閣府", "総務省"],
        "bureaus": ["総務局"],
        "tags": ["disaster"],
        "demands": ["a", "b"],
        "page_first": 2,
        "page_last": 3,
        "page_label_first": "1",
    }
    row.update(kw)
    return row


def sample_model(render: str = "marked"):
    table, cells = stitched_table()
    pages = [
        page_row(1),
        page_row(2, n_tables=1),
        page_row(3, n_tables=1),
        page_row(4),
        page_row(5, n_unreadable=3),
        page_row(6, n_chars=0),
    ]
    summary = summarize_document("src", [doc_row()], n_cells=len(cells))
    return build_document_report(summary, pages, [table], cells, [request_row()], render=render)


# --------------------------------------------------------------------------- model


def test_summary_shows_published_version_and_a_newer_failure() -> None:
    history = [
        doc_row(status="partial", warnings=["item 3: no targets"]),
        doc_row(
            status="failed", is_current=False, error="fetch: HTTP 404", doc_id=None, sha256=None
        ),
    ]
    s = summarize_document("src", history)
    assert (s.status, s.published, s.doc_id, s.versions) == ("partial", True, DOC, 2)
    assert s.last_failure == "fetch: HTTP 404"
    assert s.warnings == ["item 3: no targets"]
    assert s.href == "src/index.html"


def test_summary_of_a_source_never_published_is_failed_without_a_page() -> None:
    s = summarize_document(
        "src", [doc_row(status="failed", is_current=False, error="extract: encrypted")]
    )
    assert (s.status, s.published, s.doc_id) == ("failed", False, None)
    assert s.last_failure == "extract: encrypted"


def test_table_grid_places_cells_and_reports_gaps() -> None:
    table, cells = stitched_table()
    doc = build_document_report(summarize_document("src", [doc_row()]), [], [table], cells[:-1])
    view = doc.tables[0]
    assert (view.label, view.pages, view.n_numeric, view.n_money) == ("T1", "2–3", 1, 1)
    assert view.grid[1][1].text == "1,250" and view.grid[2][1] is None
    assert view.row_pages == [2, 2, 3]
    assert view.problems == ["5 cells published for 3×2 rows×columns"]
    assert column_headers(view) == ["区分", "本年度"]
    assert [[c.text for c in r] for r in body_rows(view, page_number=2)] == [["耐震化", "1,250"]]


def test_cells_outside_the_table_box_are_a_problem() -> None:
    table, cells = stitched_table()
    cells[2] = {**cells[2], "x0": 20.0}  # sticks out left of the box on p.2
    view = build_document_report(summarize_document("src", [doc_row()]), [], [table], cells).tables[
        0
    ]
    assert "1 cell(s) on p.2 lie outside the table's box" in view.problems


def test_overlays_use_the_table_box_on_its_first_page_and_cell_span_after() -> None:
    doc = sample_model()
    first = page_overlays(2, doc.tables)
    assert len(first) == 1 and not first[0].continued
    assert first[0].box == Box(50.0, 600.0, 250.0, 640.0)
    assert first[0].header_cells == [Box(50, 600, 150, 620), Box(150, 600, 250, 620)]
    assert len(first[0].cells) == 2
    cont = page_overlays(3, doc.tables)
    assert cont[0].continued and cont[0].box == Box(50, 80, 250, 100)
    assert cont[0].href == "tables/t1.html"
    assert page_overlays(1, doc.tables) == [] and page_overlays(4, doc.tables) == []


def test_marked_pages_get_images_plain_text_pages_do_not() -> None:
    doc = sample_model()
    # 1 cover, 2–3 table (and item start on 2), 5 unreadable glyphs, 6 no text layer; 4 is plain text
    assert doc.pages_to_render() == [1, 2, 3, 5, 6]
    assert sample_model("all").pages_to_render() == [1, 2, 3, 4, 5, 6]
    assert sample_model("none").pages_to_render() == []
    with pytest.raises(ValueError):
        sample_model("some")


def test_items_link_to_their_first_page_and_tables() -> None:
    doc = sample_model()
    (item,) = doc.items
    assert (item.item_no, item.page_first, item.page_label_first, item.n_demands) == (
        "1",
        2,
        "1",
        2,
    )
    assert item.targets == ["内閣府", "総務省"] and item.table_labels == ["T1"]
    assert doc.pages[1].items_starting == [1] and doc.pages[2].items_starting == []
    assert doc.tag_counts == [("disaster", 1)]
    assert doc.target_counts == [("内閣府", 1), ("総務省", 1)]


def test_rows_of_an_older_version_are_left_out() -> None:
    table, cells = stitched_table()
    old = {**table, "doc_id": "old", "table_id": "t0"}
    summary = summarize_document("src", [doc_row()])
    doc = build_document_report(
        summary, [page_row(2), {**page_row(9), "doc_id": "old"}], [old, table], cells
    )
    assert [t.table_id for t in doc.tables] == ["t1"]
    assert [p.page_number for p in doc.pages] == [2]


def test_long_page_text_is_cut_for_the_report() -> None:
    summary = summarize_document("src", [doc_row()])
    doc = build_document_report(summary, [page_row(1, text="あ" * 5000)], [], [])
    assert len(doc.pages[0].text) == 601 and doc.pages[0].text.endswith("…")


def test_suspicious_words_and_ocr_pages_are_listed() -> None:
    summary = summarize_document("src", [doc_row()])
    word = {
        "word": "邴市計画税",
        "ocr": "都市計画税",
        "x0": 1.0,
        "top": 2.0,
        "x1": 3.0,
        "bottom": 4.0,
    }
    pages = [
        page_row(1),
        page_row(2, n_suspect=1, suspect_words=[word]),
        page_row(3, n_chars=0, text_source="ocr", ocr_confidence=91.5),
    ]
    doc = build_document_report(summary, pages, [], [])
    assert [p.render for p in doc.pages] == [True, True, True]  # p.1 as the cover
    html = render_document_page(doc, {}, 1.0, None, [])
    assert "Suspicious glyphs (1)" in html
    assert "<td>邴市計画税</td><td>都市計画税</td>" in html
    assert "text read by OCR (confidence 91.5)" in html
    assert "<b>1</b> pages read by OCR" in html


# --------------------------------------------------------------------------- HTML (no files)


def test_html_escapes_every_text_and_declares_japanese() -> None:
    table, cells = stitched_table()
    cells[3] = {**cells[3], "text": "<script>alert(1)</script>"}
    summary = summarize_document(
        "src", [doc_row(title='<img src=x onerror="1">', warnings=["a & <b>"])]
    )
    doc = build_document_report(
        summary,
        [page_row(2, text="</pre><script>")],
        [table],
        cells,
        [request_row(title="<i>x</i>", targets=["<省>"])],
    )
    pages = [
        render_index([summary], "now", []),
        render_document_page(doc, {2: "p2.png"}, 1.0, "../raw.pdf", []),
        render_table_page(doc, doc.tables[0], {2: "p2.png"}, 1.0, None),
    ]
    for text in pages:
        assert '<html lang="ja">' in text and "IPAexGothic" in text and "Noto Sans CJK JP" in text
        assert "<script>" not in text and "<img src=x" not in text and "<i>x" not in text
        assert "http://" not in text and "https://" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[2]
    assert "a &amp; &lt;b&gt;" in pages[1] and "&lt;省&gt;" in pages[1]


def test_huge_texts_are_folded_not_dropped() -> None:
    title = "<目次>" + "あ" * 5000
    summary = summarize_document("src", [doc_row(warnings=[f"item 1: title {title!r}"])])
    doc = build_document_report(summary, [page_row(2)], [], [], [request_row(title=title)])
    text = render_document_page(doc, {}, 1.0, None, [])
    assert text.count('<details class="long">') == 3  # the warning, the items list, the page
    assert text.count("&lt;目次&gt;" + "あ" * 5000) == 3  # still all there, once opened


def test_document_page_draws_boxes_where_the_tables_are() -> None:
    doc = sample_model()
    text = render_document_page(doc, {2: "p2.png", 3: "p3.png"}, 1.0, None, [])
    assert '<svg viewBox="0 0 595.00 842.00"' in text
    assert '<rect class="box" x="50.0" y="600.0" width="200.0" height="40.0"' in text
    assert (
        '<rect class="box cont" x="50.0" y="80.0" width="200.0" height="20.0"' in text
    )  # continued on p.3
    assert text.count('<a href="tables/t1.html">') >= 3  # two overlays and the tables list
    assert 'href="#p-2"' in text  # the item links to its first page
    assert 'id="p-4"' in text and 'src="pages/p4' not in text  # a plain page: text only


# --------------------------------------------------------------------------- written report


def run_sample_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample catalog run through the flow once per test session (needs a Prefect API)."""
    from flows.runner import run_refresh

    root = tmp_path_factory.getbasetemp() / "report-sample"
    data_dir = root / "data"
    if not (data_dir / "processed" / "documents").exists():
        shutil.copytree(SAMPLES, root / "samples", dirs_exist_ok=True)
        state, result = run_refresh(
            catalog=str(root / "samples" / "catalog.toml"), data_dir=str(data_dir), workers=1
        )
        assert result is not None, state.message
    return data_dir


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory: pytest.TempPathFactory, prefect_harness) -> Path:
    return run_sample_catalog(tmp_path_factory)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.refs.append(value)


def links(path: Path) -> list[str]:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.refs


def test_report_files_link_to_each_other_and_need_no_network(
    sample_data: Path, tmp_path: Path
) -> None:
    result = build_report(sample_data, tmp_path / "report")
    html_files = sorted((tmp_path / "report").rglob("*.html"))
    assert result.documents == 2 and result.index == tmp_path / "report" / "index.html"
    assert len(html_files) == 1 + 2 + 2  # index, two documents, one table each
    for page in html_files:
        for ref in links(page):
            parts = urlsplit(ref)
            assert parts.scheme == "" and parts.netloc == "", f"{page.name}: {ref}"
            if parts.path:
                target = (page.parent / unquote(parts.path)).resolve()
                assert target.exists(), f"{page.relative_to(tmp_path)} links to missing {ref}"
            if parts.fragment.startswith("p-") and parts.path in ("", "../index.html"):
                anchor_page = page if not parts.path else (page.parent / parts.path)
                assert f'id="{parts.fragment}"' in anchor_page.read_text(encoding="utf-8")
    # teian: cover, p.3 (table, items 1-2), p.4 (item 3); budget: cover, the two table pages
    assert result.pages_rendered == 6
    assert result.bytes_written < 1_000_000
    again = build_report(sample_data, tmp_path / "report")
    assert (again.pages_rendered, again.pages_reused) == (0, 6)


def test_every_cell_is_on_its_table_page(sample_data: Path, tmp_path: Path) -> None:
    build_report(sample_data, tmp_path / "report")
    cells = pq.read_table(
        sample_data / "processed" / "cells" / "sample-budget-r8.parquet"
    ).to_pylist()
    page = tmp_path / "report" / "sample-budget-r8" / "tables" / f"{cells[0]['table_id']}.html"
    text = page.read_text(encoding="utf-8")
    for cell in cells:
        assert f">{cell['text']}<" in text, cell
    assert "-28,000,000" in text  # value_yen of 地方譲与税's 比較, as published
    assert "p.3" in text  # the table continues on the next page: marked in the grid


def test_only_writes_one_document_and_keeps_the_index_whole(
    sample_data: Path, tmp_path: Path
) -> None:
    result = build_report(sample_data, tmp_path / "r", only=["sample-teian-r7"])
    assert result.documents == 1
    assert not (tmp_path / "r" / "sample-budget-r8").exists()
    index = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "sample-budget-r8" in index and "富士見市" in index
    teian = (tmp_path / "r" / "sample-teian-r7" / "index.html").read_text(encoding="utf-8")
    for expected in (
        "首都直下地震等に備えた防災対策の推進",
        "国土交通省",
        "都市整備局",
        "disaster",
    ):
        assert expected in teian
    assert "提案要求先: " in teian and "国土交通省 2" in teian  # ministries counted over items
    with pytest.raises(ReportError, match="nope"):
        build_report(sample_data, tmp_path / "r", only=["nope"])


def test_missing_raw_pdf_still_gives_a_report(sample_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(sample_data / "processed", data / "processed")
    result = build_report(data)
    assert result.pages_rendered == 0
    assert any("raw PDF" in p for p in result.problems)
    assert "text only" in (data / "report" / "sample-budget-r8" / "index.html").read_text(
        encoding="utf-8"
    )


def _red_bbox(image) -> tuple[int, int, int, int] | None:
    """Bounding box of the overlay's red pixels (the table frame and its label)."""
    pixels = np.asarray(image.convert("RGB")).astype(int)
    red = (pixels[..., 0] > 190) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)
    ys, xs = np.nonzero(red)
    return (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())) if xs.size else None


def test_inspect_png_frames_the_table_printed_on_the_page(
    sample_data: Path, tmp_path: Path
) -> None:
    tables = pq.read_table(
        sample_data / "processed" / "tables" / "sample-teian-r7.parquet"
    ).to_pylist()
    (table,) = tables
    png = tmp_path / "p.png"
    found = inspect_page(sample_data, "sample-teian-r7", table["page_first"], png, scale=2.0)
    drawn = Image.open(png)
    assert drawn.size == (round(found.page.width * 2), round(found.page.height * 2))
    x0, top, x1, bottom = (v * 2 for v in (table["x0"], table["top"], table["x1"], table["bottom"]))
    # a strip across the lower part of the table, below the label drawn at its top-left
    box = _red_bbox(drawn.crop((0, round(bottom) - 20, drawn.width, round(bottom) + 20)))
    assert box is not None
    assert abs(box[0] - x0) <= 4 and abs(box[2] - x1) <= 4  # red frame on the table's edges
    assert abs(box[3] + round(bottom) - 20 - bottom) <= 4
    # the page itself has the table's ruling where the frame is drawn: dark pixels along its top edge
    raw = sample_data / "raw" / "sample-teian-r7" / f"{found.doc.summary.sha256}.pdf"
    plain = render_page(raw, table["page_first"], 2.0).convert("L")
    row = [plain.getpixel((x, round(top))) for x in range(round(x0) + 5, round(x1) - 5)]
    row += [plain.getpixel((x, round(top) + 1)) for x in range(round(x0) + 5, round(x1) - 5)]
    assert sum(1 for v in row if v < 128) > 0.4 * len(row) / 2


def test_cli_report_and_inspect(sample_data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli-report"
    done = runner.invoke(app, ["report", "--data-dir", str(sample_data), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "Open file://" in done.output and (out / "index.html").exists()
    bad = runner.invoke(
        app, ["report", "--data-dir", str(sample_data), "--only", "nope", "--out", str(out)]
    )
    assert bad.exit_code == 2 and "nope" in bad.output
    empty = runner.invoke(app, ["report", "--data-dir", str(tmp_path / "none")])
    assert empty.exit_code == 2 and "teian run" in empty.output
    png = tmp_path / "b.png"
    shown = runner.invoke(
        app,
        [
            "inspect",
            "sample-budget-r8",
            "--page",
            "3",
            "--data-dir",
            str(sample_data),
            "--png",
            str(png),
        ],
    )
    assert shown.exit_code == 0, shown.output
    assert "農林水産業費" in shown.output and "△700,000" in shown.output and png.exists()
    assert "市税" not in shown.output  # printed on p.2, not on this page
    far = runner.invoke(
        app, ["inspect", "sample-budget-r8", "--page", "99", "--data-dir", str(sample_data)]
    )
    assert far.exit_code == 2 and re.search(r"out of range 1–3", far.output)


def test_labels_of_nested_tables_do_not_hide_each_other() -> None:
    table, cells = stitched_table()
    inner = {**table, "table_id": "t2", "page_last": 2, "x1": 150.0}
    summary = summarize_document("src", [doc_row()])
    doc = build_document_report(summary, [page_row(2)], [table, inner], cells)
    text = render_document_page(doc, {2: "p2.png"}, 1.0, None, [])
    labels = re.findall(r'<rect class="label" x="([\d.]+)" y="([\d.]+)"', text)
    assert len(labels) == 2 and len(set(labels)) == 2
    assert all(
        float(x) < 50.0 for x, _ in labels
    )  # in the margin left of the boxes, not on the cells

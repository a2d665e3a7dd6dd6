"""Table extraction end to end on generated PDFs whose cells we know, plus the grid rules alone."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from tests.fixtures import tables_pdf
from transforms.assemble.cells import read_grid
from transforms.assemble.document import assemble_document
from transforms.assemble.table import TableGrid, table_cells
from transforms.extract import ruled as ruled_mod
from transforms.extract import unruled as unruled_mod
from transforms.extract.page import extract_page
from transforms.records import DocumentInfo, PageRecord, RawTable

DOC = DocumentInfo("test", "0123456789abcdef", "generic")


def assembled(pages: list[PageRecord]) -> dict[str, list[dict]]:
    piece = assemble_document(DOC, pages)
    return {"pages": piece.pages, "tables": piece.tables, "cells": piece.cells}


def records(path: Path) -> dict[str, list[dict]]:
    with pdfplumber.open(path) as pdf:
        pages = [extract_page(page) for page in pdf.pages]
    return assembled(pages)


def cells_of(recs: dict, table_id: str) -> dict[tuple[int, int], dict]:
    return {(c["row"], c["col"]): c for c in recs["cells"] if c["table_id"] == table_id}


def texts(cells: dict[tuple[int, int], dict]) -> list[list[str | None]]:
    n_rows = max(r for r, _ in cells) + 1
    n_cols = max(c for _, c in cells) + 1
    return [[cells[(r, c)]["text"] for c in range(n_cols)] for r in range(n_rows)]


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tables")
    out = {}
    for name in (
        "header_spans",
        "continued",
        "stacked_and_wrapped",
        "side_by_side",
        "unruled",
        "prose",
        "group_rules",
        "shaded",
        "spread",
        "boxes",
        "list_pages",
        "open_sided",
        "banded",
        "chart",
    ):
        path = folder / f"{name}.pdf"
        getattr(tables_pdf, f"write_{name}")(path)
        out[name] = path
    return out


def test_multi_row_header_with_spanning_cell(pdfs: dict[str, Path]) -> None:
    recs = records(pdfs["header_spans"])
    assert len(recs["tables"]) == 1
    table = recs["tables"][0]
    assert table["header_rows"] == 2
    assert table["unit"] == "千円"
    assert "事業別予算額" in table["caption"]
    cells = cells_of(recs, table["table_id"])
    assert texts(cells) == [
        ["区分", "予算額", "予算額", "備考"],
        ["区分", "本年度", "前年度", "備考"],
        ["耐震化助成", "1,250,000", "1,300,000", "縮小"],
        ["不燃化促進", "830,500", "700,000", "拡充"],
    ]
    # the spanning cells are printed once, their copies are flagged
    assert [cells[(0, c)]["spanned"] for c in range(4)] == [False, False, True, False]
    assert cells[(1, 0)]["spanned"] and cells[(1, 3)]["spanned"]
    assert not cells[(1, 1)]["spanned"]
    assert [cells[(2, c)]["header"] for c in range(4)] == [
        "区分",
        "予算額 / 本年度",
        "予算額 / 前年度",
        "備考",
    ]
    assert cells[(2, 1)]["value_yen"] == 1_250_000_000
    assert cells[(3, 2)]["value"] == 700_000 and cells[(3, 2)]["unit"] == "千円"
    assert cells[(3, 1)]["row_label"] == "不燃化促進"
    assert cells[(0, 1)]["is_header"] and not cells[(2, 1)]["is_header"]


def test_continued_table_is_one_table_without_repeated_header(pdfs: dict[str, Path]) -> None:
    recs = records(pdfs["continued"])
    assert len(recs["tables"]) == 1
    table = recs["tables"][0]
    assert (table["page_first"], table["page_last"]) == (1, 2)
    assert table["n_rows"] == 1 + len(tables_pdf.CONTINUED_BODY)
    assert table["caption"] == "(単位:千円)"
    cells = cells_of(recs, table["table_id"])
    grid = texts(cells)
    assert grid[0] == tables_pdf.CONTINUED_HEADER
    assert grid[1:] == tables_pdf.CONTINUED_BODY
    assert sum(1 for c in cells.values() if c["text"] == "事業名") == 1
    last = cells[(table["n_rows"] - 1, 2)]
    assert last["page_number"] == 2
    assert last["value_yen"] == 40_000_000
    assert last["header"] == "本年度"
    assert last["row_label"] == "事業40"
    number = cells[(table["n_rows"] - 1, 0)]
    assert number["value"] == 40 and number["value_yen"] is None  # 番号 is an ordinal, not 千円


def test_stacked_row_label_and_wrapped_cell(pdfs: dict[str, Path]) -> None:
    recs = records(pdfs["stacked_and_wrapped"])
    assert len(recs["tables"]) == 1
    cells = cells_of(recs, recs["tables"][0]["table_id"])
    assert texts(cells) == [
        ["年度", "区分", "金額"],
        ["本年度", "耐震化助成", "1,250"],
        ["本年度", "木造住宅密集地域改善事業", "830"],
        ["本年度", "合計", "2,080"],
    ]
    assert not cells[(1, 0)]["spanned"]
    assert cells[(2, 0)]["spanned"] and cells[(3, 0)]["spanned"]
    # a figure's line is its own (耐震化助成), under the stacked label spanning its rows
    assert cells[(1, 2)]["row_label"] == "耐震化助成"
    assert cells[(1, 2)]["row_path"] == "本年度 / 耐震化助成"
    # the 合計 line totals 本年度: it is named so (its text still reads 合計)
    assert (cells[(3, 2)]["row_label"], cells[(3, 2)]["row_path"]) == ("本年度", "本年度")
    assert cells[(3, 1)]["text"] == "合計"
    assert cells[(2, 2)]["value_yen"] == 830_000


def test_side_by_side_and_stacked_tables_stay_separate(pdfs: dict[str, Path]) -> None:
    recs = records(pdfs["side_by_side"])
    tables = recs["tables"]
    assert len(tables) == 3
    left, right, below = sorted(tables, key=lambda t: (round(t["top"]), t["x0"]))
    assert abs(left["top"] - right["top"]) < 1 and left["x1"] < right["x0"]
    assert below["top"] > left["bottom"]
    assert texts(cells_of(recs, left["table_id"])) == [
        ["款", "金額"],
        ["市税", "4,125"],
        ["地方譲与税", "612"],
    ]
    assert texts(cells_of(recs, right["table_id"])) == [
        ["款", "金額"],
        ["議会費", "420"],
        ["総務費", "7,900"],
        ["民生費", "39,800"],
    ]
    assert texts(cells_of(recs, below["table_id"])) == [
        ["区分", "人数"],
        ["一般職", "1,210"],
        ["特別職", "45"],
    ]
    assert left["caption"] == "表1 歳入"
    assert right["caption"] is None
    assert below["caption"] == "表2 職員数"


def test_unruled_table_found_from_text_alignment(pdfs: dict[str, Path]) -> None:
    recs = records(pdfs["unruled"])
    assert len(recs["tables"]) == 1
    table = recs["tables"][0]
    assert table["strategy"] == "text"
    assert table["unit"] == "百万円"
    assert table["caption"] == "表3 歳入の推移(単位:百万円)"
    cells = cells_of(recs, table["table_id"])
    assert texts(cells) == tables_pdf.UNRULED
    assert cells[(1, 1)]["value_yen"] == 41_250_000_000
    assert cells[(2, 3)]["value"] == -28
    assert cells[(2, 3)]["header"] == "増減"


def test_prose_page_has_no_table(pdfs: dict[str, Path]) -> None:
    recs = records(pdfs["prose"])
    assert recs["tables"] == []
    assert recs["cells"] == []


def test_listed_amounts_in_one_cell_and_units_printed_in_cells() -> None:
    """Budget-book layout as a grid: units printed above the first figure, items listed as
    「label amount」 lines under one 節."""
    rows = [
        ["節", "金額", "説明"],
        ["1 報酬", "千円\n205,920", "千円\n001 給与費 448,879"],
        ["", "", "002 一般職 １１人 96,733\n96,733×1／1"],
        ["2 給料", "49,604", "－"],
    ]
    cells, header_rows, _ = table_cells(TableGrid(read_grid(rows), [], [1] * len(rows)), None)
    assert header_rows == 1
    by_pos = {(c["row"], c["col"]): c for c in cells}
    assert by_pos[(1, 1)]["value_yen"] == 205_920_000
    assert by_pos[(1, 2)]["value_yen"] == 448_879_000
    assert by_pos[(2, 2)]["value_yen"] == 96_733_000
    # the ordinal printed before a name is not part of it; a listed line sits under its 節
    assert by_pos[(2, 2)]["row_label"] == "一般職 11人"
    assert by_pos[(2, 2)]["row_path"] == "報酬 / 一般職 11人"
    assert by_pos[(1, 1)]["row_label"] == "報酬" and by_pos[(1, 2)]["row_label"] == "給与費"
    assert by_pos[(3, 1)]["value_yen"] == 49_604_000  # the unit stated above carries down
    assert by_pos[(3, 2)]["value"] is None  # 「－」 is nil, not zero


def _word(text: str, x0: float, x1: float, top: float = 100.0) -> dict:
    return {"text": text, "x0": x0, "x1": x1, "top": top, "bottom": top + 10, "size": 10.0}


def test_body_rows_ruled_only_horizontally_get_one_cell_per_column() -> None:
    """Header ruled into columns, body rows one cell across: words go back to their columns,
    while a header centred over two columns stays one spanning cell."""
    rows = [["Country", "Share (%)", "Total"], ["Austria 86.2 3,375", None, None]]
    boxes = [
        [(0, 80, 100, 95), (100, 80, 200, 95), (200, 80, 300, 95)],
        [(0, 95, 300, 110), None, None],
    ]
    words = [_word("Austria", 5, 40), _word("86.2", 150, 170), _word("3,375", 260, 290)]
    out_rows, out_boxes = ruled_mod.split_aligned_spans(rows, boxes, words)
    assert out_rows[1] == ["Austria", "86.2", "3,375"]
    assert out_boxes[1][1][0] == 100
    header = [["Literacy Status", None], ["12", "13"]]
    header_boxes = [[(0, 80, 200, 95), None], [(0, 95, 100, 110), (100, 95, 200, 110)]]
    centred = [_word("Literacy", 60, 98), _word("Status", 101, 130)]
    assert ruled_mod.split_aligned_spans(header, header_boxes, centred)[0][0] == [
        "Literacy Status",
        None,
    ]


def test_columns_split_by_offset_rules_are_merged() -> None:
    rows = [["", "", "to air"], ["CO2", "100", None], ["CH4", "5", None]]
    boxes = [[(0, 0, 50, 10), (50, 0, 60, 10), (60, 0, 100, 10)]] + [
        [(0, 10, 50, 20), (50, 10, 100, 20), None]
    ] * 2
    merged, _ = ruled_mod.merge_split_columns(rows, boxes)
    assert merged == [["", "to air"], ["CO2", "100"], ["CH4", "5"]]
    # two real columns that are both filled in some row stay apart
    kept, _ = ruled_mod.merge_split_columns([["a", "b"], ["1", None]], [[None, None]] * 2)
    assert kept == [["a", "b"], ["1", None]]


def test_chart_axis_is_not_a_table() -> None:
    axis = [
        ["450", "", ""],
        ["400", "", "Spread"],
        ["350", "", ""],
        ["300", "", ""],
        ["250", "Yield", ""],
    ]
    assert unruled_mod._looks_like_chart(axis)
    budget = [
        ["1", "市税", "41,250"],
        ["2", "譲与税", "612"],
        ["3", "交付税", "100"],
        ["4", "国庫", "14,800"],
    ]
    assert not unruled_mod._looks_like_chart(budget)


def test_block_right_under_a_table_takes_the_units_of_its_columns() -> None:
    """A budget book's next 目 printed just below the ruled frame, in the same columns, with
    no unit of its own: its figures are in the unit of the columns above."""

    def box(x0: float, x1: float, top: float) -> tuple[float, float, float, float]:
        return (x0, top, x1, top + 12)

    above = RawTable(
        bbox=(40, 100, 300, 160),
        rows=[["目", "本年度"], ["1 市民税", "千円\n18,719,000"]],
        cell_boxes=[
            [box(40, 150, 100), box(150, 300, 100)],
            [box(40, 150, 120), box(150, 300, 120)],
        ],
        strategy="lines",
    )
    below = RawTable(
        bbox=(45, 180, 295, 200),
        rows=[["1 固定資産税", "23,806,300"], ["2 交付金", "55,000"]],
        cell_boxes=[
            [box(45, 110, 180), box(230, 295, 180)],
            [box(45, 110, 190), box(240, 295, 190)],
        ],
        strategy="text",
    )
    far = RawTable(
        bbox=(45, 400, 280, 420),
        rows=below.rows,
        cell_boxes=[
            [box(45, 100, 400), box(220, 280, 400)],
            [box(45, 100, 410), box(230, 280, 410)],
        ],
        strategy="text",
    )
    page = PageRecord(1, 595, 842, "", None, 0, [above, below, far])
    recs = assembled([page])
    by_table = {t["table_id"]: t for t in recs["tables"]}
    ids = sorted(by_table, key=lambda i: by_table[i]["top"])
    cells = {i: cells_of(recs, i) for i in ids}
    assert cells[ids[0]][(1, 1)]["value_yen"] == 18_719_000_000
    assert cells[ids[1]][(0, 1)]["value_yen"] == 23_806_300_000
    assert cells[ids[2]][(0, 1)]["value_yen"] is None  # too far below to be the same form


def by_row(cells: dict[tuple[int, int], dict], col: int) -> list[tuple]:
    """(row label, row path, header) of the body cells of a column, top to bottom."""
    return [
        (c["row_label"], c["row_path"], c["header"])
        for (_, k), c in sorted(cells.items())
        if k == col and not c["is_header"]
    ]


def test_columns_ruled_only_between_groups_are_split_where_figures_line_up(
    pdfs: dict[str, Path],
) -> None:
    """Vertical rules only between the years: each 「Male Female」 pair is two columns, the
    year spanning both; every figure under its own column's header."""
    recs = records(pdfs["group_rules"])
    assert len(recs["tables"]) == 1
    table = recs["tables"][0]
    assert (table["strategy"], table["header_rows"], table["n_cols"]) == ("lines", 2, 5)
    cells = cells_of(recs, table["table_id"])
    assert texts(cells) == tables_pdf.GROUP_RULES
    assert [cells[(0, c)]["spanned"] for c in range(5)] == [False, False, True, False, True]
    assert cells[(2, 2)]["header"] == "2010 / Female" and cells[(2, 2)]["value"] == 135
    assert cells[(4, 3)]["header"] == "2020 / Male" and cells[(4, 3)]["value"] == 1400
    assert cells[(5, 4)]["row_label"] == "West"
    assert table["problems"] == []


def test_shaded_table_is_read_from_its_text_not_from_its_fills(pdfs: dict[str, Path]) -> None:
    """Cells set by background shading: the fills are blocks, not rulings, so the table comes
    from text alignment, whole."""
    recs = records(pdfs["shaded"])
    assert len(recs["tables"]) == 1
    table = recs["tables"][0]
    assert (table["strategy"], table["header_rows"], table["unit"]) == ("text", 1, "千円")
    cells = cells_of(recs, table["table_id"])
    assert texts(cells) == tables_pdf.SHADED
    assert cells[(2, 3)]["value_yen"] == -28_000 and cells[(2, 3)]["header"] == "増減"


def test_spread_splits_at_its_gutter_and_its_header_holds_for_every_block(
    pdfs: dict[str, Path],
) -> None:
    """Two facing pages on one sheet: no table crosses the gutter; the 目 table's lines carry
    the 款/項 headings above them, a 計 line names the 項 it totals, the 節 on the facing page
    sit under the 目 at their height, and the next block takes the spread's header."""
    recs = records(pdfs["spread"])
    tables = sorted(recs["tables"], key=lambda t: (round(t["top"]), t["x0"]))
    assert len(tables) == 4
    assert all(t["x1"] < 421 or t["x0"] > 421 for t in tables)
    # the facing page's own caption is read there, not on the left page
    assert (tables[1]["caption"], tables[1]["unit"]) == ("(単位:千円)", "千円")
    assert tables[0]["unit"] is None
    moku, setsu, moku2, setsu2 = (cells_of(recs, t["table_id"]) for t in tables)
    assert [h for *_, h in by_row(moku, 1)] == ["本年度予算額"] * 3
    assert by_row(moku, 2) == [
        ("個人", "市税 / 市民税 / 個人", "前年度予算額"),
        ("法人", "市税 / 市民税 / 法人", "前年度予算額"),
        ("市民税", "市税 / 市民税", "前年度予算額"),
    ]
    assert moku[(3, 0)]["text"] == "計" and moku[(3, 2)]["value"] == 18_420_900
    assert [p for _, p, _ in by_row(setsu, 1)] == [
        "市税 / 市民税 / 個人 / 現年課税分",
        "市税 / 市民税 / 個人 / 滞納繰越分",
        "市税 / 市民税 / 法人 / 現年課税分",
    ]
    # the 説明 line printed beside its 節 is listed under it
    assert by_row(setsu, 2)[0] == (
        "現年課税分",
        "市税 / 市民税 / 個人 / 現年課税分 / 現年課税分",
        "説明",
    )
    assert tables[2]["header_rows"] == 0
    assert by_row(moku2, 1) == [("固定資産税", "市税 / 固定資産税 / 固定資産税", "本年度予算額")]
    assert by_row(setsu2, 1) == [
        ("現年課税分", "市税 / 固定資産税 / 固定資産税 / 現年課税分", "金額")
    ]
    assert "header from an earlier table (p.1)" in tables[2]["problems"]


def test_small_boxes_are_tables_and_a_framed_paragraph_is_not(pdfs: dict[str, Path]) -> None:
    recs = records(pdfs["boxes"])
    tables = sorted(recs["tables"], key=lambda t: t["x0"])
    assert len(tables) == 2
    above, beside = (cells_of(recs, t["table_id"]) for t in tables)
    assert texts(above) == [["うち重症者"], ["12"]]
    assert (above[(1, 0)]["header"], above[(1, 0)]["value"]) == ("うち重症者", 12)
    assert texts(beside) == [["合計", "1,234"]]
    assert (beside[(0, 1)]["row_label"], beside[(0, 1)]["value"]) == ("合計", 1234)


def test_list_records_are_body_rows_and_repeated_headers_are_dropped(
    pdfs: dict[str, Path],
) -> None:
    """A list with no figure: its first record is not a header (postal codes, phone numbers
    and URLs are what records hold); the title and header printed on every page come once."""
    recs = records(pdfs["list_pages"])
    assert len(recs["tables"]) == 1
    table = recs["tables"][0]
    assert (table["page_first"], table["page_last"], table["header_rows"]) == (1, 3, 2)
    cells = cells_of(recs, table["table_id"])
    grid = texts(cells)
    assert grid[1] == tables_pdf.LIST_HEADER
    assert grid[2:] == tables_pdf.LIST_RECORDS
    assert sum(1 for row in grid if row[0] == "施設名") == 1
    assert cells[(2, 0)]["is_header"] is False
    assert [cells[(30, c)]["header"] for c in range(5)] == tables_pdf.LIST_HEADER
    assert cells[(30, 3)]["row_label"] == "クリニック29"


def test_open_sided_ruled_table_keeps_its_outer_columns(pdfs: dict[str, Path]) -> None:
    """Rules run across the year column and the last column, no vertical rule closes them:
    the table still has both, each year spanning its three rows."""
    recs = records(pdfs["open_sided"])
    assert len(recs["tables"]) == 1
    cells = cells_of(recs, recs["tables"][0]["table_id"])
    assert texts(cells) == tables_pdf.OPEN_SIDED
    assert [cells[(r, 0)]["spanned"] for r in range(1, 4)] == [False, True, True]
    assert by_row(cells, 4)[4] == ("Women", "1996 / Women", "Services")


def test_banded_table_gives_each_figure_the_label_above_it(pdfs: dict[str, Path]) -> None:
    recs = records(pdfs["banded"])
    cells = cells_of(recs, recs["tables"][0]["table_id"])
    assert texts(cells) == tables_pdf.BANDED
    pairs = [(c["header"], c["text"]) for c in cells.values() if not c["is_header"]]
    expected = [
        (label, figure)
        for names, figures in zip(tables_pdf.BANDED[::2], tables_pdf.BANDED[1::2], strict=True)
        for label, figure in zip(names, figures, strict=True)
    ]
    assert sorted(pairs) == sorted(expected)
    assert [cells[(r, 0)]["is_header"] for r in range(6)] == [True, False, True, False, True, False]


def test_chart_legend_and_axis_are_not_a_table(pdfs: dict[str, Path]) -> None:
    assert records(pdfs["chart"])["tables"] == []


CORRECTED = """
[[source]]
id = "budget"
title = "予算書"
url = "budget.pdf"
pages = [1, "3-4"]

[[source.table]]
page = 1
area = [50, 140, 420, 260]
strategy = "text"
columns = [180, 280, 360]
header_rows = 2
"""


def test_catalog_corrections_are_validated_and_change_the_fingerprint(tmp_path: Path) -> None:
    from flows.state import source_fingerprint
    from transforms.catalog import CatalogError, parse_catalog
    from transforms.extract.corrections import TableCorrection

    source = parse_catalog(CORRECTED, tmp_path).sources[0]
    assert source.corrections is not None
    assert source.corrections.pages == (1, 3, 4)
    assert source.corrections.tables == (
        TableCorrection(1, (50.0, 140.0, 420.0, 260.0), "text", (180.0, 280.0, 360.0), 2),
    )
    plain = parse_catalog(CORRECTED.split("pages")[0], tmp_path).sources[0]
    assert source_fingerprint(source) != source_fingerprint(plain)
    bad = CORRECTED.replace('"3-4"', '"4-3"').replace('"text"', '"stream"')
    bad = bad.replace("columns = [180, 280, 360]", "columns = [280, 180]\nrows = 3")
    bad = bad.replace("page = 1", "page = 2")
    with pytest.raises(CatalogError) as caught:
        parse_catalog(bad, tmp_path)
    problems = caught.value.problems
    assert any("pages: '4-3'" in p for p in problems)
    assert any("strategy must be one of lines, text" in p for p in problems)
    assert any("columns must be increasing" in p for p in problems)
    assert any("unknown keys ['rows']" in p for p in problems)
    assert all(p.startswith("source 'budget'") for p in problems)
    outside = CORRECTED.replace("page = 1", "page = 2")
    with pytest.raises(CatalogError, match="table on page 2, which pages leaves out"):
        parse_catalog(outside, tmp_path)


def test_corrections_reach_the_extraction_worker(pdfs: dict[str, Path], tmp_path: Path) -> None:
    """The area, strategy, columns and header rows stated in the catalog replace the finder's
    reading of that page, in the guarded worker; pages left out give no table."""
    from flows.extract import extract_batch
    from transforms.extract.corrections import Corrections, TableCorrection

    # the unruled fixture's table (y 136-210), read with one column boundary instead of three
    stated = TableCorrection(1, (50.0, 130.0, 440.0, 215.0), "text", (180.0,), 1)
    batch = extract_batch(
        str(pdfs["unruled"]), 1, 1, tmp_path, corrections=Corrections((1,), (stated,))
    )
    recs = assembled(batch.pages)
    assert len(recs["tables"]) == 1
    table = recs["tables"][0]
    assert (table["strategy"], table["header_rows"], table["n_cols"]) == ("text", 1, 2)
    cells = cells_of(recs, table["table_id"])
    assert texts(cells) == [[row[0], " ".join(row[1:])] for row in tables_pdf.UNRULED]
    assert "fused figures: 4 cells" in table["problems"]
    none = extract_batch(str(pdfs["continued"]), 1, 2, tmp_path, corrections=Corrections((2,)))
    assert [len(p.tables) for p in none.pages] == [0, 1]


def _raw(rows: list[list[str]], top: float, strategy: str = "lines") -> RawTable:
    widths = [(40.0, 150.0), (150.0, 300.0)]
    boxes = [
        [(x0, top + 12 * r, x1, top + 12 * r + 12) for x0, x1 in widths] for r in range(len(rows))
    ]
    bottom = top + 12 * len(rows)
    return RawTable((40.0, top, 300.0, bottom), rows, boxes, strategy)  # type: ignore[arg-type]


def test_header_printed_again_is_dropped_across_pages_and_kept_as_header_within_one() -> None:
    header = ["区分", "本年度"]
    first = _raw([header, ["一般会計", "1,000"], header, ["特別会計", "200"]], 600)
    second = _raw([header, ["企業会計", "30"]], 60)
    recs = assembled(
        [
            PageRecord(1, 595, 842, "", None, 0, [first]),
            PageRecord(2, 595, 842, "", None, 0, [second]),
        ]
    )
    assert len(recs["tables"]) == 1
    cells = cells_of(recs, recs["tables"][0]["table_id"])
    assert texts(cells) == [
        header,
        ["一般会計", "1,000"],
        header,
        ["特別会計", "200"],
        ["企業会計", "30"],
    ]
    assert [cells[(r, 0)]["is_header"] for r in range(5)] == [True, False, True, False, False]
    assert cells[(4, 1)]["header"] == "本年度" and cells[(4, 1)]["page_number"] == 2
    assert cells[(2, 1)]["value"] is None and cells[(2, 1)]["row_label"] is None


def test_a_one_line_box_whose_figures_carry_their_unit_line_is_a_table() -> None:
    """A budget book's 節 block of one line prints 千円 above each figure, in the same cell: the
    box is a label beside figures, not a frame around prose."""
    from transforms.extract.grid import is_small_table
    from transforms.normalize.figures import states_figure

    line = [["1 総務管理費補助金", "千円\n102,189", "千円\n地域少子化対策重点推進交付金 91,240"]]
    assert is_small_table(line, states_figure)
    assert not is_small_table([["千円", "千円\n本年度予算額"]], states_figure)
    assert not states_figure("千円\n1\n2") and states_figure("（千円）\n5,356,595")

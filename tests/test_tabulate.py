"""A table's published cells back to its grid and its wide form: what a spreadsheet may hold."""

from __future__ import annotations

from transforms.snippets import search_terms, snippet
from transforms.tabulate import (
    csv_rows,
    for_cp932,
    plain_number,
    sheet_name,
    spreadsheet_number,
    table_grid,
    wide_table,
)

TABLE = {
    "source_id": "s",
    "table_id": "0123456789abcdef-p2-t1",
    "page_first": 2,
    "page_last": 3,
    "n_rows": 4,
    "n_cols": 3,
    "header_rows": 2,
    "caption": "(単位:千円)",
    "unit": "千円",
}


def _cell(
    row, col, text, *, header=None, value=None, yen=None, is_header=False, spanned=False, page=2
):  # noqa: ANN001, ANN202
    return {
        "row": row,
        "col": col,
        "text": text,
        "header": header,
        "value": value,
        "value_yen": yen,
        "unit": "千円" if yen is not None else None,
        "is_header": is_header,
        "spanned": spanned,
        "page_number": page,
        "row_label": None,
    }


def _cells() -> list[dict]:
    """款 | 予算額 spanning 本年度 and 前年度; two body rows, the second printed on page 3."""
    return [
        _cell(0, 0, "款", header="款", is_header=True),
        _cell(0, 1, "予算額", header="予算額 / 本年度", is_header=True),
        _cell(0, 2, "予算額", header="予算額 / 前年度", is_header=True, spanned=True),
        _cell(1, 0, "款", header="款", is_header=True, spanned=True),
        _cell(1, 1, "本年度", header="予算額 / 本年度", is_header=True),
        _cell(1, 2, "前年度", header="予算額 / 前年度", is_header=True),
        _cell(2, 0, "市税", header="款"),
        _cell(2, 1, "49,286,300", header="予算額 / 本年度", value=49286300.0, yen=49286300000),
        _cell(2, 2, "△1,234", header="予算額 / 前年度", value=-1234.0, yen=-1234000),
        _cell(3, 0, "地方譲与税", header="款", page=3),
        _cell(3, 1, "12.5", header="予算額 / 本年度", value=12.5, yen=12500, page=3),
        _cell(3, 2, "-", header="予算額 / 前年度", page=3),
    ]


def test_grid_keeps_header_rows_merges_and_numbers_as_printed() -> None:
    grid = table_grid(TABLE, _cells(), {2: "1", 3: "2"})
    assert grid.header_rows == 2 and len(grid.rows) == 4
    merges = {(m.first_row, m.first_col, m.last_row, m.last_col) for m in grid.merges}
    assert merges == {(0, 1, 0, 2), (0, 0, 1, 0)}  # 予算額 across, 款 down
    body = grid.rows[2]
    assert body[1].number == 49286300 and isinstance(body[1].number, int)
    assert body[2].number == -1234 and body[2].number_format == '#,##0;"△"#,##0'
    assert grid.rows[3][1].number == 12.5 and grid.rows[3][1].number_format == "#,##0.0"
    assert grid.rows[3][2].nil and grid.rows[3][2].number is None
    assert grid.citation() == "s, PDF p.2–3 (printed p.1–2), table 0123456789abcdef-p2-t1"
    assert csv_rows(grid) == [
        ["款", "予算額", "予算額"],
        ["款", "本年度", "前年度"],
        ["市税", "49286300", "-1234"],
        ["地方譲与税", "12.5", ""],
    ]


def test_yen_amounts_are_exact_integers() -> None:
    grid = table_grid(TABLE, _cells(), amounts="yen")
    assert grid.rows[2][1].number == 49286300000
    assert grid.rows[3][1].number == 12500 and grid.rows[3][1].number_format == "#,##0"
    assert "yen" in grid.unit_note()


def test_a_figure_a_spreadsheet_would_round_is_text() -> None:
    cells = _cells()
    cells[7] = _cell(2, 1, "x", header="予算額 / 本年度", value=1.0, yen=1234567890123456789)
    grid = table_grid(TABLE, cells, amounts="yen")
    assert grid.rows[2][1].number is None and grid.rows[2][1].text == "1234567890123456789"
    assert grid.problems and "significant digits" in grid.problems[0]
    assert spreadsheet_number(123456789012345) == 123456789012345
    assert spreadsheet_number(1_200_000_000_000_000_000) == 1_200_000_000_000_000_000
    assert spreadsheet_number(1234567890123456) is None
    assert spreadsheet_number(float("nan")) is None and spreadsheet_number(True) is None


def test_wide_form_has_one_typed_column_per_header_path() -> None:
    columns, rows = wide_table(table_grid(TABLE, _cells(), {2: "1", 3: "2"}))
    names = [c.name for c in columns]
    assert names[-3:] == ["款", "予算額 / 本年度", "予算額 / 前年度"]
    kinds = {c.name: c.kind for c in columns}
    assert kinds["予算額 / 本年度"] == "float" and kinds["予算額 / 前年度"] == "int"
    assert kinds["款"] == "text"
    by_name = [dict(zip(names, row, strict=True)) for row in rows]
    assert by_name[0]["page_label"] == "1" and by_name[1]["page_number"] == 3
    assert by_name[1]["予算額 / 前年度"] is None  # 「－」 is nil, not zero


def test_cp932_twins_and_missing_characters() -> None:
    assert for_cp932("9:00〜12:00") == ("9:00～12:00", [])
    text, missing = for_cp932("𠮷野家")
    assert text == "〓野家" and missing == ["𠮷"]
    assert for_cp932("髙橋①")[1] == []  # IBM and NEC extensions are in cp932


def test_numbers_print_without_exponents() -> None:
    assert plain_number(1e20) == "100000000000000000000"
    assert plain_number(0.00001) == "0.00001"
    assert plain_number(12.5) == "12.5" and plain_number(-1234.0) == "-1234"


def test_sheet_names_are_unique_and_valid() -> None:
    used: set[str] = set()
    assert sheet_name("0123456789abcdef-p2-t1", used) == "p2-t1"
    assert sheet_name("0123456789abcdef-p2-t1", used) == "p2-t1 (2)"
    assert sheet_name("x-a/b:c" + "d" * 40, used) == ("a_b_c" + "d" * 40)[:31]


def test_search_terms_are_normalized_like_the_datasets() -> None:
    assert search_terms(["ｻｲﾊﾞｰ", "ＡＩ", "⼾籍", "ｻｲﾊﾞｰ", " "]) == ["サイバー", "ai", "戸籍"]
    page = "東京2020大会に向けたサイバーセキュ\nリティ対策の強化について。" * 3
    assert "セキュリティ対策" in snippet(page, search_terms(["セキュリティ"]))
    shown = snippet("前置き" * 20 + "AI 活用" + "後書き" * 20, ["ai 活用"], context=6)
    assert shown.startswith("…") and shown.endswith("…") and "AI 活用" in shown

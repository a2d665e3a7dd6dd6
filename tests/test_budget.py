"""Budget lines parsed from 予算書 whose ground truth is known, field by field.

Each variant of `tests.fixtures.budget_book` is written once per module and read through the
path of a real run (pdfplumber → extract_page → assemble_document → the budget kind on the Arrow
tables); every field of every line is compared with what the writer printed. Smaller tests hand
the kind cells laid out as real table finders lay them out, mistakes included, to check that the
layout is read from positions and figures, not from the finder's rows and columns. One test runs
the flow and reads `budget_lines` back with DuckDB.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pdfplumber
import pyarrow.parquet as pq
import pytest

from tests.fixtures.budget_book import (
    Misprint,
    example_book,
    expected_lines,
    following_year,
    write_budget_book,
)
from tests.fixtures.pdfgen import ipaex_available
from transforms.assemble.document import assemble_document
from transforms.extract.page import extract_page
from transforms.kinds import budget
from transforms.records import DocumentInfo
from transforms.schemas import BUDGET_LINES, to_table

DOC = DocumentInfo("book", "0123456789abcdef", "budget", fiscal_year=2026)

VARIANTS = {
    # name: (layout, font style, 説明 items under one 節, print the 総括)
    "spread": ("spread", "cid", 12, True),
    "spread-continued": ("spread", "cid", 45, True),
    "spread-no-summary": ("spread", "cid", 45, False),
    "facing-continued": ("facing", "cid", 45, True),
    "spread-ipaex": ("spread", "ipaex", 45, True),
    "facing-ipaex-no-summary": ("facing", "ipaex", 20, False),
}


def parse_pdf(path: Path, doc: DocumentInfo = DOC):
    with pdfplumber.open(path) as pdf:
        pages = [extract_page(page) for page in pdf.pages]
    rows = assemble_document(doc, pages)
    inputs = {name: to_table(name, getattr(rows, name)) for name in ("pages", "tables", "cells")}
    return budget.parse(doc, inputs)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict:
    cache: dict = {}

    def write(name: str, **kw):
        if name not in cache:
            layout, style, long_items, summary = VARIANTS[name]
            book = example_book(layout, long_items=long_items, summary=summary, **kw)
            path = tmp_path_factory.mktemp("budget") / f"{name}.pdf"
            placed = write_budget_book(path, book, font_style=style)
            cache[name] = (book, placed, parse_pdf(path))
        return cache[name]

    return write


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_field_of_every_line(written, name: str) -> None:
    if "ipaex" in name and not ipaex_available():
        pytest.skip("IPAex fonts missing: apt-get install fonts-ipaexfont")
    book, placed, parsed = written(name)
    rows = parsed.datasets["budget_lines"]
    assert parsed.warnings == []
    expected = expected_lines(book, placed)
    assert [(r["level"], r["name"]) for r in rows] == [(e["level"], e["name"]) for e in expected]
    for row, want in zip(rows, expected, strict=True):
        assert row == {**DOC.ids, "fiscal_year": 2026, **want}, want["name"]
    assert set(rows[0]) == set(BUDGET_LINES.names)


def test_the_variants_print_what_they_are_meant_to(written) -> None:
    """The fixtures hold the features the kind must read: 目 run over a spread, wrapped names,
    a 廃目, 細節 under a 節, 説明 lines with and without figures."""
    book, placed, parsed = written("spread-continued")
    rows: dict[tuple, dict] = {}
    for row in parsed.datasets["budget_lines"]:
        rows.setdefault((row["level"], row["name"]), row)  # the first of a name
    grants = rows[("節", "児童福祉費負担金")]
    assert len(grants["description"]) == 45
    assert grants["page_number"] < max(
        r["page_number"] for r in rows.values() if r["kan"] == "国庫支出金"
    )
    assert rows[("目", "農林水産業費補助金")]["ordinal"] is None
    assert rows[("目", "農林水産業費補助金")]["description"] == ["(廃目)"]
    assert rows[("節", "職員手当等")]["description"][0] == "管理職手当 1,925"
    assert "調定見込額 404,000×98.9%" in rows[("節", "現年課税分")]["description"]
    assert rows[("款", "市税")]["page_label"] == "1"  # the 総括's page


def test_a_misprinted_total_is_named_on_its_line_and_counted(tmp_path: Path) -> None:
    book = example_book("spread", misprints=[Misprint("total", ("歳入", 1, 1), 1)])
    write_budget_book(tmp_path / "book.pdf", book)
    parsed = parse_pdf(tmp_path / "book.pdf")
    failing = {r["name"]: r["checks"] for r in parsed.datasets["budget_lines"] if r["checks"]}
    assert failing == {"市民税": ["計 = 項 (本年度): 計 18,719,001千円 on p.4 ≠ 18,719,000千円"]}
    assert parsed.warnings == [
        "1 of 49 budget lines fail the book's arithmetic",
        "p.4 歳入 市税 / 市民税: 計 = 項 (本年度): 計 18,719,001千円 on p.4 ≠ 18,719,000千円",
    ]


def test_a_misprinted_change_fails_on_the_line_and_in_the_sum_above(tmp_path: Path) -> None:
    book = example_book("facing", misprints=[Misprint("change", ("歳出", 1, 1, 1), 1)])
    write_budget_book(tmp_path / "book.pdf", book)
    parsed = parse_pdf(tmp_path / "book.pdf")
    failing = {
        (r["level"], r["name"]): r["checks"] for r in parsed.datasets["budget_lines"] if r["checks"]
    }
    assert failing == {
        ("項", "議会費"): ["Σ目 = 項 (比較): Σ △33,093千円 ≠ △33,094千円"],
        ("目", "議会費"): ["比較 = 本年度 − 前年度: △33,093千円 ≠ △33,094千円"],
    }
    assert parsed.warnings[0] == "2 of 49 budget lines fail the book's arithmetic"


def test_every_check_that_applies_is_run_and_holds(tmp_path: Path) -> None:
    write_budget_book(tmp_path / "book.pdf", example_book("spread"))
    with pdfplumber.open(tmp_path / "book.pdf") as pdf:
        pages = [extract_page(page) for page in pdf.pages]
    rows = assemble_document(DOC, pages)
    inputs = {name: to_table(name, getattr(rows, name)) for name in ("pages", "tables", "cells")}
    book = budget.read_budget(inputs)
    counts: dict[str, list[int]] = {}
    for outcome in book.outcomes:
        counts.setdefault(outcome.rule, [0, 0])[0 if outcome.held else 1] += 1
    # 4 款, 7 項 (4 of them 歳入), 11 目 (one a 廃目 without 節), 27 節; the 総括, the 項 headings
    # and 計 give 款 and 項 their 前年度 and 比較; 歳出 lines print 7 figures, 歳入 lines 3
    assert counts == {
        "本年度 read": [49, 0],
        "比較 = 本年度 − 前年度": [4 + 7 + 11, 0],
        "財源内訳 = 本年度": [2 + 3 + 4, 0],
        "計 = 項": [4 * 3 + 3 * 7, 0],
        "Σ項 = 款": [2 * 3 + 2 * 7, 0],
        "Σ目 = 項": [4 * 3 + 3 * 7, 0],
        "Σ節 = 目": [10, 0],
        "目 has 節": [10, 0],
        "合計 = Σ款": [3 + 7, 0],
    }


def test_a_moku_whose_setsu_were_not_read_fails_its_check() -> None:
    """Losing a 節 block leaves no Σ節 = 目 to fail: the 目 says it has no 節, unless it is a
    廃目 (nothing this year)."""
    from transforms.kinds.budget.checks import check_book
    from transforms.kinds.budget.lines import BudgetLine

    def line(level: str, name: str, parent: BudgetLine | None, amount: int) -> BudgetLine:
        made = BudgetLine("歳入", level, "1", name, parent, 5, 40.0)
        made.figures["amount"] = amount
        if parent is not None:
            parent.children.append(made)
        return made

    kan = line("款", "国庫支出金", None, 300)
    kou = line("項", "国庫補助金", kan, 300)
    read = line("目", "総務費補助金", kou, 100)
    line("節", "総務管理費補助金", read, 100)
    lost = line("目", "民生費補助金", kou, 200)
    abolished = line("目", "衛生費補助金", kou, 0)
    check_book([kan, kou, read, *read.children, lost, abolished], {}, "千円", 1000)
    assert lost.checks == ["目 has 節: no 節 read under it"]
    assert read.checks == [] and abolished.checks == []


# -- cells as table finders give them ---------------------------------------------------------


def cell(page: int, table: str, row: int, col: int, text: str, box: tuple | None) -> dict:
    x0, top, x1, bottom = box if box else (None, None, None, None)
    return {
        **DOC.ids,
        "is_header": False,
        "table_id": table,
        "page_number": page,
        "row": row,
        "col": col,
        "text_raw": text,
        "text": text,
        "spanned": False,
        "x0": x0,
        "top": top,
        "x1": x1,
        "bottom": bottom,
    }


def parse_cells(
    cells: list[dict], tables: list[dict] | None = None, pages: list[dict] | None = None
):
    first = {
        c["table_id"]: c["page_number"] for c in sorted(cells, key=lambda c: -c["page_number"])
    }
    tables = tables or [
        {"table_id": t, "page_first": p, "page_last": p, "n_rows": 0, "n_cols": 0, "header_rows": 0}
        for t, p in first.items()
    ]
    pages = pages or [
        {"page_number": n, "width": 842.0, "height": 595.0}
        for n in {c["page_number"] for c in cells}
    ]
    inputs = {
        "cells": to_table("cells", cells),
        "tables": to_table("tables", [{**DOC.ids, "top": None, **t} for t in tables]),
        "pages": to_table("pages", [{**DOC.ids, **p} for p in pages]),
    }
    return budget.parse(DOC, inputs)


def revenue_headers(table: str = "L", right: str = "R") -> list[dict]:
    """The column headers of a 歳入 spread: 目 | 本年度 | 前年度 | 比較 on the left, 節 (区分,
    金額) | 説明 on the right."""
    return [
        cell(1, table, 0, 0, "目", (36, 80, 212, 101)),
        cell(1, table, 0, 1, "本年度予算額", (212, 80, 271, 101)),
        cell(1, table, 0, 2, "前年度予算額", (271, 80, 330, 101)),
        cell(1, table, 0, 3, "比　較", (330, 80, 389, 101)),
        cell(1, right, 0, 0, "節", (447, 80, 553, 91)),
        cell(1, right, 0, 2, "説　明", (553, 80, 800, 101)),
        cell(1, right, 1, 0, "区　分", (447, 91, 505, 101)),
        cell(1, right, 1, 1, "金　額", (505, 91, 553, 101)),
    ]


def heading_cells() -> list[dict]:
    return [
        cell(1, "H", 0, 0, "１款　市税", (48, 56, 89, 64)),
        cell(1, "H", 0, 1, "2,001,000千円", (338, 56, 386, 64)),
        cell(1, "H", 1, 0, "４項　市たばこ税", (60, 67, 125, 75)),
        cell(1, "H", 1, 1, "2,001,000千円", (341, 67, 386, 75)),
    ]


def test_a_line_run_over_a_column_rule_is_cut_at_the_rule() -> None:
    """A finder grouping words by alignment joined the 節's 金額 with the 説明 beside it."""
    cells = (
        revenue_headers()
        + heading_cells()
        + [
            cell(1, "L", 1, 0, "1 市たばこ税", (36, 101, 212, 130)),
            cell(1, "L", 1, 1, "千円\n2,001,000", (212, 101, 271, 130)),
            cell(1, "L", 1, 2, "千円\n1,979,000", (271, 101, 330, 130)),
            cell(1, "L", 1, 3, "千円\n22,000", (330, 101, 389, 130)),
            cell(1, "T", 0, 1, "1 現年課税分", (453, 110, 495, 117)),
            cell(1, "T", 0, 2, "2,001,000 従量割", (519, 110, 576, 117)),
            cell(1, "T", 0, 3, "2,001,000", (766, 110, 797, 117)),
        ]
    )
    rows = parse_cells(cells).datasets["budget_lines"]
    setsu = rows[-1]
    assert (setsu["level"], setsu["name"], setsu["amount_yen"]) == (
        "節",
        "現年課税分",
        2_001_000_000,
    )
    assert setsu["description"] == ["従量割 2,001,000"]
    assert [r["checks"] for r in rows] == [[], [], [], []]


def test_an_ordinal_printed_apart_from_its_name_is_joined_to_it() -> None:
    """A finder cutting lines at wide gaps gives 「１款」 and 「市税」, 「1」 and 「市たばこ税」 apart."""
    cells = revenue_headers() + [
        cell(1, "H", 0, 0, "１款", (48, 56, 60, 64)),
        cell(1, "H", 0, 1, "市税", (70, 56, 89, 64)),
        cell(1, "H", 0, 2, "2,001,000千円", (338, 56, 386, 64)),
        cell(1, "H", 1, 0, "４項", (60, 67, 75, 75)),
        cell(1, "H", 1, 1, "市たばこ税", (85, 67, 125, 75)),
        cell(1, "H", 1, 2, "2,001,000千円", (341, 67, 386, 75)),
        cell(1, "T", 0, 0, "1", (40, 110, 46, 117)),
        cell(1, "T", 0, 1, "市たばこ税", (60, 110, 100, 117)),
        cell(1, "T", 0, 2, "2,001,000", (230, 110, 268, 117)),
        cell(1, "T", 0, 3, "1,979,000", (290, 110, 327, 117)),
        cell(1, "T", 0, 4, "22,000", (360, 110, 386, 117)),
        cell(1, "T", 0, 5, "1 現年課税分", (453, 110, 495, 117)),
        cell(1, "T", 0, 6, "2,001,000", (515, 110, 550, 117)),
    ]
    rows = parse_cells(cells).datasets["budget_lines"]
    assert [(r["level"], r["ordinal"], r["name"], r["amount_yen"]) for r in rows] == [
        ("款", "1", "市税", 2_001_000_000),
        ("項", "4", "市たばこ税", 2_001_000_000),
        ("目", "1", "市たばこ税", 2_001_000_000),
        ("節", "1", "現年課税分", 2_001_000_000),
    ]
    assert rows[2]["prior_yen"] == 1_979_000_000 and all(r["checks"] == [] for r in rows)


def test_a_box_wider_than_its_column_is_placed_by_its_table_column() -> None:
    """Some finders give a 説明 line the box of the 節 columns beside it: the header of its
    table column says where it is."""
    cells = (
        revenue_headers()
        + heading_cells()
        + [
            cell(1, "L", 1, 0, "1 市たばこ税", (36, 101, 212, 130)),
            cell(1, "L", 1, 1, "2,001,000", (212, 101, 271, 130)),
            cell(1, "L", 1, 2, "1,979,000", (271, 101, 330, 130)),
            cell(1, "L", 1, 3, "22,000", (330, 101, 389, 130)),
            cell(1, "R", 2, 0, "1 現年課税分", (447, 104, 505, 118)),
            cell(1, "R", 2, 1, "2,001,000", (505, 104, 553, 118)),
            cell(1, "R", 2, 2, "現年課税分 2,001,000", (447, 104, 553, 118)),
            cell(1, "R", 3, 2, "従量割 2,001,000", (447, 126, 553, 133)),
        ]
    )
    setsu = parse_cells(cells).datasets["budget_lines"][-1]
    assert setsu["description"] == ["現年課税分 2,001,000", "従量割 2,001,000"]


def test_a_tall_cell_repeated_by_the_finder_is_read_once() -> None:
    cells = (
        revenue_headers()
        + heading_cells()
        + [
            cell(1, "L", 1, 0, "1 市たばこ税", (36, 101, 212, 200)),
            cell(1, "L", 1, 1, "2,001,000", (212, 101, 271, 200)),
            cell(1, "L", 1, 2, "1,979,000", (271, 101, 330, 200)),
            cell(1, "L", 1, 3, "22,000", (330, 101, 389, 200)),
            cell(1, "R", 2, 0, "1 現年課税分", (447, 104, 505, 118)),
            cell(1, "R", 2, 1, "2,001,000", (505, 104, 553, 118)),
            cell(1, "R", 2, 2, "現年課税分 2,001,000\n従量割 2,001,000", (553, 104, 800, 200)),
            cell(1, "R", 3, 2, "従量割 2,001,000", None),
            cell(1, "R", 3, 0, "", (447, 126, 505, 133)),
        ]
    )
    setsu = parse_cells(cells).datasets["budget_lines"][-1]
    assert setsu["description"] == ["現年課税分 2,001,000", "従量割 2,001,000"]


def test_pages_of_other_tables_give_no_lines() -> None:
    """第1表 (款 | 項 | 金額) and a 債務負担行為 with its own 財源内訳 are not the 明細書."""
    cells = [
        cell(1, "A", 0, 0, "款", (54, 73, 150, 90)),
        cell(1, "A", 0, 1, "項", (150, 73, 400, 90)),
        cell(1, "A", 0, 2, "金　額", (400, 73, 540, 90)),
        cell(1, "A", 1, 0, "1 市税", (54, 90, 150, 110)),
        cell(1, "A", 1, 2, "49,286,300", (400, 90, 540, 110)),
        cell(2, "B", 0, 0, "期　間", (469, 113, 524, 126)),
        cell(2, "B", 0, 1, "金　額", (524, 113, 577, 126)),
        cell(2, "B", 0, 2, "国県支出金", (577, 113, 628, 126)),
        cell(2, "B", 0, 3, "地方債", (628, 113, 679, 126)),
        cell(2, "B", 0, 4, "その他", (679, 113, 729, 126)),
        cell(2, "B", 0, 5, "一般財源", (729, 100, 780, 126)),
        cell(2, "B", 1, 1, "14,913", (524, 126, 577, 154)),
    ]
    parsed = parse_cells(cells)
    assert parsed.datasets["budget_lines"] == []
    assert parsed.warnings == ["no 歳入歳出予算事項別明細書 found: no budget lines"]


def test_a_summary_total_that_does_not_add_up_is_a_document_warning() -> None:
    cells = [
        cell(1, "S", 0, 0, "款", (41, 98, 288, 123)),
        cell(1, "S", 0, 1, "本年度予算額", (288, 98, 376, 123)),
        cell(1, "S", 0, 2, "前年度予算額", (376, 98, 463, 123)),
        cell(1, "S", 0, 3, "比　較", (463, 98, 550, 123)),
        cell(1, "S", 1, 0, "1 市税", (41, 123, 288, 159)),
        cell(1, "S", 1, 1, "千円\n49,286,300", (288, 123, 376, 159)),
        cell(1, "S", 1, 2, "千円\n48,352,400", (376, 123, 463, 159)),
        cell(1, "S", 1, 3, "千円\n933,900", (463, 123, 550, 159)),
        cell(1, "S", 2, 0, "2 地方譲与税", (41, 159, 288, 185)),
        cell(1, "S", 2, 1, "685,000", (288, 159, 376, 185)),
        cell(1, "S", 2, 2, "680,000", (376, 159, 463, 185)),
        cell(1, "S", 2, 3, "5,000", (463, 159, 550, 185)),
        cell(1, "S", 3, 0, "歳 入 合 計", (41, 735, 288, 761)),
        cell(1, "S", 3, 1, "49,971,300", (288, 735, 376, 761)),
        cell(1, "S", 3, 2, "49,032,500", (376, 735, 463, 761)),
        cell(1, "S", 3, 3, "938,900", (463, 735, 550, 761)),
    ]
    pages = [{"page_number": 1, "width": 595.0, "height": 842.0, "page_label": "16"}]
    parsed = parse_cells(cells, pages=pages)
    rows = parsed.datasets["budget_lines"]
    assert [(r["name"], r["prior_yen"], r["page_label"], r["checks"]) for r in rows] == [
        ("市税", 48_352_400_000, "16", []),
        ("地方譲与税", 680_000_000, "16", []),
    ]
    assert parsed.warnings == ["p.1 歳入合計 = Σ款 (前年度): Σ 49,032,400千円 ≠ 49,032,500千円"]


def test_page_labels_of_a_spread_are_those_of_its_halves() -> None:
    labels = budget.page_labels(
        [
            {
                "page_number": 3,
                "page_label": None,
                "width": 842.0,
                "height": 595.0,
                "text": "1 個人 16,203,500\n- 63 - - 64 -",
            }
        ]
    )
    assert labels == {3: (842.0, ["63", "64"])}


# -- the flow ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("prefect_harness")
def test_budget_lines_are_published_and_read_back_with_duckdb(tmp_path: Path) -> None:
    from flows.runner import run_refresh

    before = example_book("spread", fiscal_year=2025)
    after = following_year(before, "令和8年度　見本市一般会計予算書")
    after.misprints = [Misprint("total", ("歳入", 1, 1), 1)]
    write_budget_book(tmp_path / "r7.pdf", before)
    write_budget_book(tmp_path / "r8.pdf", after)
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        "".join(
            f'[[source]]\nid = "mihon-{n}"\ntitle = "{t}"\npublisher = "見本市"\nkind = "budget"\n'
            f'url = "{n}.pdf"\n\n'
            for n, t in (("r7", before.title), ("r8", after.title))
        ),
        encoding="utf-8",
    )
    state, result = run_refresh(catalog=str(catalog), data_dir=str(tmp_path / "data"), workers=2)
    assert result is not None, state.message
    processed = tmp_path / "data" / "processed"
    con = duckdb.connect()
    docs = con.execute(
        f"SELECT source_id, status, len(warnings) FROM '{processed}/documents/*.parquet' ORDER BY 1"
    ).fetchall()
    assert docs == [("mihon-r7", "ok", 0), ("mihon-r8", "partial", 2)]
    assert (
        pq.read_schema(processed / "budget_lines" / "mihon-r8.parquet").remove_metadata()
        == BUDGET_LINES
    )
    # the R8 book's 前年度 is the R7 book's 本年度, line for line
    mismatched = con.execute(
        f"""SELECT count(*) FROM '{processed}/budget_lines/mihon-r8.parquet' a
            JOIN '{processed}/budget_lines/mihon-r7.parquet' b
              ON a.side = b.side AND a.level = b.level AND a.kan = b.kan
             AND a.kou IS NOT DISTINCT FROM b.kou AND a.moku IS NOT DISTINCT FROM b.moku
             AND a.setsu IS NOT DISTINCT FROM b.setsu
            WHERE a.level <> '節' AND a.prior_yen IS DISTINCT FROM b.amount_yen"""
    ).fetchone()
    assert mismatched == (0,)
    failing = con.execute(
        f"""SELECT fiscal_year, name, page_label, checks FROM '{processed}/budget_lines/*.parquet'
            WHERE len(checks) > 0"""
    ).fetchall()
    assert [(f[0], f[1], f[2]) for f in failing] == [(2026, "市民税", "5")]

"""Score the tables and cells the pipeline extracts against other people's ground truth.

    python -m benchmarks.eval_tables ../shared/corpus [--only icdar|ja|tables] [--files eu-001,...] [-v]

The corpus is read where it lies (never copied into the project). Every PDF goes through the same
code path as a real run, `transforms.extract.page.extract_page` per page then
`transforms.assemble.document.assemble_document`, without Prefect. Three groups are scored:

- ``icdar``: the ICDAR 2013 Table Competition EU set, with the competition's structure measure:
  precision, recall and F1 of cell adjacency relations (each cell with its nearest non-empty
  neighbour to the right and below, compared by normalized content), from ``NAME-str.xml``;
  and table detection against ``NAME-reg.xml`` (a ground-truth region counts as found when a
  predicted table on the same page overlaps it with intersection over union of at least 0.5).
- ``ja``: Japanese public-sector PDFs. Fuji City 予算書 sections against their per-款 JSON (every
  amount must be found as a cell with the same value in yen, i.e. right value and unit; amounts
  the section's PDF does not print at all are discounted and listed with ``-v``); the Tokyo covid
  report against its ward→count CSV (the count must be the cell below or right of the ward's
  cell); MHLW institution lists against their CSVs (whole rows matched cell for cell, after NFKC
  and whitespace removal on both sides; 01_北海道.csv lacks the PDF's URL column, so URL cells
  are left out for that file); the pdfminer samples kampo and jo (vertical writing, no table)
  must give no table. What analysts query is scored too: each Fuji amount must sit under its
  column's header (本年度予算額, 前年度予算額, the 節's 金額, 説明) with its own line's name as
  row label, and 款/項/目 amounts with the line's row_path (市税 / 市民税 / 個人); each MHLW
  record must be a body row (not taken for a header), no header row may repeat in the body,
  and each record cell must sit under its CSV column's name; each figure of the Tokyo report's
  boxes and ward table must sit under the label printed above it.
- ``tables``: camelot and tabula-java fixtures with expected CSVs (adjacency relations of the
  CSVs against the tables on the pages they cover, plus how many CSVs equal an extracted grid
  exactly) and pdfplumber fixtures with asserted rows.

Prints per-file lines with ``-v`` and always one summary table at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import pdfplumber

from transforms.assemble.document import assemble_document
from transforms.extract.page import extract_page
from transforms.records import DocumentInfo, PageRecord

# ---------------------------------------------------------------------------------------------
# Running the pipeline


@dataclass
class Extraction:
    """What the pipeline made of one PDF: page records and the dataset rows."""

    pages: list[PageRecord]
    tables: list[dict]
    cells: list[dict]
    heights: dict[int, float] = field(default_factory=dict)

    def grids(self, field_name: str = "text_raw") -> dict[str, list[list[dict]]]:
        """Each table's cells as a grid of cell dicts (row-major), keyed by table id."""
        by_table: dict[str, dict[tuple[int, int], dict]] = {}
        for cell in self.cells:
            by_table.setdefault(cell["table_id"], {})[(cell["row"], cell["col"])] = cell
        out: dict[str, list[list[dict]]] = {}
        for table_id, cells in by_table.items():
            n_rows = max(r for r, _ in cells) + 1
            n_cols = max(c for _, c in cells) + 1
            out[table_id] = [[cells.get((r, c), {}) for c in range(n_cols)] for r in range(n_rows)]
        return out


def run_pipeline(path: Path) -> Extraction:
    """Extract every page of `path` and build the dataset rows, as a real run does."""
    pages = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            pages.append(extract_page(page))
            page.close()
    records = assemble_document(DocumentInfo("eval", "eval", "generic"), pages)
    heights = {p.page_number: p.height for p in pages}
    return Extraction(pages, records.tables, records.cells, heights)


# ---------------------------------------------------------------------------------------------
# Cell adjacency relations (ICDAR 2013 structure measure)

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def norm(text: str | None) -> str:
    """Content as compared: NFKC, lower case, only letters and digits (spacing and punctuation vary)."""
    if not text:
        return ""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


@dataclass(frozen=True)
class GridCell:
    row: int
    col: int
    end_row: int
    end_col: int
    content: str


def adjacency(cells: list[GridCell]) -> Counter:
    """Relations (a, b, direction): b is the nearest non-empty cell right of / below a."""
    occupied: dict[tuple[int, int], GridCell] = {}
    for cell in cells:
        if not cell.content:
            continue
        for r in range(cell.row, cell.end_row + 1):
            for c in range(cell.col, cell.end_col + 1):
                occupied.setdefault((r, c), cell)
    if not occupied:
        return Counter()
    max_row = max(r for r, _ in occupied)
    max_col = max(c for _, c in occupied)
    relations: set[tuple[GridCell, GridCell, str]] = set()
    for cell in {id(v): v for v in occupied.values()}.values():
        for r in range(cell.row, cell.end_row + 1):
            for c in range(cell.end_col + 1, max_col + 1):
                other = occupied.get((r, c))
                if other is not None and other is not cell:
                    relations.add((cell, other, "h"))
                    break
        for c in range(cell.col, cell.end_col + 1):
            for r in range(cell.end_row + 1, max_row + 1):
                other = occupied.get((r, c))
                if other is not None and other is not cell:
                    relations.add((cell, other, "v"))
                    break
    return Counter((a.content, b.content, d) for a, b, d in relations)


def grid_cells_from_rows(rows: list[list[str | None]]) -> list[GridCell]:
    """A plain grid (CSV rows) as cells without spans."""
    return [
        GridCell(r, c, r, c, norm(text)) for r, row in enumerate(rows) for c, text in enumerate(row)
    ]


def grid_cells_from_output(grid: list[list[dict]], field_name: str = "text_raw") -> list[GridCell]:
    """Output cells as spanning cells: a position flagged `spanned` belongs to the origin cell
    left of or above it with the same text."""
    n_rows = len(grid)
    n_cols = max((len(r) for r in grid), default=0)
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            cell = grid[r][c] if c < len(grid[r]) else {}
            if cell.get("spanned"):
                text = cell.get(field_name)
                for origin in ((r, c - 1), (r - 1, c)):
                    o = owner.get(origin, origin)
                    if o[0] >= 0 and o[1] >= 0:
                        src = grid[o[0]][o[1]] if o[1] < len(grid[o[0]]) else {}
                        if src.get(field_name) == text:
                            owner[(r, c)] = o
                            break
    extents: dict[tuple[int, int], list[int]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            o = owner.get((r, c), (r, c))
            ext = extents.setdefault(o, [r, c, r, c])
            ext[2], ext[3] = max(ext[2], r), max(ext[3], c)
    cells = []
    for (r, c), (_, _, er, ec) in extents.items():
        cell = grid[r][c] if c < len(grid[r]) else {}
        cells.append(GridCell(r, c, er, ec, norm(cell.get(field_name))))
    return cells


@dataclass
class PRF:
    tp: float = 0.0
    found: float = 0.0
    expected: float = 0.0
    tp_found: float | None = None  # matches counted on the found side, when they differ from tp

    def add(self, other: PRF) -> None:
        self.tp += other.tp
        self.found += other.found
        self.expected += other.expected
        if other.tp_found is not None or self.tp_found is not None:
            self.tp_found = (self.tp_found or 0.0) + (
                other.tp_found if other.tp_found is not None else other.tp
            )

    @property
    def precision(self) -> float:
        tp = self.tp if self.tp_found is None else self.tp_found
        return tp / self.found if self.found else (1.0 if not self.expected else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def compare_relations(found: Counter, expected: Counter) -> PRF:
    tp = sum((found & expected).values())
    return PRF(tp, sum(found.values()), sum(expected.values()))


# ---------------------------------------------------------------------------------------------
# ICDAR 2013


def icdar_ground_truth(str_xml: Path) -> list[list[GridCell]]:
    """Each ground-truth table's cells (all its regions, rows continued across regions)."""
    tables = []
    for table in ET.parse(str_xml).getroot().iter("table"):
        cells: list[GridCell] = []
        row_base = 0
        for region in table.iter("region"):
            max_row = -1
            for cell in region.iter("cell"):
                sr, sc = int(cell.get("start-row")), int(cell.get("start-col"))
                er, ec = int(cell.get("end-row", sr)), int(cell.get("end-col", sc))
                content = cell.findtext("content") or ""
                cells.append(GridCell(row_base + sr, sc, row_base + er, ec, norm(content)))
                max_row = max(max_row, er)
            row_base += max_row + 1
        tables.append(cells)
    return tables


def icdar_regions(reg_xml: Path) -> list[tuple[int, tuple[float, float, float, float]]]:
    """(page, (x1, y1, x2, y2)) of every ground-truth table region, PDF coordinates."""
    out = []
    for region in ET.parse(reg_xml).getroot().iter("region"):
        box = region.find("bounding-box")
        if box is None:
            continue
        coords = tuple(float(box.get(k)) for k in ("x1", "y1", "x2", "y2"))
        out.append((int(region.get("page")), coords))
    return out


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def predicted_regions(ex: Extraction) -> list[tuple[int, tuple[float, float, float, float]]]:
    """Per-page table boxes of the pipeline, in PDF coordinates (y up) like the ground truth."""
    out = []
    for page in ex.pages:
        h = page.height
        for table in page.tables:
            x0, top, x1, bottom = table.bbox
            out.append((page.page_number, (x0, h - bottom, x1, h - top)))
    return out


def score_icdar(pdf: Path, ex: Extraction) -> tuple[PRF, PRF]:
    """(adjacency relations, detected regions) for one ICDAR file."""
    stem = pdf.with_suffix("")
    expected: Counter = Counter()
    for cells in icdar_ground_truth(Path(f"{stem}-str.xml")):
        expected += adjacency(cells)
    found: Counter = Counter()
    for grid in ex.grids().values():
        found += adjacency(grid_cells_from_output(grid))
    truth = icdar_regions(Path(f"{stem}-reg.xml"))
    predicted = predicted_regions(ex)
    hit_truth = sum(
        1 for p, box in truth if any(q == p and iou(box, b) >= 0.5 for q, b in predicted)
    )
    hit_pred = sum(
        1 for q, b in predicted if any(q == p and iou(box, b) >= 0.5 for p, box in truth)
    )
    # precision counts predicted tables that match a region, recall counts regions matched
    detection = PRF(hit_truth, len(predicted), len(truth), tp_found=hit_pred)
    return compare_relations(found, expected), detection


# ---------------------------------------------------------------------------------------------
# Japanese documents


def _nfkc_compact(text: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def fuji_amounts(data: object, path: tuple[str, ...] = ()) -> list[tuple[str, str, int]]:
    """(path, key, amount in 千円) for every amount in a per-款 JSON tree."""
    out: list[tuple[str, str, int]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("本年度予算額", "前年度予算額", "金額") and isinstance(value, int | float):
                out.append((" > ".join(path), key, int(value)))
            else:
                out.extend(
                    fuji_amounts(
                        value,
                        path + ((key,) if key not in ("項", "目", "節", "説明", "内訳") else ()),
                    )
                )
    elif isinstance(data, list):
        for item in data:
            out.extend(fuji_amounts(item, path))
    return out


def score_fuji(pdf: Path, ex: Extraction, verbose: bool) -> PRF:
    """Every amount of the per-款 JSON must be a cell whose value_yen is that amount × 1,000."""
    expected = fuji_amounts(json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8")))
    # Known flaw: some JSON amounts (the 款's 前年度予算額) are not printed in the section's PDF
    # at all; they are discounted, and listed with -v.
    printed = unicodedata.normalize("NFKC", "".join(p.text_raw for p in ex.pages))
    absent = [e for e in expected if f"{e[2]:,}" not in printed]
    expected = [e for e in expected if f"{e[2]:,}" in printed]
    if verbose and absent:
        print(f"    discounted, not printed in the PDF: {absent}")
    found_yen = Counter(c["value_yen"] for c in ex.cells if c.get("value_yen") is not None)
    remaining = Counter(found_yen)
    tp = 0
    missing = []
    for where, key, amount in expected:
        if remaining[amount * 1000] > 0:
            remaining[amount * 1000] -= 1
            tp += 1
        elif found_yen[amount * 1000] > 0:
            tp += 1  # the same figure printed once for several levels (款 = 項 = 目)
        else:
            missing.append(f"{where} {key}={amount}")
    if verbose and missing:
        print(f"    missing ({len(missing)}): " + "; ".join(missing[:12]))
    return PRF(tp, tp, len(expected))


@dataclass(frozen=True)
class BudgetAmount:
    """One amount of a per-款 JSON: the names of its line from the 款 down, the level the line
    sits at (款, 項, 目, 節, 説明 …), the JSON key (本年度予算額, 前年度予算額, 金額) and the amount."""

    names: tuple[str, ...]
    level: str
    key: str
    amount: int
    # names the JSON lists under the line without an amount of their own (its 内訳): the
    # amount is printed beside the last of them (「001 給与費」 over 「001 市議会議員 32人 352,146」)
    breakdown: tuple[str, ...] = ()


_AMOUNT_KEYS = ("本年度予算額", "前年度予算額", "金額")
_LEVELS = ("項", "目", "節", "説明", "内訳", "事業費")


def budget_amounts(
    data: object, names: tuple[str, ...] = (), level: str = "款"
) -> list[BudgetAmount]:
    """Every amount of a per-款 JSON tree with the line it belongs to (the same amounts as
    `fuji_amounts`)."""
    out: list[BudgetAmount] = []
    if isinstance(data, list):
        for item in data:
            out.extend(budget_amounts(item, names, level))
    elif isinstance(data, dict):
        inner = data.get("内訳")
        breakdown = (
            tuple(k for k, v in inner.items() if v is None) if isinstance(inner, dict) else ()
        )
        for key, value in data.items():
            if key in _AMOUNT_KEYS and isinstance(value, int | float):
                out.append(BudgetAmount(names, level, key, int(value), breakdown))
            elif key in _LEVELS:
                out.extend(budget_amounts(value, names, key))
            elif isinstance(value, dict | list):
                out.extend(budget_amounts(value, names + (key,), level))
    return out


def _compact_label(text: str | None) -> str:
    return _nfkc_compact(text).replace("・", "")


def right_header(amount: BudgetAmount, header: str | None) -> bool:
    """The cell's column header names the amount's column: 本年度予算額 (not a 財源内訳 column),
    前年度予算額, the 節's 金額, or the 説明 column for the amounts a 説明 lists."""
    h = _nfkc_compact(header)
    if amount.key == "本年度予算額":
        return "本年度" in h and "財源" not in h
    if amount.key == "前年度予算額":
        return "前年度" in h
    # a 節's 金額 is repeated in its 説明; a 説明 line may be printed in the 節 column's 金額
    return ("金額" in h or "説明" in h) and "予算額" not in h


def right_label(amount: BudgetAmount, row_label: str | None) -> bool:
    """The cell's row label is the name of the amount's own line (spacing and width aside)."""
    names = (amount.names[-1], *amount.breakdown[-1:])
    return bool(row_label) and _compact_label(row_label) in {_compact_label(n) for n in names}


def misread_label(amount: BudgetAmount, row_label: str | None) -> bool:
    """The row label is the line's name but for a few characters the PDF's text layer maps to
    the wrong ideograph (「都市計画税」 read as 「邴市計画税」): a text-layer flaw, counted apart."""
    if not row_label:
        return False
    a, b = _compact_label(row_label), _compact_label(amount.names[-1])
    differ = sum(x != y for x, y in zip(a, b, strict=False))
    return len(a) == len(b) and 0 < differ <= max(1, len(b) // 4)


def right_path(amount: BudgetAmount, row_path: str | None) -> bool:
    want = [_compact_label(n) for n in amount.names]
    return [_compact_label(p) for p in (row_path or "").split(" / ")] == want


@dataclass
class LabelScore:
    """Amounts whose cell carries the right header and row label (and, for 款/項/目 lines, the
    right row path); `no_header` counts amounts whose only cells have no column header at all."""

    amounts: int = 0
    labelled: int = 0
    header_ok: int = 0
    label_ok: int = 0
    no_header: int = 0
    misread: int = 0
    paths: int = 0
    path_ok: int = 0

    def add(self, other: LabelScore) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def score_fuji_labels(pdf: Path, ex: Extraction, verbose: bool) -> LabelScore:
    """Every printed amount of the per-款 JSON must be a body cell with its column's header
    (本年度予算額/前年度予算額/金額/説明) and its own line's name as row label (a 計 row names
    the line it totals); a cell of a 款/項/目 amount with the line's name must also carry the
    line's path (市税 / 市民税 / 個人)."""
    data = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    printed = unicodedata.normalize("NFKC", "".join(p.text_raw for p in ex.pages))
    expected = [a for a in budget_amounts(data) if f"{a.amount:,}" in printed]
    # the JSON repeats a line elsewhere without its 内訳 (歳出's 事業費 list): same breakdown
    breakdowns = {(a.names[-1], a.amount): a.breakdown for a in expected if a.breakdown}
    expected = [
        a if a.breakdown else replace(a, breakdown=breakdowns.get((a.names[-1], a.amount), ()))
        for a in expected
    ]
    by_yen: dict[int, list[dict]] = {}
    for cell in ex.cells:
        if cell.get("value_yen") is not None and not cell.get("is_header"):
            by_yen.setdefault(cell["value_yen"], []).append(cell)
    score = LabelScore()
    wrong: list[str] = []
    wrong_paths: list[str] = []
    for amount in expected:
        cells = by_yen.get(amount.amount * 1000, [])
        score.amounts += 1
        header = any(right_header(amount, c.get("header")) for c in cells)
        label = any(right_label(amount, c.get("row_label")) for c in cells)
        both = [
            c
            for c in cells
            if right_header(amount, c.get("header")) and right_label(amount, c.get("row_label"))
        ]
        score.header_ok += header
        score.label_ok += label
        score.labelled += bool(both)
        score.no_header += bool(cells) and all(not c.get("header") for c in cells)
        score.misread += not both and any(
            right_header(amount, c.get("header")) and misread_label(amount, c.get("row_label"))
            for c in cells
        )
        if amount.level in ("款", "項", "目"):
            score.paths += 1
            named = [c for c in cells if right_label(amount, c.get("row_label"))]
            path_ok = any(right_path(amount, c.get("row_path")) for c in named)
            score.path_ok += path_ok
            if named and not path_ok:
                wrong_paths.append(f"{' / '.join(amount.names)}: {named[0].get('row_path')}")
        if not both:
            seen = (
                "; ".join(f"[{c.get('header')}|{c.get('row_label')}]" for c in cells[:3])
                or "no cell"
            )
            wrong.append(f"{' > '.join(amount.names)} {amount.key}={amount.amount}: {seen}")
    if verbose and wrong:
        print(f"    without header+label ({len(wrong)}):")
        for line in wrong[:40]:
            print(f"      {line}")
    if verbose and wrong_paths:
        print(f"    wrong row_path ({len(wrong_paths)}): {wrong_paths[:6]}")
    return score


def score_covid(pdf: Path, ex: Extraction, verbose: bool) -> PRF:
    """Ward → count pairs: the count is the cell right of or below the ward name."""
    with open(pdf.with_suffix(".expected.csv"), encoding="utf-8") as f:
        expected = [
            (_nfkc_compact(r[0]), _nfkc_compact(r[1])) for r in csv.reader(f) if len(r) >= 2
        ]
    pairs: set[tuple[str, str]] = set()
    for grid in ex.grids().values():
        for r, row in enumerate(grid):
            for c, cell in enumerate(row):
                name = _nfkc_compact(cell.get("text_raw"))
                if not name:
                    continue
                if c + 1 < len(row):
                    pairs.add((name, _nfkc_compact(row[c + 1].get("text_raw"))))
                if r + 1 < len(grid) and c < len(grid[r + 1]):
                    pairs.add((name, _nfkc_compact(grid[r + 1][c].get("text_raw"))))
    missing = [p for p in expected if p not in pairs]
    if verbose and missing:
        print(f"    missing ({len(missing)}): {missing[:10]}")
    return PRF(len(expected) - len(missing), len(expected) - len(missing), len(expected))


def _rows_of(ex: Extraction) -> list[tuple[str, ...]]:
    rows = []
    for grid in ex.grids().values():
        for row in grid:
            cells = tuple(_nfkc_compact(c.get("text_raw")) for c in row)
            if any(cells):
                rows.append(cells)
    return rows


def _strip_empty(cells: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in cells if c)


def score_rows(
    expected_rows: list[list[str]], ex: Extraction, verbose: bool, drop: re.Pattern | None = None
) -> PRF:
    """Expected rows found cell for cell (empty cells ignored, as CSV writers drop spans);
    cells matching `drop` are left out of the extracted rows."""
    found = Counter(
        _strip_empty(tuple(c for c in r if not (drop and drop.search(c)))) for r in _rows_of(ex)
    )
    want = [_strip_empty(tuple(_nfkc_compact(c) for c in row)) for row in expected_rows]
    want = [w for w in want if w]
    remaining = Counter(found)
    tp = 0
    missing = []
    for w in want:
        if remaining[w] > 0:
            remaining[w] -= 1
            tp += 1
        else:
            missing.append(w)
    if verbose and missing:
        print(f"    missing rows ({len(missing)}): {missing[:3]}")
    return PRF(tp, tp, len(want))


MHLW_CSV = {
    "000791218": "13_東京都.csv",
    "000876235": "01_北海道.csv",
    "000850751": "44_大分県.csv",
}


_URL = re.compile(r"^(https?:|www\.)|\.(jp|com|net|org|info)(/|$)", re.IGNORECASE)


def score_mhlw(pdf: Path, ex: Extraction, verbose: bool) -> PRF:
    """Rows of the list, cell for cell. Known flaw: 01_北海道.csv has no ウェブサイトURL column
    (the PDF has one), so for that file URL cells are left out of our rows before comparing."""
    with open(pdf.parent / MHLW_CSV[pdf.stem], encoding="utf-8") as f:
        rows = list(csv.reader(f))
    drop_urls = "ウェブサイトURL" not in rows[0]
    return score_rows(rows[1:], ex, verbose, drop=_URL if drop_urls else None)


@dataclass
class ListScore:
    """How a list's records and headers come out: records published as body rows (not as
    header rows), header rows repeated in the body, record cells under their column's header."""

    records: int = 0
    body: int = 0
    as_header: int = 0
    repeated_headers: int = 0
    cells: int = 0
    cells_headed: int = 0

    def add(self, other: ListScore) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _output_rows(ex: Extraction) -> list[tuple[str, bool, list[dict]]]:
    """(table id, is a header row, the row's cells) for every extracted row with text."""
    out = []
    for table_id, grid in ex.grids().items():
        for row in grid:
            if any(_nfkc_compact(c.get("text_raw")) for c in row):
                out.append((table_id, bool(row[0].get("is_header")), row))
    return out


def _row_texts(row: list[dict], drop: re.Pattern | None = None) -> tuple[str, ...]:
    """A row's non-empty texts, a spanning cell once."""
    texts: list[str] = []
    for cell in row:
        text = _nfkc_compact(cell.get("text_raw"))
        if not text or (drop and drop.search(text)) or cell.get("spanned"):
            continue
        texts.append(text)
    return tuple(texts)


def score_list_headers(pdf: Path, ex: Extraction, verbose: bool) -> ListScore:
    """Records against the list's CSV: each must be a body row, every cell under the header
    of its CSV column; no header row may come back in the body (repeated page headers)."""
    with open(pdf.parent / MHLW_CSV[pdf.stem], encoding="utf-8") as f:
        rows = list(csv.reader(f))
    names = [_nfkc_compact(n) for n in rows[0]]
    drop = _URL if "ウェブサイトURL" not in rows[0] else None
    out = _output_rows(ex)
    index: dict[tuple[str, ...], list[tuple[str, bool, list[dict]]]] = {}
    for entry in out:
        index.setdefault(_row_texts(entry[2], drop), []).append(entry)
    score = ListScore()
    as_header: list[str] = []
    for record in rows[1:]:
        want = tuple(_nfkc_compact(c) for c in record if _nfkc_compact(c))
        if not want:
            continue
        score.records += 1
        found = index.get(want, [])
        body = [e for e in found if not e[1]]
        score.body += bool(body)
        if found and not body:
            score.as_header += 1
            as_header.append(want[0])
        if body:
            cells: dict[str, list[dict]] = {}
            for c in body[0][2]:
                cells.setdefault(_nfkc_compact(c.get("text_raw")), []).append(c)
            for name, value in zip(names, record, strict=False):
                value = _nfkc_compact(value)
                if not value or value not in cells:
                    continue
                score.cells += 1
                score.cells_headed += any(
                    _nfkc_compact((c.get("header") or "").split(" / ")[-1]) == name
                    for c in cells[value]
                )
    headers_by_table: dict[str, set[tuple[str, ...]]] = {}
    for table_id, is_header, row in out:
        if is_header:
            headers_by_table.setdefault(table_id, set()).add(_row_texts(row))
    repeated = [
        row
        for table_id, is_header, row in out
        if not is_header
        and (
            _row_texts(row) in headers_by_table.get(table_id, set())
            or set(names) <= set(_row_texts(row))
        )
    ]
    score.repeated_headers = len(repeated)
    if verbose and as_header:
        print(f"    records taken for header rows ({len(as_header)}): {as_header[:5]}")
    if verbose and repeated:
        print(
            f"    header rows repeated in the body ({len(repeated)}): "
            f"{[_row_texts(r)[:2] for r in repeated[:4]]}"
        )
    return score


# Read off page 1 of the Tokyo report: each box's label and the figure printed under it.
COVID_BOXES = [
    ("総数", "123"),
    ("濃厚接触者※1", "42"),
    ("海外渡航歴", "0"),
    ("調査中", "81"),
    ("うち重症者", "0"),
    *zip(
        [
            "10歳未満",
            "10代",
            "20代",
            "30代",
            "40代",
            "50代",
            "60代",
            "70代",
            "80代",
            "90代",
            "100歳以上",
            "不明",
        ],
        ["0", "0", "22", "16", "20", "29", "16", "10", "7", "3", "0", "0"],
        strict=True,
    ),
    ("男性", "69"),
    ("女性", "54"),
    ("不明", "0"),
    ("総数(累計)", "3,307"),
    ("重症者", "61"),
    ("退院(累計)", "681"),
]


def score_covid_headers(pdf: Path, ex: Extraction, verbose: bool) -> PRF:
    """Every box's figure and every ward's count must be a body cell whose header (its last
    part) is the label printed above it (ワード names from the CSV, the boxes from COVID_BOXES)."""
    with open(pdf.with_suffix(".expected.csv"), encoding="utf-8") as f:
        wards = [(r[0], r[1]) for r in csv.reader(f) if len(r) >= 2]
    pairs = Counter()
    for cell in ex.cells:
        if cell.get("is_header") or cell.get("spanned") or cell.get("page_number") != 1:
            continue
        header = (cell.get("header") or "").split(" / ")[-1]
        pairs[(_nfkc_compact(header), _nfkc_compact(cell.get("text_raw")))] += 1
    missing = []
    tp = 0
    for label, figure in COVID_BOXES + wards:
        key = (_nfkc_compact(label), _nfkc_compact(figure))
        if pairs[key] > 0:
            pairs[key] -= 1
            tp += 1
        else:
            missing.append(f"{label}={figure}")
    if verbose and missing:
        print(f"    figures without their label as header ({len(missing)}): {missing[:12]}")
    total = len(COVID_BOXES) + len(wards)
    return PRF(tp, tp, total)


# ---------------------------------------------------------------------------------------------
# Other tools' fixtures


def read_csv_grid(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8") as f:
        return [row for row in csv.reader(f)]


def trimmed(grid: list[list[str]]) -> list[list[str]]:
    """Normalized grid without empty rows and columns (so frames and padding do not matter)."""
    rows = [[norm(c) for c in row] for row in grid]
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    keep = [c for c in range(width) if any(r[c] for r in rows)]
    return [[r[c] for c in keep] for r in rows]


def score_expected_csvs(csvs: list[Path], ex: Extraction, verbose: bool) -> tuple[PRF, int, int]:
    """Adjacency relations of a file's expected CSVs against all tables extracted from the
    pages they cover (as for ICDAR: some CSVs hold two tables one after the other), and how
    many CSVs equal an
    extracted grid exactly (after normalization, empty rows and columns dropped)."""
    # spanned copies blank, as most CSV writers leave them, or filled (camelot's copy_text)
    trimmed_found = []
    for g in ex.grids().values():
        for fill in (False, True):
            rows = [
                ["" if c.get("spanned") and not fill else c.get("text_raw") or "" for c in row]
                for row in g
            ]
            trimmed_found.append(trimmed(rows))
    expected: Counter = Counter()
    exact = 0
    for path in csvs:
        expected_grid = read_csv_grid(path)
        expected += adjacency(grid_cells_from_rows(expected_grid))
        is_exact = trimmed(expected_grid) in trimmed_found
        exact += is_exact
        if verbose:
            print(f"    {path.name}: exact={is_exact}")
    # Only the pages the expected output covers count (schools.pdf has 5 pages, its CSV is one
    # page): a page counts when at least 30% of its relations are expected ones.
    pages: dict[int, Counter] = {}
    for grid in ex.grids().values():
        by_page: dict[int, list[list[dict]]] = {}
        for row in grid:
            page = next((c.get("page_number") or 0 for c in row if c), 0)
            by_page.setdefault(page, []).append(row)
        for page, rows in by_page.items():
            pages.setdefault(page, Counter())
            pages[page] += adjacency(grid_cells_from_output(rows))
    found: Counter = Counter()
    for relations in pages.values():
        if sum((relations & expected).values()) >= 0.3 * sum(relations.values()):
            found += relations
    score = compare_relations(found, expected)
    if verbose:
        print(f"    F1 {score.f1:.3f} ({score.tp:.0f}/{score.found:.0f}/{score.expected:.0f})")
    return score, exact, len(csvs)


PDFPLUMBER_ROWS = {
    "issue-140-example": [
        [
            "0085648100300",
            "CENTRAL KMA",
            "LILYS 55% DARK CHOC BAR",
            "415",
            "$ 0.61",
            "$ 253.15",
            "0.0000",
        ]
    ],
    "senate-expenditures": [
        ["DHAW20190070", "09/09/2019", "CITIBANK - TRAVEL CBA CARD", "08/12/2019", "08/14/2019"]
    ],
    "nics-background-checks-2015-11": [["Alabama", "71,137"], ["Wyoming", "5,017"]],
    "WARN-Report-for-7-1-2015-to-03-25-2016": [
        [
            "06/22/2015",
            "03/25/2016",
            "07/01/2015",
            "Maxim Integrated Product",
            "San Jose",
            "150",
            "Closure Permanent",
        ]
    ],
}


def score_asserted(pdf: Path, ex: Extraction, verbose: bool) -> PRF:
    """pdfplumber's asserted rows: each must be a row of an extracted table containing, in order,
    the asserted cells (nics asserts only the first and the 23rd column)."""
    wanted = PDFPLUMBER_ROWS.get(pdf.stem, [])
    rows = [[norm(c) for c in r if norm(c)] for r in _rows_of(ex)]
    tp = 0
    for want in wanted:
        w = [norm(c) for c in want]
        ok = False
        for row in rows:
            if len(w) == 2 and row and row[0] == w[0] and w[1] in row:
                ok = True
            elif row == w:
                ok = True
        tp += ok
        if verbose and not ok:
            print(f"    missing row {want}")
    return PRF(tp, tp, len(wanted))


# ---------------------------------------------------------------------------------------------
# Driver


def _line(name: str, prf: PRF, extra: str = "") -> str:
    return f"{name:<44} P {prf.precision:6.3f}  R {prf.recall:6.3f}  F1 {prf.f1:6.3f}  ({prf.tp:.0f}/{prf.found:.0f}/{prf.expected:.0f}) {extra}"


def _share(part: int, whole: int) -> str:
    return f"{part / whole:6.3f}  ({part}/{whole})" if whole else "  n/a"


def _label_lines(score: LabelScore) -> list[str]:
    return [
        f"{'Fuji R8 amounts under right header+row label':<44} {_share(score.labelled, score.amounts)}"
        f"  header {score.header_ok}, label {score.label_ok}, no header printed {score.no_header},"
        f" label misread in the text layer {score.misread}",
        f"{'Fuji R8 款/項/目 amounts with right row_path':<44} {_share(score.path_ok, score.paths)}",
    ]


def _list_lines(score: ListScore) -> list[str]:
    return [
        f"{'MHLW records published as body rows':<44} {_share(score.body, score.records)}"
        f"  taken for header rows {score.as_header}",
        f"{'MHLW header rows repeated in the body':<44} {score.repeated_headers:6d}  (want 0)",
        f"{'MHLW record cells under their CSV column':<44} {_share(score.cells_headed, score.cells)}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--only", choices=["icdar", "ja", "tables"], action="append")
    parser.add_argument("--files", help="comma-separated file stems to restrict to")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    if not corpus.is_dir():
        print(f"corpus not found: {corpus}", file=sys.stderr)
        return 2
    groups = set(args.only or ["icdar", "ja", "tables"])
    stems = set(args.files.split(",")) if args.files else None

    def wanted(pdf: Path) -> bool:
        return stems is None or pdf.stem in stems

    started = time.monotonic()
    summary: list[str] = []

    if "icdar" in groups:
        rel, det, macro = PRF(), PRF(), []
        for pdf in sorted((corpus / "icdar2013" / "eu").glob("*.pdf")):
            if not wanted(pdf):
                continue
            r, d = score_icdar(pdf, run_pipeline(pdf))
            rel.add(r)
            det.add(d)
            macro.append(r.f1)
            if args.verbose:
                print(
                    _line(
                        f"icdar {pdf.stem}",
                        r,
                        f"tables {d.tp:.0f}/{d.expected:.0f} found {d.found:.0f}",
                    )
                )
        if macro:
            summary.append(
                _line(
                    "ICDAR2013 EU cell adjacency (micro)",
                    rel,
                    f"mean F1/file {sum(macro) / len(macro):.3f}",
                )
            )
            summary.append(_line("ICDAR2013 EU table regions (IoU>=0.5)", det))

    if "ja" in groups:
        ja = corpus / "ja"
        fuji, labels = PRF(), LabelScore()
        for pdf in sorted((ja / "fuji-budget" / "R8").glob("*.pdf")):
            if not pdf.with_suffix(".json").exists() or not wanted(pdf):
                continue
            ex = run_pipeline(pdf)
            score = score_fuji(pdf, ex, args.verbose)
            fuji.add(score)
            labels.add(score_fuji_labels(pdf, ex, args.verbose))
            if args.verbose:
                print(_line(f"fuji {pdf.stem}", score))
        if fuji.expected:
            summary.append(_line("Fuji R8 per-款 amounts (value+unit)", fuji))
            summary += _label_lines(labels)
        covid = ja / "tokyo-covid-report" / "2020042101.pdf"
        if covid.exists() and wanted(covid):
            ex = run_pipeline(covid)
            summary.append(_line("Tokyo covid ward counts", score_covid(covid, ex, args.verbose)))
            summary.append(
                _line(
                    "Tokyo covid figures under their label",
                    score_covid_headers(covid, ex, args.verbose),
                )
            )
        mhlw, lists = PRF(), ListScore()
        for pdf in sorted((ja / "mhlw-kinkyu-hinin").glob("*.pdf")):
            if pdf.stem in MHLW_CSV and wanted(pdf):
                ex = run_pipeline(pdf)
                score = score_mhlw(pdf, ex, args.verbose)
                mhlw.add(score)
                lists.add(score_list_headers(pdf, ex, args.verbose))
                if args.verbose:
                    print(_line(f"mhlw {pdf.stem}", score))
        if mhlw.expected:
            summary.append(_line("MHLW lists: rows matched", mhlw))
            summary += _list_lines(lists)
        # kampo (官報, vertical multi-column) and jo (vertical prose) have no table at all; the
        # NLP slides do show ruled tables (listed as "no" in the manifest), so only the first
        # two count towards "want 0".
        counts = []
        for pdf in sorted((ja / "pdfminer").glob("*.pdf")):
            if wanted(pdf):
                counts.append(f"{pdf.stem} {len(run_pipeline(pdf).tables)}")
        if counts:
            summary.append(
                f"{'pdfminer ja: tables found':<44} {', '.join(counts)} (want kampo 0, jo 0)"
            )

    if "tables" in groups:
        tdir = corpus / "tables"
        csv_total, exact, n = PRF(), 0, 0
        for sub in ("camelot", "tabula-java"):
            for pdf in sorted((tdir / sub).glob("*.pdf")):
                csvs = sorted(p for p in (tdir / sub).glob(f"{pdf.stem}.*expected.csv"))
                if not csvs or not wanted(pdf):
                    continue
                if args.verbose:
                    print(f"  {sub}/{pdf.stem}")
                score, e, k = score_expected_csvs(csvs, run_pipeline(pdf), args.verbose)
                csv_total.add(score)
                exact += e
                n += k
        if n:
            summary.append(
                _line("camelot+tabula CSVs: adjacency", csv_total, f"exact grids {exact}/{n}")
            )
        asserted = PRF()
        for pdf in sorted((tdir / "pdfplumber").glob("*.pdf")):
            if pdf.stem in PDFPLUMBER_ROWS and wanted(pdf):
                asserted.add(score_asserted(pdf, run_pipeline(pdf), args.verbose))
        if asserted.expected:
            summary.append(_line("pdfplumber asserted rows", asserted))

    print()
    print("summary" + " " * 37 + "(tp/found/expected)")
    for line in summary:
        print(line)
    print(f"elapsed {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

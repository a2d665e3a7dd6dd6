"""Parse 予算書 (budget books): one row per budget line, 款・項・目・節, checked by the book's sums.

Japanese local budgets print their detail on one national form, the 歳入歳出予算事項別明細書:
a 総括 listing each 款 with this year's and last year's amounts, then for each side (歳入, 歳出)
spreads whose left half holds the 款/項/目 with 本年度予算額, 前年度予算額 and 比較 (and, for 歳出,
the 財源内訳: 国県支出金, 地方債, その他, 一般財源) and whose right half holds the 節 with their 金額
and the 説明. Amounts are printed in 千円, stated once above the first figures.

The kind reads the assembled cells as positioned text (`budget.layout`): it finds the columns by
their header words and makes the lines again from where the labels and figures stand
(`budget.events`, `budget.lines`), so it holds whatever rows and columns the table finder made
of a spread, and on books laid out with 款/項 headings above the tables as well as with 款/項
columns. Every line is then checked against the book's arithmetic (`budget.checks`); a failure
is named on the line and counted in the document's warnings, so the document is published
`partial` and a reader knows which page to look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from transforms.kinds.budget.checks import Outcome, check_book
from transforms.kinds.budget.events import layout_side, spread_events
from transforms.kinds.budget.layout import assign_columns, book_unit, read_pages, spreads
from transforms.kinds.budget.lines import BookReader, BudgetLine
from transforms.normalize.amounts import MONEY_UNITS
from transforms.records import DocumentInfo, Parsed

DATASETS = ("budget_lines",)
INPUTS = ("pages", "tables", "cells")

_DEFAULT_UNIT = "千円"
_MAX_WARNINGS = 30
# A printed page number with dashes around it: 「- 63 -」, 「－６３－」 (two on a spread's page).
_DASHED_NUMBER = re.compile(r"[-‐－―—–ー]\s*([0-9]{1,4})\s*[-‐－―—–ー]")
_CELL_COLUMNS = [
    "table_id",
    "page_number",
    "row",
    "col",
    "text_raw",
    "spanned",
    "x0",
    "top",
    "x1",
    "bottom",
]


def page_labels(pages: list[dict]) -> dict[int, tuple[float, list[str]]]:
    """Each page's printed page numbers and its width: one label, or two on a page that holds a
    whole spread (「- 63 -   - 64 -」), left half first."""
    labels: dict[int, tuple[float, list[str]]] = {}
    for page in pages:
        found = [page["page_label"]] if page.get("page_label") else []
        if not found and (page.get("width") or 0) > (page.get("height") or 0):
            numbers = []
            for line in (page.get("text") or "").split("\n"):
                stripped = line.strip()
                matches = _DASHED_NUMBER.findall(stripped)
                if matches and _DASHED_NUMBER.sub("", stripped).strip() == "":
                    numbers.extend(matches)
            found = sorted(dict.fromkeys(numbers), key=int)[:2]
        labels[page["page_number"]] = (page.get("width") or 0.0, found)
    return labels


def label_of(line: BudgetLine, labels: dict[int, tuple[float, list[str]]]) -> str | None:
    """The printed page number of the half of the page a line is printed on."""
    width, found = labels.get(line.page, (0.0, []))
    if not found:
        return None
    if len(found) == 2 and width and line.x >= width / 2:
        return found[1]
    return found[0]


def budget_row(doc: DocumentInfo, line: BudgetLine, label: str | None) -> dict:
    """The `budget_lines` row of a line."""
    names = line.names()
    f = line.figures
    return {
        **doc.ids,
        "fiscal_year": doc.fiscal_year,
        "side": line.side,
        "level": line.level,
        "kan": names["款"],
        "kou": names["項"],
        "moku": names["目"],
        "setsu": names["節"],
        "name": line.name,
        "ordinal": line.ordinal,
        "amount_yen": f["amount"],
        "prior_yen": f["prior"],
        "change_yen": f["change"],
        "kokken_yen": f["kokken"],
        "chihousai_yen": f["chihousai"],
        "sonota_yen": f["sonota"],
        "ippan_yen": f["ippan"],
        "description": list(line.description),
        "page_number": line.page,
        "page_label": label,
        "checks": list(line.checks),
    }


def read_book(
    cells: list[dict], tables: list[dict], texts: dict[int, str] | None = None
) -> tuple[BookReader, list[str]]:
    """Read every budget spread of a book; also returns what could not be placed."""
    pages = read_pages(cells, tables, texts)
    assign_columns(pages, {t["table_id"]: t["page_first"] for t in tables})
    unit = book_unit(pages)
    notes = [] if unit or not pages else [f"no unit printed: amounts read in {_DEFAULT_UNIT}"]
    unit = unit or _DEFAULT_UNIT
    reader = BookReader(unit, MONEY_UNITS[unit])
    orphans = []
    for group in spreads(pages):
        side = layout_side(group)
        if side:
            reader.set_side(side)
        events, unplaced = spread_events(group, unit)
        reader.read(events)
        orphans.extend(unplaced)
    if orphans:
        first = min(f.piece.page for f in orphans)
        notes.append(f"{len(orphans)} figure(s) beside no budget line (first: p.{first})")
    if reader.orphaned_events:
        first = min(e.piece.page for e in reader.orphaned_events)
        notes.append(
            f"{len(reader.orphaned_events)} label(s) outside any 款/項/目 (first: p.{first})"
        )
    return reader, notes


def book_warnings(lines: list[BudgetLine], summary: list[str], notes: list[str]) -> list[str]:
    """The document's warnings: how many lines fail the arithmetic, then each failure."""
    failing = [line for line in lines if line.checks]
    details = [
        f"p.{line.page} {line.title()}: {check}" for line in failing for check in line.checks
    ]
    warnings = list(notes)
    if failing:
        warnings.append(f"{len(failing)} of {len(lines)} budget lines fail the book's arithmetic")
    warnings.extend(summary + details)
    if len(warnings) > _MAX_WARNINGS:
        warnings = warnings[:_MAX_WARNINGS] + [
            f"… and {len(warnings) - _MAX_WARNINGS} more warnings"
        ]
    return warnings


@dataclass
class BudgetBook:
    """What a book's pages say: its lines in book order, every check's outcome, the warnings,
    and the printed page numbers to cite."""

    lines: list[BudgetLine]
    outcomes: list[Outcome]
    warnings: list[str]
    labels: dict[int, tuple[float, list[str]]]


def read_budget(inputs: dict[str, Any]) -> BudgetBook:
    """Read and check the budget of a document's assembled pages, tables and cells."""
    cells = inputs["cells"].select(_CELL_COLUMNS).to_pylist()
    tables = (
        inputs["tables"]
        .select(["table_id", "page_first", "caption", "x0", "top", "x1"])
        .to_pylist()
    )
    pages = inputs["pages"].select(["page_number", "page_label", "text", "width", "height"])
    page_rows = pages.to_pylist()
    reader, notes = read_book(cells, tables, {p["page_number"]: p["text"] for p in page_rows})
    lines = reader.finish()
    outcomes = check_book(lines, reader.side_totals, reader.unit, reader.factor)
    summary = [o.detail for o in outcomes if o.line is None and not o.held]
    if lines:
        warnings = book_warnings(lines, summary, notes)
    else:
        warnings = ["no 歳入歳出予算事項別明細書 found: no budget lines"]
    return BudgetBook(lines, outcomes, warnings, page_labels(page_rows))


def parse(doc: DocumentInfo, inputs: dict[str, Any]) -> Parsed:
    """A 予算書's budget lines (`budget_lines`), each with the checks it fails, and warnings that
    count the failures (or say that no 事項別明細書 was found)."""
    book = read_budget(inputs)
    rows = [budget_row(doc, line, label_of(line, book.labels)) for line in book.lines]
    return Parsed(datasets={"budget_lines": rows}, warnings=book.warnings)

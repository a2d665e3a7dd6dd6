"""Score the budget kind on Fuji City's 令和8年度 予算書 sections against their per-款 JSON.

    python -m benchmarks.eval_budget ../shared/corpus [-v]

The corpus is read where it lies (never copied into the project). Each section PDF of
`ja/fuji-budget/R8/` that has a per-款 JSON goes through the code path of a real run
(`extract_page` per page, `assemble_document`, the `budget` kind on the Arrow tables), twice:

- **section**: the section's PDF alone, as a catalog entry for that file would read it;
- **book**: the sections bound behind `00_概要.pdf` (cover, 第1表 and the 事項別明細書's 総括) into
  one PDF, as the city publishes the book: a 款's 前年度予算額 is printed only in the 総括, so
  only the book can give it.

Every line of each JSON (款, 項 and 目 with 本年度予算額/前年度予算額, 節 with 金額; figures in 千円
as printed, so amount_yen = JSON × 1,000) must come out with the same side, level, name,
amount_yen and prior_yen (None for a 節). Lines are matched to the JSON's by name among the
lines under the same parent, else by amount (a name the PDF's text layer spells wrong still
matches, and the wrong name is counted). A JSON figure that no page of the PDF prints is a flaw
of the JSON, not of the parser; it is listed as such, with the figure the book prints.

Then every check of the book's arithmetic that applied is listed with its outcome.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
import pypdfium2

from transforms.assemble.document import assemble_document
from transforms.extract.page import extract_page
from transforms.kinds.budget import BudgetBook, label_of, read_budget
from transforms.kinds.budget.lines import BudgetLine
from transforms.records import DocumentInfo
from transforms.schemas import to_table

FUJI = Path("ja/fuji-budget/R8")
SUMMARY_PART = "00_概要.pdf"
_CHILD_KEYS = {"款": "項", "項": "目", "目": "節"}


@dataclass
class Expected:
    """One line of a per-款 JSON."""

    side: str
    level: str
    name: str
    amount: int  # 千円
    prior: int | None  # 千円; None for a 節
    children: list[Expected] = field(default_factory=list)


def expected_lines(path: Path) -> list[Expected]:
    """The JSON's 款 (its top-level keys) with their 項, 目 and 節, in print order."""
    side = "歳出" if path.name.startswith("歳出") else "歳入"
    data = json.loads(path.read_text(encoding="utf-8"))

    def read(name: str, node: dict, level: str) -> Expected:
        amount = node.get("本年度予算額", node.get("金額"))
        line = Expected(side, level, name, int(amount), node.get("前年度予算額"))
        child = _CHILD_KEYS.get(level)
        for item in node.get(child, []) if child else []:
            for child_name, child_node in item.items():
                line.children.append(read(child_name, child_node, child))
        return line

    return [read(name, node, "款") for name, node in data.items()]


def squeeze(text: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def read_pdf(path: Path) -> tuple[BudgetBook, str]:
    """The budget the kind reads from a PDF, and the PDF's whole text (to tell which figures
    it prints)."""
    pages = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            pages.append(extract_page(page))
            page.close()
    doc = DocumentInfo("eval", "eval", "budget")
    rows = assemble_document(doc, pages)
    inputs = {
        "pages": to_table("pages", rows.pages),
        "tables": to_table("tables", rows.tables),
        "cells": to_table("cells", rows.cells),
    }
    printed = unicodedata.normalize("NFKC", "\n".join(p.text_raw for p in pages))
    return read_budget(inputs), printed


def bind_book(parts: list[Path], out: Path) -> None:
    """Bind PDFs into one, in order (the book as published, from its sections)."""
    book = pypdfium2.PdfDocument.new()
    for part in parts:
        source = pypdfium2.PdfDocument(str(part))
        book.import_pages(source)
        source.close()
    book.save(str(out))
    book.close()


@dataclass
class Score:
    """Fields right per kind of field, over the JSON's lines."""

    lines: int = 0
    right: Counter = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    not_printed: list[str] = field(default_factory=list)  # discounted: the PDF cannot say
    json_flaws: list[str] = field(default_factory=list)  # the JSON says what no page prints
    missing: list[str] = field(default_factory=list)


def _match(expected: Expected, found: list[BudgetLine], taken: set[int]) -> BudgetLine | None:
    free = [line for line in found if id(line) not in taken and line.level == expected.level]
    by_name = [line for line in free if squeeze(line.name) == squeeze(expected.name)]
    if by_name:
        return by_name[0]
    by_amount = [line for line in free if line.figures["amount"] == expected.amount * 1000]
    return by_amount[0] if by_amount else None


def _is_printed(value: int, printed: str) -> bool:
    return f"{value:,}" in printed or (value == 0 and "0" in printed)


def _compare(
    expected: Expected, line: BudgetLine, printed: str, score: Score, where: str, section: bool
) -> str:
    """Compare one line's fields; returns the line of the report."""
    marks = []
    checks = {
        "side": (line.side, expected.side),
        "level": (line.level, expected.level),
        "name": (squeeze(line.name), squeeze(expected.name)),
        "amount_yen": (line.figures["amount"], expected.amount * 1000),
        "prior_yen": (
            line.figures["prior"],
            expected.prior * 1000 if expected.prior is not None else None,
        ),
    }
    for name, (got, want) in checks.items():
        if got == want:
            score.right[name] += 1
            continue
        if name == "prior_yen" and expected.level == "款" and section and got is None:
            score.right[name] += 1  # a section prints its 款's 本年度 only; the 総括 has 前年度
            score.not_printed.append(f"{where} {name}: not printed in a section (総括 only)")
            marks.append(f"{name}: not printed in a section (the 総括 prints it)")
            continue
        if (
            name in ("amount_yen", "prior_yen")
            and want is not None
            and not _is_printed(want // 1000, printed)
        ):
            score.json_flaws.append(
                f"{where} {name}: JSON {want // 1000:,}千円 is printed nowhere in the PDF;"
                f" read {_yen(got)}"
            )
            marks.append(
                f"{name}: JSON's {want // 1000:,}千円 is printed nowhere (read {_yen(got)})"
            )
            continue
        score.wrong.append(f"{where} {name}: {got!r} ≠ {want!r}")
        marks.append(f"{name} {got!r} ≠ {want!r}")
    return "ok" if not marks else "; ".join(marks)


def _yen(value: int | None) -> str:
    return "none" if value is None else f"{value // 1000:,}千円"


def score_lines(
    expected: list[Expected],
    found: list[BudgetLine],
    book: BudgetBook,
    printed: str,
    score: Score,
    report: list[str],
    section: bool,
    path: str = "",
) -> None:
    """Walk the JSON's tree beside the lines read, scoring each JSON line."""
    taken: set[int] = set()
    for item in expected:
        where = f"{path} / {item.name}" if path else f"{item.side} {item.name}"
        score.lines += 1
        line = _match(item, found, taken)
        if line is None:
            score.missing.append(where)
            report.append(f"  MISSING {item.level} {where}")
            continue
        taken.add(id(line))
        outcome = _compare(item, line, printed, score, where, section)
        label = label_of(line, book.labels) or "?"
        report.append(
            f"  {item.level} {where}: amount {_yen(line.figures['amount'])}, prior"
            f" {_yen(line.figures['prior'])} (p.{line.page}, printed p.{label}) — {outcome}"
        )
        score_lines(item.children, line.children, book, printed, score, report, section, where)


def check_report(book: BudgetBook, verbose: bool) -> list[str]:
    """Every check that applied, by rule: how many held, and each that failed with its page."""
    by_rule: dict[str, list] = defaultdict(list)
    for outcome in book.outcomes:
        by_rule[outcome.rule].append(outcome)
    out = []
    for rule, outcomes in by_rule.items():
        held = sum(1 for o in outcomes if o.held)
        out.append(f"  {rule}: {held}/{len(outcomes)} hold")
        for o in outcomes:
            where = o.line.title() if o.line is not None else ""
            if not o.held or verbose:
                mark = "holds" if o.held else "FAILS"
                out.append(f"    {mark} p.{o.page} {where} {o.detail if not o.held else ''}")
    return out


def run(name: str, pdf: Path, jsons: list[Path], section: bool, verbose: bool) -> Score:
    book, printed = read_pdf(pdf)
    score = Score()
    report: list[str] = []
    for path in jsons:
        roots = [line for line in book.lines if line.parent is None]
        score_lines(expected_lines(path), roots, book, printed, score, report, section)
    print(f"\n== {name}")
    print("\n".join(report))
    print(f"  warnings ({len(book.warnings)}):")
    for warning in book.warnings:
        print(f"    {warning}")
    print("  checks:")
    print("\n".join(check_report(book, verbose)))
    extra = len(book.lines)
    print(f"  lines read: {extra}; JSON lines: {score.lines}")
    return score


def summary_line(name: str, score: Score) -> str:
    fields = ("side", "level", "name", "amount_yen", "prior_yen")
    parts = [f"{f} {score.right[f]}/{score.lines}" for f in fields]
    return f"{name:<34}" + "  ".join(parts) + f"  missing {len(score.missing)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the checks that hold")
    args = parser.parse_args(argv)
    folder = args.corpus / FUJI
    jsons = sorted(folder.glob("*.json"))
    if not jsons:
        print(f"no per-款 JSON under {folder}", file=sys.stderr)
        return 2
    scores = {}
    for path in jsons:
        name = f"section {path.stem}"
        scores[name] = run(name, path.with_suffix(".pdf"), [path], True, args.verbose)
    parts = [folder / SUMMARY_PART, *(p.with_suffix(".pdf") for p in jsons)]
    with tempfile.TemporaryDirectory() as tmp:
        bound = Path(tmp) / "book.pdf"
        bind_book(parts, bound)
        name = "book (00_概要 + sections)"
        scores[name] = run(name, bound, jsons, False, args.verbose)
    print("\n== summary (fields right / JSON lines)")
    for name, score in scores.items():
        print(summary_line(name, score))
        for item in score.not_printed:
            print(f"    discounted: {item}")
        for item in score.json_flaws:
            print(f"    JSON flaw: {item}")
        for item in score.wrong:
            print(f"    wrong: {item}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

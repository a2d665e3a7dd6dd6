"""The book's own arithmetic, checked on every line it applies to.

A budget book proves itself: each 款 is the sum of its 項, each 項 of its 目 (and equals the 計
printed under them), each 目 of its 節 where 節 amounts are printed (and a 目 with an amount
has 節 at all where the side prints them: a 節 block lost by the table finder leaves no sum to
fail), 比較 is 本年度 − 前年度, the
財源内訳 of a 歳出 line adds up to its 本年度, and the 総括's 合計 is the sum of its 款 on each
side. Every check that applies gives an `Outcome`; one that fails is named on the line (its
`checks`) or, for a 合計, on the document: either the book misprints a figure or the figure was
read wrong, and either way a reader should look at that page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from transforms.kinds.budget.lines import FIELD_NAMES, FIELDS, FUNDING, BudgetLine, format_amount

_CHILD = {"款": "項", "項": "目", "目": "節"}
Format = Callable[[int | None], str]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One check on one line (or on a side's 合計): which rule, whether it holds, and how it
    fails in the book's own figures."""

    rule: str
    held: bool
    detail: str
    line: BudgetLine | None = None
    page: int | None = None


def _funding_printed(figures: dict[str, int | None]) -> bool:
    return any(figures.get(name) is not None for name in FUNDING)


def _sum(lines: list[BudgetLine], name: str) -> int | None:
    """Σ of a figure over lines; None when a line lacks it (a funding part left blank is 0 on a
    line whose 財源内訳 is printed)."""
    total = 0
    for line in lines:
        value = line.figures.get(name)
        if value is None:
            if name in FUNDING and _funding_printed(line.figures):
                continue
            return None
        total += value
    return total


def _compared_fields(line: BudgetLine, children: list[BudgetLine]) -> tuple[str, ...]:
    """The figures a line's children are summed on: 本年度 always (節 print only that), 前年度
    and 比較 where printed, the 財源内訳 where the line and all its children print it."""
    if line.level == "目":
        return ("amount",)
    names = ["amount", "prior", "change"]
    if _funding_printed(line.figures) and all(_funding_printed(c.figures) for c in children):
        names.extend(FUNDING)
    return tuple(names)


def sum_outcomes(line: BudgetLine, fmt: Format) -> Iterator[Outcome]:
    """Σ of the children = the line, figure by figure (Σ項 = 款, Σ目 = 項, Σ節 = 目)."""
    child = _CHILD.get(line.level)
    children = [c for c in line.children if c.level == child]
    if not children:
        return
    rule = f"Σ{child} = {line.level}"
    for name in _compared_fields(line, children):
        own = line.figures.get(name)
        if own is None and name in FUNDING:
            own = 0
        total = _sum(children, name)
        if own is None or total is None:
            continue
        detail = f"{rule} ({FIELD_NAMES[name]}): Σ {fmt(total)} ≠ {fmt(own)}"
        yield Outcome(rule, own == total, detail, line, line.page)


def own_outcomes(line: BudgetLine, fmt: Format) -> Iterator[Outcome]:
    """The checks of one line on its own figures: 本年度 read, 比較, 財源内訳, the 計 under it."""
    f = line.figures
    yield Outcome("本年度 read", f["amount"] is not None, "本年度 not read", line, line.page)
    if None not in (f["amount"], f["prior"], f["change"]):
        held = f["amount"] - f["prior"] == f["change"]
        detail = f"比較 = 本年度 − 前年度: {fmt(f['change'])} ≠ {fmt(f['amount'] - f['prior'])}"
        yield Outcome("比較 = 本年度 − 前年度", held, detail, line, line.page)
    if line.side == "歳出" and f["amount"] is not None and _funding_printed(f):
        parts = sum(f[name] or 0 for name in FUNDING)
        detail = f"財源内訳 = 本年度: Σ {fmt(parts)} ≠ {fmt(f['amount'])}"
        yield Outcome("財源内訳 = 本年度", parts == f["amount"], detail, line, line.page)
    for name, value in (line.total or {}).items():
        if value is not None and f.get(name) is not None:
            detail = (
                f"計 = {line.level} ({FIELD_NAMES[name]}): 計 {fmt(value)} on p.{line.total_page}"
                f" ≠ {fmt(f[name])}"
            )
            yield Outcome(f"計 = {line.level}", f[name] == value, detail, line, line.total_page)


def setsu_outcomes(lines: list[BudgetLine]) -> Iterator[Outcome]:
    """On a side that prints 節, every 目 with an amount has some: a 廃目 (0 this year) may have
    none, any other 目 without them lost its 節 block in the reading."""
    printed = {line.side for line in lines if line.level == "節"}
    for line in lines:
        if line.level == "目" and line.side in printed and line.figures.get("amount"):
            held = any(c.level == "節" for c in line.children)
            yield Outcome("目 has 節", held, "目 has 節: no 節 read under it", line, line.page)


def summary_outcomes(
    roots: list[BudgetLine],
    side_totals: dict[str, tuple[dict[str, int | None], int]],
    fmt: Format,
) -> Iterator[Outcome]:
    """The 総括's 合計 of each side = Σ款 of that side, figure by figure."""
    for side, (totals, page) in side_totals.items():
        kan = [r for r in roots if r.side == side and r.level == "款"]
        for name in FIELDS:
            printed = totals.get(name)
            if printed is None:
                continue
            total = _sum(kan, name)
            detail = (
                f"p.{page} {side}合計 = Σ款 ({FIELD_NAMES[name]}): Σ {fmt(total)} ≠ {fmt(printed)}"
            )
            yield Outcome("合計 = Σ款", total == printed, detail, None, page)


def check_book(
    lines: list[BudgetLine],
    side_totals: dict[str, tuple[dict[str, int | None], int]],
    unit: str,
    factor: int,
) -> list[Outcome]:
    """Run every check that applies; failures go on their lines (`checks`). Returns every
    outcome, the 合計's (which belong to no line) included."""

    def fmt(yen: int | None) -> str:
        return format_amount(yen, unit, factor)

    outcomes: list[Outcome] = []
    for line in lines:
        found = [*own_outcomes(line, fmt), *sum_outcomes(line, fmt)]
        line.checks.extend(o.detail for o in found if not o.held)
        outcomes.extend(found)
    for outcome in setsu_outcomes(lines):
        if not outcome.held and outcome.line is not None:
            outcome.line.checks.append(outcome.detail)
        outcomes.append(outcome)
    roots = [line for line in lines if line.parent is None]
    outcomes.extend(summary_outcomes(roots, side_totals, fmt))
    return outcomes

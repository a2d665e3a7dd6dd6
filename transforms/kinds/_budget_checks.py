"""The book's own arithmetic, checked on every line it applies to.

A budget book proves itself: each 款 is the sum of its 項, each 項 of its 目 (and equals the 計
printed under them), each 目 of its 節 where 節 amounts are printed, 比較 is 本年度 − 前年度, the
財源内訳 of a 歳出 line adds up to its 本年度, and the 総括's 合計 is the sum of its 款 on each
side. A check that fails is named on the line (its `checks`) or, for a 合計, on the document:
either the book misprints a figure, or the figure was read wrong, and either way a reader should
look at that page.
"""

from __future__ import annotations

from transforms.kinds._budget_lines import FIELD_NAMES, FIELDS, FUNDING, BudgetLine, format_amount

_CHILD = {"款": "項", "項": "目", "目": "節"}


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


def _compared_fields(line: BudgetLine) -> tuple[str, ...]:
    """The figures a line's children are summed on: 本年度 always (節 print only that), 前年度
    and 比較 where printed, the 財源内訳 where both sides print it."""
    if line.level == "目":
        return ("amount",)
    names = ["amount", "prior", "change"]
    if _funding_printed(line.figures) and all(_funding_printed(c.figures) for c in line.children):
        names.extend(FUNDING)
    return tuple(names)


def sum_checks(line: BudgetLine, fmt) -> list[str]:  # noqa: ANN001 - the amount formatter
    """Σ of the children = the line, figure by figure (Σ項 = 款, Σ目 = 項, Σ節 = 目)."""
    child = _CHILD.get(line.level)
    children = [c for c in line.children if c.level == child]
    if not children:
        return []
    failed = []
    for name in _compared_fields(line):
        own = line.figures.get(name)
        if own is None and name in FUNDING:
            own = 0
        total = _sum(children, name)
        if own is None or total is None or own == total:
            continue
        failed.append(f"Σ{child} = {line.level} ({FIELD_NAMES[name]}): Σ {fmt(total)} ≠ {fmt(own)}")
    return failed


def line_checks(line: BudgetLine, fmt) -> list[str]:  # noqa: ANN001 - the amount formatter
    """The checks of one line on its own figures: 比較, 財源内訳, the 計 under it."""
    failed = []
    f = line.figures
    if f["amount"] is None:
        failed.append("本年度 not read")
    if (
        None not in (f["amount"], f["prior"], f["change"])
        and f["amount"] - f["prior"] != f["change"]
    ):
        failed.append(
            f"比較 = 本年度 − 前年度: {fmt(f['change'])} ≠ {fmt(f['amount'] - f['prior'])}"
        )
    if line.side == "歳出" and f["amount"] is not None and _funding_printed(f):
        parts = sum(f[name] or 0 for name in FUNDING)
        if parts != f["amount"]:
            failed.append(f"財源内訳 = 本年度: Σ {fmt(parts)} ≠ {fmt(f['amount'])}")
    for name, value in (line.total or {}).items():
        if value is not None and f.get(name) is not None and f[name] != value:
            failed.append(
                f"計 = {line.level} ({FIELD_NAMES[name]}): 計 {fmt(value)} on p.{line.total_page}"
                f" ≠ {fmt(f[name])}"
            )
    return failed


def summary_checks(
    roots: list[BudgetLine],
    side_totals: dict[str, tuple[dict[str, int | None], int]],
    fmt,  # noqa: ANN001 - the amount formatter
) -> list[str]:
    """The 総括's 合計 of each side = Σ款 of that side, figure by figure."""
    failed = []
    for side, (totals, page) in side_totals.items():
        kan = [r for r in roots if r.side == side and r.level == "款"]
        for name in FIELDS:
            printed = totals.get(name)
            if printed is None:
                continue
            total = _sum(kan, name)
            if total != printed:
                failed.append(
                    f"p.{page} {side}合計 = Σ款 ({FIELD_NAMES[name]}): Σ {fmt(total)} ≠ {fmt(printed)}"
                )
    return failed


def check_book(
    lines: list[BudgetLine],
    side_totals: dict[str, tuple[dict[str, int | None], int]],
    unit: str,
    factor: int,
) -> list[str]:
    """Run every check: failures go on the lines (`checks`); the 合計 failures are returned."""

    def fmt(yen: int | None) -> str:
        return format_amount(yen, unit, factor)

    for line in lines:
        line.checks.extend(line_checks(line, fmt) + sum_checks(line, fmt))
    roots = [line for line in lines if line.parent is None]
    return summary_checks(roots, side_totals, fmt)

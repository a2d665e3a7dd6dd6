"""The budget's lines from the events of its spreads: 款 → 項 → 目 → 節, each printed once.

A line is known by its side, its parent and its ordinal (its name where it has none), so a
heading repeated on every spread (「1款 市税」), a 款 printed in the 総括 and again above its
details, and a 目 whose 節 run on over the next spread are each one line. Its figures come from
wherever the book prints them: the 総括 (a 款's 前年度 and 財源内訳), a heading (本年度 only), the
table row, the 計 under a 項's 目. A figure printed twice with two values is kept as first printed
and the disagreement becomes one of the line's checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transforms.kinds.budget.events import DESCRIPTION, Event, Figure

LEVELS = ("款", "項", "目", "節")
FIELDS = ("amount", "prior", "change", "kokken", "chihousai", "sonota", "ippan")
FUNDING = ("kokken", "chihousai", "sonota", "ippan")
FIELD_NAMES = {
    "amount": "本年度",
    "prior": "前年度",
    "change": "比較",
    "kokken": "国県支出金",
    "chihousai": "地方債",
    "sonota": "その他",
    "ippan": "一般財源",
}


@dataclass(eq=False)
class BudgetLine:
    """One 款, 項, 目 or 節, with its figures in yen as the book prints them."""

    side: str
    level: str
    ordinal: str | None
    name: str
    parent: BudgetLine | None
    page: int
    x: float
    figures: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(FIELDS))
    description: list[str] = field(default_factory=list)
    children: list[BudgetLine] = field(default_factory=list)
    total: dict[str, int | None] | None = None  # the 計 printed under the line
    total_page: int | None = None
    checks: list[str] = field(default_factory=list)

    def names(self) -> dict[str, str | None]:
        """The names on the path down to this line, by level."""
        path: dict[str, str | None] = dict.fromkeys(LEVELS)
        line: BudgetLine | None = self
        while line is not None:
            path[line.level] = line.name
            line = line.parent
        return path

    def title(self) -> str:
        """How a warning names the line: its side and the path of names."""
        path = [name for name in self.names().values() if name]
        return f"{self.side} {' / '.join(path)}"


def figure_values(figures: dict[str, Figure]) -> dict[str, int | None]:
    """A line's figures by field: 国庫支出金 and 県支出金 printed apart are summed as 国県支出金."""
    values: dict[str, int | None] = {}
    for role, figure in figures.items():
        if role in ("kuni", "ken"):
            if figure.yen is not None:
                values["kokken"] = (values.get("kokken") or 0) + figure.yen
        elif role == "setsu_amount":
            values["amount"] = figure.yen
        else:
            values[role] = figure.yen
    return values


def format_amount(yen: int | None, unit: str, factor: int) -> str:
    """An amount as the book prints it (49,286,300千円, △10,995千円), so a reader finds it."""
    if yen is None:
        return "none"
    sign = "△" if yen < 0 else ""
    if yen % factor == 0:
        return f"{sign}{abs(yen) // factor:,}{unit}"
    return f"{sign}{abs(yen):,}円"


@dataclass
class BookReader:
    """Reads the events of the spreads in order, keeping the line each level is in."""

    unit: str
    factor: int
    side: str | None = None
    current: dict[str, BudgetLine | None] = field(default_factory=lambda: dict.fromkeys(LEVELS))
    lines: dict[tuple, BudgetLine] = field(default_factory=dict)
    roots: list[BudgetLine] = field(default_factory=list)
    side_totals: dict[str, tuple[dict[str, int | None], int]] = field(default_factory=dict)
    orphaned_events: list[Event] = field(default_factory=list)

    def set_side(self, side: str) -> None:
        if side != self.side:
            self.side = side
            self.current = dict.fromkeys(LEVELS)

    def read(self, events: list[Event]) -> None:
        for event in events:
            if event.kind == "side" and event.side:
                self.set_side(event.side)
            elif event.kind == "line":
                self.read_line(event)
            elif event.kind == "total":
                self.read_total(event)
            elif event.kind == "item":
                self.read_item(event)

    def read_line(self, event: Event) -> None:
        level = event.level or "目"
        depth = LEVELS.index(level)
        parent = self.current[LEVELS[depth - 1]] if depth else None
        if depth and parent is None:
            self.orphaned_events.append(event)
            return
        side = self.side or "歳入"
        key = (side, level, id(parent), event.ordinal or event.name)
        line = self.lines.get(key)
        if line is None:
            line = BudgetLine(
                side, level, event.ordinal, event.name, parent, event.piece.page, event.piece.x0
            )
            self.lines[key] = line
            (parent.children if parent else self.roots).append(line)
        self.absorb(line, figure_values(event.figures), event.piece.page)
        if self.current[level] is not line:
            self.current[level] = line
            for deeper in LEVELS[depth + 1 :]:
                self.current[deeper] = None

    def absorb(self, line: BudgetLine, values: dict[str, int | None], page: int) -> None:
        """Take the figures a line is printed with; a second, different value is a check."""
        for name, value in values.items():
            if value is None:
                continue
            held = line.figures.get(name)
            if held is None:
                line.figures[name] = value
            elif held != value:
                line.checks.append(
                    f"{FIELD_NAMES[name]} printed as {self.fmt(value)} on p.{page}"
                    f" but {self.fmt(held)} on p.{line.page}"
                )

    def read_total(self, event: Event) -> None:
        values = figure_values(event.figures)
        if event.level == "side":
            self.side_totals[self.side or "歳入"] = (values, event.piece.page)
            return
        line = self.current.get(event.level or "項")
        if line is None:
            self.orphaned_events.append(event)
            return
        line.total = {**(line.total or {}), **{k: v for k, v in values.items() if v is not None}}
        line.total_page = event.piece.page

    def read_item(self, event: Event) -> None:
        """A 説明 line belongs to the 目 on the 歳出 side (its 説明 lists the 目's 事業) and to
        the 節 beside it on the 歳入 side; a 細節 belongs to its 節."""
        setsu, moku = self.current["節"], self.current["目"]
        if event.item_of == DESCRIPTION and self.side == "歳出":
            target = moku
        else:
            target = setsu or moku
        if target is None:
            self.orphaned_events.append(event)
            return
        target.description.append(event.name)

    def fmt(self, yen: int | None) -> str:
        return format_amount(yen, self.unit, self.factor)

    def finish(self) -> list[BudgetLine]:
        """Every line in book order (each 款 with its 項, each 項 with its 目 …), the figures a
        line shows only in the 計 below it filled in."""
        ordered: list[BudgetLine] = []

        def walk(line: BudgetLine) -> None:
            if line.total:
                for name, value in line.total.items():
                    if line.figures.get(name) is None:
                        line.figures[name] = value
            ordered.append(line)
            for child in line.children:
                walk(child)

        for side in ("歳入", "歳出"):
            for root in self.roots:
                if root.side == side:
                    walk(root)
        return ordered

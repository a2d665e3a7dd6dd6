"""A budget spread's printed lines in reading order: each label with the figures beside it.

Rows are made from vertical positions, not from the table finder's rows: a figure belongs to the
label printed at its height in the columns it goes with (本年度/前年度/比較/財源内訳 with a 款, 項
or 目 label or a 計; 金額 with a 節). What the pieces say decides what they are:

- 「2 歳入」「(歳出)」 switch the side;
- 「1款 市税 49,286,300千円」「2項 固定資産税」 printed above or between the tables are headings;
- 「1 個人」 in the 目 column, 「3 職員手当等」 in the 節 column are lines of that level (a suffix, as
  in 「1款 市税」 printed in a 款 column, says the level too);
- 「計」「歳入合計」 are printed totals of the level above;
- a 節-column line without an ordinal is a 細節 (「管理職手当 1,925」) or the wrapped end of the
  name above it (「担金」 under 「1 社会福祉費負」); a 目-column one with figures is an unnumbered 目
  (a 廃目 printed with last year's figure only);
- every 説明 line is an item of the 説明.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from transforms.kinds.budget.layout import (
    DESCRIPTION,
    LABEL_ROLES,
    LEVEL_OF_ROLE,
    LINE_FIGURE_ROLES,
    SETSU_AMOUNT,
    PageLayout,
    Piece,
)
from transforms.normalize.amounts import parse_amount
from transforms.normalize.figures import is_nil
from transforms.normalize.text import join_wrapped

_SIDE = re.compile(
    r"^(?:\d{1,2}|[一二三四五六七八九十]{1,3})?[.．、]?[(（]?歳(?P<side>入|出)[)）]?$"
)
_HEADING_AT = re.compile(r"(?<![\d,.])(?:第\s*)?(?P<ord>\d{1,3})\s*(?P<level>款|項)\s*(?=[^\d\s])")
_LABEL = re.compile(
    r"^(?:第\s*)?(?P<ord>\d{1,3})(?:\s*(?P<suffix>款|項|目|節)\s*|\s+)(?P<name>[^\d\s(（].*)$"
)
_CONTINUED = re.compile(r"[(（](?:続|続き|つづき)[)）]")
_TOTALS = {
    "計": None,
    "合計": "side",
    "総計": "side",
    "歳入合計": "side",
    "歳出合計": "side",
    "款計": "款",
    "項計": "項",
    "目計": "目",
}
_TOTAL_OF_COLUMN = {"kan": "side", "kou": "款", "moku": "項", "setsu": "目"}
_ORDER = {"side": 0, "款": 1, "項": 2, "目": 3, "total": 4, "節": 5, "setsu": 6, DESCRIPTION: 7}
_SAME_HEIGHT = 5.0  # a figure this close in height to a label is on its line
_SAME_LINE = 3.0  # events this close in height are read in the order of their kind
_WRAP_GAP = 12.0  # a label's wrapped end is printed at most this far below it


@dataclass(slots=True)
class Figure:
    """A figure printed in a figure column: its role, its text and its amount in yen (None for a
    nil mark 「－」)."""

    role: str
    text: str
    yen: int | None
    piece: Piece


@dataclass
class Event:
    """One thing read on a spread, in the order a reader meets it."""

    kind: str  # "side" | "line" | "total" | "item"
    piece: Piece
    level: str | None = None  # line: 款/項/目/節; total: the level it totals, or "side"
    ordinal: str | None = None
    name: str = ""
    side: str | None = None
    heading: bool = False  # a 款/項 heading printed outside the table's rows
    item_of: str | None = None  # item: "setsu" (a 細節) or "description" (a 説明 line)
    figures: dict[str, Figure] = field(default_factory=dict)

    @property
    def y(self) -> float:
        return self.piece.top

    @property
    def order(self) -> int:
        if self.kind == "line":
            return _ORDER[self.level or "目"]
        if self.kind == "item":
            return _ORDER[self.item_of or DESCRIPTION]
        return _ORDER[self.kind if self.kind == "side" else "total"]


def clean_name(name: str) -> str:
    """A line's name as printed, without a 「（続）」 mark of a continued page."""
    return _CONTINUED.sub("", name).strip()


def read_figure(piece: Piece, role: str, unit: str) -> Figure | None:
    """The piece as a figure of `role` (None when it is not one figure or a nil mark)."""
    if is_nil(piece.text):
        return Figure(role, piece.text, None, piece)
    amount = parse_amount(piece.text, unit=unit, normalized=True)
    if amount.value is None or amount.value_yen is None:
        return None
    return Figure(role, piece.text, amount.value_yen, piece)


def heading_events(piece: Piece, unit: str) -> list[Event]:
    """「15款 国庫支出金 19,346,840千円」 and 「1款 議会費 1項 議会費」 as heading events, with the
    amount printed on the same line when there is one."""
    starts = list(_HEADING_AT.finditer(piece.text))
    events = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(piece.text)
        words = piece.text[match.end() : end].split()
        event = Event("line", piece, match.group("level"), match.group("ord"))
        event.heading = True
        if len(words) > 1:
            figure = read_figure(_sub_piece(piece, words[-1]), "amount", unit)
            if figure is not None and figure.yen is not None:
                event.figures["amount"] = figure
                words = words[:-1]
        event.name = clean_name(" ".join(words))
        if event.name:
            events.append(event)
    return events


def _sub_piece(piece: Piece, text: str) -> Piece:
    return Piece(piece.page, piece.x0, piece.top, piece.x1, piece.bottom, text, piece.table_id)


def _is_heading(piece: Piece) -> bool:
    """A 款/項 heading, unless it is printed in the label column of its own level (a 款 column
    holding 「1款 市税」 is a table row with its figures beside it)."""
    match = _HEADING_AT.match(piece.text)
    if match is None:
        return False
    return piece.role not in LABEL_ROLES or LEVEL_OF_ROLE[piece.role] != match.group("level")


def classify(piece: Piece, unit: str, found: Found) -> None:
    """Sort one piece into the events, figures and loose labels of its spread."""
    side = _SIDE.match(piece.squeezed)
    if side:
        found.events.append(Event("side", piece, side="歳" + side.group("side")))
    elif _is_heading(piece):
        found.events.extend(heading_events(piece, unit))
    elif piece.caption:
        return
    elif piece.role in LABEL_ROLES:
        _classify_label(piece, unit, found)
    elif piece.role in LINE_FIGURE_ROLES or piece.role == SETSU_AMOUNT:
        figure = read_figure(piece, piece.role, unit)
        if figure is not None:
            found.figures.append(figure)
    elif piece.role == DESCRIPTION:
        found.events.append(Event("item", piece, name=piece.text, item_of=DESCRIPTION))


def _classify_label(piece: Piece, unit: str, found: Found) -> None:
    role = piece.role or "moku"
    if piece.squeezed in _TOTALS:
        level = _TOTALS[piece.squeezed] or _TOTAL_OF_COLUMN[role]
        found.events.append(Event("total", piece, level=level))
        return
    label = _LABEL.match(piece.text)
    if label:
        level = label.group("suffix") or LEVEL_OF_ROLE[role]
        name = clean_name(label.group("name"))
        found.events.append(Event("line", piece, level, label.group("ord"), name))
        return
    figure = read_figure(piece, SETSU_AMOUNT, unit) if role == "setsu" else None
    if figure is not None:
        found.figures.append(figure)  # a 節 amount printed inside the 区分 column
    else:
        found.loose.append(Event("line", piece, LEVEL_OF_ROLE[role], None, clean_name(piece.text)))


@dataclass
class Found:
    """What a spread's pieces were sorted into."""

    events: list[Event] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    loose: list[Event] = field(default_factory=list)  # labels without an ordinal, decided later


def _owners_of(figure: Figure, owners: list[Event]) -> list[Event]:
    wants_setsu = figure.role == SETSU_AMOUNT
    return [
        e
        for e in owners
        if (e.level == "節") == wants_setsu
        and abs(e.y - figure.piece.top) <= _SAME_HEIGHT
        and e.piece.x0 <= figure.piece.x1
    ]


def attach_figures(owners: list[Event], figures: list[Figure]) -> list[Figure]:
    """Give each figure to the label at its height in the columns it goes with (the nearest in
    height, then the nearest to its left); returns the figures beside no label."""
    orphans: list[Figure] = []
    for figure in figures:
        candidates = _owners_of(figure, owners)
        if not candidates:
            orphans.append(figure)
            continue
        owner = min(
            candidates,
            key=lambda e: (abs(e.y - figure.piece.top), figure.piece.x0 - e.piece.x0),
        )
        held = owner.figures.get(figure.role)
        if held is None or abs(held.piece.top - owner.y) > abs(figure.piece.top - owner.y):
            if held is not None:
                orphans.append(held)
            owner.figures[figure.role] = figure
        else:
            orphans.append(figure)
    return orphans


def claim_heading_figures(events: list[Event], figures: list[Figure]) -> None:
    """A heading's amount printed apart from it on its line (「1款 市税 … 49,286,300千円」)."""
    for event in events:
        if not event.heading or "amount" in event.figures:
            continue
        beside = [
            f
            for f in figures
            if f.yen is not None
            and abs(f.piece.top - event.y) <= _SAME_LINE + 1
            and f.piece.x0 >= event.piece.x1 - 1
        ]
        if beside:
            nearest = min(beside, key=lambda f: f.piece.x0)
            figures.remove(nearest)
            event.figures["amount"] = Figure("amount", nearest.text, nearest.yen, nearest.piece)


def join_wrapped_labels(loose: list[Event], events: list[Event]) -> list[Event]:
    """Join a label without an ordinal or figures to the label just above it in its column (a
    name wrapped in its cell: 「1 社会福祉費負」「担金」); returns the loose labels left."""
    loose_ids = {id(e) for e in loose}
    labels = sorted(
        [e for e in events if e.kind == "line" and not e.heading] + loose,
        key=lambda e: (e.piece.page, e.y),
    )
    joined: set[int] = set()
    previous: dict[tuple[int, str | None], Event] = {}
    for event in labels:
        key = (event.piece.page, event.piece.role)
        above = previous.get(key)
        wrapped = (
            id(event) in loose_ids
            and not event.figures
            and above is not None
            and 0 <= event.y - above.piece.bottom <= _WRAP_GAP
        )
        if wrapped and above is not None:
            above.name = join_wrapped([above.name, event.name])
            above.piece.bottom = event.piece.bottom
            joined.add(id(event))
        else:
            previous[key] = event
    return [e for e in loose if id(e) not in joined]


def settle_loose(loose: list[Event]) -> list[Event]:
    """Labels without an ordinal: in the 節 column a 細節 (「管理職手当 1,925」), in a 款/項/目
    column an unnumbered line when figures are printed beside it (a 廃目), else nothing."""
    settled: list[Event] = []
    for event in loose:
        if event.level == "節":
            text = " ".join([event.name, *(f.text for f in event.figures.values())])
            settled.append(Event("item", event.piece, name=text, item_of="setsu"))
        elif event.figures:
            settled.append(event)
    return settled


def join_description_figures(events: list[Event]) -> list[Event]:
    """A 説明 figure the finder put in a cell of its own is the end of the item on its line."""
    kept: list[Event] = []
    for event in events:
        last = kept[-1] if kept else None
        if (
            event.kind == "item"
            and event.item_of == DESCRIPTION
            and last is not None
            and last.item_of == DESCRIPTION
            and last.piece.page == event.piece.page
            and abs(last.y - event.y) <= 2
            and parse_amount(event.name, normalized=True).value is not None
        ):
            last.name = f"{last.name} {event.name}"
            continue
        kept.append(event)
    return kept


def reading_order(events: list[Event]) -> list[Event]:
    """Top to bottom; things printed on one line in the order of their kind (the 目 before the
    節 beside it, the 節 before its 説明)."""
    ordered = sorted(events, key=lambda e: e.y)
    out: list[Event] = []
    band: list[Event] = []
    for event in ordered:
        if band and event.y - band[0].y > _SAME_LINE:
            out.extend(sorted(band, key=lambda e: (e.order, e.piece.x0)))
            band = []
        band.append(event)
    out.extend(sorted(band, key=lambda e: (e.order, e.piece.x0)))
    return out


def spread_events(group: list[PageLayout], unit: str) -> tuple[list[Event], list[Figure]]:
    """The events of one spread in reading order, and its figures that are beside no line."""
    found = Found()
    for layout in group:
        for piece in layout.pieces:
            classify(piece, unit, found)
    claim_heading_figures(found.events, found.figures)
    owners = [e for e in found.events if e.kind in ("line", "total") and not e.heading]
    orphans = attach_figures(owners + found.loose, found.figures)
    loose = join_wrapped_labels(found.loose, found.events)
    events = found.events + settle_loose(loose)
    return join_description_figures(reading_order(events)), orphans


def layout_side(group: list[PageLayout]) -> str | None:
    """The side a spread's columns say it is on: only 歳出 prints a 財源内訳, and a detail spread
    (a 目 column) without one is 歳入 unless a printed 「歳出」 says otherwise. None: the spread
    (a 総括) leaves it to its printed side."""
    if any(layout.has_funding for layout in group):
        return "歳出"
    roles = {c.role for layout in group for c in layout.columns}
    marked = any(_SIDE.match(p.squeezed) for layout in group for p in layout.pieces)
    if "moku" in roles and not marked:
        return "歳入"
    return None

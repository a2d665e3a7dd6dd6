"""Where things are printed in a 歳入歳出予算事項別明細書: positioned text and its columns.

A budget book's tables are hard on any table finder: each 目 is one tall ruled cell beside dozens
of 節 and 説明 lines, the 款/項 headings sit between tables, a spread's two halves may come out as
one table or two, and a continued page may be stitched to the previous one or not. So this module
does not read the tables' rows and columns as the finder built them. It reads every printed line
as a `Piece` (its text and its box on the page), finds the column headers by their words
(目, 本年度予算額, 区分, 説明 …) and gives each piece the role of the column it stands in. Rows are
then made again from the vertical positions (`budget.events`), which is what a reader does.

The finder's (table, col) is used only where a piece's box straddles two columns: then the header
printed in the same table column says which it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from transforms.normalize.text import normalize_lines

LABEL_ROLES = ("kan", "kou", "moku", "setsu")
LEVEL_OF_ROLE = {"kan": "款", "kou": "項", "moku": "目", "setsu": "節"}
FUNDING_ROLES = ("kokken", "kuni", "ken", "chihousai", "sonota", "ippan")
LINE_FIGURE_ROLES = ("amount", "prior", "change", *FUNDING_ROLES)
SETSU_AMOUNT = "setsu_amount"
DESCRIPTION = "description"

# Column headers as the national form and its local variants print them (spaces removed, a unit
# in brackets dropped): the word is the column's role.
_HEADER_WORDS = {
    "款": "kan",
    "項": "kou",
    "目": "moku",
    "節": "setsu",
    "区分": "setsu",
    "本年度予算額": "amount",
    "本年度": "amount",
    "本年度予算": "amount",
    "予算額": "amount",
    "前年度予算額": "prior",
    "前年度": "prior",
    "前年度予算": "prior",
    "比較": "change",
    "増減": "change",
    "比較増減": "change",
    "増減額": "change",
    "国県支出金": "kokken",
    "国・県支出金": "kokken",
    "国庫支出金": "kuni",
    "県支出金": "ken",
    "都支出金": "ken",
    "道支出金": "ken",
    "府支出金": "ken",
    "都道府県支出金": "ken",
    "地方債": "chihousai",
    "その他": "sonota",
    "一般財源": "ippan",
    "金額": SETSU_AMOUNT,
    "説明": DESCRIPTION,
}
_BRACKETED = re.compile(r"[(（〔\[][^)）〕\]]*[)）〕\]]")
_UNIT_ONLY = re.compile(r"^[(（]?(?:単位[:：]?)?(千円|百万円|万円|円)[)）]?$")
# Header words of different columns stand in one band: a lone 「その他」 in a 説明 is no header.
_HEADER_BAND = 30.0
# A box this much wider than a column on either side is not inside it.
_SLACK = 2.0
# Lines of one cell are this far apart at most (a tall ruled cell's text sits at its top).
_LINE_PITCH = 10.0
_CAPTION_PITCH = 11.0
_ORDINAL_ONLY = re.compile(r"^(?:第)?[0-9]{1,3}(?:款|項|目|節)?$")
_ORDINAL_GAP = 60.0  # an ordinal's name starts at most this far to its right
_NEAR = 30.0  # a text line and a piece this close in height are the same printed line
_FIGURE_WORD = re.compile(r"^[△▲-]?[0-9][0-9,]*(?:\.[0-9]+)?$")
_HEADING_START = re.compile(r"^(?:第\s*)?[0-9]{1,3}\s*(?:款|項)\s*[^\d\s]")
_SIDE_MARK = re.compile(r"^(?:[0-9]{1,2})?[(（]?歳[入出][)）]?$")


@dataclass(slots=True)
class Piece:
    """One printed line of text and where it is: a cell's line, or a caption's line."""

    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    text: str  # normalized
    table_id: str | None = None
    col: int | None = None
    caption: bool = False
    role: str | None = None
    cell_top: float = 0.0  # the box of the cell the line is printed in
    cell_bottom: float = 0.0

    @property
    def squeezed(self) -> str:
        return re.sub(r"\s+", "", self.text)


@dataclass(slots=True)
class Column:
    """A column of the layout, from its header: what it holds and its horizontal extent."""

    role: str
    x0: float
    x1: float
    top: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0


@dataclass
class PageLayout:
    """What one page of the book holds: its pieces, its columns (when it is a budget page)."""

    page: int
    pieces: list[Piece] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    units: Counter = field(default_factory=Counter)  # unit-only lines (千円) seen on the page

    @property
    def roles(self) -> set[str]:
        return {c.role for c in self.columns}

    @property
    def has_line_labels(self) -> bool:
        return bool(self.roles & {"kan", "kou", "moku"})

    @property
    def is_budget_page(self) -> bool:
        """The page's headers are those of a 事項別明細書 (or its 総括): a label column with
        this year's and last year's figures, the 節 columns with their 説明, or a 財源内訳."""
        roles = self.roles
        lines = self.has_line_labels and "amount" in roles and bool(roles & {"prior", "change"})
        setsu = {"setsu", SETSU_AMOUNT, DESCRIPTION} <= roles
        funding = len(roles & set(FUNDING_ROLES)) >= 3
        return lines or setsu or funding

    @property
    def has_funding(self) -> bool:
        return bool(self.roles & set(FUNDING_ROLES))


def header_role(text: str) -> str | None:
    """The role of a column whose header reads `text` (「本 年 度 予 算 額」 → amount)."""
    word = _BRACKETED.sub("", re.sub(r"\s+", "", text))
    word = word.removesuffix("千円").removesuffix("(千円)")
    return _HEADER_WORDS.get(word)


def is_header_text(text: str) -> bool:
    """Header words run together in one piece (「節 区分」「区分 金額」): a header, not data."""
    word = re.sub(r"\s+", "", text)
    if not word or len(word) > 12:
        return False
    ends = {0}
    for i in range(len(word)):
        if i in ends:
            ends.update(i + len(w) for w in _HEADER_WORDS if word.startswith(w, i))
    return len(word) in ends and header_role(text) is None and len(word) > 1


def is_unit_only(text: str) -> str | None:
    """The unit a line states and nothing else (「千円」「(単位:千円)」), or None."""
    match = _UNIT_ONLY.match(re.sub(r"\s+", "", text))
    return match.group(1) if match else None


# -- pieces -----------------------------------------------------------------------------------


def _cell_box(cell: dict, rows: dict, cols: dict) -> tuple[float, float, float, float] | None:
    """The cell's box; a cell the finder gave no box takes its row's and its column's extent."""
    if cell["x0"] is not None:
        return cell["x0"], cell["top"], cell["x1"], cell["bottom"]
    row = rows.get((cell["table_id"], cell["page_number"], cell["row"]))
    col = cols.get((cell["table_id"], cell["col"]))
    if row is None or col is None:
        return None
    return col[0], row[0], col[1], row[1]


def _extents(cells: list[dict]) -> tuple[dict, dict]:
    rows: dict = {}
    cols: dict = {}
    for cell in cells:
        if cell["x0"] is None:
            continue
        rows.setdefault(
            (cell["table_id"], cell["page_number"], cell["row"]), (cell["top"], cell["bottom"])
        )
        cols.setdefault((cell["table_id"], cell["col"]), (cell["x0"], cell["x1"]))
    return rows, cols


def cell_pieces(
    cell: dict, box: tuple[float, float, float, float]
) -> tuple[list[Piece], list[str]]:
    """A cell's printed lines as pieces, and the units its unit-only lines state.

    Lines of one cell are stacked from its top, at most a line pitch apart: in a tall ruled cell
    the text sits at the top, and two cells with the same number of lines (a label cell and the
    figure cell beside it) get the same positions, line for line.
    """
    lines = [line for line in normalize_lines(cell["text_raw"] or "") if line]
    units = [u for u in (is_unit_only(line) for line in lines) if u]
    lines = [line for line in lines if not is_unit_only(line)]
    x0, top, x1, bottom = box
    if not lines:
        return [], units
    pitch = min((bottom - top) / len(lines), _LINE_PITCH)
    last = len(lines) - 1
    return [
        Piece(
            cell["page_number"],
            x0,
            top + i * pitch,
            x1,
            bottom if i == last else top + (i + 1) * pitch,
            line,
            cell["table_id"],
            cell["col"],
            cell_top=top,
            cell_bottom=bottom,
        )
        for i, line in enumerate(lines)
    ], units


def caption_pieces(table: dict) -> list[Piece]:
    """A table's caption lines, placed just above the table: headings (1款 市税 …) and side
    markers ((歳入)) are often printed there rather than in a cell."""
    lines = [line for line in (table.get("caption") or "").split("\n") if line.strip()]
    top = table["top"]
    return [
        Piece(
            table["page_first"],
            table["x0"],
            top - (len(lines) - i) * _CAPTION_PITCH,
            table["x1"],
            top - (len(lines) - i - 1) * _CAPTION_PITCH,
            line.strip(),
            table["table_id"],
            None,
            caption=True,
        )
        for i, line in enumerate(lines)
    ]


def _anchor(line: str, pieces: list[Piece]) -> float | None:
    """The height of a page-text line: that of the leftmost piece it starts with."""
    squeezed = re.sub(r"\s+", "", line)
    starts = [p for p in pieces if p.squeezed and squeezed.startswith(p.squeezed)]
    return min(starts, key=lambda p: (p.x0, -len(p.squeezed))).top if starts else None


def text_headings(text: str, pieces: list[Piece], page: int) -> list[Piece]:
    """Headings (「2款 国庫支出金 5,020,085千円」) and side marks the page's text prints but no
    cell or caption holds where it prints them: the finder drops the caption of a table
    continued from the page before. Each is placed just above the next text line whose height
    is known (a piece it starts with)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    found: list[Piece] = []
    for i, line in enumerate(lines):
        squeezed = re.sub(r"\s+", "", line)
        if not (_HEADING_START.match(line) or _SIDE_MARK.match(squeezed)):
            continue
        below = next(
            (y for y in (_anchor(x, pieces) for x in lines[i + 1 :]) if y is not None), None
        )
        top = (below if below is not None else 0.0) - 1.0 - 0.01 * (len(lines) - i)
        if any(squeezed in p.squeezed and abs(p.top - top) <= _NEAR for p in pieces):
            continue
        found.append(Piece(page, 0.0, top, 0.0, top + 1.0, line, caption=True))
    return found


def drop_repeated_lines(pieces: list[Piece]) -> list[Piece]:
    """Each printed line once. A finder may give a tall cell's lines again as cells of the rows
    beside it (a 説明 running down beside ruled 節); the copy keeps its own row's height, the
    tall cell's line (whose height is only estimated) goes."""
    by_text: dict[tuple[str | None, int | None, str], list[Piece]] = defaultdict(list)
    for p in pieces:
        by_text[(p.table_id, p.col, p.squeezed)].append(p)
    dropped: set[int] = set()
    for group in by_text.values():
        for tall in group:
            height = tall.cell_bottom - tall.cell_top
            if any(
                other is not tall
                and other.cell_bottom - other.cell_top < height
                and tall.cell_top < other.top < tall.cell_bottom - _SLACK
                for other in group
            ):
                dropped.add(id(tall))
    return [p for p in pieces if id(p) not in dropped]


def _is_split_ordinal(piece: Piece) -> bool:
    """An ordinal alone: 「1款」 anywhere, a bare 「1」 only in a label column (in a figure column
    it is a figure)."""
    if piece.caption or not _ORDINAL_ONLY.match(piece.squeezed):
        return False
    return not piece.squeezed.isdigit() or piece.role in ("kan", "kou", "moku", "setsu")


def join_split_ordinals(pieces: list[Piece]) -> list[Piece]:
    """An ordinal printed apart from its name (「１款」 … 「市税」, 「1」 … 「個人」, split by a finder
    that cuts lines at wide gaps) joined to the name on its right, on the same line."""
    out: list[Piece] = []
    taken: set[int] = set()
    for piece in sorted(pieces, key=lambda p: (p.top, p.x0)):
        if id(piece) in taken:
            continue
        if _is_split_ordinal(piece):
            right = [
                p
                for p in pieces
                if id(p) not in taken
                and p is not piece
                and abs(p.top - piece.top) <= 2
                and 0 <= p.x0 - piece.x1 <= _ORDINAL_GAP
                and not _FIGURE_WORD.match(p.squeezed)
                and (p.role == piece.role or not piece.squeezed.isdigit())
            ]
            if right:
                name = min(right, key=lambda p: p.x0)
                taken.add(id(name))
                piece = Piece(
                    piece.page,
                    piece.x0,
                    piece.top,
                    name.x1,
                    max(piece.bottom, name.bottom),
                    f"{piece.text} {name.text}",
                    piece.table_id,
                    piece.col,
                    role=piece.role,
                    cell_top=piece.cell_top,
                    cell_bottom=piece.cell_bottom,
                )
        out.append(piece)
    return out


def read_pages(
    cells: list[dict], tables: list[dict], texts: dict[int, str] | None = None
) -> dict[int, PageLayout]:
    """Every page's pieces (cells' lines, captions, headings found only in the page's text) and
    the units its cells state."""
    pages: dict[int, PageLayout] = {}
    printed = [c for c in cells if not c["spanned"] and (c["text_raw"] or "").strip()]
    rows, cols = _extents(cells)
    for cell in printed:
        box = _cell_box(cell, rows, cols)
        if box is None:
            continue
        layout = pages.setdefault(cell["page_number"], PageLayout(cell["page_number"]))
        found, units = cell_pieces(cell, box)
        layout.pieces.extend(found)
        layout.units.update(units)
    for table in tables:
        if table.get("caption") and table["top"] is not None:
            layout = pages.setdefault(table["page_first"], PageLayout(table["page_first"]))
            layout.pieces.extend(caption_pieces(table))
    for layout in pages.values():
        layout.pieces = drop_repeated_lines(layout.pieces)
    for number, text in (texts or {}).items():
        if number in pages and text:
            pages[number].pieces.extend(text_headings(text, pages[number].pieces, number))
    return pages


# -- columns ----------------------------------------------------------------------------------


def header_pieces(pieces: list[Piece]) -> list[tuple[str, Piece]]:
    """The pieces that are column headers: a header word with another column's header word in
    the same band, so a 説明 line that happens to read 「その他」 is not taken for one."""
    found = [(role, p) for p in pieces if not p.caption and (role := header_role(p.text))]
    return [
        (role, p)
        for role, p in found
        if any(
            other is not p and r != role and abs(other.top - p.top) <= _HEADER_BAND
            for r, other in found
        )
    ]


def page_columns(headers: list[tuple[str, Piece]]) -> list[Column]:
    """The page's columns from its headers. A header over other headers (節 over 区分 and 金額)
    only groups them and is dropped; a column printed twice (a header repeated lower on the
    page) is kept once."""
    columns = [Column(role, p.x0, p.x1, p.top) for role, p in headers]
    inner = [
        c
        for c in columns
        if sum(1 for o in columns if o is not c and c.x0 - _SLACK <= o.x0 and o.x1 <= c.x1 + _SLACK)
        < 2
    ]
    unique: dict[tuple[str, int, int], Column] = {}
    for c in inner:
        unique.setdefault((c.role, round(c.x0), round(c.x1)), c)
    return sorted(unique.values(), key=lambda c: c.x0)


def table_column_roles(headers: list[tuple[str, Piece]]) -> dict[tuple[str, int], str]:
    """(table, col) → role of the header printed in that table column (the lowest header row
    wins: 区分 under 節)."""
    roles: dict[tuple[str, int], tuple[float, str]] = {}
    for role, p in headers:
        if p.table_id is None or p.col is None:
            continue
        key = (p.table_id, p.col)
        if key not in roles or roles[key][0] < p.top:
            roles[key] = (p.top, role)
    return {key: role for key, (_, role) in roles.items()}


def _text_width(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def _role_under(x: float, columns: list[Column]) -> str | None:
    under = [c for c in columns if c.x0 <= x <= c.x1]
    return min(under, key=lambda c: c.width).role if under else None


def split_straddling(piece: Piece, columns: list[Column]) -> list[Piece]:
    """A line whose box runs over a column rule, cut into the words of each column.

    Finders that group words by alignment sometimes join a 節's 金額 and the 説明 beside it
    (「2,001,000 従量割」); each word is placed where its share of the line's width puts it
    (full-width characters count double), and the words of one column stay together. Only a
    line mixing figures and words is cut: a heading running over a rule (「1項 議会費」) is not."""
    words = piece.text.split()
    figures = [bool(_FIGURE_WORD.match(w)) for w in words]
    if (
        len(words) < 2
        or piece.x1 <= piece.x0
        or all(figures)
        or not any(figures)
        or _HEADING_START.match(piece.text)
    ):
        piece.role = _role_under((piece.x0 + piece.x1) / 2, columns)
        return [piece]
    scale = (piece.x1 - piece.x0) / _text_width(piece.text)
    parts: list[tuple[str | None, list[str], float, float]] = []
    x = piece.x0
    for word in words:
        start, end = x, x + _text_width(word) * scale
        x = end + _text_width(" ") * scale
        role = _role_under((start + end) / 2, columns)
        if parts and parts[-1][0] == role:
            parts[-1][1].append(word)
            parts[-1] = (role, parts[-1][1], parts[-1][2], end)
        else:
            parts.append((role, [word], start, end))
    if len(parts) < 2:
        piece.role = parts[0][0]
        return [piece]
    return [
        Piece(
            piece.page,
            x0,
            piece.top,
            x1,
            piece.bottom,
            " ".join(ws),
            piece.table_id,
            piece.col,
            role=role,
        )
        for role, ws, x0, x1 in parts
    ]


def role_of(
    piece: Piece, columns: list[Column], by_table_col: dict[tuple[str, int], str]
) -> str | None:
    """The role of the column a piece is printed in.

    A box inside one column says it; a box straddling columns (some finders give a cell the
    width of its neighbours) is placed by the header of its table column; None otherwise (the
    caller cuts the piece at the rule, `split_straddling`)."""
    inside = [c for c in columns if c.x0 - _SLACK <= piece.x0 and piece.x1 <= c.x1 + _SLACK]
    if inside:
        return min(inside, key=lambda c: c.width).role
    if piece.table_id is not None and piece.col is not None:
        mapped = by_table_col.get((piece.table_id, piece.col))
        if mapped:
            return mapped
    return None


def assign_columns(pages: dict[int, PageLayout], table_first_page: dict[str, int]) -> None:
    """Find each page's columns and give every piece its role.

    A page printed without headers takes the columns of the page its table started on, when that
    page is a budget page (a continued table); other pages keep no columns and are not read.
    """
    headers = {n: header_pieces(layout.pieces) for n, layout in pages.items()}
    by_table_col = table_column_roles([h for found in headers.values() for h in found])
    for number in sorted(pages):
        layout = pages[number]
        layout.columns = page_columns(headers[number])
        if not layout.is_budget_page:
            layout.columns = _continued_columns(layout, pages, table_first_page)
        header_ids = {id(p) for _, p in headers[number]}
        placed: list[Piece] = []
        for piece in layout.pieces:
            if id(piece) in header_ids or is_header_text(piece.text):
                continue
            placed.extend(place_piece(piece, layout.columns, by_table_col))
        layout.pieces = join_split_ordinals(placed)


def place_piece(
    piece: Piece, columns: list[Column], by_table_col: dict[tuple[str, int], str]
) -> list[Piece]:
    """The piece with its column's role, or its parts when it runs over a column rule and its
    table column has no header to say which column it is."""
    role = role_of(piece, columns, by_table_col)
    if role is not None or piece.caption:
        piece.role = role
        return [piece]
    return split_straddling(piece, columns)


def _continued_columns(
    layout: PageLayout, pages: dict[int, PageLayout], table_first_page: dict[str, int]
) -> list[Column]:
    starts = Counter(
        table_first_page[p.table_id]
        for p in layout.pieces
        if p.table_id in table_first_page and table_first_page[p.table_id] < layout.page
    )
    for first, _ in starts.most_common():
        origin = pages.get(first)
        if origin is not None and origin.is_budget_page:
            return origin.columns
    return []


# -- spreads ----------------------------------------------------------------------------------


def spreads(pages: dict[int, PageLayout]) -> list[list[PageLayout]]:
    """The budget pages grouped as they are read together: a page that holds both halves of a
    spread alone, or a left page (款/項/目 columns) with the right page after it that holds only
    the 節/説明 or 財源内訳 columns, so that the right page's lines meet the left page's by height."""
    groups: list[list[PageLayout]] = []
    for number in sorted(pages):
        layout = pages[number]
        if not layout.is_budget_page:
            continue
        previous = groups[-1] if groups else None
        if (
            previous is not None
            and len(previous) == 1
            and previous[0].page == number - 1
            and previous[0].has_line_labels
            and not layout.has_line_labels
            and not layout.roles & previous[0].roles
        ):
            previous.append(layout)
        elif layout.has_line_labels or {"setsu", DESCRIPTION} <= layout.roles:
            groups.append([layout])  # a 財源内訳 alone is read only as a left page's other half
    return groups


def book_unit(pages: dict[int, PageLayout]) -> str | None:
    """The money unit the book states most (千円 above the first figures, (単位：千円))."""
    counts: Counter = Counter()
    for layout in pages.values():
        if layout.is_budget_page:
            counts.update(layout.units)
    return counts.most_common(1)[0][0] if counts else None


def pieces_by_role(group: list[PageLayout]) -> dict[str | None, list[Piece]]:
    found: dict[str | None, list[Piece]] = defaultdict(list)
    for layout in group:
        for piece in layout.pieces:
            found[piece.role].append(piece)
    return found

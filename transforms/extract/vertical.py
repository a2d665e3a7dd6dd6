"""Vertical writing (縦書き): a page's columns read right to left, each top to bottom.

官報, 公報 and many municipal documents are set vertically, often with horizontal parts on the
same page (a running header, a horizontal table) or the other way round (a horizontal page with
a vertical margin tab such as 「最重点事項」). pdfplumber reads every page as horizontal lines, which
turns a vertical page into a scramble of one character from each column per line.

What pdfminer gets right, and is used for: grouping characters into lines, horizontal or
vertical (`LAParams(detect_vertical=True)`, `group_objects`), from consecutive characters of the
content stream that touch along one axis. What it gets wrong, and is replaced here: the order of
its text boxes. Its box grouping reads a page set in tiers (段組, the upper tier's columns first,
then the lower tier's) by interleaving the tiers, and puts a running header wherever its
clustering lands it. The lines are ordered instead by a recursive XY cut: a region is cut at a
gap across its whole width (tiers, a header above the body: top to bottom), else at a gap across
its whole height (columns: right to left when they are vertical, left to right when horizontal).

The rest of a page's text is read as it always is: on a mostly horizontal page only the vertical
runs are taken out of pdfplumber's text (they would otherwise leave one character at the end of
each line they pass) and given a line each after it, so its horizontal text stays exactly what it
was. Vertical runs inside a table are table cells (stacked labels such as 本/年/度) and stay where
the table finder reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from transforms.records import RawTable

# A run of this many stacked characters, one under the other in content-stream order, is a hint
# of vertical writing worth pdfminer's line analysis (a page without one has none).
MIN_RUN_CHARS = 3
# A page whose characters are at least this share in vertical lines is a vertical page: its lines
# are all ordered by the XY cut, and its tables are kept only when really tabular.
VERTICAL_PAGE_SHARE = 0.5
# Gaps narrower than this (points) do not separate two regions in the XY cut.
_CUT_GAP = 0.5


def has_vertical_run(chars: list[dict]) -> bool:
    """Whether some characters, consecutive in the content stream, stand one under the other.

    A cheap test on pdfplumber-style character dicts (pdfplumber's, or pdfium's on the fast path,
    whose boxes differ slightly: the test is loose on purpose, so that both give the same answer
    on any page where vertical reading would change the text).
    """
    run = 1
    for a, b in zip(chars, chars[1:], strict=False):
        if _stacked(a, b):
            run += 1
            if run >= MIN_RUN_CHARS:
                return True
        else:
            run = 1
    return False


def _stacked(a: dict, b: dict) -> bool:
    if not (a.get("upright", True) and b.get("upright", True)):
        return False  # rotated text, read by pdfplumber as it always was
    height = max(a["bottom"] - a["top"], 1.0)
    width = max(a["x1"] - a["x0"], b["x1"] - b["x0"], 1.0)
    centre_shift = abs((a["x0"] + a["x1"]) - (b["x0"] + b["x1"])) / 2
    step = b["top"] - a["top"]
    return centre_shift < 0.6 * width and 0.3 * height < step < 3.2 * height


@dataclass(slots=True)
class Line:
    """A line of text as pdfminer groups it: its characters (stream order), box and direction."""

    chars: list[dict]
    vertical: bool
    x0: float = field(init=False)
    top: float = field(init=False)
    x1: float = field(init=False)
    bottom: float = field(init=False)

    def __post_init__(self) -> None:
        self.x0 = min(c["x0"] for c in self.chars)
        self.x1 = max(c["x1"] for c in self.chars)
        self.top = min(c["top"] for c in self.chars)
        self.bottom = max(c["bottom"] for c in self.chars)

    @property
    def text(self) -> str:
        if self.vertical:
            return "".join(c["text"] for c in self.chars)
        return _horizontal_text(sorted(self.chars, key=lambda c: c["x0"]))


def _horizontal_text(chars: list[dict]) -> str:
    """Characters of one horizontal line, a space where they stand apart (pdfplumber's 3 pt)."""
    out: list[str] = []
    for prev, char in zip([None, *chars], chars, strict=False):
        if prev is not None and char["x0"] - prev["x1"] > 3:
            out.append(" ")
        out.append(char["text"])
    return "".join(out)


def pdfminer_lines(page: Any) -> list[Line] | None:
    """The page's characters grouped into lines by pdfminer (detect_vertical), or None when its
    layout and pdfplumber's characters do not line up one to one."""
    from pdfminer.layout import LAParams, LTChar, LTContainer, LTPage, LTTextLineVertical

    def walk(container: Any) -> list[Any]:
        found: list[Any] = []
        for obj in container:
            if isinstance(obj, LTChar):
                found.append(obj)
            elif isinstance(obj, LTContainer):
                found.extend(walk(obj))
        return found

    lt_chars = walk(page.layout)
    chars = page.chars
    if len(lt_chars) != len(chars) or not chars:
        return None
    index = {id(obj): i for i, obj in enumerate(lt_chars)}
    params = LAParams(detect_vertical=True)
    lines = []
    for lt_line in LTPage(0, page.layout.bbox).group_objects(params, lt_chars):
        members = [chars[index[id(obj)]] for obj in lt_line if id(obj) in index]
        members = [c for c in members if c["text"].strip()]
        if members:
            # rotated text (an axis label, a table turned on its side) is not vertical writing
            upright = sum(1 for c in members if c.get("upright", True))
            vertical = isinstance(lt_line, LTTextLineVertical) and upright > len(members) / 2
            vertical = vertical and len(members) > 1
            lines.append(Line(members, vertical))
    return lines


def read_page(page: Any, tables: list[RawTable]) -> tuple[str | None, list[RawTable]]:
    """The page's text in reading order when it has vertical writing, and the tables to keep.

    Returns (None, tables) when the page has no vertical writing outside its tables: its text is
    then pdfplumber's, unchanged. On a vertical page, a table is kept only when it is really
    tabular (`really_tabular`): columns of vertical text often line up like one.
    """
    lines = pdfminer_lines(page)
    if lines is None or not any(line.vertical for line in lines):
        return None, tables
    n_chars = sum(len(line.chars) for line in lines)
    vertical = [line for line in lines if line.vertical]
    if sum(len(line.chars) for line in vertical) >= VERTICAL_PAGE_SHARE * n_chars:
        kept = [t for t in tables if t.strategy == "lines" and really_tabular(t, lines)]
        return lines_text(reading_order(lines)), kept
    runs = [
        line
        for line in vertical
        if len(line.chars) >= MIN_RUN_CHARS and not any(_centre_in(line, t.bbox) for t in tables)
    ]
    if not runs:
        return None, tables
    from pdfplumber.utils import extract_text

    in_runs = {id(c) for line in runs for c in line.chars}
    rest = [c for c in page.chars if id(c) not in in_runs]
    horizontal = extract_text(rest, layout=False) if rest else ""
    tabs = sorted(runs, key=lambda line: (-line.x1, line.top))
    return "\n".join(filter(None, [horizontal, *(line.text for line in tabs)])), tables


def _centre_in(line: Line, box: tuple[float, float, float, float]) -> bool:
    cx, cy = (line.x0 + line.x1) / 2, (line.top + line.bottom) / 2
    return box[0] - 1 <= cx <= box[2] + 1 and box[1] - 1 <= cy <= box[3] + 1


def reading_order(lines: list[Line]) -> list[Line]:
    """Lines in reading order by a recursive XY cut (see the module docstring)."""
    if len(lines) <= 1:
        return list(lines)
    tiers = _split(lines, lambda line: (line.top, line.bottom))
    if len(tiers) > 1:
        return [line for tier in tiers for line in reading_order(tier)]
    columns = _split(lines, lambda line: (line.x0, line.x1))
    if len(columns) > 1:
        if _mostly_vertical(lines):
            columns.reverse()
        return [line for column in columns for line in reading_order(column)]
    if _mostly_vertical(lines):
        return sorted(lines, key=lambda line: (-line.x1, line.top))
    return sorted(lines, key=lambda line: (line.top, line.x0))


def _mostly_vertical(lines: list[Line]) -> bool:
    vertical = sum(len(line.chars) for line in lines if line.vertical)
    return 2 * vertical >= sum(len(line.chars) for line in lines)


def _split(lines: list[Line], span: Any) -> list[list[Line]]:
    """Lines grouped where their projections (`span`: start, end) leave a gap, in axis order."""
    groups: list[list[Line]] = []
    end = None
    for line in sorted(lines, key=lambda line: span(line)[0]):
        start, stop = span(line)
        if end is not None and start <= end + _CUT_GAP:
            groups[-1].append(line)
            end = max(end, stop)
        else:
            groups.append([line])
            end = stop
    return groups


def lines_text(lines: list[Line]) -> str:
    """Ordered lines as text, one per line; horizontal pieces side by side on one row are joined
    (a running header drawn as separate words)."""
    out: list[str] = []
    previous: Line | None = None
    for line in lines:
        text = line.text
        if (
            previous is not None
            and not line.vertical
            and not previous.vertical
            and min(line.bottom, previous.bottom) - max(line.top, previous.top)
            > 0.5 * min(line.bottom - line.top, previous.bottom - previous.top)
        ):
            out[-1] += " " + text
        else:
            out.append(text)
        previous = line
    return "\n".join(out)


def really_tabular(table: RawTable, lines: list[Line]) -> bool:
    """Whether a ruled table found on a vertical page is a table rather than columns of vertical
    text read across: a grid of at least two rows and two columns whose text is mostly horizontal."""
    rows = [row for row in table.rows if any(cell for cell in row)]
    n_cols = max((sum(1 for cell in row if cell) for row in rows), default=0)
    inside = [line for line in lines if _centre_in(line, table.bbox)]
    vertical = sum(len(line.chars) for line in inside if line.vertical)
    total = sum(len(line.chars) for line in inside)
    return len(rows) >= 2 and n_cols >= 2 and 2 * vertical < total

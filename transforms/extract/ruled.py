"""Ruled grids: tables drawn with lines, read from the rulings a reader sees.

Invisible rectangles (white fills that erase or pad text, common after PDF post-processing) are
not rulings: taken as edges they cut figures such as 「488,451」 into 「488,」 and 「451」. Small
curves (glyph outlines) and dots (a dotted thousands guide) are not rulings either. pdfplumber
finds the grid; the functions here repair what its grid gets wrong on real budget books and
lists: body rows ruled only horizontally, cells listing several items, header and body ruled at
different x positions.
"""

from __future__ import annotations

from typing import Any

from transforms.extract.charts import chart_inside
from transforms.extract.grid import blank, is_degenerate, is_small_table, is_white
from transforms.extract.partial import split_fused_columns
from transforms.extract.settings import TableSettings
from transforms.extract.words import centre_inside, line_text, lines_of
from transforms.normalize.figures import is_number, states_figure
from transforms.records import RawTable

# A fill thinner than this (points) is drawn as a line; a thicker one shades a cell or a row.
LINE_FILL = 2.5


def is_visible(obj: dict) -> bool:
    """Keep what can be a ruling. Dropped: small curves (glyphs drawn as outlines), dots (a
    dotted thousands guide in a money column), white fills without a stroke, and fills shaped
    as blocks rather than lines: shading behind a cell, a row or a line of header text. Taken
    as edges, any of these would split figures, words and header cells into rows and columns
    that are not there; a shaded table's rows and columns come from its text instead."""
    kind = obj.get("object_type")
    if kind == "curve":
        return max(obj["width"], obj["height"]) >= 10
    if kind != "rect":
        return True
    if max(obj["width"], obj["height"]) < 3:
        return False
    if obj.get("stroke") and not is_white(obj.get("stroking_color")):
        return True
    if obj.get("fill") and not is_white(obj.get("non_stroking_color")):
        return min(obj["width"], obj["height"]) <= LINE_FILL
    return False


def _clean_grid(rows: list[list[str | None]], boxes: list[list[Any]]) -> tuple[list, list]:
    """Drop rows with no text at all (spacer rows of Excel layouts) and columns never filled."""
    keep_rows = [r for r, row in enumerate(rows) if not all(blank(c) for c in row)]
    rows = [rows[r] for r in keep_rows]
    boxes = [boxes[r] for r in keep_rows]
    n_cols = max((len(r) for r in rows), default=0)
    keep_cols = [
        c
        for c in range(n_cols)
        if any(c < len(row) and not blank(row[c]) for row in rows)
        or any(c < len(row) and row[c] is None for row in rows)
    ]
    # A column made only of spanned positions belongs to the cell spanning into it: keep it
    # only when some row has its own text there.
    keep_cols = [c for c in keep_cols if any(c < len(row) and not blank(row[c]) for row in rows)]
    rows = [[row[c] if c < len(row) else "" for c in keep_cols] for row in rows]
    boxes = [[box[c] if c < len(box) else None for c in keep_cols] for box in boxes]
    # a spanned position left with no cell to span from (its origin column was empty) is empty
    for c in range(len(keep_cols)):
        for row in rows:
            if row[c] is not None:
                break
            if c == 0 or all(row[k] is None for k in range(c)):
                row[c] = ""
    return rows, boxes


def merge_split_columns(rows: list[list[str | None]], boxes: list[list[Any]]) -> tuple[list, list]:
    """Join two grid columns that are one column of the table.

    When header and body are ruled at different x positions, the grid gets a column for each
    rule: body figures span two grid columns while their header sits in the second. Two
    neighbouring columns are one when no row has its own text in both, and at least one row
    has a cell spanning across the rule between them.
    """
    rows = [list(r) for r in rows]
    boxes = [list(b) for b in boxes]
    c = 0
    while rows and c + 1 < len(rows[0]):
        both = any(not blank(row[c]) and not blank(row[c + 1]) for row in rows)
        bridged = any(row[c] is not None and row[c + 1] is None for row in rows)
        if both or not bridged:
            c += 1
            continue
        for row, box in zip(rows, boxes, strict=True):
            a, b = row[c], row[c + 1]
            if blank(a) and not blank(b):
                row[c] = b
                box[c] = box[c + 1]
            elif a is None and b is not None:
                row[c] = b
                box[c] = box[c + 1]
            elif box[c] and box[c + 1]:
                box[c] = (
                    min(box[c][0], box[c + 1][0]),
                    min(box[c][1], box[c + 1][1]),
                    max(box[c][2], box[c + 1][2]),
                    max(box[c][3], box[c + 1][3]),
                )
            del row[c + 1]
            del box[c + 1]
    return rows, boxes


def _cuts_words(bbox: tuple, boxes: list[list[Any]], words: list[dict]) -> bool:
    """Do the grid's cell edges run through words? Then they are bars of a chart or shading,
    not the rulings of a table (a ruling never cuts 「20.4」 into 「20」 and 「.4」)."""
    inside = [w for w in words if centre_inside(w, [bbox])]
    if not inside:
        return False
    cells = [b for row in boxes for b in row if b]
    cut = 0
    for word in inside:
        cx, cy = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
        home = next((b for b in cells if b[0] <= cx <= b[2] and b[1] <= cy <= b[3]), None)
        if home and (word["x0"] < home[0] - 2 or word["x1"] > home[2] + 2):
            cut += 1
    return cut > max(2, 0.1 * len(inside))


class _PageWords:
    """The page's words, read once and only if a table needs them."""

    def __init__(self, page: Any, settings: TableSettings) -> None:
        self.page, self.settings, self._words = page, settings, None

    def get(self) -> list[dict]:
        if self._words is None:
            self._words = self.page.extract_words(
                x_tolerance=self.settings.text_x_tolerance,
                y_tolerance=self.settings.text_y_tolerance,
                extra_attrs=["size"],
            )
        return self._words


def _repaired_grid(table: Any, words: _PageWords, settings: TableSettings) -> tuple[list, list]:
    """The grid of a pdfplumber table, with spans that only seem to span and cells that list
    several items split, empty rows and columns dropped, split columns joined and columns
    fusing figures side by side split (`transforms.extract.partial`)."""
    rows = table.extract(
        x_tolerance=settings.text_x_tolerance, y_tolerance=settings.text_y_tolerance
    )
    boxes = [
        [tuple(float(v) for v in cell) if cell else None for cell in row.cells]
        for row in table.rows
    ]
    spans = any(cell is None for row in rows for cell in row)
    if spans or any("\n" in (cell or "") for row in rows for cell in row):
        if spans:
            rows, boxes = split_aligned_spans(rows, boxes, words.get())
        rows, boxes = split_listed_rows(rows, boxes, [r.bbox for r in table.rows], words.get())
    rows, boxes = _clean_grid(rows, boxes)
    rows, boxes = merge_split_columns(rows, boxes)
    return split_fused_columns(rows, boxes, words.get(), settings.column_gap)


def _ends(edges: list[dict], side: str) -> list[list[dict]]:
    """Horizontal edges grouped by where they end on `side` ("x0" or "x1"), within 2 pt."""
    groups: list[list[dict]] = []
    for edge in sorted(edges, key=lambda e: e[side]):
        if groups and edge[side] - groups[-1][-1][side] <= 2:
            groups[-1].append(edge)
        else:
            groups.append([edge])
    return groups


def _bridged(a: dict, b: dict, vertical: list[dict], side: str) -> bool:
    """Do vertical rules run down from rule `a` to rule `b` (one table's rows), not a gap
    between two tables? A rule at the open end (`side`) does not count."""
    lo, hi = max(a["x0"], b["x0"]), min(a["x1"], b["x1"])
    end = a[side]
    return any(
        lo - 2 <= v["x0"] <= hi + 2
        and abs(v["x0"] - end) > 2
        and v["top"] <= a["top"] + 2
        and v["bottom"] >= b["top"] - 2
        for v in vertical
    )


def _runs(group: list[dict], vertical: list[dict], side: str) -> list[list[dict]]:
    """A group of rules ending at one x, split into the runs that vertical rules join."""
    runs: list[list[dict]] = []
    for edge in sorted(group, key=lambda e: e["top"]):
        last = runs[-1][-1] if runs else None
        if last and (edge["top"] - last["top"] < 1 or _bridged(last, edge, vertical, side)):
            runs[-1].append(edge)
        else:
            runs.append([edge])
    return runs


def closing_edges(page: Any) -> list[dict]:
    """Vertical lines that close a ruled table whose horizontal rules run past its outer
    vertical rules: many reports leave the table's sides open (a year column on the left, the
    last column on the right, ruled across but not down). Where three or more horizontal rules
    of one table (vertical rules join them further in) end at the same x with no vertical rule
    there, the table ends there: a line from the first of those rules to the last closes it."""
    horizontal = [e for e in page.edges if e["orientation"] == "h" and e["width"] >= 10]
    vertical = [e for e in page.edges if e["orientation"] == "v" and e["height"] >= 5]
    lines: list[dict] = []
    for side in ("x0", "x1"):
        for group in _ends(horizontal, side):
            for run in _runs(group, vertical, side) if len(group) >= 2 else []:
                top, bottom = run[0]["top"], run[-1]["top"]
                if len({round(e["top"]) for e in run}) < 3 or bottom - top < 5:
                    continue  # a top rule and a header rule alone do not make rows
                x = sorted(e[side] for e in run)[len(run) // 2]
                # an open side has no vertical rule at all; a side ruled in part is ruled
                there = any(
                    abs(v["x0"] - x) <= 2 and v["top"] < bottom - 1 and v["bottom"] > top + 1
                    for v in vertical
                )
                if not there:
                    lines.append(
                        {
                            "object_type": "line",
                            "x0": x,
                            "x1": x,
                            "top": top,
                            "bottom": bottom,
                            "width": 0.0,
                            "height": bottom - top,
                        }
                    )
    return lines


def _finder_settings(visible: Any, settings: TableSettings) -> dict[str, Any]:
    """pdfplumber's settings for `visible`, with the lines that close open-sided tables."""
    options = settings.pdfplumber()
    closing = closing_edges(visible)
    if closing and options.get("vertical_strategy", "lines") == "lines":
        options["explicit_vertical_lines"] = (
            list(options.get("explicit_vertical_lines") or []) + closing
        )
    return options


def ruled_tables(page: Any, settings: TableSettings) -> list[RawTable]:
    """The ruled grids of `page` that are tables (not frames around prose, not chart bars)."""
    visible = page.filter(is_visible)
    words = _PageWords(page, settings)
    found: list[RawTable] = []
    for table in visible.find_tables(_finder_settings(visible, settings)):
        rows, boxes = _repaired_grid(table, words, settings)
        if is_degenerate(rows) and not is_small_table(rows, states_figure):
            continue
        if _cuts_words(table.bbox, boxes, words.get()) or chart_inside(
            page, table.bbox, words.get()
        ):
            continue
        bbox = tuple(float(v) for v in table.bbox)
        found.append(RawTable(bbox=bbox, rows=rows, cell_boxes=boxes, strategy="lines"))  # type: ignore[arg-type]
    return found


def _column_ranges(boxes: list[list[Any]], n_cols: int) -> list[tuple[float, float] | None]:
    """Each grid column's x-range: from its leftmost cell's left edge to its narrowest right."""
    ranges: list[tuple[float, float] | None] = []
    for c in range(n_cols):
        col_boxes = [row[c] for row in boxes if c < len(row) and row[c]]
        ranges.append(
            (min(b[0] for b in col_boxes), min(b[2] for b in col_boxes)) if col_boxes else None
        )
    return ranges


def _column_of(word: dict, ranges: list[tuple[float, float] | None]) -> int | None:
    for c, rng in enumerate(ranges):
        if rng and rng[0] - 1 <= word["x0"] and word["x1"] <= rng[1] + 1:
            return c
    return None


def _place_words(
    mine: list[dict], ranges: list[tuple[float, float] | None], first: int, last: int
) -> dict[int, list[dict]] | None:
    """The words of a spanning cell by column `first`..`last`, or None when some word crosses a
    column edge, lies outside the span, or sits too close to a word of another column."""
    placed: dict[int, list[dict]] = {}
    for line in lines_of(mine):
        prev_col, prev_x1 = None, None
        for word in line:
            col = _column_of(word, ranges)
            if col is None or not first <= col <= last:
                return None
            size = float(word.get("size") or (word["bottom"] - word["top"]))
            if prev_col is not None and col != prev_col and word["x0"] - prev_x1 < 0.6 * size:
                return None
            placed.setdefault(col, []).append(word)
            prev_col, prev_x1 = col, word["x1"]
    return placed


def _span_end(row: list[str | None], box_row: list[Any], c: int, n_cols: int) -> int:
    last = c
    while last + 1 < n_cols and row[last + 1] is None and box_row[last + 1] is None:
        last += 1
    return last


def split_aligned_spans(
    rows: list[list[str | None]], boxes: list[list[Any]], words: list[dict]
) -> tuple[list, list]:
    """Give back to each column the words of a cell that only seems to span columns.

    Many reports rule the header fully but the body only with horizontal rules, so a body
    row comes out as one cell across the whole width. When every word of such a cell sits
    inside one column of the header's grid, with a clear gap wherever the column changes, the
    row is really one cell per column. A header centred over several columns has words that
    cross a column edge, or no gap between them, and stays one spanning cell.
    """
    n_cols = max((len(r) for r in rows), default=0)
    ranges = _column_ranges(boxes, n_cols)
    rows = [list(r) for r in rows]
    boxes = [list(b) for b in boxes]
    for r, row in enumerate(rows):
        for c in range(n_cols):
            box = boxes[r][c] if c < len(boxes[r]) else None
            if row[c] is None or box is None or c + 1 >= n_cols or row[c + 1] is not None:
                continue
            last = _span_end(row, boxes[r], c, n_cols)
            mine = [w for w in words if centre_inside(w, [box])]
            if not mine or all(len(w["text"]) == 1 and not w["text"].isascii() for w in mine):
                continue  # empty, or a letter-spaced heading (「区 分」) set across columns
            placed = _place_words(mine, ranges, c, last)
            if placed is None or len(placed) < 2:
                continue
            for k in range(c, last + 1):
                ws = placed.get(k, [])
                row[k] = line_text(lines_of(ws)) if ws else ""
                rng = ranges[k] or (box[0], box[2])
                boxes[r][k] = (rng[0], box[1], rng[1], box[3])
    return rows, boxes


def _has_figure(line: list[dict]) -> bool:
    """A line states an amount: a plain number (no %, no brackets) of two or more characters,
    or one ending the line. The lone digits of a letter-spaced date (「令 和 ８ 年」) and shares
    quoted in brackets (「Effi (10.5%)」) do not make a line an item of its own."""
    return any(
        is_number(w["text"]) and (len(w["text"]) >= 2 or k == len(line) - 1)
        for k, w in enumerate(line)
    )


def _figure_lines(lines: list[list[dict]]) -> int:
    return sum(1 for line in lines if _has_figure(line))


def _row_bands(row_boxes: list[tuple[float, float, float, float]]) -> list[tuple]:
    """A row's own band runs from its top to the next row's top (its pdfplumber box includes
    the cells spanning down from it)."""
    bottom_all = max(b[3] for b in row_boxes)
    n_rows = len(row_boxes)
    return [
        (b[0], b[1], b[2], row_boxes[k + 1][1] if k + 1 < n_rows else bottom_all)
        for k, b in enumerate(row_boxes)
    ]


def _own_words(
    boxes: list[list[Any]], bands: list[tuple], words: list[dict], n_cols: int
) -> tuple[dict, dict]:
    """(words of each origin cell, words each position owns): a listing cell spanning rows
    gives each row beside it the lines in that row's band."""
    n_rows = len(bands)
    cell_words: dict[tuple[int, int], list[dict]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            box = boxes[r][c] if c < len(boxes[r]) else None
            if box is not None:
                cell_words[(r, c)] = [w for w in words if centre_inside(w, [box])]
    own: dict[tuple[int, int], list[dict]] = {}
    for (r, c), ws in cell_words.items():
        box = boxes[r][c]
        spans = [k for k in range(r, n_rows) if bands[k][1] < box[3] - 1]
        if len(spans) > 1 and _figure_lines(lines_of(ws)) >= 2:
            for k in spans:
                top, bottom = bands[k][1], bands[k][3]
                own[(k, c)] = [w for w in ws if top <= (w["top"] + w["bottom"]) / 2 < bottom]
        else:
            own.setdefault((r, c), ws)
    return cell_words, own


def _item_groups(lines: list[list[dict]]) -> list[list[list[dict]]]:
    """Lines grouped into items: a line with a figure starts an item once the item before has
    its figure; lines without one stay with the item above."""
    groups: list[list[list[dict]]] = []
    for line in lines:
        if not groups or (_has_figure(line) and _figure_lines(groups[-1]) > 0):
            groups.append([line])
        else:
            groups[-1].append(line)
    return groups


def _item_rows(
    groups: list[list[list[dict]]],
    row_words: dict[int, list[dict]],
    box_row: list[Any],
    band: tuple,
    n_cols: int,
) -> tuple[list[list], list[list]]:
    out_rows: list[list] = []
    out_boxes: list[list] = []
    per_column = _group_words(groups, row_words, box_row)
    for g, group in enumerate(groups):
        top = min(w["top"] for line in group for w in line)
        bottom = max(w["bottom"] for line in group for w in line)
        new_row: list[str | None] = []
        new_box: list[Any] = []
        for c in range(n_cols):
            if c not in row_words:
                new_row.append(None if g == 0 else "")
                new_box.append(None)
                continue
            mine = per_column[c][g]
            new_row.append(line_text(lines_of(mine)))
            box = box_row[c] or band
            new_box.append((box[0], top, box[2], bottom))
        out_rows.append(new_row)
        out_boxes.append(new_box)
    return out_rows, out_boxes


def _wraps(words: list[dict], box: Any) -> bool:
    """Does the cell's last line run to its right edge, so the next line goes on with it?"""
    if not words or not box:
        return False
    last = lines_of(words)[-1]
    size = float(last[-1].get("size") or (last[-1]["bottom"] - last[-1]["top"]))
    return max(w["x1"] for w in last) >= box[2] - 1.6 * size


def _group_words(
    groups: list[list[list[dict]]], row_words: dict[int, list[dict]], box_row: list[Any]
) -> dict[int, list[list[dict]]]:
    """Each column's words by item group. A label wrapped onto the line of the next item's
    figure (「4 児童手当負担」「金」 beside two 説明 lines) stays with the item it names."""
    per_column: dict[int, list[list[dict]]] = {}
    for c, words in sorted(row_words.items()):
        parts = []
        for group in groups:
            ids = {id(w) for line in group for w in line}
            parts.append([w for w in words if id(w) in ids])
        per_column[c] = parts
    for c, parts in per_column.items():
        box = box_row[c] if c < len(box_row) else None
        beside = per_column.get(c + 1)
        for g in range(1, len(parts)):
            mine, above = parts[g], parts[g - 1]
            alone = beside is None or not beside[g]  # nothing of its own next to it
            if (
                mine
                and above
                and alone
                and not _figure_lines(lines_of(mine))
                and _wraps(above, box)
            ):
                first = lines_of(mine)[0]
                parts[g - 1] = above + first
                parts[g] = [w for w in mine if all(w is not f for f in first)]
    return per_column


def split_listed_rows(
    rows: list[list[str | None]],
    boxes: list[list[Any]],
    row_boxes: list[tuple[float, float, float, float]],
    words: list[dict],
) -> tuple[list, list]:
    """Split ruled rows that list several figures, one per text line, into one row per figure.

    Budget books rule the 節 rows but list the items of a 節 (管理職手当 1,925 / 扶養手当 1,318 …)
    as text lines inside one ruled cell, and a 説明 column often runs down beside several 節
    rows without rules. Each line with a figure starts a row; lines without one (a wrapped
    label such as 「時間外勤務手」「当」) stay with the row above, so labels stay whole. A cell
    spanning several ruled rows is split by those rows first when it lists figures; a spanning
    label (a stacked 「本/年/度」) is left whole.
    """
    n_cols = max((len(r) for r in rows), default=0)
    bands = _row_bands(row_boxes)
    cell_words, own = _own_words(boxes, bands, words, n_cols)
    out_rows: list[list] = []
    out_boxes: list[list] = []
    for r in range(len(rows)):
        row_words = {c: own[(r, c)] for c in range(n_cols) if (r, c) in own}
        # a label centred in a cell spanning rows (a year beside its Men/Women/Total) is not
        # a line of this row: only words within the row's own band are its lines
        top, bottom = bands[r][1], bands[r][3]
        lines = lines_of(
            [
                w
                for ws in row_words.values()
                for w in ws
                if top - 1 <= (w["top"] + w["bottom"]) / 2 < bottom + 1
            ]
        )
        if _figure_lines(lines) >= 2:
            new_rows, new_boxes = _item_rows(
                _item_groups(lines), row_words, boxes[r], bands[r], n_cols
            )
            out_rows += new_rows
            out_boxes += new_boxes
            continue
        new = list(rows[r])
        for c, ws in row_words.items():
            if (r, c) not in cell_words:  # lines given to it by a listing cell spanning rows
                new[c] = line_text(lines_of(ws))
        out_rows.append(new)
        out_boxes.append(list(boxes[r]))
    return out_rows, out_boxes

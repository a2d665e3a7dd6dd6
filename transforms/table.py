"""Find tables on a pdfplumber page and return them as plain grids with their geometry.

Two kinds of table are found, and the strategy is chosen per table, not per document:

- ruled grids (the common case in Japanese government PDFs, which are mostly Excel/Word exports)
  from the ruling lines the page actually shows. Invisible rectangles (white fills that erase or
  pad text, common after PDF post-processing) are not rulings: taken as edges they cut figures
  such as 「488,451」 into 「488,」 and 「451」.
- unruled tables from text alignment, in the parts of the page no ruled grid covers: runs of
  lines that break into the same columns. Prose never qualifies, because a paragraph's lines
  are one run of words each; a block needs several lines with column gaps that line up.

Each table comes with its caption: the short line(s) just above it that name it or state its
unit (「表１ ...」「（単位：千円）」), not whatever prose happens to precede it.

A table is a dict: ``bbox`` (x0, top, x1, bottom), ``rows`` (cell text; None at a position
covered by a cell spanning from the left or from above), ``cell_boxes`` (same shape, a box or
None), ``caption`` and ``strategy`` ("lines" or "text").
"""

from __future__ import annotations

import re
import statistics
from typing import Any

# Settings are explicit dicts with documented defaults, as in pdfplumber itself.
DEFAULT_TABLE_SETTINGS: dict[str, Any] = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
    "text_x_tolerance": 2,
    "text_y_tolerance": 2,
    # Unruled tables: find them from text alignment outside ruled grids (False: ruled only).
    "text_tables": True,
    # A column gap is wider than this many times the line's font size (word spaces are ~0.3em,
    # a full-width space inside a Japanese title is 1em).
    "column_gap": 1.2,
    # An unruled table needs this many lines that break into columns.
    "min_table_lines": 3,
}
# How far above a table (in points) a caption or unit note may be.
CAPTION_ZONE = 36.0
# Caption lines are short, or say what they are.
_CAPTION_MAX_CHARS = 30
_CAPTION_LIKE = re.compile(
    r"^\s*(?:第?\s*[0-9０-９一二三四五六七八九十]+\s*表|表\s*[0-9０-９]|図表|[Tt]able|TABLE|＜|<|【|〈|[（(]?\s*単位)|単位\s*[:：]"
)
_NUMERIC = re.compile(r"^[\s△▲\-−－+＋(（]*[0-9０-９][0-9０-９,，.．\s%％)）]*$")


# ---------------------------------------------------------------------------------------------
# Ruled grids


def _is_white(color: Any) -> bool:
    if color is None:
        return False
    values = color if isinstance(color, list | tuple) else (color,)
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return False
    if len(numbers) == 4:  # CMYK: white is no ink
        return all(v <= 0.02 for v in numbers)
    return bool(numbers) and all(v >= 0.98 for v in numbers)


def _visible(obj: dict) -> bool:
    """Keep what can be a ruling. Dropped: small curves (glyphs drawn as outlines), dots (a
    dotted thousands guide in a money column), white fills without a stroke. Snapped together,
    any of these would split figures and words into columns that are not there."""
    kind = obj.get("object_type")
    if kind == "curve":
        return max(obj["width"], obj["height"]) >= 10
    if kind != "rect":
        return True
    if max(obj["width"], obj["height"]) < 3:
        return False
    if obj.get("stroke") and not _is_white(obj.get("stroking_color")):
        return True
    if obj.get("fill") and not _is_white(obj.get("non_stroking_color")):
        return True
    return False


def _blank(cell: str | None) -> bool:
    return cell is None or not cell.strip()


def _clean_grid(rows: list[list[str | None]], boxes: list[list[Any]]) -> tuple[list, list]:
    """Drop rows with no text at all (spacer rows of Excel layouts) and columns never filled."""
    keep_rows = [r for r, row in enumerate(rows) if not all(_blank(c) for c in row)]
    rows = [rows[r] for r in keep_rows]
    boxes = [boxes[r] for r in keep_rows]
    n_cols = max((len(r) for r in rows), default=0)
    keep_cols = [
        c
        for c in range(n_cols)
        if any(c < len(row) and not _blank(row[c]) for row in rows)
        or any(c < len(row) and row[c] is None for row in rows)
    ]
    # A column made only of spanned positions belongs to the cell spanning into it: keep it
    # only when some row has its own text there.
    keep_cols = [c for c in keep_cols if any(c < len(row) and not _blank(row[c]) for row in rows)]
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
        both = any(not _blank(row[c]) and not _blank(row[c + 1]) for row in rows)
        bridged = any(row[c] is not None and row[c + 1] is None for row in rows)
        if both or not bridged:
            c += 1
            continue
        for row, box in zip(rows, boxes, strict=True):
            a, b = row[c], row[c + 1]
            if _blank(a) and not _blank(b):
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
    inside = [w for w in words if _inside(w, [bbox])]
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


def _is_degenerate(rows: list[list[str | None]]) -> bool:
    """A grid with fewer than two filled rows or two filled columns is a frame or a box around
    prose, not a table."""
    filled_rows = sum(1 for row in rows if sum(not _blank(c) for c in row) >= 1)
    filled_cols = {c for row in rows for c, cell in enumerate(row) if not _blank(cell)}
    return filled_rows < 2 or len(filled_cols) < 2


def _ruled_tables(page: Any, options: dict) -> list[dict]:
    visible = page.filter(_visible)
    settings = {k: v for k, v in options.items() if k in _PDFPLUMBER_KEYS}
    found: list[dict] = []
    words: list[dict] | None = None
    for table in visible.find_tables(settings):
        rows = table.extract(
            x_tolerance=options["text_x_tolerance"], y_tolerance=options["text_y_tolerance"]
        )
        boxes = [
            [tuple(float(v) for v in cell) if cell else None for cell in row.cells]
            for row in table.rows
        ]
        spans = any(cell is None for row in rows for cell in row)
        if spans or any("\n" in (cell or "") for row in rows for cell in row):
            if words is None:
                words = page.extract_words(
                    x_tolerance=options["text_x_tolerance"],
                    y_tolerance=options["text_y_tolerance"],
                    extra_attrs=["size"],
                )
            if spans:
                rows, boxes = split_aligned_spans(rows, boxes, words)
            rows, boxes = split_listed_rows(rows, boxes, [r.bbox for r in table.rows], words)
        rows, boxes = _clean_grid(rows, boxes)
        rows, boxes = merge_split_columns(rows, boxes)
        if _is_degenerate(rows):
            continue
        if words is None:
            words = page.extract_words(
                x_tolerance=options["text_x_tolerance"],
                y_tolerance=options["text_y_tolerance"],
                extra_attrs=["size"],
            )
        if _cuts_words(table.bbox, boxes, words):
            continue
        found.append(
            {"bbox": tuple(float(v) for v in table.bbox), "rows": rows, "cell_boxes": boxes}
        )
    return found


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
    ranges: list[tuple[float, float] | None] = []
    for c in range(n_cols):
        col_boxes = [row[c] for row in boxes if c < len(row) and row[c]]
        ranges.append(
            (min(b[0] for b in col_boxes), min(b[2] for b in col_boxes)) if col_boxes else None
        )

    def column_of(word: dict) -> int | None:
        for c, rng in enumerate(ranges):
            if rng and rng[0] - 1 <= word["x0"] and word["x1"] <= rng[1] + 1:
                return c
        return None

    rows = [list(r) for r in rows]
    boxes = [list(b) for b in boxes]
    for r, row in enumerate(rows):
        for c in range(n_cols):
            box = boxes[r][c] if c < len(boxes[r]) else None
            if row[c] is None or box is None or c + 1 >= n_cols or row[c + 1] is not None:
                continue
            last = c
            while last + 1 < n_cols and row[last + 1] is None and boxes[r][last + 1] is None:
                last += 1
            mine = [w for w in words if _inside(w, [box])]
            if not mine or all(len(w["text"]) == 1 and not w["text"].isascii() for w in mine):
                continue  # empty, or a letter-spaced heading (「区 分」) set across columns
            placed: dict[int, list[dict]] = {}
            ok = True
            for line in _lines_of(mine):
                prev_col, prev_x1 = None, None
                for word in line:
                    col = column_of(word)
                    if col is None or not c <= col <= last:
                        ok = False
                        break
                    size = float(word.get("size") or (word["bottom"] - word["top"]))
                    if (
                        prev_col is not None
                        and col != prev_col
                        and word["x0"] - prev_x1 < 0.6 * size
                    ):
                        ok = False
                        break
                    placed.setdefault(col, []).append(word)
                    prev_col, prev_x1 = col, word["x1"]
                if not ok:
                    break
            if not ok or len(placed) < 2:
                continue
            for k in range(c, last + 1):
                ws = placed.get(k, [])
                row[k] = _line_text(_lines_of(ws)) if ws else ""
                rng = ranges[k] or (box[0], box[2])
                boxes[r][k] = (rng[0], box[1], rng[1], box[3])
    return rows, boxes


_AMOUNT_WORD = re.compile(r"^[△▲\-−－]?[0-9０-９][0-9０-９,，.．]*$")


def _has_figure(line: list[dict]) -> bool:
    """A line states an amount: a plain number (no %, no brackets) of two or more characters,
    or one ending the line. The lone digits of a letter-spaced date (「令 和 ８ 年」) and shares
    quoted in brackets (「Effi (10.5%)」) do not make a line an item of its own."""
    return any(
        _AMOUNT_WORD.match(w["text"]) and (len(w["text"]) >= 2 or k == len(line) - 1)
        for k, w in enumerate(line)
    )


def _figure_lines(lines: list[list[dict]]) -> int:
    return sum(1 for line in lines if _has_figure(line))


def _lines_of(words: list[dict]) -> list[list[dict]]:
    return [line["words"] for line in text_lines(words)]


def _line_text(lines: list[list[dict]]) -> str:
    return "\n".join(" ".join(w["text"] for w in line) for line in lines)


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
    n_rows = len(rows)
    n_cols = max((len(r) for r in rows), default=0)
    # a row's own band runs from its top to the next row's top (its pdfplumber box includes
    # the cells spanning down from it)
    bottom_all = max(b[3] for b in row_boxes)
    row_boxes = [
        (b[0], b[1], b[2], row_boxes[k + 1][1] if k + 1 < n_rows else bottom_all)
        for k, b in enumerate(row_boxes)
    ]
    # words of each origin cell
    cell_words: dict[tuple[int, int], list[dict]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            box = boxes[r][c] if c < len(boxes[r]) else None
            if box is not None:
                cell_words[(r, c)] = [w for w in words if _inside(w, [box])]
    # distribute listing cells that span rows over the rows beside them
    own: dict[tuple[int, int], list[dict]] = {}
    for (r, c), ws in cell_words.items():
        box = boxes[r][c]
        spans = [k for k in range(r, n_rows) if row_boxes[k][1] < box[3] - 1]
        if len(spans) > 1 and _figure_lines(_lines_of(ws)) >= 2:
            for k in spans:
                top, bottom = row_boxes[k][1], row_boxes[k][3]
                own[(k, c)] = [w for w in ws if top <= (w["top"] + w["bottom"]) / 2 < bottom]
        else:
            own.setdefault((r, c), ws)
    out_rows: list[list] = []
    out_boxes: list[list] = []
    for r in range(n_rows):
        row_words = {c: own[(r, c)] for c in range(n_cols) if (r, c) in own}
        touched = any((r, c) in own and (r, c) not in cell_words for c in range(n_cols))
        lines = _lines_of([w for ws in row_words.values() for w in ws])
        if _figure_lines(lines) < 2:
            if touched:
                new = list(rows[r])
                for c, ws in row_words.items():
                    if (r, c) not in cell_words:
                        new[c] = _line_text(_lines_of(ws))
                out_rows.append(new)
                out_boxes.append(list(boxes[r]))
            else:
                out_rows.append(list(rows[r]))
                out_boxes.append(list(boxes[r]))
            continue
        groups: list[list[list[dict]]] = []
        for line in lines:
            has_figure = _has_figure(line)
            if not groups or (has_figure and _figure_lines(groups[-1]) > 0):
                groups.append([line])
            else:
                groups[-1].append(line)
        for g, group in enumerate(groups):
            ids = {id(w) for line in group for w in line}
            top = min(w["top"] for line in group for w in line)
            bottom = max(w["bottom"] for line in group for w in line)
            new_row: list[str | None] = []
            new_box: list[Any] = []
            for c in range(n_cols):
                if c not in row_words:
                    new_row.append(None if g == 0 else "")
                    new_box.append(None)
                    continue
                mine = [w for w in row_words[c] if id(w) in ids]
                new_row.append(_line_text(_lines_of(mine)))
                box = boxes[r][c] or row_boxes[r]
                new_box.append((box[0], top, box[2], bottom))
            out_rows.append(new_row)
            out_boxes.append(new_box)
    return out_rows, out_boxes


_PDFPLUMBER_KEYS = {
    "vertical_strategy",
    "horizontal_strategy",
    "explicit_vertical_lines",
    "explicit_horizontal_lines",
    "snap_tolerance",
    "snap_x_tolerance",
    "snap_y_tolerance",
    "join_tolerance",
    "join_x_tolerance",
    "join_y_tolerance",
    "edge_min_length",
    "min_words_vertical",
    "min_words_horizontal",
    "intersection_tolerance",
    "intersection_x_tolerance",
    "intersection_y_tolerance",
    "text_x_tolerance",
    "text_y_tolerance",
}


# ---------------------------------------------------------------------------------------------
# Text lines and their column segments


def _inside(word: dict, boxes: list[tuple[float, float, float, float]]) -> bool:
    cx, cy = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return any(
        x0 - 1 <= cx <= x1 + 1 and top - 1 <= cy <= bottom + 1 for x0, top, x1, bottom in boxes
    )


def text_lines(words: list[dict]) -> list[dict]:
    """Words grouped into lines (top to bottom), each line split into segments at wide gaps.

    A line is a dict with top, bottom, size (median font size) and segments, each a dict with
    x0, x1, top, bottom and text.
    """
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines:
            line = lines[-1]
            top = min(w["top"] for w in line)
            bottom = max(w["bottom"] for w in line)
            height = min(bottom - top, word["bottom"] - word["top"]) or 1.0
            overlap = min(bottom, word["bottom"]) - max(top, word["top"])
            if overlap >= 0.5 * height:
                line.append(word)
                continue
        lines.append([word])
    out = []
    for line in lines:
        line.sort(key=lambda w: w["x0"])
        size = statistics.median(float(w.get("size") or (w["bottom"] - w["top"])) for w in line)
        out.append(
            {
                "top": min(w["top"] for w in line),
                "bottom": max(w["bottom"] for w in line),
                "size": size,
                "words": line,
            }
        )
    return out


def _segments(line: dict, gap: float) -> list[dict]:
    segments: list[dict] = []
    for word in line["words"]:
        if segments and word["x0"] - segments[-1]["x1"] < gap * line["size"]:
            seg = segments[-1]
            seg["x1"] = max(seg["x1"], word["x1"])
            seg["top"] = min(seg["top"], word["top"])
            seg["bottom"] = max(seg["bottom"], word["bottom"])
            seg["text"] += " " + word["text"]
            seg["words"].append(word)
        else:
            segments.append(
                {k: word[k] for k in ("x0", "x1", "top", "bottom")}
                | {"text": word["text"], "words": [word]}
            )
    return segments


def _split_at_edges(seg: dict, cols_of: Any) -> list[dict]:
    """A segment whose words fall in different columns, none across an edge, is several cells
    (headers set closer together than the figures below them)."""
    parts: list[dict] = []
    for word in seg["words"]:
        first, last = cols_of(word["x0"] + 0.5, word["x1"] - 0.5)
        if first != last:
            return [seg]
        if parts and parts[-1]["col"] == first:
            part = parts[-1]
            part["x1"] = word["x1"]
            part["text"] += " " + word["text"]
        else:
            parts.append({"x0": word["x0"], "x1": word["x1"], "text": word["text"], "col": first})
    return parts


def _column_gaps(lines: list[dict]) -> list[tuple[float, float]]:
    """x-ranges no segment of the block's multi-segment lines covers (beyond a stray few)."""
    multi = [line for line in lines if len(line["segments"]) >= 2]
    # Columns are set by the body: headers are often centred or left-aligned across the gaps
    # of the figures below them, and are split at the body's gaps afterwards.
    first_data = next(
        (
            i
            for i, line in enumerate(lines)
            if any(_is_numeric(s["text"]) for s in line["segments"])
        ),
        len(lines),
    )
    body = [line for line in lines[first_data:] if len(line["segments"]) >= 2]
    if len(body) >= 3:
        multi = body
    x_min = min(s["x0"] for line in lines for s in line["segments"])
    x_max = max(s["x1"] for line in lines for s in line["segments"])
    x_min_i = int(x_min)
    width = int(x_max) - x_min_i + 2
    coverage = [0] * width
    for line in multi:
        for seg in line["segments"]:
            for x in range(int(seg["x0"]) - x_min_i, int(seg["x1"]) - x_min_i + 1):
                coverage[x] += 1
    allowed = int(0.15 * len(multi))
    # a sliver between a left-aligned header and right-aligned figures is not a column gap
    min_width = 0.5 * statistics.median(line["size"] for line in lines)
    gaps: list[tuple[float, float]] = []
    start = None
    for i, count in enumerate(coverage):
        if count <= allowed:
            if start is None:
                start = i
        elif start is not None:
            if start > 0 and i - start >= min_width:
                gaps.append((start + x_min_i, i + x_min_i))
            start = None
    return gaps


def _is_numeric(text: str | None) -> bool:
    return bool(text) and bool(_NUMERIC.match(text))


def _block_grid(lines: list[dict], gaps: list[tuple[float, float]]) -> dict | None:
    """Lay a block's segments out on the columns its gaps define; merge wrapped lines."""
    # each column is the stretch between two gaps; text in a gap belongs to the nearer column
    spans = [-1e9] + [v for a, b in gaps for v in (a, b)] + [1e9]
    extents = [(spans[2 * k], spans[2 * k + 1]) for k in range(len(gaps) + 1)]
    n_cols = len(extents)
    if n_cols < 2:
        return None

    def cols_of(x0: float, x1: float) -> tuple[int, int]:
        hit = [c for c, (a, b) in enumerate(extents) if x0 < b and x1 > a]
        if hit:
            return hit[0], hit[-1]
        nearest = min(
            range(n_cols), key=lambda c: min(abs(x0 - extents[c][1]), abs(x1 - extents[c][0]))
        )
        return nearest, nearest

    rows: list[list[str | None]] = []
    boxes: list[list[Any]] = []
    for line in lines:
        row: list[str | None] = [""] * n_cols
        box: list[Any] = [None] * n_cols
        pieces = [p for seg in line["segments"] for p in _split_at_edges(seg, cols_of)]
        for seg in pieces:
            first, last = cols_of(seg["x0"] + 0.5, seg["x1"] - 0.5)
            if row[first]:
                row[first] = f"{row[first]} {seg['text']}"
            else:
                row[first] = seg["text"]
            box[first] = (seg["x0"], line["top"], seg["x1"], line["bottom"])
            for c in range(first + 1, last + 1):
                row[c] = None
        rows.append(row)
        boxes.append(box)
    rows, boxes = _merge_header_columns(rows, boxes)
    rows, boxes = _merge_wrapped(rows, boxes)
    return {"rows": rows, "cell_boxes": boxes}


def _merge_header_columns(rows: list[list], boxes: list[list]) -> tuple[list, list]:
    """Join a column filled only in the header lines to its neighbour filled only below them:
    a left-aligned header over right-aligned figures leaves a gap that is not a column edge."""
    first_data = next(
        (r for r, row in enumerate(rows) if any(_is_numeric(c) for c in row if c)), len(rows)
    )
    c = 0
    while c + 1 < len(rows[0]):
        a = {r for r, row in enumerate(rows) if row[c]}
        b = {r for r, row in enumerate(rows) if row[c + 1]}
        head_a, head_b = {r for r in a if r < first_data}, {r for r in b if r < first_data}
        if (
            a
            and b
            and not a & b
            and ((a == head_a and not head_b) or (b == head_b and not head_a))
            and not any(row[c + 1] is None or row[c] is None for row in rows)
        ):
            for row, box in zip(rows, boxes, strict=True):
                if row[c + 1]:
                    row[c], box[c] = row[c + 1], box[c + 1]
                del row[c + 1]
                del box[c + 1]
            continue
        c += 1
    return rows, boxes


def _filled_cols(row: list[str | None]) -> set[int]:
    return {c for c, cell in enumerate(row) if cell}


def _merge_wrapped(rows: list[list], boxes: list[list]) -> tuple[list, list]:
    """Join lines that continue the row above: wrapped cell text and multi-line header cells."""
    first_data = next(
        (r for r, row in enumerate(rows) if any(_is_numeric(c) for c in row if c)), len(rows)
    )
    out_rows: list[list] = []
    out_boxes: list[list] = []
    for r, row in enumerate(rows):
        if out_rows:
            prev = out_rows[-1]
            mine, theirs = _filled_cols(row), _filled_cols(prev)
            numeric = any(_is_numeric(c) for c in row if c)
            wrapped_cell = not row[0] and prev[0] and mine and mine <= theirs and not numeric
            header_line = r < first_data and not row[0] and not prev[0] and mine and mine <= theirs
            continued_label = (
                mine == {0} and row[0][:1].islower() and any(_is_numeric(c) for c in prev if c)
            )
            if wrapped_cell or header_line or continued_label:
                for c in mine:
                    prev[c] = f"{prev[c]}\n{row[c]}"
                    a, b = out_boxes[-1][c], boxes[r][c]
                    if a and b:
                        out_boxes[-1][c] = (min(a[0], b[0]), a[1], max(a[2], b[2]), b[3])
                continue
        out_rows.append(list(row))
        out_boxes.append(list(boxes[r]))
    return out_rows, out_boxes


def _text_tables(
    page: Any, exclude: list[tuple[float, float, float, float]], options: dict
) -> list[dict]:
    words = [
        w
        for w in page.extract_words(
            x_tolerance=options["text_x_tolerance"],
            y_tolerance=options["text_y_tolerance"],
            extra_attrs=["size"],
        )
        # rotated words are chart axes and margin notes, not rows of a table
        if not _inside(w, exclude) and w["text"].strip() and w.get("upright", True)
    ]
    lines = text_lines(words)
    for line in lines:
        line["segments"] = _segments(line, options["column_gap"])
    found: list[dict] = []
    block: list[dict] = []

    def close() -> None:
        while block and len(block[-1]["segments"]) < 2:
            block.pop()
        if sum(len(line["segments"]) >= 2 for line in block) >= options["min_table_lines"]:
            table = _table_from_block(list(block))
            if table:
                found.append(table)
        block.clear()

    singles = 0
    for line in lines:
        multi = len(line["segments"]) >= 2
        if block:
            prev = block[-1]
            gap = line["top"] - prev["bottom"]
            width = max(s["x1"] for ln in block for s in ln["segments"]) - min(
                s["x0"] for ln in block for s in ln["segments"]
            )
            seg = line["segments"][0]
            long_single = (
                not multi and (seg["x1"] - seg["x0"]) > 0.6 * width and len(seg["text"]) > 40
            )
            if (
                gap > 2.0 * max(line["size"], prev["size"])
                or long_single
                or (not multi and singles >= 2)
            ):
                close()
                singles = 0
        if not block and not multi:
            continue
        block.append(line)
        singles = 0 if multi else singles + 1
    close()
    return found


def _looks_like_chart(rows: list[list[str | None]]) -> bool:
    """Axis labels of a chart: a sparse grid with a column of evenly stepped numbers
    (450, 400, 350 …), the rest being legend and series names."""
    cells = [c for row in rows for c in row]
    if not cells or sum(1 for c in cells if c) > 0.6 * len(cells):
        return False
    for c in range(len(rows[0])):
        values = []
        for row in rows:
            text = (row[c] or "").replace(",", "")
            try:
                values.append(float(text))
            except ValueError:
                continue
        steps = {round(b - a, 6) for a, b in zip(values, values[1:], strict=False)}
        if len(values) >= 4 and len(steps) == 1 and steps != {0.0}:
            return True
    return False


def _table_from_block(block: list[dict]) -> dict | None:
    # a caption set with wide gaps (justified) is not the table's first row
    while block and _CAPTION_LIKE.search(" ".join(w["text"] for w in block[0]["words"])):
        block = block[1:]
    if sum(len(line["segments"]) >= 2 for line in block) < 3:
        return None
    words = [w for line in block for w in line["words"]]
    singles = sum(1 for w in words if len(w["text"]) == 1 and not w["text"].isascii())
    if singles > 0.4 * len(words):
        # vertical writing read across, or letter-spaced headings: characters, not cells
        return None
    gaps = _column_gaps(block)
    multi = [line for line in block if len(line["segments"]) >= 2]
    # Prose with a wide gap now and then is not a table: most multi lines must break at the
    # block's column gaps, i.e. have a segment on each side of at least one gap.
    if not gaps:
        return None
    grid = _block_grid(block, gaps)
    if grid is None or _is_degenerate(grid["rows"]):
        return None
    rows = grid["rows"]
    n_cols = len(rows[0])
    filled_per_col = [sum(1 for row in rows if row[c]) for c in range(n_cols)]
    if sum(1 for n in filled_per_col if n >= 2) < 2:
        return None
    if _looks_like_chart(rows):
        return None
    long_cells = sum(1 for row in rows for c in row if c and len(c) > 60)
    if long_cells > 0.3 * len(multi):
        return None
    x0 = min(s["x0"] for line in block for s in line["segments"])
    x1 = max(s["x1"] for line in block for s in line["segments"])
    return {
        "bbox": (float(x0), float(block[0]["top"]), float(x1), float(block[-1]["bottom"])),
        "rows": rows,
        "cell_boxes": grid["cell_boxes"],
    }


# ---------------------------------------------------------------------------------------------
# Captions


def caption_above(page: Any, bbox: tuple[float, float, float, float], others: list[tuple]) -> str:
    """The caption or unit note line(s) directly above the table: at most two short lines (or
    lines that say 表/Table/単位), no further than CAPTION_ZONE, stopping at prose, at a wide
    gap, and at another table."""
    x0, top, x1, _ = bbox
    zone_top = max(0.0, top - CAPTION_ZONE)
    for o in others:
        if o[3] <= top and o[2] > x0 and o[0] < x1:
            zone_top = max(zone_top, o[3])
    if top - zone_top < 2:
        return ""
    region = page.crop((0, zone_top, float(page.width), top - 0.5), strict=False)
    words = [
        w
        for w in region.extract_words(extra_attrs=["size"])
        if w["x1"] > x0 - 20 and w["x0"] < x1 + 20
    ]
    lines = text_lines(words)
    picked: list[str] = []
    last_top = top
    for line in reversed(lines):
        if last_top - line["bottom"] > 1.5 * line["size"] + 2:
            break
        text = " ".join(w["text"] for w in line["words"])
        prose = text.rstrip().endswith(("。", "."))
        if (prose or len(text) > _CAPTION_MAX_CHARS) and not _CAPTION_LIKE.search(text):
            break
        picked.append(text)
        last_top = line["top"]
        if len(picked) == 2:
            break
    return "\n".join(reversed(picked))


# ---------------------------------------------------------------------------------------------


def _covered(inner: tuple, outer: tuple, share: float = 0.8) -> bool:
    """Does `outer` cover at least `share` of `inner`'s area?"""
    w = max(0.0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    h = max(0.0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
    return area > 0 and w * h >= share * area


def has_unruled_table(page: Any, settings: dict | None = None) -> bool:
    """Whether text alignment alone makes a table on `page` (anything with `extract_words`).

    The fast path asks this of a page without any drawn path: such a page has no ruled grid,
    but may still hold a table set by alignment, which only the full path extracts.
    """
    options = {**DEFAULT_TABLE_SETTINGS, **(settings or {})}
    return bool(options.get("text_tables")) and bool(_text_tables(page, [], options))


def find_tables(page: Any, settings: dict | None = None) -> list[dict]:
    """Tables on `page` (ruled grids first, then unruled ones elsewhere), top to bottom."""
    options = {**DEFAULT_TABLE_SETTINGS, **(settings or {})}
    tables = [{**t, "strategy": "lines"} for t in _ruled_tables(page, options)]
    if options.get("text_tables"):
        ruled = tables
        text = _text_tables(page, [t["bbox"] for t in ruled], options)
        # A small ruled box inside a larger aligned block (a boxed header, a highlighted row)
        # is part of that block: read the whole block by alignment instead.
        inside = [r for r in ruled if any(_covered(r["bbox"], t["bbox"]) for t in text)]
        if inside:
            ruled = [r for r in ruled if r not in inside]
            text = _text_tables(page, [t["bbox"] for t in ruled], options)
            if not all(any(_covered(r["bbox"], t["bbox"]) for t in text) for r in inside):
                ruled, text = tables, _text_tables(page, [t["bbox"] for t in tables], options)
        tables = ruled + [{**t, "strategy": "text"} for t in text]
    tables.sort(key=lambda t: (round(t["bbox"][1]), t["bbox"][0]))
    boxes = [t["bbox"] for t in tables]
    for table in tables:
        table["caption"] = caption_above(
            page, table["bbox"], [b for b in boxes if b is not table["bbox"]]
        )
    return tables

"""Unruled tables: runs of text lines that break into the same columns, outside ruled grids.

Prose never qualifies, because a paragraph's lines are one run of words each; a block needs
several lines (`TableSettings.min_table_lines`) with column gaps that line up. Charts (axis
labels stepping evenly), vertical writing read across and letter-spaced headings are rejected.
"""

from __future__ import annotations

import statistics
from typing import Any

from transforms.extract.captions import CAPTION_LIKE
from transforms.extract.charts import chart_inside
from transforms.extract.grid import is_degenerate
from transforms.extract.settings import TableSettings
from transforms.extract.words import centre_inside, segments, text_lines
from transforms.normalize.figures import is_numeric
from transforms.records import RawTable


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
        (i for i, line in enumerate(lines) if any(is_numeric(s["text"]) for s in line["segments"])),
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
        (r for r, row in enumerate(rows) if any(is_numeric(c) for c in row if c)), len(rows)
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
        (r for r, row in enumerate(rows) if any(is_numeric(c) for c in row if c)), len(rows)
    )
    out_rows: list[list] = []
    out_boxes: list[list] = []
    for r, row in enumerate(rows):
        if out_rows:
            prev = out_rows[-1]
            mine, theirs = _filled_cols(row), _filled_cols(prev)
            numeric = any(is_numeric(c) for c in row if c)
            wrapped_cell = not row[0] and prev[0] and mine and mine <= theirs and not numeric
            header_line = r < first_data and not row[0] and not prev[0] and mine and mine <= theirs
            continued_label = (
                mine == {0} and row[0][:1].islower() and any(is_numeric(c) for c in prev if c)
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


def _line_blocks(lines: list[dict]) -> list[list[dict]]:
    """Runs of lines that may be one table: a block opens at a line with several segments and
    closes at a wide vertical gap, a long single line (prose) or a third single line in a row."""
    blocks: list[list[dict]] = []
    block: list[dict] = []
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
                blocks.append(block)
                block = []
                singles = 0
        if not block and not multi:
            continue
        block.append(line)
        singles = 0 if multi else singles + 1
    blocks.append(block)
    return blocks


def text_tables(
    page: Any, exclude: list[tuple[float, float, float, float]], settings: TableSettings
) -> list[RawTable]:
    """Tables set by alignment on `page`, outside the `exclude` boxes (the ruled grids)."""
    words = [
        w
        for w in page.extract_words(
            x_tolerance=settings.text_x_tolerance,
            y_tolerance=settings.text_y_tolerance,
            extra_attrs=["size"],
        )
        # rotated words are chart axes and margin notes, not rows of a table
        if not centre_inside(w, exclude) and w["text"].strip() and w.get("upright", True)
    ]
    lines = text_lines(words)
    for line in lines:
        line["segments"] = segments(line, settings.column_gap)
    found: list[RawTable] = []
    for block in _line_blocks(lines):
        while block and len(block[-1]["segments"]) < 2:
            block.pop()
        if sum(len(line["segments"]) >= 2 for line in block) >= settings.min_table_lines:
            table = _table_from_block(block, settings.min_table_lines)
            if table and not chart_inside(page, table.bbox, words):
                found.append(table)
    return found


def text_table_at(
    page: Any,
    area: tuple[float, float, float, float],
    columns: tuple[float, ...],
    settings: TableSettings,
) -> RawTable | None:
    """The table the catalog states in `area` of a page: every text line there a row (a word
    belongs to it when its centre lies in the area), the columns at the given x positions (or
    where the lines break, when none are given)."""
    words = [
        w
        for w in page.extract_words(
            x_tolerance=settings.text_x_tolerance,
            y_tolerance=settings.text_y_tolerance,
            extra_attrs=["size"],
        )
        if w["text"].strip() and centre_inside(w, [area])
    ]
    lines = text_lines(words)
    if not lines:
        return None
    for line in lines:
        line["segments"] = segments(line, settings.column_gap)
    gaps = [(x, x) for x in columns] if columns else _column_gaps(lines)
    grid = _block_grid(lines, gaps) if gaps else None
    if grid is None:
        return None
    x0 = min(w["x0"] for w in words)
    x1 = max(w["x1"] for w in words)
    bbox = (float(x0), float(lines[0]["top"]), float(x1), float(lines[-1]["bottom"]))
    return RawTable(bbox=bbox, rows=grid["rows"], cell_boxes=grid["cell_boxes"], strategy="text")


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


def _table_from_block(block: list[dict], min_lines: int) -> RawTable | None:
    """The table a block of lines makes, or None when it is prose, a chart or vertical text."""
    # a caption set with wide gaps (justified) is not the table's first row
    while block and CAPTION_LIKE.search(" ".join(w["text"] for w in block[0]["words"])):
        block = block[1:]
    if sum(len(line["segments"]) >= 2 for line in block) < min_lines:
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
    if grid is None or is_degenerate(grid["rows"]):
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
    return RawTable(
        bbox=(float(x0), float(block[0]["top"]), float(x1), float(block[-1]["bottom"])),
        rows=rows,
        cell_boxes=grid["cell_boxes"],
        strategy="text",
    )


def has_unruled_table(page: Any, settings: TableSettings | dict | None = None) -> bool:
    """Whether text alignment alone makes a table on `page` (anything with `extract_words`).

    The fast path asks this of a page without any drawn path: such a page has no ruled grid,
    but may still hold a table set by alignment, which only the full path extracts.
    """
    resolved = TableSettings.resolve(settings)
    return resolved.text_tables and bool(text_tables(page, [], resolved))

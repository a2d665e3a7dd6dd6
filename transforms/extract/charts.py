"""Charts drawn on the page: their labels and legends line up like a table, but are not one.

A chart shows itself by what is drawn inside the area its labels take: a plotted curve (a line
that runs through the inside of its own box, unlike a rounded frame) or polyline (sloped
segments joined end to end), many tiny marks off the
words and spread over both axes (a series drawn as dots, scatter points; a dotted guide stacks
its dots on one x, a dotted leader lines them up on one y), or bars (filled blocks with no text on
them, of many lengths; a shaded table's fills sit behind its words or repeat a few sizes).
"""

from __future__ import annotations

from typing import Any

from transforms.extract.grid import is_white

# Marks no larger than this (points) are dots of a plotted series or of a scatter.
MARK_SIZE = 3.0
# This many marks away from the text lines make a chart.
MIN_MARKS = 20
# This many sloped segments joined end to end make a plotted series.
MIN_SEGMENTS = 8
# This many bars (text-free filled blocks) make a chart.
MIN_BARS = 3


def _inside(obj: dict, bbox: tuple[float, float, float, float]) -> bool:
    cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return bbox[0] - 2 <= cx <= bbox[2] + 2 and bbox[1] - 2 <= cy <= bbox[3] + 2


def _plotted(curve: dict) -> bool:
    """A curve spread over both directions with points inside its own box: a series, not a
    frame with rounded corners (whose points all lie on its border)."""
    if curve["width"] < 20 or curve["height"] < 20:
        return False
    x0, top, x1, bottom = curve["x0"], curve["top"], curve["x1"], curve["bottom"]
    inner = [
        (x, y)
        for x, y in curve.get("pts") or []
        if x0 + 2 < x < x1 - 2 and top + 2 < y < bottom - 2
    ]
    return len(inner) >= 3


def _chained_slopes(lines: list[dict]) -> int:
    """Sloped line segments joined end to end: a series drawn as a polyline. (A table's
    diagonals, crossing out a cell or splitting a corner cell, stand alone.)"""
    sloped = [o for o in lines if o["width"] > 1 and o["height"] > 0.5]
    ends: dict[tuple[int, int], int] = {}
    for o in sloped:
        for x, y in o.get("pts") or [(o["x0"], o["top"]), (o["x1"], o["bottom"])]:
            key = (round(x * 2), round(y * 2))
            ends[key] = ends.get(key, 0) + 1
    return sum(
        1
        for o in sloped
        if any(
            ends.get((round(x * 2), round(y * 2)), 0) > 1
            for x, y in o.get("pts") or [(o["x0"], o["top"]), (o["x1"], o["bottom"])]
        )
    )


def _on_text(obj: dict, words: list[dict]) -> bool:
    cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return any(
        w["x0"] - 1 <= cx <= w["x1"] + 1 and w["top"] - 1 <= cy <= w["bottom"] + 1 for w in words
    )


def _on_line(obj: dict, words: list[dict]) -> bool:
    cy = (obj["top"] + obj["bottom"]) / 2
    return any(w["top"] - 1 <= cy <= w["bottom"] + 1 for w in words)


def _dotted(marks: list[dict], off: list[dict], along_y: bool = True) -> bool:
    """Enough of the marks lie off the text and spread along x (and y): a dotted guide in a
    money column stacks its dots on one x, a dotted leader lines them up on one text line."""
    if len(off) < MIN_MARKS or len(off) < 0.5 * len(marks):
        return False
    xs = {round(o["x0"] / 2) for o in off}
    ys = {round(o["top"]) for o in off}
    return len(off) < 4 * (min(len(xs), len(ys)) if along_y else len(xs))


def _covers_text(obj: dict, words: list[dict]) -> bool:
    return any(
        obj["x0"] <= (w["x0"] + w["x1"]) / 2 <= obj["x1"]
        and obj["top"] <= (w["top"] + w["bottom"]) / 2 <= obj["bottom"]
        for w in words
    )


def chart_inside(page: Any, bbox: tuple[float, float, float, float], words: list[dict]) -> bool:
    """Is the area `bbox` (a table candidate) a chart? `words` are the page's words."""
    mine = [w for w in words if _inside(w, bbox)]
    # a page read from its characters alone (the fast path) has no drawings: no chart
    rects, lines = getattr(page, "rects", []), getattr(page, "lines", [])
    curves = [c for c in getattr(page, "curves", []) if _inside(c, bbox)]
    if any(_plotted(c) for c in curves):
        return True
    if _chained_slopes([o for o in lines if _inside(o, bbox)]) >= MIN_SEGMENTS:
        return True
    # tiny curves are mostly glyphs drawn as outlines (text a PDF printer turned into paths)
    shapes = [o for o in (*rects, *lines) if _inside(o, bbox)]
    marks = [o for o in shapes if max(o["width"], o["height"]) <= MARK_SIZE]
    if _dotted(marks, [m for m in marks if not _on_text(m, mine)]):
        return True  # a series spread over both axes, off the words
    if _dotted(marks, [m for m in marks if not _on_line(m, mine)], along_y=False):
        return True  # a dotted grid line between the text lines
    blocks = [
        o
        for o in rects
        if _inside(o, bbox)
        and o.get("fill")
        and not is_white(o.get("non_stroking_color"))
        and min(o["width"], o["height"]) > MARK_SIZE
    ]
    # bars are long and of different lengths; bullets (■) and check boxes are small and alike
    bars = [o for o in blocks if not _covers_text(o, mine) and max(o["width"], o["height"]) >= 10]
    # and of many lengths; a shaded table drawn as pieces between its cells repeats a few sizes
    lengths = {round(max(o["width"], o["height"])) for o in bars}
    return (
        len(bars) >= MIN_BARS
        and len(bars) >= 0.5 * len(blocks)
        and len(lengths) >= max(2, 0.5 * len(bars))
    )

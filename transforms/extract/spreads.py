"""Spreads: a landscape page that prints two facing pages, split at the gutter between them.

Budget books are often published as spreads (the 目 table on the left page, its 節 and 説明 on
the right). Read as one page, an unruled block beside a ruled one joins them across the
gutter; read as two, no table crosses it. A page is a spread when it is landscape and a
vertical band near its centre is empty (no character and no visible ruling crosses it, a frame
around the whole sheet aside) and each side shows it is a page of its own: its own printed page
number at its foot or head, or its own ruled table. A table ruled across the centre is one
table; a landscape table with a wide gap between two columns, and nothing else, is one too.
"""

from __future__ import annotations

from typing import Any

from transforms.extract.ruled import is_visible
from transforms.normalize.figures import page_number_line

# The gutter lies in this middle share of the page width.
CENTRE_SHARE = (0.4, 0.6)
# It is at least this wide (share of the page width): word gaps and column gaps are narrower.
MIN_GUTTER_SHARE = 0.025
# Each side holds at least this share of the page's characters.
MIN_SIDE_SHARE = 0.03
# Page numbers are printed in this share of the page's height at its foot or head.
MARGIN_SHARE = 0.12


def _blocked(page: Any, lo: int, hi: int) -> list[bool]:
    """For each x in [lo, hi), whether a character or a ruling covers it."""
    width = float(page.width)
    x_origin = float(page.bbox[0])
    blocked = [False] * (hi - lo)

    def mark(x0: float, x1: float) -> None:
        start = max(int(x0 - x_origin) - lo, 0)
        end = min(int(x1 - x_origin) + 1 - lo, hi - lo)
        for i in range(start, end):
            blocked[i] = True

    height = float(page.height)
    for char in page.chars:
        mark(char["x0"], char["x1"])
    for obj in _rulings(page):
        frame = obj["x1"] - obj["x0"] >= 0.9 * width and obj["bottom"] - obj["top"] >= 0.8 * height
        if not frame:
            mark(obj["x0"], obj["x1"])
    return blocked


def _rulings(page: Any) -> list[dict]:
    return [o for o in (*page.rects, *page.lines, *page.curves) if is_visible(o)]


def _margin_lines(chars: list[dict], height: float) -> list[str]:
    """The text lines printed in the page's foot and head margins."""
    rows: dict[int, list[dict]] = {}
    for char in chars:
        if char["top"] > (1 - MARGIN_SHARE) * height or char["bottom"] < MARGIN_SHARE * height:
            rows.setdefault(round(char["top"]), []).append(char)
    return ["".join(c["text"] for c in sorted(row, key=lambda c: c["x0"])) for row in rows.values()]


def _own_page(page: Any, chars: list[dict], rulings: list[dict]) -> bool:
    """Does this side of a sheet look like a page of its own?"""
    if any(page_number_line(line) for line in _margin_lines(chars, float(page.height))):
        return True
    return len(rulings) >= 4


def gutter(page: Any) -> float | None:
    """The x of the gutter of a spread, or None for a single page (see the module doc)."""
    width, height = float(page.width), float(page.height)
    if width <= 1.2 * height or not page.chars:
        return None
    lo, hi = int(CENTRE_SHARE[0] * width), int(CENTRE_SHARE[1] * width)
    blocked = _blocked(page, lo, hi)
    best: tuple[int, int] | None = None
    start = None
    for i, taken in enumerate([*blocked, True]):
        if not taken and start is None:
            start = i
        elif taken and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    if best is None or best[1] - best[0] < MIN_GUTTER_SHARE * width:
        return None
    x = float(page.bbox[0]) + lo + (best[0] + best[1]) / 2
    left = [c for c in page.chars if c["x1"] <= x]
    right = [c for c in page.chars if c["x1"] > x]
    if min(len(left), len(right)) < MIN_SIDE_SHARE * len(page.chars):
        return None
    rulings = _rulings(page)
    sides = (
        (left, [o for o in rulings if o["x1"] <= x]),
        (right, [o for o in rulings if o["x0"] >= x]),
    )
    if not all(_own_page(page, chars, lines) for chars, lines in sides):
        return None
    return x


def halves(page: Any) -> list[Any]:
    """The page's two facing pages when it is a spread, else the page itself."""
    x = gutter(page)
    if x is None:
        return [page]
    x0, top, x1, bottom = (float(v) for v in page.bbox)
    return [page.crop((x0, top, x, bottom)), page.crop((x, top, x1, bottom))]

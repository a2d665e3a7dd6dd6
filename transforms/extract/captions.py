"""A table's caption: the short line(s) just above it that name it or state its unit
(「表１ ...」「（単位：千円）」), not whatever prose happens to precede it."""

from __future__ import annotations

import re
from typing import Any

from transforms.extract.words import text_lines

CAPTION_ZONE = 36.0
_CAPTION_MAX_CHARS = 30
CAPTION_LIKE = re.compile(
    r"^\s*(?:第?\s*[0-9０-９一二三四五六七八九十]+\s*表|表\s*[0-9０-９]|図表|[Tt]able|TABLE|＜|<|【|〈|[（(]?\s*単位)|単位\s*[:：]"
)


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
    left, _, right, _ = (float(v) for v in page.bbox)  # a facing page of a spread is a crop
    region = page.crop((left, zone_top, right, top - 0.5), strict=False)
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
        if (prose or len(text) > _CAPTION_MAX_CHARS) and not CAPTION_LIKE.search(text):
            break
        picked.append(text)
        last_top = line["top"]
        if len(picked) == 2:
            break
    return "\n".join(reversed(picked))

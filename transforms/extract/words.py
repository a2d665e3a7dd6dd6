"""Words of a page grouped into text lines, and lines split into segments at wide gaps.

Shared by every part of the table finder: ruled cells listing several items, unruled tables set
by alignment, and captions are all read line by line.
"""

from __future__ import annotations

import statistics

from pdfplumber.utils import obj_to_bbox


def centre_inside(word: dict, boxes: list[tuple[float, float, float, float]]) -> bool:
    """Whether the word's centre lies in one of the boxes (1 pt of slack): a word belongs to the
    cell its centre is in, even when its loose box pokes over the cell's rule."""
    x0, top, x1, bottom = obj_to_bbox(word)
    cx, cy = (x0 + x1) / 2, (top + bottom) / 2
    return any(
        bx0 - 1 <= cx <= bx1 + 1 and btop - 1 <= cy <= bbottom + 1
        for bx0, btop, bx1, bbottom in boxes
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


def segments(line: dict, gap: float) -> list[dict]:
    """The line cut where the space between two words is wider than `gap` font sizes."""
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


def lines_of(words: list[dict]) -> list[list[dict]]:
    """The words' lines, as lists of words."""
    return [line["words"] for line in text_lines(words)]


def line_text(lines: list[list[dict]]) -> str:
    """Lines of words as text: words joined by a space, lines by a newline."""
    return "\n".join(" ".join(w["text"] for w in line) for line in lines)

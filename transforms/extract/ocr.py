"""OCR's pure half: which pages to read by OCR, and how Tesseract's words become a page's text.

The engine itself (rendering the page, running Tesseract) is I/O and lives in `flows.ocr`; this
module only decides and converts, so it is tested without Tesseract.

Modes (`teian run --ocr`): `auto` reads by OCR only the pages without a text layer that draw
something (a scan is an image; a page whose text was turned into outlines is paths); `force`
reads every page by OCR and replaces its text (for a PDF whose text layer is garbage); `off`
never does, and such pages stay empty with the document published `partial`.
"""

from __future__ import annotations

import dataclasses
import statistics
from typing import Any

from transforms.records import PageRecord

OCR_MODES = ("auto", "off", "force")
# Below this mean word confidence a horizontal reading is retried with the vertical model too.
RETRY_VERTICAL_BELOW = 70.0
# Below this, Tesseract read shapes, not text (a chart, bars, noise): the page stays unread.
MIN_CONFIDENCE = 30.0


def wants_ocr(mode: str, record: PageRecord, draws_something: bool) -> bool:
    """Whether the page is to be read by OCR in `mode`."""
    if mode == "force":
        return True
    if mode == "auto":
        return record.n_chars == 0 and draws_something
    return False


def needs_text(record: PageRecord, draws_something: bool) -> bool:
    """A page without a text layer that draws something: its text is missing without OCR."""
    return record.n_chars == 0 and draws_something


def ocr_lines(data: dict[str, list[Any]]) -> list[str]:
    """Tesseract's words (`image_to_data` as a dict of columns) as lines, in its reading order.

    Words of a line are joined without a space between Japanese letters (Tesseract cuts
    Japanese text into words of its own) and with one between Latin words or numbers.
    """
    lines: dict[tuple[int, int, int], list[str]] = {}
    for i, word in enumerate(data.get("text", [])):
        word = (word or "").strip()
        if not word or float(data["conf"][i]) < 0:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        lines.setdefault(key, []).append(word)
    return [_join_words(words) for _, words in sorted(lines.items())]


def _join_words(words: list[str]) -> str:
    text = words[0]
    for word in words[1:]:
        if text[-1].isascii() and text[-1].isalnum() and word[0].isascii() and word[0].isalnum():
            text += " "
        text += word
    return text


def mean_confidence(data: dict[str, list[Any]]) -> float | None:
    """Tesseract's mean word confidence (0–100) over the words it read, None if it read none."""
    confidences = [
        float(conf)
        for conf, word in zip(data.get("conf", []), data.get("text", []), strict=False)
        if (word or "").strip() and float(conf) >= 0
    ]
    return round(statistics.fmean(confidences), 1) if confidences else None


def better_reading(
    first: dict[str, list[Any]], second: dict[str, list[Any]] | None
) -> dict[str, list[Any]]:
    """Of two readings of one page (the horizontal model's, the vertical model's), the one
    Tesseract is surer of."""
    if second is None:
        return first
    return second if (mean_confidence(second) or 0) > (mean_confidence(first) or 0) else first


def ocr_record(record: PageRecord, data: dict[str, list[Any]]) -> PageRecord:
    """The page's record with its text read by OCR (its tables, from the text layer, stay), or
    with the reason OCR gave none (`ocr_error`) when it read nothing worth keeping."""
    from transforms.extract.page import footer_label  # the table finder: only where OCR runs

    text = "\n".join(ocr_lines(data))
    confidence = mean_confidence(data)
    if not text.strip() or confidence is None or confidence < MIN_CONFIDENCE:
        found = "no text" if confidence is None else f"no readable text (confidence {confidence:g})"
        return dataclasses.replace(record, ocr_error=f"OCR found {found}")
    return dataclasses.replace(
        record,
        text_raw=text,
        footer_label=footer_label(text),
        text_source="ocr",
        ocr_confidence=confidence,
        ocr_error=None,
    )

"""One PDF page in, one plain record out: raw text, printed page label and the tables found.

Works on a pdfplumber page and returns plain data (dicts, lists, floats) so records can cross
process boundaries and the page can be closed right after: memory does not grow with the document.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from transforms.table import find_tables

# A printed page number alone on a line: 「- 358 -」「－３５８－」「358」「p.12」「12 / 40」
_FOOTER_LABEL = re.compile(
    r"^\s*(?:[-‐－―—–ー~〜\u2212]\s*)?(?:p\.?\s*)?(?P<label>[0-9]{1,4}|[ivxlcdmIVXLCDM]{1,7})\s*(?:[-‐－―—–ー~〜\u2212])?\s*(?:/\s*[0-9]{1,4})?\s*$"
)


def footer_label(text_raw: str) -> str | None:
    """The printed page number from a page's last (or first) lines, such as 「- 358 -」 → "358"."""
    lines = [line for line in text_raw.splitlines() if line.strip()]
    if not lines:
        return None
    candidates = lines[::-1][:2] + lines[:1]
    for line in candidates:
        match = _FOOTER_LABEL.match(unicodedata.normalize("NFKC", line))
        if match:
            return match.group("label")
    return None


def extract_page(page: Any, table_settings: dict | None = None) -> dict:
    """Extract what the datasets need from a pdfplumber page: text, footer label, tables."""
    text_raw = page.extract_text(layout=False) or ""
    tables = find_tables(page, table_settings)
    return {
        "page_number": page.page_number,
        "width": float(page.width),
        "height": float(page.height),
        "text_raw": text_raw,
        "footer_label": footer_label(text_raw),
        "n_chars": len(page.chars),
        "tables": tables,
    }

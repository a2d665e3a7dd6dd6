"""A cheap first look at a page with pdfium, to spare pdfplumber's full parse where it cannot matter.

Most pages of a 提案要求 edition are prose. pdfplumber spends ~90% of its time on such a page
parsing every object in pdfminer's pure-Python interpreter; pdfium reads the same page in C about
ten times faster. Two facts make a fast path safe:

* The table finder's lines strategy builds tables only from ruling lines, rectangles and curves,
  which are all path objects. A page without path objects (at any depth, form XObjects included)
  cannot have a ruled table. Tables set by alignment alone are looked for on pdfium's characters
  with the same finder; a page that has one takes the full path.
* pdfium's raw text stream is in content-stream order, which for real Japanese PDFs is often not
  reading order (a budget page comes out bottom-up, amounts cut in two). pdfium's *characters*,
  however, with their loose (font-based) boxes, fed to pdfplumber's own text layout
  (`pdfplumber.utils.extract_text`), give the same text as pdfplumber's `extract_text` — the
  layout code is the same, only the parser differs. `benchmarks/text_compare.py` measures this.

Pages where the two parsers could disagree take the full path: rotated pages, pages whose crop
box differs from the media box, glyphs without a Unicode mapping (pdfminer writes "(cid:N)",
which the datasets count), and vertical writing (pdfplumber's order is kept, even where it is
worse, so the datasets do not depend on which path a page took).
"""

from __future__ import annotations

import ctypes
from typing import Any

from transforms.page import footer_label
from transforms.table import has_unruled_table

# pdfium's code for a hyphen it found at a line end (the glyph on the page is "-").
_PDFIUM_LINE_END_HYPHEN = 0x02
# The only characters pdfium generates (inferred word and line breaks, line-end hyphens).
_MAYBE_GENERATED = frozenset((0x20, 0x0D, 0x0A, _PDFIUM_LINE_END_HYPHEN, 0x2D))
# A page is treated as vertical writing when this share of successive characters step downwards
# in the same column.
VERTICAL_SHARE = 0.3


def has_path_objects(page: Any) -> bool:
    """True when the pdfium page draws any path (line, rectangle, curve), inside forms too."""
    import pypdfium2.raw as pdfium_c

    return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=15))


def _box_matches(page: Any) -> bool:
    return tuple(round(v, 3) for v in page.get_cropbox()) == tuple(
        round(v, 3) for v in page.get_mediabox()
    )


def pdfium_chars(page: Any) -> list[dict] | None:
    """The page's characters as pdfplumber-style dicts, or None when the fast path must not be used."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        handle = textpage.raw  # the raw handle: pypdfium2's wrapper costs a call per use
        count = pdfium_c.FPDFText_CountChars(handle)
        codes = _all_codes(handle, count)
        if codes is None:
            return None
        is_generated = pdfium_c.FPDFText_IsGenerated
        map_error = pdfium_c.FPDFText_HasUnicodeMapError
        loose_box = pdfium_c.FPDFText_GetLooseCharBox
        font_size = pdfium_c.FPDFText_GetFontSize
        height = float(page.get_height())
        rect = pdfium_c.FS_RECTF()
        rect_ref = ctypes.byref(rect)
        chars: list[dict] = []
        for index, code in enumerate(codes):
            if code in _MAYBE_GENERATED and is_generated(handle, index) == 1:
                continue  # spaces and line breaks pdfium inferred: pdfplumber infers its own
            if map_error(handle, index) == 1:
                return None
            if code == _PDFIUM_LINE_END_HYPHEN:
                code = ord("-")
            if code in (0, 0xFFFE, 0xFFFF):
                return None
            loose_box(handle, index, rect_ref)
            top = height - rect.top
            chars.append(
                {
                    "text": chr(code),
                    "x0": rect.left,
                    "x1": rect.right,
                    "top": top,
                    "bottom": height - rect.bottom,
                    "doctop": top,
                    "upright": True,
                    # the font size, as pdfminer reports it for upright text (the loose box
                    # height varies from glyph to glyph and would split every word)
                    "size": font_size(handle, index),
                }
            )
        return chars
    finally:
        textpage.close()


def _all_codes(handle: Any, count: int) -> list[int] | None:
    """Every character's code in one call (one UTF-16 unit per character index), or None when the
    page has characters outside the BMP, where units and indexes no longer line up."""
    import pypdfium2.raw as pdfium_c

    if count <= 0:
        return []
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(handle, 0, count, buffer)
    codes = list(buffer[: max(0, written - 1)])
    if len(codes) != count or any(0xD800 <= code <= 0xDFFF for code in codes):
        return None
    return codes


def looks_vertical(chars: list[dict]) -> bool:
    """Does most of the text run top to bottom in columns (縦書き)?"""
    if len(chars) < 8:
        return False
    downward = sum(
        1
        for a, b in zip(chars, chars[1:], strict=False)
        if abs(a["x0"] - b["x0"]) < 1.0 and b["top"] > a["top"] + 0.5 * (a["bottom"] - a["top"])
    )
    return downward > VERTICAL_SHARE * (len(chars) - 1)


class _CharsPage:
    """Just enough of a pdfplumber page for the unruled-table finder: words from given chars."""

    def __init__(self, chars: list[dict]) -> None:
        self.chars = chars

    def extract_words(self, **options: Any) -> list[dict]:
        from pdfplumber.utils import extract_words

        return extract_words(self.chars, **options)


def extract_page_fast(
    page: Any, page_number: int, size: tuple[float, float] | None = None
) -> dict | None:
    """The same record as `transforms.page.extract_page`, from a pdfium page, or None if unsafe.

    None means "use the full path": the page has path objects (it may hold a table) or is one of
    the cases listed in the module docstring. `size` is the page's (width, height) as pdfplumber
    reads them from the PDF (pdfium rounds them to 32-bit floats: 595.2756 → 595.27557).
    """
    from pdfplumber.utils import extract_text

    if page.get_rotation() % 360 != 0 or not _box_matches(page) or has_path_objects(page):
        return None
    chars = pdfium_chars(page)
    if chars is None or looks_vertical(chars) or has_unruled_table(_CharsPage(chars)):
        return None
    text_raw = (extract_text(chars, layout=False) or "") if chars else ""
    width, height = size or page.get_size()
    return {
        "page_number": page_number,
        "width": float(width),
        "height": float(height),
        "text_raw": text_raw,
        "footer_label": footer_label(text_raw),
        "n_chars": len(chars),
        "tables": [],
    }

"""pdfium's view of a page as pdfplumber-style objects: characters with their boxes, and
whether the page draws any path. Read through pypdfium2's raw bindings, one call per fact, since
its object wrappers cost a Python call per character.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

# pdfium's code for a hyphen it found at a line end (the glyph on the page is "-").
_PDFIUM_LINE_END_HYPHEN = 0x02
# The only characters pdfium generates (inferred word and line breaks, line-end hyphens).
_MAYBE_GENERATED = frozenset((0x20, 0x0D, 0x0A, _PDFIUM_LINE_END_HYPHEN, 0x2D))


def has_path_objects(page: Any) -> bool:
    """True when the pdfium page draws any path (line, rectangle, curve), inside forms too."""
    import pypdfium2.raw as pdfium_c

    return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=15))


def crop_matches_media(page: Any) -> bool:
    """pdfium and pdfplumber agree on positions only when the crop box is the media box."""
    return tuple(round(v, 3) for v in page.get_cropbox()) == tuple(
        round(v, 3) for v in page.get_mediabox()
    )


def pdfium_chars(
    page: Any,
    height: float | None = None,
    page_number: int = 1,
    initial_doctop: float = 0.0,
) -> list[dict] | None:
    """The page's characters as pdfplumber's char dicts, or None when a fast path must not be
    used (a glyph without a Unicode mapping, characters outside the BMP).

    `height` is the page height as pdfplumber reads it (pdfium's is rounded to 32 bits), so both
    parsers measure `top` from the same edge.
    """
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        handle = textpage.raw  # the raw handle: pypdfium2's wrapper costs a call per use
        count = pdfium_c.FPDFText_CountChars(handle)
        codes = _all_codes(handle, count)
        if codes is None:
            return None
        height = float(page.get_height()) if height is None else height
        reader = _CharReader(handle, height, page_number, initial_doctop)
        chars: list[dict] = []
        inferred = False
        for index, code in enumerate(codes):
            if code in _MAYBE_GENERATED and pdfium_c.FPDFText_IsGenerated(handle, index) == 1:
                # spaces and line breaks pdfium inferred: pdfplumber infers its own; the next
                # character notes that pdfium saw a break before it (see fast.spaces_unambiguous)
                inferred = inferred or code == 0x20
                continue
            if pdfium_c.FPDFText_HasUnicodeMapError(handle, index) == 1:
                return None
            if code == _PDFIUM_LINE_END_HYPHEN:
                code = ord("-")
            if code in (0, 0xFFFE, 0xFFFF):
                return None
            char = reader.char(index, chr(code))
            if inferred:
                char["pdfium_break_before"] = True
                inferred = False
            chars.append(char)
        return chars
    finally:
        textpage.close()


class _CharReader:
    """One character's pdfplumber dict from pdfium's text page."""

    def __init__(self, handle: Any, height: float, page_number: int, doctop: float) -> None:
        import pypdfium2.raw as pdfium_c

        self.handle, self.height = handle, height
        self.page_number, self.doctop = page_number, doctop
        self.rect = pdfium_c.FS_RECTF()
        self.rect_ref = ctypes.byref(self.rect)
        self.loose_box = pdfium_c.FPDFText_GetLooseCharBox
        self.font_size = pdfium_c.FPDFText_GetFontSize
        self.get_matrix = pdfium_c.FPDFText_GetMatrix
        self.matrix = pdfium_c.FS_MATRIX()
        self.matrix_ref = ctypes.byref(self.matrix)

    def char(self, index: int, text: str) -> dict:
        self.loose_box(self.handle, index, self.rect_ref)
        rect = self.rect
        m = self.matrix
        if not self.get_matrix(self.handle, index, self.matrix_ref):
            m.a, m.b, m.c, m.d = 1.0, 0.0, 0.0, 1.0
        # pdfminer's size: the font size scaled by the text and graphics matrices (pdfium's
        # font size is the one set by Tf alone)
        size = self.font_size(self.handle, index) * math.hypot(m.c, m.d)
        # pdfminer's box: from the font's descent up one font size (pdfium's loose box shares
        # its bottom, but takes each glyph's own ascent as the top)
        bottom = self.height - rect.bottom
        top = bottom - size
        return {
            "text": text,
            "x0": rect.left,
            "x1": rect.right,
            "y0": rect.bottom,
            "y1": rect.bottom + size,
            "top": top,
            "bottom": bottom,
            "doctop": self.doctop + top,
            "width": rect.right - rect.left,
            "height": bottom - top,
            # pdfminer's test on the character's matrix: not turned a quarter (a chart's axis
            # label is not upright)
            "upright": m.a * m.d > 0 and m.b * m.c <= 0,
            # the font size, as pdfminer reports it for upright text (the loose box height
            # varies from glyph to glyph and would split every word)
            "size": size,
            "adv": rect.right - rect.left,
            "fontname": "",
            "matrix": (m.a, m.b, m.c, m.d, m.e, m.f),
            "object_type": "char",
            "page_number": self.page_number,
            "mcid": None,
            "tag": None,
        }


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

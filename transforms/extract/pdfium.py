"""pdfium's view of a page as pdfplumber-style objects: characters with their boxes, and
whether the page draws any path. Read through pypdfium2's raw bindings, one call per fact, since
its object wrappers cost a Python call per character.
"""

from __future__ import annotations

import ctypes
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

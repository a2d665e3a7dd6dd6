"""pdfium's fast paths: the same page record as pdfminer's, at a fraction of the cost.

pdfplumber spends most of a page's time parsing its objects in pdfminer's pure-Python
interpreter (two thirds of a ruled budget page, ~90% of a prose page); pdfium reads the same
page in C. The table finder and pdfplumber's text layout only look at the objects, so:

* **text path** — a page without any drawn path (at any depth, form XObjects included) cannot
  hold a ruled table; unless its characters are set out as a table by alignment (looked for with
  the same finder), its record is its text alone, laid out by pdfplumber's own
  `utils.extract_text` from pdfium's characters.
* **objects path** — any other page gets pdfium's characters and painted paths as pdfplumber
  objects (`transforms.extract.objects`) and then the full `extract_page`: same finder, same
  layout, only the parser differs.

pdfium's characters are made to match pdfminer's: the box from the font's descent up one scaled
font size, the character's own matrix, pdfminer's test for "upright". `read_page_fast` sends a
page to pdfminer whenever the parsers could still disagree: a rotated page, a crop box other
than the media box or a media box not at the origin, any run of vertical writing (read by
`transforms.extract.vertical` on pdfminer's path only), glyphs without a Unicode
mapping or outside the BMP, fonts the two decode through different tables
(`fonts_decode_alike`), a blank the PDF draws that pdfium may drop where it decides a word
break (`spaces_unambiguous`), and mostly Latin text, whose character boxes pdfium takes from the
glyph outlines rather than the advance widths (`alphabetic_share`). `benchmarks/fastpath_check.py` compares both parsers' records page
by page over the corpus, the fixtures and the sample, and reports the share of each path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from transforms.extract.page import count_chars, page_record
from transforms.extract.pdfium import crop_matches_media, has_path_objects, pdfium_chars
from transforms.extract.tables import has_unruled_table
from transforms.extract.vertical import has_vertical_run
from transforms.records import PageRecord

# Pages where letters of alphabetic scripts (Latin, Arabic, Cyrillic …) are more than this share
# of the printed characters take pdfminer's path: for proportional fonts pdfium's character
# boxes follow the glyph outlines, not the advance widths pdfminer reads from the font
# (「pro viders」 against 「providers」), and right-to-left text is ordered differently.
ALPHABETIC_SHARE = 0.25
# Two glyphs this far apart (points) may have a blank between them that one parser reports and
# the other drops; nearer ones touch, further ones are a word break to pdfplumber either way
# (its word tolerance is 3 pt).
AMBIGUOUS_GAP = (0.5, 3.5)


def spaces_unambiguous(chars: list[dict]) -> bool:
    """No blank the PDF draws may have become one of pdfium's own word breaks where it matters.

    pdfium reports the blanks a PDF draws (they are kept in `chars`), but turns some into word
    breaks it infers (a blank after a hyphen): those are dropped, and the character after one
    is marked `pdfium_break_before`. pdfplumber joins two glyphs under 3 pt apart into one word
    unless a blank lies between them, so such a break at such a gap could be a blank pdfminer
    reports, and the page takes pdfminer's path. A letter-spaced heading (区 分, spaced by the
    PDF's character spacing, no blank drawn) has no break there and stays on pdfium's path.
    """
    low, high = AMBIGUOUS_GAP
    previous = None
    for char in chars:
        if char["text"].isspace():
            previous = None
            continue
        if (
            previous is not None
            and char.get("pdfium_break_before")
            and _may_hide_blank(previous, char)
        ):
            same_line = abs(previous["bottom"] - char["bottom"]) < 0.5 * max(char["size"], 1.0)
            if same_line and low < char["x0"] - previous["x1"] < high:
                return False
        previous = char
    return True


# pdfium reads a blank after one of these as a hyphenation point, not as the blank it is.
_HYPHENS = frozenset("-‐‑–—−－")


def _may_hide_blank(previous: dict, char: dict) -> bool:
    """Could pdfium's break between these two glyphs stand for a blank the PDF draws? After a
    hyphen, or between two glyphs of a spaced script; two Japanese glyphs are set without
    blanks, and pdfium breaks there only at a gap (a table's columns, a spaced heading)."""
    return previous["text"] in _HYPHENS or not (_is_cjk(previous["text"]) or _is_cjk(char["text"]))


def _is_cjk(text: str) -> bool:
    return "\u3000" <= text <= "\u9fff" or "\uff00" <= text <= "\uffef"


def _alphabetic(text: str) -> bool:
    """A letter of an alphabet: not kana, not an ideograph, not a digit or a mark."""
    return text.isalpha() and not _is_cjk(text)


def alphabetic_share(chars: list[dict]) -> float:
    """The share of printed characters that are letters of alphabetic scripts."""
    printed = [c["text"] for c in chars if not c["text"].isspace()]
    if not printed:
        return 0.0
    return sum(1 for t in printed if _alphabetic(t)) / len(printed)


class _CharsPage:
    """Just enough of a pdfplumber page for the unruled-table finder: words from given chars."""

    def __init__(self, chars: list[dict]) -> None:
        self.chars = chars

    def extract_words(self, **options: Any) -> list[dict]:
        from pdfplumber.utils import extract_words

        return extract_words(self.chars, **options)


def _text_page(chars: list[dict], plumber_page: Any) -> PageRecord | None:
    """The record of a page without drawn paths, or None when its text is set as a table."""
    from pdfplumber.utils import extract_text

    if has_unruled_table(_CharsPage(chars)):
        return None
    text_raw = (extract_text(chars, layout=False) or "") if chars else ""
    size = (float(plumber_page.width), float(plumber_page.height))
    return page_record(plumber_page.page_number, size, text_raw, count_chars(chars), [], chars)


def _objects_page(page: Any, plumber_page: Any, chars: list[dict]) -> PageRecord | None:
    """The record of any page from pdfium's objects under pdfplumber's finder and layout."""
    from transforms.extract.objects import painted_paths, shape_objects
    from transforms.extract.page import extract_page

    paths = painted_paths(page)
    if paths is None:
        return None
    number, height = plumber_page.page_number, float(plumber_page.height)
    objects = shape_objects(paths, number, height, float(plumber_page.initial_doctop))
    objects["char"] = chars
    plumber_page._objects = objects  # pdfplumber's own cache of the parsed objects
    return extract_page(plumber_page)


def read_page_fast(page: Any, plumber_page: Any) -> tuple[PageRecord | None, str]:
    """(record, "text" | "objects") read with pdfium when it gives pdfminer's record, else
    (None, "full"). `page` is the pypdfium2 page, `plumber_page` the pdfplumber one (only its
    dictionary is read: size, boxes, fonts; its content is left to pdfium)."""
    if page.get_rotation() % 360 != 0 or not crop_matches_media(page):
        return None, "full"
    if tuple(plumber_page.mediabox[:2]) != (0, 0) or not fonts_decode_alike(plumber_page):
        return None, "full"
    height, number = float(plumber_page.height), plumber_page.page_number
    chars = pdfium_chars(page, height, number, float(plumber_page.initial_doctop))
    if chars is None or has_vertical_run(chars) or not spaces_unambiguous(chars):
        return None, "full"
    if alphabetic_share(chars) > ALPHABETIC_SHARE:
        return None, "full"
    if not has_path_objects(page):
        record = _text_page(chars, plumber_page)
        if record is not None:
            return record, "text"
    record = _objects_page(page, plumber_page, chars)
    return record, ("objects" if record is not None else "full")


# -- fonts -----------------------------------------------------------------------------------------

# Simple-font encodings both parsers read from the same published tables.
_STANDARD_ENCODINGS = {"WinAnsiEncoding", "MacRomanEncoding", "StandardEncoding"}
_SYMBOLIC = 4  # FontDescriptor /Flags bit 3


def _fonts(resources: Any, depth: int = 0) -> Iterator[dict]:
    """The font dictionaries of a resource dictionary and of its form XObjects."""
    from pdfminer.pdftypes import resolve1

    resources = resolve1(resources) or {}
    for font in (resolve1(resources.get("Font")) or {}).values():
        font = resolve1(font)
        if isinstance(font, dict):
            yield font
    if depth < 8:
        for xobject in (resolve1(resources.get("XObject")) or {}).values():
            xobject = resolve1(xobject)
            attrs = getattr(xobject, "attrs", None)
            if attrs is not None and "Resources" in attrs:
                yield from _fonts(attrs["Resources"], depth + 1)


def _name(value: Any) -> str | None:
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import PSLiteral

    value = resolve1(value)
    return value.name if isinstance(value, PSLiteral) else None


def _decodes_alike(font: dict) -> bool:
    """A font both parsers map to Unicode the same way (see `fonts_decode_alike`)."""
    from pdfminer.pdftypes import resolve1

    encoding = resolve1(font.get("Encoding"))
    if isinstance(encoding, dict) and "Differences" in encoding:
        return False  # glyphs renamed: glyph-name tables and ToUnicode maps may disagree
    if _name(font.get("Subtype")) == "Type0" or "ToUnicode" in font:
        return "ToUnicode" in font
    descriptor = resolve1(font.get("FontDescriptor"))
    flags = resolve1(descriptor.get("Flags")) if isinstance(descriptor, dict) else None
    if isinstance(flags, int) and flags & _SYMBOLIC:
        return False
    return _name(encoding) in _STANDARD_ENCODINGS


def fonts_decode_alike(plumber_page: Any) -> bool:
    """Do pdfium and pdfminer read the page's characters through the same map?

    A composite (Type0) font must carry a ToUnicode map: without one, each parser maps CIDs to
    Unicode through its own tables, and they disagree (a full-width minus is U+FF0D in one and
    U+2212 in the other). A simple font must carry a ToUnicode map or a standard encoding
    (WinAnsi, MacRoman, Standard) without a Differences array, and not be symbolic: renamed
    glyphs and a font's own cmap are read differently (a small-caps font gives "N" in one and
    "n" in the other). Office and Ghostscript exports — most government PDFs — qualify. Only
    the page's dictionaries are read, not its content.
    """
    return all(_decodes_alike(font) for font in _fonts(plumber_page.page_obj.resources))

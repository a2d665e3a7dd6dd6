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
which the datasets count), and any run of vertical writing (read by `transforms.extract.vertical` on the full path only,
so the datasets do not depend on which path a page took).
"""

from __future__ import annotations

from typing import Any

from transforms.extract.page import page_record
from transforms.extract.pdfium import crop_matches_media, has_path_objects, pdfium_chars
from transforms.extract.tables import has_unruled_table
from transforms.extract.vertical import has_vertical_run
from transforms.records import PageRecord


class _CharsPage:
    """Just enough of a pdfplumber page for the unruled-table finder: words from given chars."""

    def __init__(self, chars: list[dict]) -> None:
        self.chars = chars

    def extract_words(self, **options: Any) -> list[dict]:
        from pdfplumber.utils import extract_words

        return extract_words(self.chars, **options)


def extract_page_fast(
    page: Any, page_number: int, size: tuple[float, float] | None = None
) -> PageRecord | None:
    """The same record as `transforms.extract.page.extract_page`, from a pdfium page, or None if unsafe.

    None means "use the full path": the page has path objects (it may hold a table) or is one of
    the cases listed in the module docstring. `size` is the page's (width, height) as pdfplumber
    reads them from the PDF (pdfium rounds them to 32-bit floats: 595.2756 → 595.27557).
    """
    from pdfplumber.utils import extract_text

    if page.get_rotation() % 360 != 0 or not crop_matches_media(page) or has_path_objects(page):
        return None
    chars = pdfium_chars(page)
    if chars is None or has_vertical_run(chars) or has_unruled_table(_CharsPage(chars)):
        return None
    text_raw = (extract_text(chars, layout=False) or "") if chars else ""
    width, height = size or page.get_size()
    return page_record(page_number, (width, height), text_raw, len(chars), [], chars)

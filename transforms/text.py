"""Japanese text normalization: `text` is derived from `text_raw`, which is kept as extracted.

NFKC alone is not enough and sometimes wrong for government PDFs: Kangxi radicals and CJK radical
supplement code points are mapped to the ideograph a Japanese reader expects, enclosed numbers are
kept apart from neighbouring digits, 〜 survives, letter-spaced headings are closed up, and glyphs
the PDF maps to nothing readable are dropped (and counted, so OCR candidates can be found).
"""

from __future__ import annotations

import re
import unicodedata

from transforms.radicals import RADICAL_TO_IDEOGRAPH

# Characters NFKC must not touch: enclosed numbers would fuse with neighbouring digits
# (1-⒚-3 → 1-19.-3), and the wave dash is a range marker.
_PROTECTED = re.compile(
    "[\u2460-\u2473\u2488-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf\u301c]"
)
# ⑴..⒇ are numbering in lists: NFKC gives "(1)", which is what the parsers expect.
_PRE_MAP = str.maketrans(
    {
        "\uff5e": "\u301c",  # FULLWIDTH TILDE → WAVE DASH: keep the range marker a range marker
        "\u2212": "-",  # MINUS SIGN
        "\u2015": "\u2015",
    }
)
_CID = re.compile(r"\(cid:\d+\)")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]")
_CJK = (
    "\u3005-\u3007\u3041-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\u3000-\u3003\u3008-\u3011\u3014-\u301f\u30fb\uff01-\uff0f\uff1a-\uff20\u2e80-\u2fdf"
)
_CJK_CHAR = f"[{_CJK}]"
# A space between two CJK characters is letter-spacing, not a word break.
_CJK_SPACED = re.compile(f"(?<={_CJK_CHAR})[ \t\u3000]+(?={_CJK_CHAR})")
_CJK_WRAP = re.compile(f"(?<={_CJK_CHAR})[ \t]*\n[ \t]*(?={_CJK_CHAR})")
_SPACES = re.compile(r"[ \t\u00a0]+")


def count_unreadable(raw: str) -> int:
    """How many glyphs the PDF maps to nothing readable ((cid:N) tokens, private-use code points)."""
    return len(_CID.findall(raw)) + len(_PRIVATE_USE.findall(raw))


def _nfkc_protected(text: str) -> str:
    pieces: list[str] = []
    last = 0
    for match in _PROTECTED.finditer(text):
        pieces.append(unicodedata.normalize("NFKC", text[last : match.start()]))
        pieces.append(match.group())
        last = match.end()
    pieces.append(unicodedata.normalize("NFKC", text[last:]))
    return "".join(pieces)


def normalize_text(raw: str | None, join_lines: bool = False) -> str | None:
    """Normalize extracted text for search and display.

    `join_lines` joins line breaks that only wrap a CJK word (cells and paragraphs); page text
    keeps its lines because parsers read its structure.
    """
    if raw is None:
        return None
    text = _CID.sub("", raw)
    text = _PRIVATE_USE.sub("", text)
    text = text.translate(RADICAL_TO_IDEOGRAPH)
    text = text.translate(_PRE_MAP)
    text = _nfkc_protected(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = _CJK_SPACED.sub("", text)
    if join_lines:
        text = _CJK_WRAP.sub("", text)
        text = re.sub(r"\s*\n\s*", " ", text).strip()
    return text.strip("\n")

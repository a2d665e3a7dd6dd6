"""Glyphs a Japanese public document almost never prints: the mark of a font with a wrong map.

Some PDFs embed fonts whose character map sends a glyph to the wrong code point. The text then
reads fine to the eye and wrong to a machine: the Fuji City 予算書's 市税 section prints 都 but
its text layer says 邴 (邴市計画税), its 議会費 section prints 報酬 as 報郸. Such a code point is
usually a character no Japanese document uses: outside JIS X 0208 (levels 1 and 2, the set every
Japanese font and the Shift_JIS/EUC-JP encodings cover) and outside the 常用漢字 (which adds four
characters JIS X 0208 lacks). Simplified Chinese (郸) and JIS X 0212's supplementary kanji (邴)
are all outside.

A wrong map can also land on a real but uncommon kanji (JIS level 2): that one is suspect only
when the document prints the same word elsewhere with a common character in its place (郤偶者
beside 配偶者), see `DocumentWords`. Kangxi radicals and compatibility ideographs are not
suspects: normalization maps them to the common ideograph (`transforms.normalize.radicals`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from transforms.normalize.radicals import RADICAL_TO_IDEOGRAPH
from transforms.records import SuspectWord

# 常用漢字 (2010) outside JIS X 0208: 𠮟 塡 剝 頰.
_JOYO_OUTSIDE_JIS = frozenset("\U00020b9f\u5861\u525d\u9830")
_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
# Letters a word of Japanese text is made of: kanji, kana, the iteration and prolonged marks.
_WORD_CHAR = re.compile(
    r"[\u3005\u3041-\u3096\u30a1-\u30fa\u30fc\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]"
)
# How many letters on each side of a suspect glyph make its word (for the report and OCR).
_WORD_REACH = 6


def jis_level(char: str) -> int | None:
    """1 or 2 for a JIS X 0208 level-1 or level-2 kanji, 0 for another JIS X 0208 character,
    None outside JIS X 0208."""
    try:
        encoded = char.encode("iso2022_jp")
    except UnicodeEncodeError:
        return None
    if not encoded.startswith(b"\x1b$B") or len(encoded) < 5:
        return 0
    row = encoded[3] - 0x20
    if 16 <= row <= 47:
        return 1
    if 48 <= row <= 84:
        return 2
    return 0


def is_rare(char: str) -> bool:
    """An ideograph outside JIS X 0208 and the 常用漢字, once normalized as `text` is (radicals
    to their ideograph, NFKC)."""
    normalized = unicodedata.normalize("NFKC", char.translate(RADICAL_TO_IDEOGRAPH))
    if len(normalized) != 1 or not _IDEOGRAPH.match(normalized):
        return False
    return normalized not in _JOYO_OUTSIDE_JIS and jis_level(normalized) is None


def count_suspect(text: str | None) -> int:
    """How many glyphs of `text` are rare (see `is_rare`)."""
    if not text:
        return 0
    return sum(1 for char in text if _IDEOGRAPH.match(char) and is_rare(char))


def suspect_words(chars: list[dict]) -> list[SuspectWord]:
    """The words (with their boxes) around each rare glyph of a page's characters, in content
    stream order, which is the order a line's glyphs are drawn in, horizontal or vertical."""
    found: list[SuspectWord] = []
    covered = -1
    for index, char in enumerate(chars):
        if index <= covered or not is_rare(char["text"]):
            continue
        first, last = _word_span(chars, index)
        word_chars = chars[first : last + 1]
        found.append(
            SuspectWord(
                word="".join(c["text"] for c in word_chars),
                bbox=(
                    min(c["x0"] for c in word_chars),
                    min(c["top"] for c in word_chars),
                    max(c["x1"] for c in word_chars),
                    max(c["bottom"] for c in word_chars),
                ),
            )
        )
        covered = last
    return found


def _word_span(chars: list[dict], index: int) -> tuple[int, int]:
    first = last = index
    while first > 0 and index - first < _WORD_REACH and _joins(chars[first - 1], chars[first]):
        first -= 1
    while (
        last + 1 < len(chars)
        and last - index < _WORD_REACH
        and _joins(chars[last], chars[last + 1])
    ):
        last += 1
    return first, last


def _joins(a: dict, b: dict) -> bool:
    """Two consecutive glyphs of one word: letters, touching along a line either way."""
    if not (_WORD_CHAR.match(a["text"]) and _WORD_CHAR.match(b["text"])):
        return False
    size = max(a["bottom"] - a["top"], a["x1"] - a["x0"], 1.0)
    return abs(b["x0"] - a["x1"]) < 0.5 * size or abs(b["top"] - a["bottom"]) < 0.5 * size


class DocumentWords:
    """The document-wide rule for uncommon (JIS level-2) kanji: one is suspect when the same
    word is printed elsewhere in the document with a common (level-1) kanji in its place.

    Texts are added in document order (`add`); `confirmed` looks at what was added so far. A
    word is matched on two kanji on one side: 郤 in 郤偶者 has the twin 配偶者. Only which
    level-1 kanji stand before and after each pair of kanji is kept, so memory stays small for a
    long document. The match is loose (医療法人社団菫青会 has twins in every 社団X会), so it is
    applied only on pages whose text already shows a wrong map (`wrong_map_pages`: pages with a
    rare glyph), where it found every uncommon kanji the corpus's bad fonts produce.
    """

    def __init__(self) -> None:
        self.wrong_map_pages: set[int] = set()
        self._before: dict[str, set[str]] = {}  # two letters → level-1 kanji printed before them
        self._after: dict[str, set[str]] = {}  # two letters → level-1 kanji printed after them

    def add(self, text: str | None) -> None:
        for run in _WORD_CHAR_RUN.findall(text or ""):
            for i, char in enumerate(run):
                if jis_level(char) != 1:
                    continue
                if i + 3 <= len(run) and _all_kanji(run[i + 1 : i + 3]):
                    self._before.setdefault(run[i + 1 : i + 3], set()).add(char)
                if i >= 2 and _all_kanji(run[i - 2 : i]):
                    self._after.setdefault(run[i - 2 : i], set()).add(char)

    def confirmed(self, text: str | None) -> list[str]:
        """The level-2 kanji of `text` with a common twin (see the class docstring)."""
        found: list[str] = []
        for run in _WORD_CHAR_RUN.findall(text or ""):
            for i, char in enumerate(run):
                if jis_level(char) != 2:
                    continue
                before = self._before.get(run[i + 1 : i + 3], ()) if i + 3 <= len(run) else ()
                after = self._after.get(run[i - 2 : i], ()) if i >= 2 else ()
                if any(twin != char for twin in (*before, *after)):
                    found.append(char)
        return found


_WORD_CHAR_RUN = re.compile(f"{_WORD_CHAR.pattern}+")


def _all_kanji(letters: str) -> bool:
    """Kana pairs (の有, する) are in every other word: only kanji pairs make a word's context."""
    return all(_IDEOGRAPH.match(letter) for letter in letters)


def rare_chars(texts: Iterable[str]) -> list[str]:
    """Every rare glyph of `texts`, in order (for reports and measurements)."""
    return [
        char for text in texts for char in text or "" if _IDEOGRAPH.match(char) and is_rare(char)
    ]

"""Japanese text normalization: `text` is derived from `text_raw`, which is kept as extracted.

NFKC alone is not enough and sometimes wrong for government PDFs:

- Kangxi radicals and CJK radical supplement code points are mapped to the ideograph a Japanese
  reader expects (⼾ → 戸, where NFKC gives 戶; ⻑ → 長, which NFKC leaves alone).
- Enclosed and parenthesized numbers, superscripts and vulgar fractions are not decomposed: NFKC
  would fuse them with neighbouring digits (1⒚3 → 119.3, 10² → 102, 1½ → 11⁄2). Circled numbers
  (①) stay as printed; ⑴ becomes (1), which keeps its own brackets and is what list parsers read.
- 〜 and ～ are both the range marker 〜 (NFKC would turn ～ into an ASCII tilde).
- Vertical presentation forms (︵ ︶ ︑ ︙) become their horizontal forms.
- Letter-spaced CJK runs (「一 般 会 計」) are closed up; spaces next to Latin letters or digits
  are word or number boundaries and stay, so two numbers never become one.
- (cid:N) tokens and private-use code points are glyphs the PDF maps to nothing readable: they
  are dropped (a space is left between digits so numbers do not fuse) and counted.

The result is idempotent: normalizing `text` again returns it unchanged.
"""

from __future__ import annotations

import re
import unicodedata

from transforms.normalize.radicals import RADICAL_TO_IDEOGRAPH

_UNREADABLE_PATTERN = r"\(cid:\d+\)|[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
_UNREADABLE = re.compile(_UNREADABLE_PATTERN)
_UNREADABLE_BETWEEN_DIGITS = re.compile(rf"(?<=[0-9０-９])(?:{_UNREADABLE_PATTERN})+(?=[0-9０-９])")

# Characters NFKC must not touch (see the module docstring).
_PROTECTED = re.compile(
    "["
    "\u2460-\u2473"  # ① .. ⑳
    "\u2488-\u24ff"  # ⒈ .. ⒛, ⒜ .., Ⓐ .., ⓪, ⓫ .. ⓿
    "\u2776-\u2793"  # ❶ .. ➓
    "\u3251-\u325f\u32b1-\u32bf"  # ㉑ .. ㊿
    "\u3280-\u3289"  # ㊀ .. ㊉ (circled ideograph numerals)
    "\U0001f100-\U0001f10c"  # 🄀 .. (digit full stop / comma)
    "\u00b2\u00b3\u00b9\u2070-\u209f"  # superscripts and subscripts (footnote marks)
    "\u00bc-\u00be\u2150-\u215f\u2189"  # vulgar fractions
    "\u301c"  # 〜 WAVE DASH, the range marker
    "\u2025\u2026"  # ‥ … (NFKC spells them as ASCII dots)
    "\u309b\u309c"  # ゛ ゜ (NFKC puts a space before a combining mark)
    "]"
)
_PRE_MAP = str.maketrans(
    {
        "\uff5e": "\u301c",  # ～ FULLWIDTH TILDE → 〜: a range marker stays a range marker
        "\u2212": "-",  # − MINUS SIGN (NFKC leaves it)
        "\ufe19": "\u2026",  # ︙ vertical ellipsis → …
        "\ufe30": "\u2025",  # ︰ vertical two dot leader → ‥
        "\u200b": " ",  # zero-width space: a word break
        "\u2060": " ",
        "\ufeff": " ",
        "\u2028": "\n",
        "\u2029": "\n",
        "\x0b": "\n",
        "\x0c": "\n",
    }
)
# Letters of Japanese text after NFKC: kana (without the combining sound marks, which must stay
# apart from a base letter on another line), ideographs, iteration marks and CJK punctuation.
_CJK = (
    "\u3001-\u3003\u3005-\u3007\u3008-\u3011\u3014-\u301f\u303b"
    "\u3041-\u3096\u309b-\u309f\u30a0-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_LATIN = re.compile(r"[A-Za-z]")


def count_unreadable(raw: str | None) -> int:
    """How many glyphs the PDF maps to nothing readable; pages with many are OCR candidates."""
    if not raw:
        return 0
    return len(_UNREADABLE.findall(raw))


def _drop_unreadable(text: str) -> str:
    while True:
        cleaned = _UNREADABLE.sub("", _UNREADABLE_BETWEEN_DIGITS.sub(" ", text))
        if cleaned == text:
            return text
        text = cleaned


def _nfkc_protected(text: str) -> str:
    pieces: list[str] = []
    last = 0
    for match in _PROTECTED.finditer(text):
        pieces.append(unicodedata.normalize("NFKC", text[last : match.start()]))
        pieces.append(match.group())
        last = match.end()
    pieces.append(unicodedata.normalize("NFKC", text[last:]))
    return "".join(pieces)


def _is_cjk(char: str) -> bool:
    return bool(_CJK_CHAR.fullmatch(char))


def _close_spacing(line: str) -> str:
    """Join runs of single CJK characters separated by spaces: 「一 般 会 計」 → 「一般会計」.

    Only single-character tokens are joined, so 「1款 市税」 and 「市税 49,286,300千円」 keep
    their spaces: a space next to a longer word is more likely a real boundary.
    """
    tokens = line.split(" ")
    out: list[str] = []
    in_run = False  # out[-1] is a run built from single CJK characters
    for token in tokens:
        single = len(token) == 1 and _is_cjk(token)
        if single and out and (in_run or (len(out[-1]) == 1 and _is_cjk(out[-1]))):
            out[-1] += token
            in_run = True
        else:
            out.append(token)
            in_run = False
    return " ".join(out)


# A line ending with one of these (or the next starting with one of the others) was wrapped
# inside a phrase, not between words: 9:00-\n12:00, 13:\n10, 8:30〜11:00、\n12:30. The mark
# stays between the digits on either side, so no two numbers fuse.
_WRAP_AFTER = frozenset("、。・「『(〔【〈《:/-〜")
_WRAP_BEFORE = frozenset("、。・」』)〕】〉》:/〜")


def join_wrapped(lines: list[str], prose: bool = False) -> str:
    """Join the lines of one wrapped cell or paragraph: the one rule for where a break was a space.

    A break between two Latin letters stands for a space (word processors wrap Latin text at
    spaces); a break inside Japanese (国土交通\\n省) or at a mark that wraps inside a phrase
    (9:00-\\n12:00, 13:\\n10) is no space. Any other break depends on what was wrapped: `prose` is
    set at a fixed width, anywhere, even inside a number (2,0\\n00), so it joins without a space;
    a cell's lines are separate words or figures (1,234\\n5,678), so it keeps them apart.
    """
    text = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if not text:
            text = line
        elif _LATIN.match(text[-1]) and _LATIN.match(line[0]):
            text += " " + line
        elif (
            prose
            or (_is_cjk(text[-1]) and _is_cjk(line[0]))
            or text[-1] in _WRAP_AFTER
            or line[0] in _WRAP_BEFORE
        ):
            text += line
        else:
            text += " " + line
    return text


def normalize_lines(raw: str) -> list[str]:
    """The normalized lines of `raw`, one per line it breaks into (blank lines kept, as "")."""
    text = _drop_unreadable(raw)
    text = text.translate(RADICAL_TO_IDEOGRAPH)
    text = text.translate(_PRE_MAP)
    text = _nfkc_protected(text)
    text = _drop_unreadable(text)  # NFKC can spell a (cid:N) token out of full-width letters
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [_close_spacing(_SPACES.sub(" ", line).strip()) for line in text.split("\n")]


def join_cell_lines(lines: list[str]) -> str:
    """Normalized lines as one cell's or phrase's text (see `join_wrapped`)."""
    return _close_spacing(join_wrapped(lines))


def normalize_text(raw: str | None, join_lines: bool = False) -> str | None:
    """Normalize extracted text for search and display.

    `join_lines` joins the lines into one (cells and paragraphs), without a space where the break
    only wraps a CJK word; page text keeps its lines because parsers read its structure.
    """
    if raw is None:
        return None
    lines = normalize_lines(raw)
    if join_lines:
        return _close_spacing(join_wrapped(lines))
    return "\n".join(lines).strip("\n")

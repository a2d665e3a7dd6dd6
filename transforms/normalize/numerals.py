"""Numerals mixing digits and kanji, as printed in years (平成二十六年), dates and amounts
(3億5千万, 二億五千二百万, 1兆2,345億): one reader for all of them.

Malformed numerals (十百, 億万, 二三十, two numbers in a row) are None rather than a guess: a stray
kanji must never become a year or an amount.
"""

from __future__ import annotations

import re
from decimal import Decimal

KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
KANJI_SCALES = {"十": 10, "百": 100, "千": 1000}
BIG_SCALES = {"万": 10**4, "億": 10**8, "兆": 10**12}

_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_TOKEN = re.compile(
    rf"(?P<arabic>{_ARABIC})|(?P<digits>[〇零一二三四五六七八九]+)|(?P<small>[十百千])"
    r"|(?P<big>[万億兆])\s*|(?P<other>.)"
)


class _Reading:
    """The running state of a numeral read left to right: 1兆 2千 3百 4十 5."""

    def __init__(self) -> None:
        self.total = Decimal(0)
        self.section = Decimal(0)  # the part below the last 万/億/兆
        self.current: Decimal | None = None  # the digits not yet scaled
        self.current_is_kanji_run = False
        self.last_small = 10**5
        self.last_big = 10**13
        self.ends_with_big: int | None = None

    def digits(self, value: Decimal, kanji_run: bool) -> bool:
        if self.current is not None:
            return False
        self.current, self.current_is_kanji_run = value, kanji_run
        self.ends_with_big = None
        return True

    def small(self, scale: int) -> bool:
        # 二十 is a numeral, 二三十 is not: positional kanji digits take no scale after them
        if scale >= self.last_small or self.current_is_kanji_run:
            return False
        self.section += (Decimal(1) if self.current is None else self.current) * scale
        self.current, self.last_small = None, scale
        self.ends_with_big = None
        return True

    def big(self, factor: int) -> bool:
        if factor >= self.last_big or (self.current is None and self.section == 0):
            return False
        self.total += (self.section + (self.current or 0)) * factor
        self.section, self.current, self.last_small, self.last_big = Decimal(0), None, 10**5, factor
        self.ends_with_big = factor
        return True


def read_numeral(text: str) -> tuple[Decimal, int | None] | None:
    """The value of a numeral, and the 万/億/兆 factor it ends with (3億5千万 → 10**4), or None.

    Arabic digits (with thousands commas) and kanji mix freely (1兆2,345億, 5千万); a run of kanji
    digits is positional (二〇一四 = 2014, 三〇〇万) and takes no 十/百/千 after it (二三十).
    """
    reading = _Reading()
    seen = False
    for token in _TOKEN.finditer(text):
        kind = token.lastgroup
        if kind == "other":
            return None
        seen = True
        if kind == "arabic":
            ok = reading.digits(Decimal(token.group().replace(",", "")), kanji_run=False)
        elif kind == "digits":
            run = token.group()
            value = Decimal("".join(str(KANJI_DIGITS[c]) for c in run))
            ok = reading.digits(value, kanji_run=len(run) > 1)
        elif kind == "small":
            ok = reading.small(KANJI_SCALES[token.group()])
        else:
            ok = reading.big(BIG_SCALES[token.group().strip()])
        if not ok:
            return None
    if not seen:
        return None
    return reading.total + reading.section + (reading.current or 0), reading.ends_with_big


def kanji_to_int(text: str) -> int | None:
    """A small whole numeral (二十六, 三十, 百二, 二〇一四) as used for years, months and days."""
    if not text or not all(c in KANJI_DIGITS or c in KANJI_SCALES for c in text):
        return None
    numeral = read_numeral(text)
    if numeral is None or numeral[0] >= 10_000:
        return None
    return int(numeral[0])

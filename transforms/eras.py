"""Japanese eras, fiscal years (年度, April to March) and dates.

平成26年度 is the fiscal year that starts in April 2014; documents name their year this way, so
`documents.fiscal_year` is derived from titles when the catalog does not give it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# era name → Gregorian year of the era's first year (元年)
ERAS: dict[str, int] = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019}
_ABBREVIATIONS: dict[str, str] = {
    "M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和",
    "明": "明治", "大": "大正", "昭": "昭和", "平": "平成", "令": "令和",
}
_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def kanji_to_int(text: str) -> int | None:
    """Read a small kanji numeral (二十六, 三十, 百二) as used for years, months and days."""
    if not text:
        return None
    if all(c in _KANJI_DIGITS for c in text):  # positional: 二〇一四
        value = 0
        for c in text:
            value = value * 10 + _KANJI_DIGITS[c]
        return value
    total, current = 0, 0
    for c in text:
        if c in _KANJI_DIGITS:
            current = _KANJI_DIGITS[c]
        elif c in "十百千":
            scale = {"十": 10, "百": 100, "千": 1000}[c]
            total += (current or 1) * scale
            current = 0
        else:
            return None
    return total + current


def _number(text: str) -> int | None:
    text = unicodedata.normalize("NFKC", text)
    if text == "元":
        return 1
    if text.isdigit():
        return int(text)
    return kanji_to_int(text)


_NUM = r"(元|[0-9０-９]{1,2}|[〇一二三四五六七八九十]{1,4})"
_ERA_YEAR = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和)\s*" + _NUM.replace("(", "(?P<year>", 1) + r"\s*年(?P<nendo>度)?"
)
_ABBR_YEAR = re.compile(
    r"(?<![A-Za-zＡ-Ｚａ-ｚ])(?P<era>[MTSHRＭＴＳＨＲ明大昭平令])\s*\.?\s*(?P<year>[0-9０-９]{1,2}|元)(?![0-9０-９])"
    r"(?:\s*年(?P<nendo>度)?)?"
)


def era_to_year(era: str, year_in_era: int) -> int:
    """Gregorian year of `year_in_era` of `era` (平成, H, Ｈ, 平 …)."""
    era = unicodedata.normalize("NFKC", era)
    era = _ABBREVIATIONS.get(era, era)
    return ERAS[era] + year_in_era - 1


def parse_era_year(text: str) -> int | None:
    """The first era year named in `text` (平成26年, 令和元年, H26, Ｒ７, 平26) as a Gregorian year."""
    match = _ERA_YEAR.search(text)
    if match:
        number = _number(match.group("year"))
        if number:
            return era_to_year(match.group("era"), number)
    match = _ABBR_YEAR.search(text)
    if match:
        number = _number(match.group("year"))
        if number:
            return era_to_year(match.group("era"), number)
    match = re.search(r"(?<![0-9])((?:19|20)[0-9]{2})\s*年", unicodedata.normalize("NFKC", text))
    if match:
        return int(match.group(1))
    return None


def fiscal_year_from_title(title: str) -> int | None:
    """Fiscal year a title is about: 平成26年度 → 2014 (the year in which that 年度 starts)."""
    return parse_era_year(title)


_DATE = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和)?\s*(?P<year>元|[0-9０-９]{1,4}|[〇一二三四五六七八九十]{1,4})\s*年\s*"
    r"(?P<month>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*"
    r"(?P<day>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*日"
)


def parse_date(text: str) -> date | None:
    """The first date in `text` (令和２年４月２１日, 2020年4月21日) as a `date`, or None."""
    for match in _DATE.finditer(text):
        year = _number(match.group("year"))
        month = _number(match.group("month"))
        day = _number(match.group("day"))
        if year is None or month is None or day is None:
            continue
        if match.group("era"):
            year = era_to_year(match.group("era"), year)
        elif year < 1000:
            continue
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None

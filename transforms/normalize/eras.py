"""Japanese eras, fiscal years (年度, April to March) and dates.

平成26年度 is the fiscal year that starts in April 2014; documents name their year this way, so
`documents.fiscal_year` is derived from titles when the catalog does not give it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from transforms.normalize.numerals import kanji_to_int

# era name → Gregorian year of the era's first year (元年)
ERAS: dict[str, int] = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019}
_ABBREVIATIONS: dict[str, str] = {
    "M": "明治",
    "T": "大正",
    "S": "昭和",
    "H": "平成",
    "R": "令和",
    "明": "明治",
    "大": "大正",
    "昭": "昭和",
    "平": "平成",
    "令": "令和",
}


def _number(text: str) -> int | None:
    text = unicodedata.normalize("NFKC", text).strip()
    if text == "元":
        return 1
    if text.isdigit():
        return int(text)
    return kanji_to_int(text)


_ERA_NAMES = "明治|大正|昭和|平成|令和"
_YEAR = r"元|[0-9０-９]{1,2}|[〇一二三四五六七八九十]{1,4}"
# 平成26年度, 平成２６年, 令和元年, 平成二十六年度, 平成26(2014)年度, 令和8 (a bare era year)
_ERA_YEAR = re.compile(
    rf"(?P<era>{_ERA_NAMES})\s*(?P<year>{_YEAR})(?![0-9０-９])"
    r"(?:\s*[(（]\s*[0-9０-９]{4}\s*[)）])?(?:\s*年(?P<nendo>度)?)?"
)
# H26, Ｈ２６, R7, H.26, 平26, 令7年度: the letter must not end a word (FH26 is a model number)
# and the kanji must not end a longer word (最大2年 is not 大正2年).
_ABBR_YEAR = re.compile(
    r"(?:(?<![A-Za-zＡ-Ｚａ-ｚ0-9０-９])(?P<latin>[MTSHRＭＴＳＨＲ])"
    rf"|(?<![{chr(0x3400)}-{chr(0x9FFF)}ぁ-んァ-ヶ])(?P<kanji>[明大昭平令]))"
    r"\s*\.?\s*(?P<year>[0-9０-９]{1,2}|元)(?![0-9０-９])(?:\s*年(?P<nendo>度)?)?"
)
_GREGORIAN_YEAR = re.compile(r"(?<![0-9])(?P<year>(?:18|19|20)[0-9]{2})\s*年(?P<nendo>度)?")


def era_to_year(era: str, year_in_era: int) -> int:
    """Gregorian year of `year_in_era` of `era` (平成, H, Ｈ, 平 …); KeyError for an unknown era."""
    era = unicodedata.normalize("NFKC", era).strip().rstrip(".").upper()
    era = _ABBREVIATIONS.get(era, era)
    return ERAS[era] + year_in_era - 1


def _era_years(text: str) -> list[tuple[int, int, bool]]:
    """(position, Gregorian year, is 年度) for every era or Gregorian year named in `text`."""
    found: list[tuple[int, int, bool]] = []
    spans: list[tuple[int, int]] = []
    for match in _ERA_YEAR.finditer(text):
        number = _number(match.group("year"))
        if number:
            found.append(
                (match.start(), era_to_year(match.group("era"), number), bool(match.group("nendo")))
            )
            spans.append(match.span())
    for match in _ABBR_YEAR.finditer(text):
        if any(start <= match.start() < end for start, end in spans):
            continue
        number = _number(match.group("year"))
        era = match.group("latin") or match.group("kanji")
        if number:
            found.append((match.start(), era_to_year(era, number), bool(match.group("nendo"))))
    normalized = unicodedata.normalize("NFKC", text)
    if len(normalized) == len(text):  # positions stay comparable
        for match in _GREGORIAN_YEAR.finditer(normalized):
            found.append((match.start(), int(match.group("year")), bool(match.group("nendo"))))
    else:
        for match in _GREGORIAN_YEAR.finditer(normalized):
            found.append((len(text), int(match.group("year")), bool(match.group("nendo"))))
    return sorted(found)


def parse_era_year(text: str | None) -> int | None:
    """The first era year named in `text` (平成26年, 令和元年, H26, Ｒ７, 平26) as a Gregorian year."""
    if not text:
        return None
    years = _era_years(text)
    return years[0][1] if years else None


def fiscal_year_from_title(title: str | None) -> int | None:
    """Fiscal year a title is about: 平成26年度 → 2014 (the year in which that 年度 starts).

    A year written with 年度 wins over a plain year or a date elsewhere in the title; a title that
    names only a date (令和3年2月) belongs to the fiscal year that date falls in (2020).
    """
    if not title:
        return None
    years = _era_years(title)
    for _, year, nendo in years:
        if nendo:
            return year
    day = parse_date(title)
    if day is not None:
        return day.year if day.month >= 4 else day.year - 1
    month = _YEAR_MONTH.search(unicodedata.normalize("NFKC", title))
    if month and years:
        first_year = years[0][1]
        return first_year if int(month.group(1)) >= 4 else first_year - 1
    return years[0][1] if years else None


_YEAR_MONTH = re.compile(r"年\s*([0-9]{1,2})\s*月")
_DATE = re.compile(
    rf"(?P<era>{_ERA_NAMES})?\s*(?P<year>元|[0-9０-９]{{1,4}}|[〇一二三四五六七八九十]{{1,4}})\s*年\s*"
    r"(?P<month>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*"
    r"(?P<day>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*日"
)
# R2.4.21, 令和2.4.21, H26/4/1, 2020/4/21, 2020-04-21, 2020.4.21
_DOTTED_DATE = re.compile(
    r"(?<![0-9A-Za-z])(?:(?P<era>明治|大正|昭和|平成|令和|[MTSHR])\s*(?P<eyear>元|[0-9]{1,2})"
    r"|(?P<year>(?:18|19|20)[0-9]{2}))"
    r"(?P<sep>[./\-])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})(?![0-9])"
)


def parse_date(text: str | None) -> date | None:
    """The first date in `text` (令和２年４月２１日, 2020年4月21日, R2.4.21) as a `date`, or None.

    A year without an era below 1000 (2年4月21日) is not guessed at.
    """
    if not text:
        return None
    candidates: list[tuple[int, date]] = []
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
            candidates.append((match.start(), date(year, month, day)))
            break
        except ValueError:
            continue
    normalized = unicodedata.normalize("NFKC", text)
    for match in _DOTTED_DATE.finditer(normalized):
        if match.group("era"):
            number = _number(match.group("eyear"))
            if not number:
                continue
            year = era_to_year(match.group("era"), number)
        else:
            year = int(match.group("year"))
        try:
            position = match.start() if len(normalized) == len(text) else len(text)
            candidates.append(
                (position, date(year, int(match.group("month")), int(match.group("day"))))
            )
            break
        except ValueError:
            continue
    return min(candidates)[1] if candidates else None

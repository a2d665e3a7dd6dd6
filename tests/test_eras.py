"""Eras, fiscal years and dates as Japanese documents write them."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.normalize.eras import (
    ERAS,
    era_to_year,
    fiscal_year_from_title,
    kanji_to_int,
    parse_date,
    parse_era_year,
)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("平成26年度", 2014),
        ("平成２６年度", 2014),
        ("平成 26 年", 2014),
        ("令和元年", 2019),
        ("令和元年度", 2019),
        ("平成元年", 1989),
        ("昭和64年", 1989),
        ("大正15年", 1926),
        ("明治元年", 1868),
        ("明治45年", 1912),
        ("令和８年度", 2026),
        ("H26", 2014),
        ("H.26", 2014),
        ("Ｈ２６年度", 2014),
        ("R7", 2025),
        ("Ｒ７", 2025),
        ("R元年", 2019),
        ("S50", 1975),
        ("平26", 2014),
        ("令7年度", 2025),
        ("平成二十六年度", 2014),
        ("平成三十一年", 2019),
        ("昭和六十四年", 1989),
        ("平成十年", 1998),
        ("平成26(2014)年度", 2014),
        ("平成26（2014）年度", 2014),
        ("2014年度", 2014),
        ("２０１４年", 2014),
        ("国の施策及び予算に対する東京都の提案要求 令和8年度", 2026),
    ],
)
def test_parse_era_year(text: str, year: int) -> None:
    assert parse_era_year(text) == year


@pytest.mark.parametrize(
    "text",
    ["", "最大2年", "FH26", "NHK", "第3款", "2年間", "東京都", "令和", "H", "100年"],
)
def test_no_era_year(text: str) -> None:
    assert parse_era_year(text) is None


@pytest.mark.parametrize(
    ("title", "year"),
    [
        ("平成26年度 国の予算編成に対する東京都の提案要求", 2014),
        ("令和8年度一般会計予算書", 2026),
        ("国の予算編成に対する東京都の提案要求（最重点事項）令和７年度", 2025),
        # a 年度 wins over a plain year named first
        ("令和7年11月 令和8年度 国の予算編成に対する東京都の提案要求", 2026),
        # only a date: the fiscal year it falls in (January–March belong to the year before)
        ("令和3年2月10日 発表", 2020),
        ("令和3年4月1日 発表", 2021),
        ("令和3年2月 提案要求", 2020),
        ("H26 提案要求", 2014),
        ("タイトルのみ", None),
        (None, None),
    ],
)
def test_fiscal_year_from_title(title: str | None, year: int | None) -> None:
    assert fiscal_year_from_title(title) == year


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("令和２年４月２１日", date(2020, 4, 21)),
        ("令和2年4月21日発表", date(2020, 4, 21)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成三十一年四月三十日", date(2019, 4, 30)),
        ("2020年4月21日", date(2020, 4, 21)),
        ("R2.4.21", date(2020, 4, 21)),
        ("令和2.4.21", date(2020, 4, 21)),
        ("H26/4/1", date(2014, 4, 1)),
        ("2020/4/21", date(2020, 4, 21)),
        ("2020-04-21", date(2020, 4, 21)),
        ("更新 令和3年2月30日 令和3年3月1日", date(2021, 3, 1)),
        ("2年4月21日", None),
        ("令和2年", None),
        ("", None),
    ],
)
def test_parse_date(text: str, day: date | None) -> None:
    assert parse_date(text) == day
    if day is not None:
        assert parse_date(text).isoformat() == day.isoformat()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("二十六", 26),
        ("三十", 30),
        ("十", 10),
        ("百二", 102),
        ("二〇一四", 2014),
        ("元", None),
        ("十百", None),
        ("二三十", None),
        ("", None),
        ("千九百八十九", 1989),
    ],
)
def test_kanji_to_int(text: str, value: int | None) -> None:
    assert kanji_to_int(text) == value


def test_era_to_year_accepts_abbreviations() -> None:
    assert era_to_year("平成", 26) == era_to_year("H", 26) == era_to_year("Ｈ", 26) == 2014
    assert era_to_year("平", 26) == era_to_year("h", 26) == 2014
    with pytest.raises(KeyError):
        era_to_year("天平", 1)


_KANJI = "〇一二三四五六七八九"


def _to_kanji(n: int) -> str:
    """26 → 二十六, the way years are spelled in text."""
    out = ""
    for scale, name in ((1000, "千"), (100, "百"), (10, "十")):
        digit, n = divmod(n, scale)
        if digit:
            out += ("" if digit == 1 else _KANJI[digit]) + name
    return out + (_KANJI[n] if n else "")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(ERAS)),
    st.integers(min_value=1, max_value=64),
    st.sampled_from(["arabic", "full", "kanji"]),
    st.booleans(),
)
def test_era_year_in_any_spelling(era: str, n: int, style: str, nendo: bool) -> None:
    if n == 1 and style == "kanji":
        number = "元"
    elif style == "arabic":
        number = str(n)
    elif style == "full":
        number = str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    else:
        number = _to_kanji(n)
    text = f"{era}{number}年{'度' if nendo else ''}"
    assert parse_era_year(text) == ERAS[era] + n - 1
    assert fiscal_year_from_title(text) == ERAS[era] + n - 1

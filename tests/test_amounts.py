"""Amounts and units as printed in Japanese tables."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from transforms.normalize.amounts import Amount, find_unit, parse_amount, parse_compound
from transforms.normalize.text import normalize_text

# raw, table unit, expected (value, unit, value_yen, note)
CASES = [
    ("1234", None, (1234.0, None, None, None)),
    ("1,234", "千円", (1234.0, "千円", 1_234_000, None)),
    ("１，２３４．５", None, (1234.5, None, None, None)),
    ("１，２３４．５", "千円", (1234.5, "千円", 1_234_500, None)),
    ("１１０，８００，０００千円", None, (110_800_000.0, "千円", 110_800_000_000, None)),
    ("△1,234", "千円", (-1234.0, "千円", -1_234_000, None)),
    ("▲1,234千円", None, (-1234.0, "千円", -1_234_000, None)),
    ("▲ 500", "円", (-500.0, "円", -500, None)),
    ("−12", None, (-12.0, None, None, None)),
    ("－12", None, (-12.0, None, None, None)),
    ("△64,700", "千円", (-64700.0, "千円", -64_700_000, None)),
    ("0", "千円", (0.0, "千円", 0, None)),
    # unit in the cell wins over the table's
    ("1,234円", "千円", (1234.0, "円", 1234, None)),
    ("12人", "千円", (12.0, "人", None, None)),
    ("5校", None, (5.0, "校", None, None)),
    ("3件", None, (3.0, "件", None, None)),
    ("98.9%", None, (98.9, "%", None, None)),
    ("98.9％", None, (98.9, "%", None, None)),
    ("12.5", "%", (12.5, "%", None, None)),
    ("△2.5%", None, (-2.5, "%", None, None)),
    ("1.5億円", None, (1.5, "億円", 150_000_000, None)),
    ("2百万円", None, (2.0, "百万円", 2_000_000, None)),
    ("3兆円", None, (3.0, "兆円", 3_000_000_000_000, None)),
    ("¥1,234", None, (1234.0, "円", 1234, None)),
    ("￥１，２３４", "千円", (1234.0, "円", 1234, None)),
    # compounds and kanji numerals
    ("1兆2,345億円", None, (12345.0, "億円", 1_234_500_000_000, None)),
    ("1兆 2,345億円", None, (12345.0, "億円", 1_234_500_000_000, None)),
    ("3億5千万円", None, (35000.0, "万円", 350_000_000, None)),
    ("二億五千二百万円", None, (25200.0, "万円", 252_000_000, None)),
    ("四百九十円", None, (490.0, "円", 490, None)),
    ("二千円", None, (2000.0, "円", 2000, None)),
    ("1億2,345万6,789円", None, (123_456_789.0, "円", 123_456_789, None)),
    ("△3億5千万円", None, (-35000.0, "万円", -350_000_000, None)),
    ("1万2千人", None, (12000.0, "人", None, None)),
    ("3万人", None, (30000.0, "人", None, None)),
    ("約3万人", None, (None, None, None, None)),
    # footnote marks go to `note`, never into the digits
    ("※1 300", None, (300.0, None, None, "※1")),
    ("※1 300", "千円", (300.0, "千円", 300_000, "※1")),
    ("1,234※1", None, (1234.0, None, None, "※1")),
    ("1,234 ※", None, (1234.0, None, None, "※")),
    ("* 1,234", None, (1234.0, None, None, "*")),
    ("1,234 *", None, (1234.0, None, None, "*")),
    ("(注1) 1,000", None, (1000.0, None, None, "(注1)")),
    ("1,000(注2)", None, (1000.0, None, None, "(注2)")),
    ("1,000²", None, (1000.0, None, None, "²")),
    ("※", None, (None, None, None, "※")),
    # parentheses are read as printed unless asked
    ("(1,234)", "千円", (1234.0, "千円", 1_234_000, None)),
    ("（１，２３４）", None, (1234.0, None, None, None)),
    # not a single figure: null, never a guess
    ("404,000×98.9％", None, (None, None, None, None)),
    ("1 300", None, (None, None, None, None)),
    ("1,234\n5,678", None, (None, None, None, None)),
    ("1,23", None, (None, None, None, None)),
    ("12,34,567", None, (None, None, None, None)),
    ("1 個人", None, (None, None, None, None)),
    ("8年度", None, (None, None, None, None)),
    ("令和8年度", None, (None, None, None, None)),
    ("十百円", None, (None, None, None, None)),
    ("億円", None, (None, None, None, None)),
    ("三", None, (None, None, None, None)),
    ("①", None, (None, None, None, None)),
    ("⑴", None, (None, None, None, None)),
    ("本年度予算額", None, (None, None, None, None)),
    ("1.5円", None, (1.5, "円", None, None)),
]


@pytest.mark.parametrize(("raw", "unit", "expected"), CASES)
def test_parse_amount(raw: str, unit: str | None, expected: tuple) -> None:
    amount = parse_amount(raw, unit)
    assert (amount.value, amount.unit, amount.value_yen, amount.note) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "－",
        "-",
        "―",
        "—",
        "‐",
        "…",
        "...",
        "‥",
        "・",
        "ー",
        "△",
        "千円",
        "百万円",
        "%",
    ],
)
def test_nil_is_null_not_zero(raw: str | None) -> None:
    amount = parse_amount(raw, "千円")
    assert amount.value is None
    assert amount.value_yen is None


@pytest.mark.parametrize(
    ("raw", "value_yen"),
    [
        ("(1,234)", -1_234_000),
        ("（１，２３４）", -1_234_000),
        ("(△1,234)", -1_234_000),
        ("1,234", 1_234_000),
    ],
)
def test_paren_negative(raw: str, value_yen: int) -> None:
    assert parse_amount(raw, "千円", paren_negative=True).value_yen == value_yen


def test_value_yen_is_exact_beyond_float_precision() -> None:
    amount = parse_amount("9,007,199,254,740,993円")
    assert amount.value_yen == 9_007_199_254_740_993
    assert isinstance(amount.value_yen, int)
    amount = parse_amount("0.1", "千円")
    assert amount.value_yen == 100  # 0.1 × 1000 as a float is 100.00000000000001


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1兆2,345億円", (Decimal(12345), "億円")),
        ("3億5千万円", (Decimal(35000), "万円")),
        ("四百九十円", (Decimal(490), "円")),
        ("1,234千円", (Decimal(1_234_000), "円")),
        ("千円", None),
        ("1兆2,345億", None),
    ],
)
def test_parse_compound(text: str, expected: tuple | None) -> None:
    assert parse_compound(text) == expected


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("（単位：千円）", "千円"),
        ("(単位:千円)", "千円"),
        ("単位：百万円", "百万円"),
        ("単位 億円", "億円"),
        ("第1表 歳入歳出予算（単位：千円、％）", "千円"),
        ("予算額（千円）", "千円"),
        ("金額(百万円)", "百万円"),
        ("構成比（％）", "%"),
        ("人数（人）", "人"),
        ("本年度予算額 / 千円", "千円"),
        ("件数", None),
        ("予算額", None),
        ("千円札の発行", None),
        (None, None),
    ],
)
def test_find_unit(text: str | None, unit: str | None) -> None:
    assert find_unit(text) == unit


def test_table_unit_from_caption_applies_to_plain_cells() -> None:
    unit = find_unit("（単位：千円）")
    assert parse_amount("△1,234", unit) == Amount(-1234.0, "千円", -1_234_000)
    assert parse_amount("1,234円", unit).value_yen == 1234


# --- round trip: any supported way of printing an amount parses back exactly ----------------

_FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")
_KANJI = "〇一二三四五六七八九"


def _kanji_below_10000(n: int) -> str:
    out = ""
    for scale, name in ((1000, "千"), (100, "百"), (10, "十")):
        digit, n = divmod(n, scale)
        if digit:
            out += ("" if digit == 1 and scale != 1000 else _KANJI[digit]) + name
    return out + (_KANJI[n] if n else "")


def _kanji(n: int) -> str:
    """252000000 → 二億五千二百万."""
    parts = []
    for factor, name in ((10**12, "兆"), (10**8, "億"), (10**4, "万"), (1, "")):
        group, n = divmod(n, factor)
        if group:
            parts.append(_kanji_below_10000(group) + name)
    return "".join(parts)


def _compound(n: int) -> str:
    """1234500000000 → 1兆2,345億; arabic groups with big units, zero groups left out."""
    parts = []
    for factor, name in ((10**12, "兆"), (10**8, "億"), (10**4, "万"), (1, "")):
        group, n = divmod(n, factor)
        if group:
            parts.append(f"{group:,}{name}")
    return "".join(parts)


def _format(yen: int, style: str) -> tuple[str, str | None]:
    """Print `yen` in `style`; returns (text, table unit)."""
    magnitude = abs(yen)
    sign = "△" if yen < 0 else ""
    if style == "plain":
        return f"{'-' if yen < 0 else ''}{magnitude}", "円"
    if style == "comma":
        return f"{sign}{magnitude:,}円", None
    if style == "full":
        return f"{'▲' if yen < 0 else ''}{magnitude:,}".translate(_FULL_WIDTH), "円"
    if style == "thousand":
        return f"{sign}{magnitude / 1000:,.3f}".rstrip("0").rstrip("."), "千円"
    if style == "million":
        return f"{sign}{magnitude / 10**6:,.6f}".rstrip("0").rstrip(".") + "百万円", None
    if style == "compound":
        return f"{sign}{_compound(magnitude)}円", None
    if style == "kanji":
        return f"{sign}{_kanji(magnitude)}円", None
    raise AssertionError(style)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=-(10**15), max_value=10**15).filter(lambda n: n != 0),
    st.sampled_from(["plain", "comma", "full", "thousand", "million", "compound", "kanji"]),
)
def test_any_printed_amount_parses_back_exactly(yen: int, style: str) -> None:
    text, table_unit = _format(yen, style)
    assume(text not in ("百万円", "千万円"))  # on their own these are unit labels, by design
    amount = parse_amount(text, table_unit)
    assert amount.value_yen == yen, (text, amount)
    assert amount.value is not None
    # cells.text is normalized: parsing it must give the same figure as parsing text_raw
    assert parse_amount(normalize_text(text, join_lines=True), table_unit) == amount


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from([" ", "\u3000", "\n", "⒚", "①", "(cid:3)"]),
)
def test_two_numbers_are_never_one_amount(a: int, b: int, sep: str) -> None:
    amount = parse_amount(f"{a:,}{sep}{b:,}", "千円")
    assert amount.value is None


def test_list_number_is_not_a_figure_but_parenthesized_number_is() -> None:
    assert parse_amount("⑴").value is None
    assert parse_amount("(1)").value == 1.0
    assert parse_amount("(1)", paren_negative=True).value == -1.0

"""Normalization of extracted Japanese text: the rules that are easy to get wrong."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.normalize.radicals import KANGXI_JA, RADICAL_TO_IDEOGRAPH
from transforms.normalize.text import count_unreadable, normalize_text

CASES = [
    # Kangxi radicals and CJK radicals supplement → the ideograph a Japanese reader expects
    ("⼾籍", "戸籍"),  # NFKC alone gives 戶籍
    ("⻑野県", "長野県"),  # NFKC leaves ⻑ alone
    ("⽂部科学省", "文部科学省"),
    ("⽔道局", "水道局"),
    ("⾭森", "青森"),
    ("⿈⾦", "黄金"),
    ("⿊字", "黒字"),
    ("⻘年", "青年"),
    ("⻝品", "食品"),
    # full-width letters, digits and punctuation; half-width kana
    ("ＡＢＣ　１２３", "ABC 123"),
    ("ｶﾞｲﾄﾞﾗｲﾝ", "ガイドライン"),
    ("（単位：千円）", "(単位:千円)"),
    # enclosed numbers never fuse with neighbouring digits
    ("1-⒚-3", "1-⒚-3"),
    ("1⒚3", "1⒚3"),
    ("①1,000", "①1,000"),
    ("2①3", "2①3"),
    ("㉑2", "㉑2"),
    ("⑴ 概要", "(1) 概要"),
    ("10²", "10²"),
    ("1½", "1½"),
    # range markers, symbols that look alike but differ
    ("1〜3", "1〜3"),
    ("1～3", "1〜3"),
    ("○と〇", "○と〇"),
    ("404,000×98.9％", "404,000×98.9%"),
    ("▲1,234", "▲1,234"),
    ("△500", "△500"),
    ("…", "…"),
    ("ダ゛", "ダ゛"),
    # vertical presentation forms
    ("︵注︶︑", "(注)、"),
    ("﹁東京﹂", "「東京」"),
    ("続く︙", "続く…"),
    # letter-spacing: CJK runs close up, word and number boundaries stay
    ("一 般 会 計", "一般会計"),
    ("東 京 都", "東京都"),
    ("歳　　入", "歳入"),
    ("サ イ バ ー", "サイバー"),
    ("２ 歳 入", "2 歳入"),
    ("１款　市税　４９，２８６，３００千円", "1款 市税 49,286,300千円"),
    ("Tokyo Metropolitan Government", "Tokyo Metropolitan Government"),
    ("1 2", "1 2"),
    ("１　２", "1 2"),
    ("10 km", "10 km"),
    ("令和 8 年度", "令和 8 年度"),
    ("  前後の空白  ", "前後の空白"),
    # glyphs mapped to nothing readable
    ("(cid:12)東京(cid:3)都", "東京都"),
    ("東\ue000京", "東京"),
    ("1(cid:4)2", "1 2"),
    ("１\ue123２", "1 2"),
    ("(cid:1)(cid:2)", ""),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_none_stays_none() -> None:
    assert normalize_text(None) is None
    assert normalize_text(None, join_lines=True) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("国土交通\n省", "国土交通省"),
        ("内閣官房・内閣府・\n警察庁", "内閣官房・内閣府・警察庁"),
        ("Cyber\nsecurity", "Cyber security"),
        ("1,234\n5,678", "1,234 5,678"),
        ("予算額\n1,234", "予算額 1,234"),
        ("現年課税分 16,084,000\n均等割 399,000", "現年課税分 16,084,000 均等割 399,000"),
        ("東京\r\n都", "東京都"),
        ("東京\n\n\n都", "東京都"),
        ("か\n\u3099", "か \u3099"),
        ("9:00-\n12:00", "9:00-12:00"),
        ("13:\n10", "13:10"),
        ("8:30〜11:00、\n12:30〜15:00", "8:30〜11:00、12:30〜15:00"),
        ("9:00\n〜12:00", "9:00〜12:00"),
        ("（木曜\n休診）", "(木曜休診)"),
        ("1,234\n-5", "1,234 -5"),
        ("9:0\n0", "9:0 0"),  # a wrap between two digits cannot be told from two numbers
    ],
)
def test_join_lines(raw: str, expected: str) -> None:
    assert normalize_text(raw, join_lines=True) == expected


def test_page_text_keeps_its_lines() -> None:
    assert (
        normalize_text("国土交通\n省\n\n（提案要求先　内閣府）")
        == "国土交通\n省\n\n(提案要求先 内閣府)"
    )


def test_unreadable_glyphs_are_counted_in_raw() -> None:
    raw = "(cid:12)東京\ue000都(cid:7)"
    assert count_unreadable(raw) == 3
    assert count_unreadable("東京都") == 0
    assert count_unreadable(None) == 0
    assert count_unreadable("\U000f0001") == 1


def _is_radical(cp: int) -> bool:
    return 0x2E80 <= cp <= 0x2EFF or 0x2F00 <= cp <= 0x2FDF


def test_every_kangxi_radical_maps_to_a_unified_ideograph() -> None:
    for cp in range(0x2F00, 0x2FD6):
        target = normalize_text(chr(cp))
        assert target and len(target) == 1, hex(cp)
        assert "CJK UNIFIED IDEOGRAPH" in unicodedata.name(target), hex(cp)


def test_kangxi_targets_are_jis_forms_where_one_exists() -> None:
    # Radical-only shapes have no JIS X 0208 form; every other target must be encodable, which
    # catches NFKC picking a form Japanese text does not use (⼾ → 戶).
    radical_only = {"丨", "彐", "疒", "禸", "辵"}
    for cp in range(0x2F00, 0x2FD6):
        target = RADICAL_TO_IDEOGRAPH[cp]
        if target in radical_only:
            continue
        target.encode("iso2022_jp")
    assert set(KANGXI_JA.values()) == {"戸", "青", "黄", "黒"}


def test_no_radical_code_point_survives_the_supplement() -> None:
    for cp in range(0x2E81, 0x2EF4):
        if unicodedata.category(chr(cp)) == "Cn":
            continue
        out = normalize_text(chr(cp))
        assert out and not _is_radical(ord(out[0])), hex(cp)


# --- properties ---------------------------------------------------------------------------

_INTERESTING = (
    "一般会計東京都国土交通省予算千円億兆万年度令和平成あいうアイウｱｲｳｶﾞﾟ"
    "0123456789０１２３４５６７８９,，.．-－−―—…‥~～〜○〇×△▲※*"
    "①②⑳⑴⑵⒈⒚⓪❶㉑㊀²³¹½⁄"
    "⼾⽂⽔⻑⾭⿈⿊⺠"
    "︵︶︑︙﹁﹂（）()「」、。・"
    "ABCabcＡＢｃ ㎡㍻㋿㈱"
    "  \u3000\t\n\r\u00a0\u200b\ue000\U000f0001゛゜\u3099\u309a´"
)
_text = st.one_of(
    st.text(alphabet=_INTERESTING, max_size=40),
    st.lists(
        st.sampled_from(["(cid:1)", "（ｃｉｄ：２）", " ", "\n", "一", "1", "⒚"]), max_size=8
    ).map("".join),
    st.text(max_size=20),
)


@settings(max_examples=200, deadline=None)
@given(_text, st.booleans())
def test_normalizing_twice_changes_nothing(raw: str, join_lines: bool) -> None:
    once = normalize_text(raw, join_lines=join_lines)
    assert normalize_text(once, join_lines=join_lines) == once


@settings(max_examples=200, deadline=None)
@given(_text)
def test_no_radical_or_unreadable_code_point_survives(raw: str) -> None:
    out = normalize_text(raw, join_lines=True) or ""
    assert not any(_is_radical(ord(c)) for c in out)
    assert count_unreadable(out) == 0


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_SEPARATORS = [
    " ",
    "\u3000",
    "  ",
    "\t",
    "\n",
    "⒚",
    "①",
    "⑴",
    "²",
    "½",
    "(cid:9)",
    "\ue000",
    "\u200b",
]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from(_SEPARATORS),
    st.booleans(),
    st.booleans(),
)
def test_separate_numbers_never_join(
    a: int, b: int, sep: str, full: bool, join_lines: bool
) -> None:
    left, right = str(a), str(b)
    raw = (left.translate(_FULL_WIDTH) if full else left) + sep + right
    out = normalize_text(raw, join_lines=join_lines) or ""
    runs = re.findall(r"[0-9]+", out)
    assert len(runs) >= 2, (raw, out)
    assert runs[0] == left and runs[-1] == right, (raw, out)


_KANJI_KANA = "一般会計東京都国土交通省予算歳入出市税あいうえおアイウエオ々〆"


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=_KANJI_KANA, min_size=2, max_size=12), st.sampled_from([" ", "\u3000", "  "])
)
def test_letter_spaced_cjk_closes_up(word: str, space: str) -> None:
    assert normalize_text(space.join(word)) == word
    assert normalize_text(space.join(word), join_lines=True) == word


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True),
            st.integers(min_value=0, max_value=10**6).map(str),
            st.text(alphabet=_KANJI_KANA, min_size=2, max_size=4),
        ),
        min_size=2,
        max_size=6,
    )
)
def test_spaces_next_to_latin_digits_or_words_stay(words: list[str]) -> None:
    text = " ".join(words)
    assert normalize_text(text) == text

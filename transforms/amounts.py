"""Numbers, amounts and units as printed in Japanese tables: △1,234千円, 1兆2,345億円, 二億五千万円.

`value` is the number as printed, in `unit`; `value_yen` is the exact amount in yen (int64, via
Decimal, never a float) and only set for money. Nil markers (－ ― — …) and empty cells are null,
never zero: a missing figure summed as 0 is a wrong total.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MONEY_UNITS: dict[str, int] = {
    "円": 1,
    "千円": 1_000,
    "万円": 10_000,
    "百万円": 1_000_000,
    "千万円": 10_000_000,
    "億円": 100_000_000,
    "兆円": 1_000_000_000_000,
}
COUNT_UNITS = (
    "人", "件", "校", "か所", "箇所", "ヶ所", "カ所", "台", "戸", "世帯", "回", "日", "時間",
    "施設", "団体", "本", "枚", "冊", "床", "園", "社", "名", "km", "㎡", "m2", "ha", "t",
)
PERCENT_UNITS = ("%", "パーセント")
NIL_MARKERS = {"", "-", "－", "―", "—", "‐", "–", "…", "...", "‥", "・", "皆減", "皆増"}

_KANJI_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10**4, "億": 10**8, "兆": 10**12}
_NOTE = re.compile(r"^(?P<pre>(?:※\s*\d*|\*+|＊+|†|注\d*)\s*)?(?P<body>.*?)(?P<post>\s*(?:※\s*\d*|\*+|＊+|†|\(注\d*\)))?$")
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_SIMPLE = re.compile(rf"^(?P<num>{_NUMBER})\s*(?P<unit>[^\d\s].*)?$")
_COMPOUND_PART = re.compile(rf"({_NUMBER}|[〇零一二三四五六七八九十百千]+)\s*([万億兆])")
_UNIT_IN_TEXT = re.compile(
    r"(?:単位|単位\s*[:：])\s*[:：]?\s*(?P<unit>千円|百万円|万円|億円|兆円|円|%|人|件)"
)
_UNIT_IN_HEADER = re.compile(r"[(（]\s*(?P<unit>千円|百万円|万円|億円|兆円|円|%|％|人|件)\s*[)）]")


@dataclass(frozen=True)
class Amount:
    """A parsed figure: `value` in `unit` as printed, `value_yen` exact when the unit is money."""

    value: float | None
    unit: str | None
    value_yen: int | None
    note: str | None = None


NIL = Amount(None, None, None)


def _kanji_number(text: str) -> int | None:
    """二千五百 → 2500 (below 万; larger units are handled by the compound parser)."""
    if not text:
        return None
    if all(c in _KANJI_DIGIT for c in text):
        value = 0
        for c in text:
            value = value * 10 + _KANJI_DIGIT[c]
        return value
    total, current = 0, None
    for c in text:
        if c in _KANJI_DIGIT:
            current = _KANJI_DIGIT[c]
        elif c in _SMALL:
            total += (1 if current is None else current) * _SMALL[c]
            current = None
        else:
            return None
    return total + (current or 0)


def _part_value(text: str) -> Decimal | None:
    if re.fullmatch(_NUMBER, text):
        return Decimal(text.replace(",", ""))
    number = _kanji_number(text)
    return None if number is None else Decimal(number)


def _to_yen(value: Decimal, unit: str) -> int | None:
    factor = MONEY_UNITS.get(unit)
    if factor is None:
        return None
    yen = value * factor
    return int(yen.to_integral_value())


def _split_sign(text: str, paren_negative: bool) -> tuple[int, str]:
    sign = 1
    if text[:1] in ("△", "▲", "-", "−", "－", "▵"):
        sign, text = -1, text[1:].lstrip()
    elif paren_negative and text.startswith("(") and text.endswith(")"):
        sign, text = -1, text[1:-1].strip()
    return sign, text


def parse_compound(text: str) -> tuple[Decimal, str] | None:
    """1兆2,345億円, 3億5千万円, 二億五千二百万円 → (value in the smallest big unit, that unit)."""
    if not text.endswith("円"):
        return None
    body = text[:-1]
    parts = list(_COMPOUND_PART.finditer(body))
    if not parts or "".join(p.group(0) for p in parts) + "" != body[: parts[-1].end()]:
        return None
    rest = body[parts[-1].end() :]
    total = Decimal(0)
    for part in parts:
        value = _part_value(part.group(1))
        if value is None:
            return None
        total += value * _BIG[part.group(2)]
    if rest:
        tail = _part_value(rest)
        if tail is None:
            return None
        total += tail
        return total, "円"
    smallest = parts[-1].group(2)
    return total / _BIG[smallest], smallest + "円"


def parse_amount(raw: str | None, unit: str | None = None, paren_negative: bool = False) -> Amount:
    """Parse one cell or phrase. `unit` is the table's unit (（単位：千円）); a unit in the cell wins."""
    if raw is None:
        return NIL
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "").replace("\n", "")
    if text in NIL_MARKERS:
        return NIL
    note = None
    match = _NOTE.match(text)
    if match and (match.group("pre") or match.group("post")):
        note = ((match.group("pre") or "") + (match.group("post") or "")).strip() or None
        text = match.group("body")
    sign, text = _split_sign(text, paren_negative)
    if not text:
        return NIL
    compound = parse_compound(text)
    if compound is not None:
        value, cunit = compound
        value *= sign
        return Amount(float(value), cunit, _to_yen(value, cunit), note)
    match = _SIMPLE.match(text)
    if not match:
        if re.fullmatch(r"[〇零一二三四五六七八九十百千]+円", text):
            number = _kanji_number(text[:-1])
            if number is not None:
                return Amount(float(sign * number), "円", sign * number, note)
        return Amount(None, None, None, note)
    try:
        number = Decimal(match.group("num").replace(",", "")) * sign
    except InvalidOperation:
        return Amount(None, None, None, note)
    cell_unit = match.group("unit")
    if cell_unit:
        cell_unit = cell_unit.strip()
        if cell_unit == "パーセント":
            cell_unit = "%"
        if cell_unit not in MONEY_UNITS and cell_unit not in COUNT_UNITS and cell_unit != "%":
            return Amount(None, None, None, note)
    final_unit = cell_unit or unit
    return Amount(
        float(number), final_unit, _to_yen(number, final_unit) if final_unit else None, note
    )


def find_unit(text: str | None) -> str | None:
    """The unit a caption, note or header states for a whole table or column: （単位：千円）, 予算額（千円）."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text)
    match = _UNIT_IN_TEXT.search(text) or _UNIT_IN_HEADER.search(text)
    if not match:
        return None
    unit = match.group("unit")
    return "%" if unit == "％" else unit

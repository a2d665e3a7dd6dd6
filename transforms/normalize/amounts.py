"""Numbers, amounts and units as printed in Japanese tables: △1,234千円, 1兆2,345億円, 二億五千万円.

`value` is the number as printed, in `unit`; `value_yen` is the exact amount in yen (int64, via
Decimal, never a float) and only set for money. Nil markers (－ ― — …) and empty cells are null,
never zero: a missing figure summed as 0 is a wrong total. Anything that is not one figure (a
formula 404,000×98.9％, two numbers 1 300, a label) is null too: a wrong number is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from transforms.normalize.numerals import BIG_SCALES, read_numeral
from transforms.normalize.text import normalize_text

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
    "人",
    "件",
    "校",
    "か所",
    "箇所",
    "ヶ所",
    "ケ所",
    "カ所",
    "台",
    "戸",
    "世帯",
    "回",
    "日",
    "時間",
    "施設",
    "団体",
    "本",
    "枚",
    "冊",
    "床",
    "園",
    "社",
    "名",
    "学級",
    "人日",
    "km",
    "㎡",
    "m2",
    "ha",
    "t",
)
PERCENT_UNITS = ("%", "パーセント")
# After normalize_text: －→-, ―/—/‐/– stay, … and ‥ stay.
NIL_MARKERS = {
    "",
    "-",
    "--",
    "―",
    "—",
    "‐",
    "–",
    "ー",
    "…",
    "...",
    "‥",
    "・",
    "皆減",
    "皆増",
    "該当なし",
}

_ALL_UNITS = sorted([*MONEY_UNITS, *COUNT_UNITS, *PERCENT_UNITS], key=len, reverse=True)
_UNIT_ALTERNATION = "|".join(re.escape(u) for u in _ALL_UNITS)
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SIMPLE = re.compile(rf"(?P<num>{_NUMBER})\s*(?P<unit>\S.*)?")
_BIG_NAME = {factor: name for name, factor in BIG_SCALES.items()}
_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
# Footnote marks before a figure need a space (※1 300) unless they carry no digits (※300).
_NOTE_LEAD = re.compile(
    r"(?P<note>(?:※|\*+|注)\d*|[†‡]+|\(注\d*\))(?:\s+(?=\S)|$)|(?P<bare>※|\*+|[†‡]+)(?=\S)"
)
_NOTE_TRAIL = re.compile(
    rf"\s*(?P<note>※\d*|\*+\d*|[†‡]+|\(注\d*\)|注\d*|[{_SUPERSCRIPT_DIGITS}]+)$"
)
_SIGNS = "△▲-+"
# In a compound the numeral carries 千/万/億/兆 itself (3億5千万円), so only 円 ends it as money.
_COMPOUND_SUFFIXES = [u for u in _ALL_UNITS if u not in MONEY_UNITS or u == "円"]
# ⑴ ⑵ … number the items of a list; NFKC would make them look like a parenthesized figure.
_LIST_NUMBER = re.compile(r"^\s*[\u2474-\u2487]\s*$")


@dataclass(frozen=True)
class Amount:
    """A parsed figure: `value` in `unit` as printed, `value_yen` exact when the unit is money."""

    value: float | None
    unit: str | None
    value_yen: int | None
    note: str | None = None


NIL = Amount(None, None, None)


def _canonical_unit(unit: str) -> str | None:
    unit = unit.strip()
    if unit in PERCENT_UNITS:
        return "%"
    if unit in MONEY_UNITS or unit in COUNT_UNITS:
        return unit
    return None


def _to_yen(value: Decimal, unit: str | None) -> int | None:
    """Exact yen, or None when the unit is not money or the amount is not a whole yen."""
    factor = MONEY_UNITS.get(unit or "")
    if factor is None:
        return None
    yen = value * factor
    if yen != yen.to_integral_value():
        return None
    return int(yen)


def parse_compound(text: str) -> tuple[Decimal, str] | None:
    """1兆2,345億円, 3億5千万円, 二億五千二百万円 → (value, unit) in the unit the amount ends with.

    3億5千万円 is (35000, 万円); 1億2,345万6,789円 and 四百九十円 are in 円.
    """
    text = (normalize_text(text, join_lines=True) or "").replace(" ", "")
    if not text.endswith("円") or text in MONEY_UNITS:
        return None
    numeral = read_numeral(text[:-1])
    if numeral is None:
        return None
    value, ends_with_big = numeral
    if ends_with_big is None:
        return value, "円"
    return value / ends_with_big, _BIG_NAME[ends_with_big] + "円"


def _split_notes(text: str) -> tuple[str, str | None]:
    notes: list[str] = []
    lead = _NOTE_LEAD.match(text)
    if lead:
        notes.append(lead.group("note") or lead.group("bare"))
        text = text[lead.end() :]
    trail = _NOTE_TRAIL.search(text)
    if trail and trail.start() > 0:
        notes.append(trail.group("note"))
        text = text[: trail.start()]
    return text.strip(), " ".join(notes) or None


def _amount(value: Decimal, unit: str | None, note: str | None) -> Amount:
    return Amount(float(value), unit, _to_yen(value, unit), note)


def parse_amount(
    raw: str | None,
    unit: str | None = None,
    paren_negative: bool = False,
    normalized: bool = False,
) -> Amount:
    """Parse one cell or phrase into a figure.

    `unit` is the unit stated once for the table or column (（単位：千円）, 予算額（千円）); a unit
    printed in the cell wins. `paren_negative` reads (1,234) as minus, as some accounts print it;
    otherwise a parenthesized figure is read as it stands. △ and ▲ before a number mean minus.
    Footnote marks (※1, *, (注2)) go to `note` and are never read as digits. `normalized` says
    `raw` is already `normalize_text(..., join_lines=True)` output, which is not redone.
    """
    if raw is None or _LIST_NUMBER.match(raw):
        return NIL
    text = (raw if normalized else normalize_text(raw, join_lines=True) or "").strip()
    if text in NIL_MARKERS:
        return NIL
    text, note = _split_notes(text)
    empty = Amount(None, None, None, note)
    if text in NIL_MARKERS or _canonical_unit(text) is not None:
        return empty  # a nil marker or a unit label (千円) on its own
    negative = False
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
        negative = paren_negative
    if text[:1] in _SIGNS:
        negative = negative or text[0] in "△▲-"
        text = text[1:].lstrip()
    forced_unit = None
    if text[:1] == "¥":
        forced_unit, text = "円", text[1:].lstrip()
    if not text:
        return empty
    sign = -1 if negative else 1

    simple = _simple_amount(text, sign, unit, forced_unit, note)
    if simple is not None:
        return simple
    return _compound_amount(text, sign, unit, forced_unit, note) or empty


def _simple_amount(
    text: str, sign: int, unit: str | None, forced_unit: str | None, note: str | None
) -> Amount | None:
    """An Arabic number with at most a unit after it (1,234千円, 56%); None if it is not one."""
    match = _SIMPLE.fullmatch(text)
    if not match:
        return None
    number = Decimal(match.group("num").replace(",", "")) * sign
    printed = match.group("unit")
    if printed is None:
        return _amount(number, forced_unit or unit, note)
    cell_unit = _canonical_unit(printed)
    if cell_unit is not None and forced_unit is None:
        return _amount(number, cell_unit, note)
    return None


def _compound_amount(
    text: str, sign: int, unit: str | None, forced_unit: str | None, note: str | None
) -> Amount | None:
    """Compound and kanji numerals: 1兆2,345億円, 3億5千万円, 二億五千二百万円, 1万2千人."""
    suffix = next((u for u in _COMPOUND_SUFFIXES if text.endswith(u)), None)
    body = (text[: -len(suffix)] if suffix else text).rstrip()
    numeral = read_numeral(body)
    if numeral is None:
        return None
    value, ends_with_big = numeral
    if suffix is None and not re.search(r"\d", body):
        return None  # a bare kanji numeral (三) in a table is a label, not a figure
    final_unit = _canonical_unit(suffix) if suffix else (forced_unit or unit)
    if final_unit == "円" and ends_with_big is not None:
        # 3億5千万円 is printed in 万円: keep `value` in the unit it was written in.
        return _amount(sign * value / ends_with_big, _BIG_NAME[ends_with_big] + "円", note)
    return _amount(sign * value, final_unit, note)


_UNIT_STATED = re.compile(rf"単位\s*[:：]?\s*(?P<unit>{_UNIT_ALTERNATION})")
_UNIT_BRACKETED = re.compile(rf"[(\[]\s*(?P<unit>{_UNIT_ALTERNATION})\s*[)\]]")


def find_unit(text: str | None, normalized: bool = False) -> str | None:
    """The unit a caption, note or header states for a table or column.

    Accepts （単位：千円）, 単位：百万円, a header 予算額（千円）, and a header path whose part is
    just the unit (本年度予算額 / 千円), as budget tables print the unit on its own header row.
    """
    if not text:
        return None
    if not normalized:
        text = normalize_text(text, join_lines=True) or ""
    match = _UNIT_STATED.search(text) or _UNIT_BRACKETED.search(text)
    if match:
        return _canonical_unit(match.group("unit"))
    for part in text.split(" / "):
        unit = _canonical_unit(part)
        if unit is not None:
            return unit
    return None

"""What counts as a figure in printed text, and what counts as a printed page number: one place.

Three questions are asked of text, each with its own answer, all built on the same token:

- `is_number(word)`: one signed number and nothing else (「△1,234」) — a word of a text line;
- `is_numeric(text)`: figures only, possibly several separated by spaces (「1 234 567」, 「(12.3%)」)
  — how a table's data line is told from its header line by layout alone;
- `is_figure(text)`: the cell states one figure, unit included (「1,234千円」「1兆2,345億円」),
  as `parse_amount` reads it — what a cell's value is;
- `labelled_figure(line)`: a label and the figure after it on one line (a budget book's 説明).

A printed page number alone on a line (「- 358 -」「－３５８－」「p.12」「12 / 40」) is `page_number_line`.
"""

from __future__ import annotations

import re
import unicodedata

from transforms.normalize.amounts import NIL_MARKERS, parse_amount

# Half- and full-width digits with thousands separators and decimal points, as printed.
_DIGITS = "0-9０-９"
NUMBER = rf"[{_DIGITS}][{_DIGITS},，.．]*"
# Signs before a figure: △ ▲ ▼ mean minus in Japanese accounts.
SIGNS = "△▲▼\\-−－+＋±"

_NUMBER_WORD = re.compile(rf"^[{SIGNS}]?{NUMBER}$")
_NUMERIC_TEXT = re.compile(rf"^[\s{SIGNS}(（]*[{_DIGITS}][{_DIGITS},，.．\s%％)）]*$")
# 「001 給与費 448,879」: a Japanese label and the figure printed after it on the same line.
_LABELLED = re.compile(
    rf"^(?P<label>.*[\u3040-\u30ff\u3400-\u9fff].*?)\s+(?P<figure>[{SIGNS}]?\s*[0-9][0-9,]*(?:\.[0-9]+)?)$"
)
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-‐－―—–ー~〜\u2212]\s*)?(?:p\.?\s*)?(?P<label>[0-9]{1,4}|[ivxlcdmIVXLCDM]{1,7})"
    r"\s*(?:[-‐－―—–ー~〜\u2212])?\s*(?:/\s*[0-9]{1,4})?\s*$"
)


def is_number(word: str | None) -> bool:
    """One signed number, nothing around it: 「1,234」「△56」「１２．５」."""
    return bool(word) and bool(_NUMBER_WORD.match(word))


def is_numeric(text: str | None) -> bool:
    """Only figures: numbers, signs, brackets, % and spaces (「1 234」「(12.3%)」「△5 6」)."""
    return bool(text) and bool(_NUMERIC_TEXT.match(text))


def is_figure(text: str | None, normalized: bool = False) -> bool:
    """The text states one figure, in any printed style `parse_amount` reads."""
    return bool(text) and parse_amount(text, normalized=normalized).value is not None


# A line that states only a unit: 「千円」「（千円）」「単位：円」 (a table prints it over its
# column, or in the first cell below the header, above the figure).
UNIT_LINE = re.compile(
    r"^[（(]?\s*(?:単位\s*[:：]\s*)?(千円|百万円|万円|億円|兆円|円|%|％|人|件)\s*[)）]?$"
)


def states_figure(cell: str | None) -> bool:
    """The cell states one figure, once a line that only names its unit is set aside
    (「千円\\n102,189」): what a table's figure cell holds, as opposed to a label."""
    if not cell:
        return False
    lines = [line for line in cell.split("\n") if line.strip()]
    kept = [line for line in lines if not UNIT_LINE.match(line.strip())]
    unit_set_aside = len(kept) < len(lines) and len(kept) == 1 and is_figure(kept[0])
    return unit_set_aside or is_figure(cell)


def is_nil(text: str | None) -> bool:
    """A nil marker (「－」「―」「…」): a figure position with nothing in it, never zero."""
    return text is not None and text.strip() in NIL_MARKERS


def labelled_figure(line: str) -> tuple[str, str] | None:
    """(label, figure) of a normalized line that prints a Japanese label and then its figure:
    「002 一般職 11人 96,733」 → ("002 一般職 11人", "96,733")."""
    match = _LABELLED.match(line)
    return (match.group("label").strip(), match.group("figure")) if match else None


def page_number_line(line: str) -> str | None:
    """The page number a line consists of, or None: 「- 358 -」 → "358", 「ⅳ」 → "iv". A lone 0 is
    no page number (it is the origin of a chart's axis)."""
    match = _PAGE_NUMBER.match(unicodedata.normalize("NFKC", line))
    if not match or match.group("label").strip("0") == "":
        return None
    return match.group("label")

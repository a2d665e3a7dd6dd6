"""Parse 提案要求 documents: the page stream in, request items out.

An item is its title (possibly wrapped, possibly numbered), then （提案要求先 …）, （都所管局 …）, a
summary paragraph, ＜現状・課題＞ and ＜具体的要求内容＞ with numbered demands. Markers vary by
year (＜＞ 〈〉 <> 【】, full- or half-width parentheses, a space or none after the marker), so every
pattern below accepts them all. The page text arrives normalized (NFKC: （）→() and ＜＞→<>, Ⅰ→I,
spaces between CJK characters closed up), which is why the patterns are written for that form.

The 目次 is parsed as well, for two reasons: it names the categories (分野), which is the only way
to recognise an unnumbered, letter-spaced heading once its spaces are gone, and it lists every item
with its printed page, so a document whose layout fooled the parser is reported (warnings), never
published as if it were complete. An 一括版 also opens with a 概要 (numbered themes, each item a ○
bullet with a one-line gist): it is read the same way, as a second list to check the items
against, and never as items. A margin tab printed down the page edge (「最重点事項」) is dropped
from the page text first, whether its characters come one per line or as one line.

Limits, each reported rather than hidden where it can be: only text is read (no font sizes or
positions), so a table whose rows carry no figures stays in `background` unless the pages carry
their "tables"; an unnumbered category heading not listed in the 目次 is read as part of the next
title; an unnumbered title directly below a line without 「。」 is told apart only by the 目次.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from rapidfuzz.distance import Indel

from transforms.normalize.figures import is_figure, is_nil, page_number_line
from transforms.normalize.text import join_wrapped, normalize_text
from transforms.records import DocumentInfo, Parsed
from transforms.series import category_key
from transforms.tags import load_default_taxonomy, tags_for

_OPEN = r"[(（<＜〈《【\[〔]"
_CLOSE = r"[)）>＞〉》】\]〕]"
_KEY_SEP = (
    r"(?:\s*[)）>＞〉》】\]〕:：]\s*|\s*)"  # 「(提案要求先 」「【提案要求先】」「提案要求先：」
)
_TARGETS_START = re.compile(rf"^{_OPEN}\s*提案要求先(?:省庁)?{_KEY_SEP}(?P<rest>.*)$")
_BUREAU_START = re.compile(
    rf"^{_OPEN}\s*(?:都所管局|所管局|都担当局|担当局){_KEY_SEP}(?P<rest>.*)$"
)
_CLOSING = re.compile(rf"{_CLOSE}\s*$")
# A block printed on the line of the title or of the block before it starts a line of its own.
_INLINE_BLOCK = re.compile(
    rf"(?<=\S)\s*(?={_OPEN}\s*(?:提案要求先|都所管局|所管局|都担当局|担当局))"
)
_SECTION_NAMES = {
    "現状・課題": "background",
    "現状と課題": "background",
    "現状及び課題": "background",
    "現状": "background",
    "具体的要求内容": "demands",
    "具体的な要求内容": "demands",
    "要求内容": "demands",
}
_SECTION = re.compile(
    rf"^{_OPEN}?\s*(?P<name>{'|'.join(sorted(_SECTION_NAMES, key=len, reverse=True))})\s*{_CLOSE}?$"
)
# Any other short bracketed heading (＜参考＞, 【参考資料】) ends the section before it.
_OTHER_SECTION = re.compile(r"^[<＜〈《【\[〔]\s*\S.{0,14}[>＞〉》】\]〕]$")
# Notes and sources belong to the item's text, not to its prose fields.
_NOTE = re.compile(r"^(?:※|\(?注\d*[)):：]|(?:資料|出典)[:：])")
# A numbered demand: 「(1)」 (also ⑴ and （１） after NFKC) or 「①」, which NFKC leaves alone.
_DEMAND = re.compile(r"^(?:\((?P<n>[0-9]{1,2})\)|(?P<c>[\u2460-\u2473]))\s*(?P<text>.*)$")
# An item number as printed before a title: 「1」「1-2」「(1)」「1.」, then a space.
_ITEM_NO = re.compile(
    r"^(?P<no>[0-9]{1,3}(?:-[0-9]{1,3})?\.?|\([0-9]{1,3}\))(?:\s+|(?<=\))|(?<=\.))(?P<title>\S.*)$"
)
_BARE_ITEM_NO = re.compile(r"^(?:[0-9]{1,3}(?:-[0-9]{1,3})?\.?|\([0-9]{1,3}\))$")
# A numbered category heading: 「I 安全・安心」(Ⅰ after NFKC), 「第1 …」「第2章 …」.
_CATEGORY = re.compile(
    r"^(?:(?:[IVX]{1,5}|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ]+)(?:[.．]\s*|\s+|(?=[^\x00-\x7f]))"
    r"|第\s*[0-9一二三四五六七八九十]{1,3}\s*(?:(?:章|部|節|分野)\s*|\s+))"
    r"(?P<name>[^\sA-Za-z0-9].{0,40})$"
)
_TOC_HEADING = re.compile(r"^(?:目次|もくじ)$")
# A 目次 entry line: text, leaders (or at least a space), the printed page number.
_TOC_ENTRY = re.compile(
    r"^(?P<body>.*?\S)\s*(?:[・･.…‥\-―─—_]{2,}\s*|\s+)(?P<page>[0-9]{1,4}|[ivxlc]{1,6})$"
)
_UNIT_CAPTION = re.compile(r"^\(?\s*単位[:：\s].*$")
# Names in 提案要求先/都所管局 end with one of these; a piece that does not was split at a 「・」
# that belongs to the name (オリンピック・パラリンピック準備局, 青少年・治安対策本部).
_ORG_SUFFIX = re.compile(
    r"(?:省|庁|府|房|院|局|会|部|室|所|課|団|署|館|都|等|本部|機構|法人|センター|市場|[)）])$"
)
# A piece that is only the first half of such a name: katakana (オリンピック), a short word
# (青少年), or an unclosed bracket (内閣府(防災).
_NAME_HEAD = re.compile(r"^(?:[ァ-ヺー]+|.{1,3})$|[(（][^)）]*$")
# 目次 entries that are front or back matter, not items.
_NOT_ITEMS = {
    "はじめに",
    "まえがき",
    "序文",
    "凡例",
    "おわりに",
    "あとがき",
    "索引",
    "参考資料",
    "資料編",
    "付録",
}
_MAX_TITLE_LINES = 4
_MAX_BLOCK_LINES = 8
_MAX_WARNINGS = 30


@dataclass
class RequestItem:
    """One request item, the row of the `requests` dataset.

    Text fields are normalized page text (so 「１」 reads "1" and 「（１）」 reads "(1)"); prose fields
    are wrapped lines joined back into paragraphs. Tables, notes (※, 資料:) and 〈参考〉 sections
    stay in `text` only, so that `summary`, `background` and `demands` read as prose.
    """

    item_seq: int
    item_no: str | None
    category: str | None
    title: str
    targets: list[str] = field(default_factory=list)
    bureaus: list[str] = field(default_factory=list)
    summary: str = ""
    background: str = ""
    demands: list[str] = field(default_factory=list)
    page_first: int = 0
    page_last: int = 0
    page_label_first: str | None = None
    tags: list[str] = field(default_factory=list)
    text: str = ""


@dataclass
class TocEntry:
    """One item as the 目次 lists it."""

    item_no: str | None
    title: str
    page_label: str
    category: str | None = None


@dataclass
class Toc:
    """What the 目次 says: the items it lists and the category headings it names."""

    entries: list[TocEntry]
    categories: list[str]
    last_page: int  # page_number of the last 目次 page


@dataclass
class _Line:
    page: int
    text: str
    is_table: bool = False


def _squeeze(text: str) -> str:
    """Compare text the way a reader would: letter-spacing and line breaks do not count."""
    return re.sub(r"\s+", "", text)


def _join(lines: list[str]) -> str:
    """The lines of one wrapped paragraph or title: Japanese prose is wrapped at a fixed width,
    anywhere, even inside a number."""
    return join_wrapped(lines, prose=True)


def split_names(text: str) -> list[str]:
    """Names in a 提案要求先/都所管局 block, split on 「・」 or 「、」.

    Line wraps inside a name (「スポー」「ツ庁」) are already gone because the block's lines are
    joined before splitting. A piece that does not end like an organisation and reads as the head
    of one is glued to the next with the 「・」 it was split at, so
    「オリンピック・パラリンピック準備局」 stays whole while 「国立国会図書館」 stands alone.
    """
    text = _squeeze(text)
    names: list[str] = []
    pending = ""
    for piece in re.split(r"([・、,，])", text):
        if piece in ("・", "、", ",", "，"):
            if (
                pending
                and piece == "・"
                and not _ORG_SUFFIX.search(pending)
                and _NAME_HEAD.search(pending)
            ):
                pending += piece
            elif pending:
                names.append(pending)
                pending = ""
            continue
        pending += piece
    if pending:
        names.append(pending.rstrip("・"))
    return [name for name in names if name]


def _split_item_no(title: str) -> tuple[str | None, str]:
    match = _ITEM_NO.match(title)
    if match:
        return match.group("no").rstrip("."), match.group("title").strip()
    return None, title


def _is_numbered(line: str) -> bool:
    return bool(_split_item_no(line)[0] or _BARE_ITEM_NO.match(line))


def _numbered_title(lines: list[str]) -> tuple[str | None, str]:
    """(item number, title) from a title's lines; the number may sit alone on the first line."""
    if len(lines) > 1 and _BARE_ITEM_NO.match(lines[0]):
        return lines[0].rstrip("."), _join(lines[1:])
    return _split_item_no(_join(lines))


def _strip_footer(lines: list[str], label: str | None) -> list[str]:
    """Drop a printed page number at the foot (or head) of the page."""

    def is_number(line: str) -> bool:
        printed = page_number_line(line.strip())
        if printed is None:
            return False
        return printed == label or line.strip()[0] in "-‐－―—–ー~〜p"

    if lines and is_number(lines[-1]):
        lines = lines[:-1]
    if lines and is_number(lines[0]):
        lines = lines[1:]
    return lines


def _running_lines(page_lines: list[list[str]]) -> set[str]:
    """Lines printed at the head or foot of most pages (a running title): not item text."""
    counts: dict[str, int] = {}
    for lines in page_lines:
        for line in {*lines[:1], *lines[-1:]}:
            counts[line] = counts.get(line, 0) + 1
    need = max(3, (len(page_lines) + 1) // 2)
    return {line for line, n in counts.items() if n >= need and not _TARGETS_START.match(line)}


def _page_lines(pages: list[dict], first_page: int) -> list[_Line]:
    """Content lines of the pages from `first_page` on, footers and running titles dropped,
    table text flagged, 提案要求先/都所管局 blocks on lines of their own."""
    body = [page for page in pages if page["page_number"] >= first_page]
    per_page: list[list[str]] = []
    for page in body:
        lines: list[str] = []
        for line in (page.get("text") or "").split("\n"):
            lines.extend(part.strip() for part in _INLINE_BLOCK.split(line.strip()) if part.strip())
        per_page.append(_strip_footer(lines, page.get("page_label")))
    running = _running_lines(per_page)
    out: list[_Line] = []
    for page, lines in zip(body, per_page, strict=True):
        if running:
            while lines and lines[0] in running:
                lines = lines[1:]
            while lines and lines[-1] in running:
                lines = lines[:-1]
        rows = _table_row_texts(page)
        out.extend(_Line(page["page_number"], line, _squeeze(line) in rows) for line in lines)
    _flag_table_lines(out)
    return out


def _table_row_texts(page: dict) -> set[str]:
    """Rows of the tables printed on the page (`table_rows`, their cells' raw text joined),
    spaces removed: page lines that are one of them are table text, not prose."""
    rows: set[str] = set()
    for row in page.get("table_rows") or []:
        text = _squeeze(normalize_text(row) or "")
        if len(text) >= 2:
            rows.add(text)
    return rows


def _is_grid_row(text: str) -> bool:
    fields = text.split()
    if len(fields) < 2:
        return False
    figures = sum(1 for f in fields if is_nil(f) or is_figure(f, normalized=True))
    return figures >= 2 and figures * 2 >= len(fields)


def _flag_table_lines(lines: list[_Line]) -> None:
    """Mark the lines that are a data table's text rather than prose.

    Without the page geometry, a table shows as rows of figures; its unit caption and its header
    row (a line without 「。」 right above the figures, below a finished sentence) go with it.
    """
    for line in lines:
        if _is_grid_row(line.text) or _UNIT_CAPTION.match(line.text) or _NOTE.match(line.text):
            line.is_table = True
    for i, line in enumerate(lines):
        if not line.is_table or not _is_grid_row(line.text):
            continue
        j = i - 1
        added = 0
        while j >= 0 and added < 2 and not lines[j].is_table:
            candidate = lines[j].text
            if candidate.endswith("。") or _SECTION.match(candidate) or _DEMAND.match(candidate):
                break
            if _TARGETS_START.match(candidate) or _BUREAU_START.match(candidate):
                break
            above = lines[j - 1] if j > 0 else None
            if (
                above is None
                or above.is_table
                or above.text.endswith("。")
                or _SECTION.match(above.text)
            ):
                lines[j].is_table = True
                added += 1
                j -= 1
                continue
            break


# -- 目次 ------------------------------------------------------------------------------------------


def parse_toc(pages: list[dict]) -> Toc | None:
    """The 目次: its item entries, the categories it names, and where it ends."""
    start = None
    for index, page in enumerate(pages[:10]):
        lines = [_squeeze(line) for line in (page.get("text") or "").split("\n")]
        if any(_TOC_HEADING.match(line) for line in lines[:5]):
            start = index
            break
    if start is None:
        return None
    entries: list[TocEntry] = []
    categories: list[str] = []
    last_page = pages[start]["page_number"]
    pending: list[str] = []
    category: str | None = None
    for index in range(start, len(pages)):
        page = pages[index]
        text = page.get("text") or ""
        if index > start and (
            any(_TARGETS_START.match(line.strip()) for line in text.split("\n"))
            or not any(_TOC_ENTRY.match(line.strip()) for line in text.split("\n"))
        ):
            break
        last_page = page["page_number"]
        lines = _strip_footer(
            [line.strip() for line in text.split("\n") if line.strip()], page.get("page_label")
        )
        for line in lines:
            if _TOC_HEADING.match(_squeeze(line)) or _squeeze(line) in ("ページ", "頁"):
                continue
            match = _TOC_ENTRY.match(line)
            body = match.group("body") if match else line
            if _is_category_line(body, ()):
                category = category_name(body)
                categories.append(category)
                pending = []
                continue
            if not match:
                pending.append(line)
                continue
            parts = pending + [body]
            pending = []
            # lines before the last numbered one are headings the 目次 prints without a page
            numbered = [k for k, part in enumerate(parts) if _is_numbered(part)]
            if numbered and numbered[-1] > 0:
                for heading in parts[: numbered[-1]]:
                    category = category_name(heading)
                    categories.append(category)
                parts = parts[numbered[-1] :]
            item_no, title = _numbered_title(parts)
            if _squeeze(title) in _NOT_ITEMS:
                continue
            entries.append(TocEntry(item_no, title, match.group("page"), category))
    return Toc(*_unnumbered_headings(entries, categories), last_page)


def _unnumbered_headings(
    entries: list[TocEntry], categories: list[str]
) -> tuple[list[TocEntry], list[str]]:
    """When most entries are numbered, the few that are not are category headings printed with
    their page (「安全・安心の確保……1」), not items."""
    numbered = sum(1 for e in entries if e.item_no)
    if not entries or numbered == len(entries) or numbered < 2 * (len(entries) - numbered):
        return entries, categories
    items: list[TocEntry] = []
    found = list(categories)
    category = None
    for entry in entries:
        if entry.item_no is None:
            category = category_name(entry.title)
            found.append(category)
            continue
        items.append(dataclasses.replace(entry, category=category or entry.category))
    return items, found


# -- items -----------------------------------------------------------------------------------------


def _is_category_line(text: str, known: tuple[str, ...] | list[str]) -> bool:
    if text.endswith("。") or len(text) > 40:
        return False
    if _squeeze(text) in known:
        return True
    match = _CATEGORY.match(text)
    return bool(match) and not _SECTION.match(text)


def category_name(text: str) -> str:
    """A category heading as one string whatever its spacing: 「第 1 章安 全」 → 「第1章 安全」.

    The same heading is printed letter-spaced in the body and plain in the 目次, and normalization
    closes spaces between kana and kanji but not around a numeral; so the number is closed up and
    exactly one space separates it from the name.
    """
    match = _CATEGORY.match(text)
    if not match:
        return _squeeze(text)
    return _squeeze(text[: match.start("name")]) + " " + _squeeze(match.group("name"))


def _ends_paragraph(text: str) -> bool:
    return bool(re.search(r"。[)）」』]?$", text))


def _title_start(
    lines: list[_Line], t: int, lower: int, toc_titles: set[str], known: tuple[str, ...]
) -> int:
    """Index of the first title line of the item whose 提案要求先 block starts at `t`.

    Walk back from the block over lines that can be a title: not a finished sentence, not a
    marker, not table text, not a category heading, at most a few lines, on one page. A numbered
    line is where a numbered title starts. When the 目次 lists one of the candidate titles, it
    settles the ambiguous case of an unnumbered title below text without a full stop.
    """
    page = lines[t].page
    if t - 1 >= lower and lines[t - 1].page != page:
        page = lines[t - 1].page  # the block opens a page: its title ends the previous one
    candidates: list[int] = []
    i = t - 1
    while i >= lower and len(candidates) < _MAX_TITLE_LINES and lines[i].page == page:
        line = lines[i]
        text = line.text
        if (
            line.is_table
            or _ends_paragraph(text)
            or _SECTION.match(text)
            or _OTHER_SECTION.match(text)
            or _TARGETS_START.match(text)
            or _BUREAU_START.match(text)
            or _is_category_line(text, known)
        ):
            break
        candidates.append(i)
        if _is_numbered(text):
            break
        i -= 1
    if not candidates:
        return t
    if toc_titles:
        for start in reversed(candidates):  # the longest title the 目次 knows
            title = _numbered_title([ln.text for ln in lines[start:t]])[1]
            if _squeeze(title) in toc_titles:
                return start
    return candidates[-1]


def _continues_names(previous: str, line: str) -> bool:
    """Does `line` carry on a name list that has no closing bracket to end it?"""
    if _ends_paragraph(line) or _SECTION.match(line) or _OTHER_SECTION.match(line):
        return False
    if previous.endswith(("・", "、")):
        return True
    names = split_names(line)
    return bool(names) and all(_ORG_SUFFIX.search(name) for name in names)


def _block(lines: list[_Line], i: int, first: str, end: int) -> tuple[str, int]:
    """A 提案要求先/都所管局 block that may wrap: its text (brackets removed), next line index.

    「（提案要求先 …）」 ends at its closing bracket; 「【提案要求先】…」 has none, so it goes on
    while the next line still reads as a list of organisations.
    """
    keyed = bool(
        re.match(
            rf"^{_OPEN}\s*(?:提案要求先(?:省庁)?|都所管局|所管局|都担当局|担当局)\s*{_CLOSE}",
            lines[i].text,
        )
    )
    parts = [first]
    while i + 1 < end and len(parts) < _MAX_BLOCK_LINES:
        if not keyed and _CLOSING.search(parts[-1]):
            break
        nxt = lines[i + 1].text
        if _BUREAU_START.match(nxt) or _SECTION.match(nxt) or _TARGETS_START.match(nxt):
            break
        if keyed and not _continues_names(parts[-1], nxt):
            break
        i += 1
        parts.append(nxt)
    return _CLOSING.sub("", "".join(parts)), i + 1


def _demand_no(match: re.Match[str]) -> int:
    if match.group("c"):
        return ord(match.group("c")) - 0x245F
    return int(match.group("n"))


def _read_blocks(item: RequestItem, lines: list[_Line], t: int, end: int) -> int:
    """Fill targets and bureaus from the blocks starting at line `t`; returns the next line."""
    match = _TARGETS_START.match(lines[t].text)
    assert match is not None
    targets, i = _block(lines, t, match.group("rest"), end)
    item.targets = split_names(targets)
    while i < end:
        bureau = _BUREAU_START.match(lines[i].text)
        if not bureau:
            break
        names, i = _block(lines, i, bureau.group("rest"), end)
        item.bureaus.extend(split_names(names))
    return i


def _read_sections(lines: list[_Line]) -> tuple[dict[str, list[str]], list[list[str]]]:
    """The prose lines of each section, and the numbered demands as lists of lines."""
    section = "summary"
    buffers: dict[str, list[str]] = {"summary": [], "background": [], "demands": [], "other": []}
    demands: list[list[str]] = []
    circled = False
    for line in lines:
        sec = _SECTION.match(line.text)
        if sec:
            section = _SECTION_NAMES[sec.group("name")]
            continue
        if _OTHER_SECTION.match(line.text):
            section = "other"  # 〈参考〉 and the like: item text only
            continue
        if line.is_table:
            continue
        if section != "demands":
            buffers[section].append(line.text)
            continue
        demand = _DEMAND.match(line.text)
        # the first demand fixes the numbering; other kinds (① under (1)) are sub-items
        if (
            demand
            and (not demands or bool(demand.group("c")) == circled)
            and _demand_no(demand) == len(demands) + 1
        ):
            circled = bool(demand.group("c"))
            demands.append([demand.group("text")])
        elif demands:
            demands[-1].append(line.text)
        else:
            buffers["demands"].append(line.text)
    return buffers, demands


def _parse_body(item: RequestItem, lines: list[_Line], t: int, end: int) -> list[str]:
    """Fill the fields from the 提案要求先 line `t` to the item's end; problems come back as text."""
    i = _read_blocks(item, lines, t, end)
    buffers, demands = _read_sections(lines[i:end])
    item.summary = _join(buffers["summary"])
    item.background = _join(buffers["background"])
    if buffers["demands"] and not demands:
        demands = [buffers["demands"]]  # a single request, printed without a number
    item.demands = [_join(d) for d in demands]
    missing = [
        name
        for name, value in (
            ("title", item.title),
            ("提案要求先", item.targets),
            ("都所管局", item.bureaus),
            ("具体的要求内容", item.demands),
        )
        if not value
    ]
    if not missing:
        return []
    return [
        f"item {item.item_seq} {item.title[:30]!r} (p.{item.page_first}): no {', '.join(missing)} found"
    ]


def _item_heads(
    lines: list[_Line], anchors: list[int], toc_titles: set[str], known: tuple[str, ...]
) -> tuple[list[RequestItem], list[int], list[int]]:
    """The items whose 提案要求先 blocks are at `anchors`: each with its number, title and
    category, and the line where each starts and ends."""
    starts: list[int] = []
    lower = 0
    for t in anchors:
        starts.append(_title_start(lines, t, lower, toc_titles, known))
        lower = t + 1
    items: list[RequestItem] = []
    category: str | None = None
    gap_from = 0  # first line after the previous item's 提案要求先 line
    ends: list[int] = []
    for k, (start, t) in enumerate(zip(starts, anchors, strict=True)):
        # category headings sit between the previous item and this title; the first one ends
        # the previous item, the last one names this item's category
        headings = [
            j
            for j in range(gap_from, start)
            if not lines[j].is_table and _is_category_line(lines[j].text, known)
        ]
        if k > 0:
            ends.append(headings[0] if headings else start)
        if headings:
            category = category_name(lines[headings[-1]].text)
        gap_from = t + 1
        title_no, title = _numbered_title([line.text for line in lines[start:t]])
        items.append(RequestItem(item_seq=k + 1, item_no=title_no, category=category, title=title))
    if items:
        ends.append(len(lines))
    return items, starts, ends


# -- margin tabs ------------------------------------------------------------------------------------

# Labels printed as a tab down the page edge of some editions; found by frequency too (below).
_MARGIN_TABS = ("最重点事項",)
_TAB_CHAR = re.compile(r"^[\u3041-\u30ff\u3400-\u9fff々]$")


def _single_chars(lines: list[str]) -> list[tuple[int, str]]:
    """(line index, character) of the lines that are one kana or kanji and nothing else."""
    return [(i, line.strip()) for i, line in enumerate(lines) if _TAB_CHAR.match(line.strip())]


def _tab_labels(pages: list[list[str]]) -> set[str]:
    """Margin tab labels: the known ones, and any word spelled one character per line on two or
    more pages (vertical text in a margin arrives that way: one line per character)."""
    counts: dict[str, int] = defaultdict(int)
    for lines in pages:
        spelled = "".join(ch for _, ch in _single_chars(lines))
        if len(spelled) >= 2:
            counts[spelled] += 1
    return set(_MARGIN_TABS) | {word for word, n in counts.items() if n >= 2}


def _drop_tab(lines: list[str], labels: set[str]) -> list[str]:
    """A page's lines without its margin tab, whether its characters came one per line (between
    or among the body's lines) or as one line."""
    drop: set[int] = {i for i, line in enumerate(lines) if _squeeze(line) in labels}
    singles = _single_chars(lines)
    spelled = "".join(ch for _, ch in singles)
    for label in sorted(labels, key=len, reverse=True):
        start = spelled.find(label)
        while start >= 0:
            drop.update(i for i, _ in singles[start : start + len(label)])
            start = spelled.find(label, start + len(label))
    return [line for i, line in enumerate(lines) if i not in drop]


def without_margin_tabs(pages: list[dict]) -> list[dict]:
    """Pages whose text no longer holds a margin tab (「最重点事項」 printed down the edge)."""
    per_page = [(page.get("text") or "").split("\n") for page in pages]
    labels = _tab_labels(per_page)
    cleaned = []
    for page, lines in zip(pages, per_page, strict=True):
        kept = _drop_tab(lines, labels)
        cleaned.append(page if len(kept) == len(lines) else {**page, "text": "\n".join(kept)})
    return cleaned


# -- 概要 --------------------------------------------------------------------------------------------

_OVERVIEW_HEADING = re.compile(r"^(?:\S{0,12}の)?概要$")
_THEME = re.compile(r"^(?P<no>[0-9]{1,2})[.．]?\s+(?P<name>\S.{0,60})$")
_BULLET = re.compile(r"^[○◯〇●◎◆◇■□]\s*(?P<text>\S.*)$")


@dataclass
class Theme:
    """One numbered theme of the 概要: its name and its ○ bullets, each with the gist printed
    under it (「○ 首都直下地震等への備え」 / 「国が取り組む施策の明確化と着実な実施…」).

    A bullet that wraps cannot be told from its gist without the layout, so a wrapped bullet's
    second line is read as its gist; the cross-check reads the two together.
    """

    no: str
    name: str
    bullets: list[str] = field(default_factory=list)
    gists: list[str] = field(default_factory=list)  # one per bullet, "" where none is printed
    lead: str = ""  # text between the theme's heading and its first bullet


@dataclass
class Overview:
    """The 概要 an 一括版 opens with: not items, a second list of them to check against."""

    themes: list[Theme]
    first_page: int
    last_page: int


def _overview_pages(pages: list[dict]) -> list[dict]:
    """The pages of the 概要: from a page headed 「概要」/「…の概要」 while they hold themes or
    bullets and no item block or 目次."""
    start = None
    for index, page in enumerate(pages[:10]):
        lines = [_squeeze(line) for line in (page.get("text") or "").split("\n") if line.strip()]
        if any(_OVERVIEW_HEADING.match(line) for line in lines[:5]):
            start = index
            break
    if start is None:
        return []
    found = [pages[start]]
    for page in pages[start + 1 :]:
        lines = [line.strip() for line in (page.get("text") or "").split("\n") if line.strip()]
        if any(
            _TARGETS_START.match(x) or _TOC_HEADING.match(_squeeze(x)) for x in lines
        ) or not any(_BULLET.match(x) for x in lines):
            break
        found.append(page)
    return found


def parse_overview(pages: list[dict]) -> Overview | None:
    """The 概要: numbered themes, each with its ○ bullets and the gist under each."""
    found = _overview_pages(pages)
    themes: list[Theme] = []
    for page in found:
        lines = [line.strip() for line in (page.get("text") or "").split("\n") if line.strip()]
        for line in _strip_footer(lines, page.get("page_label")):
            theme, bullet = _THEME.match(line), _BULLET.match(line)
            if theme and not line.endswith("。"):
                themes.append(Theme(theme.group("no"), _squeeze(theme.group("name"))))
            elif bullet and themes:
                themes[-1].bullets.append(bullet.group("text"))
                themes[-1].gists.append("")
            elif themes and themes[-1].bullets:
                themes[-1].gists[-1] = _join([themes[-1].gists[-1], line])
            elif themes:
                themes[-1].lead = _join([themes[-1].lead, line])
    if not themes:
        return None
    return Overview(themes, found[0]["page_number"], found[-1]["page_number"])


def _same_request(bullet: str, title: str) -> bool:
    """A 概要 bullet names an item when it is its title, a shortening of it, or a close wording."""
    a, b = _squeeze(bullet), _squeeze(title)
    if a == b or (min(len(a), len(b)) >= 6 and (a in b or b in a)):
        return True
    return Indel.normalized_similarity(a, b) >= 0.8


def cross_check_overview(items: list[RequestItem], overview: Overview | None) -> list[str]:
    """Compare the items with the 概要: bullets with no item, items in no bullet, and items under
    a category that the 概要 names as another theme."""
    if overview is None:
        return []
    warnings: list[str] = []
    unmatched = list(items)
    names = {category_key(t.name) for t in overview.themes}
    for theme in overview.themes:
        for bullet, gist in zip(theme.bullets, theme.gists, strict=True):
            found = next((i for i in unmatched if _same_request(bullet, i.title)), None)
            found = found or next(
                (i for i in unmatched if _same_request(_join([bullet, gist]), i.title)), None
            )
            if found is None:
                warnings.append(
                    f"概要 lists {bullet[:40]!r} (theme {theme.no} {theme.name}) but no such item was found"
                )
                continue
            unmatched.remove(found)
            key = category_key(found.category)
            if key in names and key != category_key(theme.name):
                warnings.append(
                    f"item {found.item_seq} {found.title[:30]!r}: under {found.category!r} but 概要 lists it under theme {theme.no} {theme.name}"
                )
    for item in unmatched:
        warnings.append(f"item {item.item_seq} {item.title[:40]!r} is not in the 概要")
    return warnings


def parse_requests(
    pages: list[dict], taxonomy: dict[str, list[str]]
) -> tuple[list[RequestItem], list[str]]:
    """Request items of a 提案要求 document, and warnings when the result cannot be trusted.

    Warnings cover items with a missing part and every disagreement with the 目次 (items found
    vs listed, titles, printed pages) and with the 概要 (bullets and items); the caller records them, so a document parsed only in part
    is visible as such rather than silently short.
    """
    pages = without_margin_tabs(sorted(pages, key=lambda p: p["page_number"]))
    toc = parse_toc(pages)
    overview = parse_overview(pages)
    first_page = toc.last_page + 1 if toc else (pages[0]["page_number"] if pages else 1)
    if overview is not None:
        first_page = max(first_page, overview.last_page + 1)
    known = tuple(_squeeze(c) for c in toc.categories) if toc else ()
    toc_titles = {_squeeze(e.title) for e in toc.entries} if toc else set()
    lines = _page_lines(pages, first_page)
    labels = {p["page_number"]: p.get("page_label") for p in pages}
    anchors = [i for i, line in enumerate(lines) if _TARGETS_START.match(line.text)]
    items, starts, ends = _item_heads(lines, anchors, toc_titles, known)
    problems: list[str] = []
    for item, start, t, end in zip(items, starts, anchors, ends, strict=True):
        item.page_first = lines[start].page
        item.page_last = lines[end - 1].page
        item.page_label_first = labels.get(item.page_first)
        problems.extend(_parse_body(item, lines, t, end))
        item.text = "\n".join(line.text for line in lines[start:end])
        item.tags = tags_for(
            " ".join([item.title, item.summary, item.background, *item.demands]), taxonomy
        )
    warnings = problems + cross_check_toc(items, toc) + cross_check_overview(items, overview)
    if not items and any((p.get("text") or "").strip() for p in pages):
        warnings.insert(0, "no request items found: no 提案要求先 block in the text")
    if len(warnings) > _MAX_WARNINGS:
        warnings = warnings[:_MAX_WARNINGS] + [
            f"… and {len(warnings) - _MAX_WARNINGS} more warnings"
        ]
    return items, warnings


def cross_check_toc(items: list[RequestItem], toc: Toc | None) -> list[str]:
    """Compare the items found with the 目次: items listed but not found, found but not listed,
    and for the rest their number, category and printed page."""
    if toc is None or not toc.entries:
        return ["目次 not found: items could not be cross-checked"] if items else []
    warnings: list[str] = []
    compare_pages = any(item.page_label_first for item in items)
    if items and not compare_pages:
        warnings.append("no printed page numbers on the item pages: 目次 pages not compared")
    if len(toc.entries) != len(items):
        warnings.append(f"目次 lists {len(toc.entries)} items but {len(items)} were found")
    unmatched = list(items)
    for entry in toc.entries:
        key = _squeeze(entry.title)
        found = next((item for item in unmatched if _squeeze(item.title) == key), None)
        if found is None:
            warnings.append(
                f"目次 entry {entry.title!r} (p.{entry.page_label}) not found among the items"
            )
            continue
        unmatched.remove(found)
        if compare_pages and entry.page_label != (found.page_label_first or ""):
            warnings.append(
                f"item {found.item_seq} {found.title[:30]!r}: on printed page {found.page_label_first}"
                f" but 目次 says {entry.page_label}"
            )
        if (entry.item_no or None) != (found.item_no or None):
            warnings.append(
                f"item {found.item_seq} {found.title[:30]!r}: numbered {found.item_no} but 目次 says {entry.item_no}"
            )
        if entry.category and _squeeze(entry.category) != _squeeze(found.category or ""):
            warnings.append(
                f"item {found.item_seq} {found.title[:30]!r}: under {found.category!r} but 目次 says {entry.category!r}"
            )
    for item in unmatched:
        warnings.append(
            f"item {item.item_seq} {item.title[:40]!r} (p.{item.page_first}) is not in the 目次"
        )
    return warnings


# -- the kind's entry ------------------------------------------------------------------------------


def edition_from_title(title: str) -> str | None:
    """Which of the year's two editions a title names: 「国の施策及び予算に対する…」 is the full
    spring edition, 「国の予算編成に対する…（最重点事項）」 the autumn one. Used for documents an
    index discovers, whose catalog entry cannot say."""
    text = _squeeze(normalize_text(title) or "")
    if "最重点" in text or "予算編成に対する" in text:
        return "autumn"
    if "施策及び予算に対する" in text:
        return "spring"
    return None


DATASETS = ("requests", "request_targets")
INPUTS = ("pages", "tables", "cells")


def parse(doc: DocumentInfo, inputs: dict[str, Any]) -> Parsed:
    """A 提案要求 document's request items (`requests`, `request_targets`), the item each table
    belongs to (`item_seq` of tables and cells), and why the items may be incomplete."""
    cells = (
        inputs["cells"]
        .select(["table_id", "page_number", "row", "col", "text_raw", "text", "spanned"])
        .to_pylist()
    )
    pages = _pages_with_table_rows(
        inputs["pages"].select(["page_number", "page_label", "text"]).to_pylist(), cells
    )
    items, warnings = parse_requests(pages, load_default_taxonomy())
    requests = [
        {**doc.ids, "fiscal_year": doc.fiscal_year, "edition": doc.edition, **asdict(item)}
        for item in items
    ]
    targets = [
        {**doc.ids, "item_seq": item.item_seq, "target": target}
        for item in items
        for target in item.targets
    ]
    tables = inputs["tables"].select(["table_id", "page_first"]).to_pylist()
    return Parsed(
        datasets={"requests": requests, "request_targets": targets},
        table_columns={"item_seq": items_of_tables(items, tables, cells)},
        warnings=warnings,
    )


def _pages_with_table_rows(pages: list[dict], cells: list[dict]) -> list[dict]:
    """Page dicts for the parser, each with the text of the table rows printed on it."""
    rows: dict[tuple[str, int], dict[int, str]] = defaultdict(dict)
    page_of: dict[tuple[str, int], int] = {}
    for cell in cells:
        if cell["spanned"]:
            continue
        key = (cell["table_id"], cell["row"])
        rows[key][cell["col"]] = cell["text_raw"] or ""
        page_of[key] = cell["page_number"]
    by_page: dict[int, list[str]] = defaultdict(list)
    for key, row in rows.items():
        by_page[page_of[key]].append("".join(row[c] for c in sorted(row)))
    return [{**page, "table_rows": by_page.get(page["page_number"], [])} for page in pages]


def items_of_tables(
    items: list[RequestItem], tables: list[dict], cells: list[dict]
) -> dict[str, int | None]:
    """The request item each table belongs to, by table id.

    A table belongs to an item whose pages hold its first page; when a page holds several items,
    the one whose text contains most of the table's cell texts wins (item text keeps table rows).
    """
    texts_by_table: dict[str, list[str]] = defaultdict(list)
    for cell in cells:
        if cell.get("text"):
            texts_by_table[cell["table_id"]].append(cell["text"].replace(" ", ""))
    bodies = {item.item_seq: (item.text or "").replace(" ", "") for item in items}
    found: dict[str, int | None] = {}
    for table in tables:
        candidates = [i for i in items if i.page_first <= table["page_first"] <= i.page_last]
        if len(candidates) > 1:
            texts = texts_by_table.get(table["table_id"], [])
            candidates.sort(
                key=lambda i, texts=texts: sum(1 for t in texts if t in bodies[i.item_seq]),
                reverse=True,
            )
        found[table["table_id"]] = candidates[0].item_seq if candidates else None
    return found

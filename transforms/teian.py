"""Parse 提案要求 documents: the page stream in, request items out.

An item is its title (possibly wrapped, possibly numbered), then （提案要求先 …）, （都所管局 …）, a
summary paragraph, ＜現状・課題＞ and ＜具体的要求内容＞ with numbered demands. Markers vary by
year (＜＞ 〈〉 <> 【】, full- or half-width parentheses), so every pattern below accepts them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from transforms.tags import tags_for
from transforms.text import normalize_text

_OPEN = r"[\(（]"
_CLOSE = r"[\)）]"
_TARGETS_START = re.compile(rf"^{_OPEN}\s*提案要求先\s*(?P<rest>.*)$")
_BUREAU = re.compile(rf"^{_OPEN}\s*都所管局\s*(?P<rest>.*?)\s*{_CLOSE}?\s*$")
_SECTION = re.compile(r"^[<＜〈【\[]\s*(?P<name>現状・課題|現状と課題|具体的要求内容|具体的な要求内容)\s*[>＞〉】\]]\s*$")
_DEMAND = re.compile(r"^[\(（](?P<n>[0-9０-９]{1,2})[\)）]\s*(?P<text>.*)$")
_CATEGORY = re.compile(r"^(?:[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+|第[0-9０-９一二三四五六七八九十]+|[IVX]+\.?)\s*(?P<name>\S.*)$")
_ITEM_NO = re.compile(r"^(?P<no>[0-9０-９]{1,3}(?:[-－][0-9０-９]{1,3})?|[\(（][0-9０-９]{1,3}[\)）])\s+(?P<title>.+)$")
_TOC_LINE = re.compile(r"^(?P<title>.+?)[・.…‥\s]{3,}(?P<page>[0-9]{1,4})$")


@dataclass
class RequestItem:
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


def join_wrapped(lines: list[str]) -> str:
    """Join lines that wrap one paragraph: Japanese lines join without a space."""
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if out and re.match(r"[A-Za-z0-9]", out[-1]) and re.match(r"[A-Za-z0-9]", line[0]):
            out += " "
        out += line
    return out


def split_names(text: str) -> list[str]:
    """提案要求先/都所管局 lists: names separated by 「・」 or 「、」."""
    text = re.sub(r"\s+", "", text)
    return [name for name in re.split(r"[・、,，]", text) if name]


def _page_lines(pages: list[dict]) -> list[tuple[int, str]]:
    """(page_number, line) for every content line, page footers dropped."""
    out: list[tuple[int, str]] = []
    for page in pages:
        lines = (page.get("text") or "").split("\n")
        label = page.get("page_label")
        if lines and label and lines[-1].strip().strip("-－ ") == label:
            lines = lines[:-1]
        out.extend((page["page_number"], line) for line in lines if line.strip())
    return out


def parse_toc(pages: list[dict]) -> list[tuple[str, str]]:
    """(title, printed page) pairs from the 目次 page(s)."""
    entries: list[tuple[str, str]] = []
    for page in pages[:6]:
        text = page.get("text") or ""
        if "目次" not in text.replace(" ", ""):
            continue
        for line in text.split("\n"):
            match = _TOC_LINE.match(line.strip())
            if match:
                title = match.group("title").strip()
                no = _ITEM_NO.match(title)
                entries.append(((no.group("title") if no else title).strip(), match.group("page")))
    return entries


def parse_requests(pages: list[dict], taxonomy: dict[str, list[str]]) -> tuple[list[RequestItem], list[str]]:
    """Request items of a 提案要求 document and warnings (目次 cross-check disagreements)."""
    lines = _page_lines(pages)
    labels = {p["page_number"]: p.get("page_label") for p in pages}
    starts = [i for i, (_, line) in enumerate(lines) if _TARGETS_START.match(line)]
    items: list[RequestItem] = []
    category: str | None = None
    cursor = 0
    bounds: list[tuple[int, int, int]] = []  # (title_start, targets_line, end)
    for t in starts:
        # the title is the run of lines before the targets line, back to the previous item's end
        title_start = t
        while title_start - 1 >= cursor and title_start > 0:
            line = lines[title_start - 1][1]
            if _SECTION.match(line) or _DEMAND.match(line) or line.endswith("。") or _BUREAU.match(line):
                break
            title_start -= 1
        bounds.append((title_start, t, 0))
        cursor = t + 1
    for k, (title_start, t, _) in enumerate(bounds):
        end = bounds[k + 1][0] if k + 1 < len(bounds) else len(lines)
        title_lines = [line for _, line in lines[title_start:t]]
        # a category heading may sit on top of the title
        while title_lines and _CATEGORY.match(title_lines[0]):
            category = normalize_text(title_lines[0])
            title_lines = title_lines[1:]
            title_start += 1
        title = join_wrapped(title_lines)
        item_no = None
        match = _ITEM_NO.match(title)
        if match:
            item_no, title = match.group("no"), match.group("title")
        item = RequestItem(item_seq=k + 1, item_no=item_no, category=category, title=title)
        body = lines[t:end]
        item.page_first = lines[title_start][0] if title_start < len(lines) else lines[t][0]
        item.page_last = body[-1][0]
        item.page_label_first = labels.get(item.page_first)
        # targets: from the targets line until the closing parenthesis
        i = 0
        target_text = _TARGETS_START.match(body[0][1]).group("rest")
        while not re.search(rf"{_CLOSE}\s*$", target_text) and i + 1 < len(body):
            i += 1
            target_text += body[i][1]
        item.targets = split_names(re.sub(rf"{_CLOSE}\s*$", "", target_text))
        i += 1
        section = "summary"
        buffers: dict[str, list[str]] = {"summary": [], "background": []}
        demands: list[list[str]] = []
        for _, line in body[i:]:
            bureau = _BUREAU.match(line)
            if bureau and not item.bureaus:
                item.bureaus = split_names(bureau.group("rest"))
                continue
            sec = _SECTION.match(line)
            if sec:
                section = "background" if "現状" in sec.group("name") else "demands"
                continue
            if section == "demands":
                demand = _DEMAND.match(line)
                if demand:
                    demands.append([demand.group("text")])
                elif demands:
                    demands[-1].append(line)
                continue
            buffers[section].append(line)
        item.summary = join_wrapped(buffers["summary"])
        item.background = join_wrapped(buffers["background"])
        item.demands = [join_wrapped(d) for d in demands]
        item.text = "\n".join(line for _, line in lines[title_start:end])
        item.tags = tags_for(" ".join([item.title, item.summary, item.background, *item.demands]), taxonomy)
        items.append(item)
    warnings = cross_check_toc(items, parse_toc(pages))
    return items, warnings


def cross_check_toc(items: list[RequestItem], toc: list[tuple[str, str]]) -> list[str]:
    """Compare items found with the 目次: count, titles and printed pages."""
    if not toc:
        return ["目次 not found: items could not be cross-checked"] if items else []
    warnings: list[str] = []
    if len(toc) != len(items):
        warnings.append(f"目次 lists {len(toc)} items but {len(items)} were found")
    for (title, label), item in zip(toc, items, strict=False):
        if title.replace(" ", "") != item.title.replace(" ", ""):
            warnings.append(f"item {item.item_seq}: title {item.title!r} differs from 目次 {title!r}")
        elif label != (item.page_label_first or ""):
            warnings.append(f"item {item.item_seq}: on page {item.page_label_first} but 目次 says {label}")
    return warnings

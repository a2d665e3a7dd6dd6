"""Request items parsed from 提案要求 PDFs whose ground truth is known, field by field.

Each variant of `tests.fixtures.teian_doc` is written once per module and parsed through the same
path as the flow (pdfplumber → extract_page → assemble_document → parse_requests); every field of
every item is compared with what the generator wrote. Smaller tests feed page text directly.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pdfplumber
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fixtures.make_samples import SAMPLE_ITEMS
from tests.fixtures.pdfgen import ipaex_available
from tests.fixtures.teian_doc import (
    VARIANTS,
    TeianDocument,
    TeianItem,
    overview_themes,
    variant_document,
    write_teian_pdf,
)
from transforms.assemble.document import assemble_document
from transforms.extract.page import extract_page
from transforms.kinds.teian import (
    RequestItem,
    category_name,
    parse_overview,
    parse_requests,
    parse_toc,
    split_names,
    without_margin_tabs,
)
from transforms.normalize.text import join_wrapped, normalize_text
from transforms.records import DocumentInfo, PageRecord
from transforms.tags import load_default_taxonomy, parse_taxonomy, tags_for

SAMPLE_PDF = Path(__file__).resolve().parents[1] / "data" / "samples" / "teian-sample.pdf"
TAXONOMY = load_default_taxonomy()
FIELDS = [f.name for f in dataclasses.fields(RequestItem) if f.name != "text"]


def _nz(text: str) -> str:
    return normalize_text(text) or ""


def _pdf_pages(path: Path) -> tuple[list[dict], list[PageRecord]]:
    """(page records as the flow builds them, extract_page output) for a PDF."""
    with pdfplumber.open(path) as pdf:
        extracted = [extract_page(p) for p in pdf.pages]
    return assemble_document(DocumentInfo("s", "d", "teian"), extracted).pages, extracted


def expected_fields(item: TeianItem, seq: int) -> dict:
    """What the parser must return for an item the generator wrote (text as normalized)."""
    return {
        "item_seq": seq,
        "item_no": _nz(item.item_no) if item.item_no else None,
        "category": _nz(item.category),
        "title": _nz(item.title),
        "targets": [_nz(t) for t in item.targets],
        "bureaus": [_nz(b) for b in item.bureaus],
        "summary": _nz(item.summary),
        "background": _nz(item.background),
        "demands": [_nz(d) for d in item.demands],
        "page_first": item.page_first,
        "page_last": item.page_last,
        "page_label_first": item.page_label_first,
        "tags": item.tags,
    }


@dataclasses.dataclass
class Parsed:
    doc: TeianDocument
    pages: list[dict]
    extracted: list[dict]
    items: list[RequestItem]
    warnings: list[str]
    path: Path


def _write_and_parse(doc: TeianDocument, path: Path) -> Parsed:
    write_teian_pdf(path, doc)
    pages, extracted = _pdf_pages(path)
    items, warnings = parse_requests(pages, TAXONOMY)
    return Parsed(doc, pages, extracted, items, warnings, path)


@pytest.fixture(scope="module", params=VARIANTS)
def parsed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Parsed:
    name = request.param
    if name.startswith("ipaex") and not ipaex_available():
        pytest.skip("IPAex fonts not installed (apt-get install fonts-ipaexfont)")
    doc = variant_document(name)
    return _write_and_parse(doc, tmp_path_factory.mktemp("teian") / f"{name}.pdf")


# -- every field of every item, in every variant ----------------------------------------------------


def test_finds_every_item_without_warnings(parsed: Parsed) -> None:
    assert len(parsed.items) == len(parsed.doc.items)
    assert parsed.warnings == []


@pytest.mark.parametrize("name", FIELDS)
def test_field_matches_ground_truth(parsed: Parsed, name: str) -> None:
    got = [getattr(item, name) for item in parsed.items]
    want = [expected_fields(item, seq)[name] for seq, item in enumerate(parsed.doc.items, start=1)]
    assert got == want


def test_tables_carried_by_the_pages_change_nothing(parsed: Parsed) -> None:
    with_tables = [
        {**page, "table_rows": ["".join(c or "" for c in row) for t in ex.tables for row in t.rows]}
        for page, ex in zip(parsed.pages, parsed.extracted, strict=True)
    ]
    assert parse_requests(with_tables, TAXONOMY) == (parsed.items, parsed.warnings)


def test_without_printed_page_numbers_one_warning_says_so(parsed: Parsed) -> None:
    unlabeled = [{**page, "page_label": None} for page in parsed.pages]
    items, warnings = parse_requests(unlabeled, TAXONOMY)
    assert warnings == ["no printed page numbers on the item pages: 目次 pages not compared"]
    assert [i.title for i in items] == [i.title for i in parsed.items]


def test_text_is_the_whole_item_and_nothing_else(parsed: Parsed) -> None:
    for k, (got, item) in enumerate(zip(parsed.items, parsed.doc.items, strict=True)):
        flat = got.text.replace("\n", "").replace(" ", "")
        number = _nz(item.item_no or "").replace(" ", "")
        assert flat.startswith(number + _nz(item.title).replace(" ", ""))
        for part in [item.title, item.summary, item.background, *item.demands, *item.targets]:
            assert _nz(part).replace(" ", "") in flat
        assert flat.endswith(_nz(item.demands[-1]).replace(" ", ""))
        if item.table:
            assert "1,250,000" in got.text  # the table stays in the item's text
        assert "- " not in got.text  # no page footer
        if k + 1 < len(parsed.doc.items):
            following = parsed.doc.items[k + 1]
            assert _nz(following.title).replace(" ", "") not in flat
            assert _nz(following.category).replace(" ", "") not in flat


def test_variant_exercises_what_it_claims(parsed: Parsed) -> None:
    """The fixtures must really contain the hard cases, or the field tests prove little."""
    texts = "\n".join(p["text"] for p in parsed.pages)
    assert "スポー\nツ庁" in texts  # a ministry name broken by the line wrap
    assert any(item.page_last > item.page_first for item in parsed.doc.items)  # spans pages
    shared = {item.page_last for item in parsed.doc.items[:-1]} & {
        item.page_first for item in parsed.doc.items[1:]
    }
    assert shared  # a page that ends one item and starts the next
    long_title = parsed.doc.items[2]
    body = "\n".join(p["text"] for p in parsed.pages if p["page_number"] >= long_title.page_first)
    assert _nz(long_title.title) not in body, "the long title wraps"
    assert _nz(long_title.title) in body.replace("\n", "")
    table_page = parsed.doc.items[1].page_first
    assert parsed.extracted[table_page - 1].tables, "the ruled table is found by the tables path"
    raws = "\n".join(p["text_raw"] for p in parsed.pages)
    style = parsed.doc.style
    assert f"{style.section_open}現状・課題{style.section_close}" in raws
    if style.keyed_blocks:
        assert f"{style.section_open}提案要求先{style.section_close}" in raws
    else:
        after_marker = r"\s" if style.marker_space else r"[^\s]"
        assert re.search(re.escape(f"{style.paren_open}提案要求先") + after_marker, raws)
    if len(parsed.doc.items) > 20:
        toc = parse_toc(parsed.pages)
        assert toc is not None and toc.last_page == 3, "the 目次 runs over two pages"
        assert "(都所管局政策企画局・" in texts.replace(" ", "")
        assert (
            "(都所管局政策企画局・総務局・財務局・主税局・生活文化スポーツ局・都市整備局・環境局・福祉局・保健医療局・産業労働局・建設局・港湾局・デジタルサービス局)"
            not in texts.replace(" ", "")
        ), "the bureau list wraps"
    if style.running_title:
        assert raws.count(style.running_title) >= 3
        assert all(style.running_title not in item.text for item in parsed.items)
    if style.letter_spaced_categories:
        spaced = " ".join(parsed.doc.items[0].category.split("　")[-1])
        assert spaced in raws
    if parsed.doc.overview:
        overview = parse_overview(without_margin_tabs(parsed.pages))
        assert overview is not None
        printed = [
            (
                no,
                _nz(name),
                [
                    (_nz(f"○ {t}"[: parsed.doc.style.chars_per_line])[2:], _nz(g))
                    for t, g in bullets
                ],
            )
            for no, name, bullets in overview_themes(parsed.doc.items)
        ]
        got = [(t.no, t.name, list(zip(t.bullets, t.gists, strict=True))) for t in overview.themes]
        assert got == printed
        long_title = _nz(parsed.doc.items[2].title)
        shortened = overview.themes[1].bullets[0]
        assert shortened != long_title and long_title.startswith(shortened), "a shortened bullet"
    if parsed.doc.margin_tab:
        tab = parsed.doc.margin_tab
        # vertical text read in order gives the tab as one line; read line by line, one
        # character per line (the page-text tests below feed that form)
        on_pages = [
            p
            for p in parsed.pages
            if tab in p["text_raw"].split("\n") or "\n".join(tab) in p["text_raw"]
        ]
        assert len(on_pages) == len(parsed.pages) - 1  # every page but the cover
        for item in parsed.items:
            assert tab not in item.text.replace("\n", "")
            assert not set(item.text.split("\n")) & set(tab)


def test_font_embedding_matches_the_style(parsed: Parsed) -> None:
    """IPAex variants embed TrueType subsets; CID variants name fonts the reader must supply."""
    data = parsed.path.read_bytes()
    assert (b"/FontFile2" in data) == (parsed.doc.font_style == "ipaex")
    assert (b"/HeiseiMin-W3" in data) == (parsed.doc.font_style == "cid")


# -- the 目次 cross-check -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_parsed(tmp_path_factory: pytest.TempPathFactory) -> Parsed:
    return _write_and_parse(
        variant_document("default"), tmp_path_factory.mktemp("teian") / "default.pdf"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"toc_overrides": {1: (None, "99")}}, "目次 says 99"),
        (
            {"toc_overrides": {3: ("文化資源を活用した観光の振興", None)}},
            "not found among the items",
        ),
        ({"toc_omit": {4}}, "目次 lists 4 items but 5 were found"),
    ],
    ids=["wrong-page", "wrong-title", "missing-entry"],
)
def test_wrong_toc_gives_a_warning(
    change: dict, expected: str, tmp_path_factory: pytest.TempPathFactory, default_parsed: Parsed
) -> None:
    doc = dataclasses.replace(variant_document("default"), **change)
    result = _write_and_parse(doc, tmp_path_factory.mktemp("teian") / "wrong.pdf")
    assert any(expected in w for w in result.warnings), result.warnings
    # the items themselves are still parsed in full
    assert [i.title for i in result.items] == [i.title for i in default_parsed.items]


def test_toc_lists_titles_and_pages(default_parsed: Parsed) -> None:
    toc = parse_toc(default_parsed.pages)
    assert toc is not None
    assert [(e.item_no, e.title, e.page_label) for e in toc.entries] == [
        (_nz(i.item_no or ""), _nz(i.title), i.page_label_first) for i in default_parsed.doc.items
    ]
    assert toc.categories == ["I 安全・安心の確保", "II スポーツ・文化の振興", "III 福祉・子育て"]


def test_bundled_sample_parses_cleanly(tmp_path: Path) -> None:
    """The committed sample parses without warnings and is what the generator writes today."""
    truth = [dataclasses.replace(item) for item in SAMPLE_ITEMS]
    write_teian_pdf(tmp_path / "sample.pdf", TeianDocument(title="見本", items=truth))
    pages, _ = _pdf_pages(SAMPLE_PDF)
    items, warnings = parse_requests(pages, TAXONOMY)
    assert warnings == []
    assert [i.title for i in items] == [_nz(i.title) for i in SAMPLE_ITEMS]
    assert [i.bureaus for i in items][2] == ["オリンピック・パラリンピック準備局"]
    assert [i.category for i in items] == ["I 安全・安心", "I 安全・安心", "II スポーツ・文化"]
    assert "1,250,000" not in items[1].background
    assert [(i.page_first, i.page_last, i.page_label_first) for i in items] == [
        (i.page_first, i.page_last, i.page_label_first) for i in truth
    ]


# -- page text fed directly ---------------------------------------------------------------------------


def _page(n: int, lines: list[str], label: str | None = None, footer: bool = True) -> dict:
    raw = "\n".join(lines + ([f"- {label} -"] if label and footer else []))
    return {"page_number": n, "page_label": label, "text": normalize_text(raw)}


def _item_lines(
    title: str, opening: str, closing: str, paren: tuple[str, str], space: str, numbers: str = "(n)"
) -> list[str]:
    op, cl = paren
    number = {"(n)": "({n})", "full": "（{n}）", "circled": "{c}"}[numbers]
    return [
        title,
        f"{op}提案要求先{space}内閣官房・スポー",
        f"ツ庁・国土交通省{cl}",
        f"{op}都所管局{space}オリンピック・パラリンピック準備局{cl}",
        "　大会を成功させること。",
        f"{opening}現状・課題{closing}",
        "　準備が必要である。",
        f"{opening}具体的要求内容{closing}",
        number.format(n="１" if numbers == "full" else "1", c="⑴") + "　財政支援を行う",
        "　　こと。",
        number.format(n="２" if numbers == "full" else "2", c="⑵") + "　連携すること。",
    ]


@pytest.mark.parametrize(
    "marks", [("＜", "＞"), ("〈", "〉"), ("<", ">"), ("【", "】"), ("< ", " >")]
)
@pytest.mark.parametrize("paren", [("（", "）"), ("(", ")")])
@pytest.mark.parametrize("space", ["　", "", " ", "："])
@pytest.mark.parametrize("numbers", ["(n)", "full", "circled"])
def test_every_marker_style(
    marks: tuple[str, str], paren: tuple[str, str], space: str, numbers: str
) -> None:
    toc = _page(1, ["目　次", "Ⅰ　大会", "１　大会の成功・・・・・・ 1"])
    body = _page(
        2, ["Ⅰ　大　会", *_item_lines("１　大会の成功", *marks, paren, space, numbers)], "1"
    )
    items, warnings = parse_requests([toc, body], TAXONOMY)
    assert warnings == []
    [item] = items
    assert (item.item_no, item.category, item.title) == ("1", "I 大会", "大会の成功")
    assert item.targets == ["内閣官房", "スポーツ庁", "国土交通省"]
    assert item.bureaus == ["オリンピック・パラリンピック準備局"]
    assert (item.summary, item.background) == ("大会を成功させること。", "準備が必要である。")
    assert item.demands == ["財政支援を行うこと。", "連携すること。"]
    assert (item.page_first, item.page_last, item.page_label_first) == (2, 2, "1")
    assert item.tags == ["olympics"]


@pytest.mark.parametrize("number", ["1", "１", "(1)", "（１）", "1-2", "１－２", None])
def test_item_numbers_as_printed(number: str | None) -> None:
    title = f"{number}　防災対策の推進" if number else "防災対策の推進"
    toc = _page(1, ["目次", f"{title}・・・・・ 5"])
    body = _page(2, _item_lines(title, "＜", "＞", ("（", "）"), "　"), "5")
    [item], warnings = parse_requests([toc, body], TAXONOMY)
    assert warnings == []
    assert item.item_no == (_nz(number) if number else None)
    assert item.title == "防災対策の推進"


def test_unnumbered_title_after_text_without_full_stop_uses_the_toc() -> None:
    """Without a number or a full stop between them, only the 目次 tells where a title starts."""
    first = _item_lines("防災対策の推進", "＜", "＞", ("（", "）"), "　")
    first[-1] = "(2)　連携を図ること"  # no full stop
    second = _item_lines("観光の振興", "＜", "＞", ("（", "）"), "　")
    toc = _page(1, ["目次", "防災対策の推進・・・・ 1", "観光の振興・・・・ 1"])
    items, warnings = parse_requests([toc, _page(2, first + second, "1")], TAXONOMY)
    assert warnings == []
    assert [i.title for i in items] == ["防災対策の推進", "観光の振興"]
    assert items[0].demands[-1] == "連携を図ること"


def test_toc_wrapped_entries_and_categories_with_pages() -> None:
    toc = _page(
        1,
        [
            "目 次",
            "第１章　安全・安心・・・・・・ 1",
            "１　東京２０２０大会に向けたサイバーセキュリティ対策の",
            "　　強化・・・・・・ 1",
            "２　防災・・・・・・ 12",
        ],
    )
    parsed = parse_toc([toc])
    assert parsed is not None
    assert parsed.categories == ["第1章 安全・安心"]
    assert [(e.item_no, e.title, e.page_label) for e in parsed.entries] == [
        ("1", "東京2020大会に向けたサイバーセキュリティ対策の強化", "1"),
        ("2", "防災", "12"),
    ]


def test_missing_parts_and_missing_toc_are_reported() -> None:
    lines = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    no_demands = lines[:7]
    items, warnings = parse_requests([_page(1, no_demands, "1")], TAXONOMY)
    assert len(items) == 1
    assert any("no 具体的要求内容" in w for w in warnings)
    assert any("目次 not found" in w for w in warnings)


def test_a_document_without_items_is_reported() -> None:
    items, warnings = parse_requests([_page(1, ["予算書", "歳入 1,000 2,000"], "1")], TAXONOMY)
    assert items == []
    assert warnings == ["no request items found: no 提案要求先 block in the text"]
    assert parse_requests([], TAXONOMY) == ([], [])


def test_toc_without_items_is_reported() -> None:
    items, warnings = parse_requests(
        [_page(1, ["目次", "１　防災・・・・ 3"]), _page(2, ["本文"])], TAXONOMY
    )
    assert items == []
    assert any("目次 lists 1 items but 0 were found" in w for w in warnings)


def test_footer_and_header_lines_are_not_item_text() -> None:
    lines = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    pages = [
        _page(1, ["目次", "１　防災対策の推進・・・・ 7"]),
        _page(2, ["7", *lines[:6]], "7", footer=False),
        _page(3, [*lines[6:], "－８－"], "8", footer=False),
    ]
    [item], warnings = parse_requests(pages, TAXONOMY)
    assert warnings == []
    assert "7" not in item.text.split("\n") and "8" not in item.text
    assert (item.page_first, item.page_last) == (2, 3)


def test_text_only_table_rows_are_dropped_when_the_page_carries_its_tables() -> None:
    lines = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    lines[6:6] = ["区分 内容", "避難所 備蓄の拡充"]
    page = _page(2, lines, "1")
    page["table_rows"] = ["区分内容", "避難所備蓄の拡充"]
    toc = _page(1, ["目次", "１　防災対策の推進・・・・ 1"])
    [item], warnings = parse_requests([toc, page], TAXONOMY)
    assert warnings == []
    assert item.background == "準備が必要である。"
    assert "避難所" in item.text


def test_figure_rows_and_unit_caption_stay_out_of_prose() -> None:
    lines = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    lines[7:7] = ["(単位：千円)", "区分 本年度 前年度", "耐震化 1,250 △50", "合計 2,080 80"]
    toc = _page(1, ["目次", "１　防災対策の推進・・・・ 1"])
    [item], warnings = parse_requests([toc, _page(2, lines, "1")], TAXONOMY)
    assert warnings == []
    assert item.background == "準備が必要である。"
    assert "1,250" in item.text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(
                [
                    "目次",
                    "１　防災・・・・ 3",
                    "（提案要求先　内閣府",
                    "）",
                    "(都所管局　総務局)",
                    "＜現状・課題＞",
                    "＜具体的要求内容＞",
                    "(1)　支援すること。",
                    "Ⅰ　安全",
                    "本文の続き",
                    "- 3 -",
                    "1,000 2,000",
                    "",
                ]
            ),
            max_size=12,
        ),
        max_size=4,
    )
)
def test_never_crashes_on_scrambled_pages(page_lines: list[list[str]]) -> None:
    pages = [_page(n, lines, str(n)) for n, lines in enumerate(page_lines, start=1)]
    items, warnings = parse_requests(pages, TAXONOMY)
    assert all(isinstance(w, str) for w in warnings)
    assert [i.item_seq for i in items] == list(range(1, len(items) + 1))


# -- helpers and tags ---------------------------------------------------------------------------------


def test_split_names_keeps_names_that_contain_a_middle_dot() -> None:
    assert split_names("オリンピック・パラリンピック準備局・青少年・治安対策本部、総務局") == [
        "オリンピック・パラリンピック準備局",
        "青少年・治安対策本部",
        "総務局",
    ]
    assert split_names("内閣官房・スポー ツ庁・国土交通省（観光庁）") == [
        "内閣官房",
        "スポーツ庁",
        "国土交通省（観光庁）",
    ]
    assert split_names(
        "国立国会図書館・内閣府（防災・原子力）・総務省等・スタートアップ・国際金融都市戦略室"
    ) == [
        "国立国会図書館",
        "内閣府（防災・原子力）",
        "総務省等",
        "スタートアップ・国際金融都市戦略室",
    ]


@pytest.mark.parametrize(
    "heading", ["第１章　安全・安心", "第 1 章 安 全 ・ 安 心", "第1章安全・安心"]
)
def test_category_name_ignores_spacing(heading: str) -> None:
    assert category_name(_nz(heading)) == "第1章 安全・安心"


def test_join_wrapped_joins_prose_without_spaces_but_keeps_cell_figures_apart() -> None:
    assert join_wrapped(["東京20", "20大会の", " 成功"], prose=True) == "東京2020大会の成功"
    assert join_wrapped(["Society", "5.0", "open", "data"], prose=True) == "Society5.0open data"
    assert join_wrapped(["国土交通", "省"]) == "国土交通省"
    assert join_wrapped(["1,234", "5,678"]) == "1,234 5,678"  # two figures in one cell
    assert join_wrapped(["9:00-", "12:00"]) == "9:00-12:00"


def test_tags_match_normalized_keywords() -> None:
    taxonomy = parse_taxonomy('[tags]\ncyber = ["ｻｲﾊﾞｰ"]\nquake = ["震災"]\n')
    assert taxonomy == {"cyber": ["サイバー"], "quake": ["震災"]}
    assert tags_for("サイバー攻撃と震災", taxonomy) == ["cyber", "quake"]
    assert tags_for("なし", taxonomy) == []
    for tag in ("cyber", "terrorism", "olympics", "disaster"):
        assert tag in TAXONOMY
    assert tags_for("不正アクセス", TAXONOMY) == ["cyber"]


# -- layouts seen in other editions -------------------------------------------------------------------


def test_key_in_brackets_without_closing_bracket() -> None:
    """「【提案要求先】…」: the list has no closing bracket and ends where the names end."""
    lines = [
        "１　大会の成功",
        "【提案要求先】内閣官房・内閣府・スポー",
        "ツ庁・国土交通省",
        "【都所管局】オリンピック・パラリンピック準備局",
        "　大会を成功させ、国と連携するこ",
        "と。",
        "＜現状・課題＞",
        "　準備が必要である。",
        "＜具体的要求内容＞",
        "(1)　財政支援を行うこと。",
    ]
    toc = _page(1, ["目次", "１　大会の成功・・・・ 1"])
    [item], warnings = parse_requests([toc, _page(2, lines, "1")], TAXONOMY)
    assert warnings == []
    assert item.targets == ["内閣官房", "内閣府", "スポーツ庁", "国土交通省"]
    assert item.bureaus == ["オリンピック・パラリンピック準備局"]
    assert item.summary == "大会を成功させ、国と連携すること。"


def test_title_and_blocks_on_one_line() -> None:
    lines = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    lines[0:4] = [
        "１　防災対策の推進　（提案要求先　内閣府・総務省）　（都所管局　総務局・都市整備局）"
    ]
    toc = _page(1, ["目次", "１　防災対策の推進・・・・ 1"])
    [item], warnings = parse_requests([toc, _page(2, lines, "1")], TAXONOMY)
    assert warnings == []
    assert (item.targets, item.bureaus) == (["内閣府", "総務省"], ["総務局", "都市整備局"])


def test_item_number_on_its_own_line() -> None:
    toc = _page(
        1, ["目次", "頁", "1", "防災対策の推進・・・・・・・7", "2", "観光の振興・・・・・・・7"]
    )
    first = _item_lines("防災対策の推進", "＜", "＞", ("（", "）"), "　")
    second = _item_lines("観光の振興", "＜", "＞", ("（", "）"), "　")
    items, warnings = parse_requests([toc, _page(2, ["1", *first, "2", *second], "7")], TAXONOMY)
    assert warnings == []
    assert [(i.item_no, i.title) for i in items] == [("1", "防災対策の推進"), ("2", "観光の振興")]


def test_running_title_is_not_item_text() -> None:
    head = "国の施策及び予算に対する東京都の提案要求"
    lines = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    long_background = ["　準備が必要であり、", "対策を急ぐ必要があ", "る。"]
    lines[6:7] = long_background
    pages = [
        _page(1, ["目次", "１　防災対策の推進・・・・ 1", "２　観光の振興・・・・ 3"]),
        _page(2, [head, *lines[:7]], "1"),
        _page(3, [head, *lines[7:]], "2"),
        _page(4, [head, *_item_lines("２　観光の振興", "＜", "＞", ("（", "）"), "　")], "3"),
    ]
    items, warnings = parse_requests(pages, TAXONOMY)
    assert warnings == []
    assert items[0].background == "準備が必要であり、対策を急ぐ必要がある。"
    assert head not in items[0].text and head not in items[1].text


def test_toc_front_matter_and_unnumbered_headings_with_pages() -> None:
    toc = _page(
        1,
        [
            "目次",
            "はじめに・・・・・ i",
            "はじめに・・・・・ 1",
            "安全・安心の確保・・・・・ 2",
            "１　防災対策の推進・・・・・ 2",
            "２　治安対策・・・・・ 5",
            "福祉・子育て・・・・・ 8",
            "３　子育て支援・・・・・ 8",
            "４　介護・・・・・ 9",
        ],
    )
    parsed = parse_toc([toc])
    assert parsed is not None
    assert [(e.item_no, e.title, e.category) for e in parsed.entries] == [
        ("1", "防災対策の推進", "安全・安心の確保"),
        ("2", "治安対策", "安全・安心の確保"),
        ("3", "子育て支援", "福祉・子育て"),
        ("4", "介護", "福祉・子育て"),
    ]
    assert set(parsed.categories) == {"安全・安心の確保", "福祉・子育て"}


def test_reference_section_and_notes_stay_out_of_demands() -> None:
    lines = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    lines[7:7] = ["※ 令和６年度末時点"]
    lines += ["＜参考＞", "　関連する計画の概要"]
    toc = _page(1, ["目次", "１　防災対策の推進・・・・ 1"])
    [item], warnings = parse_requests([toc, _page(2, lines, "1")], TAXONOMY)
    assert warnings == []
    assert item.background == "準備が必要である。"
    assert item.demands == ["財政支援を行うこと。", "連携すること。"]
    assert "関連する計画の概要" in item.text and "令和6年度末時点" in item.text


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        (
            ["①　財政支援を行うこと。", "②　連携すること。"],
            ["財政支援を行うこと。", "連携すること。"],
        ),
        (
            ["(1)　次の支援を行うこと。", "①　財政支援", "②　人的支援", "(2)　連携すること。"],
            ["次の支援を行うこと。①財政支援②人的支援", "連携すること。"],
        ),
    ],
    ids=["circled", "circled-under-parenthesized"],
)
def test_demand_numbering_kinds(numbers: list[str], expected: list[str]) -> None:
    lines = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")[:8] + numbers
    toc = _page(1, ["目次", "１　防災対策の推進・・・・ 1"])
    [item], warnings = parse_requests([toc, _page(2, lines, "1")], TAXONOMY)
    assert warnings == []
    assert [d.replace(" ", "") for d in item.demands] == expected


@pytest.mark.parametrize(
    "toml",
    [
        '[tags]\ncyber = "サイバー"\n',
        '[tags]\nCyber = ["サイバー"]\n',
        "tags = 3\n",
        "[tags]\nx = [1]\n",
    ],
)
def test_malformed_taxonomy_is_rejected(toml: str) -> None:
    with pytest.raises(ValueError, match="taxonomy"):
        parse_taxonomy(toml)


def test_category_missing_from_the_body_is_reported() -> None:
    toc = _page(1, ["目次", "Ⅰ　安全", "１　防災対策の推進・・・・ 1"])
    body = _page(2, _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　"), "1")
    [item], warnings = parse_requests([toc, body], TAXONOMY)
    assert item.category is None
    assert any("目次 says 'I 安全'" in w for w in warnings), warnings


@pytest.mark.parametrize(
    ("targets_line", "bureaus_line"),
    [
        ("（提案要求先省庁　内閣府・総務省）", "（都所管局　総務局）"),
        ("（提案要求先：内閣府・総務省）", "（都担当局：総務局）"),
    ],
)
def test_key_spellings(targets_line: str, bureaus_line: str) -> None:
    lines = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    lines[1:4] = [targets_line, bureaus_line]
    toc = _page(1, ["目次", "１　防災対策の推進・・・・ 1"])
    [item], warnings = parse_requests([toc, _page(2, lines, "1")], TAXONOMY)
    assert warnings == []
    assert (item.targets, item.bureaus) == (["内閣府", "総務省"], ["総務局"])


def test_title_at_the_foot_of_a_page_and_its_blocks_on_the_next() -> None:
    first = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    second = _item_lines("２　観光の振興", "＜", "＞", ("（", "）"), "　")
    pages = [
        _page(
            1,
            [
                "目次",
                "Ⅰ　安全",
                "１　防災対策の推進・・・・ 1",
                "Ⅱ　観光",
                "２　観光の振興・・・・ 1",
            ],
        ),
        _page(2, ["Ⅰ　安全", *first, "Ⅱ　観光", second[0]], "1"),
        _page(3, second[1:], "2"),
    ]
    items, warnings = parse_requests(pages, TAXONOMY)
    assert warnings == []
    assert [(i.title, i.category, i.page_first, i.page_last) for i in items] == [
        ("防災対策の推進", "I 安全", 2, 2),
        ("観光の振興", "II 観光", 2, 3),
    ]
    assert "観光" not in items[0].text


# -- an 一括版: the 概要 and the margin tab ------------------------------------------------------------

_OVERVIEW = [
    "最重点事項の概要",
    "１　安全・安心",
    "○　防災対策の推進",
    "国が取り組む施策の明確化と着実な実施",
    "○　観光の振興",
]


def _ikkatsu(overview: list[str], second_category: str = "Ⅰ　安全") -> list[dict]:
    first = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    second = _item_lines("２　観光の振興", "＜", "＞", ("（", "）"), "　")
    toc = ["目次", "Ⅰ　安全", "１　防災対策の推進・・・・ 1"]
    if second_category != "Ⅰ　安全":
        toc.append(second_category)
    toc.append("２　観光の振興・・・・ 1")
    body = ["Ⅰ　安全", *first]
    if second_category != "Ⅰ　安全":
        body.append(second_category)
    return [_page(1, toc), _page(2, overview), _page(3, [*body, *second], "1")]


def test_overview_is_a_cross_check_not_items() -> None:
    items, warnings = parse_requests(_ikkatsu(_OVERVIEW), TAXONOMY)
    assert warnings == []
    assert [i.title for i in items] == ["防災対策の推進", "観光の振興"]
    assert all("概要" not in i.text and "○" not in i.text for i in items)


@pytest.mark.parametrize(
    ("overview", "category", "expected"),
    [
        (_OVERVIEW[:4], "Ⅰ　安全", "item 2 '観光の振興' is not in the 概要"),
        (
            [*_OVERVIEW, "○　子育て支援の充実"],
            "Ⅰ　安全",
            "概要 lists '子育て支援の充実' (theme 1 安全・安心) but no such item was found",
        ),
        (
            [*_OVERVIEW[:4], "２　観光", "観光の振興を図る", "○　観光の振興"],
            "Ⅱ　安全・安心",
            "under 'II 安全・安心' but 概要 lists it under theme 2 観光",
        ),
    ],
    ids=["item-missing-from-overview", "bullet-without-item", "other-theme"],
)
def test_overview_disagreements_are_warnings(
    overview: list[str], category: str, expected: str
) -> None:
    items, warnings = parse_requests(_ikkatsu(overview, category), TAXONOMY)
    assert len(items) == 2
    assert any(expected in w for w in warnings), warnings


def test_overview_bullets_may_shorten_or_wrap_the_titles() -> None:
    overview = [
        "概　要",
        "1 安全・安心",
        "○　首都直下地震等に備えた防災対",
        "策の推進",
        "○　観光の振興",
        "国と都が連携した観光施策の展開",
    ]
    pages = _ikkatsu(overview)
    for page in pages[0], pages[2]:
        page["text"] = page["text"].replace(
            "防災対策の推進", "首都直下地震等に備えた防災対策の推進"
        )
    found = parse_overview(pages)
    assert found is not None
    assert found.themes[0].bullets == ["首都直下地震等に備えた防災対", "観光の振興"]
    assert found.themes[0].gists == ["策の推進", "国と都が連携した観光施策の展開"]
    assert parse_requests(pages, TAXONOMY)[1] == []


@pytest.mark.parametrize("one_line", [False, True], ids=["one-char-per-line", "one-line"])
def test_a_margin_tab_is_not_item_text(one_line: bool) -> None:
    """「最重点事項」 down the page edge: its characters come between the body's lines (or, read
    as vertical text, as one line of their own), even inside a wrapped paragraph."""
    lines = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    lines[4:5] = ["　大会を成功させ、国と連携するこ", "と。"]
    tab = ["最重点事項"] if one_line else list("最重点事項")

    def with_tab(body: list[str], at: int) -> list[str]:
        return (
            body[:at]
            + (tab if one_line else [tab[0]])
            + body[at : at + 1]
            + ([] if one_line else tab[1:])
            + body[at + 1 :]
        )

    toc = _page(1, ["目次", *with_tab(["１　防災対策の推進・・・・ 1"], 0)])
    pages = [toc, _page(2, with_tab(lines[:6], 5), "1"), _page(3, with_tab(lines[6:], 1), "2")]
    [item], warnings = parse_requests(pages, TAXONOMY)
    assert warnings == []
    assert item.summary == "大会を成功させ、国と連携すること。"
    assert item.demands == ["財政支援を行うこと。", "連携すること。"]
    assert not set(item.text.split("\n")) & {"最", "重", "点", "事", "項", "最重点事項"}


def test_single_characters_that_are_not_a_tab_stay() -> None:
    lines = _item_lines("１　防災対策の推進", "＜", "＞", ("（", "）"), "　")
    lines[6:7] = ["　準備が必要であ", "る"]  # a paragraph whose last line is one character
    toc = _page(1, ["目次", "１　防災対策の推進・・・・ 1"])
    [item], warnings = parse_requests([toc, _page(2, lines, "1")], TAXONOMY)
    assert item.background == "準備が必要である"

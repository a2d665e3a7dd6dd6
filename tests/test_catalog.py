from pathlib import Path

import pytest

from transforms.catalog import CatalogError, parse_catalog

GOOD = """
[[source]]
id = "tokyo-teian-2014-autumn"
title = "平成26年度 国の予算編成に対する東京都の提案要求"
publisher = "東京都"
kind = "teian"
edition = "autumn"
url = "http://www.chijihon.metro.tokyo.jp/kouiki/teian/teian_26aki/26_aki.pdf"

[[source]]
id = "local-file"
title = "令和8年度 予算書"
url = "docs/budget.pdf"
"""


def test_good_catalog_parses_and_derives_fiscal_year(tmp_path: Path) -> None:
    sources = parse_catalog(GOOD, base_dir=tmp_path).sources
    assert [s.id for s in sources] == ["tokyo-teian-2014-autumn", "local-file"]
    assert sources[0].fiscal_year == 2014
    assert sources[0].kind == "teian" and sources[0].is_remote
    assert sources[1].kind == "generic"
    assert sources[1].fiscal_year == 2026
    assert sources[1].url == str(tmp_path / "docs" / "budget.pdf")


def test_explicit_fiscal_year_wins() -> None:
    sources = parse_catalog(
        '[[source]]\nid="a"\ntitle="平成26年度"\nfiscal_year=2020\nurl="/x.pdf"\n'
    ).sources
    assert sources[0].fiscal_year == 2020


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[source]]\nid="a"\ntitle="t"\nurl="/x.pdf"\ncolour="red"\n', "unknown keys ['colour']"),
        (
            '[[source]]\nid="a"\ntitle="t"\nurl="/x.pdf"\n[[source]]\nid="a"\ntitle="t"\nurl="/y.pdf"\n',
            "duplicate id",
        ),
        ('[[source]]\nid="a"\ntitle="t"\nurl="ftp://host/x.pdf"\n', "unsupported scheme"),
        ('[[source]]\nid="a"\ntitle="t"\nurl="http:///x.pdf"\n', "not a valid URL"),
        (
            '[[source]]\nid="a"\ntitle="t"\nurl="/x.pdf"\nkind="ledger"\n',
            "kind 'ledger' is not one of",
        ),
        ('[[source]]\nid="Bad_Id"\ntitle="t"\nurl="/x.pdf"\n', "id must match"),
        ('[[source]]\ntitle="t"\nurl="/x.pdf"\n', "missing required key 'id'"),
        ("[[source]\n", "not valid TOML"),
    ],
)
def test_bad_catalogs_name_the_problem(text: str, expected: str) -> None:
    with pytest.raises(CatalogError) as info:
        parse_catalog(text)
    assert any(expected in problem for problem in info.value.problems), info.value.problems


def test_every_problem_is_reported_at_once() -> None:
    text = (
        '[[source]]\nid="a"\ntitle="t"\nurl="gopher://x"\n'
        '[[source]]\nid="b"\ntitle="t"\nurl="/x.pdf"\nkind="nope"\nextra=1\n'
    )
    with pytest.raises(CatalogError) as info:
        parse_catalog(text)
    assert len(info.value.problems) == 3
    assert all(
        p.startswith("source 'a'") or p.startswith("source 'b'") for p in info.value.problems
    )


def test_real_catalogs_are_valid() -> None:
    root = Path(__file__).resolve().parent.parent
    for path in (root / "sources.toml", root / "data" / "samples" / "catalog.toml"):
        catalog = parse_catalog(path.read_text(encoding="utf-8"), base_dir=path.parent)
        assert catalog.sources or catalog.indexes, path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[source]]\nid="nl\\n"\ntitle="t"\nurl="/x.pdf"\n', "id must match"),
        (f'[[source]]\nid="{"a" * 101}"\ntitle="t"\nurl="/x.pdf"\n', "more than 100"),
        ("source = [1, 2]\n", "source #1: must be a table"),
        ("source = [[1], [2]]\n", "must be a table"),
        ('[[source]]\nid="a"\ntitle="t"\nurl="http://[::1/x.pdf"\n', "not a valid URL"),
        (
            '[[source]]\nid="a"\ntitle="t"\nurl="http://127.0.0.1:99999/x.pdf"\n',
            "Port out of range",
        ),
        ('[[source]]\nid="a"\ntitle="t"\nurl="http://127.0.0.1:0/x.pdf"\n', "port 0"),
        ('[[source]]\nid="a"\ntitle="t"\nurl="http://:80/x.pdf"\n', "no host"),
        ('[[source]]\nid="a"\ntitle="t"\nurl="file://etc/passwd"\n', "names a host"),
        ('[[source]]\nid="a"\ntitle="t"\nurl="/x\\u0000.pdf"\n', "control characters"),
        ('[[source]]\nid="a"\ntitle="t"\nurl="http://h/x\\t.pdf"\n', "control characters"),
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "not valid TOML"),
    ],
    ids=[
        "id-newline",
        "id-too-long",
        "ints",
        "arrays",
        "ipv6-bracket",
        "port-too-big",
        "port-zero",
        "no-host",
        "file-host",
        "nul-in-path",
        "tab-in-url",
        "deep-nesting",
    ],
)
def test_hostile_catalogs_name_the_problem(text: str, expected: str) -> None:
    with pytest.raises(CatalogError) as info:
        parse_catalog(text)
    assert any(expected in problem for problem in info.value.problems), info.value.problems
    assert all("\n" not in problem for problem in info.value.problems)


def test_a_catalog_with_a_byte_order_mark_parses() -> None:
    [source] = parse_catalog('\ufeff[[source]]\nid="a"\ntitle="t"\nurl="/x.pdf"\n').sources
    assert source.id == "a"


def test_an_upper_case_scheme_is_an_http_url() -> None:
    [source] = parse_catalog(
        '[[source]]\nid="a"\ntitle="t"\nurl="HTTPS://Example.org/x.pdf"\n'
    ).sources
    assert source.url == "https://Example.org/x.pdf" and source.is_remote

"""Discovery: [[index]] pages served by a real HTTP server on 127.0.0.1, read by the flow.

A weekly run against a site whose index gains a link picks up the new edition without the
catalog changing; hostile links (file://, other hosts, a redirect to another host, ten thousand
links) are never fetched; an archive prefix is listed through a loopback server that answers
in the Internet Archive's CDX format. The same server answers as `127.0.0.1` and `localhost`,
two host names: a link to the other name is "another host" although it would reach the server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.runner import run_refresh
from flows.store import DataDir, read_index_state
from tests.fixtures.editions import write_lineage
from tests.httpserver import FixtureServer, Route
from transforms.catalog import CatalogError, Index, parse_catalog
from transforms.discover import (
    Link,
    TooManyLinks,
    choose_links,
    decode_page,
    discovered_source,
    file_slug,
    new_source_id,
    page_links,
    parse_cdx,
    same_document_url,
)

R5 = "令和5年度 国の施策及び予算に対する東京都の提案要求"
R6 = "令和6年度 国の施策及び予算に対する東京都の提案要求"


# -- pure: links, filters, ids ---------------------------------------------------------------


def test_page_links_resolve_against_the_page_and_its_base() -> None:
    html = """<html><head><base href="/docs/"></head><body>
      <a href="r5.pdf#page=3">令和5年度
         提案要求</a>
      <a href="../other/x.pdf" title="題名"><img src="i.png" alt="画像の説明"></a>
      <a href="y.pdf" title="題名だけ"></a>
      <a name="no-href">anchor</a>
      <a href="&#x7a;.pdf">&amp; entity</a>
    </body></html>"""
    links = page_links(html, "http://example.jp/teian/index.html")
    assert links == [
        Link("http://example.jp/docs/r5.pdf", "令和5年度 提案要求"),
        Link("http://example.jp/other/x.pdf", "画像の説明"),
        Link("http://example.jp/docs/y.pdf", "題名だけ"),
        Link("http://example.jp/docs/z.pdf", "& entity"),
    ]


def test_a_base_that_is_not_http_is_ignored() -> None:
    links = page_links('<base href="file:///etc/"><a href="x.pdf">x</a>', "https://a.jp/i.html")
    assert links == [Link("https://a.jp/x.pdf", "x")]


def _index(**kw) -> Index:
    return Index(id="ix", kind="teian", url="http://example.jp/teian/index.html", **kw)


def test_only_http_links_on_allowed_hosts_matching_the_pattern_are_taken() -> None:
    links = [
        Link("http://example.jp/a.pdf", "a"),
        Link("http://example.jp/a.pdf", "again"),  # the same link twice: taken once
        Link("https://EXAMPLE.jp/b.PDF", "b"),
        Link("file:///etc/passwd.pdf"),
        Link("javascript:alert('x.pdf')"),
        Link("ftp://example.jp/c.pdf"),
        Link("http://evil.example/d.pdf"),
        Link("http://example.jp.evil.example/e.pdf"),
        Link("http://user@evil.example/f.pdf"),
        Link("http://example.jp/page.html"),
    ]
    choice = choose_links(links, _index())
    assert [link.url for link in choice.taken] == [
        "http://example.jp/a.pdf",
        "https://EXAMPLE.jp/b.PDF",
    ]
    assert choice.unmatched == 1
    refused = {url for urls in choice.refused.values() for url in urls}
    assert refused == {
        "file:///etc/passwd.pdf",
        "javascript:alert('x.pdf')",
        "ftp://example.jp/c.pdf",
        "http://evil.example/d.pdf",
        "http://example.jp.evil.example/e.pdf",
        "http://user@evil.example/f.pdf",
    }
    notes = choice.notes("ix")
    assert any("file scheme" in n and "file:///etc/passwd.pdf" in n for n in notes)
    assert any("host not allowed" in n and "3 link(s)" in n for n in notes)
    other = choose_links(links, _index(hosts=("evil.example",)))
    assert [link.url for link in other.taken] == [
        "http://evil.example/d.pdf",
        "http://user@evil.example/f.pdf",
    ]


def test_ten_thousand_links_take_none() -> None:
    links = [Link(f"http://example.jp/flood/{n}.pdf") for n in range(10_000)]
    with pytest.raises(TooManyLinks, match="10000 links match, more than max_links = 200"):
        choose_links(links, _index())
    assert len(choose_links(links[:200], _index()).taken) == 200


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://x.jp/collaboration/pdf/r5_kouki_zentai_shiori_2.pdf", "r5-kouki-zentai-shiori-2"),
        ("http://x.jp/teian_26aki/26_aki.pdf?v=1", "26-aki"),
        ("http://x.jp/%E6%8F%90%E6%A1%88%E8%A6%81%E6%B1%82.pdf", ""),
        ("http://x.jp/R6%20Teian%EF%BC%88%E5%85%A8%E4%BD%93%EF%BC%89.PDF", "r6-teian"),
    ],
)
def test_file_slugs(url: str, slug: str) -> None:
    assert file_slug(url) == slug


def test_new_ids_never_collide_and_do_not_depend_on_later_links() -> None:
    taken = {"ix-zentai"}
    first = new_source_id("ix", "http://x.jp/r5/zentai.pdf", taken)
    assert first == "ix-r5-zentai"
    taken.add(first)
    again = new_source_id("ix", "http://x.jp/old/r5/zentai.pdf", taken)
    assert again.startswith("ix-zentai-") and again not in taken
    assert new_source_id("ix", "http://x.jp/提案要求.pdf", set()).startswith("ix-")


def test_a_discovered_source_takes_its_year_and_edition_from_the_link_text() -> None:
    source = discovered_source(
        _index(publisher="東京都"),
        "ix-r5",
        "http://example.jp/r5.pdf",
        "令和5年度 国の予算編成に対する東京都の提案要求（最重点事項・一括版）",
    )
    assert (source.fiscal_year, source.edition, source.kind, source.index) == (
        2023,
        "autumn",
        "teian",
        "ix",
    )
    assert source.hosts == ("example.jp",)


def test_cdx_answers_are_parsed_and_checked() -> None:
    text = json.dumps(
        [
            ["urlkey", "timestamp", "original", "mimetype", "statuscode"],
            ["jp,x)/a.pdf", "20150301000000", "http://www.x.jp/a.pdf", "application/pdf", "200"],
            ["jp,x)/b.pdf", "not-a-time", "http://www.x.jp/b.pdf", "application/pdf", "200"],
        ]
    )
    [capture] = parse_cdx(text)
    assert (capture.timestamp, capture.original) == ("20150301000000", "http://www.x.jp/a.pdf")
    assert parse_cdx("") == [] and parse_cdx("[]") == []
    for bad in ("<html>503</html>", '{"a": 1}', '[["no", "fields"]]'):
        with pytest.raises(ValueError, match="not a CDX listing"):
            parse_cdx(bad)


def test_pages_in_shift_jis_are_read() -> None:
    html = '<meta charset="Shift_JIS"><a href="r5.pdf">令和5年度</a>'.encode("cp932")
    assert "令和5年度" in decode_page(html, "text/html")
    assert "令和5年度" in decode_page("令和5年度".encode(), None)
    assert "令和5年度" in decode_page("令和5年度".encode("cp932"), "text/html")


def test_same_document_urls() -> None:
    assert same_document_url(
        "http://www.x.jp:80/kouiki/a.pdf", "https://WWW.x.jp/kouiki/a.pdf"
    ) and not same_document_url("http://www.x.jp/a.pdf", "http://www.x.jp/b.pdf")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('id="ix"\nkind="teian"', "give exactly one of url and archive_prefix"),
        ('id="ix"\nurl="file:///x/index.html"', "must be an http(s) URL"),
        ('id="ix"\nurl="http://a.jp/"\narchive_prefix="a.jp/"', "exactly one"),
        ('id="ix"\narchive_prefix="a.jp/*"', "archive_prefix"),
        ('id="ix"\nurl="http://a.jp/"\nlink="(["', "not a valid regular expression"),
        ('id="ix"\nurl="http://a.jp/"\nhosts="a.jp"', "hosts must be a list"),
        ('id="ix"\nurl="http://a.jp/"\nmax_links=0', "max_links"),
        ('id="ix"\nurl="http://a.jp/"\nkind="nope"', "kind 'nope'"),
        ('id="s"\nurl="http://a.jp/"', "duplicate id"),
        ('id="Bad"\nurl="http://a.jp/"', "id must match"),
        ('id="ix"\nurl="http://a.jp/"\ncolour=1', "unknown keys ['colour']"),
    ],
)
def test_bad_indexes_name_the_problem(entry: str, expected: str) -> None:
    text = f'[[source]]\nid="s"\ntitle="t"\nurl="/x.pdf"\n[[index]]\n{entry}\n'
    with pytest.raises(CatalogError) as info:
        parse_catalog(text)
    assert any(expected in p for p in info.value.problems), info.value.problems


def test_a_good_index_parses() -> None:
    catalog = parse_catalog(
        '[[index]]\nid="tokyo"\nurl="https://A.jp/list.html"\nkind="teian"\npublisher="東京都"\n'
        '[[index]]\nid="old"\narchive_prefix="www.b.jp/teian/"\nkind="teian"\n'
    )
    web, archive = catalog.indexes
    assert web.allowed_hosts == ("a.jp",) and web.link == r"(?i)\.pdf$"
    assert archive.allowed_hosts == ("www.b.jp", "b.jp")
    assert catalog.sources == ()


# -- through the flow ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    paths = write_lineage(tmp_path_factory.mktemp("editions"))
    return {name: path.read_bytes() for name, path in paths.items()}


def _index_page(links: list[tuple[str, str]]) -> bytes:
    items = "".join(f'<li><a href="{href}">{text}</a></li>\n' for href, text in links)
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
        f"<title>提案要求</title></head><body><ul>\n{items}"
        '<li><a href="/news.html">お知らせ</a></li></ul></body></html>'
    )
    return page.encode("cp932")


def _run(catalog: Path, data_dir: Path) -> tuple[object, dict]:
    state, result = run_refresh(
        catalog=str(catalog), data_dir=str(data_dir), workers=2, retry_delays=[0]
    )
    assert result is not None, state.message
    return state, result


def _outcomes(result: dict) -> dict[str, str]:
    return {r["source_id"]: r["outcome"] for r in result["sources"]}


@pytest.mark.usefixtures("prefect_harness")
def test_a_weekly_run_picks_up_a_new_edition(
    http_server: FixtureServer, tmp_path: Path, editions: dict[str, bytes]
) -> None:
    http_server.add("/teian/pdf/r5_teian.pdf", Route(body=editions["r5"]))
    http_server.add("/teian/pdf/r6_teian.pdf", Route(body=editions["r6"]))
    index = http_server.add(
        "/teian/index.html",
        Route(body=_index_page([("pdf/r5_teian.pdf", R5)]), content_type="text/html", etag='"1"'),
    )
    catalog = tmp_path / "sources.toml"
    catalog.write_text(
        f'[[index]]\nid = "tokyo-teian"\nurl = "{index}"\nkind = "teian"\npublisher = "東京都"\n'
        "link = '\\.pdf$'\n",
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"
    state, first = _run(catalog, data_dir)
    assert state.is_completed()
    assert _outcomes(first) == {"tokyo-teian-r5-teian": "published"}
    assert [n["source_id"] for n in first["new_sources"]] == ["tokyo-teian-r5-teian"]

    # a week later the site links the next edition; the catalog is the same file
    route = http_server.routes["/teian/index.html"]
    route.body = _index_page([("pdf/r5_teian.pdf", R5), ("pdf/r6_teian.pdf", R6)])
    route.etag = '"2"'
    state, second = _run(catalog, data_dir)
    assert state.is_completed()
    assert _outcomes(second) == {
        "tokyo-teian-r5-teian": "unchanged",
        "tokyo-teian-r6-teian": "published",
    }
    assert [(n["source_id"], n["title"]) for n in second["new_sources"]] == [
        ("tokyo-teian-r6-teian", R6)
    ]
    assert route.request_headers[1].get("If-None-Match") == '"1"'
    docs = pq.read_table(data_dir / "processed" / "documents" / "tokyo-teian-r6-teian.parquet")
    [doc] = docs.to_pylist()
    assert (doc["title"], doc["fiscal_year"], doc["edition"], doc["publisher"]) == (
        R6,
        2024,
        "spring",
        "東京都",
    )
    assert second["series"]["editions"] == 2

    # unchanged page: 304, nothing new; then the page drops r5, whose data stays
    state, third = _run(catalog, data_dir)
    assert third["new_sources"] == [] and set(_outcomes(third).values()) == {"unchanged"}
    route.body, route.etag = _index_page([("pdf/r6_teian.pdf", R6)]), '"3"'
    state, fourth = _run(catalog, data_dir)
    assert set(_outcomes(fourth)) == {"tokyo-teian-r5-teian", "tokyo-teian-r6-teian"}
    assert (data_dir / "processed" / "requests" / "tokyo-teian-r5-teian.parquet").exists()
    links = read_index_state(DataDir(data_dir), "tokyo-teian")["links"]
    assert [(r["source_id"], r["first_seen"] <= r["last_seen"]) for r in links] == [
        ("tokyo-teian-r5-teian", True),
        ("tokyo-teian-r6-teian", True),
    ]

    from flows.cli import app

    listing = CliRunner().invoke(
        app,
        ["sources", "--catalog", str(catalog), "--data-dir", str(data_dir)],
        env={"COLUMNS": "250"},
    )
    assert listing.exit_code == 0, listing.output
    rows = [line for line in listing.output.splitlines() if "tokyo-teian-r" in line]
    assert len(rows) == 2 and all(row.split("│")[-2].strip() == "tokyo-teian" for row in rows), rows
    assert "index tokyo-teian: 2 document(s) listed" in listing.output


@pytest.mark.usefixtures("prefect_harness")
def test_hostile_links_are_never_fetched(
    http_server: FixtureServer, tmp_path: Path, editions: dict[str, bytes]
) -> None:
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(editions["r5"])
    other = f"http://localhost:{http_server.httpd.server_address[1]}"
    never = {
        path: http_server.add(path, Route(body=editions["r5"]))
        for path in ("/other-host.pdf", "/elsewhere.pdf", "/flood/1.pdf")
    }
    http_server.add("/flood/*", Route(body=editions["r5"]))
    http_server.add("/site/good.pdf", Route(body=editions["r6"]))
    http_server.add("/site/moved.pdf", Route(redirect_to=f"{other}/elsewhere.pdf"))
    page = _index_page(
        [
            (secret.as_uri(), "令和5年度 file"),
            (f"{other}/other-host.pdf", "令和5年度 other host"),
            ("/site/moved.pdf", "令和5年度 moved"),
            ("javascript:location='/site/x.pdf'", "js"),
            ("data:application/pdf;base64,JVBERi0xLjQ=", "data"),
            ("ftp://127.0.0.1/x.pdf", "ftp"),
            ("/site/good.pdf", R6),
        ]
    )
    site = http_server.add("/site/index.html", Route(body=page, content_type="text/html"))
    flood = http_server.add(
        "/flood/index.html",
        Route(body=_index_page([("/flood/0.pdf", R5)]), content_type="text/html"),
    )
    known = tmp_path / "known.pdf"
    known.write_bytes(editions["r5"])
    catalog = tmp_path / "sources.toml"
    catalog.write_text(
        f'[[source]]\nid = "known"\ntitle = "{R5}"\nkind = "teian"\nurl = "{known}"\n'
        f'[[index]]\nid = "site"\nurl = "{site}"\nkind = "teian"\n'
        f'[[index]]\nid = "flood"\nurl = "{flood}"\nkind = "teian"\n',
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"
    state, first = _run(catalog, data_dir)
    outcomes = _outcomes(first)
    assert state.is_failed()  # the redirect to another host fails its source
    assert outcomes == {
        "known": "published",
        "site-good": "published",
        "site-moved": "failed",
        "flood-0": "published",
    }
    moved = next(r for r in first["sources"] if r["source_id"] == "site-moved")
    assert (
        moved["stage"] == "fetch" and "redirect to another host localhost refused" in moved["error"]
    )

    # the flood page now links ten thousand documents: that index fails alone, listing nothing,
    # and the document it listed before is still refreshed
    http_server.routes["/flood/index.html"].body = _index_page(
        [(f"/flood/{n}.pdf", R5) for n in range(10_000)]
    )
    state, second = _run(catalog, data_dir)
    assert state.is_failed()
    flood_row = next(r for r in second["sources"] if r["source_id"] == "flood")
    assert flood_row["stage"] == "discover" and "more than max_links = 200" in flood_row["error"]
    assert _outcomes(second)["flood-0"] == "unchanged"
    assert _outcomes(second)["known"] == "unchanged"
    for path in never:
        assert http_server.routes[path].hits == 0, path
    # only the document listed before was fetched, once per run (it is still refreshed)
    assert http_server.routes["/flood/*"].paths == ["/flood/0.pdf", "/flood/0.pdf"]
    assert http_server.routes["/site/moved.pdf"].hits == 2  # one try per run, no retries
    state_file = read_index_state(DataDir(data_dir), "flood")
    assert "more than max_links" in state_file["last_error"]
    assert [r["source_id"] for r in state_file["links"]] == ["flood-0"]


CDX_ROWS = [
    ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
    [
        "jp,metro,tokyo,chijihon)/kouiki/teian/teian_26aki/26_aki.pdf",
        "20150301000000",
        "http://www.chijihon.metro.tokyo.jp/kouiki/teian/teian_26aki/26_aki.pdf",
        "application/pdf",
        "200",
        "AAAA",
        "1000",
    ],
    [
        "jp,metro,tokyo,chijihon)/kouiki/teian/teian_27haru/27_haru.pdf",
        "20160102030405",
        "http://chijihon.metro.tokyo.jp:80/kouiki/teian/teian_27haru/27_haru.pdf",
        "application/pdf",
        "200",
        "BBBB",
        "1000",
    ],
    [
        "example,evil)/kouiki/teian/x.pdf",
        "20160102030405",
        "http://evil.example/kouiki/teian/x.pdf",
        "application/pdf",
        "200",
        "CCCC",
        "1000",
    ],
]


@pytest.mark.usefixtures("prefect_harness")
def test_an_archive_prefix_is_listed_through_the_cdx_api(
    http_server: FixtureServer,
    tmp_path: Path,
    editions: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEIAN_ARCHIVE_BASE", http_server.url("/web"))
    cdx = http_server.add(
        "/cdx/search/cdx*",
        Route(body=json.dumps(CDX_ROWS).encode(), content_type="application/json"),
    )
    del cdx
    first, second, evil = (row[2] for row in CDX_ROWS[1:])
    http_server.add(f"/web/20150301000000id_/{first}", Route(body=editions["r5"]))
    http_server.add(f"/web/20160102030405id_/{second}", Route(body=editions["r6"]))
    http_server.add(f"/web/20160102030405id_/{evil}", Route(body=editions["r7"]))
    catalog = tmp_path / "sources.toml"
    catalog.write_text(
        '[[index]]\nid = "chijihon"\narchive_prefix = "www.chijihon.metro.tokyo.jp/kouiki/teian/"\n'
        'kind = "teian"\npublisher = "東京都"\n',
        encoding="utf-8",
    )
    state, result = _run(catalog, tmp_path / "data")
    assert state.is_completed()
    assert _outcomes(result) == {"chijihon-26-aki": "published", "chijihon-27-haru": "published"}
    [query] = http_server.routes["/cdx/search/cdx*"].paths
    assert query.startswith("/cdx/search/cdx?url=www.chijihon.metro.tokyo.jp/kouiki/teian/*")
    for part in ("output=json", "filter=mimetype:application/pdf", "collapse=urlkey"):
        assert part in query
    assert http_server.routes[f"/web/20160102030405id_/{evil}"].hits == 0
    doc = pq.read_table(
        tmp_path / "data" / "processed" / "documents" / "chijihon-26-aki.parquet"
    ).to_pylist()[0]
    assert doc["fetched_from"] == http_server.url(f"/web/20150301000000id_/{first}")
    assert doc["title"] == "26_aki.pdf" and doc["publisher"] == "東京都"


def test_an_index_that_is_a_pdf_or_down_fails_clearly(
    http_server: FixtureServer, tmp_path: Path, editions: dict[str, bytes]
) -> None:
    from flows.discover import list_index
    from flows.fetch import FetchError, TransientFetchError

    pdf = http_server.add("/doc.pdf", Route(body=editions["r5"]))
    down = http_server.add("/down.html", Route(body=b"<html></html>", fail_times=5))
    data = DataDir(tmp_path)
    with pytest.raises(FetchError, match="is a PDF, not an index page"):
        list_index(Index(id="ix", url=pdf), data, timeout=5)
    with pytest.raises(TransientFetchError, match="503"):
        list_index(Index(id="ix", url=down), data, timeout=5)


def test_an_index_that_trickles_ends_at_the_fetch_deadline(
    http_server: FixtureServer, tmp_path: Path
) -> None:
    """A page sent a byte every 0.3 s never hits the per-read timeout; the overall deadline
    ends it, as it ends a PDF's fetch, and the index fails for good (no retry would be faster)."""
    import time

    from flows.discover import list_index
    from flows.fetch import FetchError, TransientFetchError

    page = b"<html><body>" + b" " * 200 + b"</body></html>"
    slow = http_server.add("/slow.html", Route(body=page, trickle=0.3))
    started = time.monotonic()
    with pytest.raises(FetchError, match="deadline of 2s") as info:
        list_index(Index(id="ix", url=slow), DataDir(tmp_path), timeout=5, deadline=2)
    assert not isinstance(info.value, TransientFetchError)
    assert time.monotonic() - started < 10


def test_the_run_summary_lists_the_new_documents(tmp_path: Path) -> None:
    from flows.extract import Limits
    from flows.refresh import RefreshRun, SourceOutcome, new_sources_markdown
    from transforms.catalog import Source

    run = RefreshRun(DataDir(tmp_path), [], False, 1, Limits(), True, None)
    assert new_sources_markdown(run) == ""
    run.new_sources = [
        Source(id="ix-r6", title="令和6年度 | 版", url="http://a.jp/r6.pdf", index="ix")
    ]
    run.outcomes = [SourceOutcome("ix-r6", "published", "publish")]
    markdown = new_sources_markdown(run)
    assert "## New documents found by the indexes" in markdown
    assert "| ix-r6 | ix | 令和6年度 \\| 版 | published | http://a.jp/r6.pdf |" in markdown


def test_teian_run_lists_the_indexes_before_it_decides_on_a_flow(
    http_server: FixtureServer, tmp_path: Path, editions: dict[str, bytes]
) -> None:
    """`teian run` fetches before any Prefect start-up; the indexes are read then too, so a new
    edition starts a flow and a week with nothing new starts none."""
    from tests.test_cli import teian

    http_server.add("/t/r5.pdf", Route(body=editions["r5"]))
    http_server.add("/t/r6.pdf", Route(body=editions["r6"]))
    index = http_server.add(
        "/t/index.html", Route(body=_index_page([("r5.pdf", R5)]), content_type="text/html")
    )
    catalog = tmp_path / "sources.toml"
    catalog.write_text(f'[[index]]\nid = "t"\nurl = "{index}"\nkind = "teian"\n', encoding="utf-8")
    args = ("run", "--catalog", str(catalog), "--data-dir", str(tmp_path / "data"))
    first = teian(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "t-r5: new, listed by index t" in first.stdout
    quiet = teian(*args)
    assert quiet.returncode == 0 and "new, listed" not in quiet.stdout
    assert "unchanged" in quiet.stdout
    http_server.routes["/t/index.html"].body = _index_page([("r5.pdf", R5), ("r6.pdf", R6)])
    second = teian(*args)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "t-r6: new, listed by index t" in second.stdout
    assert (tmp_path / "data" / "processed" / "requests" / "t-r6.parquet").exists()
    series = pq.read_table(
        tmp_path / "data" / "processed" / "request_series" / "all_sources.parquet"
    )
    assert set(series.column("source_id").to_pylist()) == {"t-r5", "t-r6"}

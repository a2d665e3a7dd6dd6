"""Requests linked across editions: three generated editions whose lineage is known exactly.

The lineage (tests.fixtures.editions) rewords titles, reorders items, drops one request, adds
two and moves one to another category. Every pair is asserted: linked from the parsed PDFs, and
end to end through the flow, read back with DuckDB as a user would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pdfplumber
import pyarrow.parquet as pq
import pytest

from tests.fixtures.editions import LINEAGE, SERIES, write_lineage
from transforms.assemble.document import assemble_document
from transforms.extract.page import extract_page
from transforms.kinds.teian import parse_requests
from transforms.records import DocumentInfo
from transforms.series import Edition, SeriesItem, link_editions, match_score
from transforms.tags import load_default_taxonomy

NAMES = [name for name, _, _ in LINEAGE]
YEARS = {"r5": 2023, "r6": 2024, "r7": 2025}


def expected_chains() -> list[list[tuple[str, int]]]:
    """Each series as its (edition, item_seq) members, in edition order."""
    return [
        [(name, seq) for name, seq in zip(NAMES, chain, strict=True) if seq is not None]
        for chain in SERIES
    ]


def chains_of(rows: list[dict], edition_of: dict[str, str]) -> list[list[tuple[str, int]]]:
    """The series in `rows` (request_series rows) as chains, ordered like `expected_chains`."""
    by_series: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        by_series.setdefault(row["series_id"], []).append(
            (edition_of[row["source_id"]], row["item_seq"])
        )
    chains = [sorted(c, key=lambda m: NAMES.index(m[0])) for c in by_series.values()]
    return sorted(chains, key=lambda c: (NAMES.index(c[0][0]), c[0][1]))


def _edition(name: str, items: list) -> Edition:
    return Edition(name, f"doc-{name}", YEARS[name], "spring", items)


@pytest.fixture(scope="module")
def lineage_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_lineage(tmp_path_factory.mktemp("lineage"))


def _parsed_items(path: Path) -> list[SeriesItem]:
    with pdfplumber.open(path) as pdf:
        pages = assemble_document(
            DocumentInfo("s", "d", "teian"), [extract_page(p) for p in pdf.pages]
        ).pages
    items, warnings = parse_requests(pages, load_default_taxonomy())
    assert warnings == []
    return [
        SeriesItem(i.item_seq, i.title, tuple(i.targets), tuple(i.bureaus), i.category)
        for i in items
    ]


def test_parsed_editions_link_exactly(lineage_pdfs: dict[str, Path]) -> None:
    editions = [_edition(name, _parsed_items(lineage_pdfs[name])) for name in NAMES]
    rows = link_editions(editions)
    assert chains_of(rows, {n: n for n in NAMES}) == expected_chains()
    first = {r["series_id"]: r for r in rows if r["match_score"] is None}
    assert len(first) == len(SERIES)  # every series starts once, with no score
    for row in rows:
        chain = next(c for c in expected_chains() if (row["source_id"], row["item_seq"]) in c)
        assert row["n_editions"] == len(chain)
        assert row["first_fiscal_year"] == YEARS[chain[0][0]]
        assert row["match_score"] is None or 0.6 <= row["match_score"] <= 1.0


def _item(seq: int, title: str, category: str = "I 安全") -> SeriesItem:
    return SeriesItem(seq, title, ("内閣府", "総務省"), ("総務局",), category)


def test_a_request_missing_from_an_autumn_edition_carries_on_in_spring() -> None:
    editions = [
        Edition(
            "spring-2024", "a", 2024, "spring", [_item(1, "防災対策の推進"), _item(2, "観光の振興")]
        ),
        Edition("autumn-2024", "b", 2024, "autumn", [_item(1, "観光の振興")]),
        Edition(
            "spring-2025", "c", 2025, "spring", [_item(1, "防災対策の推進"), _item(2, "観光の振興")]
        ),
    ]
    rows = {(r["source_id"], r["item_seq"]): r["series_id"] for r in link_editions(editions)}
    assert rows[("spring-2025", 1)] == rows[("spring-2024", 1)]  # skipped autumn, same series
    assert rows[("autumn-2024", 1)] == rows[("spring-2024", 2)] == rows[("spring-2025", 2)]


def test_a_request_missing_for_a_whole_year_was_dropped() -> None:
    editions = [
        Edition("y2023", "a", 2023, "spring", [_item(1, "防災対策の推進")]),
        Edition("y2024", "b", 2024, "spring", [_item(1, "観光の振興")]),
        Edition("y2025", "c", 2025, "spring", [_item(1, "防災対策の推進")]),
    ]
    rows = {(r["source_id"], r["item_seq"]): r for r in link_editions(editions)}
    assert rows[("y2025", 1)]["series_id"] != rows[("y2023", 1)]["series_id"]
    assert rows[("y2023", 1)]["n_editions"] == 1


def test_one_item_per_edition_per_series_and_publishers_apart() -> None:
    twin = [_item(1, "防災対策の推進"), _item(2, "防災対策の推進")]
    editions = [
        Edition("a", "a", 2023, "spring", [_item(1, "防災対策の推進")]),
        Edition("b", "b", 2024, "spring", twin),
        Edition("osaka", "o", 2024, "spring", [_item(1, "防災対策の推進")], publisher="大阪府"),
    ]
    rows = {(r["source_id"], r["item_seq"]): r["series_id"] for r in link_editions(editions)}
    assert rows[("b", 1)] == rows[("a", 1)]
    assert rows[("b", 2)] not in (rows[("a", 1)], rows[("b", 1)])
    assert rows[("osaka", 1)] == "osaka#1"


def test_the_same_document_under_two_ids_is_one_edition() -> None:
    editions = [
        Edition("catalog-copy", "same", 2023, "spring", [_item(1, "防災対策の推進")]),
        Edition("index-copy", "same", 2023, "spring", [_item(1, "防災対策の推進")]),
        Edition("next", "n", 2024, "spring", [_item(1, "防災対策の推進")]),
    ]
    rows = link_editions(editions)
    assert {r["series_id"] for r in rows} == {"catalog-copy#1"}
    assert {r["n_editions"] for r in rows} == {2}


def test_shared_ministries_do_not_make_different_requests_one() -> None:
    a, b = _item(1, "防災対策の推進"), _item(1, "中小企業の事業承継への支援")
    assert match_score(a, b) < 0.6 < match_score(a, _item(1, "防災・減災対策の推進"))


# -- through the flow ------------------------------------------------------------------------


def _catalog(folder: Path, pdfs: dict[str, Path], names: list[str]) -> Path:
    text = ""
    for name, title, _ in LINEAGE:
        if name in names:
            shutil.copy(pdfs[name], folder / pdfs[name].name)
            text += (
                f'[[source]]\nid = "tokyo-{name}"\ntitle = "{title}"\npublisher = "東京都"\n'
                f'kind = "teian"\nedition = "spring"\nurl = "{pdfs[name].name}"\n\n'
            )
    catalog = folder / "catalog.toml"
    catalog.write_text(text, encoding="utf-8")
    return catalog


SERIES_SQL = """
    SELECT s.source_id, s.item_seq, s.series_id, s.n_editions, s.first_fiscal_year, r.title
    FROM '{processed}/request_series/*.parquet' s
    JOIN '{processed}/requests/*.parquet' r USING (source_id, doc_id, item_seq)
    ORDER BY s.source_id, s.item_seq
"""


@pytest.mark.usefixtures("prefect_harness")
def test_series_through_the_flow_stay_consistent(
    lineage_pdfs: dict[str, Path], tmp_path: Path
) -> None:
    from flows.runner import run_refresh

    data_dir = tmp_path / "data"
    series_file = data_dir / "processed" / "request_series" / "all_sources.parquet"

    def run(names: list[str]) -> dict:
        catalog = _catalog(tmp_path, lineage_pdfs, names)
        state, result = run_refresh(catalog=str(catalog), data_dir=str(data_dir), workers=2)
        assert state.is_completed(), state.message
        return result

    first = run(["r5", "r6"])
    assert first["series"] == {"editions": 2, "items": 10, "series": 6}
    two_editions = tmp_path / "two.parquet"
    shutil.copy(series_file, two_editions)

    assert run(["r5", "r6", "r7"])["series"]["editions"] == 3
    processed = data_dir / "processed"
    rows = duckdb.connect().execute(SERIES_SQL.format(processed=processed)).fetchall()
    dicts = [{"source_id": r[0], "item_seq": r[1], "series_id": r[2]} for r in rows]
    assert chains_of(dicts, {f"tokyo-{n}": n for n in NAMES}) == expected_chains()
    cyber = [r for r in rows if "サイバー" in r[5]]
    assert [(r[0], r[3], r[4]) for r in cyber] == [
        ("tokyo-r5", 3, 2023),
        ("tokyo-r6", 3, 2023),
        ("tokyo-r7", 3, 2023),
    ]
    assert sorted(p.name for p in series_file.parent.iterdir()) == ["all_sources.parquet"]
    complete = pq.read_table(series_file)

    # nothing changed: the series file is left alone
    before = series_file.stat().st_mtime_ns
    assert run(["r5", "r6", "r7"])["series"] is None
    assert series_file.stat().st_mtime_ns == before

    # a run killed after publishing r7 but before linking it left the two-edition series: the
    # next run sees they were built from other editions and rebuilds them
    shutil.copy(two_editions, series_file)
    assert run(["r5", "r6", "r7"])["series"]["editions"] == 3
    assert pq.read_table(series_file).equals(complete)


SINCE_WHEN = """
    SELECT r.fiscal_year, r.title, s.first_fiscal_year, s.n_editions
    FROM request_series s JOIN requests r USING (source_id, doc_id, item_seq)
    WHERE s.series_id IN (SELECT s2.series_id FROM request_series s2
                          JOIN requests r2 USING (source_id, doc_id, item_seq)
                          WHERE r2.fiscal_year = 2025 AND r2.title LIKE '%サイバー%')
    ORDER BY r.fiscal_year
"""
NEW_THIS_YEAR = """
    SELECT r.fiscal_year, r.item_no, r.title
    FROM requests r JOIN request_series s USING (source_id, doc_id, item_seq)
    WHERE r.fiscal_year = (SELECT max(fiscal_year) FROM requests)
      AND s.first_fiscal_year = r.fiscal_year
    ORDER BY r.item_seq
"""


@pytest.mark.usefixtures("prefect_harness")
def test_the_bundled_sample_answers_the_readme_queries(
    bundled_catalog: Path, tmp_path: Path
) -> None:
    from flows.runner import run_refresh

    data_dir = tmp_path / "data"
    state, result = run_refresh(catalog=str(bundled_catalog), data_dir=str(data_dir), workers=2)
    assert state.is_completed(), state.message
    con = duckdb.connect()
    for dataset in ("requests", "request_series"):
        con.execute(
            f"CREATE VIEW {dataset} AS SELECT * FROM '{data_dir}/processed/{dataset}/*.parquet'"
        )
    assert con.execute(SINCE_WHEN).fetchall() == [
        (2023, "サイバーセキュリティ対策の推進", 2023, 3),
        (2024, "東京2020大会に向けたサイバーセキュリティ対策の推進", 2023, 3),
        (2025, "東京2020大会に向けたサイバーセキュリティ対策の強化", 2023, 3),
    ]
    [(year, number, title)] = con.execute(NEW_THIS_YEAR).fetchall()
    assert (year, number) == (2025, "3") and title.startswith(
        "オリンピック・パラリンピック競技大会"
    )

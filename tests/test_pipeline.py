"""The refresh flow end to end on the sample catalog; datasets read back as a user would."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from flows.runner import run_refresh
from transforms.schemas import DATASETS

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _run(catalog: Path, data_dir: Path, **kw):
    state, result = run_refresh(catalog=str(catalog), data_dir=str(data_dir), workers=2, **kw)
    assert result is not None, state.message
    return state, {r["source_id"]: r for r in result["sources"]}


def test_sample_catalog_end_to_end(sample_catalog: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    state, outcome = _run(sample_catalog, data_dir)
    assert state.is_completed()
    assert outcome["sample-budget-r8"]["outcome"] == "published"
    processed = data_dir / "processed"
    for dataset, schema in DATASETS.items():
        for path in (processed / dataset).glob("*.parquet"):
            assert pq.read_schema(path).remove_metadata() == schema, path
    assert sorted(p.name for p in (processed / "requests").glob("*.parquet")) == [
        "sample-teian-r7.parquet"
    ]

    con = duckdb.connect()
    docs = con.execute(
        f"SELECT source_id, page_count, status, is_current, doc_id, sha256 FROM '{processed}/documents/*.parquet' ORDER BY 1"
    ).fetchall()
    assert [(d[0], d[1], d[3]) for d in docs] == [
        ("sample-budget-r7", 7, True),
        ("sample-budget-r8", 7, True),
        ("sample-teian-r7", 4, True),
    ]
    assert all(d[4] == d[5][:16] for d in docs)
    labels = con.execute(
        f"SELECT page_number, page_label FROM '{processed}/pages/sample-teian-r7.parquet' ORDER BY 1"
    ).fetchall()
    assert labels == [(1, None), (2, None), (3, "1"), (4, "2")]
    # the budget's tables state 千円 once, above their first figures
    row = con.execute(
        f"""SELECT value, unit, value_yen FROM '{processed}/cells/sample-budget-r7.parquet'
            WHERE text = '△64,700'"""
    ).fetchall()
    assert row and set(row) == {(-64700.0, "千円", -64_700_000)}
    # every budget line of both years, each 款 with its 前年度 from the 総括
    lines = con.execute(
        f"""SELECT fiscal_year, count(*), count(*) FILTER (WHERE len(checks) > 0),
                   count(*) FILTER (WHERE level = '款' AND prior_yen IS NOT NULL)
            FROM '{processed}/budget_lines/*.parquet' GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    assert lines == [(2025, 49, 0, 4), (2026, 48, 0, 4)]  # the R7 廃目 is not printed in R8
    # every cell can be traced to its page
    assert con.execute(
        f"SELECT count(*) FROM '{processed}/cells/*.parquet' WHERE page_number IS NULL"
    ).fetchone() == (0,)
    targets = con.execute(
        f"SELECT count(*) FROM '{processed}/request_targets/*.parquet' WHERE target = 'スポーツ庁'"
    ).fetchone()
    assert targets == (1,)
    # the table on page 3 sits under item 2, although item 1 starts on the same page
    owner = con.execute(
        f"SELECT item_seq FROM '{processed}/tables/sample-teian-r7.parquet'"
    ).fetchall()
    assert owner == [(2,)]


def test_second_run_publishes_nothing_and_a_change_rewrites_one_source(
    sample_catalog: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    _run(sample_catalog, data_dir)
    files = sorted((data_dir / "processed").rglob("*.parquet"))
    mtimes = {p: p.stat().st_mtime_ns for p in files}
    _, outcome = _run(sample_catalog, data_dir)
    assert {o["outcome"] for o in outcome.values()} == {"unchanged"}
    assert {p: p.stat().st_mtime_ns for p in files} == mtimes

    # a new version of the budget: only its files change, the teian files stay as they were
    budget = sample_catalog.parent / "budget-sample.pdf"
    shutil.copy(sample_catalog.parent / "teian-sample.pdf", budget)
    _, outcome = _run(sample_catalog, data_dir)
    assert outcome["sample-teian-r7"]["outcome"] == "unchanged"
    assert outcome["sample-budget-r8"]["outcome"] in ("published", "partial")
    for path, before in mtimes.items():
        changed = path.stat().st_mtime_ns != before
        assert changed == (path.stem == "sample-budget-r8"), path
    history = pq.read_table(
        data_dir / "processed" / "documents" / "sample-budget-r8.parquet"
    ).to_pylist()
    assert [h["is_current"] for h in history] == [False, True]
    assert len(list((data_dir / "raw" / "sample-budget-r8").glob("*.pdf"))) == 2


def test_a_bad_source_fails_alone(sample_catalog: Path, tmp_path: Path) -> None:
    broken = sample_catalog.parent / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"garbage " * 200)
    text = sample_catalog.read_text(encoding="utf-8")
    sample_catalog.write_text(
        text + '\n[[source]]\nid = "broken"\ntitle = "壊れた文書"\nurl = "broken.pdf"\n',
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"
    state, outcome = _run(sample_catalog, data_dir)
    assert state.is_failed()
    assert outcome["broken"]["outcome"] == "failed"
    assert outcome["broken"]["stage"] == "extract"
    assert "PDF" in outcome["broken"]["error"]
    assert outcome["sample-budget-r8"]["outcome"] == "published"
    docs = pq.read_table(data_dir / "processed" / "documents" / "broken.parquet").to_pylist()
    assert docs[0]["status"] == "failed" and "extract" in docs[0]["error"]
    assert not (data_dir / "processed" / "pages" / "broken.parquet").exists()

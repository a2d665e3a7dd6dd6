"""Tables out as tables, queries piped, words searched: read back with the tools analysts use.

The sample's 提案要求 document and a plain budget table are published once (`teian run`, its own
temporary Prefect server), then every export is made through the `teian` entry point and read
back with pandas, openpyxl, pyarrow, DuckDB, the csv and json modules and, when Debian's
LibreOffice is installed, `soffice`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from flows.store import open_data_dir, write_dataset
from tests.fixtures.budget_table import TITLE, write_budget_table_pdf
from tests.fixtures.make_samples import CATALOG as SAMPLE_CATALOG
from tests.fixtures.make_samples import only_sources

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
BUDGET = "sample-budget-r8"


def teian(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **{k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_HOME")},
        "PYTHONPATH": str(ROOT),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "flows", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=300,
    )


# The sample's 提案要求 document and a plain budget table (a 款 list continued over two pages):
# the exports are checked on a table whose every figure is known.
CATALOG = (
    only_sources(SAMPLE_CATALOG, ("sample-teian-r7",))
    + f"""
[[source]]
id = "{BUDGET}"
title = "{TITLE}"
publisher = "富士見市"
kind = "generic"
url = "budget-sample.pdf"
"""
)


def _export_budget_xlsx(out: Path, data_dir: Path) -> None:
    """`teian export` of the budget table to `out` as XLSX, as a user types it."""
    result = teian(
        "export", BUDGET, "--format", "xlsx", "--out", str(out), "--data-dir", str(data_dir)
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The catalog above published into a fresh data dir, by a user whose home is empty."""
    base = tmp_path_factory.mktemp("published")
    (base / "samples").mkdir()
    shutil.copy(SAMPLES / "teian-sample.pdf", base / "samples")
    write_budget_table_pdf(base / "samples" / "budget-sample.pdf")
    (base / "samples" / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    home = base / "home"
    home.mkdir()
    result = teian(
        "run",
        "--catalog",
        str(base / "samples" / "catalog.toml"),
        "--data-dir",
        str(base / "data"),
        HOME=str(home),
        TEIAN_CACHE_DIR="",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {"data": base / "data", "home": home, "out": base / "out", "stdout": result.stdout}


def test_the_temporary_prefect_server_keeps_its_state_out_of_the_users_prefect_home(
    published: dict[str, Path],
) -> None:
    home = published["home"]
    assert not (home / ".prefect" / "prefect.db").exists()
    assert (home / ".cache" / "teian" / "prefect-server" / "prefect.db").exists()


def test_csv_export_opens_in_pandas_with_a_bom_and_whole_numbers(
    published: dict[str, Path],
) -> None:
    out = published["out"] / "budget.csv"
    result = teian("export", BUDGET, "--out", str(out), "--data-dir", str(published["data"]))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert list(frame.columns) == ["款", "項", "本年度予算額", "前年度予算額", "比較"]
    first = frame.iloc[0]
    assert first["項"] == "市税" and first["本年度予算額"] == 41250000
    assert str(frame["本年度予算額"].dtype) == "int64"
    assert frame["比較"].isna().sum() == 5  # the 「-」 nil markers are empty, not zero
    assert frame[frame["項"] == "地方譲与税"]["比較"].iloc[0] == -28000
    assert len(frame) == 33  # one line per printed line, both pages


def test_cp932_export_reads_back_and_reports_what_it_cannot_hold(tmp_path: Path) -> None:
    data = _handmade_data_dir(tmp_path)
    out = tmp_path / "sjis.csv"
    result = teian(
        "export", "handmade", "--table", "p1-t1", "--encoding", "cp932",
        "--out", str(out), "--data-dir", str(data),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out, encoding="cp932", header=[0, 1])
    assert frame.columns[1] == ("予算額", "本年度")  # the merged header is repeated
    assert frame.iloc[0, 0] == "〓野家"
    assert frame.iloc[1, 0] == "9:00～12:00"
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("row 3 col 1" in w and "U+20BB7" in w and "〓" in w for w in warnings), warnings
    assert any("～" in w for w in warnings)


def test_xlsx_export_has_typed_cells_frozen_headers_merges_and_its_citation(
    published: dict[str, Path], tmp_path: Path
) -> None:
    import openpyxl

    out = published["out"] / "budget.xlsx"
    _export_budget_xlsx(out, published["data"])
    sheet = openpyxl.load_workbook(out).active
    assert sheet.title == "p2-t1"
    cited = [sheet.cell(r, 1).value for r in range(1, 6)]
    assert cited[0].startswith("令和8年度") and "(見本)" in cited[0].replace("（", "(").replace(
        "）", ")"
    )
    assert f"{BUDGET}, PDF p.2–3 (printed p.1–2)" in cited[1]
    header_row = next(r for r in range(1, 12) if sheet.cell(r, 1).value == "款")
    assert sheet.freeze_panes == f"A{header_row + 1}"
    amount = sheet.cell(header_row + 1, 3)
    assert amount.value == 41250000 and amount.data_type == "n" and isinstance(amount.value, int)
    minus = sheet.cell(header_row + 2, 5)
    assert minus.value == -28000 and "△" in minus.number_format
    assert sheet.cell(header_row + 1, 2).data_type == "s"

    merged = _handmade_data_dir(tmp_path)
    workbook_path = tmp_path / "handmade.xlsx"
    made = teian(
        "export", "handmade", "--format", "xlsx", "--amounts", "yen",
        "--out", str(workbook_path), "--data-dir", str(merged),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    book = openpyxl.load_workbook(workbook_path)
    assert book.sheetnames == ["tables", "p1-t1", "p1-t2"]
    assert book["tables"]["A5"].hyperlink.location == "'p1-t1'!A1"
    handmade = book["p1-t1"]
    assert {str(r) for r in handmade.merged_cells.ranges} >= {"B6:C6", "A6:A7"}
    values = [c.value for row in handmade.iter_rows() for c in row]
    assert 1234567000 in values  # 1,234,567千円 in exact yen


def test_xlsx_opens_in_libreoffice(published: dict[str, Path], tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc)")
    out = tmp_path / "budget.xlsx"
    _export_budget_xlsx(out, published["data"])
    converted = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert converted.returncode == 0, converted.stderr
    import csv

    with open(tmp_path / "budget.csv", encoding="utf-8", newline="") as handle:
        rows = {row[1]: row for row in csv.reader(handle) if len(row) == 5}
    # LibreOffice shows the cells as numbers in the sheet's own formats: grouped, △ for minus
    assert rows["市税"] == ["1", "市税", "41,250,000", "40,980,000", "270,000"]
    assert rows["地方譲与税"][4] == "△28,000" and rows["地方交付税"][4] == "-"


def test_several_tables_go_to_a_folder(tmp_path: Path) -> None:
    data = _handmade_data_dir(tmp_path)
    folder = tmp_path / "tables"
    made = teian("export", "handmade", "--out", str(folder), "--data-dir", str(data))
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["p1-t1.csv", "p1-t2.csv"]
    one_file = teian(
        "export", "handmade", "--out", str(tmp_path / "x.csv"), "--data-dir", str(data)
    )
    assert one_file.returncode == 2 and "--table" in one_file.stderr
    wide = teian(
        "export", "handmade", "--table", "p1-t2", "--wide", "--out", str(tmp_path / "w.csv"),
        "--data-dir", str(data),
    )  # fmt: skip
    frame = pd.read_csv(tmp_path / "w.csv", encoding="utf-8-sig")
    assert wide.returncode == 0 and list(frame.columns)[-2:] == ["項目", "人数"]
    assert frame["人数"].tolist() == [12] and frame["page_label"].tolist() == [7]
    bad = teian("export", "handmade", "--amounts", "euro", "--out", "x", "--data-dir", str(data))
    assert bad.returncode == 2 and "--amounts" in bad.stderr


def test_wide_parquet_is_typed_and_says_where_it_comes_from(published: dict[str, Path]) -> None:
    out = published["out"] / "wide.parquet"
    result = teian(
        "export", BUDGET, "--format", "parquet", "--amounts", "yen",
        "--out", str(out), "--data-dir", str(published["data"]),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    frame = pd.read_parquet(out, dtype_backend="pyarrow")
    assert str(frame["本年度予算額"].dtype) == "int64[pyarrow]"
    assert frame["本年度予算額"].iloc[0] == 41250000000
    assert frame["page_label"].iloc[0] == "1" and frame["page_label"].iloc[-1] == "2"
    schema = pq.read_schema(out)
    assert schema.field("本年度予算額").metadata[b"unit"].decode() == "円"
    assert schema.metadata[b"teian.source_id"] == BUDGET.encode()


def test_export_of_a_query_and_usage_errors(published: dict[str, Path]) -> None:
    data = str(published["data"])
    sql = "SELECT source_id, item_seq, title, targets FROM requests ORDER BY item_seq"
    csv_out = published["out"] / "q.csv"
    assert (
        teian("export", "--query", sql, "--out", str(csv_out), "--data-dir", data).returncode == 0
    )
    frame = pd.read_csv(csv_out, encoding="utf-8-sig")
    assert len(frame) == 3 and json.loads(frame["targets"].iloc[0])[0] == "内閣官房"
    parquet_out = published["out"] / "q.parquet"
    made = teian(
        "export",
        "--query",
        sql,
        "--format",
        "parquet",
        "--out",
        str(parquet_out),
        "--data-dir",
        data,
    )
    assert made.returncode == 0, made.stderr
    assert pq.read_table(parquet_out).column("targets").type.value_type == "string"

    assert teian("export", "nope", "--out", str(csv_out), "--data-dir", data).returncode == 2
    wrong_table = teian(
        "export", BUDGET, "--table", "p9-t9", "--out", str(csv_out), "--data-dir", data
    )
    assert wrong_table.returncode == 2 and "p2-t1" in wrong_table.stderr
    both = teian("export", BUDGET, "--query", sql, "--out", str(csv_out), "--data-dir", data)
    assert both.returncode == 2 and "Traceback" not in both.stderr


def test_query_formats_pipe_into_other_programs(published: dict[str, Path]) -> None:
    data = str(published["data"])
    sql = "SELECT source_id, page_number, text FROM pages ORDER BY source_id, page_number"
    piped = subprocess.run(
        f"{sys.executable} -m flows query {_quoted(sql)} --format csv --data-dir {_quoted(data)}"
        f' | {sys.executable} -c "import csv,sys; rows=list(csv.reader(sys.stdin));'
        ' print(len(rows), rows[0], max(len(r[2]) for r in rows[1:]))"',
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    words = piped.stdout.split()
    assert words[0] == "8" and int(words[-1]) > 500  # a header and every page, no cell cut
    as_json = teian("query", sql, "--format", "json", "--data-dir", data)
    rows = json.loads(as_json.stdout)
    assert len(rows) == 7 and rows[0]["source_id"] == BUDGET
    yen = teian(
        "query", "SELECT max(value_yen) AS y FROM cells", "--format", "json", "--data-dir", data
    )
    assert json.loads(yen.stdout) == [{"y": 41250000000}]
    table = teian("query", sql, "--data-dir", data)  # not a terminal: nothing narrowed or cut
    assert "…" not in table.stdout and "41,250,000 40,980,000 270,000" in table.stdout
    cut = teian("query", sql, "--limit", "3", "--format", "markdown", "--data-dir", data)
    assert cut.stdout.count("\n") == 2 + 3 and "--limit" in cut.stderr
    whole = teian("query", sql, "--limit", "7", "--format", "csv", "--data-dir", data)
    assert whole.stderr == ""


def test_parquet_files_carry_descriptions_metadata_and_required_columns(
    published: dict[str, Path],
) -> None:
    data = published["data"]
    from transforms.schemas import DATASETS

    for path in sorted((data / "processed").glob("*/*.parquet")):
        dataset = path.parent.name
        schema = pq.read_schema(path)
        assert all(f.metadata and f.metadata.get(b"description") for f in schema), path
        meta = {k.decode(): v.decode() for k, v in schema.metadata.items()}
        assert meta["teian.source_id"] == path.stem and meta["teian.dataset"] == dataset
        assert meta["teian.pipeline_version"] and meta["teian.retrieved_at"].startswith("20")
        if dataset == "request_series":  # one file for every source: it names them all
            assert json.loads(meta["teian.sources"]) == ["sample-teian-r7"]
        else:
            assert meta["teian.url"].endswith(".pdf")
        declared = {f.name for f in DATASETS[dataset] if not f.nullable}
        required = {
            name
            for name, repetition in duckdb.sql(
                f"SELECT name, repetition_type FROM parquet_schema('{path}')"
            ).fetchall()
            if repetition == "REQUIRED" and name != "schema"
        }
        assert required == declared and "source_id" in required, path
    cells = pd.read_parquet(data / "processed" / "cells", dtype_backend="pyarrow")
    assert str(cells["value_yen"].dtype) == "int64[pyarrow]"
    assert cells["value_yen"].max() == 41250000000
    described = teian(
        "query",
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'cells' AND column_name = 'value_yen'",
        "--format", "csv", "--data-dir", str(data),
    )  # fmt: skip
    assert "exact amount in yen" in described.stdout


def test_search_finds_items_and_pages_however_the_word_is_typed(
    published: dict[str, Path],
) -> None:
    data = str(published["data"])
    found = teian("search", "ｻｲﾊﾞｰ", "内閣府", "--format", "json", "--data-dir", data)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    item = next(h for h in hits if h["hit"] == "item")
    assert item["source_id"] == "sample-teian-r7" and item["page_label"] == "1"
    assert "サイバー" in item["item"] and "内閣府" in item["snippet"]
    assert any(h["hit"] == "page" and h["page"] == 3 for h in hits)
    table = teian("search", "市税", "--data-dir", data)
    assert table.returncode == 0 and BUDGET in table.stdout
    only = teian("search", "市税", "--only", "sample-teian-r7", "--data-dir", data)
    assert only.returncode == 1 and "no item or page" in only.stderr


def test_the_try_hint_is_one_line_whatever_the_width(published: dict[str, Path]) -> None:
    lines = published["stdout"].splitlines()
    hint = next(line for line in lines if line.startswith("Try:"))
    assert hint.rstrip().endswith('LIMIT 10"') or 'LIMIT 10" --data-dir' in hint


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _handmade_data_dir(folder: Path) -> Path:
    """A published table with what exports must not lose: a merged header, a character cp932
    lacks (𠮷), a wave dash (〜) and an amount in 千円."""
    data = open_data_dir(folder / "handmade-data")
    ids = {"source_id": "handmade", "doc_id": "00000000000000aa"}
    table_id = "00000000000000aa-p1-t1"
    write_dataset(
        data,
        "documents",
        "handmade",
        [
            {
                **ids,
                "title": "手作りの表",
                "kind": "generic",
                "url": "file:///handmade.pdf",
                "retrieved_at": datetime(2026, 1, 5, tzinfo=UTC),
                "status": "ok",
                "is_current": True,
            }
        ],
    )
    write_dataset(
        data, "pages", "handmade", [{**ids, "page_number": 1, "page_label": "7", "n_tables": 1}]
    )
    table = {"table_id": table_id, "page_first": 1, "page_last": 1, "n_rows": 4, "n_cols": 3}
    grid = [
        [("名称", None), ("予算額", None), ("予算額", None)],
        [("名称", None), ("本年度", None), ("前年度", None)],
        [("𠮷野家", None), ("1,234,567", 1234567000), ("10", 10000)],
        [("9:00〜12:00", None), ("5", 5000), ("-", None)],
    ]
    spanned = {(0, 2), (1, 0)}
    headers = ["名称", "予算額 / 本年度", "予算額 / 前年度"]
    cells = []
    for r, row in enumerate(grid):
        for c, (text, yen) in enumerate(row):
            cells.append(
                {
                    **ids,
                    "table_id": table_id,
                    "page_number": 1,
                    "row": r,
                    "col": c,
                    "header": headers[c],
                    "text": text,
                    "value": yen / 1000 if yen is not None else None,
                    "unit": "千円" if yen is not None else None,
                    "value_yen": yen,
                    "is_header": r < 2,
                    "spanned": (r, c) in spanned,
                }
            )
    second = "00000000000000aa-p1-t2"
    for r, texts in enumerate([("項目", "人数"), ("職員", "12")]):
        for c, text in enumerate(texts):
            cells.append(
                {
                    **ids,
                    "table_id": second,
                    "page_number": 1,
                    "row": r,
                    "col": c,
                    "header": ["項目", "人数"][c],
                    "text": text,
                    "value": 12.0 if (r, c) == (1, 1) else None,
                    "is_header": r == 0,
                    "spanned": False,
                }
            )
    write_dataset(data, "cells", "handmade", cells)
    tables = [{**ids, **table, "header_rows": 2, "unit": "千円"}]
    tables.append({**ids, **table, "table_id": second, "n_rows": 2, "n_cols": 2, "header_rows": 1})
    write_dataset(data, "tables", "handmade", tables)
    return data.root

"""Incremental runs through a real HTTP server: unchanged sources are neither downloaded again
(conditional GET, 304) nor re-extracted; a pipeline version bump re-extracts from the raw store."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

import flows.publish
import flows.refresh
import flows.state
import flows.tasks
from flows.runner import run_refresh
from tests.httpserver import Route

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture()
def counted_extraction(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every batch the flow extracts, as (first, last) pages."""
    calls: list[tuple[int, int]] = []
    real = flows.tasks.extract_batch_to_file

    def counting(pdf_path, first, last, *args, **kwargs):  # noqa: ANN001, ANN202
        calls.append((first, last))
        return real(pdf_path, first, last, *args, **kwargs)

    monkeypatch.setattr(flows.tasks, "extract_batch_to_file", counting)
    return calls


def _catalog(tmp_path: Path, url: str, kind: str = "teian") -> Path:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        f'[[source]]\nid = "web-teian"\ntitle = "令和7年度 東京都の提案要求"\nkind = "{kind}"\nurl = "{url}"\n',
        encoding="utf-8",
    )
    return catalog


def _run(catalog: Path, data_dir: Path) -> dict:
    state, result = run_refresh(catalog=str(catalog), data_dir=str(data_dir), workers=2)
    assert result is not None, state.message
    assert state.is_completed(), result
    return {r["source_id"]: r for r in result["sources"]}


def _bodies_served(route: Route, etag: str) -> int:
    """Requests answered with the whole PDF (not 304 Not Modified)."""
    return sum(1 for headers in route.request_headers if headers.get("If-None-Match") != etag)


def test_unchanged_source_is_not_downloaded_or_extracted_again(
    http_server, tmp_path: Path, sample_pdf_bytes, counted_extraction
) -> None:
    route = Route(body=sample_pdf_bytes["teian"], etag='"v1"')
    catalog = _catalog(tmp_path, http_server.add("/teian.pdf", route))
    data_dir = tmp_path / "data"

    assert _run(catalog, data_dir)["web-teian"]["outcome"] in ("published", "partial")
    extracted_once = len(counted_extraction)
    assert extracted_once >= 1
    published = sorted((data_dir / "processed").rglob("*.parquet"))
    mtimes = {p: p.stat().st_mtime_ns for p in published}

    assert _run(catalog, data_dir)["web-teian"]["outcome"] == "unchanged"
    assert len(counted_extraction) == extracted_once  # nothing extracted
    assert route.hits == 2 and _bodies_served(route, '"v1"') == 1  # asked, answered 304
    assert {p: p.stat().st_mtime_ns for p in published} == mtimes  # nothing rewritten
    assert not list((data_dir / "work").rglob("*.pkl"))  # batch files do not pile up


def test_pipeline_version_bump_re_extracts_from_raw_without_downloading(
    http_server,
    tmp_path: Path,
    sample_pdf_bytes,
    counted_extraction,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    route = Route(body=sample_pdf_bytes["teian"], etag='"v1"')
    catalog = _catalog(tmp_path, http_server.add("/teian.pdf", route))
    data_dir = tmp_path / "data"
    _run(catalog, data_dir)
    extracted_once = len(counted_extraction)
    pages_before = pq.read_table(data_dir / "processed" / "pages" / "web-teian.parquet")

    monkeypatch.setattr(flows.publish, "PIPELINE_VERSION", "bumped-for-test")
    monkeypatch.setattr(flows.state, "PIPELINE_VERSION", "bumped-for-test")
    assert _run(catalog, data_dir)["web-teian"]["outcome"] in ("published", "partial")
    assert len(counted_extraction) == 2 * extracted_once  # the whole document again
    assert _bodies_served(route, '"v1"') == 1  # from data/raw, not from the server
    assert len(list((data_dir / "raw" / "web-teian").glob("*.pdf"))) == 1
    history = pq.read_table(data_dir / "processed" / "documents" / "web-teian.parquet").to_pylist()
    assert [(h["pipeline_version"], h["is_current"]) for h in history][-1] == (
        "bumped-for-test",
        True,
    )
    assert pq.read_table(data_dir / "processed" / "pages" / "web-teian.parquet").equals(
        pages_before
    )

    # and with the new version recorded, the next run is incremental again
    assert _run(catalog, data_dir)["web-teian"]["outcome"] == "unchanged"
    assert len(counted_extraction) == 2 * extracted_once


def test_changed_pdf_is_downloaded_and_extracted(
    http_server, tmp_path: Path, sample_pdf_bytes, counted_extraction
) -> None:
    route = Route(body=sample_pdf_bytes["teian"], etag='"v1"')
    catalog = _catalog(tmp_path, http_server.add("/doc.pdf", route), kind="generic")
    data_dir = tmp_path / "data"
    _run(catalog, data_dir)
    extracted_once = len(counted_extraction)
    route.body, route.etag = sample_pdf_bytes["budget"], '"v2"'
    assert _run(catalog, data_dir)["web-teian"]["outcome"] in ("published", "partial")
    assert len(counted_extraction) > extracted_once
    assert len(list((data_dir / "raw" / "web-teian").glob("*.pdf"))) == 2
    tables = pq.read_table(data_dir / "processed" / "tables" / "web-teian.parquet").to_pylist()
    assert [(t["page_first"], t["page_last"], t["unit"]) for t in tables] == [(2, 3, "千円")]


def test_a_changed_catalog_entry_republishes_its_source_without_downloading(
    http_server, tmp_path: Path, sample_pdf_bytes, counted_extraction
) -> None:
    """Same PDF, same pipeline, but the catalog now says `kind = "generic"`: the source is
    re-extracted and republished with what the new entry says, and its kind's datasets go."""
    route = Route(body=sample_pdf_bytes["teian"], etag='"v1"')
    url = http_server.add("/teian.pdf", route)
    data_dir = tmp_path / "data"
    _run(_catalog(tmp_path, url, kind="teian"), data_dir)
    requests = data_dir / "processed" / "requests" / "web-teian.parquet"
    assert pq.read_table(requests).num_rows >= 1
    extracted = len(counted_extraction)

    assert _run(_catalog(tmp_path, url, kind="generic"), data_dir)["web-teian"]["outcome"] in (
        "published",
        "partial",
    )
    assert len(counted_extraction) > extracted  # extracted again, from the raw store
    assert _bodies_served(route, '"v1"') == 1  # not downloaded again
    assert not requests.exists()  # the generic kind publishes no request items
    history = pq.read_table(data_dir / "processed" / "documents" / "web-teian.parquet")
    assert history.column("kind").to_pylist() == ["teian", "generic"]
    assert _run(_catalog(tmp_path, url, kind="generic"), data_dir)["web-teian"]["outcome"] == (
        "unchanged"
    )


def test_a_failure_repeated_run_after_run_is_recorded_once(http_server, tmp_path: Path) -> None:
    """A dead link checked every week adds one `failed` row to the history, not one a week;
    a different failure adds its own row."""
    route = Route(status=404)
    catalog = _catalog(tmp_path, http_server.add("/gone.pdf", route))
    data_dir = tmp_path / "data"
    for _ in range(3):
        state, result = run_refresh(catalog=str(catalog), data_dir=str(data_dir), workers=1)
        assert state.is_failed() and result["sources"][0]["outcome"] == "failed"
    history = pq.read_table(data_dir / "processed" / "documents" / "web-teian.parquet").to_pylist()
    assert [h["status"] for h in history] == ["failed"]
    assert "404" in history[0]["error"]
    assert route.hits == 3  # it was tried each time
    route.status = 500
    state, result = run_refresh(
        catalog=str(catalog), data_dir=str(data_dir), workers=1, retry_delays=[]
    )
    history = pq.read_table(data_dir / "processed" / "documents" / "web-teian.parquet").to_pylist()
    assert [h["status"] for h in history] == ["failed", "failed"]
    assert "500" in history[1]["error"]

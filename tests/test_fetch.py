"""Fetch through a real HTTP server on 127.0.0.1: good bodies are stored, bad ones never are."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.fetch import FetchError, TransientFetchError, fetch_source
from flows.store import DataDir, read_jsonl
from tests.httpserver import Route
from transforms.catalog import Source


def _source(url: str, **kw) -> Source:
    return Source(id="s1", title="t", url=url, **kw)


def _stored(data: DataDir) -> list[Path]:
    return sorted(data.raw_dir("s1").glob("*.pdf"))


def test_200_then_304_with_etag(http_server, tmp_path, sample_pdf_bytes) -> None:
    data = DataDir(tmp_path)
    url = http_server.add(
        "/doc.pdf",
        Route(
            body=sample_pdf_bytes["teian"],
            etag='"v1"',
            last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        ),
    )
    first = fetch_source(_source(url), data)
    assert first.outcome == "new"
    assert Path(first.path).read_bytes() == sample_pdf_bytes["teian"]
    assert Path(first.path).name == f"{first.sha256}.pdf"
    second = fetch_source(_source(url), data)
    assert second.outcome == "not-modified"
    assert second.sha256 == first.sha256
    route = http_server.routes["/doc.pdf"]
    assert route.request_headers[1].get("If-None-Match") == '"v1"'
    assert route.request_headers[1].get("If-Modified-Since") == "Wed, 21 Oct 2015 07:28:00 GMT"
    log = read_jsonl(data.fetch_log("s1"))
    assert [entry["status"] for entry in log] == [200, 304]
    assert all(entry["sha256"] == first.sha256 for entry in log)


def test_changed_document_is_stored_beside_the_old_one(
    http_server, tmp_path, sample_pdf_bytes
) -> None:
    data = DataDir(tmp_path)
    url = http_server.add("/doc.pdf", Route(body=sample_pdf_bytes["teian"]))
    first = fetch_source(_source(url), data)
    http_server.routes["/doc.pdf"].body = sample_pdf_bytes["budget"]
    second = fetch_source(_source(url), data)
    assert second.outcome == "new" and second.sha256 != first.sha256
    assert Path(first.path).read_bytes() == sample_pdf_bytes["teian"]  # never overwritten
    assert len(_stored(data)) == 2


def test_redirect_is_followed(http_server, tmp_path, sample_pdf_bytes) -> None:
    target = http_server.add("/new/doc.pdf", Route(body=sample_pdf_bytes["teian"]))
    url = http_server.add("/old/doc.pdf", Route(redirect_to=target))
    result = fetch_source(_source(url), DataDir(tmp_path))
    assert result.outcome == "new"


def test_500_is_transient_then_succeeds(http_server, tmp_path, sample_pdf_bytes) -> None:
    url = http_server.add("/doc.pdf", Route(body=sample_pdf_bytes["teian"], fail_times=1))
    data = DataDir(tmp_path)
    with pytest.raises(TransientFetchError, match="503"):
        fetch_source(_source(url), data)
    assert _stored(data) == []
    assert fetch_source(_source(url), data).outcome == "new"


def test_html_with_status_200_is_rejected(http_server, tmp_path) -> None:
    url = http_server.add(
        "/doc.pdf",
        Route(body=b"<!DOCTYPE html><html><body>Not found</body></html>", content_type="text/html"),
    )
    data = DataDir(tmp_path)
    with pytest.raises(FetchError, match="HTML page"):
        fetch_source(_source(url), data)
    assert _stored(data) == []
    assert list(data.raw_dir("s1").glob(".fetch.*")) == []
    log = read_jsonl(data.fetch_log("s1"))
    assert log[-1]["error"] and "HTML" in log[-1]["error"]


def test_body_shorter_than_content_length_is_rejected(
    http_server, tmp_path, sample_pdf_bytes
) -> None:
    url = http_server.add("/doc.pdf", Route(body=sample_pdf_bytes["teian"], truncate_to=2000))
    data = DataDir(tmp_path)
    with pytest.raises(FetchError):
        fetch_source(_source(url), data)
    assert _stored(data) == []


def test_size_cap(http_server, tmp_path, sample_pdf_bytes) -> None:
    url = http_server.add("/doc.pdf", Route(body=sample_pdf_bytes["teian"]))
    with pytest.raises(FetchError, match="cap"):
        fetch_source(_source(url), DataDir(tmp_path), max_bytes=1000)
    assert _stored(DataDir(tmp_path)) == []


def test_local_paths_and_file_urls(tmp_path, sample_pdf_bytes) -> None:
    pdf = tmp_path / "in" / "doc.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(sample_pdf_bytes["budget"])
    data = DataDir(tmp_path / "data")
    assert fetch_source(_source(str(pdf)), data).outcome == "new"
    assert fetch_source(_source(pdf.as_uri()), data).outcome == "unchanged"
    not_pdf = tmp_path / "in" / "page.pdf"
    not_pdf.write_text("<html></html>")
    with pytest.raises(FetchError):
        fetch_source(_source(str(not_pdf)), data)

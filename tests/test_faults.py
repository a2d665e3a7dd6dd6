"""Network faults, served by a real HTTP server on 127.0.0.1: each ends with the right outcome, a
reason in the fetch log, nothing half-downloaded in the raw store, and (through the flow) a
`documents` row saying what happened while the other sources are still published."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.fetch import FetchError, SourceGone, TransientFetchError, fetch_source
from flows.runner import run_refresh
from flows.store import DataDir, read_jsonl
from tests.fixtures.tls import make_localhost_cert
from tests.httpserver import FixtureServer, Route
from transforms.catalog import Source

MOVED_HOST = (
    "http://teian-site-moved.invalid/kouiki/teian.pdf"  # .invalid never resolves (RFC 6761)
)


def _source(url: str, **kw) -> Source:
    return Source(id="s1", title="t", url=url, **kw)


def _raw_files(data: DataDir) -> list[Path]:
    """Everything under the source's raw folder except the fetch log: PDFs and any temp file."""
    return sorted(p for p in data.raw_dir("s1").iterdir() if p.name != "fetch-log.jsonl")


def _last_log(data: DataDir) -> dict:
    return read_jsonl(data.fetch_log("s1"))[-1]


# ---------------------------------------------------------------- transient: retried, then failed


def test_timeout_is_transient_and_logged(http_server, tmp_path, sample_pdf_bytes) -> None:
    url = http_server.add("/slow.pdf", Route(body=sample_pdf_bytes["budget"], delay=1.5))
    data = DataDir(tmp_path)
    with pytest.raises(TransientFetchError, match="timed out"):
        fetch_source(_source(url), data, timeout=0.3)
    assert _raw_files(data) == []
    assert "timed out" in _last_log(data)["error"]


def test_connection_reset_is_transient_and_logged(http_server, tmp_path) -> None:
    url = http_server.add("/reset.pdf", Route(reset=True))
    data = DataDir(tmp_path)
    with pytest.raises(TransientFetchError, match="connection"):
        fetch_source(_source(url), data)
    assert _raw_files(data) == []
    assert _last_log(data)["error"]


def test_truncated_body_is_transient_and_leaves_nothing(
    http_server, tmp_path, sample_pdf_bytes
) -> None:
    body = sample_pdf_bytes["budget"]
    url = http_server.add("/cut.pdf", Route(body=body, truncate_to=len(body) // 2))
    data = DataDir(tmp_path)
    with pytest.raises(TransientFetchError, match="truncated download"):
        fetch_source(_source(url), data)
    assert _raw_files(data) == []  # neither a PDF nor a .part temp file
    assert "Content-Length" in _last_log(data)["error"]


# ---------------------------------------------------------------- rejected bodies


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"<!DOCTYPE html><html><body>Moved</body></html>", "text/html", "HTML page"),
        (b'{"error": "maintenance"}', "application/json", "not a PDF"),
        (b"PK\x03\x04" + b"\x00" * 200, "application/pdf", "not a PDF"),  # a ZIP labelled as PDF
        (b"", "application/pdf", "empty body"),
    ],
)
def test_non_pdf_bodies_with_200_are_rejected(
    http_server, tmp_path, body, content_type, reason
) -> None:
    url = http_server.add("/doc.pdf", Route(body=body, content_type=content_type))
    data = DataDir(tmp_path)
    with pytest.raises(FetchError, match=reason) as caught:
        fetch_source(_source(url), data)
    assert not isinstance(caught.value, TransientFetchError)  # retrying would not help
    assert _raw_files(data) == []
    assert reason in _last_log(data)["error"]


def test_body_over_the_size_cap_leaves_nothing(http_server, tmp_path, sample_pdf_bytes) -> None:
    url = http_server.add("/big.pdf", Route(body=sample_pdf_bytes["teian"]))
    data = DataDir(tmp_path)
    with pytest.raises(FetchError, match="cap"):
        fetch_source(_source(url), data, max_bytes=len(sample_pdf_bytes["teian"]) - 1)
    assert _raw_files(data) == []
    assert "cap" in _last_log(data)["error"]


# ---------------------------------------------------------------- redirects


def test_redirect_loop_fails(http_server, tmp_path) -> None:
    url = http_server.add("/a.pdf", Route(redirect_to=http_server.url("/b.pdf")))
    http_server.add("/b.pdf", Route(redirect_to=http_server.url("/a.pdf"), redirect_status=301))
    data = DataDir(tmp_path)
    with pytest.raises(FetchError, match="redirect loop") as caught:
        fetch_source(_source(url), data)
    assert not isinstance(caught.value, TransientFetchError)
    assert http_server.routes["/a.pdf"].hits == 1 and http_server.routes["/b.pdf"].hits == 1


def test_endless_redirect_chain_fails(http_server, tmp_path) -> None:
    for hop in range(15):
        http_server.add(
            f"/hop{hop}.pdf", Route(redirect_to=f"/hop{hop + 1}.pdf", redirect_status=307)
        )
    with pytest.raises(FetchError, match="more than 10 redirects"):
        fetch_source(_source(http_server.url("/hop0.pdf")), DataDir(tmp_path))


def test_relative_redirect_is_followed_and_recorded(
    http_server, tmp_path, sample_pdf_bytes
) -> None:
    http_server.add("/files/new.pdf", Route(body=sample_pdf_bytes["budget"]))
    url = http_server.add("/old.pdf", Route(redirect_to="/files/new.pdf", redirect_status=301))
    result = fetch_source(_source(url), DataDir(tmp_path))
    assert result.outcome == "new"
    assert result.fetched_from == http_server.url("/files/new.pdf")


def test_redirect_from_http_to_https_is_followed(
    http_server, tmp_path, sample_pdf_bytes, monkeypatch
) -> None:
    cert, key = make_localhost_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate, verify as usual
    secure = FixtureServer(tls=(cert, key)).start()
    try:
        target = secure.add("/doc.pdf", Route(body=sample_pdf_bytes["budget"]))
        assert target.startswith("https://127.0.0.1:")
        url = http_server.add("/doc.pdf", Route(redirect_to=target, redirect_status=301))
        result = fetch_source(_source(url), DataDir(tmp_path / "data"))
    finally:
        secure.stop()
    assert result.outcome == "new" and result.fetched_from == target
    assert Path(result.path).read_bytes() == sample_pdf_bytes["budget"]


def test_an_untrusted_certificate_fails_without_retry(tmp_path, sample_pdf_bytes) -> None:
    cert, key = make_localhost_cert(tmp_path)
    secure = FixtureServer(tls=(cert, key)).start()
    try:
        url = secure.add("/doc.pdf", Route(body=sample_pdf_bytes["budget"]))
        with pytest.raises(FetchError, match="certificate not trusted") as caught:
            fetch_source(_source(url), DataDir(tmp_path / "data"))
    finally:
        secure.stop()
    assert not isinstance(caught.value, TransientFetchError)


@pytest.mark.parametrize("scheme", ["file", "ftp", "data"])
def test_redirect_to_a_non_http_scheme_is_refused(
    http_server, tmp_path, sample_pdf_bytes, scheme
) -> None:
    # a real PDF on this machine: a remote server must not be able to make us read it
    secret = tmp_path / "local" / "private.pdf"
    secret.parent.mkdir()
    secret.write_bytes(sample_pdf_bytes["budget"])
    location = {
        "file": secret.as_uri(),
        "ftp": "ftp://127.0.0.1/private.pdf",
        "data": "data:application/pdf;base64,JVBERi0xLjQK",
    }[scheme]
    url = http_server.add("/doc.pdf", Route(redirect_to=location))
    data = DataDir(tmp_path / "data")
    with pytest.raises(
        FetchError,
        match="redirect to an invalid URL refused"
        if scheme == "data"
        else f"redirect to {scheme}:// refused",
    ):
        fetch_source(_source(url), data)
    assert _raw_files(data) == []
    assert "refused" in _last_log(data)["error"]


# ---------------------------------------------------------------- gone: archived copy


def test_404_without_an_archive_is_gone(http_server, tmp_path) -> None:
    data = DataDir(tmp_path)
    with pytest.raises(SourceGone, match="404.*no archived copy"):
        fetch_source(_source(http_server.url("/nowhere.pdf")), data)
    assert len(read_jsonl(data.fetch_log("s1"))) == 1


def test_gone_and_archive_missing_too(http_server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TEIAN_ARCHIVE_BASE", http_server.url("/web"))
    url = http_server.add("/gone.pdf", Route(status=410))
    data = DataDir(tmp_path)
    with pytest.raises(FetchError, match="410; archived copy: .*404"):
        fetch_source(_source(url, archive=True), data)
    log = read_jsonl(data.fetch_log("s1"))
    assert [entry["archive"] for entry in log] == [False, True]
    assert log[1]["url"].startswith(http_server.url("/web/")) and log[1]["url"].endswith(
        "id_/" + url
    )


def test_unknown_host_with_archive_fetches_the_archived_copy(
    http_server, tmp_path, sample_pdf_bytes, monkeypatch
) -> None:
    monkeypatch.setenv("TEIAN_ARCHIVE_BASE", http_server.url("/web"))
    http_server.add("/web/*", Route(redirect_to=http_server.url("/capture/20150301id_/teian.pdf")))
    http_server.add("/capture/20150301id_/teian.pdf", Route(body=sample_pdf_bytes["teian"]))
    data = DataDir(tmp_path)
    result = fetch_source(_source(MOVED_HOST, archive=True), data)
    assert result.outcome == "new"
    assert result.fetched_from == http_server.url("/capture/20150301id_/teian.pdf")
    first, second = read_jsonl(data.fetch_log("s1"))
    assert "host not found" in first["error"] and first["sha256"] is None
    assert second["error"] is None and second["fetched_from"] == result.fetched_from
    assert http_server.routes["/web/*"].hits == 1


# ---------------------------------------------------------------- through the flow


@pytest.mark.usefixtures("prefect_harness")
def test_network_faults_through_the_flow(
    http_server, tmp_path, sample_pdf_bytes, monkeypatch
) -> None:
    """One run over every kind of network fault: the good sources are published, each bad one
    fails alone with its reason in `documents.error`, the run ends Failed and its summary
    artifact lists every source."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    monkeypatch.setenv("TEIAN_ARCHIVE_BASE", http_server.url("/web"))
    pdf = sample_pdf_bytes["budget"]
    routes = {
        "good": Route(body=pdf, etag='"v1"'),
        "flaky": Route(body=pdf, fail_times=1),  # one 503, then fine: retried
        "down": Route(body=pdf, fail_times=100),  # 503 every time: retried, then failed
        "slow": Route(body=pdf, delay=4.0),  # answers after the timeout, every time
        "html": Route(body=b"<html><body>Page not found</body></html>", content_type="text/html"),
        "to-file": Route(redirect_to=(tmp_path / "private.pdf").as_uri()),
        "loop": Route(redirect_to=http_server.url("/loop.pdf")),
        "gone": Route(status=404),
        "gone-archived": Route(status=404),
    }
    (tmp_path / "private.pdf").write_bytes(pdf)
    for name, route in routes.items():
        http_server.add(f"/{name}.pdf", route)
    http_server.add("/web/*", Route(body=pdf))  # the archive has a copy of everything
    entries = [
        f'[[source]]\nid = "{name}"\ntitle = "{name}"\nurl = "{http_server.url(f"/{name}.pdf")}"\n'
        for name in routes
    ]
    entries[-1] += "archive = true\n"
    entries.append(
        f'[[source]]\nid = "moved-host"\ntitle = "moved"\nurl = "{MOVED_HOST}"\n'
        f'archive_url = "{http_server.url("/capture/moved.pdf")}"\n'
    )
    http_server.add("/capture/moved.pdf", Route(body=pdf))
    catalog = tmp_path / "catalog.toml"
    catalog.write_text("\n".join(entries), encoding="utf-8")
    data_dir = tmp_path / "data"

    state, result = run_refresh(
        catalog=str(catalog),
        data_dir=str(data_dir),
        workers=2,
        retry_delays=[0.1, 0.1],
        fetch_timeout=1.5,
    )
    assert state.is_failed()
    outcome = {r["source_id"]: r for r in result["sources"]}
    published = {"good", "flaky", "gone-archived", "moved-host"}
    assert {s for s, r in outcome.items() if r["outcome"] == "published"} == published
    reasons = {
        "down": "HTTP 503",
        "slow": "timed out",
        "html": "HTML page",
        "to-file": "redirect to file:// refused",
        "loop": "redirect loop",
        "gone": "no archived copy",
    }
    assert {s for s, r in outcome.items() if r["outcome"] == "failed"} == set(reasons)
    assert routes["flaky"].hits == 2
    assert routes["down"].hits == 3 and routes["slow"].hits == 3  # first try + 2 retries
    assert (
        routes["html"].hits == 1 and routes["loop"].hits == 1 and routes["gone"].hits == 1
    )  # not retried

    documents = data_dir / "processed" / "documents"
    for source_id, reason in reasons.items():
        [row] = pq.read_table(documents / f"{source_id}.parquet").to_pylist()
        assert row["status"] == "failed" and not row["is_current"]
        assert row["error"].startswith("fetch: ") and reason in row["error"], row["error"]
        log = read_jsonl(data_dir / "raw" / source_id / "fetch-log.jsonl")
        assert log and all(entry["error"] for entry in log)
        assert {"gone": "HTTP 404"}.get(source_id, reason) in log[-1]["error"]
        assert not [
            p for p in (data_dir / "raw" / source_id).iterdir() if p.name != "fetch-log.jsonl"
        ]
        assert not (data_dir / "processed" / "pages" / f"{source_id}.parquet").exists()
    fetched_from = {
        s: pq.read_table(documents / f"{s}.parquet").to_pylist()[-1]["fetched_from"]
        for s in published
    }
    assert fetched_from["good"] == http_server.url("/good.pdf")
    assert fetched_from["gone-archived"].startswith(http_server.url("/web/"))
    assert fetched_from["gone-archived"].endswith("id_/" + http_server.url("/gone-archived.pdf"))
    assert fetched_from["moved-host"] == http_server.url("/capture/moved.pdf")

    flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        [artifact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["teian-run-summary"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
            )
        )
    for source_id, row in outcome.items():
        assert f"| {source_id} | {row['outcome']} |" in artifact.data

    # a failed fetch never touches the last good data: the archive going away now changes nothing
    before = {
        p: p.read_bytes()
        for p in (data_dir / "processed").rglob("*.parquet")
        if "documents" not in p.parts
    }
    routes["good"].fail_times = 100
    state, result = run_refresh(
        catalog=str(catalog),
        data_dir=str(data_dir),
        workers=2,
        only=["good"],
        retry_delays=[],
        fetch_timeout=1.5,
    )
    assert state.is_failed()
    after = {
        p: p.read_bytes()
        for p in (data_dir / "processed").rglob("*.parquet")
        if "documents" not in p.parts
    }
    assert after == before
    history = pq.read_table(documents / "good.parquet").to_pylist()
    assert [(h["status"], h["is_current"]) for h in history] == [("ok", True), ("failed", False)]

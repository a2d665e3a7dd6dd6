"""Hostile servers and local paths, fetched for real: each fails with a line that says what it
is, within the fetch's deadline, and leaves nothing in the raw store but its fetch-log line.

Servers run on 127.0.0.1: the scripted `tests/httpserver.py`, or a raw socket where a fault
needs bytes no HTTP library would send.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from flows.fetch import DeadlinePassed, FetchError, TransientFetchError, fetch_source
from flows.store import DataDir, file_sha256, read_jsonl
from tests.httpserver import Route
from transforms.catalog import Source


def _source(url: str, sid: str = "s1") -> Source:
    return Source(id=sid, title="t", url=url)


def _leftovers(data: DataDir, sid: str = "s1") -> list[Path]:
    """Everything in the source's raw folder but its fetch log: PDFs and temp files."""
    folder = data.raw_dir(sid)
    return (
        sorted(p for p in folder.iterdir() if p.name != "fetch-log.jsonl")
        if folder.exists()
        else []
    )


def _raw_server(reply: bytes, hold: float = 0.0) -> tuple[str, socket.socket]:
    """A server that answers every request with `reply` (raw bytes), then holds the
    connection open `hold` seconds."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                try:
                    conn.recv(65536)
                    conn.sendall(reply)
                    time.sleep(hold)
                except OSError:  # the client gave up: that is what the test wants
                    pass

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/doc.pdf", listener


# ---------------------------------------------------------------- the overall deadline


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_trickling_server_ends_at_the_deadline(
    http_server, tmp_path, sample_pdf_bytes, headers_too
) -> None:
    """One byte every 0.2 s never trips the 60 s read timeout; the 2 s deadline ends it."""
    route = Route(body=sample_pdf_bytes["budget"], trickle=0.2, trickle_headers=headers_too)
    url = http_server.add("/slow.pdf", route)
    data = DataDir(tmp_path)
    started = time.monotonic()
    with pytest.raises(DeadlinePassed, match="not finished within the fetch's deadline of 2s"):
        fetch_source(_source(url), data, deadline=2.0)
    assert time.monotonic() - started < 10
    assert not isinstance(
        DeadlinePassed("x"), TransientFetchError
    )  # not retried: it would trickle again
    assert _leftovers(data) == []
    assert "deadline" in read_jsonl(data.fetch_log("s1"))[-1]["error"]


def test_informational_responses_forever_end_at_the_deadline(tmp_path) -> None:
    url, listener = _raw_server(b"HTTP/1.1 102 Processing\r\n\r\n" * 200_000, hold=30)
    try:
        started = time.monotonic()
        with pytest.raises(FetchError, match="deadline|timed out|connection"):
            fetch_source(_source(url), DataDir(tmp_path), deadline=2.0)
        assert time.monotonic() - started < 10
    finally:
        listener.close()


# ---------------------------------------------------------------- misleading lines, fixed


def test_a_body_shorter_than_content_length_counts_what_came(tmp_path) -> None:
    url, listener = _raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 2000\r\n\r\n"
        + b"%PDF-1.4\n"
        + b"x" * 991
    )
    try:
        with pytest.raises(
            TransientFetchError, match="body is 1000 bytes but Content-Length said 2000"
        ):
            fetch_source(_source(url), DataDir(tmp_path))
    finally:
        listener.close()
    assert _leftovers(DataDir(tmp_path)) == []


def test_a_304_to_a_plain_get_says_so(http_server, tmp_path, sample_pdf_bytes) -> None:
    route = Route(body=sample_pdf_bytes["budget"])  # no ETag, no Last-Modified
    url = http_server.add("/doc.pdf", route)
    data = DataDir(tmp_path)
    assert fetch_source(_source(url), data).outcome == "new"
    route.status = 304  # a second, unconditional GET answered "not modified"
    with pytest.raises(
        FetchError, match="answered 304 Not Modified to a request that was not conditional"
    ):
        fetch_source(_source(url), data)
    assert not route.request_headers[-1].get("If-None-Match")


def test_an_upper_case_scheme_is_fetched_over_http(http_server, tmp_path, sample_pdf_bytes) -> None:
    from transforms.catalog import parse_catalog

    url = http_server.add("/doc.pdf", Route(body=sample_pdf_bytes["budget"]))
    [source] = parse_catalog(
        f'[[source]]\nid="up"\ntitle="t"\nurl="{url.replace("http://", "HTTP://")}"\n'
    ).sources
    assert source.is_remote and source.url == url
    assert fetch_source(source, DataDir(tmp_path)).outcome == "new"


def test_a_redirect_to_a_port_out_of_range_is_refused_at_once(http_server, tmp_path) -> None:
    url = http_server.add("/doc.pdf", Route(redirect_to="http://127.0.0.1:99999/doc.pdf"))
    with pytest.raises(FetchError, match="redirect to an invalid URL") as caught:
        fetch_source(_source(url), DataDir(tmp_path))
    assert not isinstance(caught.value, TransientFetchError)


# ---------------------------------------------------------------- local paths that are no PDF


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.pdf"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: tmp, "is a directory, not a PDF file"),
        (_fifo, "is a FIFO, not a regular file"),
        (lambda tmp: Path("/dev/zero"), "is a device or socket, not a regular file"),
        (lambda tmp: tmp / "missing.pdf", "file not found"),
        (lambda tmp: Path("/etc/passwd"), "not a PDF"),
    ],
    ids=["directory", "fifo", "dev-zero", "missing", "etc-passwd"],
)
def test_local_paths_that_are_not_pdf_files_say_what_they_are(tmp_path, make, reason) -> None:
    (tmp_path / "files").mkdir(exist_ok=True)
    target = make(tmp_path / "files")
    data = DataDir(tmp_path / "data")
    started = time.monotonic()
    with pytest.raises(FetchError, match=reason):
        fetch_source(_source(target.as_uri() if target.is_absolute() else str(target)), data)
    assert time.monotonic() - started < 10  # a FIFO is never opened for a blocking read
    assert _leftovers(data) == []  # no .fetch.*.part left behind


def test_a_local_file_over_the_cap_leaves_nothing(tmp_path, sample_pdf_bytes) -> None:
    pdf = tmp_path / "big.pdf"
    pdf.write_bytes(sample_pdf_bytes["teian"])
    data = DataDir(tmp_path / "data")
    with pytest.raises(FetchError, match="over the"):
        fetch_source(_source(str(pdf)), data, max_bytes=1000)
    assert _leftovers(data) == []


# ---------------------------------------------------------------- the raw store checked


def test_a_stored_copy_that_no_longer_matches_its_hash_is_replaced(
    http_server, tmp_path, sample_pdf_bytes
) -> None:
    good = sample_pdf_bytes["budget"]
    url = http_server.add("/doc.pdf", Route(body=good))
    data = DataDir(tmp_path)
    first = fetch_source(_source(url), data)
    stored = Path(first.path)
    stored.write_bytes(sample_pdf_bytes["teian"])  # swapped for another PDF on disk
    again = fetch_source(_source(url), data)
    assert again.sha256 == first.sha256 and stored.read_bytes() == good
    assert file_sha256(stored) == first.sha256
    assert "replaced" in read_jsonl(data.fetch_log("s1"))[-1]["repaired"]

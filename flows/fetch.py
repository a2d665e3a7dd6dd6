"""Download (or copy) a source's PDF into the content-addressed raw store.

A body is only stored when it is a whole PDF: it must start with `%PDF-`, match its
Content-Length and stay under the size cap. Transient failures (timeouts, connection errors, 5xx)
raise `TransientFetchError` so the Prefect task retries them with backoff; everything else raises
`FetchError` at once. Every attempt, good or bad, is appended to the source's fetch log.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

from flows.store import DataDir, append_jsonl, read_jsonl
from transforms.catalog import Source

MAX_BYTES = 200 * 1024 * 1024
TIMEOUT_SECONDS = 60.0
MAX_REDIRECTS = 10
USER_AGENT = "teian/0.1 (+https://github.com/teian-data/teian; open data pipeline)"
ARCHIVE_BASE = os.environ.get("TEIAN_ARCHIVE_BASE", "https://web.archive.org/web")
CHUNK = 1024 * 256


class FetchError(Exception):
    """A fetch that failed for good (not worth retrying now)."""


class TransientFetchError(FetchError):
    """A fetch that may succeed if tried again: timeout, connection error, 5xx."""


class SourceGone(FetchError):
    """404/410 or a name that does not resolve: the document may live on in an archive."""


@dataclass
class FetchResult:
    source_id: str
    path: str
    sha256: str
    size_bytes: int
    fetched_from: str
    retrieved_at: str
    outcome: str  # "new" | "unchanged" | "not-modified"
    etag: str | None = None
    last_modified: str | None = None


def now_utc() -> str:
    return datetime.now(UTC).isoformat()


def archive_url_for(source: Source) -> str | None:
    """Where the archived copy lives: the catalog's archive_url, or the Internet Archive raw form."""
    if source.archive_url:
        return source.archive_url
    if source.archive and source.is_remote:
        return f"{ARCHIVE_BASE}/2id_/{source.url}"
    return None


def _local_path(url: str) -> Path:
    if url.startswith("file://"):
        return Path(unquote(urlparse(url).path))
    return Path(url)


def _last_success(data_dir: DataDir, source_id: str, url: str) -> dict | None:
    for record in reversed(read_jsonl(data_dir.fetch_log(source_id))):
        if record.get("sha256") and record.get("url") == url and record.get("error") is None:
            if data_dir.raw_pdf(source_id, record["sha256"]).exists():
                return record
    return None


def _store(data_dir: DataDir, source_id: str, tmp: Path, sha256: str) -> tuple[Path, bool]:
    """Move a verified temp file into the raw store; an existing file is never overwritten."""
    target = data_dir.raw_pdf(source_id, sha256)
    if target.exists():
        tmp.unlink()
        return target, False
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return target, True


def _check_pdf_head(head: bytes, url: str) -> None:
    if not head.lstrip(b"\r\n\t \x00\xef\xbb\xbf")[:5] == b"%PDF-":
        snippet = head[:40].decode("latin-1", "replace").strip().replace("\n", " ")
        kind = "an HTML page" if b"<html" in head.lower() or b"<!doctype" in head.lower() else "not a PDF"
        raise FetchError(f"{url} returned {kind} (starts with {snippet[:30]!r})")


def _copy_local(source: Source, data_dir: DataDir, tmp_dir: Path) -> tuple[Path, str, int]:
    path = _local_path(source.url)
    if not path.is_file():
        raise FetchError(f"file not found: {path}")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise FetchError(f"{path} is {size} bytes, over the {MAX_BYTES}-byte cap")
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".fetch.", suffix=".part", dir=tmp_dir)
    with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
        head = src.read(1024)
        _check_pdf_head(head, str(path))
        out.write(head)
        digest.update(head)
        while chunk := src.read(CHUNK):
            out.write(chunk)
            digest.update(chunk)
    return Path(tmp), digest.hexdigest(), size


def _download(
    url: str, tmp_dir: Path, headers: dict[str, str], timeout: float, max_bytes: int
) -> tuple[Path | None, str, int, httpx.Response]:
    """Stream `url` to a temp file. Returns (None, …) on 304 Not Modified."""
    try:
        with httpx.Client(
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT},
        ) as client, client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return None, "", 0, response
            if response.status_code in (404, 410):
                raise SourceGone(f"{url} returned HTTP {response.status_code}")
            if response.status_code >= 500 or response.status_code == 429:
                raise TransientFetchError(f"{url} returned HTTP {response.status_code}")
            if response.status_code >= 400:
                raise FetchError(f"{url} returned HTTP {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url} declares {declared} bytes, over the {max_bytes}-byte cap")
            digest = hashlib.sha256()
            size = 0
            fd, tmp = tempfile.mkstemp(prefix=".fetch.", suffix=".part", dir=tmp_dir)
            tmp_path = Path(tmp)
            try:
                with os.fdopen(fd, "wb") as out:
                    head = b""
                    for chunk in response.iter_raw(CHUNK):
                        if len(head) < 1024:
                            head += chunk[: 1024 - len(head)]
                            if len(head) >= 5:
                                _check_pdf_head(head, url)
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(f"{url} is over the {max_bytes}-byte cap")
                        out.write(chunk)
                        digest.update(chunk)
                if size == 0:
                    raise FetchError(f"{url} returned an empty body")
                _check_pdf_head(head, url)
                if declared and declared.isdigit() and size != int(declared):
                    raise FetchError(
                        f"{url} body is {size} bytes but Content-Length said {declared} (truncated download)"
                    )
            except BaseException:
                tmp_path.unlink(missing_ok=True)
                raise
            return tmp_path, digest.hexdigest(), size, response
    except httpx.TooManyRedirects:
        raise FetchError(f"{url}: too many redirects (a redirect loop?)") from None
    except httpx.UnsupportedProtocol as exc:
        raise FetchError(f"{url}: redirect to an unsupported scheme refused ({exc})") from None
    except httpx.ConnectError as exc:
        if "Name or service not known" in str(exc) or "nodename nor servname" in str(exc) or "Temporary failure in name resolution" in str(exc):
            raise SourceGone(f"{url}: host not found ({exc})") from None
        raise TransientFetchError(f"{url}: connection failed ({exc})") from None
    except httpx.TimeoutException:
        raise TransientFetchError(f"{url}: timed out after {timeout:g}s") from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise TransientFetchError(f"{url}: connection broken ({exc.__class__.__name__}: {exc})") from None


def fetch_source(
    source: Source,
    data_dir: DataDir,
    timeout: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> FetchResult:
    """Fetch `source` into the raw store and log the attempt. Raises FetchError on failure."""
    raw_dir = data_dir.raw_dir(source.id)
    raw_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir.fetch_log(source.id)
    attempt = {"time": now_utc(), "source_id": source.id, "url": source.url}
    urls = [source.url]
    fallback = archive_url_for(source)
    last_error: FetchError | None = None
    for url in urls + ([fallback] if fallback else []):
        attempt = {"time": now_utc(), "source_id": source.id, "url": url, "status": None, "bytes": None,
                   "sha256": None, "etag": None, "last_modified": None, "error": None}
        try:
            if url.startswith(("http://", "https://")):
                headers = {}
                previous = _last_success(data_dir, source.id, url)
                if previous:
                    if previous.get("etag"):
                        headers["If-None-Match"] = previous["etag"]
                    if previous.get("last_modified"):
                        headers["If-Modified-Since"] = previous["last_modified"]
                tmp, sha256, size, response = _download(url, raw_dir, headers, timeout, max_bytes)
                attempt.update(status=response.status_code, etag=response.headers.get("etag"),
                               last_modified=response.headers.get("last-modified"))
                if tmp is None:  # 304 Not Modified: the stored file is still current
                    assert previous is not None
                    attempt.update(sha256=previous["sha256"], bytes=previous.get("bytes"),
                                   etag=attempt["etag"] or previous.get("etag"),
                                   last_modified=attempt["last_modified"] or previous.get("last_modified"))
                    append_jsonl(log, attempt)
                    path = data_dir.raw_pdf(source.id, previous["sha256"])
                    return FetchResult(source.id, str(path), previous["sha256"], path.stat().st_size, url,
                                       attempt["time"], "not-modified", attempt["etag"], attempt["last_modified"])
            else:
                if url != source.url:
                    raise FetchError(f"archive url {url} must be http(s)")
                tmp, sha256, size = _copy_local(source, data_dir, raw_dir)
                attempt.update(status="file")
            path, created = _store(data_dir, source.id, tmp, sha256)
            attempt.update(sha256=sha256, bytes=size)
            append_jsonl(log, attempt)
            return FetchResult(source.id, str(path), sha256, size, url, attempt["time"],
                               "new" if created else "unchanged", attempt["etag"], attempt["last_modified"])
        except SourceGone as exc:
            attempt["error"] = str(exc)
            append_jsonl(log, attempt)
            last_error = exc
            continue  # try the archived copy, if the catalog allows one
        except FetchError as exc:
            attempt["error"] = str(exc)
            append_jsonl(log, attempt)
            raise
    assert last_error is not None
    if fallback:
        raise FetchError(f"{last_error} (archived copy also unavailable)")
    raise last_error


def result_dict(result: FetchResult) -> dict:
    return asdict(result)

"""Download (or copy) a source's PDF into the content-addressed raw store.

A body is only stored when it is a whole PDF: it must start with `%PDF-`, match its
Content-Length and stay under the size cap. Transient failures (timeouts, connection errors, 5xx)
raise `TransientFetchError` so the Prefect task retries them with backoff; everything else raises
`FetchError` at once. Every attempt, good or bad, is appended to the source's fetch log.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import httpx

from flows import defaults
from flows.store import DataDir, append_fetch_log, read_fetch_log
from transforms.catalog import Source
from transforms.records import FetchResult

MAX_BYTES = 200 * 1024 * 1024
MAX_REDIRECTS = 10
USER_AGENT = "teian/0.1 (+https://github.com/teian-data/teian; open data pipeline)"
ARCHIVE_BASE = "https://web.archive.org/web"  # TEIAN_ARCHIVE_BASE overrides it (a mirror, or tests)
CHUNK = 1024 * 256


class FetchError(Exception):
    """A fetch that failed for good (not worth retrying now)."""


class TransientFetchError(FetchError):
    """A fetch that may succeed if tried again: timeout, connection error, 5xx."""


class SourceGone(FetchError):
    """404/410 or a name that does not resolve: the document may live on in an archive."""


def now_utc() -> str:
    return datetime.now(UTC).isoformat()


def archive_url_for(source: Source, when: datetime | None = None) -> str | None:
    """Where the archived copy lives: the catalog's archive_url, or the Internet Archive raw form.

    The Wayback Machine answers `<base>/<timestamp>id_/<url>` with a redirect to the capture
    nearest that timestamp, and `id_` asks for the original bytes rather than the replay page
    with its toolbar. Using "now" as the timestamp asks for the latest capture.
    """
    if source.archive_url:
        return source.archive_url
    if source.archive and source.is_remote:
        base = os.environ.get("TEIAN_ARCHIVE_BASE", ARCHIVE_BASE).rstrip("/")
        stamp = (when or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
        return f"{base}/{stamp}id_/{source.url}"
    return None


def _local_path(url: str) -> Path:
    if url.startswith("file://"):
        return Path(unquote(urlparse(url).path))
    return Path(url)


def _last_success(data_dir: DataDir, source_id: str, url: str) -> dict | None:
    for record in reversed(read_fetch_log(data_dir, source_id)):
        if record.get("sha256") and record.get("url") == url and record.get("error") is None:
            if data_dir.exists(data_dir.raw_pdf(source_id, record["sha256"])):
                return record
    return None


def _store(data_dir: DataDir, source_id: str, tmp: Path, sha256: str) -> tuple[Path, bool]:
    """Move a verified temp file into the raw store; an existing file is never overwritten.

    On a remote data dir the local file is the cache copy the extraction reads, and the object
    is uploaded only when the URL does not hold it yet.
    """
    target = data_dir.raw_pdf(source_id, sha256)
    if target.exists():
        tmp.unlink()
        created = False
    else:
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        created = True
    if data_dir.is_remote:
        created = data_dir.upload(target, overwrite=False)
    return target, created


def _check_pdf_head(head: bytes, url: str) -> None:
    if not head.lstrip(b"\r\n\t \x00\xef\xbb\xbf")[:5] == b"%PDF-":
        is_html = b"<html" in head.lower() or b"<!doctype" in head.lower()
        kind = "an HTML page" if is_html else "not a PDF"
        raise FetchError(f"{url} returned {kind} ({readable_start(head)})")


_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _decoded(head: bytes) -> str | None:
    """The body's start as text: in its declared charset, else the first of UTF-8, EUC-JP and
    Shift_JIS it is valid in (a character cut by the end of `head` does not count)."""
    declared = _CHARSET.search(head)
    names = [declared.group(1).decode("ascii")] if declared else []
    for name in [*names, "utf-8", "euc_jp", "cp932"]:
        try:
            decoder = codecs.getincrementaldecoder(name)()
            return decoder.decode(head, final=False)
        except (LookupError, UnicodeDecodeError):
            continue
    return None


def readable_start(head: bytes) -> str:
    """What a body that is not a PDF starts with, as a person reads it: an HTML page's title,
    or its first characters decoded in their own encoding (not as mojibake), or its first bytes
    in hex when it is not text at all."""
    text = _decoded(head)
    if text is None or sum(not (c.isprintable() or c.isspace()) for c in text) > len(text) // 10:
        return f"starts with bytes {head[:8].hex(' ')}"
    title = _TITLE.search(text)
    if title and title.group(1).strip():
        return f"title {' '.join(title.group(1).split())[:60]!r}"
    return f"starts with {' '.join(text.split())[:40]!r}"


def _copy_local(source: Source, data_dir: DataDir, tmp_dir: Path) -> tuple[Path, str, int]:
    path = _local_path(source.url)
    if not path.is_file():
        raise FetchError(f"file not found: {path}")
    size = path.stat().st_size
    if size == 0:
        raise FetchError(f"{path} is an empty file (0 bytes)")
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


def _is_dns_failure(exc: BaseException) -> bool:
    """getaddrinfo said the name does not exist (EAI_NONAME), as for a site whose domain lapsed."""
    text = str(exc)
    return any(
        marker in text
        for marker in (
            "Name or service not known",
            "nodename nor servname",
            "No address associated with hostname",
            "[Errno -2]",
            "[Errno -5]",
            "[Errno 11001]",
        )
    )


def _next_url(response: httpx.Response, url: str, seen: set[str]) -> str:
    """Where a redirect points; refuses anything but http(s) and URLs already visited (a loop)."""
    location = response.headers.get("location")
    if not location:
        raise FetchError(f"{url} returned HTTP {response.status_code} without a Location header")
    target = urljoin(str(response.url), location.strip())
    scheme = urlparse(target).scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(
            f"{url}: redirect to {scheme}:// refused (only http and https are followed)"
        )
    try:
        httpx.URL(target)
    except httpx.InvalidURL as exc:
        raise FetchError(f"{url}: redirect to an invalid URL {location[:100]!r} ({exc})") from None
    if target in seen:
        raise FetchError(f"{url}: redirect loop (back to {target})")
    return target


def _download(
    url: str, tmp_dir: Path, headers: dict[str, str], timeout: float, max_bytes: int
) -> tuple[Path | None, str, int, httpx.Response]:
    """Stream `url` to a temp file, following http(s) redirects by hand. Returns (None, …) on 304.

    Redirects are followed here rather than by httpx so that every hop is checked: only http and
    https (a remote server must never make us read a local file), at most MAX_REDIRECTS hops, and
    a URL seen twice is a loop.
    """
    seen = {url}
    current = url
    try:
        with httpx.Client(
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            # identity: the bytes stored must be the PDF itself, and Content-Length must count them
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        ) as client:
            for _hop in range(MAX_REDIRECTS + 1):
                with client.stream("GET", current, headers=headers) as response:
                    if response.status_code in (301, 302, 303, 307, 308):
                        current = _next_url(response, url, seen)
                        seen.add(current)
                        continue
                    return _receive(response, url, tmp_dir, max_bytes)
            raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")
    except httpx.UnsupportedProtocol as exc:
        raise FetchError(f"{url}: unsupported scheme refused ({exc})") from None
    except httpx.InvalidURL as exc:  # httpx parses a Location before we see it (e.g. data: URLs)
        raise FetchError(f"{current}: redirect to an invalid URL refused ({exc})") from None
    except httpx.ConnectError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):  # a wrong certificate does not fix itself
            raise FetchError(f"{current}: TLS certificate not trusted ({exc})") from None
        if _is_dns_failure(exc):
            raise SourceGone(f"{current}: host not found ({exc})") from None
        raise TransientFetchError(f"{current}: connection failed ({exc})") from None
    except httpx.TimeoutException:
        raise TransientFetchError(f"{current}: timed out after {timeout:g}s") from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise TransientFetchError(
            f"{current}: connection broken ({exc.__class__.__name__}: {exc or 'closed by the server'})"
        ) from None


def _receive(
    response: httpx.Response, url: str, tmp_dir: Path, max_bytes: int
) -> tuple[Path | None, str, int, httpx.Response]:
    """Check the status and stream the body to a temp file that is removed unless it is a whole PDF."""
    if response.status_code == 304:
        return None, "", 0, response
    if response.status_code in (404, 410):
        raise SourceGone(f"{response.url} returned HTTP {response.status_code}")
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientFetchError(f"{response.url} returned HTTP {response.status_code}")
    if response.status_code >= 400 or response.status_code < 200:
        raise FetchError(f"{response.url} returned HTTP {response.status_code}")
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
            raise TransientFetchError(
                f"{url} body is {size} bytes but Content-Length said {declared} (truncated download)"
            )
    except httpx.RemoteProtocolError:
        tmp_path.unlink(missing_ok=True)
        if declared:  # the connection closed before the declared length arrived
            raise TransientFetchError(
                f"{url} body is {size} bytes but Content-Length said {declared} (truncated download)"
            ) from None
        raise
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return tmp_path, digest.hexdigest(), size, response


def _new_attempt(source: Source, url: str) -> dict:
    """A fetch-log record of one try at one URL, filled in as the try goes."""
    return {
        "time": now_utc(),
        "source_id": source.id,
        "url": url,
        "status": None,
        "bytes": None,
        "sha256": None,
        "etag": None,
        "last_modified": None,
        "fetched_from": None,
        "archive": url != source.url,
        "error": None,
    }


def _result(source: Source, path: Path, attempt: dict, outcome: str) -> FetchResult:
    return FetchResult(
        source_id=source.id,
        path=str(path),
        sha256=attempt["sha256"],
        size_bytes=path.stat().st_size if attempt["bytes"] is None else attempt["bytes"],
        fetched_from=attempt["fetched_from"],
        retrieved_at=attempt["time"],
        outcome=outcome,
        etag=attempt["etag"],
        last_modified=attempt["last_modified"],
    )


def _conditional_headers(previous: dict | None) -> dict[str, str]:
    headers = {}
    if previous and previous.get("etag"):
        headers["If-None-Match"] = previous["etag"]
    if previous and previous.get("last_modified"):
        headers["If-Modified-Since"] = previous["last_modified"]
    return headers


def _fetch_http(
    source: Source, data_dir: DataDir, url: str, attempt: dict, timeout: float, max_bytes: int
) -> tuple[Path, str, int] | FetchResult:
    """Download `url` (conditionally, when an earlier copy of it is stored): the temp file, or
    the stored copy's result on 304 Not Modified."""
    previous = _last_success(data_dir, source.id, url)
    raw_dir = data_dir.raw_dir(source.id)
    tmp, sha256, size, response = _download(
        url, raw_dir, _conditional_headers(previous), timeout, max_bytes
    )
    attempt.update(
        status=response.status_code,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        fetched_from=str(response.url),
    )
    if tmp is not None:
        return tmp, sha256, size
    if previous is None:
        raise FetchError(f"{url} answered 304 Not Modified to a request that was not conditional")
    attempt.update(
        sha256=previous["sha256"],
        bytes=previous.get("bytes"),
        etag=attempt["etag"] or previous.get("etag"),
        last_modified=attempt["last_modified"] or previous.get("last_modified"),
        fetched_from=previous.get("fetched_from") or url,
    )
    append_fetch_log(data_dir, source.id, attempt)
    path = data_dir.ensure_local(data_dir.raw_pdf(source.id, previous["sha256"]))
    attempt["bytes"] = path.stat().st_size
    return _result(source, path, attempt, "not-modified")


def _fetch_once(
    source: Source, data_dir: DataDir, url: str, attempt: dict, timeout: float, max_bytes: int
) -> FetchResult:
    if url.startswith(("http://", "https://")):
        got = _fetch_http(source, data_dir, url, attempt, timeout, max_bytes)
        if isinstance(got, FetchResult):
            return got
        tmp, sha256, size = got
    else:
        if url != source.url:
            raise FetchError(f"archive url {url} must be http(s)")
        tmp, sha256, size = _copy_local(source, data_dir, data_dir.raw_dir(source.id))
        attempt.update(status="file", fetched_from=url)
    path, created = _store(data_dir, source.id, tmp, sha256)
    attempt.update(sha256=sha256, bytes=size)
    append_fetch_log(data_dir, source.id, attempt)
    return _result(source, path, attempt, "new" if created else "unchanged")


def fetch_source(
    source: Source,
    data_dir: DataDir,
    timeout: float = defaults.FETCH_TIMEOUT_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> FetchResult:
    """Fetch `source` into the raw store and log every attempt. Raises FetchError on failure.

    A source that is gone (404/410, unknown host) is fetched from its archived copy when the
    catalog allows one; `fetched_from` then says where the bytes really came from (the final URL
    after redirects), so a figure can always be traced to the copy it was read from.
    """
    data_dir.raw_dir(source.id).mkdir(parents=True, exist_ok=True)
    fallback = archive_url_for(source)
    errors: list[str] = []
    for url in [source.url] + ([fallback] if fallback else []):
        attempt = _new_attempt(source, url)
        try:
            return _fetch_once(source, data_dir, url, attempt, timeout, max_bytes)
        except FetchError as exc:
            attempt["error"] = str(exc)
            append_fetch_log(data_dir, source.id, attempt)
            if isinstance(exc, SourceGone):
                errors.append(str(exc))
                continue  # try the archived copy, if the catalog allows one
            if errors:  # the source is gone and its archived copy failed too
                raise exc.__class__(f"{errors[0]}; archived copy: {exc}") from None
            raise
    if fallback:
        raise FetchError(f"{errors[0]}; archived copy: {errors[-1]}")
    raise SourceGone(
        errors[0] + " (no archived copy: set `archive = true` or `archive_url` in the catalog)"
    )

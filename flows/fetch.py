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
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import httpcore
import httpx

from flows import defaults
from flows.store import (
    DataDir,
    OutsideDataDir,
    append_fetch_log,
    describe_os_error,
    file_sha256,
    read_fetch_log,
)
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


class DeadlinePassed(FetchError):
    """The whole fetch took longer than its deadline: a server that trickles, or a file too big
    for the link. Not retried: the next try would take as long."""


@dataclass(frozen=True)
class Deadline:
    """When a whole fetch must be done (time.monotonic), and the seconds it was given."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def error(self, url: str) -> DeadlinePassed:
        return DeadlinePassed(
            f"{url}: not finished within the fetch's deadline of {self.seconds:g}s "
            "(a server that sends too slowly? --fetch-deadline sets it)"
        )


def _time_left(deadline: Deadline, timeout: float | None, error: type[Exception]) -> float:
    """An operation's timeout: its own, or less when the deadline comes first."""
    left = deadline.at - time.monotonic()
    if left <= 0:
        raise error("the fetch's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake waits at most until the deadline.

    httpx's timeouts are per operation, so a server that sends one byte every few seconds (its
    headers or its body) never times out. Giving each operation only the time left of the
    fetch's deadline ends such a download when the deadline comes, wherever it is.
    """

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        return _time_left(self._deadline, timeout, error)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):  # noqa: ANN001, ANN201 - httpcore's signature
        left = self._left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str):  # noqa: ANN201 - httpcore's signature
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Opens connections (and waits for them) only until the fetch's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend, deadline: Deadline) -> None:
        self._backend = backend
        self._deadline = deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # noqa: ANN001, ANN201 - httpcore's signature
        left = _time_left(self._deadline, timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, left, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # noqa: ANN001, ANN201
        stream = self._backend.connect_unix_socket(path, timeout, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _transport_until(deadline: Deadline) -> httpx.HTTPTransport:
    """httpx's own transport (its TLS set-up, its connection pool) on connections that end at
    `deadline`. httpx takes no network backend, so it is set on the pool the transport made."""
    transport = httpx.HTTPTransport()
    pool = transport._pool  # noqa: SLF001 - the one way to give httpx a network backend
    pool._network_backend = _DeadlineBackend(pool._network_backend, deadline)  # noqa: SLF001
    return transport


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
    if url[:7].lower() == "file://":
        return Path(unquote(urlparse(url).path))
    return Path(url)


def _last_success(data_dir: DataDir, source_id: str, url: str) -> dict | None:
    for record in reversed(read_fetch_log(data_dir, source_id)):
        if record.get("sha256") and record.get("url") == url and record.get("error") is None:
            if data_dir.exists(data_dir.raw_pdf(source_id, record["sha256"])):
                return record
    return None


def _store(data_dir: DataDir, source_id: str, tmp: Path, sha256: str) -> tuple[Path, bool, bool]:
    """Move a verified temp file into the raw store; returns (path, created, repaired).

    A stored file is never overwritten, unless it no longer matches the sha256 it is named by
    (damaged, or swapped for another file): then the bytes just downloaded, which do, replace
    it. On a remote data dir the local file is the cache copy the extraction reads, and the
    object is uploaded only when the URL does not hold it yet.
    """
    target = data_dir.checked(data_dir.raw_pdf(source_id, sha256))
    repaired = target.exists() and file_sha256(target) != sha256
    if target.exists() and not repaired:
        tmp.unlink()
        created = False
    else:
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        created = not repaired
    if data_dir.is_remote:
        created = data_dir.upload(target, overwrite=repaired) and not repaired
    return target, created, repaired


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


def _copy_local(
    source: Source, tmp_dir: Path, max_bytes: int, deadline: Deadline
) -> tuple[Path, str, int]:
    """Copy a local file into a temp file beside the raw store; only a regular file is read.

    The file is opened without blocking and checked on the open descriptor, so a FIFO, a device
    such as /dev/zero or a directory is refused for what it is (and a FIFO never hangs the run).
    The size cap and the deadline hold while copying, in case the file grows as it is read.
    """
    path = _local_path(source.url)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise FetchError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise FetchError(f"{path} is a directory, not a PDF file") from None
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        _check_regular_file(path, os.fstat(fd), max_bytes)
    except BaseException:
        os.close(fd)
        raise
    os.set_blocking(fd, True)
    with os.fdopen(fd, "rb") as src:
        check_room(tmp_dir, os.fstat(fd).st_size)
        tmp = Path(tempfile.mkstemp(prefix=".fetch.", suffix=".part", dir=tmp_dir)[1])
        try:
            sha256, size = _copy_checked(src, tmp, str(path), max_bytes, deadline)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return tmp, sha256, size


def check_room(folder: Path, size: int) -> None:
    """Refuse at once a file the disk cannot hold, rather than fill the disk that every other
    source of the run is writing to and fail anyway."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if size > free:
        raise FetchError(
            f"cannot write {folder}: no space left on the device ({size} bytes needed, {free} free)"
        )


def _check_regular_file(path: Path, info: os.stat_result, max_bytes: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise FetchError(f"{path} is a directory, not a PDF file")
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise FetchError(f"{path} is {kind}, not a regular file")
    if info.st_size == 0:
        raise FetchError(f"{path} is an empty file (0 bytes)")
    if info.st_size > max_bytes:
        raise FetchError(f"{path} is {info.st_size} bytes, over the {max_bytes}-byte cap")


def _copy_checked(src, tmp: Path, name: str, max_bytes: int, deadline: Deadline) -> tuple[str, int]:  # noqa: ANN001 - a binary file
    digest, size = hashlib.sha256(), 0
    with open(tmp, "wb") as out:
        head = src.read(1024)
        _check_pdf_head(head, name)
        chunk = head
        while chunk:
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"{name} is over the {max_bytes}-byte cap")
            if deadline.passed():
                raise deadline.error(name)
            out.write(chunk)
            digest.update(chunk)
            chunk = src.read(CHUNK)
    if size == 0:
        raise FetchError(f"{name} is an empty file (0 bytes)")
    return digest.hexdigest(), size


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


def _next_url(
    response: httpx.Response, url: str, seen: set[str], hosts: frozenset[str] | None = None
) -> str:
    """Where a redirect points; refuses anything but http(s), URLs already visited (a loop) and,
    when `hosts` is given, any other host (a discovered link may not lead elsewhere)."""
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
        urlparse(target).port  # noqa: B018 - raises on a port out of range, which httpx lets by
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(f"{url}: redirect to an invalid URL {location[:100]!r} ({exc})") from None
    if target in seen:
        raise FetchError(f"{url}: redirect loop (back to {target})")
    host = (urlparse(target).hostname or "").lower()
    if hosts is not None and host not in hosts:
        raise FetchError(
            f"{url}: redirect to another host {host} refused (allowed: {', '.join(sorted(hosts))})"
        )
    return target


def _download(
    url: str,
    tmp_dir: Path,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int,
    deadline: Deadline,
    hosts: frozenset[str] | None = None,
    check_head: Callable[[bytes, str], None] | None = None,
) -> tuple[Path | None, str, int, httpx.Response]:
    """Stream `url` to a temp file, following http(s) redirects by hand. Returns (None, …) on 304.

    Redirects are followed here rather than by httpx so that every hop is checked: only http and
    https (a remote server must never make us read a local file), at most MAX_REDIRECTS hops, and
    a URL seen twice is a loop. `check_head` judges the first bytes (default: a PDF's).
    """
    seen = {url}
    current = url
    try:
        with httpx.Client(
            transport=_transport_until(deadline),
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            # identity: the bytes stored must be the PDF itself, and Content-Length must count them
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        ) as client:
            for _hop in range(MAX_REDIRECTS + 1):
                with client.stream("GET", current, headers=headers) as response:
                    if response.status_code in (301, 302, 303, 307, 308):
                        current = _next_url(response, url, seen, hosts)
                        seen.add(current)
                        continue
                    return _receive(
                        response, url, tmp_dir, max_bytes, deadline, check_head or _check_pdf_head
                    )
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
        if deadline.passed():
            raise deadline.error(current) from None
        raise TransientFetchError(f"{current}: timed out after {timeout:g}s") from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise TransientFetchError(
            f"{current}: connection broken ({exc.__class__.__name__}: {exc or 'closed by the server'})"
        ) from None


def download(
    url: str,
    tmp_dir: Path,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int,
    hosts: frozenset[str] | None = None,
    check_head: Callable[[bytes, str], None] | None = None,
    deadline_seconds: float = defaults.FETCH_DEADLINE_SECONDS,
) -> tuple[Path | None, str, int, httpx.Response]:
    """Any http(s) body (an index page) to a temp file, with every check a PDF gets: redirects
    checked hop by hop (and kept to `hosts`), the size cap, the declared length, the overall
    deadline; `check_head` judges the first bytes. Returns (None, …) on 304. Raises FetchError /
    TransientFetchError."""
    deadline = Deadline.after(deadline_seconds)
    return _download(url, tmp_dir, headers, timeout, max_bytes, deadline, hosts, check_head)


def _receive(
    response: httpx.Response,
    url: str,
    tmp_dir: Path,
    max_bytes: int,
    deadline: Deadline,
    check_head: Callable[[bytes, str], None] = _check_pdf_head,
) -> tuple[Path | None, str, int, httpx.Response]:
    """Check the status and stream the body to a temp file that is removed unless it is a whole PDF."""
    _check_status(response)
    if response.status_code == 304:
        return None, "", 0, response
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{url} declares {declared} bytes, over the {max_bytes}-byte cap")
    if declared and declared.isdigit():
        check_room(tmp_dir, int(declared))
    tmp_path = Path(tempfile.mkstemp(prefix=".fetch.", suffix=".part", dir=tmp_dir)[1])
    received = [0]  # bytes so far, kept for the message when the connection breaks
    try:
        sha256 = _stream_body(response, tmp_path, url, max_bytes, deadline, received, check_head)
        size = received[0]
        if declared and declared.isdigit() and size != int(declared):
            raise TransientFetchError(_short_body(url, size, declared))
    except httpx.RemoteProtocolError:
        tmp_path.unlink(missing_ok=True)
        if declared:  # the connection closed before the declared length arrived
            raise TransientFetchError(_short_body(url, received[0], declared)) from None
        raise
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return tmp_path, sha256, size, response


def _check_status(response: httpx.Response) -> None:
    if response.status_code in (404, 410):
        raise SourceGone(f"{response.url} returned HTTP {response.status_code}")
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientFetchError(f"{response.url} returned HTTP {response.status_code}")
    if response.status_code != 304 and not 200 <= response.status_code < 400:
        raise FetchError(f"{response.url} returned HTTP {response.status_code}")


def _short_body(url: str, size: int, declared: str) -> str:
    return f"{url} body is {size} bytes but Content-Length said {declared} (truncated download)"


def _stream_body(
    response: httpx.Response,
    tmp_path: Path,
    url: str,
    max_bytes: int,
    deadline: Deadline,
    received: list[int],
    check_head: Callable[[bytes, str], None] = _check_pdf_head,
) -> str:
    """Write the body as it arrives (no re-chunking: a cut connection must not lose the bytes
    already read from the count in its message); returns its sha256."""
    digest = hashlib.sha256()
    head = b""
    with open(tmp_path, "wb") as out:
        for chunk in response.iter_raw():
            if len(head) < 1024:
                head += chunk[: 1024 - len(head)]
                if len(head) >= 5:
                    check_head(head, url)
            received[0] += len(chunk)
            if received[0] > max_bytes:
                raise FetchError(f"{url} is over the {max_bytes}-byte cap")
            if deadline.passed():
                raise deadline.error(url)
            out.write(chunk)
            digest.update(chunk)
    if received[0] == 0:
        raise FetchError(f"{url} returned an empty body")
    check_head(head, url)
    return digest.hexdigest()


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


@dataclass(frozen=True)
class _Try:
    """One fetch's settings, shared by its tries (the source's URL, then its archived copy)."""

    timeout: float
    max_bytes: int
    deadline: Deadline
    fresh: bool  # ignore what is stored: no conditional request


def _fetch_http(
    source: Source, data_dir: DataDir, url: str, attempt: dict, how: _Try
) -> tuple[Path, str, int] | FetchResult:
    """Download `url` (conditionally, when an earlier copy of it is stored): the temp file, or
    the stored copy's result on 304 Not Modified."""
    previous = None if how.fresh else _last_success(data_dir, source.id, url)
    headers = _conditional_headers(previous)
    raw_dir = data_dir.raw_dir(source.id)
    tmp, sha256, size, response = _download(
        url, raw_dir, headers, how.timeout, how.max_bytes, how.deadline, allowed_hosts(source, url)
    )
    attempt.update(
        status=response.status_code,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        fetched_from=str(response.url),
    )
    if tmp is not None:
        return tmp, sha256, size
    if previous is None or not headers:
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


def allowed_hosts(source: Source, url: str) -> frozenset[str] | None:
    """Hosts a fetch of `url` may be redirected to: any, unless the source names its hosts (a
    discovered link), and then those and the host of `url` itself (its archived copy)."""
    if not source.hosts:
        return None
    return frozenset({*source.hosts, (urlparse(url).hostname or "").lower()})


def _fetch_once(
    source: Source, data_dir: DataDir, url: str, attempt: dict, how: _Try
) -> FetchResult:
    if _is_http(url):
        got = _fetch_http(source, data_dir, url, attempt, how)
        if isinstance(got, FetchResult):
            return got
        tmp, sha256, size = got
    else:
        if url != source.url:
            raise FetchError(f"archive url {url} must be http(s)")
        tmp, sha256, size = _copy_local(
            source, data_dir.raw_dir(source.id), how.max_bytes, how.deadline
        )
        attempt.update(status="file", fetched_from=url)
    path, created, repaired = _store(data_dir, source.id, tmp, sha256)
    attempt.update(sha256=sha256, bytes=size)
    if repaired:
        attempt["repaired"] = "the stored copy did not match its sha256: replaced by this one"
    append_fetch_log(data_dir, source.id, attempt)
    return _result(source, path, attempt, "new" if created else "unchanged")


def _is_http(url: str) -> bool:
    return urlparse(url).scheme.lower() in ("http", "https")


def fetch_source(
    source: Source,
    data_dir: DataDir,
    timeout: float = defaults.FETCH_TIMEOUT_SECONDS,
    max_bytes: int = MAX_BYTES,
    deadline: float = defaults.FETCH_DEADLINE_SECONDS,
    fresh: bool = False,
) -> FetchResult:
    """Fetch `source` into the raw store and log every attempt. Raises FetchError on failure.

    A source that is gone (404/410, unknown host) is fetched from its archived copy when the
    catalog allows one; `fetched_from` then says where the bytes really came from (the final URL
    after redirects), so a figure can always be traced to the copy it was read from. The whole
    fetch, archived copy included, ends at `deadline` seconds whatever the server does; `fresh`
    downloads again even when a stored copy could be confirmed (the copy failed its check).
    """
    how = _Try(timeout, max_bytes, Deadline.after(deadline), fresh)
    try:
        raw_dir = data_dir.checked(data_dir.raw_dir(source.id))
        raw_dir.mkdir(parents=True, exist_ok=True)
        return _fetch_tries(source, data_dir, how)
    except OutsideDataDir as exc:  # a link planted in the raw store
        raise FetchError(str(exc)) from None
    except OSError as exc:  # the raw store cannot be written (disk full, read-only, …)
        raise FetchError(describe_os_error(exc)) from None


def _fetch_tries(source: Source, data_dir: DataDir, how: _Try) -> FetchResult:
    fallback = archive_url_for(source)
    errors: list[str] = []
    for url in [source.url] + ([fallback] if fallback else []):
        attempt = _new_attempt(source, url)
        try:
            return _fetch_once(source, data_dir, url, attempt, how)
        except FetchError as exc:
            attempt["error"] = str(exc)
            _log_failed_attempt(data_dir, source.id, attempt)
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


def _log_failed_attempt(data_dir: DataDir, source_id: str, attempt: dict) -> None:
    """Log a failed try; a log that cannot be written must not hide why the fetch failed."""
    try:
        append_fetch_log(data_dir, source_id, attempt)
    except OSError:
        pass

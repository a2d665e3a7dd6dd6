"""Reading the catalog's [[index]] entries: fetch each index page (or the archive's listing) and
remember every document it links to.

An index page is fetched like a PDF (flows.fetch: conditional GET, the same timeouts and retries,
every redirect checked, a size cap), then parsed by transforms.discover. What an index has ever
listed is kept in `state/indexes/<index id>.json`, one record per link with when it was first
and last seen; a link the page drops is kept, so its source and its data stay. Ids are given out
in catalog order, once, when a link is first seen, so they never change between runs.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from flows import defaults
from flows.fetch import ARCHIVE_BASE, FetchError, TransientFetchError, download
from flows.store import DataDir, read_index_state, write_index_state
from transforms.catalog import Catalog, Index, Source
from transforms.discover import (
    Link,
    TooManyLinks,
    archive_links,
    cdx_query_url,
    choose_links,
    decode_page,
    discovered_source,
    link_title,
    new_source_id,
    page_links,
    parse_cdx,
    same_document_url,
)

# An index page is a listing of tens of kilobytes; the cap keeps a hostile or wrong page from
# costing more than a few seconds of parsing.
MAX_INDEX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class IndexListing:
    """What one fetch of an index gave: the links it takes, or nothing new (HTTP 304)."""

    index_id: str
    links: tuple[Link, ...] = ()
    notes: tuple[str, ...] = ()
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    fetched_from: str | None = None


def archive_base() -> str:
    """The Wayback Machine's base (TEIAN_ARCHIVE_BASE overrides it, as for archived PDFs)."""
    return os.environ.get("TEIAN_ARCHIVE_BASE", ARCHIVE_BASE).rstrip("/")


def _archive_root() -> str:
    base = archive_base()
    return base[: -len("/web")] if base.endswith("/web") else base


def index_fingerprint(index: Index) -> str:
    """What decides which links an index takes: a change lists the page again in full."""
    fields = [index.url, index.archive_prefix, index.link, list(index.hosts), index.max_links]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:16]


def _listing_url(index: Index) -> str:
    if index.url:
        return index.url
    return cdx_query_url(_archive_root(), index.archive_prefix or "")


def _check_listing_head(head: bytes, url: str) -> None:
    """An index must be a page or a listing, not a document (a PDF link given as the index)."""
    if head.lstrip()[:5] == b"%PDF-":
        raise FetchError(f"{url} is a PDF, not an index page (give it as a [[source]])")


def _conditional(state: dict | None, index: Index) -> dict[str, str]:
    if not state or state.get("fingerprint") != index_fingerprint(index) or not state.get("links"):
        return {}
    headers = {}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    return headers


def list_index(
    index: Index,
    data_dir: DataDir,
    timeout: float,
    deadline: float = defaults.FETCH_DEADLINE_SECONDS,
) -> IndexListing:
    """Fetch an index and choose its links, within the same overall deadline as a PDF's fetch.
    Raises FetchError (TransientFetchError: retry)."""
    url = _listing_url(index)
    headers = _conditional(read_index_state(data_dir, index.id), index)
    own = (urlparse(url).hostname or "").lower()
    hosts = frozenset({own} if index.archive_prefix else {own, *index.allowed_hosts})
    folder = data_dir.checked(data_dir.work / "indexes")
    folder.mkdir(parents=True, exist_ok=True)
    tmp, _, _, response = download(
        url, folder, headers, timeout, MAX_INDEX_BYTES, hosts, _check_listing_head, deadline
    )
    meta = {
        "etag": response.headers.get("etag"),
        "last_modified": response.headers.get("last-modified"),
        "fetched_from": str(response.url),
    }
    if tmp is None:
        if not headers:
            raise FetchError(
                f"{url} answered 304 Not Modified to a request that was not conditional"
            )
        return IndexListing(index.id, not_modified=True, **meta)
    try:
        body = Path(tmp).read_bytes()
    finally:
        Path(tmp).unlink(missing_ok=True)
    text = decode_page(body, response.headers.get("content-type"))
    try:
        if index.archive_prefix:
            links = archive_links(parse_cdx(text), archive_base())
        else:
            links = page_links(text, str(response.url))
        choice = choose_links(links, index)
    except (TooManyLinks, ValueError) as exc:
        raise FetchError(f"{url}: {exc}") from None
    return IndexListing(index.id, tuple(choice.taken), tuple(choice.notes(index.id)), **meta)


# -- remembering what was listed -------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def source_of(index: Index, record: dict) -> Source:
    """The source a remembered link stands for."""
    return discovered_source(
        index, record["source_id"], record["url"], record["title"], record.get("fetch_url")
    )


def remembered_sources(data_dir: DataDir, index: Index) -> list[Source]:
    """Every source an index has ever listed, without fetching it (a failed index, `--only`,
    `teian sources`)."""
    state = read_index_state(data_dir, index.id) or {}
    return [source_of(index, record) for record in state.get("links", [])]


@dataclass
class Remembered:
    """An index's sources after this run's listing, and which of them are new."""

    sources: list[Source] = field(default_factory=list)
    new: list[Source] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _owner(url: str, catalog: Catalog, claimed: dict[str, str]) -> str | None:
    """Who already covers a URL: a catalog source, or an index's link."""
    for source in catalog.sources:
        if same_document_url(source.url, url):
            return f"catalog source {source.id}"
    return claimed.get(url)


def remember_listing(
    data_dir: DataDir,
    index: Index,
    listing: IndexListing,
    catalog: Catalog,
    taken: set[str],
    claimed: dict[str, str],
) -> Remembered:
    """Add the listing's new links to the index's state (ids given once), update when each was
    last seen, and return every source the index stands for. `taken` holds every id in use and
    `claimed` every URL an earlier index took; both are updated."""
    state = read_index_state(data_dir, index.id) or {}
    records: list[dict] = state.get("links", [])
    by_url = {record["url"]: record for record in records}
    now, result = _now(), Remembered()
    for link in listing.links:
        if link.url in by_url:
            by_url[link.url]["last_seen"] = now
            continue
        owner = _owner(link.url, catalog, claimed)
        if owner:
            result.notes.append(f"index {index.id}: {link.url} is already {owner}")
            continue
        source_id = new_source_id(index.id, link.url, taken)
        taken.add(source_id)
        record = {"url": link.url, "fetch_url": link.fetch_url, "source_id": source_id}
        record |= {"title": link_title(link), "first_seen": now, "last_seen": now}
        records.append(record)
        by_url[link.url] = record
        claimed[link.url] = f"listed by index {index.id} as {source_id}"
        result.new.append(source_of(index, record))
    state.update(
        index_id=index.id,
        fingerprint=index_fingerprint(index),
        links=records,
        last_listed=now,
        last_error=None,
    )
    if not listing.not_modified:
        state.update(etag=listing.etag, last_modified=listing.last_modified)
    state["fetched_from"] = listing.fetched_from
    write_index_state(data_dir, index.id, state)
    result.sources = [source_of(index, record) for record in records]
    return result


def record_index_failure(data_dir: DataDir, index: Index, error: str) -> None:
    """An index that failed keeps everything it listed before; its state notes why."""
    state = read_index_state(data_dir, index.id) or {"index_id": index.id, "links": []}
    state.update(last_error=error, last_attempt=_now())
    write_index_state(data_dir, index.id, state)


def known_links(data_dir: DataDir, catalog: Catalog) -> tuple[set[str], dict[str, str]]:
    """(every id in use, every URL an index already listed → who): what a new link's id and
    ownership are checked against, so two indexes never give out the same id or document."""
    taken = {s.id for s in catalog.sources} | {i.id for i in catalog.indexes}
    claimed: dict[str, str] = {}
    for index in catalog.indexes:
        for record in (read_index_state(data_dir, index.id) or {}).get("links", []):
            taken.add(record["source_id"])
            claimed.setdefault(
                record["url"], f"listed by index {index.id} as {record['source_id']}"
            )
    return taken, claimed


@dataclass
class Discovered:
    """Every index read before a run: the sources of the run, and what to report."""

    sources: list[Source] = field(default_factory=list)
    new: list[Source] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # index id → why (for good)
    retry: list[str] = field(default_factory=list)  # indexes a retry may list (left to the flow)
    notes: list[str] = field(default_factory=list)


def discover_all(
    data_dir: DataDir,
    catalog: Catalog,
    only: list[str] | None,
    timeout: float,
    deadline: float = defaults.FETCH_DEADLINE_SECONDS,
) -> Discovered:
    """List every index (those `only` names, when it names any) without Prefect, as `teian run`
    does before deciding whether a flow must run: the catalog's sources, then each index's.

    An index that fails for good is recorded and its known sources still run; one that may
    list on a retry (a timeout, a 5xx) is left to the flow, whose task retries it.
    """
    wanted = set(only or [])
    taken, claimed = known_links(data_dir, catalog)
    found = Discovered(sources=list(catalog.sources))
    for index in catalog.indexes:
        if wanted and index.id not in wanted:
            found.sources += remembered_sources(data_dir, index)
            continue
        try:
            listing = list_index(index, data_dir, timeout, deadline)
        except TransientFetchError:
            found.retry.append(index.id)
            found.sources += remembered_sources(data_dir, index)
            continue
        except FetchError as exc:
            record_index_failure(data_dir, index, str(exc))
            found.failed[index.id] = str(exc)
            found.sources += remembered_sources(data_dir, index)
            continue
        got = remember_listing(data_dir, index, listing, catalog, taken, claimed)
        found.notes += [*listing.notes, *got.notes]
        found.new += got.new
        found.sources += got.sources
    found.sources = [s for s in found.sources if not wanted or s.id in wanted or s.index in wanted]
    return found

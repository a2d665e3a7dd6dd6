"""The source catalog (`sources.toml`): parsed and validated before anything runs.

Every problem is collected and reported at once, one line each, so a user fixing a catalog does
not have to run the pipeline once per typo.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlsplit

from transforms.extract.corrections import Corrections, parse_corrections
from transforms.kinds import available as available_kinds
from transforms.normalize.eras import fiscal_year_from_title

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")  # matched whole (fullmatch): no final newline
# Ids name files (<dataset>/<id>.parquet, and the temp names beside them): well under the 255
# bytes a file name may have.
MAX_ID_LENGTH = 100
ALLOWED_KEYS = {
    "id",
    "title",
    "publisher",
    "kind",
    "fiscal_year",
    "edition",
    "url",
    "archive",
    "archive_url",
    "password",
    # corrections to the table finder (transforms.extract.corrections)
    "pages",
    "table",
}
REQUIRED_KEYS = ("id", "title", "url")


class CatalogError(Exception):
    """Raised with every problem found in a catalog; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Source:
    """One catalog entry: where a document lives and how to read it."""

    id: str
    title: str
    url: str
    publisher: str = ""
    kind: str = "generic"
    fiscal_year: int | None = None
    edition: str | None = None
    archive: bool = False
    archive_url: str | None = None
    password: str | None = None
    index: str | None = None  # the [[index]] that discovered it; None for a catalog entry
    hosts: tuple[str, ...] = ()  # hosts its URL may redirect to; empty: any
    corrections: Corrections | None = None  # where the table finder needs telling

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))


def _check_url(
    value: object, where: str, key: str, base_dir: Path | None
) -> tuple[str, str | None]:
    """Return (normalized url, problem). Plain paths become absolute file paths."""
    if not isinstance(value, str) or not value.strip():
        return "", f"{where}: {key} must be a non-empty string"
    value = with_lower_scheme(value.strip())
    syntax = url_syntax_problem(value)
    if syntax:
        return value, f"{where}: {key} {value!r} {syntax}"
    parsed = urlparse(value)
    if parsed.scheme in ("http", "https"):
        if not parsed.netloc or any(c.isspace() for c in value):
            return value, f"{where}: {key} {value!r} is not a valid URL"
        return value, None
    if parsed.scheme == "file":
        if not parsed.path:
            return value, f"{where}: {key} {value!r} has no path"
        return value, None
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value):
        return (
            value,
            f"{where}: {key} {value!r} uses an unsupported scheme (http, https, file or a path)",
        )
    path = Path(value)
    if not path.is_absolute() and base_dir is not None:
        path = (base_dir / path).resolve()
    return str(path), None


def _check_fields(entry: dict, where: str, sid: str | None, seen: set[str]) -> list[str]:
    """Problems with an entry's keys, id, kind and plain fields."""
    problems: list[str] = []
    unknown = set(entry) - ALLOWED_KEYS
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    for key in REQUIRED_KEYS:
        if key not in entry:
            problems.append(f"{where}: missing required key {key!r}")
    if sid is not None:
        if not ID_PATTERN.fullmatch(sid):
            problems.append(f"{where}: id must match [a-z0-9-]+")
        elif len(sid) > MAX_ID_LENGTH:
            problems.append(f"{where}: id is {len(sid)} characters, more than {MAX_ID_LENGTH}")
        if sid in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(sid)
    elif "id" in entry:
        problems.append(f"{where}: id must be a string")
    kind = entry.get("kind", "generic")
    if kind not in available_kinds():
        problems.append(f"{where}: kind {kind!r} is not one of {', '.join(available_kinds())}")
    for key in ("title", "publisher", "edition", "password"):
        if key in entry and not isinstance(entry[key], str):
            problems.append(f"{where}: {key} must be a string")
    fiscal_year = entry.get("fiscal_year")
    if fiscal_year is not None and (
        not isinstance(fiscal_year, int)
        or isinstance(fiscal_year, bool)
        or not 1868 <= fiscal_year <= 2200
    ):
        problems.append(f"{where}: fiscal_year must be a year such as 2014")
    if not isinstance(entry.get("archive", False), bool):
        problems.append(f"{where}: archive must be true or false")
    return problems


def _check_urls(
    entry: dict, where: str, base_dir: Path | None
) -> tuple[str, str | None, list[str]]:
    """(url, archive_url, problems): paths resolved against the catalog's folder."""
    problems: list[str] = []
    url, problem = ("", None)
    if "url" in entry:
        url, problem = _check_url(entry["url"], where, "url", base_dir)
        if problem:
            problems.append(problem)
    archive_url = None
    if "archive_url" in entry:
        archive_url, problem = _check_url(entry["archive_url"], where, "archive_url", base_dir)
        if problem:
            problems.append(problem)
        elif not archive_url.startswith(("http://", "https://")):
            problems.append(f"{where}: archive_url must be http(s)")
    return url, archive_url, problems


def parse_catalog(text: str, base_dir: Path | None = None) -> Catalog:
    """Parse catalog TOML text; relative paths are resolved against `base_dir` (the catalog's folder)."""
    try:
        data = tomllib.loads(without_bom(text))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError([f"catalog: not valid TOML: {exc}"]) from None
    except RecursionError:
        raise CatalogError(["catalog: not valid TOML: nested too deeply"]) from None
    problems: list[str] = []
    top_extra = set(data) - {"source", "index"}
    if top_extra:
        problems.append(
            f"catalog: unknown top-level keys {sorted(top_extra)} (expected [[source]] and [[index]] tables)"
        )
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise CatalogError(problems + ["catalog: 'source' must be an array of tables ([[source]])"])
    sources: list[Source] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(entry_shape_problem(entry, index))
            continue
        sid = entry.get("id") if isinstance(entry.get("id"), str) else None
        where = f"source {sid!r}" if sid else f"source #{index}"
        found = _check_fields(entry, where, sid, seen)
        url, archive_url, url_problems = _check_urls(entry, where, base_dir)
        corrections, correction_problems = parse_corrections(entry, where)
        problems += found + url_problems + correction_problems
        if found or url_problems or correction_problems:
            continue
        sources.append(
            Source(
                id=sid or "",
                title=entry["title"],
                url=url,
                publisher=entry.get("publisher", ""),
                kind=entry.get("kind", "generic"),
                fiscal_year=entry.get("fiscal_year") or fiscal_year_from_title(entry["title"]),
                edition=entry.get("edition"),
                archive=entry.get("archive", False),
                archive_url=archive_url,
                password=entry.get("password"),
                corrections=corrections,
            )
        )
    indexes = parse_indexes(data.get("index", []), seen, problems)
    if problems:
        raise CatalogError(problems)
    return Catalog(tuple(sources), tuple(indexes))


# -- [[index]]: pages (or an archive listing) that link to the documents -------------------------

INDEX_KEYS = {
    "id",
    "url",
    "archive_prefix",
    "kind",
    "publisher",
    "link",
    "hosts",
    "fiscal_year",
    "edition",
    "archive",
    "max_links",
}
DEFAULT_LINK = r"(?i)\.pdf$"
DEFAULT_MAX_LINKS = 200
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")


@dataclass(frozen=True)
class Index:
    """A page that lists documents, or a URL prefix whose captures the Internet Archive lists.

    Each run reads it and treats every link it finds (that passes `link` and `hosts`) as a source
    of `kind`, with the id `<id>-<slug of the file name>`.
    """

    id: str
    kind: str = "generic"
    url: str | None = None
    archive_prefix: str | None = None
    publisher: str = ""
    link: str = DEFAULT_LINK
    hosts: tuple[str, ...] = ()
    fiscal_year: int | None = None
    edition: str | None = None
    archive: bool = False
    max_links: int = DEFAULT_MAX_LINKS

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """Hosts links may point to: `hosts`, or else the index page's (or prefix's) own host."""
        if self.hosts:
            return self.hosts
        if self.url:
            own = (urlparse(self.url).hostname or "").lower()
            return (own,) if own else ()
        # the archive files a capture of example.jp under www.example.jp and the other way round
        own = prefix_host(self.archive_prefix or "") or ""
        bare = own.removeprefix("www.")
        return tuple(dict.fromkeys([own, bare, f"www.{bare}"])) if own else ()


@dataclass(frozen=True)
class Catalog:
    """What a catalog file holds: documents named one by one, and indexes that list more."""

    sources: tuple[Source, ...] = ()
    indexes: tuple[Index, ...] = ()


def prefix_host(prefix: str) -> str | None:
    """The host of an archive prefix such as "www.example.jp/kouiki/teian/" (scheme optional)."""
    bare = re.sub(r"^https?://", "", prefix.strip(), flags=re.I)
    host = bare.split("/", 1)[0].split(":", 1)[0].lower()
    return host or None


def _is_year(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1868 <= value <= 2200


def _index_location_problems(entry: dict, where: str) -> list[str]:
    """An index has exactly one of `url` (http or https) and `archive_prefix` (host/path)."""
    url, prefix = entry.get("url"), entry.get("archive_prefix")
    if (url is None) == (prefix is None):
        return [f"{where}: give exactly one of url and archive_prefix"]
    if url is not None:
        parsed = urlparse(url) if isinstance(url, str) else None
        if (
            parsed is None
            or parsed.scheme not in ("http", "https")
            or not parsed.hostname
            or any(c.isspace() for c in url)
        ):
            return [f"{where}: url {url!r} must be an http(s) URL of the index page"]
        return []
    if (
        not isinstance(prefix, str)
        or not prefix_host(prefix)
        or any(c.isspace() or c == "*" for c in prefix)
        or not _HOST.match(prefix_host(prefix) or "")
    ):
        return [
            f"{where}: archive_prefix {prefix!r} must be host/path, such as www.example.jp/docs/"
        ]
    return []


def _index_value_problems(entry: dict, where: str) -> list[str]:
    """Problems with an index's link pattern, hosts, kind and plain fields."""
    problems: list[str] = []
    link = entry.get("link", DEFAULT_LINK)
    if not isinstance(link, str):
        problems.append(f"{where}: link must be a regular expression (a string)")
    else:
        try:
            re.compile(link)
        except re.error as exc:
            problems.append(f"{where}: link {link!r} is not a valid regular expression ({exc})")
    hosts = entry.get("hosts", [])
    if not isinstance(hosts, list) or not all(
        isinstance(h, str) and _HOST.match(h.lower()) for h in hosts
    ):
        problems.append(f'{where}: hosts must be a list of host names, such as ["www.example.jp"]')
    kind = entry.get("kind", "generic")
    if kind not in available_kinds():
        problems.append(f"{where}: kind {kind!r} is not one of {', '.join(available_kinds())}")
    for key in ("publisher", "edition"):
        if key in entry and not isinstance(entry[key], str):
            problems.append(f"{where}: {key} must be a string")
    if "fiscal_year" in entry and not _is_year(entry["fiscal_year"]):
        problems.append(f"{where}: fiscal_year must be a year such as 2014")
    if not isinstance(entry.get("archive", False), bool):
        problems.append(f"{where}: archive must be true or false")
    max_links = entry.get("max_links", DEFAULT_MAX_LINKS)
    if (
        isinstance(max_links, bool)
        or not isinstance(max_links, int)
        or not 1 <= max_links <= 10_000
    ):
        problems.append(f"{where}: max_links must be a number from 1 to 10000")
    return problems


def _index_entry(entry: object, number: int, seen: set[str]) -> tuple[Index | None, list[str]]:
    """One [[index]] table checked: the Index, or None and every problem found."""
    if not isinstance(entry, dict):
        return None, [f"index #{number}: must be a table ([[index]])"]
    iid = entry.get("id") if isinstance(entry.get("id"), str) else None
    where = f"index {iid!r}" if iid else f"index #{number}"
    problems: list[str] = []
    unknown = set(entry) - INDEX_KEYS
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    if iid is None:
        problems.append(f"{where}: missing required key 'id' (a string)")
    elif not ID_PATTERN.match(iid):
        problems.append(f"{where}: id must match [a-z0-9-]+")
    elif iid in seen:
        problems.append(f"{where}: duplicate id (ids of sources and indexes must differ)")
    if iid:
        seen.add(iid)
    problems += _index_location_problems(entry, where) + _index_value_problems(entry, where)
    if problems:
        return None, problems
    return (
        Index(
            id=iid or "",
            kind=entry.get("kind", "generic"),
            url=entry.get("url"),
            archive_prefix=entry.get("archive_prefix"),
            publisher=entry.get("publisher", ""),
            link=entry.get("link", DEFAULT_LINK),
            hosts=tuple(h.lower() for h in entry.get("hosts", [])),
            fiscal_year=entry.get("fiscal_year"),
            edition=entry.get("edition"),
            archive=entry.get("archive", False),
            max_links=entry.get("max_links", DEFAULT_MAX_LINKS),
        ),
        [],
    )


def parse_indexes(entries: object, seen: set[str], problems: list[str]) -> list[Index]:
    """The [[index]] tables, checked like sources: every problem is added to `problems`."""
    if not isinstance(entries, list):
        problems.append("catalog: 'index' must be an array of tables ([[index]])")
        return []
    indexes: list[Index] = []
    for number, entry in enumerate(entries, start=1):
        index, found = _index_entry(entry, number, seen)
        problems += found
        if index is not None:
            indexes.append(index)
    return indexes


def without_bom(text: str) -> str:
    """Catalog text without the byte-order mark some Windows editors put first (TOML has none)."""
    return text[1:] if text.startswith("\ufeff") else text


def entry_shape_problem(entry: object, index: int) -> str:
    """The line for a `source` array element that is not a table (e.g. `source = [1, 2]`)."""
    return (
        f"source #{index}: must be a table of keys ([[source]] with id, title, url), "
        f"not {type(entry).__name__} {str(entry)[:40]!r}"
    )


def with_lower_scheme(value: str) -> str:
    """`HTTP://x` is `http://x`: a scheme is case-insensitive, and the fetch compares it."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", value)
    if match and match.group(1) != match.group(1).lower():
        return match.group(1).lower() + value[match.end(1) :]
    return value


def url_syntax_problem(value: str) -> str | None:
    """What makes a URL (or path) unusable before anything is fetched: control characters, a
    broken host ([::1 without its bracket), a port out of range, a file:// URL naming a host."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "contains control characters"
    try:
        parsed = urlparse(value)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        return f"is not a valid URL ({exc})"
    if parsed.scheme in ("http", "https"):
        return _http_url_problem(value)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            return "names a host: a file:// URL is file:///absolute/path"
        if not parsed.path.startswith("/"):
            return "is not an absolute path (file:///absolute/path)"
    return None


def _http_url_problem(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:  # an unclosed IPv6 bracket, a port that is not a number or too big
        return f"is not a valid URL ({exc})"
    if not parts.hostname:
        return "is not a valid URL (no host)"
    if port == 0:
        return "is not a valid URL (port 0)"
    if any(c.isspace() for c in parts.hostname):
        return "is not a valid URL (a space in the host)"
    return None

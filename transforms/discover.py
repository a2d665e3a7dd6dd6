"""Discovery: an index page (or an archive's listing) in, the documents it links to out.

Everything here is pure: the flow fetches the page and keeps what was seen; this module says
which links count, what each discovered source is called and what it is.

Links are read with the standard library's `html.parser`: it never fails on broken markup
(government pages are often hand-edited), needs no compiled extension, and an index page needs
only its anchors, their text and `<base href>`, not a DOM.

A link is taken only when its absolute URL is http(s), on an allowed host, and matches the
index's `link` pattern; anything else is counted and named in the notes, never fetched. The ids
are `<index id>-<slug of the file name>`: readable, and stable because each is assigned once,
when the link is first seen, and then remembered.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urldefrag, urljoin, urlparse

from transforms import kinds
from transforms.catalog import Index, Source
from transforms.normalize.eras import fiscal_year_from_title

MAX_SLUG = 60
_EXAMPLES = 3  # refused links named per reason in the notes


@dataclass(frozen=True)
class Link:
    """A link as the page gives it: its absolute URL (no fragment) and its text.

    `fetch_url` is where the document is read from when that is not `url` itself (an archived
    capture of `url`, in the Internet Archive's raw `id_` form).
    """

    url: str
    text: str = ""
    fetch_url: str | None = None


@dataclass
class LinkChoice:
    """The links an index gives this run, and what was left out and why."""

    taken: list[Link] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)  # reason → URLs
    unmatched: int = 0

    def notes(self, index_id: str) -> list[str]:
        """One line per reason links were left out, naming a few of them."""
        lines = []
        for reason, urls in self.refused.items():
            shown = ", ".join(u[:120] for u in urls[:_EXAMPLES])
            more = f" and {len(urls) - _EXAMPLES} more" if len(urls) > _EXAMPLES else ""
            lines.append(f"index {index_id}: {len(urls)} link(s) ignored ({reason}): {shown}{more}")
        if self.unmatched:
            lines.append(f"index {index_id}: {self.unmatched} link(s) do not match `link`")
        return lines


class TooManyLinks(ValueError):
    """More links pass the index's filters than it may take: a wrong page, or a hostile one."""


class _AnchorParser(HTMLParser):
    """Collects (href, text) of every <a>, with the text of images inside it, and <base href>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.anchors: list[tuple[str, list[str]]] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"].strip()
        elif tag == "a" and "href" in values:
            self._open = [values.get("title", "")]
            self.anchors.append((values["href"].strip(), self._open))
        elif tag == "img" and self._open is not None:
            self._open.append(values.get("alt", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)


def _clean_text(parts: list[str]) -> str:
    """Link text as one line: the title attribute only when the anchor holds no text."""
    title, body = parts[0], " ".join(parts[1:])
    text = " ".join((body if body.strip() else title).split())
    return text


def page_links(html: str, page_url: str) -> list[Link]:
    """Every link of an HTML page, resolved against the page (or its http(s) <base href>)."""
    parser = _AnchorParser()
    parser.feed(html)
    parser.close()
    base = page_url
    if parser.base and urlparse(urljoin(page_url, parser.base)).scheme in ("http", "https"):
        base = urljoin(page_url, parser.base)
    links = []
    for href, parts in parser.anchors:
        try:
            absolute = urldefrag(urljoin(base, href)).url
        except ValueError:  # e.g. an unbalanced IPv6 bracket in the host
            absolute = href
        links.append(Link(absolute, _clean_text(parts)))
    return links


def _refusal(url: str, hosts: tuple[str, ...]) -> str | None:
    """Why a link is never followed, or None when it may be."""
    try:
        parsed = urlparse(url)
        host = (parsed.hostname or "").lower()
    except ValueError:
        return "not a valid URL"
    if parsed.scheme.lower() not in ("http", "https"):
        return f"{parsed.scheme or 'no'} scheme, only http(s) is followed"
    if not host or host not in hosts:
        return f"host not allowed: {host or '?'}, allowed: {', '.join(hosts)}"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "not a valid URL"
    return None


def choose_links(links: list[Link], index: Index) -> LinkChoice:
    """The links of a page the index takes: http(s), on an allowed host, matching `link`, each
    once. Raises TooManyLinks when more than `max_links` pass: nothing is then taken."""
    pattern = re.compile(index.link)
    hosts = index.allowed_hosts
    choice = LinkChoice()
    seen: set[str] = set()
    for link in links:
        if link.url in seen:
            continue
        seen.add(link.url)
        reason = _refusal(link.url, hosts)
        if reason is not None:
            choice.refused.setdefault(reason.split(":")[0], []).append(link.url)
        elif not pattern.search(link.url):
            choice.unmatched += 1
        else:
            choice.taken.append(link)
    if len(choice.taken) > index.max_links:
        raise TooManyLinks(
            f"{len(choice.taken)} links match, more than max_links = {index.max_links}: "
            "none taken (check `link`, or raise max_links)"
        )
    return choice


# -- the Internet Archive's listing ------------------------------------------------------------


@dataclass(frozen=True)
class Capture:
    """One document the archive holds: when it was captured and its original URL."""

    timestamp: str
    original: str


def cdx_query_url(archive_root: str, prefix: str) -> str:
    """The CDX API query listing the PDFs captured under `prefix`, one row per URL."""
    bare = re.sub(r"^https?://", "", prefix.strip(), flags=re.I)
    return (
        f"{archive_root.rstrip('/')}/cdx/search/cdx?url={quote(bare, safe='/:.-_~')}*"
        "&output=json&filter=mimetype:application/pdf&filter=statuscode:200&collapse=urlkey"
    )


def parse_cdx(text: str) -> list[Capture]:
    """Captures of a CDX JSON answer: a header row naming the fields, then one row per capture.

    Raises ValueError when the answer is not that shape (an error page, a changed API).
    """
    try:
        rows = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a CDX listing (not JSON: {exc})") from None
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ValueError("not a CDX listing (expected a list of rows)")
    if not rows:
        return []
    header = rows[0]
    if "timestamp" not in header or "original" not in header:
        raise ValueError(f"not a CDX listing (header {header[:8]!r})")
    at, of = header.index("timestamp"), header.index("original")
    captures = []
    for row in rows[1:]:
        if len(row) > max(at, of) and re.fullmatch(r"[0-9]{4,14}", str(row[at])):
            captures.append(Capture(str(row[at]), str(row[of])))
    return captures


def archive_links(captures: list[Capture], archive_base: str) -> list[Link]:
    """Links to the raw (`id_`) form of each capture, named by its original URL (so the index's
    `link` and host checks apply to where the document really lived)."""
    links = []
    for capture in captures:
        original = capture.original
        if "://" not in original:
            original = "http://" + original
        fetch = f"{archive_base.rstrip('/')}/{capture.timestamp}id_/{original}"
        links.append(Link(original, fetch_url=fetch))
    return links


# -- what a discovered link becomes ------------------------------------------------------------


def file_slug(url: str) -> str:
    """A link's file name as an id part: 「r5_kouki_zentai_shiori_2.pdf」 → r5-kouki-zentai-shiori-2."""
    path = urlparse(url).path.rstrip("/")
    name = unquote(path.rsplit("/", 1)[-1])
    name = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)
    return _slug(name)


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:MAX_SLUG].strip("-")


def _short_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:8]


def new_source_id(index_id: str, url: str, taken: set[str]) -> str:
    """An id for a link seen for the first time, unlike every id in `taken`.

    The file name first; when another link has it (every edition's 「zentai.pdf」), the folder is
    added; failing that, or for a name with no ASCII in it, a short hash of the URL.
    """
    path = [p for p in urlparse(url).path.split("/") if p]
    candidates = []
    name = file_slug(url)
    if name:
        candidates.append(f"{index_id}-{name}")
        if len(path) > 1 and _slug(unquote(path[-2])):
            candidates.append(f"{index_id}-{_slug(unquote(path[-2]))}-{name}")
        candidates.append(f"{index_id}-{name}-{_short_hash(url)}")
    else:
        candidates.append(f"{index_id}-{_short_hash(url)}")
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    return f"{index_id}-{hashlib.sha256(url.encode()).hexdigest()[:16]}"


def link_title(link: Link) -> str:
    """The link text, or the file name when the link has none (an archive listing)."""
    if link.text:
        return link.text
    return unquote(urlparse(link.url).path.rstrip("/").rsplit("/", 1)[-1]) or link.url


def discovered_source(
    index: Index, source_id: str, url: str, title: str, fetch_url: str | None = None
) -> Source:
    """The source a remembered link stands for: the index's kind, publisher and year or edition,
    and the title the link gave (「令和8年度 …」 gives fiscal year 2026)."""
    edition = index.edition
    if edition is None:
        reader = getattr(kinds.load(index.kind), "edition_from_title", None)
        edition = reader(title) if reader else None
    target = fetch_url or url
    host = (urlparse(target).hostname or "").lower()
    return Source(
        id=source_id,
        title=title,
        url=target,
        publisher=index.publisher,
        kind=index.kind,
        fiscal_year=index.fiscal_year or fiscal_year_from_title(title),
        edition=edition,
        archive=index.archive and fetch_url is None,
        index=index.id,
        hosts=tuple(sorted({*index.allowed_hosts, host})) if fetch_url is None else (host,),
    )


def same_document_url(a: str, b: str) -> bool:
    """Whether two URLs name the same document: scheme, default port and host case aside."""

    def key(url: str) -> tuple[str, str, str]:
        parsed = urlparse(url if "://" in url else "http://" + url)
        port = parsed.port if parsed.port not in (None, 80, 443) else None
        return ((parsed.hostname or "").lower(), str(port or ""), parsed.path + parsed.query)

    try:
        return key(a) == key(b)
    except ValueError:
        return False


_CODECS = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "ms932": "cp932",
    "euc-jp": "euc_jp",
    "x-euc-jp": "euc_jp",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def decode_page(body: bytes, content_type: str | None) -> str:
    """An index page's text: the charset the server or the page's <meta> names, else UTF-8, else
    Shift_JIS (cp932), which older Japanese government pages still use."""
    names = []
    if content_type and "charset=" in content_type.lower():
        names.append(content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'"))
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        names.append(meta.group(1).decode("ascii").lower())
    for name in [*names, "utf-8"]:
        try:
            return body.decode(_CODECS.get(name, name))
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp932", errors="replace")

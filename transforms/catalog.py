"""The source catalog (`sources.toml`): parsed and validated before anything runs.

Every problem is collected and reported at once, one line each, so a user fixing a catalog does
not have to run the pipeline once per typo.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from transforms.extract.corrections import Corrections, parse_corrections
from transforms.kinds import available as available_kinds
from transforms.normalize.eras import fiscal_year_from_title

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
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
    value = value.strip()
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
        if not ID_PATTERN.match(sid):
            problems.append(f"{where}: id must match [a-z0-9-]+")
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


def parse_catalog(text: str, base_dir: Path | None = None) -> list[Source]:
    """Parse catalog TOML text; relative paths are resolved against `base_dir` (the catalog's folder)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError([f"catalog: not valid TOML: {exc}"]) from None
    problems: list[str] = []
    top_extra = set(data) - {"source"}
    if top_extra:
        problems.append(
            f"catalog: unknown top-level keys {sorted(top_extra)} (expected [[source]] tables)"
        )
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise CatalogError(problems + ["catalog: 'source' must be an array of tables ([[source]])"])
    sources: list[Source] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
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
    if problems:
        raise CatalogError(problems)
    return sources

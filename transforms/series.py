"""Requests across editions: the same request, reworded from year to year, gets one series id.

Editions of one publisher are put in time order (fiscal year, then spring before autumn) and
linked one after the other. Each item of an edition is compared with the latest item of every
series still open: title similarity (rapidfuzz's normalized Indel ratio, which works on
characters and so suits Japanese, where there are no words to split on), plus the ministries
(提案要求先) and bureaus (都所管局) the two share and whether they sit under the same category.
Pairs are taken best first, so each series gets at most one item per edition and each item at
most one series; an item left over starts a new series.

A series stays open while its request was printed in the same or the previous fiscal year: the
autumn 最重点事項 edition repeats only a part of the spring edition, so a request missing from it
carries on in the next spring. A request missing for a whole fiscal year has been dropped; its
series ends there, and a later request like it starts a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz.distance import Indel
from rapidfuzz.process import cdist

# Weights of the evidence (they sum to 1) and the bar a pair must clear.
TITLE_WEIGHT = 0.6
TARGETS_WEIGHT = 0.2
BUREAUS_WEIGHT = 0.1
CATEGORY_WEIGHT = 0.1
MIN_SCORE = 0.6
# Below this title similarity no amount of shared ministries makes two items the same request:
# many different requests go to the same ministries from the same bureau.
MIN_TITLE = 0.5
# Editions without a fiscal year stay open this many editions instead.
OPEN_EDITIONS = 2
EDITION_ORDER = {"spring": 0, "autumn": 1}

_CATEGORY_NUMBER = re.compile(r"^(?:[IVXⅠ-Ⅻ]+|第\S*?[0-9一二三四五六七八九十]+\S*?|[0-9]+)[\s.．]+")


@dataclass(frozen=True)
class SeriesItem:
    """What linking needs of a request item."""

    item_seq: int
    title: str
    targets: tuple[str, ...] = ()
    bureaus: tuple[str, ...] = ()
    category: str | None = None


@dataclass
class Edition:
    """One published document of requests."""

    source_id: str
    doc_id: str
    fiscal_year: int | None
    edition: str | None
    items: list[SeriesItem]
    publisher: str = ""

    @property
    def order(self) -> tuple:
        year = self.fiscal_year if self.fiscal_year is not None else 10_000
        return (year, EDITION_ORDER.get(self.edition or "", 2), self.source_id)


@dataclass
class _Series:
    series_id: str
    first_fiscal_year: int | None
    last: SeriesItem
    last_edition: int  # position of the edition it was last seen in
    last_fiscal_year: int | None
    members: list[tuple[int, SeriesItem, float | None]] = field(default_factory=list)


def _squeeze(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def category_key(category: str | None) -> str:
    """A category without its numbering, which changes when categories are added or moved."""
    return _squeeze(_CATEGORY_NUMBER.sub("", (category or "").strip()))


def _overlap(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Jaccard overlap of two name lists; two empty lists say nothing either way (0.5)."""
    left, right = {_squeeze(x) for x in a}, {_squeeze(x) for x in b}
    if not left and not right:
        return 0.5
    return len(left & right) / len(left | right)


def match_score(a: SeriesItem, b: SeriesItem, title: float | None = None) -> float:
    """How surely two items are the same request (0–1); `title` when already computed."""
    if title is None:
        title = Indel.normalized_similarity(_squeeze(a.title), _squeeze(b.title))
    same_category = bool(category_key(a.category)) and category_key(a.category) == category_key(
        b.category
    )
    return (
        TITLE_WEIGHT * title
        + TARGETS_WEIGHT * _overlap(a.targets, b.targets)
        + BUREAUS_WEIGHT * _overlap(a.bureaus, b.bureaus)
        + CATEGORY_WEIGHT * (1.0 if same_category else 0.0)
    )


def _is_open(series: _Series, edition: Edition, position: int) -> bool:
    if series.last_fiscal_year is not None and edition.fiscal_year is not None:
        return series.last_fiscal_year >= edition.fiscal_year - 1
    return position - series.last_edition <= OPEN_EDITIONS


def _pairs(open_series: list[_Series], items: list[SeriesItem]) -> list[tuple[float, int, int]]:
    """(score, series index, item index) of every pair that clears the bars, best first; ties go
    to the series seen most recently, then to the earlier item."""
    if not open_series or not items:
        return []
    titles = cdist(
        [_squeeze(s.last.title) for s in open_series],
        [_squeeze(i.title) for i in items],
        scorer=Indel.normalized_similarity,
    )
    pairs = []
    for si, series in enumerate(open_series):
        for ii, item in enumerate(items):
            title = float(titles[si][ii])
            if title < MIN_TITLE:
                continue
            score = match_score(series.last, item, title)
            if score >= MIN_SCORE:
                pairs.append((round(score, 6), series.last_edition, -si, -ii))
    pairs.sort(reverse=True)
    return [(score, -si, -ii) for score, _, si, ii in pairs]


def _link_edition(series: list[_Series], edition: Edition, position: int) -> None:
    """Add an edition's items to the open series they match, and start a series for the rest."""
    open_series = [s for s in series if _is_open(s, edition, position)]
    taken_series: set[int] = set()
    matched: dict[int, tuple[_Series, float]] = {}
    for score, si, ii in _pairs(open_series, edition.items):
        if si in taken_series or ii in matched:
            continue
        taken_series.add(si)
        matched[ii] = (open_series[si], score)
    for ii, item in enumerate(edition.items):
        if ii in matched:
            found, score = matched[ii]
            found.members.append((position, item, round(score, 4)))
        else:
            found = _Series(
                series_id=f"{edition.source_id}#{item.item_seq}",
                first_fiscal_year=edition.fiscal_year,
                last=item,
                last_edition=position,
                last_fiscal_year=edition.fiscal_year,
            )
            found.members.append((position, item, None))
            series.append(found)
        found.last, found.last_edition = item, position
        found.last_fiscal_year = edition.fiscal_year


def link_editions(editions: list[Edition]) -> list[dict]:
    """`request_series` rows of every item of every edition (see the module docstring).

    Editions are linked per publisher. A document published under two source ids (the same
    doc_id) is one edition: its items get the same series under both ids.
    """
    rows: list[dict] = []
    by_publisher: dict[str, list[Edition]] = {}
    for edition in sorted(editions, key=lambda e: e.order):
        by_publisher.setdefault(edition.publisher, []).append(edition)
    for group in by_publisher.values():
        rows += _link_group(group)
    return rows


def _link_group(editions: list[Edition]) -> list[dict]:
    unique: dict[str, Edition] = {}
    for edition in editions:
        unique.setdefault(edition.doc_id, edition)
    ordered = list(unique.values())
    series: list[_Series] = []
    for position, edition in enumerate(ordered):
        _link_edition(series, edition, position)
    found: dict[tuple[str, int], tuple[_Series, float | None]] = {}
    for s in series:
        for position, item, score in s.members:
            found[(ordered[position].doc_id, item.item_seq)] = (s, score)
    rows = []
    for edition in editions:
        for item in edition.items:
            s, score = found[(edition.doc_id, item.item_seq)]
            rows.append(
                {
                    "source_id": edition.source_id,
                    "doc_id": edition.doc_id,
                    "item_seq": item.item_seq,
                    "series_id": s.series_id,
                    "match_score": score,
                    "first_fiscal_year": s.first_fiscal_year,
                    "n_editions": len({position for position, _, _ in s.members}),
                }
            )
    return rows

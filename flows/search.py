"""`teian search`: the request items and pages that say every one of the words, with a snippet
and the printed page to cite.

The words are normalized like the datasets (`transforms.snippets`) and matched by DuckDB over
the published `requests` and `pages` views. DuckDB's full-text index (the `fts` extension) is
not used: it is not built into the duckdb wheel, DuckDB downloads it from its own extension
server (not a package registry), and no extension package on PyPI is built for the pinned
duckdb 2.0.1 (an extension loads only into the exact DuckDB version it was built for). It
would not fit either: its tokenizer splits words at spaces and punctuation, and Japanese is
written without spaces, so 「サイバー」 inside 「サイバーセキュリティ対策」 would not be a word
of its index. A scan of the normalized text finds any substring, and is quick enough:
`benchmarks/search_speed.py` searches 40,000 pages (60 MB of text) in about a second.
"""

from __future__ import annotations

from typing import Any

import duckdb

from flows.query import views
from transforms.snippets import search_terms, snippet

COLUMNS = ("hit", "source_id", "page", "page_label", "item", "snippet")


def _condition(column: str, terms: list[str]) -> tuple[str, list[str]]:
    """SQL that is true when `column` says every term, as `transforms.snippets` reads it.

    Normalized text holds no white space but spaces and line breaks, so plain `replace` (much
    cheaper than a regular expression) gives the text as a word is looked for in it; the text
    is lower-cased only for a term with letters that have a case."""
    parts, params = [], []
    for term in terms:
        text = f"lower({column})" if term != term.upper() else column
        if " " in term:
            flat = f"regexp_replace({text}, '\\s+', ' ', 'g')"
        else:
            flat = f"replace(replace({text}, chr(10), ''), ' ', '')"
        parts.append(f"(contains({text}, ?) OR contains({flat}, ?))")
        params += [term, term]
    return " AND ".join(parts), params


def _only(only: list[str] | None, alias: str) -> tuple[str, list[str]]:
    if not only:
        return "", []
    return f" AND {alias}.source_id IN ({', '.join('?' for _ in only)})", list(only)


def _limit(most: int | None) -> str:
    return f" LIMIT {int(most)}" if most is not None else ""


def _item_hits(
    con: duckdb.DuckDBPyConnection, terms: list[str], only: list[str] | None, most: int | None
) -> list:
    text = "coalesce(r.title, '') || '\n' || coalesce(r.text, '')"
    where, params = _condition(text, terms)
    limit_sql, limit_params = _only(only, "r")
    rows = con.execute(
        f"SELECT r.source_id, r.page_first, r.page_label_first, r.item_no, r.title, r.text "
        f"FROM requests r WHERE {where}{limit_sql} ORDER BY r.source_id, r.item_seq{_limit(most)}",
        params + limit_params,
    ).fetchall()
    return [
        ("item", source, page, label, _item_name(no, title), snippet(body or title, terms))
        for source, page, label, no, title, body in rows
    ]


def _page_hits(
    con: duckdb.DuckDBPyConnection,
    terms: list[str],
    only: list[str] | None,
    items: bool,
    most: int | None,
) -> list:
    where, params = _condition("p.text", terms)
    limit_sql, limit_params = _only(only, "p")
    item = (
        "(SELECT string_agg(coalesce(r.item_no, '') || ' ' || coalesce(r.title, ''), ' / ' ORDER BY r.item_seq)"
        " FROM requests r WHERE r.source_id = p.source_id AND r.doc_id = p.doc_id"
        " AND p.page_number BETWEEN r.page_first AND r.page_last)"
        if items
        else "NULL"
    )
    rows = con.execute(
        f"SELECT p.source_id, p.page_number, p.page_label, {item}, p.text "
        f"FROM pages p WHERE {where}{limit_sql} ORDER BY p.source_id, p.page_number{_limit(most)}",
        params + limit_params,
    ).fetchall()
    return [
        ("page", source, page, label, (name or "").strip() or None, snippet(text, terms))
        for source, page, label, name, text in rows
    ]


def _item_name(item_no: str | None, title: str | None) -> str:
    return " ".join(part for part in (item_no, title) if part)


def search(
    con: duckdb.DuckDBPyConnection,
    words: list[str],
    only: list[str] | None = None,
    limit: int | None = None,
) -> tuple[list[str], list[tuple[Any, ...]], bool]:
    """The items, then the pages, that say every word: (columns, at most `limit` rows, whether
    more were left out). Snippets are made only for the rows returned."""
    terms = search_terms(words)
    if not terms:
        raise ValueError("nothing to search for: give one or more words")
    present = views(con)
    most = None if limit is None else limit + 1
    rows: list[tuple[Any, ...]] = []
    if "requests" in present:
        rows += _item_hits(con, terms, only, most)
    if "pages" in present and (most is None or len(rows) < most):
        left = None if most is None else most - len(rows)
        rows += _page_hits(con, terms, only, "requests" in present, left)
    cut = limit is not None and len(rows) > limit
    return list(COLUMNS), rows[:limit] if cut else rows, cut

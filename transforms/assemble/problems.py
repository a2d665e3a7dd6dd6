"""Why a table may be wrong: the reasons a user can filter on (`tables.problems`).

Each reason is one short phrase with its count, so `list_contains(problems, …)` or a glance at
the report says which tables to check by eye before trusting their figures:

- header from an earlier table (p.N): the block printed none; its columns sit under that one's
- no header row: nothing names the columns
- header guessed: nothing but its place tells the header from the rows below (no figures, no
  codes or dates in the body)
- fused figures: cells holding two or more figures side by side (columns the finder missed)
- ragged rows: a table set by alignment whose rows fill different columns
- empty columns: columns with almost nothing in them (a column split that is not there)
- figures without a row label: figures whose line names nothing
"""

from __future__ import annotations

from collections import Counter

from transforms.normalize.figures import is_number

# A column empty in at least this share of the body rows counts as empty.
EMPTY_COLUMN_SHARE = 0.9
# Rows of an aligned table filling other columns than most: ragged beyond this share.
RAGGED_SHARE = 0.3
# Figures without a row label: reported beyond this share.
UNLABELLED_SHARE = 0.2


def _fused(text: str | None) -> bool:
    tokens = (text or "").split()
    return sum(1 for t in tokens if is_number(t)) >= 2 and all(
        is_number(t) or not any(ch.isalnum() for ch in t) for t in tokens
    )


def _body(cells: list[dict]) -> list[dict]:
    return [c for c in cells if not c["is_header"] and not c["spanned"]]


def _header_problems(header_rows: int, inherited_from: int | None, body: list[dict]) -> list[str]:
    if inherited_from is not None:
        return [f"header from an earlier table (p.{inherited_from})"]
    if header_rows == 0:
        return ["no header row"]
    telling = any(c["value"] is not None for c in body)
    return [] if telling else ["header guessed"]


def _layout_problems(body: list[dict], n_cols: int, strategy: str) -> list[str]:
    found: list[str] = []
    rows: dict[int, set[int]] = {}
    for c in body:
        rows.setdefault(c["row"], set())
        if c["text"]:
            rows[c["row"]].add(c["col"])
    if strategy == "text" and len(rows) >= 3:
        usual, _ = Counter(frozenset(s) for s in rows.values()).most_common(1)[0]
        ragged = sum(1 for s in rows.values() if frozenset(s) != usual)
        if ragged > RAGGED_SHARE * len(rows):
            found.append(f"ragged rows: {ragged} of {len(rows)}")
    if len(rows) >= 3 and n_cols >= 2:
        empty = sum(
            1
            for col in range(n_cols)
            if sum(1 for s in rows.values() if col in s) <= (1 - EMPTY_COLUMN_SHARE) * len(rows)
        )
        if empty:
            found.append(f"empty columns: {empty} of {n_cols}")
    return found


def table_problems(
    cells: list[dict],
    header_rows: int,
    inherited_from: int | None,
    strategy: str,
    n_cols: int,
) -> list[str]:
    """The reasons (see the module doc) a finished table's cells may be wrong."""
    body = _body(cells)
    found = _header_problems(header_rows, inherited_from, body)
    fused = sum(1 for c in body if c["value"] is None and _fused(c["text"]))
    if fused:
        found.append(f"fused figures: {fused} cells")
    found += _layout_problems(body, n_cols, strategy)
    figures = [c for c in body if c["value"] is not None]
    unlabelled = sum(1 for c in figures if not c["row_label"])
    if figures and unlabelled > UNLABELLED_SHARE * len(figures):
        found.append(f"figures without a row label: {unlabelled} of {len(figures)}")
    return found

"""One line per source of what a run did, for the CLI's summary and the run's artifact."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SourceOutcome:
    """One line of the run summary: what happened to a source, at which stage, and why."""

    source_id: str
    outcome: str  # published | partial | unchanged | failed
    stage: str
    error: str | None = None
    pages: int | str = ""
    tables: int | str = ""
    cells: int | str = ""
    requests: int | str = ""
    fetched: str | None = None  # the fetch's outcome: new, unchanged (same bytes), not-modified


_FETCHED = {
    "not-modified": "not modified since the last fetch (HTTP 304)",
    "unchanged": "fetched again: the same bytes",
    "new": "new version fetched",
}


def summary_markdown(outcomes: list[SourceOutcome]) -> str:
    lines = [
        "# teian refresh",
        "",
        "| source | outcome | pages | tables | cells | requests | detail |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in outcomes:
        detail = (r.error or _FETCHED.get(r.fetched or "", "")).replace("|", "\\|")[:300]
        lines.append(
            f"| {r.source_id} | {r.outcome} | {r.pages} | {r.tables} | {r.cells} "
            f"| {r.requests} | {detail} |"
        )
    return "\n".join(lines)

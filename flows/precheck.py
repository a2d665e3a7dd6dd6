"""Before any Prefect start-up: fetch the sources and see whether a flow run is needed at all.

A weekly run usually finds every PDF unchanged (the same bytes, or HTTP 304) under the same
catalog entry and pipeline version; answering that takes a conditional GET or a file hash per
source, well under a second, while importing Prefect and starting its API takes several. So
`teian run` fetches first, here, without Prefect; only when something changed (or a fetch
failed and must be retried) does it run the flow, handing it the fetches already made so that
no source is downloaded twice. `teian serve` always runs the flow: a scheduled run must show in
the Prefect UI with its summary.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flows import defaults
from flows.fetch import FetchError, TransientFetchError, fetch_source
from flows.state import is_unchanged
from flows.store import DataDir
from flows.summary import SourceOutcome
from transforms.catalog import Source
from transforms.records import FetchResult

# Fetches run this many at a time: they wait on the network, not on the CPU.
FETCH_THREADS = 8


@dataclass
class Precheck:
    """What the fetches said before the flow: each source's fetch, if it succeeded."""

    sources: list[Source]
    fetched: dict[str, FetchResult] = field(default_factory=dict)
    unchanged: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)  # for good: no retry can help

    @property
    def for_the_flow(self) -> list[Source]:
        """Sources a flow must handle: changed, or failed in a way a retry may mend."""
        done = self.unchanged | set(self.failed)
        return [s for s in self.sources if s.id not in done]

    def outcomes(self) -> list[SourceOutcome]:
        """The summary lines of the sources decided here: unchanged, or failed for good."""
        lines = []
        for s in self.sources:
            if s.id in self.unchanged:
                lines.append(
                    SourceOutcome(s.id, "unchanged", "fetch", fetched=self.fetched[s.id].outcome)
                )
            elif s.id in self.failed:
                lines.append(SourceOutcome(s.id, "failed", "fetch", self.failed[s.id]))
        return lines


def _fetch(source: Source, data: DataDir, timeout: float) -> FetchResult | str | None:
    """The fetch; or its error when no retry can mend it (a missing file, a 404, an HTML page);
    or None when a retry may (a timeout, a 5xx): the flow then fetches with its retries."""
    try:
        return fetch_source(source, data, timeout=timeout)
    except TransientFetchError:
        return None
    except FetchError as exc:
        return str(exc)


def precheck(
    sources: list[Source],
    data: DataDir,
    force: bool = False,
    timeout: float = defaults.FETCH_TIMEOUT_SECONDS,
) -> Precheck:
    """Fetch every source (into the raw store, logged as any fetch) and note the unchanged."""
    check = Precheck(sources)
    if not sources:
        return check
    with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, len(sources))) as pool:
        results = list(pool.map(lambda s: _fetch(s, data, timeout), sources))
    for source, result in zip(sources, results, strict=True):
        if result is None:
            continue
        if isinstance(result, str):
            check.failed[source.id] = result
            continue
        check.fetched[source.id] = result
        if not force and is_unchanged(data, source, result.sha256):
            check.unchanged.add(source.id)
    return check

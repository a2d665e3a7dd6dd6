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
from flows.fetch import FetchError, fetch_source
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

    @property
    def nothing_to_do(self) -> bool:
        return bool(self.sources) and len(self.unchanged) == len(self.sources)

    def outcomes(self) -> list[SourceOutcome]:
        """The run summary when nothing changed: every source unchanged, in catalog order."""
        return [
            SourceOutcome(s.id, "unchanged", "fetch", fetched=self.fetched[s.id].outcome)
            for s in self.sources
        ]


def _fetch(source: Source, data: DataDir, timeout: float) -> FetchResult | None:
    try:
        return fetch_source(source, data, timeout=timeout)
    except FetchError:
        return None  # the flow fetches it again, with retries, and records the failure


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
        check.fetched[source.id] = result
        if not force and is_unchanged(data, source, result.sha256):
            check.unchanged.add(source.id)
    return check

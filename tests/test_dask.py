"""The same flow on a Dask cluster (two worker processes) publishes the same datasets as a local run.

Extraction tasks run inside Dask's (daemonic) worker processes and start their guarded child
interpreter there with `subprocess`, which daemonic processes may do.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.runner import run_refresh
from tests.fixtures.bigdocs import write_budget_book

pytestmark = pytest.mark.usefixtures("prefect_harness")

# Columns that record when something happened, not what was extracted.
TIME_COLUMNS = {"retrieved_at"}


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as local_cluster:
        yield local_cluster


def _datasets(data_dir: Path) -> dict[str, object]:
    tables = {}
    for path in sorted((data_dir / "processed").rglob("*.parquet")):
        table = pq.read_table(path)
        keep = [name for name in table.column_names if name not in TIME_COLUMNS]
        tables[str(path.relative_to(data_dir))] = table.select(keep)
    return tables


def test_dask_run_matches_local_run(cluster, sample_catalog: Path, tmp_path: Path) -> None:
    # one longer document so its pages are spread over several batches and both workers
    write_budget_book(sample_catalog.parent / "book.pdf", pages=40)
    with open(sample_catalog, "a", encoding="utf-8") as handle:
        handle.write('\n[[source]]\nid = "book"\ntitle = "令和8年度 予算書"\nurl = "book.pdf"\n')

    local_dir, dask_dir = tmp_path / "local", tmp_path / "dask"
    state, local = run_refresh(catalog=str(sample_catalog), data_dir=str(local_dir), workers=2)
    assert state.is_completed(), state.message
    state, on_dask = run_refresh(
        catalog=str(sample_catalog),
        data_dir=str(dask_dir),
        workers=2,
        dask_address=cluster.scheduler_address,
    )
    assert state.is_completed(), state.message
    assert {r["source_id"]: r["outcome"] for r in on_dask["sources"]} == {
        r["source_id"]: r["outcome"] for r in local["sources"]
    }

    expected, got = _datasets(local_dir), _datasets(dask_dir)
    assert sorted(got) == sorted(expected)
    assert any("cells/book" in name for name in got)
    for name, table in expected.items():
        assert got[name].equals(table), name
    # the work really ran on the cluster, on both worker processes
    from distributed import Client

    with Client(cluster) as client:
        executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert len(executed) == 2 and all(count >= 1 for count in executed.values()), executed
    assert sum(executed.values()) >= 2 + 3  # fetches, extraction batches and publishes

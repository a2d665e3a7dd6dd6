"""Pipeline speed and memory on generated reference documents, as ratios from one run.

    python -m benchmarks.pipeline [--quick] [--workers N] [--work-dir DIR]

Two documents are generated (tests/fixtures/bigdocs.py): a text-heavy 提案要求-like edition
(400 pages, a table every ~10 pages) and a table-heavy 予算書-like book (600 pages, a table on
every page). For each:

1. cold throughput: the `refresh` flow on a fresh data dir vs a naive single-process loop
   (`for page in pdf.pages: page.extract_text(); page.extract_tables()`) over the same file, in
   the same run. The flow runs inside one Prefect test harness started beforehand, so the figure
   is the pipeline's own work; the harness start-up is reported on its own line, and the memory
   runs below give the wall time of the real CLI, temporary Prefect server included.
2. warm run: the flow again with nothing changed, as a fraction of the cold run.
   Each timing is taken `--repeat` times (naive and pipeline alternating) and the fastest kept,
   because the machine is shared and a neighbour's job can stall either side.
3. peak memory: `teian run` as a subprocess on a 100-page and a 1,000-page version of the
   document, RSS of the whole process tree sampled every 20 ms with psutil. Reported with and
   without the temporary Prefect API server (a uvicorn child of the run), which a deployment
   would not have.

`--quick` uses shorter documents (for a smoke run), which makes the ratios less meaningful.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"teian": {"speedup": 4.0}, "budget": {"speedup": 1.8}}
WARM_TARGET = 0.05
MEMORY_RATIO_TARGET = 1.2
MEMORY_CAP_MB = 600


@dataclass
class Doc:
    key: str  # "teian" or "budget"
    kind: str
    pages: int
    path: Path


@dataclass
class MemoryRun:
    pages: int
    seconds: float
    peak_mb: float  # pipeline processes: the CLI and its extraction children
    peak_with_server_mb: float  # plus the temporary Prefect API server
    exit_code: int
    peak_parent_mb: float = 0.0  # the CLI process alone
    peak_workers_mb: float = 0.0  # extraction children together


@dataclass
class DocResult:
    key: str
    pages: int
    naive_s: float = 0.0
    cold_s: float = 0.0
    warm_s: float = 0.0
    memory: list[MemoryRun] = field(default_factory=list)


def make_doc(key: str, pages: int, folder: Path) -> Doc:
    from tests.fixtures.bigdocs import write_budget_book, write_teian_edition

    path = folder / f"{key}-{pages}.pdf"
    if not path.exists():
        (write_teian_edition if key == "teian" else write_budget_book)(path, pages)
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    real_pages = len(document)
    document.close()
    return Doc(key, "teian" if key == "teian" else "generic", real_pages, path)


def write_catalog(doc: Doc, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    catalog = folder / "catalog.toml"
    title = (
        "令和7年度 国の施策及び予算に対する東京都の提案要求（試験用）"
        if doc.key == "teian"
        else "令和8年度 富士見市一般会計予算書（試験用）"
    )
    catalog.write_text(
        f'[[source]]\nid = "bench-{doc.key}"\ntitle = "{title}"\npublisher = "東京都"\n'
        f'kind = "{doc.kind}"\nurl = "{doc.path.as_uri()}"\n',
        encoding="utf-8",
    )
    return catalog


def naive_seconds(path: Path) -> float:
    """The baseline: every page through pdfplumber's text and table extraction, one process."""
    import pdfplumber

    started = time.perf_counter()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
            page.close()
    return time.perf_counter() - started


def timed_flow(catalog: Path, data_dir: Path, workers: int) -> tuple[float, dict]:
    from flows.runner import run_refresh

    started = time.perf_counter()
    state, result = run_refresh(catalog=str(catalog), data_dir=str(data_dir), workers=workers)
    elapsed = time.perf_counter() - started
    if result is None or not state.is_completed():
        raise RuntimeError(f"flow failed: {state.message}")
    return elapsed, result


class TreeSampler:
    """Peak RSS of a process and all its descendants, sampled in a thread.

    A child caught between fork and exec still maps the parent's pages (copy-on-write) and would
    count the parent twice; such children (same command line as the parent) are skipped.
    """

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self._root_cmdline = self.root.cmdline()
        self.interval = interval
        self.peak = 0
        self.peak_with_server = 0
        self.peak_root = 0
        self.peak_children = 0  # extraction workers together
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _is_server(process) -> bool:  # noqa: ANN001 - psutil.Process
        try:
            return any("uvicorn" in part or "prefect.server" in part for part in process.cmdline())
        except Exception:  # noqa: BLE001 - the process may be gone
            return False

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            total = server = root = 0
            for process in processes:
                try:
                    if process.pid != self.root.pid and process.cmdline() == self._root_cmdline:
                        continue  # forked, not yet exec'd: its pages are the parent's, counted once
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                if process.pid == self.root.pid:
                    root = rss
                elif self._is_server(process):
                    server += rss
            self.peak_root = max(self.peak_root, root)
            self.peak_children = max(self.peak_children, total - server - root)
            self.peak_with_server = max(self.peak_with_server, total)
            self.peak = max(self.peak, total - server)
            time.sleep(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def memory_run(doc: Doc, folder: Path, workers: int) -> MemoryRun:
    """`teian run` in its own process, as a user runs it; peak RSS of the whole tree."""
    catalog = write_catalog(doc, folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PREFECT_API_URL", None)
    command = [
        sys.executable,
        "-m",
        "flows.cli",
        "run",
        "--catalog",
        str(catalog),
        "--data-dir",
        str(folder / "data"),
        "--workers",
        str(workers),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT
    )
    with TreeSampler(process.pid) as sampler:
        _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        print(f"  teian run exited {process.returncode}: {stderr.decode(errors='replace')[-500:]}")
    return MemoryRun(
        doc.pages,
        elapsed,
        sampler.peak / 2**20,
        sampler.peak_with_server / 2**20,
        process.returncode,
        sampler.peak_root / 2**20,
        sampler.peak_children / 2**20,
    )


def fmt(values: list[float], digits: int = 1) -> str:
    return " / ".join(f"{v:.{digits}f}" for v in values)


def run(quick: bool, workers: int, work_dir: Path, repeat: int = 2) -> dict[str, DocResult]:
    sizes = {"teian": 120, "budget": 150} if quick else {"teian": 400, "budget": 600}
    memory_sizes = (30, 300) if quick else (100, 1000)
    docs_dir = work_dir / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, DocResult] = {}
    from prefect.testing.utilities import prefect_test_harness

    started = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=120):
        harness_s = time.perf_counter() - started
        print(
            f"Prefect test harness (temporary API server) start-up: {harness_s:.1f} s — not counted below"
        )
        warmup = make_doc("teian", 3, docs_dir)
        timed_flow(
            write_catalog(warmup, work_dir / "warmup"), work_dir / "warmup" / "data", workers
        )
        for key, pages in sizes.items():
            doc = make_doc(key, pages, docs_dir)
            result = DocResult(key, doc.pages)
            naive, cold, warm = [], [], []
            for attempt in range(repeat):  # alternate, keep the fastest: the machine is shared
                naive.append(naive_seconds(doc.path))
                folder = work_dir / f"flow-{key}-{attempt}"
                catalog = write_catalog(doc, folder)
                elapsed, outcome = timed_flow(catalog, folder / "data", workers)
                cold.append(elapsed)
                elapsed, again = timed_flow(catalog, folder / "data", workers)
                warm.append(elapsed)
                outcomes = {s["outcome"] for s in again["sources"]}
                if outcomes != {"unchanged"}:
                    print(f"  warning: warm run outcomes {outcomes}")
            result.naive_s, result.cold_s, result.warm_s = min(naive), min(cold), min(warm)
            print(
                f"{key}: {doc.pages} pages  naive {fmt(naive)} s  cold {fmt(cold)} s  "
                f"warm {fmt(warm, 2)} s  ({outcome['sources'][0].get('tables')} tables)"
            )
            results[key] = result
    for key in sizes:
        for pages in memory_sizes:
            doc = make_doc(key, pages, docs_dir)
            run_ = memory_run(doc, work_dir / f"mem-{key}-{pages}", workers)
            results[key].memory.append(run_)
            print(
                f"{key}: teian run on {doc.pages} pages: {run_.seconds:.1f} s wall (temporary server "
                f"included), peak RSS {run_.peak_mb:.0f} MB ({run_.peak_with_server_mb:.0f} MB with the server; "
                f"CLI process {run_.peak_parent_mb:.0f} MB, extraction workers {run_.peak_workers_mb:.0f} MB)"
            )
    return results


def report(results: dict[str, DocResult], workers: int) -> list[str]:
    lines = [
        f"workers={workers}, cores={os.cpu_count()}, load average at end {os.getloadavg()[0]:.2f}"
    ]
    header = f"{'document':8} {'pages':>5} {'(1) speed-up':>13} {'(2) warm/cold':>14} {'(3) RSS ratio':>14} {'peak MB':>8}"
    lines.append(header)
    for key, r in results.items():
        speedup = r.naive_s / r.cold_s if r.cold_s else 0.0
        warm = r.warm_s / r.cold_s if r.cold_s else 0.0
        small, big = (r.memory + [None, None])[:2]
        ratio = big.peak_mb / small.peak_mb if small and big and small.peak_mb else 0.0
        ratio_all = big.peak_with_server_mb / small.peak_with_server_mb if small and big else 0.0
        target = TARGETS[key]["speedup"]
        lines.append(
            f"{key:8} {r.pages:5d} {speedup:12.2f}× {warm:13.1%} {ratio:13.2f}  {big.peak_mb if big else 0:7.0f}"
            f"   targets: ≥{target}×, ≤{WARM_TARGET:.0%}, ≤{MEMORY_RATIO_TARGET} and <{MEMORY_CAP_MB} MB"
            f" → {'met' if speedup >= target else 'MISSED'}, {'met' if warm <= WARM_TARGET else 'MISSED'}, "
            f"{'met' if ratio <= MEMORY_RATIO_TARGET and big and big.peak_mb < MEMORY_CAP_MB else 'MISSED'}"
        )
        lines.append(
            f"{'':8} with the temporary Prefect server counted: RSS ratio {ratio_all:.2f}, "
            f"peak {big.peak_with_server_mb if big else 0:.0f} MB; naive {r.naive_s:.1f} s, "
            f"cold {r.cold_s:.1f} s, warm {r.warm_s:.2f} s"
        )
    return lines


def main(argv: list[str] | None = None) -> dict[str, DocResult]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short documents: a smoke run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="keep documents and outputs here"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="timed runs per document, the fastest kept (default 2, 1 with --quick)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    with tempfile.TemporaryDirectory(prefix="teian-bench-") as scratch:
        work_dir = args.work_dir or Path(scratch)
        repeat = args.repeat or (1 if args.quick else 2)
        results = run(args.quick, args.workers, work_dir, repeat)
    print()
    for line in report(results, args.workers):
        print(line)
    if args.json:
        args.json.write_text(
            json.dumps(
                {k: {**vars(v), "memory": [vars(m) for m in v.memory]} for k, v in results.items()},
                indent=2,
                default=str,
            )
        )
    return results


if __name__ == "__main__":
    main()

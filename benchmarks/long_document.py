"""The cost of a batch of pages should not grow with the length of its document.

    python -m benchmarks.long_document [--pages 50000] [--batch 128] [--run]

Generates a document of empty pages (reportlab, ~20 s for 50,000) and extracts one batch at its
start and one at its end, each in its guarded worker as `teian run` does: with the pages looked
up by number in the page tree (what the flow does when the tree is regular) and with pdfplumber's
full walk over `pdf.pages` (what every batch did before). Prints the times and their ratios:
last batch / first batch should stay near 1 with lookup by number. `--run` also times a whole
`teian run` over the document (minutes). Ratios are from this one run on this machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flows.extract import Limits, extract_batch, measure_pages

ROOT = Path(__file__).resolve().parent.parent


def empty_pages_pdf(path: Path, pages: int) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4, invariant=1)
    for _ in range(pages):
        canvas.showPage()
    canvas.save()


def timed_batch(pdf: Path, first: int, last: int, work: Path, direct: bool) -> float:
    started = time.perf_counter()
    batch = extract_batch(str(pdf), first, last, work, limits=Limits(3600, 3072), direct=direct)
    assert len(batch.pages) == last - first + 1
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--run", action="store_true", help="also time a whole `teian run`")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="teian-long-") as scratch:
        work = Path(scratch)
        pdf = work / "empty.pdf"
        started = time.perf_counter()
        empty_pages_pdf(pdf, args.pages)
        print(f"{args.pages} empty pages generated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        counted = measure_pages(str(pdf))
        print(
            f"page count (guarded, with the page tree check): {counted.pages} pages, "
            f"looked up by number: {counted.direct}, {time.perf_counter() - started:.2f} s"
        )
        end = (args.pages - args.batch + 1, args.pages)
        times = {}
        for direct in (True, False):
            for where, (first, last) in (("first", (1, args.batch)), ("last", end)):
                times[direct, where] = timed_batch(pdf, first, last, work, direct)
        for direct, name in ((True, "by number"), (False, "full walk")):
            first, last = times[direct, "first"], times[direct, "last"]
            print(
                f"{name:9}: first batch {first:6.2f} s, last batch {last:6.2f} s, "
                f"last/first {last / first:5.2f}"
            )
        print(
            f"last batch, full walk / by number: {times[False, 'last'] / times[True, 'last']:.1f}x"
        )
        if args.run:
            whole_run(pdf, work)


def whole_run(pdf: Path, work: Path) -> None:
    catalog = work / "catalog.toml"
    catalog.write_text(f'[[source]]\nid = "long"\ntitle = "long"\nurl = "{pdf}"\n', "utf-8")
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows",
            "run",
            "--catalog",
            str(catalog),
            "--data-dir",
            str(work / "d"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    print(
        f"teian run over the whole document: {time.perf_counter() - started:.0f} s "
        f"(exit {done.returncode})"
    )


if __name__ == "__main__":
    main()

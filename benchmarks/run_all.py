"""Every measurement in one go (`make bench`): pipeline speed and memory, then text quality.

    python -m benchmarks.run_all [--quick] [--corpus PATH] [--workers N]

1. benchmarks.pipeline: the whole `teian run` command, cold and warm, vs a naive pdfplumber loop;
   peak RSS 100 vs 1,000 pages; how fast a catalog error is reported.
2. benchmarks.fastpath_check: pdfium's fast paths give the same page records as pdfminer's
   (generated reference documents, and the corpus when given), and the share of pages each takes.
3. benchmarks.text_compare: pypdfium2's own text vs pdfplumber's, on the corpus (including the
   vertical-writing pages with reference texts) and the generated documents.

The corpus is read where it is (`--corpus`, or the CORPUS environment variable as the Makefile
sets it); without one, only generated documents are measured. Figures are from this one run on
this machine: on a shared machine run it again before trusting a single number.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from benchmarks import fastpath_check, pipeline, text_compare


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short documents, fewer pages checked")
    parser.add_argument("--corpus", type=Path, default=os.environ.get("CORPUS") or None)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="teian-bench-") as scratch:
        work = Path(scratch)
        print("== 1. pipeline: speed and memory ==", flush=True)
        pipeline.main(
            (["--quick"] if args.quick else [])
            + ["--workers", str(args.workers), "--work-dir", str(work)]
            + (["--corpus", str(args.corpus)] if args.corpus else [])
        )
        generated = sorted((work / "docs").glob("*.pdf"))
        checked = [
            p
            for p in generated
            if p.stem in ("teian-400", "budget-600", "teian-120", "budget-150", "budget-cid-150")
        ]
        corpus = (
            [args.corpus / "ja"]
            if args.corpus and (args.corpus / "ja").is_dir()
            else ([args.corpus] if args.corpus and args.corpus.exists() else [])
        )
        if args.corpus and not corpus:
            print(f"(corpus {args.corpus} not found: generated documents only)")
        max_pages = ["--max-pages", "60" if args.quick else "200"]
        print("\n== 2. fast path: same page records as the full pdfplumber path? ==", flush=True)
        fastpath_check.main([str(p) for p in checked + corpus] + max_pages)
        print(
            "\n== 3. pypdfium2 text vs pdfplumber text (normalized, whitespace removed) ==",
            flush=True,
        )
        if corpus:
            vertical = (
                [p for p in (args.corpus / "ja" / "pdfminer").glob("*.pdf")]
                if (args.corpus / "ja" / "pdfminer").is_dir()
                else []
            )
            text_compare.main([str(p) for p in vertical])  # whole files: scored against .txt.ref
        text_compare.main([str(p) for p in checked + corpus] + max_pages)
    print(f"\nmake bench finished in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Do pdfium's fast paths give the same page records as the full pdfplumber/pdfminer path?

    python -m benchmarks.fastpath_check PATH... [--max-pages N] [--show]

Every page is read as the extraction worker reads it: the text fast path
(`transforms.extract.fast.extract_page_fast`, pages without any drawn path), else the objects
fast path (`extract_page_objects_fast`: pdfium's chars and paths under pdfplumber's table
finder), else pdfminer. Each page that a fast path accepts is compared with the full path's
record (`transforms.extract.page.extract_page` on pdfminer's objects): text, footer label,
character count, and every table's grid, strategy and caption exactly; positions (table and
cell boxes) within 0.01 pt, since pdfium reports 32-bit floats. The report gives, per file and in
total, the share of pages each path takes, how many differ and in which fields, and the time per
page of each parser. A difference here means a fast path changes the datasets: it must be zero.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from benchmarks.text_compare import find_pdfs
from transforms.records import PageRecord, RawTable

TOLERANCE = 0.01
FIELDS = ("text_raw", "footer_label", "n_chars", "width", "height", "tables")


def _close(a: object, b: object) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(a - b) <= TOLERANCE
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _same_tables(fast: list[RawTable], full: list[RawTable]) -> bool:
    return len(fast) == len(full) and all(
        f.rows == g.rows
        and f.strategy == g.strategy
        and f.caption == g.caption
        and _close(f.bbox, g.bbox)
        and _close(f.cell_boxes, g.cell_boxes)
        for f, g in zip(fast, full, strict=True)
    )


def differing_fields(fast: PageRecord, full: PageRecord) -> list[str]:
    """The record fields in which a fast path's record differs from the full path's."""
    out = []
    for name in FIELDS:
        a, b = getattr(fast, name), getattr(full, name)
        same = _same_tables(a, b) if name == "tables" else _close(a, b)
        if not same:
            out.append(name)
    return out


def _fast_record(light, plumber_page, index: int) -> tuple[str, PageRecord | None, float]:  # noqa: ANN001
    from transforms.extract.fast import read_page_fast

    started = time.perf_counter()
    page = light[index]
    record, path = read_page_fast(page, plumber_page)
    page.close()
    plumber_page.close()
    return path, record, time.perf_counter() - started


def check_file(path: Path, max_pages: int | None) -> dict:
    import pdfplumber
    import pypdfium2 as pdfium

    from transforms.extract.page import extract_page

    stats: dict = {"pages": 0, "paths": Counter(), "differ": Counter(), "fields": Counter()}
    stats.update(fast_s=0.0, full_s=0.0, examples=[])
    document = pdfium.PdfDocument(str(path))
    with pdfplumber.open(path) as pdf:
        for index, page in enumerate(pdf.pages[:max_pages]):
            stats["pages"] += 1
            which, fast, seconds = _fast_record(document, page, index)
            stats["paths"][which] += 1
            stats["fast_s"] += seconds
            started = time.perf_counter()
            full = extract_page(page)
            stats["full_s"] += time.perf_counter() - started
            page.close()
            if fast is None:
                continue
            differing = differing_fields(fast, full)
            if differing:
                stats["differ"][which] += 1
                stats["fields"].update(differing)
                if len(stats["examples"]) < 3:
                    stats["examples"].append((index + 1, which, differing))
    document.close()
    return stats


def main(argv: list[str] | None = None) -> dict[str, dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--max-pages", type=int, default=None)
    parser.add_argument("--show", action="store_true", help="print the first differences")
    args = parser.parse_args(argv)
    results: dict[str, dict] = {}
    total: Counter = Counter()
    print(f"{'file':40} {'pages':>5} {'text':>5} {'objs':>5} {'full':>5} {'differ':>6}  fields")
    for path in find_pdfs(args.paths):
        try:
            s = check_file(path, args.max_pages)
        except Exception as exc:  # noqa: BLE001 - an unreadable corpus file is reported, not fatal
            print(f"{path.name[:40]:40} error: {exc.__class__.__name__}: {exc}")
            continue
        results[str(path)] = s
        total.update(pages=s["pages"], differ=sum(s["differ"].values()), **s["paths"])
        total.update(fast_ms=1000 * s["fast_s"], full_ms=1000 * s["full_s"])
        print(
            f"{path.name[:40]:40} {s['pages']:5d} {s['paths']['text']:5d} "
            f"{s['paths']['objects']:5d} {s['paths']['full']:5d} "
            f"{sum(s['differ'].values()):6d}  {dict(s['fields'])}"
        )
        if args.show:
            for example in s["examples"]:
                print("   ", example)
    n = max(1, total["pages"])
    print(
        f"total: {total['pages']} pages — text fast path {total['text'] / n:.0%}, objects fast path "
        f"{total['objects'] / n:.0%}, full path {total['full'] / n:.0%}; {total['differ']} differ; "
        f"ms/page: fast paths (incl. fall-backs' checks) {total['fast_ms'] / n:.1f}, "
        f"pdfminer {total['full_ms'] / n:.1f}"
    )
    return results


if __name__ == "__main__":
    main()

"""Does the pdfium fast path give the same page records as the full pdfplumber path?

    python -m benchmarks.fastpath_check PATH... [--max-pages N]

For every page where `transforms.extract.fast.extract_page_fast` accepts the page, its record is
compared field by field with `transforms.extract.page.extract_page`. The report gives the share of pages
that took the fast path, how many of them differ (and in which fields), and the time per page of
each path. A difference here means the fast path changes the datasets: it must be zero.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from benchmarks.text_compare import find_pdfs

FIELDS = ("text_raw", "footer_label", "n_chars", "tables", "width", "height")


def _comparable(value):  # noqa: ANN001, ANN202 - a PageRecord field
    return round(value, 2) if isinstance(value, float) else value


def check_file(path: Path, max_pages: int | None) -> dict:
    import pdfplumber
    import pypdfium2 as pdfium

    from transforms.extract.fast import extract_page_fast
    from transforms.extract.page import extract_page

    stats = {
        "pages": 0,
        "fast": 0,
        "differ": 0,
        "fields": Counter(),
        "fast_s": 0.0,
        "full_s": 0.0,
        "examples": [],
    }
    document = pdfium.PdfDocument(str(path))
    with pdfplumber.open(path) as pdf:
        for index, page in enumerate(pdf.pages[:max_pages]):
            stats["pages"] += 1
            started = time.perf_counter()
            light = document[index]
            fast = extract_page_fast(light, index + 1)
            light.close()
            stats["fast_s"] += time.perf_counter() - started
            started = time.perf_counter()
            full = extract_page(page)
            stats["full_s"] += time.perf_counter() - started
            page.close()
            if fast is None:
                continue
            stats["fast"] += 1
            differing = [
                f for f in FIELDS if _comparable(getattr(fast, f)) != _comparable(getattr(full, f))
            ]
            if differing:
                stats["differ"] += 1
                stats["fields"].update(differing)
                if len(stats["examples"]) < 2:
                    stats["examples"].append(
                        (index + 1, {f: (getattr(full, f), getattr(fast, f)) for f in differing})
                    )
    document.close()
    return stats


def main(argv: list[str] | None = None) -> dict[str, dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--max-pages", type=int, default=None)
    parser.add_argument("--show", action="store_true", help="print the first differences")
    args = parser.parse_args(argv)
    results = {}
    print(
        f"{'file':44} {'pages':>5} {'fast':>5} {'differ':>6} {'full ms/p':>9} {'fast ms/p':>14}  fields"
    )
    for path in find_pdfs(args.paths):
        try:
            s = check_file(path, args.max_pages)
        except Exception as exc:  # noqa: BLE001 - an unreadable corpus file is reported, not fatal
            print(f"{path.name[:44]:44} error: {exc.__class__.__name__}: {exc}")
            continue
        results[str(path)] = s
        n = max(1, s["pages"])
        print(
            f"{path.name[:44]:44} {s['pages']:5d} {s['fast']:5d} {s['differ']:6d} "
            f"{1000 * s['full_s'] / n:9.1f} {1000 * s['fast_s'] / n:14.1f}  {dict(s['fields'])}"
        )
        if args.show:
            for example in s["examples"]:
                print("   ", example)
    return results


if __name__ == "__main__":
    main()

"""How long `teian search` takes over many published pages (a scan of normalized text).

    python -m benchmarks.search_speed [--pages N] [--editions K]

Publishes N synthetic pages (each ~1,500 characters of 提案要求-like prose, spread over K
sources) with the pipeline's own writer into a temporary data dir, then times the search
(DuckDB scan + snippets) for a word found on few pages and for two words found on many.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from flows.query import connect
from flows.search import search
from flows.store import open_data_dir, write_dataset

PHRASES = [
    "首都直下地震等に備えた防災対策の推進",
    "国の予算編成に対する東京都の提案要求",
    "地方財政の充実に向けた税財源の確保",
    "子育て支援の充実と保育人材の確保",
    "交通インフラの整備と維持管理",
    "（提案要求先　内閣府・総務省・国土交通省）",
    "＜現状・課題＞",
    "＜具体的要求内容＞",
]


def _page_text(rng: random.Random, rare: bool) -> str:
    lines = [rng.choice(PHRASES) * 2 for _ in range(24)]
    if rare:
        lines[rng.randrange(len(lines))] += "サイバーセキュリティ対策の強化"
    return "\n".join(lines)


def publish_pages(root: Path, pages: int, editions: int) -> None:
    rng = random.Random(7)
    data = open_data_dir(root)
    per = pages // editions
    for k in range(editions):
        source = f"edition-{k:03d}"
        rows = [
            {
                "source_id": source,
                "doc_id": f"{k:016x}",
                "page_number": n + 1,
                "page_label": str(n + 1),
                "text": _page_text(rng, rare=rng.random() < 0.01),
                "n_tables": 0,
            }
            for n in range(per)
        ]
        write_dataset(data, "pages", source, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40_000)
    parser.add_argument("--editions", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        publish_pages(Path(folder), args.pages, args.editions)
        print(f"published {args.pages} pages in {time.perf_counter() - started:.1f} s")
        con = connect(open_data_dir(folder))
        for words, limit in ((["サイバー"], None), (["防災", "内閣府"], None), (["防災"], 50)):
            started = time.perf_counter()
            _, rows, cut = search(con, words, limit=limit)
            seconds = time.perf_counter() - started
            shown = f"first {len(rows)} hits (more left out)" if cut else f"{len(rows)} hits"
            print(f"search {' '.join(words)}: {shown} in {seconds:.2f} s")


if __name__ == "__main__":
    main()

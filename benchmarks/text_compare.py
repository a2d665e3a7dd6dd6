"""Is pypdfium2's page text as good as pdfplumber's for our Japanese documents?

    python -m benchmarks.text_compare PATH... [--max-pages N]

PATH is a PDF or a folder searched recursively (the corpus is read in place, never copied). For
every page both texts are normalized with `transforms.normalize.text.normalize_text`; the report gives the
character-level similarity with all whitespace removed (what a search or a parser sees), the
same with character order ignored (same characters, different reading order), the share of
pages whose normalized lines are identical, and the time each library took. Where a
`<name>.txt.ref` reference text sits next to a PDF (pdfminer's test corpus), both are also
scored against it, which tells which library is right when they disagree (vertical writing).
"""

from __future__ import annotations

import argparse
import difflib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from transforms.normalize.text import normalize_text

_WS = re.compile(r"\s+")


def squeeze(text: str | None) -> str:
    """Normalized text without any whitespace: line breaks and spacing differ legitimately."""
    return _WS.sub("", normalize_text(text or "") or "")


def similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def order_free_similarity(a: str, b: str) -> float:
    """Share of characters in common regardless of order (multiset overlap)."""
    from collections import Counter

    if not a and not b:
        return 1.0
    common = sum((Counter(a) & Counter(b)).values())
    return 2 * common / (len(a) + len(b))


@dataclass
class FileScore:
    path: Path
    pages: int = 0
    identical_lines: int = 0
    sims: list[float] = field(default_factory=list)
    bag_sims: list[float] = field(default_factory=list)  # same characters, order ignored
    plumber_seconds: float = 0.0
    pdfium_seconds: float = 0.0
    ref_scores: tuple[float, float] | None = None  # (pdfplumber, pdfium) vs reference text


def pdfium_page_text(page) -> str:  # noqa: ANN001 - a pypdfium2 PdfPage
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded().replace("\r\n", "\n").replace("\r", "\n")
    finally:
        textpage.close()


def score_file(path: Path, max_pages: int | None) -> FileScore:
    import pdfplumber
    import pypdfium2 as pdfium

    score = FileScore(path)
    plumber_texts: list[str] = []
    started = time.perf_counter()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages[:max_pages]:
            plumber_texts.append(page.extract_text(layout=False) or "")
            page.close()
    score.plumber_seconds = time.perf_counter() - started
    pdfium_texts: list[str] = []
    started = time.perf_counter()
    document = pdfium.PdfDocument(str(path))
    try:
        for index in range(min(len(document), max_pages or len(document))):
            page = document[index]
            pdfium_texts.append(pdfium_page_text(page))
            page.close()
    finally:
        document.close()
    score.pdfium_seconds = time.perf_counter() - started
    for a, b in zip(plumber_texts, pdfium_texts, strict=True):
        score.pages += 1
        na, nb = normalize_text(a) or "", normalize_text(b) or ""
        if [line for line in na.splitlines() if line] == [line for line in nb.splitlines() if line]:
            score.identical_lines += 1
        score.sims.append(similarity(squeeze(a), squeeze(b)))
        score.bag_sims.append(order_free_similarity(squeeze(a), squeeze(b)))
    reference = path.with_name(path.stem + ".txt.ref")
    if reference.exists() and max_pages is None:
        ref = squeeze(reference.read_text(encoding="utf-8", errors="replace"))
        score.ref_scores = (
            similarity(squeeze("\n".join(plumber_texts)), ref),
            similarity(squeeze("\n".join(pdfium_texts)), ref),
        )
    return score


def find_pdfs(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.rglob("*.pdf")) if path.is_dir() else [path])
    return found


def main(argv: list[str] | None = None) -> list[FileScore]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--max-pages", type=int, default=None)
    args = parser.parse_args(argv)
    scores = []
    print(
        f"{'file':44} {'pages':>5} {'same lines':>10} {'sim mean':>8} {'sim min':>7} "
        f"{'any order':>9} {'plumber s':>9} {'pdfium s':>8}  vs reference (plumber / pdfium)"
    )
    for path in find_pdfs(args.paths):
        try:
            score = score_file(path, args.max_pages)
        except Exception as exc:  # noqa: BLE001 - one unreadable corpus file must not stop the report
            print(f"{path.name[:44]:44} error: {exc.__class__.__name__}: {exc}")
            continue
        scores.append(score)
        mean = sum(score.sims) / len(score.sims) if score.sims else 1.0
        ref = f"{score.ref_scores[0]:.3f} / {score.ref_scores[1]:.3f}" if score.ref_scores else ""
        print(
            f"{path.name[:44]:44} {score.pages:5d} {score.identical_lines / max(1, score.pages):10.0%} "
            f"{mean:8.4f} {min(score.sims, default=1.0):7.4f} "
            f"{sum(score.bag_sims) / max(1, len(score.bag_sims)):9.4f} {score.plumber_seconds:9.2f} "
            f"{score.pdfium_seconds:8.2f}  {ref}"
        )
    return scores


if __name__ == "__main__":
    main()

"""How well teian reads Japanese pages that are not plain horizontal text, measured in one run.

    python -m benchmarks.japanese_pages CORPUS [--no-ocr]

CORPUS is the shared corpus folder (read in place, never copied). Four parts:

1. Vertical writing on the corpus (`ja/pdfminer/kampo.pdf`, `jo.pdf`) against their reference
   texts, whitespace ignored: teian's text, pdfplumber's plain text, and pdfminer's own box order
   (LAParams(detect_vertical=True)). The references are pdfminer's output, in pdfminer's box
   order, so a second figure compares the lines regardless of their order (each text's lines
   sorted), which tells a wrong reading order from wrong lines.
2. Vertical and mixed pages generated with a vertical CID font, against their known text.
3. OCR (Tesseract, as the extraction worker runs it) of clean generated pages rendered at 300 dpi
   and saved as image-only PDFs: similarity, confidence, and the seconds OCR adds per page.
4. Suspicious glyphs over every Japanese PDF of the corpus: how many of the known wrong maps are
   caught (the Fuji R8 市税 section's 邴 for 都, the 議会費 section's 郸 for 酬), every flagged
   word with OCR's reading of its spot, and how many flags OCR does not confirm (OCR reads the
   same glyph there: a false alarm, or OCR agreeing with a rare glyph that is really printed).
"""

from __future__ import annotations

import argparse
import difflib
import re
import tempfile
import time
from pathlib import Path

_WS = re.compile(r"\s+")
KNOWN_WRONG_MAPS = {"歳入_01款_市税.pdf": ("邴", "都"), "歳出_01款_議会費.pdf": ("郸", "酬")}


def squeeze(text: str) -> str:
    return _WS.sub("", text or "")


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, squeeze(a), squeeze(b), autojunk=False).ratio()


def line_similarity(a: str, b: str) -> float:
    """Similarity of the two texts' lines, each text's lines sorted: the order of blocks aside."""

    def lines(text: str) -> str:
        return "".join(sorted(squeeze(line) for line in text.splitlines() if line.strip()))

    return difflib.SequenceMatcher(None, lines(a), lines(b), autojunk=False).ratio()


def vertical_corpus(corpus: Path) -> None:
    import pdfplumber
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams

    from transforms.extract.page import extract_page

    print("1. vertical writing, corpus (similarity to the reference / with lines sorted)")
    print(f"   {'file':10} {'teian':>15} {'pdfplumber':>15} {'pdfminer boxes':>15}")
    for name in ("kampo", "jo"):
        pdf = corpus / "ja" / "pdfminer" / f"{name}.pdf"
        ref = pdf.with_name(f"{name}.txt.ref").read_text(encoding="utf-8", errors="replace")
        with pdfplumber.open(pdf) as doc:
            ours = "\n".join(extract_page(page).text_raw for page in doc.pages)
            plain = "\n".join(page.extract_text() or "" for page in doc.pages)
        miner = extract_text(str(pdf), laparams=LAParams(detect_vertical=True))
        cells = [
            f"{similarity(t, ref):.3f} / {line_similarity(t, ref):.3f}"
            for t in (ours, plain, miner)
        ]
        print(f"   {name:10} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15}")


def vertical_generated(folder: Path) -> None:
    import pdfplumber

    from tests.fixtures import japanese_pages as jp
    from transforms.extract.page import extract_page

    print("2. vertical and mixed pages, generated (similarity to the text they print)")
    cases = {
        "vertical, one tier": lambda p: jp.write_vertical_page(p),
        "vertical, header": lambda p: jp.write_vertical_page(p, header=True),
        "vertical, two tiers": lambda p: jp.write_vertical_page(p, tiers=2),
        "two tiers + header": lambda p: jp.write_vertical_page(p, tiers=2, header=True),
        "horizontal + tab": jp.write_margin_tab_page,
    }
    for label, write in cases.items():
        path = folder / f"{squeeze(label)}.pdf"
        truth = write(path)
        with pdfplumber.open(path) as doc:
            text = extract_page(doc.pages[0]).text_raw
            plain = doc.pages[0].extract_text() or ""
        print(
            f"   {label:22} teian {similarity(text, truth.text):.3f}   pdfplumber {similarity(plain, truth.text):.3f}"
        )


def ocr_generated(folder: Path) -> None:
    from flows.extract import extract_batch
    from flows.ocr import tesseract_problem
    from tests.fixtures import japanese_pages as jp

    problem = tesseract_problem()
    if problem:
        print(f"3. OCR: skipped ({problem})")
        return
    print("3. OCR of clean generated pages at 300 dpi (image-only PDFs)")
    for label, write in (
        ("horizontal", jp.write_horizontal_page),
        ("vertical", jp.write_vertical_page),
    ):
        clean, scan = folder / f"{label}.pdf", folder / f"{label}-scan.pdf"
        truth = write(clean)
        jp.write_image_only(clean, scan, dpi=300)
        started = time.perf_counter()
        extract_batch(str(scan), 1, 1, folder / "work", ocr="off")
        without = time.perf_counter() - started
        started = time.perf_counter()
        [page] = extract_batch(str(scan), 1, 1, folder / "work", ocr="auto").pages
        cost = time.perf_counter() - started - without
        print(
            f"   {label:10} similarity {similarity(page.text_raw, truth.text):.3f}  "
            f"confidence {page.ocr_confidence}  OCR adds {cost:.1f} s/page  ({page.text_source})"
        )


def glyphs(corpus: Path, ocr: bool, folder: Path) -> None:
    from flows.extract import count_pages, extract_batch
    from transforms.assemble.document import assemble_document
    from transforms.records import DocumentInfo

    print(
        f"4. suspicious glyphs over the Japanese corpus ({'with' if ocr else 'without'} OCR of each spot)"
    )
    flagged = unconfirmed = 0
    for pdf in sorted((corpus / "ja").rglob("*.pdf")):
        batch = extract_batch(
            str(pdf), 1, count_pages(str(pdf)), folder / "work", ocr="auto" if ocr else "off"
        )
        doc = DocumentInfo(source_id=pdf.stem, doc_id="0" * 16, kind="generic")
        piece = assemble_document(doc, batch.pages)
        n_suspect = sum(row["n_suspect"] or 0 for row in piece.pages)
        words = [w for page in batch.pages for w in page.suspects]
        line = f"   {pdf.name[:28]:28} pages {len(batch.pages):3d}  n_suspect {n_suspect:3d}  words {len(words):3d}"
        if pdf.name in KNOWN_WRONG_MAPS:
            wrong, right = KNOWN_WRONG_MAPS[pdf.name]
            total = sum(page.text_raw.count(wrong) for page in batch.pages)
            caught = sum(w.word.count(wrong) for w in words)
            read = sum(1 for w in words if wrong in w.word and w.ocr and right in w.ocr)
            line += f"  known {wrong}→{right}: caught {caught}/{total}, OCR reads {right} at {read}"
        print(line)
        for w in words:
            flagged += 1
            unconfirmed += w.ocr is not None and w.ocr == w.word
            print(f"      {w.word} → {w.ocr if w.ocr is not None else '(no OCR)'}")
    if ocr:
        print(
            f"   flagged words {flagged}; OCR reads the same word as the text layer at {unconfirmed}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--no-ocr", action="store_true", help="skip OCR (parts 3 and 4's check)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        vertical_corpus(args.corpus)
        vertical_generated(folder)
        if not args.no_ocr:
            ocr_generated(folder)
        glyphs(args.corpus, not args.no_ocr, folder)


if __name__ == "__main__":
    main()

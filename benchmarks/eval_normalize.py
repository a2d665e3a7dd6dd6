"""Evaluate the normalization layer on the Japanese PDFs of the evaluation corpus.

    python -m benchmarks.eval_normalize /path/to/corpus

Reads CORPUS/ja/ (nothing is copied or written) and prints:

(a) radical and compatibility code points left in normalized text, per file (goal: zero);
(b) Fuji City R8 per-款 JSON amounts found by parse_amount in pdfplumber table cells;
(c) MHLW and Tokyo covid-report expected CSV text found in the normalized table text.

The expected files were made by other tools and have known flaws (MANIFEST.tsv says which), so
(c) reports an exact rate and a forgiving one: tabula strips the newlines inside cells without
leaving a space, and NFKC-normalizes ～ to an ASCII ~; no correct normalization reproduces either.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber

from transforms.normalize.amounts import parse_amount
from transforms.normalize.text import count_unreadable, normalize_text


@dataclass
class Extracted:
    """What pdfplumber gives for one PDF: raw page texts and raw table grids."""

    path: Path
    page_texts: list[str] = field(default_factory=list)
    tables: list[list[list[str | None]]] = field(default_factory=list)


def extract(path: Path, with_tables: bool) -> Extracted:
    result = Extracted(path)
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            result.page_texts.append(page.extract_text() or "")
            if with_tables:
                result.tables.extend(page.extract_tables())
            page.close()  # release the page's objects: memory stays flat
    return result


# --- (a) radicals -----------------------------------------------------------------------------


def _is_leftover(char: str) -> bool:
    """A radical code point, or a compatibility ideograph NFKC would still change."""
    cp = ord(char)
    if 0x2E80 <= cp <= 0x2EFF or 0x2F00 <= cp <= 0x2FDF:
        return True
    if 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F:
        return unicodedata.normalize("NFKC", char) != char
    return False


def report_radicals(docs: list[Extracted], corpus: Path) -> int:
    print("(a) radical / compatibility code points (raw → left after normalize_text)")
    total_left = 0
    for doc in docs:
        raw_texts = list(doc.page_texts)
        raw_texts += [cell for table in doc.tables for row in table for cell in row if cell]
        raw = Counter(c for text in raw_texts for c in text if _is_leftover(c))
        left = Counter(
            c for text in raw_texts for c in (normalize_text(text) or "") if _is_leftover(c)
        )
        unreadable = sum(count_unreadable(text) for text in doc.page_texts)
        total_left += sum(left.values())
        shown = " ".join(f"{c}×{n}" for c, n in raw.most_common(8))
        print(
            f"  {doc.path.relative_to(corpus)}: raw {sum(raw.values())} [{shown}] → "
            f"left {sum(left.values())} {dict(left) or ''}; unreadable glyphs {unreadable}"
        )
    print(f"  total left: {total_left}")
    return total_left


# --- (b) Fuji City amounts --------------------------------------------------------------------


def _expected_amounts(node: object, path: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    """(path, amount in 千円) for every integer in a per-款 JSON file (formulas are strings)."""
    found: list[tuple[str, int]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                found.append((" > ".join((*path, key)), value))
            else:
                found.extend(_expected_amounts(value, (*path, key)))
    elif isinstance(node, list):
        for item in node:
            found.extend(_expected_amounts(item, path))
    return found


def _cell_amounts(cell: str) -> tuple[list[int], list[str]]:
    """Amounts (in 千円) in one cell, and the numeric-looking pieces that did not parse.

    Budget cells often hold a label and a figure per line (均等割 399,000), so a cell that is not
    one figure is read line by line, taking the last space-separated token of a labelled line.
    """
    values: list[int] = []
    failed: list[str] = []

    def take(text: str) -> bool:
        amount = parse_amount(text, "千円")
        if amount.value_yen is not None and amount.unit in ("千円", "円", "百万円", "億円"):
            values.append(amount.value_yen // 1000 if amount.value_yen % 1000 == 0 else -1)
            return True
        return False

    if take(cell):
        return values, failed
    for line in (normalize_text(cell) or "").split("\n"):
        if not line or take(line):
            continue
        last = line.rsplit(" ", 1)[-1]
        if last != line and take(last):
            continue
        if re.search(r"\d{1,3},\d{3}", line) and "×" not in line:
            failed.append(line)
    return values, failed


def report_fuji(corpus: Path, docs: dict[Path, Extracted]) -> tuple[int, int]:
    print("(b) Fuji City R8 per-款 JSON amounts vs parse_amount over pdfplumber table cells")
    matched_all = total_all = 0
    for json_path in sorted((corpus / "ja/fuji-budget/R8").glob("*.json")):
        doc = docs.get(json_path.with_suffix(".pdf"))
        if doc is None:
            print(f"  {json_path.name}: no matching PDF")
            continue
        expected = _expected_amounts(json.loads(json_path.read_text(encoding="utf-8")))
        found: Counter[int] = Counter()
        unparsed: list[str] = []
        for table in doc.tables:
            for row in table:
                for cell in row:
                    if cell:
                        values, failed = _cell_amounts(cell)
                        found.update(values)
                        unparsed.extend(failed)
        page_text = "\n".join(normalize_text(t) or "" for t in doc.page_texts)
        matched = 0
        misses: list[str] = []
        for where, value in expected:
            if found[value] > 0:
                found[value] -= 1
                matched += 1
                continue
            printed = f"{abs(value):,}"
            if re.search(rf"(?<![\d,]){re.escape(printed)}(?![\d,])", page_text):
                reason = "in the page text but in no table cell pdfplumber found"
            elif found[-value] > 0:
                reason = "found with the opposite sign"
            else:
                elsewhere = [
                    path.name
                    for path, other in docs.items()
                    if other is not doc
                    and "fuji-budget" in path.parts
                    and any(printed in (normalize_text(t) or "") for t in other.page_texts)
                ]
                reason = (
                    f"not printed in this PDF (printed in {', '.join(elsewhere)})"
                    if elsewhere
                    else "not in the extracted text at all"
                )
            misses.append(f"    {where} = {value:,}: {reason}")
        matched_all += matched
        total_all += len(expected)
        print(f"  {json_path.name}: matched {matched}/{len(expected)}")
        for line in misses:
            print(line)
        if unparsed:
            print(f"    figure-like cell lines parse_amount left null: {len(unparsed)}, e.g.")
            for line in unparsed[:5]:
                print(f"      {line!r}")
    print(f"  total matched {matched_all}/{total_all}")
    return matched_all, total_all


# --- (c) CSV text ---------------------------------------------------------------------------


def _manifest(corpus: Path) -> dict[str, str]:
    """PDF path → first expected-output path, from MANIFEST.tsv."""
    mapping: dict[str, str] = {}
    with open(corpus / "MANIFEST.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            truth = (row.get("ground_truth_path") or "").split(" ")[0]
            if truth:
                mapping[row["local_path"]] = truth
    return mapping


def _norm(text: str | None) -> str:
    return normalize_text(text or "", join_lines=True) or ""


def _squash(text: str) -> str:
    """Comparison key that forgives the expected files' known flaws: tabula strips the newlines
    in a cell without a space, and its NFKC turns the range marker ～ into an ASCII ~ (we keep a
    range marker: 〜)."""
    return re.sub(r"\s+", "", text).replace("~", "〜")


def _is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    """Every expected cell in order in the PDF row: an expected file may have dropped a column."""
    it = iter(haystack)
    return all(any(cell == other for other in it) for cell in needle)


def report_mhlw(corpus: Path, docs: dict[Path, Extracted], truth: dict[str, str]) -> None:
    print("(c) MHLW CSV cells vs normalized pdfplumber table cells (both sides normalized)")
    for pdf_path in sorted((corpus / "ja/mhlw-kinkyu-hinin").glob("*.pdf")):
        expected_path = truth.get(str(pdf_path.relative_to(corpus)))
        doc = docs.get(pdf_path)
        if not expected_path or doc is None:
            continue
        with open(corpus / expected_path, encoding="utf-8-sig", newline="") as fh:
            rows = [row for row in csv.reader(fh) if any(row)]
        pdf_rows = [[_norm(c) for c in row] for table in doc.tables for row in table]
        exact = Counter(c for row in pdf_rows for c in row if c)
        loose = Counter(_squash(c) for row in pdf_rows for c in row if c)
        by_first: dict[str, list[list[str]]] = {}
        for row in pdf_rows:
            keys = [_squash(c) for c in row if c]
            if keys:
                by_first.setdefault(keys[0], []).append(keys)
        cells = [_norm(c) for row in rows for c in row if _norm(c)]
        n_exact = sum(1 for c in cells if exact[c] > 0)
        n_loose = sum(1 for c in cells if loose[_squash(c)] > 0)
        tilde = Counter(c.replace("~", "〜") for c in exact.elements())
        n_tilde = sum(1 for c in cells if tilde[c.replace("~", "〜")] > 0)
        n_rows = 0
        for row in rows:
            keys = [_squash(_norm(c)) for c in row if _norm(c)]
            if keys and any(_is_subsequence(keys, cand) for cand in by_first.get(keys[0], [])):
                n_rows += 1
        widths = Counter(len(row) for table in doc.tables for row in table)
        print(
            f"  {pdf_path.name} vs {Path(expected_path).name}: cells exact {n_exact}/{len(cells)}"
            f" ({n_exact / max(len(cells), 1):.1%}), ~ read as 〜 {n_tilde}/{len(cells)}"
            f" ({n_tilde / max(len(cells), 1):.1%}), also ignoring whitespace {n_loose}/{len(cells)}"
            f" ({n_loose / max(len(cells), 1):.1%}); whole rows {n_rows}/{len(rows)}"
            f" (CSV has {max(len(r) for r in rows)} columns, the PDF table"
            f" {widths.most_common(1)[0][0] if widths else 0})"
        )
        misses = [c for c in cells if loose[_squash(c)] == 0]
        for cell in misses[:5]:
            print(f"    not found: {cell!r}")


def report_covid(corpus: Path, docs: dict[Path, Extracted], truth: dict[str, str]) -> None:
    print("(c) Tokyo covid report ward,count CSV vs vertically paired normalized table cells")
    for pdf_path in sorted((corpus / "ja/tokyo-covid-report").glob("*.pdf")):
        expected_path = truth.get(str(pdf_path.relative_to(corpus)))
        doc = docs.get(pdf_path)
        if not expected_path or doc is None:
            continue
        with open(corpus / expected_path, encoding="utf-8-sig", newline="") as fh:
            pairs = [(_norm(r[0]), _norm(r[1])) for r in csv.reader(fh) if len(r) >= 2]
        found: set[tuple[str, str]] = set()
        for table in doc.tables:
            grid = [[_norm(c) for c in row] for row in table]
            for r in range(len(grid) - 1):
                for c, name in enumerate(grid[r]):
                    if name and c < len(grid[r + 1]):
                        found.add((name, grid[r + 1][c]))
        hits = [pair for pair in pairs if pair in found]
        print(
            f"  {pdf_path.name}: pairs {len(hits)}/{len(pairs)} ({len(hits) / max(len(pairs), 1):.1%})"
        )
        for pair in [p for p in pairs if p not in found][:5]:
            print(f"    not found: {pair}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="corpus directory (holds MANIFEST.tsv and ja/)")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    pdfs = sorted((corpus / "ja").rglob("*.pdf"))
    if not pdfs:
        print(f"no PDFs under {corpus / 'ja'}", file=sys.stderr)
        return 2
    docs: dict[Path, Extracted] = {}
    for path in pdfs:
        with_tables = "pdfminer" not in path.parts
        docs[path] = extract(path, with_tables)
    truth = _manifest(corpus)
    report_radicals(list(docs.values()), corpus)
    report_fuji(corpus, docs)
    report_mhlw(corpus, docs, truth)
    report_covid(corpus, docs, truth)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

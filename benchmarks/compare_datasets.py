"""Published datasets of two code versions, compared row by row.

    python -m benchmarks.compare_datasets snapshot OUT [--pdfs DIR] [--corpus PATH]
    python -m benchmarks.compare_datasets diff A B

`snapshot` runs `teian run` (the whole command, as a user would) over three catalogs — the
bundled sample, the generated fixtures (提案要求 variants, table fixtures, a 予算書-like book) and,
when given, every PDF of the corpus — and writes each dataset as canonical JSON lines: rows
sorted, columns that change from run to run (fetch times, pipeline version, local paths)
dropped. The fixture PDFs are written once into `--pdfs` and reused, so two snapshots read the
same bytes. `diff` prints, per dataset and source, the rows only one side has.

Refactoring must leave `diff` empty; an intended change shows up here and is named in its note.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Columns that differ between two runs of the same code on the same bytes.
VOLATILE = {"retrieved_at", "fetched_from", "pipeline_version", "url"}


def _fixture_pdfs(folder: Path) -> list[tuple[str, str, Path]]:
    """(source id, kind, path) of every generated fixture, written if missing."""
    from tests.fixtures import tables_pdf
    from tests.fixtures.bigdocs import write_budget_book, write_teian_edition
    from tests.fixtures.budget_table import write_budget_table_pdf
    from tests.fixtures.teian_doc import VARIANTS, variant_document, write_teian_pdf

    folder.mkdir(parents=True, exist_ok=True)
    out: list[tuple[str, str, Path]] = []
    for name in VARIANTS:
        path = folder / f"teian-{name}.pdf"
        if not path.exists():
            write_teian_pdf(path, variant_document(name))
        out.append((f"fx-teian-{name}", "teian", path))
    for name in (
        "header_spans",
        "continued",
        "stacked_and_wrapped",
        "side_by_side",
        "unruled",
        "prose",
    ):
        path = folder / f"tables-{name}.pdf"
        if not path.exists():
            getattr(tables_pdf, f"write_{name}")(path)
        out.append((f"fx-tables-{name.replace('_', '-')}", "generic", path))
    path = folder / "budget-sample-ipaex.pdf"
    if not path.exists():
        write_budget_table_pdf(path, font_style="ipaex")
    out.append(("fx-budget-ipaex", "generic", path))
    for key, writer, pages in (
        ("teian", write_teian_edition, 60),
        ("budget", write_budget_book, 40),
    ):
        path = folder / f"big-{key}-{pages}.pdf"
        if not path.exists():
            writer(path, pages)
        out.append((f"fx-big-{key}", "teian" if key == "teian" else "generic", path))
    return out


def _corpus_pdfs(corpus: Path) -> list[tuple[str, str, Path]]:
    out = []
    for path in sorted(corpus.rglob("*.pdf")):
        rel = path.relative_to(corpus).with_suffix("")
        slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in str(rel).lower())
        slug = "-".join(filter(None, slug.split("-")))
        digest = __import__("hashlib").sha1(str(rel).encode()).hexdigest()[:6]
        out.append((f"corpus-{slug[:40]}-{digest}", "generic", path))
    return out


def _write_catalog(path: Path, entries: list[tuple[str, str, Path]]) -> None:
    lines = []
    for source_id, kind, pdf in entries:
        lines += [
            "[[source]]",
            f'id = "{source_id}"',
            f'title = "{source_id}"',
            f'kind = "{kind}"',
            f"url = {json.dumps(str(pdf.resolve()))}",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def _run(catalog: Path, data_dir: Path) -> None:
    teian = Path(sys.executable).with_name("teian")
    command = [str(teian), "run", "--catalog", str(catalog), "--data-dir", str(data_dir)]
    completed = subprocess.run(command, capture_output=True, text=True)
    print(f"  {catalog.name}: exit {completed.returncode}", file=sys.stderr)
    if completed.returncode not in (0, 1):
        sys.stderr.write(completed.stdout[-3000:] + completed.stderr[-3000:])
        raise SystemExit(f"teian run failed on {catalog}")


def _canonical(value):  # noqa: ANN001, ANN202 - any Parquet value
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _dump(data_dir: Path, out: Path) -> None:
    import pyarrow.parquet as pq

    processed = data_dir / "processed"
    for folder in sorted(p for p in processed.iterdir() if p.is_dir()):
        for file in sorted(folder.glob("*.parquet")):
            table = pq.read_table(file)
            rows = [
                json.dumps(
                    {k: _canonical(v) for k, v in row.items() if k not in VOLATILE},
                    ensure_ascii=False,
                    sort_keys=True,
                )
                for row in table.to_pylist()
            ]
            target = out / folder.name / f"{file.stem}.jsonl"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("\n".join(sorted(rows)) + "\n", encoding="utf-8")


def snapshot(out: Path, pdfs: Path, corpus: Path | None) -> None:
    work = out / "run"
    shutil.rmtree(out, ignore_errors=True)
    work.mkdir(parents=True)
    catalogs = [("fixtures", _fixture_pdfs(pdfs))]
    if corpus is not None:
        catalogs.append(("corpus", _corpus_pdfs(corpus)))
    data_dir = work / "data"
    _run(ROOT / "data" / "samples" / "catalog.toml", data_dir)
    for name, entries in catalogs:
        catalog = work / f"{name}.toml"
        _write_catalog(catalog, entries)
        _run(catalog, data_dir)
    _dump(data_dir, out / "datasets")
    shutil.rmtree(work / "data" / "raw", ignore_errors=True)
    print(f"snapshot in {out / 'datasets'}", file=sys.stderr)


def _rows(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


def _common_columns(left: list[str], right: list[str]) -> tuple[list[str], list[str], set[str]]:
    """Rows of both sides on the columns both have, and the columns only the second side has
    (a column added by the newer code is reported, not counted as a difference per row)."""
    if not left or not right:
        return left, right, set()
    keys_left, keys_right = set(json.loads(left[0])), set(json.loads(right[0]))
    common = keys_left & keys_right
    if common == keys_left == keys_right:
        return left, right, set()

    def keep(rows: list[str]) -> list[str]:
        return sorted(
            json.dumps(
                {k: v for k, v in json.loads(r).items() if k in common},
                ensure_ascii=False,
                sort_keys=True,
            )
            for r in rows
        )

    return keep(left), keep(right), keys_right - keys_left


def diff(a: Path, b: Path, show: int = 3) -> int:
    """Print the differences; returns the number of differing rows."""
    a, b = a / "datasets", b / "datasets"
    files = sorted(
        {p.relative_to(a) for p in a.rglob("*.jsonl")}
        | {p.relative_to(b) for p in b.rglob("*.jsonl")}
    )
    total = 0
    per_dataset: dict[str, int] = defaultdict(int)
    added: dict[str, set[str]] = defaultdict(set)
    for rel in files:
        left, right = _rows(a / rel), _rows(b / rel)
        left, right, new = _common_columns(left, right)
        added[rel.parts[0]] |= new
        only_left = sorted(set(left) - set(right))
        only_right = sorted(set(right) - set(left))
        if not only_left and not only_right and len(left) == len(right):
            continue
        n = max(len(only_left), len(only_right)) or abs(len(left) - len(right))
        total += n
        per_dataset[rel.parts[0]] += n
        print(
            f"{rel}: {len(left)} vs {len(right)} rows, {len(only_left)} only before, {len(only_right)} only after"
        )
        for row in only_left[:show]:
            print(f"  - {row[:400]}")
        for row in only_right[:show]:
            print(f"  + {row[:400]}")
    for dataset, columns in sorted(added.items()):
        if columns:
            print(f"{dataset}: columns only after (not compared): {', '.join(sorted(columns))}")
    n_files = len(files)
    print(
        f"{n_files} dataset files compared; {total} differing rows"
        + (f" ({dict(per_dataset)})" if total else "")
    )
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("out", type=Path)
    snap.add_argument("--pdfs", type=Path, default=Path("/tmp/teian-compare-pdfs"))
    snap.add_argument("--corpus", type=Path)
    d = sub.add_parser("diff")
    d.add_argument("a", type=Path)
    d.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.command == "snapshot":
        snapshot(args.out, args.pdfs, args.corpus)
    else:
        raise SystemExit(1 if diff(args.a, args.b) else 0)


if __name__ == "__main__":
    main()

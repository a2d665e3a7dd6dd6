"""Writing the report: the published datasets and raw PDFs of a data dir in, a folder of files out.

    <out>/index.html                          every source: status, warnings, counts
    <out>/<source_id>/index.html              one document: items, tables, pages with overlays
    <out>/<source_id>/tables/<table_id>.html  one table: its cells as published, beside its pages
    <out>/<source_id>/pages/<doc_id>-pNNNN-sSSS.png   page images (only those the report shows)

`report.model` and `report.html` touch no files: this module reads the data dir, through
`flows.store` so that a URL data dir works as a local one, and writes the folder, with
`report.render` writing the page images into it. Every file of the folder is written beside its
target and renamed in, so a browser tab left open on the report never shows half a page. A
300-item, 314-page edition with every page shown is about 10 MB, written in about 6 s.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flows.store import DataDir, OutsideDataDir, StorageError, open_data_dir, read_dataset
from report.errors import ReportError
from report.html import render_document_page, render_index, render_table_page
from report.model import (
    DocumentReport,
    DocumentSummary,
    PageView,
    build_document_report,
    safe_name,
    summarize_document,
)
from report.render import DEFAULT_SCALE, draw_overlays, render_page, render_pages


@dataclass
class ReportResult:
    """What `teian report` prints after a run: how much was written and what could not be."""

    out_dir: Path
    index: Path
    documents: int = 0
    pages_rendered: int = 0
    pages_reused: int = 0
    bytes_written: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


@dataclass
class InspectResult:
    """One page for `teian inspect`: the whole document's model, as the terminal lists its tables."""

    doc: DocumentReport
    page: PageView
    png: Path | None
    problems: list[str]


# --------------------------------------------------------------------------- reading


def published_sources(data: DataDir) -> list[str]:
    """Source ids with a `documents` history, in a stable order."""
    return [p.stem for p in data.list_files(data.processed / "documents", ".parquet")]


def _rows(data: DataDir, dataset: str, source_id: str) -> list[dict]:
    table = read_dataset(data, dataset, source_id)
    return table.to_pylist() if table is not None else []


def load_document(data: DataDir, source_id: str, render: str = "marked") -> DocumentReport:
    """Read one source's published rows and build what its report pages show."""
    history = _rows(data, "documents", source_id)
    if not history:
        raise ReportError(f"{source_id}: no published data in {data.display(data.processed)}")
    cells = _rows(data, "cells", source_id)
    summary = summarize_document(source_id, history)
    cells = [c for c in cells if c.get("doc_id") == summary.doc_id]
    summary.n_cells = len(cells)
    return build_document_report(
        summary,
        pages=_rows(data, "pages", source_id),
        tables=_rows(data, "tables", source_id),
        cells=cells,
        requests=_rows(data, "requests", source_id),
        render=render,
    )


def _index_line(data: DataDir, source_id: str) -> DocumentSummary:
    """A source left out by --only keeps its line in the index, so the index stays complete."""
    summary = summarize_document(source_id, _rows(data, "documents", source_id))
    summary.n_cells = sum(
        1 for c in _rows(data, "cells", source_id) if c.get("doc_id") == summary.doc_id
    )
    return summary


def raw_pdf(data: DataDir, summary: DocumentSummary) -> Path | None:
    """The published version's PDF as a local file, or None: a report without it is still useful."""
    if not summary.sha256:
        return None
    path = data.raw_pdf(summary.source_id, summary.sha256)
    return data.ensure_local(path) if data.exists(path) else None


# --------------------------------------------------------------------------- writing


def _write_text(path: Path, text: str) -> int:
    """Write beside and rename: an open browser tab never sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    data = text.encode("utf-8")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return len(data)


def _relative(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target.resolve(), start.resolve())).as_posix()


def write_document(
    data: DataDir, doc: DocumentReport, folder: Path, scale: float, result: ReportResult
) -> None:
    """One document's page, its table pages and the page images they show."""
    s = doc.summary
    folder.mkdir(parents=True, exist_ok=True)
    pdf = raw_pdf(data, s)
    problems: list[str] = []
    images: dict[int, str] = {}
    wanted = doc.pages_to_render()
    if pdf is None and s.published:
        problems.append(
            f"raw PDF {data.raw_pdf(s.source_id, s.sha256 or '?')} not found: pages are shown as text only"
        )
    elif pdf is not None and wanted:
        try:
            images, rendered, reused = render_pages(
                pdf, wanted, folder / "pages", s.doc_id or "doc", scale, problems
            )
            result.pages_rendered += rendered
            result.pages_reused += reused
        except Exception as exc:  # an encrypted or damaged PDF still gets its report, as text
            problems.append(f"page images not rendered: {type(exc).__name__}: {exc}")
    raw_rel = _relative(pdf, folder) if pdf else None
    result.bytes_written += _write_text(
        folder / "index.html", render_document_page(doc, images, scale, raw_rel, problems)
    )
    tables_dir = folder / "tables"
    if tables_dir.exists():
        shutil.rmtree(tables_dir)  # tables of an older version must not linger
    table_raw = f"../{raw_rel}" if raw_rel else None
    for table in doc.tables:
        page_html = render_table_page(doc, table, images, scale, table_raw)
        result.bytes_written += _write_text(folder / table.href, page_html)
    result.problems.extend(f"{s.source_id}: {p}" for p in problems)


def _open(data_dir: str | Path) -> DataDir:
    """The data dir to report on; a URL is read through its local cache (flows.store)."""
    try:
        return open_data_dir(data_dir)
    except StorageError as exc:
        raise ReportError(str(exc)) from None


def _default_out(data: DataDir) -> Path:
    """<data dir>/report, once it is sure that a link there does not lead elsewhere."""
    try:
        return data.checked(data.root / "report")
    except OutsideDataDir as exc:
        raise ReportError(f"{exc}; give --out to write the report elsewhere") from None


def build_report(
    data_dir: str | Path,
    out_dir: Path | None = None,
    only: list[str] | None = None,
    scale: float = DEFAULT_SCALE,
    render: str = "marked",
) -> ReportResult:
    """Write the whole report (or only some sources' pages, keeping the index complete)."""
    started = time.perf_counter()
    data = _open(data_dir)
    out = Path(out_dir) if out_dir is not None else _default_out(data)
    known = published_sources(data)
    if not known:
        raise ReportError(
            f"no published datasets under {data.display(data.processed)}: run `teian run` first"
        )
    unknown = [o for o in only or [] if o not in known]
    if unknown:
        raise ReportError(
            f"--only {', '.join(unknown)}: no published data in {data.display(data.processed)}"
        )
    result = ReportResult(out_dir=out, index=out / "index.html")
    summaries: list[DocumentSummary] = []
    for source_id in known:
        if only and source_id not in only:
            summaries.append(_index_line(data, source_id))
            continue
        doc = load_document(data, source_id, render=render)
        summaries.append(doc.summary)
        if doc.summary.published:
            write_document(data, doc, out / safe_name(source_id), scale, result)
            result.documents += 1
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result.bytes_written += _write_text(
        result.index, render_index(summaries, generated, result.problems)
    )
    result.bytes_written += sum(p.stat().st_size for p in out.glob("*/pages/*.png"))
    result.seconds = time.perf_counter() - started
    return result


def inspect_page(
    data_dir: str | Path, source_id: str, page_number: int, png: Path | None, scale: float = 2.0
) -> InspectResult:
    """One page: its report model and, when the raw PDF is there, its overlay image written to `png`."""
    data = _open(data_dir)
    if source_id not in published_sources(data):
        raise ReportError(f"{source_id}: no published data in {data.display(data.processed)}")
    doc = load_document(data, source_id, render="all")
    page = next((p for p in doc.pages if p.page_number == page_number), None)
    if page is None:
        raise ReportError(f"{source_id}: page {page_number} out of range 1–{len(doc.pages)}")
    problems: list[str] = []
    written = None
    pdf = raw_pdf(data, doc.summary)
    if png is not None:
        if pdf is None:
            problems.append(f"raw PDF of {source_id} not found: no image written")
        else:
            try:
                image = draw_overlays(render_page(pdf, page_number, scale), page, scale)
            except ReportError as exc:
                problems.append(f"{source_id}: {exc}")
                return InspectResult(doc=doc, page=page, png=None, problems=problems)
            png.parent.mkdir(parents=True, exist_ok=True)
            image.save(png, "PNG", optimize=True)
            written = png
    return InspectResult(doc=doc, page=page, png=written, problems=problems)

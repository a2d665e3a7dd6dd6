"""The report's HTML: the index, a document's page and a table's page, with their inline CSS.

The pages must open from a zipped folder on any machine: relative links, inline CSS, no scripts,
no network. Everything that comes from a PDF or a catalog is escaped (`esc`). A page image's
tables are drawn over it as SVG in PDF points, so the boxes stay on the tables at any zoom and
each box links to its table's page.
"""

from __future__ import annotations

from html import escape

from report.model import (
    Box,
    CellView,
    DocumentReport,
    DocumentSummary,
    Overlay,
    PageView,
    TableView,
    place_label,
)

CSS = """
:root { --table: rgb(214,39,40); --cell: rgb(31,119,180); --muted: #666; --line: #ddd; }
* { box-sizing: border-box; }
body { font-family: "IPAexGothic", "IPAGothic", "Noto Sans CJK JP", "Noto Sans JP",
       "Hiragino Kaku Gothic ProN", "Yu Gothic", Meiryo, sans-serif;
       margin: 0 auto; padding: 1rem 1.5rem 4rem; max-width: 1400px; line-height: 1.5;
       color: #222; background: #fafafa; }
h1 { font-size: 1.4rem; margin: .2rem 0 .6rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; border-bottom: 2px solid #333; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
a { color: #0b57d0; }
nav { font-size: .9rem; margin-bottom: .5rem; }
table.data { border-collapse: collapse; background: #fff; font-size: .9rem; margin: .4rem 0 1rem; }
table.data th, table.data td { border: 1px solid var(--line); padding: .2rem .45rem; vertical-align: top; }
table.data th { background: #f0f3f7; text-align: left; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.empty { background: #f6f6f6; }
td.missing { background: #fde8e8; }
tr.continued td { border-top: 2px dashed var(--table); }
.muted { color: var(--muted); font-size: .85rem; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: .7rem; font-size: .8rem; font-weight: 600; color: #fff; }
.badge.ok { background: #2e7d32; } .badge.partial { background: #ef6c00; } .badge.failed { background: #c62828; }
.warn { background: #fff4e5; border-left: 4px solid #ef6c00; padding: .4rem .8rem; margin: .4rem 0; }
.fail { background: #fdecea; border-left: 4px solid #c62828; padding: .4rem .8rem; margin: .4rem 0; }
.warn li, .fail li { overflow-wrap: anywhere; }
.tag { display: inline-block; background: #e8eef9; border-radius: .3rem; padding: 0 .35rem; margin: 0 .15rem .15rem 0; font-size: .8rem; }
.page { display: flex; gap: 1.5rem; align-items: flex-start; flex-wrap: wrap; margin: 1rem 0 2rem; }
.sheet { position: relative; border: 1px solid #bbb; background: #fff; box-shadow: 0 1px 4px rgba(0,0,0,.15); flex: none; max-width: 100%; }
.sheet img { display: block; width: 100%; height: auto; }
.sheet svg { position: absolute; inset: 0; width: 100%; height: 100%; }
svg rect, svg path { vector-effect: non-scaling-stroke; }
svg path.cells { fill: none; stroke: var(--cell); stroke-width: 1; }
svg path.hcells { fill: rgba(31,119,180,.15); stroke: var(--cell); stroke-width: 1; }
svg rect.box { fill: rgba(214,39,40,.04); stroke: var(--table); stroke-width: 2.5; }
svg rect.cont { stroke-dasharray: 8 4; }
svg a:hover rect.box { fill: rgba(214,39,40,.15); }
svg .dim rect { opacity: .35; }
svg text { font: bold 11px sans-serif; fill: #fff; }
svg rect.label { fill: var(--table); }
.pageinfo { flex: 1 1 320px; min-width: 280px; }
.pageinfo pre, details pre { white-space: pre-wrap; font-family: inherit; font-size: .85rem; background: #fff; border: 1px solid var(--line); padding: .5rem; max-height: 24rem; overflow: auto; }
.grid { overflow-x: auto; }
.cellsview { flex: 1 1 480px; min-width: 0; }
.pagesview { flex: 0 1 auto; max-width: 100%; }
details.long summary { cursor: pointer; }
details.long[open] summary { display: none; }
.name { display: inline-block; white-space: nowrap; border: 1px solid #c9d3e3; border-radius: .3rem; padding: 0 .3rem; margin: 0 .2rem .2rem 0; font-size: .85rem; background: #fff; }
.counts span { margin-right: 1.2rem; }
"""


def esc(value: object) -> str:
    """Every text that comes from a PDF or a catalog goes through here."""
    return escape("" if value is None else str(value), quote=True)


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _long(text: str | None, limit: int = 240) -> str:
    """A text that can be huge (a mis-parsed title swallowing pages): its start, the rest on click."""
    if text is None or len(text) <= limit:
        return esc(text)
    return f'<details class="long"><summary>{esc(text[:limit])}… ({len(text)} characters)</summary>{esc(text)}</details>'


def _chips(values: list[str]) -> str:
    """List values one chip each: joined with 「・」 a name split in two would look whole."""
    return "".join(f'<span class="name">{esc(v)}</span>' for v in values)


def _badge(status: str) -> str:
    return f'<span class="badge {esc(status)}">{esc(status)}</span>'


def _num(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"


def _pdf_link(raw_rel: str | None, page: int | None, text: str) -> str:
    if raw_rel is None or page is None:
        return esc(text)
    return f'<a href="{esc(raw_rel)}#page={page}">{esc(text)}</a>'


# --------------------------------------------------------------------------- overlays (SVG)


def _sheet(
    page: PageView,
    image_src: str | None,
    scale: float,
    href_prefix: str = "",
    highlight: str | None = None,
) -> str:
    """A page image with its tables' boxes and cell grids drawn over it as SVG (in points)."""
    if image_src is None:
        return ""
    width_px = round(page.width * scale)
    parts = [
        f'<div class="sheet" style="width:{width_px}px;aspect-ratio:{page.width:.2f}/{page.height:.2f}">',
        f'<img src="{esc(image_src)}" loading="lazy" alt="page {page.page_number}" width="{width_px}" height="{round(page.height * scale)}">',
        f'<svg viewBox="0 0 {page.width:.2f} {page.height:.2f}" preserveAspectRatio="none" role="img" aria-label="tables on page {page.page_number}">',
    ]
    taken: list[tuple[float, float, float, float]] = []
    for overlay in page.overlays:
        parts.append(
            _svg_overlay(
                overlay, href_prefix, highlight is not None and overlay.table_id != highlight, taken
            )
        )
    parts.append("</svg></div>")
    return "".join(parts)


def _rect(box: Box, cls: str) -> str:
    return f'<rect class="{cls}" x="{box.x0:.1f}" y="{box.top:.1f}" width="{box.width:.1f}" height="{box.height:.1f}"/>'


def _cells_path(boxes: list[Box], cls: str) -> str:
    """All cell boxes of a table on a page as one SVG path: a fifth of the bytes of a rect each,
    which keeps the page of a document with thousands of cells small."""
    if not boxes:
        return ""
    d = "".join(
        f"M{b.x0:.1f} {b.top:.1f}h{b.width:.1f}v{b.height:.1f}h{-b.width:.1f}Z" for b in boxes
    )
    return f'<path class="{cls}" d="{d}"/>'


def _svg_overlay(
    overlay: Overlay, href_prefix: str, dim: bool, taken: list[tuple[float, float, float, float]]
) -> str:
    label = overlay.label  # short, so it fits in the margin; a continuation has a dashed box
    label_w = 6.5 * len(label) + 6
    label_x, label_y = place_label(overlay.box.x0, overlay.box.top, label_w, 13, taken)
    cells = _cells_path(overlay.header_cells, "hcells") + _cells_path(overlay.cells, "cells")
    return (
        f'<g class="{"dim" if dim else "on"}" data-table="{esc(overlay.table_id)}">{cells}'
        f'<a href="{esc(href_prefix + overlay.href)}"><title>{esc(label)}: {esc(overlay.table_id)}'
        f"{' (continued from an earlier page)' if overlay.continued else ''}</title>"
        f"{_rect(overlay.box, 'box cont' if overlay.continued else 'box')}"
        f'<rect class="label" x="{label_x:.1f}" y="{label_y:.1f}" width="{label_w}" height="13"/>'
        f'<text x="{label_x + 3:.1f}" y="{label_y + 10.5:.1f}">{esc(label)}</text></a></g>'
    )


# --------------------------------------------------------------------------- pages


def render_index(summaries: list[DocumentSummary], generated: str, problems: list[str]) -> str:
    """The first page a reader opens: every source, healthy or not, so a failure is seen first."""
    rows = []
    for s in summaries:
        warnings = ""
        if s.last_failure:
            warnings += f'<div class="fail">last attempt failed: {esc(s.last_failure)}</div>'
        if s.warnings:
            first = s.warnings[0]
            more = f" (+{len(s.warnings) - 1} more)" if len(s.warnings) > 1 else ""
            warnings += f'<div class="warn">{esc(first[:300])}{"…" if len(first) > 300 else ""}{esc(more)}</div>'
        name = (
            f'<a href="{esc(s.href)}">{esc(s.source_id)}</a>' if s.published else esc(s.source_id)
        )
        rows.append(
            "<tr>"
            f"<td>{name}</td><td>{esc(s.title)}</td><td>{esc(s.publisher)}</td><td>{esc(s.kind)}</td>"
            f"<td>{esc(s.fiscal_year)}</td><td>{esc(s.edition)}</td><td>{_badge(s.status)}</td>"
            f'<td class="num">{s.page_count}</td><td class="num">{s.n_tables}</td>'
            f'<td class="num">{s.n_cells}</td><td class="num">{esc("" if s.n_requests is None else s.n_requests)}</td>'
            f"<td>{warnings}</td></tr>"
        )
    notes = "".join(f"<li>{esc(p)}</li>" for p in problems)
    body = (
        "<h1>teian: what was extracted</h1>"
        f'<p class="muted">Generated {esc(generated)} from the published datasets. '
        "Open a document to see each page with its tables' boxes (red) and cell grids (blue).</p>"
        + (f'<ul class="warn">{notes}</ul>' if notes else "")
        + '<table class="data" id="documents"><thead><tr><th>source</th><th>title</th><th>publisher</th>'
        "<th>kind</th><th>year</th><th>edition</th><th>status</th><th>pages</th><th>tables</th>"
        "<th>cells</th><th>requests</th><th>warnings</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    return _document("teian report", body)


def render_document_page(
    doc: DocumentReport,
    images: dict[int, str],
    scale: float,
    raw_rel: str | None,
    problems: list[str],
) -> str:
    """A document's page: items, tables and every page, each linked to the PDF at that page
    (`raw_rel`), so a doubt about a figure is settled against the original."""
    s = doc.summary
    out: list[str] = [
        '<nav><a href="../index.html">← all documents</a></nav>',
        f"<h1>{esc(s.title or s.source_id)}</h1>",
        f"<p>{_badge(s.status)} <code>{esc(s.source_id)}</code> · {esc(s.publisher)} · {esc(s.kind)}"
        f"{' · FY' + esc(s.fiscal_year) if s.fiscal_year else ''}{' · ' + esc(s.edition) if s.edition else ''}</p>",
        f'<p class="muted">doc_id {esc(s.doc_id)} · retrieved {esc(s.retrieved_at)} · {s.versions} version(s) fetched · '
        f"source {esc(s.url)}"
        + (f' · <a href="{esc(raw_rel)}">raw PDF</a>' if raw_rel else " · raw PDF not found")
        + "</p>",
        '<p class="counts">'
        f"<span><b>{s.page_count}</b> pages</span><span><b>{len(doc.tables)}</b> tables</span>"
        f"<span><b>{s.n_cells}</b> cells</span>"
        f"<span><b>{sum(t.n_numeric for t in doc.tables)}</b> numeric</span>"
        f"<span><b>{sum(t.n_money for t in doc.tables)}</b> in yen</span>"
        + (f"<span><b>{len(doc.items)}</b> request items</span>" if s.kind == "teian" else "")
        + f"<span><b>{sum(1 for p in doc.pages if p.n_unreadable)}</b> pages with unreadable glyphs</span>"
        + f"<span><b>{sum(1 for p in doc.pages if p.text_source == 'ocr')}</b> pages read by OCR</span>"
        + f"<span><b>{sum(len(p.suspects) for p in doc.pages)}</b> suspicious words</span></p>",
    ]
    if s.last_failure:
        out.append(
            f'<div class="fail">The last attempt failed; older data is shown: {esc(s.last_failure)}</div>'
        )
    if s.warnings or problems:
        out.append(
            '<ul class="warn">'
            + "".join(f"<li>{_long(w)}</li>" for w in [*s.warnings, *problems])
            + "</ul>"
        )
    if any(p.suspects for p in doc.pages):
        out.append(_suspects_section(doc))
    if s.kind == "teian" or doc.items:
        out.append(_items_section(doc, raw_rel))
    out.append(_tables_section(doc))
    out.append(
        f'<h2>Pages</h2><p class="muted">{len(images)} of {len(doc.pages)} pages shown as images '
        "(those with tables, item starts, unreadable glyphs or no text); the others as text. "
        "Click a red box to see its cells.</p>"
    )
    for page in doc.pages:
        out.append(_page_section(doc, page, images.get(page.page_number), scale, raw_rel))
    return _document(f"{s.source_id} — teian report", "\n".join(out))


def _suspects_section(doc: DocumentReport) -> str:
    """Words holding a glyph Japanese documents rarely use (a font with a wrong map?), beside
    what OCR reads at that spot."""
    rows = [
        f'<tr><td><a href="#{esc(p.anchor)}">p.{p.page_number}</a></td><td>{esc(w.get("word"))}</td>'
        f"<td>{esc(w.get('ocr') if w.get('ocr') is not None else '—')}</td></tr>"
        for p in doc.pages
        for w in p.suspects
    ]
    return (
        f"<h2>Suspicious glyphs ({len(rows)})</h2>"
        '<p class="muted">Words with a character outside JIS X 0208 and 常用漢字: often a font whose '
        "map is wrong (the page shows 都, the text says 邴). OCR reads the same spot.</p>"
        "<table><thead><tr><th>page</th><th>text layer</th><th>OCR</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _items_section(doc: DocumentReport, raw_rel: str | None) -> str:
    parts = [f"<h2>Request items ({len(doc.items)})</h2>"]
    if doc.tag_counts:
        parts.append(
            "<p>Tags: "
            + " ".join(f'<span class="tag">{esc(t)} {n}</span>' for t, n in doc.tag_counts)
            + "</p>"
        )
    if doc.target_counts:
        top = doc.target_counts[:20]
        more = (
            f" and {len(doc.target_counts) - len(top)} more"
            if len(doc.target_counts) > len(top)
            else ""
        )
        parts.append(
            "<p>提案要求先: " + "、".join(f"{esc(t)} {n}" for t, n in top) + esc(more) + "</p>"
        )
    parts.append(
        '<table class="data" id="items"><thead><tr><th>#</th><th>no.</th><th>category</th><th>title</th>'
        "<th>提案要求先</th><th>都所管局</th><th>tags</th><th>demands</th><th>page</th><th>tables</th></tr></thead><tbody>"
    )
    for item in doc.items:
        if item.page_first is not None:
            span = f"{item.page_first}" + (
                f"–{item.page_last}" if item.page_last and item.page_last != item.page_first else ""
            )
            printed = f" (printed {esc(item.page_label_first)})" if item.page_label_first else ""
            page = f'<a href="#p-{item.page_first}">p.{esc(span)}</a>{printed} · {_pdf_link(raw_rel, item.page_first, "PDF")}'
        else:
            page = ""
        parts.append(
            f'<tr id="item-{item.item_seq}"><td class="num">{item.item_seq}</td><td>{esc(item.item_no)}</td>'
            f"<td>{esc(item.category)}</td><td>{_long(item.title, 160)}</td>"
            f"<td>{_chips(item.targets)}</td><td>{_chips(item.bureaus)}</td>"
            f"<td>{''.join(f'<span class=tag>{esc(t)}</span>' for t in item.tags)}</td>"
            f'<td class="num">{item.n_demands}</td><td>{page}</td><td>{esc(" ".join(item.table_labels))}</td></tr>'
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def _tables_section(doc: DocumentReport) -> str:
    if not doc.tables:
        return "<h2>Tables</h2><p>No tables detected.</p>"
    parts = [
        f"<h2>Tables ({len(doc.tables)})</h2>",
        '<table class="data" id="tables"><thead><tr><th>table</th><th>pages</th><th>rows×cols</th>'
        "<th>caption</th><th>unit</th><th>numeric</th><th>strategy</th><th>item</th><th>problems</th></tr></thead><tbody>",
    ]
    for t in doc.tables:
        item_link = "" if t.item_seq is None else f'<a href="#item-{t.item_seq}">{t.item_seq}</a>'
        parts.append(
            f'<tr><td><a href="{esc(t.href)}">{esc(t.label)}</a> <span class="muted">{esc(t.table_id)}</span></td>'
            f'<td><a href="#p-{t.page_first}">{esc(t.pages)}</a></td><td>{t.n_rows}×{t.n_cols}</td>'
            f'<td>{_long(t.caption, 160)}</td><td>{esc(t.unit)}</td><td class="num">{t.n_numeric}</td><td>{esc(t.strategy)}</td>'
            f"<td>{item_link}</td>"
            f"<td>{esc('; '.join(t.problems))}</td></tr>"
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def _page_section(
    doc: DocumentReport, page: PageView, image: str | None, scale: float, raw_rel: str | None
) -> str:
    label = f" (printed {esc(page.page_label)})" if page.page_label else ""
    info = [
        f'<p class="muted">{page.n_chars} characters · {len(page.overlays)} table(s) · '
        f"{_pdf_link(raw_rel, page.page_number, 'open in the PDF')}"
        + (f" · <b>{page.n_unreadable} unreadable glyph(s)</b>" if page.n_unreadable else "")
        + (" · <b>no text layer</b>" if not page.n_chars else "")
        + (
            f" · text read by OCR (confidence {page.ocr_confidence:g})"
            if page.text_source == "ocr" and page.ocr_confidence is not None
            else ""
        )
        + (f" · <b>{len(page.suspects)} suspicious word(s)</b>" if page.suspects else "")
        + "</p>"
    ]
    tables = {t.table_id: t for t in doc.tables}
    if page.overlays:
        info.append("<ul>")
        for o in page.overlays:
            t = tables[o.table_id]
            info.append(
                f'<li><a href="{esc(o.href)}">{esc(o.label)}</a> {t.n_rows}×{t.n_cols}'
                f'{" (continued)" if o.continued else ""} {esc(t.unit or "")} <span class="muted">{esc((t.caption or "")[:80])}</span></li>'
            )
        info.append("</ul>")
    items = {i.item_seq: i for i in doc.items}
    for seq in page.items_starting:
        item = items[seq]
        info.append(
            f'<div>Item <a href="#item-{seq}">{esc(item.item_no or seq)}</a> starts: {_long(item.title, 160)}</div>'
        )
    if page.render and image is None:
        info.append('<p class="muted">No image: the raw PDF is not available.</p>')
    info.append(
        f"<details{'' if image else ' open'}><summary>text</summary><pre>{esc(page.text)}</pre></details>"
    )
    return (
        f'<section id="{page.anchor}"><h3>Page {page.page_number}{label}</h3><div class="page">'
        f"{_sheet(page, f'pages/{image}' if image else None, scale)}"
        f'<div class="pageinfo">{"".join(info)}</div></div></section>'
    )


def render_table_page(
    doc: DocumentReport, table: TableView, images: dict[int, str], scale: float, raw_rel: str | None
) -> str:
    """A table's page: its cells twice (as printed, as published) beside the pages it came from,
    which is where a wrong cell is spotted."""
    s = doc.summary
    out = [
        f'<nav><a href="../../index.html">all documents</a> › <a href="../index.html">{esc(s.source_id)}</a> › {esc(table.label)}</nav>',
        f"<h1>{esc(table.label)}: {esc(s.title or s.source_id)}, p.{esc(table.pages)}</h1>",
        f'<p class="muted"><code>{esc(table.table_id)}</code> · {table.n_rows} rows × {table.n_cols} columns · '
        f"{table.header_rows} header row(s) · unit {esc(table.unit or '—')} · strategy {esc(table.strategy)}"
        + (
            f' · item <a href="../index.html#item-{table.item_seq}">{table.item_seq}</a>'
            if table.item_seq is not None
            else ""
        )
        + f" · {_pdf_link(raw_rel, table.page_first, 'open in the PDF')}</p>",
    ]
    if table.caption:
        out.append(f"<div>Caption: {_long(table.caption, 400)}</div>")
    if table.problems:
        out.append(
            '<ul class="warn">' + "".join(f"<li>{esc(p)}</li>" for p in table.problems) + "</ul>"
        )
    out.append('<div class="page"><div class="cellsview">')
    out.append("<h2>Cells as a grid</h2>" + _grid(table))
    out.append("<h2>Cells as published</h2>" + _cells_long(table))
    out.append('</div><div class="pagesview"><h2>On the page</h2>')
    for page in doc.pages:
        if table.page_first <= page.page_number <= table.page_last:
            image = images.get(page.page_number)
            out.append(
                f'<h3><a href="../index.html#{page.anchor}">Page {page.page_number}</a></h3>'
            )
            out.append(
                _sheet(
                    page,
                    f"../pages/{image}" if image else None,
                    scale,
                    href_prefix="../",
                    highlight=table.table_id,
                )
                or '<p class="muted">No image: the raw PDF is not available.</p>'
            )
    out.append("</div></div>")
    return _document(f"{table.label} {s.source_id} — teian report", "\n".join(out))


# --------------------------------------------------------------------------- cells


def _cell_title(cell: CellView) -> str:
    """Hover text of a grid cell: what the number was read as (the rest is in the long table)."""
    bits = []
    if cell.value is not None:
        bits.append(f"{_num(cell.value)} {cell.unit or ''}".rstrip())
    if cell.value_yen is not None:
        bits.append(f"¥{_num(cell.value_yen)}")
    if cell.text_raw != cell.text:
        bits.append(f"raw: {cell.text_raw}")
    return " · ".join(bits)


def _grid(table: TableView) -> str:
    parts = ['<div class="grid"><table class="data" id="grid">']
    prev_page = table.page_first
    for index, row in enumerate(table.grid):
        header = index < table.header_rows
        page = table.row_pages[index]
        cls = ' class="continued"' if page != prev_page else ""
        prev_page = page
        tag = "th" if header else "td"
        cells = []
        for cell in row:
            if cell is None:
                cells.append(f'<{tag} class="missing" title="no cell published"></{tag}>')
                continue
            klass = "num" if cell.value is not None else ("empty" if not cell.text else "")
            attr = f' class="{klass}"' if klass else ""
            title = _cell_title(cell)
            attr += f' title="{esc(title)}"' if title else ""
            cells.append(f"<{tag}{attr}>{esc(cell.text)}</{tag}>")
        marker = ""
        if table.page_last != table.page_first:
            marker = (
                f'<{tag} class="muted">p.{page}</{tag}>'
                if cls or index == 0
                else f"<{tag}></{tag}>"
            )
        parts.append(f"<tr{cls}>{marker}{''.join(cells)}</tr>")
    parts.append("</table></div>")
    return "".join(parts)


def _cells_long(table: TableView) -> str:
    show_raw = any(c.text_raw != c.text for c in table.cells)
    head = (
        ["page", "row", "col", "header", "row label", "text"]
        + (["text as extracted"] if show_raw else [])
        + ["value", "unit", "value_yen", "note"]
    )
    parts = [
        '<table class="data" id="cells"><thead><tr>'
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr></thead><tbody>"
    ]
    for c in table.cells:
        if c.is_header:
            continue
        raw = f"<td>{esc(c.text_raw)}</td>" if show_raw else ""
        parts.append(
            f'<tr><td class="num">{c.page_number}</td><td class="num">{c.row}</td><td class="num">{c.col}</td>'
            f'<td>{esc(c.header)}</td><td title="{esc(c.row_path or "")}">{esc(c.row_label)}</td>'
            f"<td>{esc(c.text)}</td>{raw}"
            f'<td class="num">{esc(_num(c.value))}</td><td>{esc(c.unit)}</td>'
            f'<td class="num">{esc(_num(c.value_yen))}</td><td>{esc(c.note)}</td></tr>'
        )
    parts.append("</tbody></table>")
    return "".join(parts)

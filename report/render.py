"""Page images: PDF pages rendered with pypdfium2, saved as palette PNGs, and the overlay drawn on them.

Images are rendered only for the pages the report shows, at a modest scale, and reused between
runs while the document version and scale are unchanged (the scale and doc_id are in the file
name), which is what keeps a report of a 300-page edition to seconds and about 10 MB. The same
boxes the HTML draws as SVG are drawn here into the pixels for `teian inspect --png`, where the
image is looked at on its own.

Rendering parses the PDF (one page's drawing took 2.8 GB), so it runs in guarded workers
(flows.guarded) under a time and memory cap: a page that cannot be rendered within them is
left out of the report with a line saying why, and the rest of the report is written.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flows import defaults
from flows.guarded import GuardedFailure, call_guarded
from report.errors import ReportError
from report.model import Box, PageView, place_label, safe_name

if TYPE_CHECKING:
    from PIL.Image import Image
    from PIL.ImageDraw import ImageDraw
    from pypdfium2 import PdfDocument

DEFAULT_SCALE = 1.25  # 90 dpi: 10.5 pt text is ~13 px, small kanji stay legible
PALETTE_COLORS = 64  # palette PNG: sharp text, a third of a JPEG's size; charts keep their colours

TABLE_COLOR = (214, 39, 40)
CELL_COLOR = (31, 119, 180)
HEADER_FILL = (31, 119, 180, 40)
PAGES_PER_WORKER = 32


@dataclass(frozen=True)
class RenderLimits:
    """The caps of one rendering worker: wall time for its pages, address space."""

    time_seconds: float = defaults.RENDER_TIME_LIMIT_SECONDS
    memory_mb: int = defaults.RENDER_MEMORY_LIMIT_MB


def render_page(
    pdf_path: Path, page_number: int, scale: float, limits: RenderLimits = RenderLimits()
) -> Image:
    """One page as a PIL image at `scale` × 72 dpi (pdfplumber's points × scale = pixels),
    rendered in a guarded worker."""
    from PIL import Image as PILImage

    with tempfile.TemporaryDirectory(prefix="teian-page-") as folder:
        target = Path(folder) / "page.png"
        try:
            result = call_guarded(
                "report.render:render_into",
                [str(pdf_path), [[page_number, str(target)]], scale, "RGB"],
                limits.time_seconds,
                limits.memory_mb,
            )
        except GuardedFailure as failed:
            raise ReportError(f"page {page_number} not rendered: {failed}") from None
        if not result["done"]:
            why = result["failed"].get(str(page_number)) or "out of range"
            raise ReportError(f"page {page_number} not rendered: {why}")
        with PILImage.open(target) as image:
            return image.convert("RGB")


def render_into(pdf_path: str, jobs: list[list], scale: float, mode: str = "palette") -> dict:
    """Run by the guarded worker only: render pages into their files (a palette PNG, or RGB for
    `teian inspect` to draw on). Returns the pages done and, by page, why others were not (a
    page beyond the document, a page pdfium fails on); a PDF that does not open raises."""
    import pypdfium2 as pdfium

    done, failed = [], {}
    pdf = pdfium.PdfDocument(pdf_path)
    try:
        for number, target in jobs:
            if not 1 <= number <= len(pdf):
                failed[number] = None
                continue
            try:
                image = _render(pdf, number, scale)
            except MemoryError:
                raise
            except Exception as exc:  # noqa: BLE001 - one page pdfium cannot draw
                failed[number] = " ".join(str(exc).split())[:120] or exc.__class__.__name__
                continue
            if mode == "RGB":
                image.save(target, "PNG")
            else:
                _save_png(image, Path(target))
            done.append(number)
    finally:
        pdf.close()
    return {"done": done, "failed": failed}


def _render(pdf: PdfDocument, page_number: int, scale: float) -> Image:
    """Pages are closed as soon as they are drawn, not left to the garbage collector, so a long
    document is rendered holding one page at a time."""
    page = pdf[page_number - 1]
    try:
        return page.render(scale=scale).to_pil().convert("RGB")
    finally:
        page.close()


def _save_png(image: Image, target: Path) -> None:
    """Palette PNG: text stays crisp and files stay small; written beside and renamed in.

    Fast octree quantization without PNG `optimize` is ~5× faster than the defaults for ~the
    same size (about 25 ms and 40 KB a page at 1.25), which is what keeps a 400-page report quick.
    """
    from PIL.Image import Quantize

    tmp = target.with_name(f".{target.name}.tmp")
    image.quantize(colors=PALETTE_COLORS, method=Quantize.FASTOCTREE).save(tmp, "PNG")
    os.replace(tmp, target)


def render_pages(
    pdf_path: Path,
    numbers: list[int],
    folder: Path,
    doc_id: str,
    scale: float,
    problems: list[str] | None = None,
    limits: RenderLimits = RenderLimits(),
) -> tuple[dict[int, str], int, int]:
    """Render the listed pages (in guarded workers, PAGES_PER_WORKER at a time); reuse images
    already there.

    Returns page → file name, and how many were rendered and reused; a page that could not be
    rendered within the limits is left out, with a line in `problems`. Images of other versions
    or scales in `folder` are removed, so the folder only holds what the report shows.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = {n: f"{safe_name(doc_id)}-p{n:04d}-s{round(scale * 100):03d}.png" for n in numbers}
    missing = [n for n in numbers if not (folder / names[n]).exists()]
    for start in range(0, len(missing), PAGES_PER_WORKER):
        chunk = missing[start : start + PAGES_PER_WORKER]
        for number, reason in _render_chunk(pdf_path, chunk, folder, names, scale, limits):
            names.pop(number)
            if reason and problems is not None:
                problems.append(f"page {number} not rendered: {reason}")
    keep = set(names.values())
    for stale in folder.iterdir():
        if stale.name not in keep:
            stale.unlink()
    rendered = sum(1 for n in missing if n in names)
    return names, rendered, len(numbers) - len(missing)


def _render_chunk(
    pdf_path: Path,
    pages: list[int],
    folder: Path,
    names: dict[int, str],
    scale: float,
    limits: RenderLimits,
) -> list[tuple[int, str | None]]:
    """Render `pages`; returns the pages left out: (page, why) — why is None for a page beyond
    the document. A worker that fails is restarted after the page it was on."""
    left_out: list[tuple[int, str | None]] = []
    todo = list(pages)
    while todo:
        jobs = [[n, str(folder / names[n])] for n in todo]
        try:
            result = call_guarded(
                "report.render:render_into",
                [str(pdf_path), jobs, scale],
                limits.time_seconds,
                limits.memory_mb,
            )
            failed_pages = {int(n): why for n, why in result["failed"].items()}
            return left_out + sorted(failed_pages.items())
        except GuardedFailure as failed:
            if failed.kind == "error":  # the PDF does not open: no page of it will render
                raise ReportError(str(failed)) from None
            finished = [n for n in todo if (folder / names[n]).exists()]
            culprit = next(n for n in todo if n not in finished)
            left_out.append((culprit, str(failed)))
            todo = todo[todo.index(culprit) + 1 :]
    return left_out


def _dashed_rectangle(
    draw: ImageDraw, box: tuple[float, float, float, float], color: tuple, width: int, dash: int
) -> None:
    """A table continued from an earlier page is framed dashed, as in the HTML report."""
    x0, top, x1, bottom = box
    for a, b in (
        ((x0, top), (x1, top)),
        ((x1, top), (x1, bottom)),
        ((x1, bottom), (x0, bottom)),
        ((x0, bottom), (x0, top)),
    ):
        length = max(abs(b[0] - a[0]), abs(b[1] - a[1]))
        steps = max(1, int(length // (dash * 1.5)))
        for i in range(steps + 1):
            s0 = min(1.0, i * dash * 1.5 / length) if length else 0.0
            s1 = min(1.0, (i * dash * 1.5 + dash) / length) if length else 1.0
            draw.line(
                (
                    a[0] + (b[0] - a[0]) * s0,
                    a[1] + (b[1] - a[1]) * s0,
                    a[0] + (b[0] - a[0]) * s1,
                    a[1] + (b[1] - a[1]) * s1,
                ),
                fill=color,
                width=width,
            )


def draw_overlays(image: Image, page: PageView, scale: float) -> Image:
    """Draw every table box (red, labelled) and cell grid (blue) of a page on its image."""
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    base = image.convert("RGBA")
    layer = PILImage.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)

    def px(box: Box) -> tuple[float, float, float, float]:
        sx = base.width / page.width
        sy = base.height / page.height
        return (box.x0 * sx, box.top * sy, box.x1 * sx, box.bottom * sy)

    font = ImageFont.load_default(size=max(10, round(10 * scale)))
    taken: list[tuple[float, float, float, float]] = []
    for overlay in page.overlays:
        for cell in overlay.header_cells:
            draw.rectangle(px(cell), fill=HEADER_FILL, outline=CELL_COLOR + (255,), width=1)
        for cell in overlay.cells:
            draw.rectangle(px(cell), outline=CELL_COLOR + (255,), width=1)
        x0, top, x1, bottom = px(overlay.box)
        width = max(2, round(2 * scale))
        if overlay.continued:
            _dashed_rectangle(
                draw, (x0, top, x1, bottom), TABLE_COLOR + (255,), width, dash=round(8 * scale)
            )
        else:
            draw.rectangle((x0, top, x1, bottom), outline=TABLE_COLOR + (255,), width=width)
        label = overlay.label  # short, so it fits in the margin left of the box
        bbox = draw.textbbox((0, 0), label, font=font)
        lw, lh = bbox[2] - bbox[0] + 6, bbox[3] - bbox[1] + 6
        lx, ly = place_label(x0, top, lw, lh, taken)
        draw.rectangle((lx, ly, lx + lw, ly + lh), fill=TABLE_COLOR + (230,))
        draw.text((lx + 3 - bbox[0], ly + 3 - bbox[1]), label, fill=(255, 255, 255, 255), font=font)
    return PILImage.alpha_composite(base, layer).convert("RGB")

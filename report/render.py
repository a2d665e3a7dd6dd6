"""Page images: PDF pages rendered with pypdfium2, saved as palette PNGs, and the overlay drawn on them.

Images are rendered only for the pages the report shows, at a modest scale, and reused between
runs while the document version and scale are unchanged (the scale and doc_id are in the file
name), which is what keeps a report of a 300-page edition to seconds and about 10 MB. The same
boxes the HTML draws as SVG are drawn here into the pixels for `teian inspect --png`, where the
image is looked at on its own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

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


def render_page(pdf_path: Path, page_number: int, scale: float) -> Image:
    """One page as a PIL image at `scale` × 72 dpi (pdfplumber's points × scale = pixels)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        if not 1 <= page_number <= len(pdf):
            raise ReportError(f"page {page_number} out of range 1–{len(pdf)}")
        return _render(pdf, page_number, scale)
    finally:
        pdf.close()


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
    pdf_path: Path, numbers: list[int], folder: Path, doc_id: str, scale: float
) -> tuple[dict[int, str], int, int]:
    """Render the listed pages (opening the PDF once); reuse images already there.

    Returns page → file name, and how many were rendered and reused. Images of other versions
    or scales in `folder` are removed, so the folder only holds what the report shows.
    """
    import pypdfium2 as pdfium

    folder.mkdir(parents=True, exist_ok=True)
    names = {n: f"{safe_name(doc_id)}-p{n:04d}-s{round(scale * 100):03d}.png" for n in numbers}
    missing = [n for n in numbers if not (folder / names[n]).exists()]
    if missing:
        pdf = pdfium.PdfDocument(str(pdf_path))
        try:
            for n in missing:
                if n > len(pdf):
                    names.pop(n)
                    continue
                _save_png(_render(pdf, n, scale), folder / names[n])
        finally:
            pdf.close()
    keep = set(names.values())
    for stale in folder.iterdir():
        if stale.name not in keep:
            stale.unlink()
    return names, len(missing), len(numbers) - len(missing)


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

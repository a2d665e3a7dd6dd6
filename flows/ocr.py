"""OCR inside the extraction worker: render a page with pdfium, read it with Tesseract.

Tesseract is Debian's (`tesseract-ocr`, `-jpn`, `-jpn-vert`), driven through pytesseract, which
runs the `tesseract` program as a child of the extraction worker: the worker's address-space cap
is inherited by it, and each call gets a timeout that ends within the batch's time budget, so an
OCR that runs away is stopped like a page that hangs the parser. What to OCR and how Tesseract's
words become text is decided in `transforms.extract.ocr`.

A horizontal reading (`jpn`) is tried first; a page it reads badly is read again with the
vertical model as well (`jpn+jpn_vert`) and the surer reading is kept, so horizontal pages pay
for one pass and vertical ones for two.
"""

from __future__ import annotations

import dataclasses
import os
import time
from functools import lru_cache
from typing import Any

from flows import defaults
from transforms.extract.ocr import (
    OCR_MODES,
    RETRY_VERTICAL_BELOW,
    better_reading,
    mean_confidence,
    needs_text,
    ocr_record,
    wants_ocr,
)
from transforms.records import PageRecord, SuspectWord

# Tesseract's OpenMP threads fight each other when several workers OCR at once.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

HORIZONTAL = "jpn"
MIXED = "jpn+jpn_vert"


@lru_cache(maxsize=1)
def tesseract_problem() -> str | None:
    """Why Tesseract cannot read Japanese here (one line), or None when it can."""
    try:
        import pytesseract

        languages = set(pytesseract.get_languages(config=""))
    except Exception as exc:  # noqa: BLE001 - not installed, not on PATH, broken install
        return f"tesseract not available ({exc.__class__.__name__}): apt-get install tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert"
    missing = sorted({"jpn", "jpn_vert"} - languages)
    if missing:
        return f"tesseract lacks the {', '.join(missing)} model: apt-get install tesseract-ocr-jpn tesseract-ocr-jpn-vert"
    return None


def read_image(image: Any, lang: str, psm: int, timeout: float) -> dict[str, list]:
    """Tesseract's words of an image, as a dict of columns (text, conf, boxes, line ids)."""
    import pytesseract

    return pytesseract.image_to_data(
        image,
        lang=lang,
        config=f"--psm {psm}",
        output_type=pytesseract.Output.DICT,
        timeout=max(1, int(timeout)),
    )


def read_images(images: list[Any], lang: str, psm: int, timeout: float) -> list[str]:
    """Tesseract's text of each image, read in one run of the program: Tesseract takes a file
    listing images and loads its model once for all of them (a Japanese model takes longer to
    load than a word takes to read)."""
    import tempfile

    import pytesseract

    with tempfile.TemporaryDirectory(prefix="teian-ocr-") as folder:
        paths = []
        for number, image in enumerate(images):
            paths.append(os.path.join(folder, f"{number}.png"))
            image.save(paths[-1])
        listing = os.path.join(folder, "images.txt")
        with open(listing, "w", encoding="utf-8") as out:
            out.write("\n".join(paths) + "\n")
        text = pytesseract.image_to_string(
            listing, lang=lang, config=f"--psm {psm}", timeout=max(1, int(timeout))
        )
    parts = text.split("\f")  # Tesseract ends each image's text with a form feed
    if len(parts) < len(images):
        raise RuntimeError(f"tesseract read {len(parts)} of {len(images)} images")
    return parts[: len(images)]


def read_page_image(image: Any, timeout_at: float) -> dict[str, list]:
    """A whole page read horizontally, and again with the vertical model when that reads badly."""
    first = read_image(image, HORIZONTAL, 3, timeout_at - time.monotonic())
    if (mean_confidence(first) or 0) >= RETRY_VERTICAL_BELOW:
        return first
    return better_reading(first, read_image(image, MIXED, 3, timeout_at - time.monotonic()))


def render(page: Any, dpi: int = defaults.OCR_DPI) -> Any:
    """The pdfium page as a grey PIL image at `dpi`."""
    return page.render(scale=dpi / 72, grayscale=True).to_pil()


def draws_something(page: Any) -> bool:
    """Whether the pdfium page draws an image or a path (a scan, text as outlines)."""
    import pypdfium2.raw as pdfium_c

    kinds = (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH)
    return any(True for _ in page.get_objects(filter=kinds, max_depth=15))


class PageOcr:
    """OCR of one batch's pages, as `mode` asks, within the batch's time budget."""

    def __init__(self, pdf_path: str, password: str | None, mode: str, seconds: float) -> None:
        if mode not in OCR_MODES:
            raise ValueError(f"OCR mode must be one of {', '.join(OCR_MODES)}, not {mode!r}")
        self.pdf_path, self.password, self.mode = pdf_path, password, mode
        # a few seconds before the parent gives the batch up, so no Tesseract outlives it
        self.timeout_at = time.monotonic() + max(1.0, seconds - 5.0)
        self._document: Any = None

    @classmethod
    def from_options(cls, options: list[str], pdf_path: str, password: str | None) -> PageOcr:
        """The worker's `ocr=MODE:SECONDS` option (default: auto, the default time limit)."""
        spec = next((o[4:] for o in options if o.startswith("ocr=")), defaults.OCR_MODE)
        mode, _, seconds = spec.partition(":")
        return cls(pdf_path, password, mode, float(seconds or defaults.TIME_LIMIT_SECONDS))

    def read(self, record: PageRecord, index: int) -> PageRecord:
        """The record, read by OCR where the mode wants it, its suspect words checked by OCR.
        Never raises for an OCR failure: the page keeps its text layer and says why in
        `ocr_error`."""
        if self.mode == "off":
            return (
                self._unread(record, index, "not read: OCR is off")
                if not record.n_chars
                else record
            )
        if record.n_chars and not record.suspects and self.mode != "force":
            return record  # the common case: a text layer without suspect glyphs
        if time.monotonic() > self.timeout_at - 1:
            error = "OCR skipped: the batch's time budget is spent (--time-limit)"
            return self._unread(record, index, error) if not record.n_chars else record
        page = self._pdfium()[index]
        try:
            return self._read_page(record, page)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - pytesseract: a timeout, a Tesseract error
            reason = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            )
            return dataclasses.replace(record, ocr_error=f"OCR failed: {reason}"[:200])
        finally:
            page.close()

    def _read_page(self, record: PageRecord, page: Any) -> PageRecord:
        drawn = draws_something(page)
        problem = tesseract_problem()
        if problem is not None:
            return (
                dataclasses.replace(record, ocr_error=problem)
                if needs_text(record, drawn)
                else record
            )
        image = None
        if wants_ocr(self.mode, record, drawn):
            image = render(page)
            record = ocr_record(record, read_page_image(image, self.timeout_at))
        if record.suspects:
            image = image or render(page)
            record.suspects = self._check(image, record.suspects)
        return record

    def _unread(self, record: PageRecord, index: int, reason: str) -> PageRecord:
        page = self._pdfium()[index]
        try:
            drawn = draws_something(page)
        finally:
            page.close()
        return dataclasses.replace(record, ocr_error=reason) if drawn else record

    def _check(self, image: Any, suspects: list[SuspectWord]) -> list[SuspectWord]:
        """The suspect words with OCR's reading of the spot each is printed on: one Tesseract
        run per reading direction for all the page's words."""
        crops = [self._spot(image, s) for s in suspects]
        readings = [""] * len(suspects)
        for way in dict.fromkeys((lang, psm) for _, lang, psm in crops):
            mine = [n for n, (_, lang, psm) in enumerate(crops) if (lang, psm) == way]
            texts = read_images(
                [crops[n][0] for n in mine], *way, self.timeout_at - time.monotonic()
            )
            for n, text in zip(mine, texts, strict=True):
                readings[n] = "".join(text.split())
        return [dataclasses.replace(s, ocr=r) for s, r in zip(suspects, readings, strict=True)]

    @staticmethod
    def _spot(image: Any, suspect: SuspectWord) -> tuple[Any, str, int]:
        """The crop of the page image around a suspect word, and how to read it (a word set
        vertically with the vertical model, one column)."""
        scale = defaults.OCR_DPI / 72
        x0, top, x1, bottom = suspect.bbox
        pad = 0.4 * min(x1 - x0, bottom - top)
        crop = image.crop(
            (
                max(0, int((x0 - pad) * scale)),
                max(0, int((top - pad) * scale)),
                int((x1 + pad) * scale),
                int((bottom + pad) * scale),
            )
        )
        vertical = (bottom - top) > 1.5 * (x1 - x0)
        lang, psm = ("jpn_vert", 5) if vertical else (HORIZONTAL, 7)
        return crop, lang, psm

    def _pdfium(self) -> Any:
        if self._document is None:
            import pypdfium2 as pdfium

            self._document = pdfium.PdfDocument(self.pdf_path, password=self.password or None)
        return self._document

    def close(self) -> None:
        if self._document is not None:
            self._document.close()
            self._document = None

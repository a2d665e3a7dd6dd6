"""Run page extraction for a batch of pages in its own process, under a time and memory limit.

A PDF whose page makes pdfminer loop or eat memory must fail alone: the batch runs in a child
interpreter (`python -m flows.extract`) that caps its own address space, and the parent kills it
when the time budget is spent. Results come back as a pickle of plain records in the work dir.
"""

from __future__ import annotations

import itertools
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flows import defaults
from flows.guarded import (
    GuardedFailure,
    call_guarded,
    child_env,
    die_with_parent,
    hit_memory_limit,
    set_memory_limit,
)
from transforms.extract.corrections import Corrections
from transforms.records import PageBatch, PageRecord


class ExtractError(Exception):
    """Extraction of a document failed; the message is one line naming the cause."""


@dataclass(frozen=True)
class Limits:
    """The caps of one guarded worker: wall time per batch, address space."""

    time_seconds: float = defaults.TIME_LIMIT_SECONDS
    memory_mb: int = defaults.MEMORY_LIMIT_MB


@dataclass(frozen=True)
class RemotePdf:
    """For a data dir given as a URL: where a worker without the PDF gets its own copy, and the
    machine the flow runs on (a worker elsewhere sends its records back with the result)."""

    data_root: str
    sha256: str
    flow_host: str


@dataclass(frozen=True)
class ExtractJob:
    """One batch of one document for one extraction worker."""

    source_id: str
    pdf_path: str
    first: int
    last: int
    work_dir: str
    password: str | None = None
    limits: Limits = Limits()
    fast_path: bool = True
    remote: RemotePdf | None = None
    ocr: str = defaults.OCR_MODE
    # When the whole document must be done (time.time()); its batches give up then.
    deadline: float | None = None
    # Pages looked up by number in the page tree (see transforms.extract.pagetree).
    direct_pages: bool = False
    corrections: Corrections | None = None  # the catalog's corrections to the table finder


def describe_open_error(exc: BaseException) -> str:
    """Turn pdfminer/pdfplumber/pypdfium2 exceptions into a one-line reason a user understands.

    The parsers' own messages are often empty (pdfplumber wraps pdfminer's PDFPasswordIncorrect
    in a bare PdfminerException), so the whole chain of causes and arguments is searched.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    words = " ".join(
        f"{e.__class__.__name__} {e} " + " ".join(a.__class__.__name__ for a in e.args)
        for e in chain
    ).lower()
    name = exc.__class__.__name__
    text = (str(exc) or " ".join(str(a) for a in exc.args) or name).strip()
    if "password" in words or "encrypt" in words:
        return "encrypted PDF: wrong or missing password (set `password` in the catalog)"
    if any(
        marker in words
        for marker in (
            "pdfsyntax",
            "no /root",
            "xref",
            "eof",
            "data format error",
            "pdftypeerror",
            "pdfnovalidxref",
        )
    ):
        return f"corrupt PDF ({name}: {text[:120]})"
    if "security" in words:  # pdfium: an unsupported security handler
        return f"encrypted PDF with an unsupported security handler ({text[:120]})"
    return f"unreadable PDF ({name}: {text[:120]})"


@dataclass(frozen=True)
class PageCount:
    """What the guarded count step learns of a document before its batches are planned."""

    pages: int
    direct: bool  # its page tree numbers pages as pdfminer does: batches look pages up by number


def count_pages(pdf_path: str, password: str | None = None, limits: Limits = Limits()) -> int:
    """The document's page count; raises ExtractError with a clear reason."""
    return measure_pages(pdf_path, password, limits).pages


def measure_pages(
    pdf_path: str,
    password: str | None = None,
    limits: Limits = Limits(),
    deadline: float | None = None,
) -> PageCount:
    """Count pages (pdfium) and check the page tree (pdfminer) in a guarded child: opening a PDF
    parses its cross-reference data, which a hostile file inflates to gigabytes."""
    size = os.path.getsize(pdf_path)
    if size == 0:
        raise ExtractError("empty file (0 bytes)")
    with open(pdf_path, "rb") as handle:
        handle.seek(max(0, size - 2048))
        if b"%%EOF" not in handle.read():
            raise ExtractError("truncated PDF: no %%EOF marker at the end of the file")
    seconds = _seconds_left(limits, deadline)
    if seconds <= 0:
        raise ExtractError(f"counting pages: not started, {_DOCUMENT_LIMIT_SPENT}")
    try:
        found = call_guarded(
            "flows.extract:page_count_unguarded", [pdf_path, password], seconds, limits.memory_mb
        )
    except GuardedFailure as failed:
        # the child's own reason (encrypted, corrupt …) stands alone; a limit says where it hit
        reason = str(failed) if failed.kind == "error" else f"counting pages: {failed}"
        raise ExtractError(reason) from None
    return PageCount(int(found["pages"]), bool(found["direct"]))


def page_count_unguarded(pdf_path: str, password: str | None) -> dict:
    """Run by the guarded child only: pdfium's page count, and whether the page tree's /Count
    numbering agrees with pdfminer's walk (then batches fetch their pages directly)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(pdf_path, password=password)
    except pdfium.PdfiumError as exc:
        raise ExtractError(describe_open_error(exc)) from None
    try:
        pages = len(document)
    finally:
        document.close()
    return {"pages": pages, "direct": _regular_tree_count(pdf_path, password) == pages}


def _regular_tree_count(pdf_path: str, password: str | None) -> int | None:
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    from transforms.extract.pagetree import regular_page_count

    try:
        with open(pdf_path, "rb") as handle:
            doc = PDFDocument(PDFParser(handle), password=password or "")
            return regular_page_count(doc)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - pdfplumber reports what is wrong when a batch opens it
        return None


def _seconds_left(limits: Limits, deadline: float | None) -> float:
    """A step's time: the batch limit, or less when the document's own deadline comes first."""
    if deadline is None:
        return limits.time_seconds
    return max(0.0, min(limits.time_seconds, deadline - time.time()))


_hit_memory_limit = hit_memory_limit


class _WorkerFailed(Exception):
    """Ends the worker with `code` (3: unreadable, 4: memory) and a one-line reason on stderr."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def _failure(exc: BaseException, where: str, limit: int) -> _WorkerFailed:
    if isinstance(exc, MemoryError) or _hit_memory_limit(limit):
        return _WorkerFailed(4, f"{where}memory limit exceeded")
    return _WorkerFailed(3, f"{where}{describe_open_error(exc)}")


def _page_labels(pdf, light, direct: bool) -> list[str] | None:  # noqa: ANN001 - pdfplumber, pypdfium2
    """The PDF's own page labels, one per page. pdfminer's generator never ends (its last label
    range runs on forever), so it is cut at the document's page count: read whole, it filled the
    worker's address space before giving up on every document that has labels."""
    try:
        if light is not None:
            count = len(light)
        elif direct:
            count = regular_root_count(pdf.doc)
        else:
            count = len(pdf.pages)
        return list(itertools.islice(pdf.doc.get_page_labels(), count))
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - most PDFs have no page labels
        return None


def _read_batch(  # noqa: ANN001
    pdf,
    light,
    first: int,
    last: int,
    limit: int,
    direct: bool = False,
    ocr=None,
    corrections: Corrections | None = None,
) -> PageBatch:
    """Pages `first`..`last`: each from pdfium's fast path when it gives the same record, else
    through pdfplumber, closed right after so memory stays at one page's worth. `ocr` (a
    flows.ocr.PageOcr) reads the pages its mode wants by OCR; `corrections` are the catalog's
    corrections to the table finder."""
    labels = _page_labels(pdf, light, direct) if first == 1 else None
    batch = PageBatch(first, last, [], labels)
    for number, page in _batch_pages(pdf, first, last, direct):
        try:
            record = _read_page(page, light, number, limit, corrections)
            batch.pages.append(ocr.read(record, number - 1) if ocr is not None else record)
        finally:
            page.close()
    return batch


def regular_root_count(doc) -> int:  # noqa: ANN001 - a pdfminer document
    """The page count a regular page tree states (see transforms.extract.pagetree)."""
    from transforms.extract.pagetree import root_count

    return root_count(doc)


def _batch_pages(pdf, first: int, last: int, direct: bool):  # noqa: ANN001, ANN202 - pdfplumber
    """(number, pdfplumber page) of the batch. `pdf.pages` would build every page of the
    document first, so a document whose page tree allows it has its pages looked up by number:
    a batch then costs the same wherever it lies in a long document."""
    if not direct:
        for index in range(first - 1, min(last, len(pdf.pages))):
            yield index + 1, pdf.pages[index]
        return
    from pdfplumber.page import Page

    from transforms.extract.pagetree import PageTree

    tree = PageTree(pdf.doc)
    for number in range(first, last + 1):
        yield number, Page(pdf, tree.page(number), page_number=number)


def _read_page(  # noqa: ANN001
    page, light, number: int, limit: int, corrections: Corrections | None = None
) -> PageRecord:
    """One page's record, flagged with what is wrong with it. A page the parser cannot read is
    published empty and flagged, so one bad page does not cost the whole document; running out
    of memory still ends the worker, whose state is then not to be trusted. A page the catalog
    corrects (its tables stated, or left out of the pages to look at) always goes through
    pdfplumber."""
    from transforms.extract.content import content_problems
    from transforms.extract.page import extract_page, page_record

    problems = content_problems(page.page_obj)
    corrected = corrections is not None and (
        bool(corrections.on_page(number)) or not corrections.looks_at(number)
    )
    fast = light is not None and not corrected
    record = _extract_fast(light, number - 1, page) if fast else None
    if record is None:
        try:
            record = extract_page(page, corrections=corrections)
        except Exception as exc:  # noqa: BLE001 - every parser failure becomes one clear line
            failed = _failure(exc, f"page {number}: ", limit)
            if failed.code == 4:
                raise failed from None
            text = " ".join(str(exc).split())[:120]
            problems.append(f"could not be read ({exc.__class__.__name__}: {text})")
            record = page_record(number, (page.width, page.height), "", 0, [])
    record.problems = problems
    return record


def _close(pdf, direct: bool) -> None:  # noqa: ANN001 - a pdfplumber PDF
    """pdfplumber's `close` builds every page of the document to close it: with pages looked
    up by number, the batch's pages are closed already, and only the file is left."""
    if not direct:
        pdf.close()
        return
    pdf.flush_cache()
    if not pdf.stream_is_external:
        pdf.stream.close()


def _worker_corrections(options: list[str]) -> Corrections | None:
    """The catalog's corrections, passed to the worker as `corrections=<json>`."""
    for option in options:
        if option.startswith("corrections="):
            return Corrections.from_json(option.split("=", 1)[1])
    return None


def _worker_main(argv: list[str]) -> int:
    die_with_parent()
    pdf_path, password, first, last, out_path, memory_mb, *options = argv
    corrections = _worker_corrections(options)
    limit = int(memory_mb) * 1024 * 1024
    set_memory_limit(limit)
    import pdfplumber

    from flows.ocr import PageOcr

    direct = "direct" in options
    try:
        try:
            pdf = pdfplumber.open(pdf_path, password=password or None)
        except Exception as exc:  # noqa: BLE001
            failed = _failure(exc, "", limit)
            if failed.code == 4:
                raise _WorkerFailed(4, "memory limit exceeded while opening the PDF") from None
            raise failed from None
        light = _open_light(pdf_path, password) if "exact" not in options else None
        # the count step checked that the page tree and pdfium agree; else compare the counts
        if light is not None and not direct and len(light) != len(pdf.pages):
            light.close()  # the two parsers disagree about the document: trust pdfplumber alone
            light = None
        ocr = PageOcr.from_options(options, pdf_path, password)
        try:
            batch = _read_batch(pdf, light, int(first), int(last), limit, direct, ocr, corrections)
        finally:
            _close(pdf, direct)
            ocr.close()
            if light is not None:
                light.close()
    except _WorkerFailed as failed:
        print(str(failed), file=sys.stderr)
        return failed.code
    try:
        with open(out_path, "wb") as handle:
            pickle.dump(batch, handle, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:  # the work dir is full or read-only: one line, as any other failure
        print(f"pages {first}-{last}: cannot write {out_path}: {exc.strerror}", file=sys.stderr)
        return 3
    return 0


def _open_light(pdf_path: str, password: str | None):  # noqa: ANN202 - a pypdfium2 document or None
    """The pdfium view of the PDF for the fast path; None (full path only) if pdfium cannot open it."""
    try:
        import pypdfium2 as pdfium

        return pdfium.PdfDocument(pdf_path, password=password or None)
    except Exception:  # noqa: BLE001 - pdfplumber opened it: the full path still works
        return None


def _extract_fast(light, index: int, plumber_page) -> PageRecord | None:  # noqa: ANN001 - pypdfium2/pdfplumber pages
    """The page's record from pdfium when that gives the same record (see transforms.extract.fast).
    `plumber_page` is read for its dictionary only: no content is parsed."""
    from transforms.extract.fast import read_page_fast

    try:
        page = light[index]
    except Exception:  # noqa: BLE001 - the full path reports what is wrong with the page
        return None
    try:
        return read_page_fast(page, plumber_page)[0]
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - anything odd on the fast path: take the full path
        return None
    finally:
        page.close()
        plumber_page.close()  # drops pdfium's objects: the full path parses its own


def extract_batch(
    pdf_path: str,
    first: int,
    last: int,
    work_dir: Path,
    password: str | None = None,
    limits: Limits = Limits(),
    fast: bool = True,
    ocr: str = defaults.OCR_MODE,
    deadline: float | None = None,
    direct: bool = False,
    corrections: Corrections | None = None,
) -> PageBatch:
    """Extract pages `first`..`last` (1-based, inclusive) in a guarded child process."""
    out = extract_batch_to_file(
        pdf_path, first, last, work_dir, password, limits, fast, ocr, deadline, direct, corrections
    )
    try:
        return load_batch(out)
    finally:
        Path(out).unlink(missing_ok=True)


def load_batch(path: str | Path) -> PageBatch:
    """A batch's records as the worker wrote them."""
    with open(path, "rb") as handle:
        return pickle.load(handle)


def _worker_failure(
    completed: subprocess.CompletedProcess, first: int, last: int, limits: Limits
) -> str:
    """The one-line reason a worker ended badly, from its exit code and last stderr line."""
    lines = [line for line in completed.stderr.strip().splitlines() if line.strip()]
    reason = lines[-1] if lines else f"worker exited with code {completed.returncode}"
    if completed.returncode == 4 or "MemoryError" in completed.stderr:
        return f"pages {first}-{last}: memory limit of {limits.memory_mb} MB exceeded"
    if completed.returncode == -signal.SIGABRT and limits.memory_mb > 0:
        # native code (pdfium) aborts when an allocation fails under the address-space cap
        return (
            f"pages {first}-{last}: worker aborted (signal {signal.SIGABRT.value}), most likely "
            f"the memory limit of {limits.memory_mb} MB exceeded"
        )
    if completed.returncode < 0:
        return (
            f"pages {first}-{last}: worker killed by signal {-completed.returncode}"
            " (out of memory, or stopped from outside)"
        )
    return reason


def extract_batch_to_file(
    pdf_path: str,
    first: int,
    last: int,
    work_dir: Path,
    password: str | None = None,
    limits: Limits = Limits(),
    fast: bool = True,
    ocr: str = defaults.OCR_MODE,
    deadline: float | None = None,
    direct: bool = False,
    corrections: Corrections | None = None,
) -> str:
    """Like `extract_batch`, but leave the records in a file under `work_dir` and return its path.

    The flow passes paths, not records, between tasks: the records of a whole run never sit in
    the flow's memory (or travel through a Dask scheduler) at once. `fast=False` disables the
    pdfium fast path (every page through pdfplumber), for comparisons. `ocr` is the OCR mode
    (`flows.ocr`); OCR runs in the same child, within the same time budget. A batch gets the
    batch time limit, or what is left of its document's `deadline` when that comes first.
    `corrections` are the catalog's corrections to the table finder.
    """
    seconds = _seconds_left(limits, deadline)
    if seconds <= 0:
        raise ExtractError(f"pages {first}-{last}: not started, {_DOCUMENT_LIMIT_SPENT}")
    work_dir.mkdir(parents=True, exist_ok=True)
    fd, out = tempfile.mkstemp(prefix=f"batch-{first}-{last}-", suffix=".pkl", dir=work_dir)
    os.close(fd)
    command = [sys.executable, "-m", "flows.extract", pdf_path, password or ""]
    command += [str(first), str(last), out, str(limits.memory_mb)]
    command += (["exact"] if not fast else []) + (["direct"] if direct else [])
    command.append(f"ocr={ocr}:{seconds:g}")
    if corrections is not None:
        command.append(f"corrections={corrections.to_json()}")
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds, env=child_env()
        )
    except subprocess.TimeoutExpired:
        Path(out).unlink(missing_ok=True)
        why = (
            "a page that hangs the parser?"
            if seconds >= limits.time_seconds
            else _DOCUMENT_LIMIT_SPENT
        )
        raise ExtractError(
            f"pages {first}-{last}: gave up after {_seconds(seconds)}s ({why})"
        ) from None
    if completed.returncode != 0:
        Path(out).unlink(missing_ok=True)
        raise ExtractError(_worker_failure(completed, first, last, limits))
    return out


def _seconds(value: float) -> str:
    """Seconds as a person reads them: 3, not 2.99987 (what is left of a deadline)."""
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


_DOCUMENT_LIMIT_SPENT = "the document's time limit (--document-time-limit) is spent"


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))

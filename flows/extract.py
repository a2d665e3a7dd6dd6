"""Run page extraction for a batch of pages in its own process, under a time and memory limit.

A PDF whose page makes pdfminer loop or eat memory must fail alone: the batch runs in a child
interpreter (`python -m flows.extract`) that caps its own address space, and the parent kills it
when the time budget is spent. Results come back as a pickle of plain records in the work dir.
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flows import defaults
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


def count_pages(pdf_path: str, password: str | None = None) -> int:
    """Page count via pdfium (fast, no full parse); raises ExtractError with a clear reason."""
    import pypdfium2 as pdfium

    size = os.path.getsize(pdf_path)
    if size == 0:
        raise ExtractError("empty file (0 bytes)")
    with open(pdf_path, "rb") as handle:
        handle.seek(max(0, size - 2048))
        if b"%%EOF" not in handle.read():
            raise ExtractError("truncated PDF: no %%EOF marker at the end of the file")
    try:
        document = pdfium.PdfDocument(pdf_path, password=password)
    except pdfium.PdfiumError as exc:
        raise ExtractError(describe_open_error(exc)) from None
    try:
        return len(document)
    finally:
        document.close()


def _hit_memory_limit(limit_bytes: int) -> bool:
    """Whether this process ran into its address-space cap.

    Under RLIMIT_AS an allocation can fail anywhere, and C extensions report it in their own ways
    (a SystemError "returned NULL", a parser error on a half-built object), not always as
    MemoryError. The kernel's record of the peak address space says what really happened.
    """
    if limit_bytes <= 0:
        return False
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024 >= limit_bytes - 64 * 1024 * 1024
    except (OSError, ValueError, IndexError):
        pass
    return False


class _WorkerFailed(Exception):
    """Ends the worker with `code` (3: unreadable, 4: memory) and a one-line reason on stderr."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def _failure(exc: BaseException, where: str, limit: int) -> _WorkerFailed:
    if isinstance(exc, MemoryError) or _hit_memory_limit(limit):
        return _WorkerFailed(4, f"{where}memory limit exceeded")
    return _WorkerFailed(3, f"{where}{describe_open_error(exc)}")


def _page_labels(pdf) -> list[str] | None:  # noqa: ANN001 - a pdfplumber PDF
    try:
        return list(pdf.doc.get_page_labels())
    except Exception:  # noqa: BLE001 - most PDFs have no page labels
        return None


def _read_batch(  # noqa: ANN001
    pdf,
    light,
    first: int,
    last: int,
    limit: int,
    ocr=None,
    corrections: Corrections | None = None,
) -> PageBatch:
    """Pages `first`..`last`: each from pdfium's fast path when it gives the same record, else
    through pdfplumber, closed right after so memory stays at one page's worth. `ocr` (a
    flows.ocr.PageOcr) reads the pages its mode wants by OCR. A page the catalog corrects (its
    tables stated, or left out of the pages to look at) always goes through pdfplumber."""
    from transforms.extract.page import extract_page

    def read(record: PageRecord, index: int) -> PageRecord:
        return ocr.read(record, index) if ocr is not None else record

    batch = PageBatch(first, last, [], _page_labels(pdf) if first == 1 else None)
    for index in range(first - 1, min(last, len(pdf.pages))):
        corrected = corrections is not None and (
            bool(corrections.on_page(index + 1)) or not corrections.looks_at(index + 1)
        )
        record = _extract_fast(light, index, pdf) if light is not None and not corrected else None
        if record is not None:
            batch.pages.append(read(record, index))
            continue
        page = pdf.pages[index]
        try:
            batch.pages.append(read(extract_page(page, corrections=corrections), index))
        except Exception as exc:  # noqa: BLE001 - every parser failure becomes one clear line
            raise _failure(exc, f"page {index + 1}: ", limit) from None
        finally:
            page.close()
    return batch


def _worker_corrections(options: list[str]) -> Corrections | None:
    """The catalog's corrections, passed to the worker as `corrections=<json>`."""
    for option in options:
        if option.startswith("corrections="):
            return Corrections.from_json(option.split("=", 1)[1])
    return None


def _worker_main(argv: list[str]) -> int:
    pdf_path, password, first, last, out_path, memory_mb, *options = argv
    corrections = _worker_corrections(options)
    limit = int(memory_mb) * 1024 * 1024
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import pdfplumber

    from flows.ocr import PageOcr

    try:
        try:
            pdf = pdfplumber.open(pdf_path, password=password or None)
        except Exception as exc:  # noqa: BLE001
            failed = _failure(exc, "", limit)
            if failed.code == 4:
                raise _WorkerFailed(4, "memory limit exceeded while opening the PDF") from None
            raise failed from None
        light = _open_light(pdf_path, password) if "exact" not in options else None
        if light is not None and len(light) != len(pdf.pages):
            light.close()  # the two parsers disagree about the document: trust pdfplumber alone
            light = None
        ocr = PageOcr.from_options(options, pdf_path, password)
        try:
            batch = _read_batch(pdf, light, int(first), int(last), limit, ocr, corrections)
        finally:
            pdf.close()
            ocr.close()
            if light is not None:
                light.close()
    except _WorkerFailed as failed:
        print(str(failed), file=sys.stderr)
        return failed.code
    with open(out_path, "wb") as handle:
        pickle.dump(batch, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


def _open_light(pdf_path: str, password: str | None):  # noqa: ANN202 - a pypdfium2 document or None
    """The pdfium view of the PDF for the fast path; None (full path only) if pdfium cannot open it."""
    try:
        import pypdfium2 as pdfium

        return pdfium.PdfDocument(pdf_path, password=password or None)
    except Exception:  # noqa: BLE001 - pdfplumber opened it: the full path still works
        return None


def _extract_fast(light, index: int, pdf) -> PageRecord | None:  # noqa: ANN001 - pypdfium2/pdfplumber documents
    """The page's record from pdfium when that gives the same record (see transforms.extract.fast)."""
    from transforms.extract.fast import read_page_fast

    try:
        page = light[index]
        plumber_page = pdf.pages[index]  # its dictionary only: no content is parsed
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
    corrections: Corrections | None = None,
) -> PageBatch:
    """Extract pages `first`..`last` (1-based, inclusive) in a guarded child process."""
    out = extract_batch_to_file(
        pdf_path, first, last, work_dir, password, limits, fast, ocr, corrections
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
    corrections: Corrections | None = None,
) -> str:
    """Like `extract_batch`, but leave the records in a file under `work_dir` and return its path.

    The flow passes paths, not records, between tasks: the records of a whole run never sit in
    the flow's memory (or travel through a Dask scheduler) at once. `fast=False` disables the
    pdfium fast path (every page through pdfplumber), for comparisons. `ocr` is the OCR mode
    (`flows.ocr`); OCR runs in the same child, within the same time budget. `corrections` are
    the catalog's corrections to the table finder.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    fd, out = tempfile.mkstemp(prefix=f"batch-{first}-{last}-", suffix=".pkl", dir=work_dir)
    os.close(fd)
    project_root = str(Path(__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [project_root, os.environ.get("PYTHONPATH")])),
    }
    command = [
        sys.executable,
        "-m",
        "flows.extract",
        pdf_path,
        password or "",
        str(first),
        str(last),
        out,
        str(limits.memory_mb),
    ]
    if not fast:
        command.append("exact")
    command.append(f"ocr={ocr}:{limits.time_seconds:g}")
    if corrections is not None:
        command.append(f"corrections={corrections.to_json()}")
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=limits.time_seconds, env=env
        )
    except subprocess.TimeoutExpired:
        Path(out).unlink(missing_ok=True)
        raise ExtractError(
            f"pages {first}-{last}: gave up after {limits.time_seconds:g}s (a page that hangs the parser?)"
        ) from None
    if completed.returncode != 0:
        Path(out).unlink(missing_ok=True)
        raise ExtractError(_worker_failure(completed, first, last, limits))
    return out


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))

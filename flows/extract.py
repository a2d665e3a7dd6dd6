"""Run page extraction for a batch of pages in its own process, under a time and memory limit.

A PDF whose page makes pdfminer loop or eat memory must fail alone: the batch runs in a child
interpreter (`python -m flows.extract`) that caps its own address space, and the parent kills it
when the time budget is spent. Results come back as a pickle of plain records in the work dir.
"""

from __future__ import annotations

import os
import pickle
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIME_LIMIT = 900.0  # seconds per batch
DEFAULT_MEMORY_LIMIT_MB = 3072


class ExtractError(Exception):
    """Extraction of a document failed; the message is one line naming the cause."""


@dataclass(frozen=True)
class Limits:
    time_seconds: float = DEFAULT_TIME_LIMIT
    memory_mb: int = DEFAULT_MEMORY_LIMIT_MB


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
        f"{e.__class__.__name__} {e} " + " ".join(a.__class__.__name__ for a in e.args) for e in chain
    ).lower()
    name = exc.__class__.__name__
    text = (str(exc) or " ".join(str(a) for a in exc.args) or name).strip()
    if "password" in words or "encrypt" in words:
        return "encrypted PDF: wrong or missing password (set `password` in the catalog)"
    if any(marker in words for marker in ("pdfsyntax", "no /root", "xref", "eof", "data format error",
                                          "pdftypeerror", "pdfnovalidxref")):
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


def _worker_main(argv: list[str]) -> int:
    pdf_path, password, first, last, out_path, memory_mb = argv
    limit = int(memory_mb) * 1024 * 1024
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import pdfplumber

    from transforms.page import extract_page

    try:
        pdf = pdfplumber.open(pdf_path, password=password or None)
    except Exception as exc:  # noqa: BLE001 - every parser failure becomes one clear line
        if isinstance(exc, MemoryError) or _hit_memory_limit(limit):
            print("memory limit exceeded while opening the PDF", file=sys.stderr)
            return 4
        print(describe_open_error(exc), file=sys.stderr)
        return 3
    result: dict = {"pages": [], "page_labels": None}
    try:
        if int(first) == 1:
            try:
                result["page_labels"] = list(pdf.doc.get_page_labels())
            except Exception:  # noqa: BLE001 - most PDFs have no page labels
                result["page_labels"] = None
        pages = pdf.pages
        for index in range(int(first) - 1, min(int(last), len(pages))):
            page = pages[index]
            try:
                result["pages"].append(extract_page(page))
            except Exception as exc:  # noqa: BLE001
                if isinstance(exc, MemoryError) or _hit_memory_limit(limit):
                    print(f"page {index + 1}: memory limit exceeded", file=sys.stderr)
                    return 4
                print(f"page {index + 1}: {describe_open_error(exc)}", file=sys.stderr)
                return 3
            finally:
                page.close()
    finally:
        pdf.close()
    with open(out_path, "wb") as handle:
        pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


def extract_batch(
    pdf_path: str,
    first: int,
    last: int,
    work_dir: Path,
    password: str | None = None,
    limits: Limits = Limits(),
) -> dict:
    """Extract pages `first`..`last` (1-based, inclusive) in a guarded child process."""
    work_dir.mkdir(parents=True, exist_ok=True)
    fd, out = tempfile.mkstemp(prefix=f"batch-{first}-{last}-", suffix=".pkl", dir=work_dir)
    os.close(fd)
    project_root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [project_root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "flows.extract", pdf_path, password or "", str(first), str(last), out,
               str(limits.memory_mb)]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=limits.time_seconds, env=env)
    except subprocess.TimeoutExpired:
        Path(out).unlink(missing_ok=True)
        raise ExtractError(
            f"pages {first}-{last}: gave up after {limits.time_seconds:g}s (a page that hangs the parser?)"
        ) from None
    try:
        if completed.returncode != 0:
            lines = [line for line in completed.stderr.strip().splitlines() if line.strip()]
            reason = lines[-1] if lines else f"worker exited with code {completed.returncode}"
            if completed.returncode == 4 or "MemoryError" in completed.stderr:
                reason = f"pages {first}-{last}: memory limit of {limits.memory_mb} MB exceeded"
            elif completed.returncode < 0:
                reason = (f"pages {first}-{last}: worker killed by signal {-completed.returncode}"
                          " (out of memory, or stopped from outside)")
            raise ExtractError(reason)
        with open(out, "rb") as handle:
            return pickle.load(handle)
    finally:
        Path(out).unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))

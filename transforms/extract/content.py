"""Whether a page's content streams decode: a damaged one must not pass as an empty page.

pdfminer (and pdfium) read a content stream whose compressed data is corrupt as no content at
all, without an error: the page would be published with no text and status `ok`. Decoding the
streams strictly here says which pages lost content, so they are flagged and the document is
published `partial` with their page numbers.
"""

from __future__ import annotations

import zlib
from typing import Any

from pdfminer.ascii85 import ascii85decode, asciihexdecode
from pdfminer.lzw import lzwdecode
from pdfminer.pdftypes import (
    LITERALS_ASCII85_DECODE,
    LITERALS_ASCIIHEX_DECODE,
    LITERALS_FLATE_DECODE,
    LITERALS_LZW_DECODE,
    LITERALS_RUNLENGTH_DECODE,
    PDFObjRef,
    PDFStream,
    resolve1,
)
from pdfminer.psparser import literal_name
from pdfminer.runlength import rldecode

INFLATE_PIECE = 1 << 20
_DECODERS = (
    (LITERALS_LZW_DECODE, lzwdecode),
    (LITERALS_ASCII85_DECODE, ascii85decode),
    (LITERALS_ASCIIHEX_DECODE, asciihexdecode),
    (LITERALS_RUNLENGTH_DECODE, rldecode),
)


def content_problems(page_obj: Any) -> list[str]:
    """What is wrong with a pdfminer page's content streams (empty when they all decode)."""
    problems: list[str] = []
    declared = page_obj.attrs.get("Contents")
    items = resolve1(declared)
    if items is None and isinstance(declared, PDFObjRef):
        return [f"content stream missing (object {declared.objid})"]
    for number, item in enumerate(items if isinstance(items, list) else [items], start=1):
        try:
            stream = resolve1(item)
        except Exception as exc:  # noqa: BLE001 - a reference to a missing or broken object
            problems.append(f"content stream {number} unreadable ({_short(exc)})")
            continue
        if stream is None:
            if isinstance(item, PDFObjRef):  # a blank page would hide that its content is gone
                problems.append(f"content stream {number} missing (object {item.objid})")
            continue
        if not isinstance(stream, PDFStream):
            problems.append(f"content {number} is not a stream")
            continue
        problem = _stream_problem(stream)
        if problem:
            problems.append(f"content stream {number} damaged ({problem})")
    return problems


def _stream_problem(stream: PDFStream) -> str | None:
    """Decode the stream's filters strictly; None when the data is whole (or already decoded)."""
    data = stream.rawdata
    if data is None:
        return None  # already decoded by the parser: nothing left to check
    try:
        if stream.decipher:
            data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
        filters = stream.get_filters()
        for position, (name, _params) in enumerate(filters, start=1):
            data = _decode(name, data, keep=position < len(filters))
    except _Unsupported as exc:
        return f"unsupported filter {exc}"
    except zlib.error as exc:
        return f"zlib: {exc}"
    except Exception as exc:  # noqa: BLE001
        return _short(exc)
    return None


class _Unsupported(Exception):
    pass


def _decode(name: Any, data: bytes, keep: bool) -> bytes:
    """One filter's output (only checked, not kept, for the last filter)."""
    if name in LITERALS_FLATE_DECODE:
        return _inflate(data, keep)
    for names, decoder in _DECODERS:
        if name in names:
            return decoder(data)
    raise _Unsupported(f"/{literal_name(name)}")


def _inflate(data: bytes, keep: bool) -> bytes:
    """Inflate strictly, a piece at a time, so checking a stream that inflates to gigabytes
    holds one piece of it, not all of it."""
    inflater = zlib.decompressobj()
    pieces: list[bytes] = []
    piece = inflater.decompress(data, INFLATE_PIECE)
    while True:
        if keep:
            pieces.append(piece)
        if inflater.eof:
            return b"".join(pieces)
        if not piece and not inflater.unconsumed_tail:
            raise zlib.error("truncated stream")
        piece = inflater.decompress(inflater.unconsumed_tail, INFLATE_PIECE)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:120]
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__

"""Search words read like the datasets' text, and the snippet that shows where a page says them.

A reader types 「ｻｲﾊﾞｰ」, 「サイバー」 or 「⼾籍」 (a Kangxi radical pasted from a PDF) and means the
same word; the pages' `text` is normalized (NFKC with the Japanese rules), so the words are
normalized the same way, then lower-cased, as the text is when compared. Page text keeps its
printed line breaks, and a Japanese word may wrap over two lines, so a word without spaces is
looked for in the text with all its white space removed; a phrase with spaces, in the text with
its line breaks read as spaces.
"""

from __future__ import annotations

import re

from transforms.normalize.text import join_wrapped, normalize_text

_SPACE = re.compile(r"\s+")


def search_terms(words: list[str]) -> list[str]:
    """The words as the datasets spell them (normalized, lower-case), blanks and repeats dropped."""
    terms: list[str] = []
    for word in words:
        term = (normalize_text(word, join_lines=True) or "").strip().lower()
        term = _SPACE.sub(" ", term)
        if term and term not in terms:
            terms.append(term)
    return terms


def squeezed(text: str) -> tuple[str, list[int]]:
    """`text` lower-cased without white space, and each kept character's index in `text`."""
    kept, where = [], []
    for index, char in enumerate(text):
        if not char.isspace():
            kept.append(char.lower())
            where.append(index)
    return "".join(kept), where


def find_term(text: str, term: str) -> tuple[int, int] | None:
    """Where `term` is in `text` (start, end in `text`), read as `search_terms` explains."""
    lowered = text.lower()
    start = lowered.find(term)
    if start >= 0 and len(lowered) == len(text):  # said as typed: the common case, no copying
        return start, start + len(term)
    if " " in term:
        flat = _SPACE.sub(" ", text.replace("\n", " ")).lower()
        # map the flattened positions back: only runs of white space were shortened
        start = flat.find(term)
        if start < 0:
            return None
        return _original_span(text, start, start + len(term))
    flat, where = squeezed(text)
    start = flat.find(term)
    if start < 0:
        return None
    return where[start], where[start + len(term) - 1] + 1


def _original_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Positions in the text whose white-space runs were each shortened to one space."""
    position, flat_index, span_start = 0, 0, 0
    previous_space = False
    for position, char in enumerate(text):
        space = char.isspace()
        if space and previous_space:
            continue
        if flat_index == start:
            span_start = position
        if flat_index == end:
            return span_start, position
        flat_index += 1
        previous_space = space
    return span_start, len(text)


def matches_all(text: str | None, terms: list[str]) -> bool:
    return bool(text) and all(find_term(text or "", term) for term in terms)


def snippet(text: str | None, terms: list[str], context: int = 30) -> str:
    """The words around the first place `text` says one of `terms`, on one line, with 「…」
    where it was cut; the start of the text when none is found."""
    if not text:
        return ""
    spans = [span for term in terms if (span := find_term(text, term))]
    start, end = min(spans) if spans else (0, 0)
    first, last = max(0, start - context), min(len(text), end + context)
    shown = join_wrapped(text[first:last].split("\n"))
    return ("…" if first > 0 else "") + shown + ("…" if last < len(text) else "")

"""A PDF's pages by number, straight from its page tree, so a batch of pages costs the same on page
40,001 as on page 1.

pdfplumber's `pdf.pages` builds a page object for every page of the document before it hands out
one; a worker given pages 40,001–40,128 of a 50,000-page book paid for all 50,000 (33 s), and
every batch paid again. The page tree says where a page is: each /Pages node holds the /Count of
pages below it, so page N is found by going down one path. That is how PDF viewers number pages
(pdfium counts the same way), but pdfminer numbers them by walking every node, so the two agree
only when every /Count is right. `regular_page_count` checks that once per document (it walks the
tree without building pages); only then are pages fetched by number, otherwise by the full walk.
"""

from __future__ import annotations

from typing import Any

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import PDFObjRef, resolve1
from pdfminer.psparser import LIT

LITERAL_PAGE = LIT("Page")
LITERAL_PAGES = LIT("Pages")
MAX_DEPTH = 64  # a real tree is a handful of levels deep; deeper is a loop or an attack


class IrregularPageTree(Exception):
    """The page tree cannot be trusted for numbering by /Count: use the full walk."""


def _attrs(obj: Any) -> dict:
    value = resolve1(obj)
    if not isinstance(value, dict):
        raise IrregularPageTree("a page tree node is not a dictionary")
    return value


def _kind(attrs: dict) -> str:
    """ "page", "pages" or "other", as pdfminer's walk tells them apart."""
    kind = attrs.get("Type", attrs.get("type"))
    if kind is LITERAL_PAGES and "Kids" in attrs:
        return "pages"
    return "page" if kind is LITERAL_PAGE else "other"


def _kids(attrs: dict) -> list:
    kids = resolve1(attrs.get("Kids"))
    if not isinstance(kids, list) or not all(isinstance(k, PDFObjRef) for k in kids):
        raise IrregularPageTree("/Kids is not a list of references")
    return kids


def _count(attrs: dict) -> int:
    count = resolve1(attrs.get("Count"))
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise IrregularPageTree("a /Pages node without a positive /Count")
    return count


def _inherit(attrs: dict, parent: dict) -> dict:
    """A node's attributes with those it inherits (Resources, MediaBox, CropBox, Rotate)."""
    merged = dict(attrs)
    for key in PDFPage.INHERITABLE_ATTRS:
        if key not in merged and key in parent:
            merged[key] = parent[key]
    return merged


def regular_page_count(doc: PDFDocument) -> int | None:
    """The number of pages when numbering by /Count and pdfminer's walk give the same pages, else
    None: every node visited once, only pages and /Pages nodes as kids, every /Count the number
    of pages below it and at least one (so a node with as many kids as pages has one page in
    each kid, which `PageTree` relies on)."""
    try:
        ref = doc.catalog.get("Pages")
        root = _attrs(ref)
        if _kind(root) != "pages":
            return None
        count = _check_node(root, {ref.objid} if isinstance(ref, PDFObjRef) else set(), 0)
    except (IrregularPageTree, RecursionError):
        return None
    except Exception:  # noqa: BLE001 - any damage to the tree: the full walk decides
        return None
    return count


def _check_node(attrs: dict, seen: set[int], depth: int) -> int:
    if depth > MAX_DEPTH:
        raise IrregularPageTree("page tree too deep")
    kids, total = _kids(attrs), 0
    for kid in kids:
        if kid.objid in seen:
            raise IrregularPageTree("a page tree node is reached twice")
        seen.add(kid.objid)
        child = _attrs(kid)
        kind = _kind(child)
        if kind == "page":
            total += 1
        elif kind == "pages":
            total += _check_node(child, seen, depth + 1)
        else:
            raise IrregularPageTree("a page tree kid is neither a page nor a /Pages node")
    if total != _count(attrs):
        raise IrregularPageTree("/Count does not match the pages below")
    return total


def root_count(doc: PDFDocument) -> int:
    """The /Count of the page tree's root: the page count, for a tree that is regular."""
    return _count(_attrs(doc.catalog["Pages"]))


class PageTree:
    """Pages by number from a document whose tree `regular_page_count` accepted. Each node's
    kids are read once, so a batch of pages costs a path down the tree per page."""

    def __init__(self, doc: PDFDocument) -> None:
        self.doc = doc
        self._kids: dict[int, list] = {}

    def page(self, number: int) -> PDFPage:
        """Page `number` (1-based)."""
        ref = self.doc.catalog["Pages"]
        node = _inherit(_attrs(ref), self.doc.catalog)
        index = number - 1
        for _depth in range(MAX_DEPTH + 1):
            kids = self._kids_of(ref, node)
            if _count(node) == len(kids):  # every kid holds one page: no need to open the others
                ref, index = kids[index], 0
            else:
                ref, index = _descend(kids, index)
            child = _inherit(_attrs(ref), node)
            if _kind(child) == "page":
                return PDFPage(self.doc, ref.objid, child, None)
            node = child
        raise IrregularPageTree("page tree too deep")

    def _kids_of(self, ref: Any, node: dict) -> list:
        key = ref.objid if isinstance(ref, PDFObjRef) else id(node)
        if key not in self._kids:
            self._kids[key] = _kids(node)
        return self._kids[key]


def _descend(kids: list, index: int) -> tuple[PDFObjRef, int]:
    """The kid holding page `index` (0-based, within these kids) and the index within it."""
    for ref in kids:
        attrs = _attrs(ref)
        size = 1 if _kind(attrs) == "page" else _count(attrs)
        if index < size:
            return ref, index
        index -= size
    raise IrregularPageTree("page number beyond /Count")

"""pdfplumber's page objects (chars, rects, lines, curves) built from pdfium instead of pdfminer.

pdfminer interprets a page's content stream in pure Python: on a ruled budget page that is two
thirds of the page's cost, while pdfium reads the same page in C in a few milliseconds. The table
finder and the text layout only look at the objects, so given the same objects they give the
same tables. Here pdfium's characters (as the text fast path reads them) and its painted paths
are turned into the dicts pdfplumber would have made, classified as pdfminer classifies them
(`pdfminer.converter.PDFLayoutAnalyzer.paint_path`): a one-segment subpath is a line, a closed
axis-aligned four-segment one is a rect, anything else a curve; a path with several subpaths is
one object per subpath. `benchmarks/fastpath_check.py` compares the records of both parsers
page by page; pages where they could differ (see `transforms.extract.fast`) stay on pdfminer.

pdfium reports coordinates as 32-bit floats, so positions agree with pdfminer's to about 1e-4
pt, far inside every tolerance the finder uses (snapping 3 pt, cell membership by centre).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Any

# pdfium segment types
_MOVE, _LINE, _BEZIER = 2, 0, 1
_MAX_FORM_DEPTH = 15


@dataclass(slots=True)
class PaintedPath:
    """One painted path object of the page: its subpaths in page space (y up), as pdfminer's
    path segments (("m", (x, y)), ("l", (x, y)), ("c", p1, p2, p3), ("h",))."""

    segments: list[tuple]
    stroke: bool
    fill: bool
    evenodd: bool
    linewidth: float
    stroking_color: tuple[float, ...] | None
    non_stroking_color: tuple[float, ...] | None
    subpaths: list[list[tuple]] = field(default_factory=list)


def _matrix_of(obj: Any) -> tuple[float, float, float, float, float, float]:
    import pypdfium2.raw as pdfium_c

    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(m)):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(
    inner: tuple[float, ...], outer: tuple[float, ...]
) -> tuple[float, float, float, float, float, float]:
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _color(getter: Any, obj: Any) -> tuple[float, ...] | None:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not getter(obj, ctypes.byref(r), ctypes.byref(g), ctypes.byref(b), ctypes.byref(a)):
        return None
    return (r.value / 255, g.value / 255, b.value / 255)


def _segments(obj: Any, matrix: tuple[float, ...]) -> list[tuple] | None:
    """The path's segments in page space, or None for a segment type we do not know."""
    import pypdfium2.raw as pdfium_c

    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    out: list[tuple] = []
    bezier: list[tuple[float, float]] = []
    for index in range(pdfium_c.FPDFPath_CountSegments(obj)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, index)
        pdfium_c.FPDFPathSegment_GetPoint(segment, ctypes.byref(x), ctypes.byref(y))
        point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == _MOVE:
            out.append(("m", point))
        elif kind == _LINE:
            out.append(("l", point))
        elif kind == _BEZIER:
            bezier.append(point)
            if len(bezier) == 3:
                out.append(("c", *bezier))
                bezier = []
        else:
            return None
        if pdfium_c.FPDFPathSegment_GetClose(segment) and not bezier:
            out.append(("h",))
    return None if bezier else out


def _painted(obj: Any, matrix: tuple[float, ...]) -> PaintedPath | None:
    import pypdfium2.raw as pdfium_c

    fillmode, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDFPath_GetDrawMode(obj, ctypes.byref(fillmode), ctypes.byref(stroke)):
        return None
    segments = _segments(obj, matrix)
    if segments is None:
        return None
    width = ctypes.c_float()
    pdfium_c.FPDFPageObj_GetStrokeWidth(obj, ctypes.byref(width))
    return PaintedPath(
        segments=segments,
        stroke=bool(stroke.value),
        fill=fillmode.value != 0,
        evenodd=fillmode.value == pdfium_c.FPDF_FILLMODE_ALTERNATE,
        linewidth=float(width.value),
        stroking_color=_color(pdfium_c.FPDFPageObj_GetStrokeColor, obj),
        non_stroking_color=_color(pdfium_c.FPDFPageObj_GetFillColor, obj),
    )


def painted_paths(page: Any) -> list[PaintedPath] | None:
    """Every painted path of a pypdfium2 page, form XObjects included, in drawing order; None
    when a path cannot be read (the page then takes pdfminer's path)."""
    import pypdfium2.raw as pdfium_c

    found: list[PaintedPath] = []

    def visit(objects: list[Any], outer: tuple[float, ...], depth: int) -> bool:
        for obj in objects:
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                path = _painted(obj, _compose(_matrix_of(obj), outer))
                if path is None:
                    return False
                if path.stroke or path.fill:
                    found.append(path)
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                if depth >= _MAX_FORM_DEPTH:
                    return False
                children = [
                    pdfium_c.FPDFFormObj_GetObject(obj, i)
                    for i in range(pdfium_c.FPDFFormObj_CountObjects(obj))
                ]
                if not visit(children, _compose(_matrix_of(obj), outer), depth + 1):
                    return False
        return True

    raw = page.raw
    top = [pdfium_c.FPDFPage_GetObject(raw, i) for i in range(pdfium_c.FPDFPage_CountObjects(raw))]
    return found if visit(top, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), 0) else None


# -- pdfminer's classification, on pdfium's segments ---------------------------------------------


def _subpaths(segments: list[tuple]) -> list[list[tuple]]:
    """Split at every "m": pdfminer paints each subpath as an object of its own."""
    parts: list[list[tuple]] = []
    for segment in segments:
        if segment[0] == "m" or not parts:
            parts.append([])
        parts[-1].append(segment)
    return [p for p in parts if p and p[0][0] == "m"]


def _classify(subpath: list[tuple]) -> tuple[str, list[tuple[float, float]]] | None:
    """("line" | "rect" | "curve", points) for one subpath, as pdfminer decides it."""
    shape = "".join(s[0] for s in subpath)
    pts = [s[-1] if s[0] != "h" else subpath[0][-1] for s in subpath]
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts.pop()
    if shape in ("mlh", "ml"):
        return "line", pts[:2]
    if shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        closed = pts[0] == pts[4]
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
            y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
        )
        if closed and square:
            return "rect", [(x0, y0), (x2, y0), (x2, y2), (x0, y2)]
    if len(pts) < 2:
        return None
    return "curve", pts


def shape_objects(
    paths: list[PaintedPath], page_number: int, height: float, initial_doctop: float
) -> dict[str, list[dict]]:
    """pdfplumber's `rect`, `line` and `curve` objects for the painted paths."""
    out: dict[str, list[dict]] = {"rect": [], "line": [], "curve": []}
    for path in paths:
        for subpath in _subpaths(path.segments):
            classified = _classify(subpath)
            if classified is None:
                continue
            kind, pts = classified
            x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
            y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
            top = height - y1
            out[kind].append(
                {
                    "x0": x0,
                    "y0": y0,
                    "x1": x1,
                    "y1": y1,
                    "width": x1 - x0,
                    "height": y1 - y0,
                    "pts": [(x, height - y) for x, y in pts],
                    "path": [(s[0], *((x, height - y) for x, y in s[1:])) for s in subpath],
                    "linewidth": path.linewidth,
                    "stroke": path.stroke,
                    "fill": path.fill,
                    "evenodd": path.evenodd,
                    "stroking_color": path.stroking_color,
                    "non_stroking_color": path.non_stroking_color,
                    "dash": None,
                    "mcid": None,
                    "tag": None,
                    "object_type": kind,
                    "page_number": page_number,
                    "top": top,
                    "bottom": height - y0,
                    "doctop": initial_doctop + top,
                }
            )
    return out

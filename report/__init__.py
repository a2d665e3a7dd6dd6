"""The visual report: published datasets and raw PDFs in, static HTML and page images out.

It exists so extraction can be checked by eye against the PDF: each page with its tables' boxes
and cell grids drawn over it, each table's cells as published, each request item with its
ministries and pages. `model` decides what is shown (pure, no I/O), `render` draws page images,
`html` writes the pages and `build` reads the data dir and writes the folder.
"""

from report.build import InspectResult, ReportResult, build_report, inspect_page
from report.errors import ReportError

__all__ = ["InspectResult", "ReportError", "ReportResult", "build_report", "inspect_page"]
